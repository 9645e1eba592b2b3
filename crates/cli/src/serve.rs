//! The server and its background workers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use grassroots_app::{Platform, Settings};
use grassroots_store::Store;

use crate::Common;

/// How often the deadline worker looks for cases falling due.
const DEADLINE_TICK: Duration = Duration::from_secs(30);
/// How often reference data is reloaded from the database.
const REFERENCE_REFRESH: Duration = Duration::from_secs(60);
/// How often new audit entries are sealed into the hash chain.
const AUDIT_SEAL_TICK: Duration = Duration::from_secs(5);
/// How often surges, repeated callers and reopened cases are looked for.
const WARNING_TICK: Duration = Duration::from_secs(600);
/// How often the search index takes up the store's changes.
const SEARCH_TICK: Duration = Duration::from_secs(1);
/// How often cases past their retention period are looked for.
const RETENTION_TICK: Duration = Duration::from_secs(3600);
/// How often attachment files that nothing names are removed.
const ATTACHMENT_SWEEP_TICK: Duration = Duration::from_secs(3600);
/// How old an unnamed attachment file must be to go: far longer than any report or move
/// takes between writing its files and committing.
const ATTACHMENT_GRACE: Duration = Duration::from_secs(3600);
/// How often the schedule looks for a bulletin (通报) to make: the last whole week's and month's
/// of every district, street and unit that lacks one.
const BULLETIN_TICK: Duration = Duration::from_secs(3600);
/// How often reports' idempotency keys past their day are forgotten.
const KEY_SWEEP_TICK: Duration = Duration::from_secs(3600);

pub async fn run(common: &Common, store: Arc<grassroots_store::SqlStore>) -> anyhow::Result<()> {
    tracing::info!(backend = ?store.backend(), durability = %store.durability().await?, "store open");
    // Held while serving, so that a restore cannot replace the store under the server.
    let serving = crate::backup::lock_file(&common.data_dir)?;
    serving.lock_shared().context("locking the data directory")?;
    let store: Arc<dyn Store> = store;
    let platform = Platform::new(store.clone(), Settings::default()).await?;
    let state = grassroots_web::AppState::new(platform.clone(), common.web_config());
    let app = grassroots_web::router(state.clone());
    tokio::spawn(deadline_worker(store.clone()));
    let relay = grassroots_relay::Relay::new(store, common.nats_url.as_deref()).await?;
    if let Some(url) = &common.nats_url {
        let nats = grassroots_relay::redacted(url);
        tracing::info!(%nats, stream = grassroots_relay::STREAM, "publishing case events to NATS JetStream");
    }
    tokio::spawn(relay.run(format!("{}-{}", std::process::id(), uuid::Uuid::now_v7())));
    let provider = sms_provider(common)?;
    if let grassroots_relay::notify::Provider::Http { url, secret } = &provider {
        let direct = grassroots_relay::notify::DirectTexts::new(url.clone(), secret.clone());
        platform.send_texts_through(Arc::new(SignInTexts(direct)));
    }
    let notifier = grassroots_relay::notify::Notifier::new(platform.store.clone(), provider, &public_url(common));
    tokio::spawn(notifier.run(format!("{}-{}", std::process::id(), uuid::Uuid::now_v7())));
    tokio::spawn(leased(platform.clone(), "audit-seal", AUDIT_SEAL_TICK, seal_audit));
    tokio::spawn(leased(platform.clone(), "retention", RETENTION_TICK, privacy_housekeeping));
    tokio::spawn(leased(platform.clone(), "warnings", WARNING_TICK, scan_for_warnings));
    tokio::spawn(leased(platform.clone(), "attachment-sweep", ATTACHMENT_SWEEP_TICK, sweep_attachments));
    tokio::spawn(leased(platform.clone(), "intake-key-sweep", KEY_SWEEP_TICK, forget_old_keys));
    tokio::spawn(leased(platform.clone(), "bulletins", BULLETIN_TICK, make_bulletins));
    if common.retrain_hours > 0 {
        let every = Duration::from_secs(common.retrain_hours * 3600);
        let platform = platform.clone();
        // The first training one interval after the start: a restart does not retrain.
        tokio::spawn(async move {
            tokio::time::sleep(every).await;
            leased(platform, "classifier-training", every, retrain).await;
        });
    }
    let index = grassroots_app::search::open(&platform, &common.search_dir()).await.map_err(crate::refused)?;
    tokio::spawn(search_follower(platform.clone(), index));
    tokio::spawn(reference_refresher(platform.clone()));
    let listener =
        tokio::net::TcpListener::bind(&common.listen).await.with_context(|| format!("binding {}", common.listen))?;
    tracing::info!(listen = %common.listen, "serving");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(stopping())
        .await?;
    platform.settled().await;
    tracing::info!("stopped: every request taken was answered, and what it started after answering done");
    Ok(())
}

/// Residents' sign-in codes, sent at once through the SMS provider.
struct SignInTexts(grassroots_relay::notify::DirectTexts);

#[async_trait::async_trait]
impl grassroots_app::residents::Texter for SignInTexts {
    async fn send(&self, to: &grassroots_domain::residents::Mobile, text: &str) -> Result<(), String> {
        self.0.send(to.as_str(), text).await
    }
}

/// Where residents' text messages go: the configured provider, or the development sink.
fn sms_provider(common: &Common) -> anyhow::Result<grassroots_relay::notify::Provider> {
    use grassroots_relay::notify::Provider;
    let Some(url) = &common.sms_url else {
        tracing::info!(
            "text messages go to the development sink (no --sms-url): read them at /admin/messages; \
             residents' sign-in codes are written to this log and listed there too"
        );
        return Ok(Provider::Sink);
    };
    let secret = std::env::var("GRASSROOTS_SMS_SECRET").unwrap_or_default();
    anyhow::ensure!(
        secret.len() >= 16,
        "--sms-url needs GRASSROOTS_SMS_SECRET, at least 16 characters, to sign the requests to the provider"
    );
    tracing::info!(provider = %grassroots_relay::redacted(url), "text messages go to the SMS provider");
    Ok(Provider::Http { url: url.clone(), secret })
}

/// The address residents reach the platform at, for the links in messages.
fn public_url(common: &Common) -> String {
    common.public_url.clone().unwrap_or_else(|| format!("http://{}", common.listen))
}

/// Resolves on Ctrl-C or SIGTERM (what service managers and container runtimes send): the
/// server then stops taking connections and answers the requests it has taken.
async fn stopping() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be watched; only Ctrl-C stops the server gracefully");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
        _ = terminate => tracing::info!("SIGTERM: stopping"),
    }
}

/// Reloads taxonomy, calendar and units, takes up a classifier put into service elsewhere, and
/// rebuilds the grid index when grids or boundaries change, so that changes made elsewhere
/// (another process, `grassroots calendar import`, `grassroots model train`,
/// `grassroots import grids`) take effect without a restart.
async fn reference_refresher(state: Arc<Platform>) {
    let mut tick = tokio::time::interval(REFERENCE_REFRESH);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = state.refresh_reference().await {
            tracing::warn!(error = %e, "reloading reference data");
        }
        match grassroots_app::classify::follow(&state).await {
            Ok(true) => tracing::info!(version = ?state.classifier_version(), "classifier taken up"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "reading the classifier in service"),
        }
        match state.refresh_places().await {
            Ok(true) => tracing::info!(grids = state.placer().grid_count(), "grid index rebuilt"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "reloading grids"),
        }
    }
}

/// Keeps the search index in step with the store (this process writes it if no other process
/// on this machine does; otherwise it takes up that one's commits), rebuilding it first if it
/// is new or was built with other fields.
async fn search_follower(platform: Arc<Platform>, index: Arc<grassroots_search::SearchIndex>) {
    let mut follower = grassroots_app::search::Follower::default();
    loop {
        match follower.step(&platform, &index).await {
            Ok(step) if step.more => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "keeping the search index in step"),
        }
        tokio::time::sleep(SEARCH_TICK).await;
    }
}

/// Runs `work` every `tick` in one server at a time: the named lease, renewed on each tick,
/// passes to another server if this one stops.
async fn leased<F, Fut>(platform: Arc<Platform>, name: &'static str, tick: Duration, mut work: F)
where
    F: FnMut(Arc<Platform>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7());
    let lease = chrono::Duration::seconds(tick.as_secs() as i64 * 3);
    let mut ticks = tokio::time::interval(tick);
    loop {
        ticks.tick().await;
        match platform.store.claim_lease(name, &holder, Utc::now(), lease).await {
            Ok(true) => work(platform.clone()).await,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, lease = name, "claiming a lease"),
        }
    }
}

/// Retrains the classifier from the cases people labelled since (智能分类).
async fn retrain(platform: Arc<Platform>) {
    if let Err(e) = grassroots_app::classify::train(&platform, Utc::now()).await {
        tracing::warn!(error = %e, "retraining the classifier");
    }
}

/// Looks for what warrants a warning (see `grassroots_app::warnings::scan`).
async fn scan_for_warnings(platform: Arc<Platform>) {
    match grassroots_app::warnings::scan(&platform, Utc::now()).await {
        Ok(s) if s.surges + s.callers + s.reopened + s.dangers + s.care > 0 => {
            tracing::warn!(
                surges = s.surges,
                callers = s.callers,
                reopened = s.reopened,
                dangers = s.dangers,
                care = s.care,
                "warnings raised"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "looking for warnings"),
    }
}

/// Makes the bulletins the schedule owes (see `grassroots_app::bulletins::run_schedule`).
async fn make_bulletins(platform: Arc<Platform>) {
    let today = grassroots_domain::calendar::beijing_day(Utc::now());
    match grassroots_app::bulletins::run_schedule(&platform, today).await {
        Ok(made) if made > 0 => tracing::info!(made, "bulletins generated"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "generating bulletins"),
    }
}

/// Removes the files of erased cases' photos, and of reports whose transaction failed.
async fn sweep_attachments(platform: Arc<Platform>) {
    match platform.store.sweep_attachment_files(ATTACHMENT_GRACE).await {
        Ok(swept) if swept.removed + swept.unfinished > 0 => {
            tracing::info!(
                removed = swept.removed,
                unfinished = swept.unfinished,
                kept = swept.kept,
                "attachment files swept"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping attachment files"),
    }
}

/// Forgets reports' idempotency keys older than a day.
async fn forget_old_keys(platform: Arc<Platform>) {
    match grassroots_app::intake::forget_old_keys(&platform).await {
        Ok(0) => {}
        Ok(forgotten) => tracing::info!(forgotten, "idempotency keys forgotten"),
        Err(e) => tracing::warn!(error = %e, "forgetting idempotency keys"),
    }
}

/// Seals new audit entries into the hash chain within seconds of their writing.
async fn seal_audit(platform: Arc<Platform>) {
    if let Err(e) = grassroots_app::audit::seal(&platform).await {
        tracing::warn!(error = %e, "sealing the audit log");
    }
}

/// Tags older cases' phone numbers and erases the personal data of cases past their
/// retention period and of people long out of care.
async fn privacy_housekeeping(platform: Arc<Platform>) {
    match grassroots_app::privacy::housekeeping(&platform).await {
        Ok(done) if done.tagged + done.erased > 0 || done.codes_forgotten + done.care_erased > 0 => {
            let (codes, care) = (done.codes_forgotten, done.care_erased);
            tracing::info!(tagged = done.tagged, erased = done.erased, codes, care, "privacy housekeeping")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "privacy housekeeping"),
    }
}

/// Marks cases that fall due soon or overdue. Several servers may share a database: the
/// lease keeps the work in one of them at a time, and the store's version guard would make
/// a second marker harmless anyway.
async fn deadline_worker(store: Arc<dyn Store>) {
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7());
    let lease = chrono::Duration::seconds(DEADLINE_TICK.as_secs() as i64 * 3);
    let mut tick = tokio::time::interval(DEADLINE_TICK);
    loop {
        tick.tick().await;
        let now = Utc::now();
        // Indexes an import set aside and did not live to build again (its lease ran out).
        match store.restore_case_indexes(&holder, now).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(rebuilt = n, "built again the case indexes an unfinished bulk import had set aside")
            }
            Err(e) => tracing::warn!(error = %e, "building set-aside case indexes"),
        }
        match store.claim_lease("deadlines", &holder, now, lease).await {
            Ok(true) => loop {
                match store.tick_deadlines(Utc::now(), 500).await {
                    Ok(0) => break,
                    Ok(n) => {
                        tracing::info!(marked = n, "deadline marks");
                        // A long catch-up keeps its lease alive, or stops if it was lost.
                        if !matches!(store.claim_lease("deadlines", &holder, Utc::now(), lease).await, Ok(true)) {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "deadline worker");
                        break;
                    }
                }
            },
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "deadline lease"),
        }
    }
}
