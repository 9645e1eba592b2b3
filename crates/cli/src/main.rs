//! `grassroots`: serve the platform, load demo data, migrate, manage staff accounts.

mod audit;
mod backup;
mod data_keys;
mod demo;
mod export;
mod import;
mod model;
mod report;
mod rollups;
mod search;
mod serve;
mod votes;
mod warnings;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use grassroots_app::accounts::{self, AccountForm};
use grassroots_app::keys::{self, KeyRequest};
use grassroots_app::rotation::KeyWatcher;
use grassroots_app::{webhooks, AppError, Platform};
use grassroots_store::crypto::Keyring;
use grassroots_store::{SqlStore, Store, StoreOptions};

#[derive(Parser)]
#[command(name = "grassroots", version, about = "基层治理一体化平台 / a platform for grassroots governance")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// A store this process opened, and the watcher that keeps its keys current.
type WatchedStore = (KeyWatcher, Arc<SqlStore>);

#[derive(Args, Clone)]
pub struct Common {
    /// Where the embedded database, the key file and attachments live.
    #[arg(long, global = true, env = "GRASSROOTS_DATA_DIR", default_value = "./grassroots-data")]
    data_dir: PathBuf,
    /// The directory of attachment files (photos), named by their digest; default:
    /// `attachments` in the data directory. Servers of one store must share it.
    #[arg(long, global = true, env = "GRASSROOTS_ATTACHMENTS_DIR")]
    attachments_dir: Option<PathBuf>,
    /// sqlite://FILE or postgres://…; default: grassroots.db in the data directory.
    #[arg(long, global = true, env = "GRASSROOTS_DATABASE_URL")]
    database_url: Option<String>,
    /// Address to serve on.
    #[arg(long, global = true, env = "GRASSROOTS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Public endpoints: requests per minute per client address.
    #[arg(long, global = true, env = "GRASSROOTS_PUBLIC_RATE_PER_MINUTE", default_value_t = 60)]
    public_rate_per_minute: u32,
    /// Public endpoints: burst size per client address.
    #[arg(long, global = true, env = "GRASSROOTS_PUBLIC_BURST", default_value_t = 20)]
    public_burst: u32,
    /// Mark the session cookie Secure (serve behind HTTPS).
    #[arg(long, global = true, env = "GRASSROOTS_SECURE_COOKIES")]
    secure_cookies: bool,
    /// NATS server to publish case events to, on the JetStream stream GRASSROOTS
    /// (e.g. nats://127.0.0.1:4222; a cluster's servers separated by commas); none if not given.
    #[arg(long, global = true, env = "GRASSROOTS_NATS_URL")]
    nats_url: Option<String>,
    /// The platform's address as residents reach it (e.g. https://12345.example.gov.cn): the
    /// links in text messages start with it. Defaults to http:// and the listen address.
    #[arg(long, global = true, env = "GRASSROOTS_PUBLIC_URL")]
    public_url: Option<String>,
    /// The HTTP SMS provider that sends residents' text messages (signed with the secret in
    /// GRASSROOTS_SMS_SECRET). Without it, messages go to the development sink, read on the
    /// administrators' page of messages.
    #[arg(long, global = true, env = "GRASSROOTS_SMS_URL")]
    sms_url: Option<String>,
    /// A PostgreSQL standby (postgres://…) that answers dashboards, rates, maps and rankings
    /// while it lags the primary by no more than --replica-max-lag-secs.
    #[arg(long, global = true, env = "GRASSROOTS_REPLICA_URL")]
    replica_url: Option<String>,
    /// How far behind the primary (seconds) the figures read from --replica-url may be; a
    /// standby further behind, or out of reach, leaves them to the primary.
    #[arg(long, global = true, env = "GRASSROOTS_REPLICA_MAX_LAG_SECS", default_value_t = 5)]
    replica_max_lag_secs: u64,
    /// Database connections.
    #[arg(long, global = true, env = "GRASSROOTS_DB_CONNECTIONS", default_value_t = 8)]
    db_connections: u32,
    /// How often (seconds) a process reads the key file again and reports which keys it
    /// holds; a key rotation waits for every process to take up each of its steps.
    #[arg(long, global = true, env = "GRASSROOTS_KEY_CHECK_SECS", default_value_t = 10)]
    key_check_secs: u64,
    /// How often (hours) the server retrains the classifier from the cases people labelled;
    /// 0: only `grassroots model train` does.
    #[arg(long, global = true, env = "GRASSROOTS_RETRAIN_HOURS", default_value_t = 24)]
    retrain_hours: u64,
    /// The command running, to name this process in key reports.
    #[arg(skip)]
    command: &'static str,
    /// The key watchers of the stores this process opened, to withdraw their reports at the end.
    #[arg(skip)]
    watchers: Arc<std::sync::Mutex<Vec<WatchedStore>>>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve an existing store.
    Serve,
    /// Create or reuse a store in the data directory, load the demo data, and serve.
    Demo {
        /// Password of every demo account.
        #[arg(long, env = "GRASSROOTS_DEMO_PASSWORD", default_value = "grassroots-demo")]
        demo_password: String,
        /// Load the data and exit instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// Write a consistent copy of the SQLite store to a new file while it serves (the data
    /// key is not in it: keep it apart).
    Backup {
        #[arg(long)]
        output: PathBuf,
    },
    /// Put a backup in place of the SQLite store of the data directory; no server may be
    /// running on it. The backup is checked first.
    Restore {
        #[arg(long)]
        input: PathBuf,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load reference data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// The working-day calendar (holidays and make-up working days).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Write data out for other systems.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Keys of the systems that call the platform (Open311 clients and others).
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Other systems' subscriptions to case events (also on the admin page).
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// The audit log (also on the admin page) and its hash chain.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// The data key that seals personal data.
    Keys {
        #[command(subcommand)]
        command: data_keys::KeysCommand,
    },
    /// The classifier that sorts reports by their words: retrain it, list its versions.
    Model {
        #[command(subcommand)]
        command: model::ModelCommand,
    },
    /// The search index of what was written about cases: rebuild it, see how current it is.
    Search {
        #[command(subcommand)]
        command: search::SearchCommand,
    },
    /// The counters of cases per day and place that the figures read: recompute them.
    Rollups {
        #[command(subcommand)]
        command: rollups::RollupsCommand,
    },
    /// Early warning: scan now, or measure how early surges are warned of on the history.
    Warnings {
        #[command(subcommand)]
        command: warnings::WarningsCommand,
    },
    /// Residents' votes (表决): count one again from its stored ballots.
    Vote {
        #[command(subcommand)]
        command: votes::VoteCommand,
    },
    /// A bulletin (通报) of a district, street or unit for a whole week or month, generated
    /// from the data and kept, written as PDF, workbook or JSON.
    Report(report::ReportArgs),
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Self::Serve => "serve",
            Self::Demo { .. } => "demo",
            Self::Migrate => "migrate",
            Self::Backup { .. } => "backup",
            Self::Restore { .. } => "restore",
            Self::User { .. } => "user",
            Self::Import { .. } => "import",
            Self::Calendar { .. } => "calendar",
            Self::Export { .. } => "export",
            Self::Apikey { .. } => "apikey",
            Self::Webhook { .. } => "webhook",
            Self::Audit { .. } => "audit",
            Self::Keys { .. } => "keys",
            Self::Model { .. } => "model",
            Self::Search { .. } => "search",
            Self::Rollups { .. } => "rollups",
            Self::Warnings { .. } => "warnings",
            Self::Vote { .. } => "vote",
            Self::Report(_) => "report",
        }
    }
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Cases as CSV or JSON lines, newest first, personal data masked; written a page at a
    /// time, so any number of cases fits in constant memory.
    Cases {
        /// csv or jsonl.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only cases in these states (comma-separated).
        #[arg(long)]
        state: Option<String>,
        /// Only this category (a top-level code includes its sub-categories).
        #[arg(long)]
        category: Option<String>,
        /// Only this region (district, street, community or grid code).
        #[arg(long)]
        region: Option<String>,
        /// Received on or after this day (YYYY-MM-DD, Beijing time).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Received on or before this day.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Issue a key; the key itself is printed once, on the last line, and only its digest kept.
    Create {
        #[arg(long)]
        name: String,
        /// The key may read requests in full but not post them.
        #[arg(long)]
        read_only: bool,
        /// Only within this region (district, street or community code): posts there, and
        /// reads in full only the requests there.
        #[arg(long)]
        region: Option<String>,
    },
    /// The keys issued, with their ids and whether they were revoked.
    List,
    /// Revoke a key by its id; calls with it are refused from then on.
    Revoke { id: uuid::Uuid },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Subscribe a receiver to case events; its signing secret is printed once, on the last line.
    Add {
        #[arg(long)]
        name: String,
        /// http:// or https:// URL the events are POSTed to.
        #[arg(long)]
        url: String,
        /// Topics, comma-separated (case.dispatched,case.closed); every event if not given.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
    },
    /// The subscriptions, with the events waiting for each.
    List,
    /// Stop a subscription; its waiting events are not sent.
    Disable { id: uuid::Uuid },
    /// A subscription's latest delivery attempts, newest first.
    Log {
        id: uuid::Uuid,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Regions from CSV files: `code,name,level,parent_code` (like data/beijing-regions.csv),
    /// or the china-division package's provinces/cities/areas/streets/villages.csv (level and
    /// parent from the code). Every file is checked before anything is written. Importing
    /// again updates in place; a renamed region keeps its former name.
    Regions {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Region boundaries from a GeoJSON FeatureCollection whose features carry `code` and
    /// `name` (like data/beijing-districts.geojson). All or nothing.
    Boundaries { file: PathBuf },
    /// Grid polygons from a GeoJSON FeatureCollection: each feature names its `community`
    /// (12 digits) or its grid `code` (15 digits), optionally a `name`. Grids without a code are
    /// numbered west→east, north→south within their community. The file is checked whole
    /// (closed rings, valid polygons, inside the district) before anything is written; overlaps
    /// and gaps are reported with their size. The grids of the communities in the file are
    /// replaced in one transaction.
    Grids {
        file: PathBuf,
        /// Mark the grids as synthetic (generated, not surveyed).
        #[arg(long)]
        synthetic: bool,
    },
    /// The responsibility matrix (派单目录) from CSV: `category_code,region_code,unit_id` and
    /// optionally `auto_dispatch` (yes/no). The region may be a district, street, community or
    /// grid; the most specific line wins. Lines with `auto_dispatch` yes register and dispatch
    /// matching cases as they arrive. Checked whole, then written in one transaction; a line
    /// for the same category and region replaces the stored one.
    Responsibilities { file: PathBuf },
    /// The service centres' catalogue (事项目录) from CSV: `code,name,department,who_may_apply,
    /// materials,time_limit_days,fee,place,online,keywords` (like data/service-items.csv),
    /// materials separated by `；`. Checked whole, then written in one transaction; an item of
    /// the same code is replaced.
    Services { file: PathBuf },
    /// Historical cases from another hotline system: a CSV or JSON-lines file and a JSON
    /// mapping file naming the column of each field (see DEVELOPERS.md, "Importing cases").
    /// Every row is checked first and each bad one reported (row, field, column, reason); by
    /// default one bad row imports nothing. Cases are written in batches of 10,000, each with
    /// its external id, so importing the same file again creates nothing twice.
    Cases {
        file: PathBuf,
        /// The mapping file (JSON).
        #[arg(long)]
        mapping: PathBuf,
        /// csv or jsonl; by default from the file's extension.
        #[arg(long)]
        format: Option<String>,
        /// Import the good rows and skip the bad ones (still listed).
        #[arg(long)]
        skip_invalid: bool,
        /// The cases table's secondary indexes while writing: `auto` sets them aside for a
        /// large import (100,000 cases or more, and at least half as many as are stored) and
        /// builds them again at the end; `rebuild` always does; `keep` never does, so the
        /// platform's lists stay fast during the import.
        #[arg(long, value_enum, default_value = "auto")]
        indexes: import::cases::Indexes,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Replace the calendar with a CSV file of `date,kind,name` lines (kind: holiday or
    /// workday), like data/calendar-cn.csv. Running servers pick it up within a minute.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account (or update the one with this username).
    Add {
        #[arg(long)]
        username: String,
        /// operator, dispatcher, handler, gridworker, supervisor, leader or admin.
        #[arg(long)]
        role: String,
        /// all | region:CODE[,CODE] | unit:UNIT_ID | grid:GRID[,GRID]
        #[arg(long)]
        scope: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The password; also read from GRASSROOTS_USER_PASSWORD.
        #[arg(long, env = "GRASSROOTS_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// A mainland mobile, texted with warnings while on duty (值班).
        #[arg(long)]
        phone: Option<String>,
    },
}

impl Common {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("grassroots.db").display()))
    }

    pub fn attachments_dir(&self) -> PathBuf {
        self.attachments_dir.clone().unwrap_or_else(|| self.data_dir.join("attachments"))
    }

    /// Opens (creating the data directory and key if needed) and migrates the store.
    pub async fn open_store(&self) -> anyhow::Result<Arc<SqlStore>> {
        std::fs::create_dir_all(&self.data_dir).with_context(|| format!("creating {}", self.data_dir.display()))?;
        let (keys, source) =
            Keyring::load_or_create(std::env::var("GRASSROOTS_SECRET_KEY").ok().as_deref(), &self.data_dir)?;
        let store = SqlStore::open(StoreOptions {
            url: self.database_url(),
            keys,
            max_connections: self.db_connections,
            attachments_dir: self.attachments_dir(),
        })
        .await
        .context("opening the database")?;
        let store = match &self.replica_url {
            Some(url) => store
                .with_replica(url, std::time::Duration::from_secs(self.replica_max_lag_secs))
                .context("--replica-url")?,
            None => store,
        };
        store.migrate().await.context("migrating the database")?;
        let store = Arc::new(store);
        // Every process follows the key file, so that a rotation needs no restart.
        let watcher = KeyWatcher::new(source, self.command, std::time::Duration::from_secs(self.key_check_secs));
        watcher.check(&*store).await.context("reporting the data keys held")?;
        tokio::spawn(watcher.clone().run(store.clone()));
        self.watchers.lock().unwrap_or_else(|p| p.into_inner()).push((watcher, store.clone()));
        Ok(store)
    }

    /// The watcher of the first store opened, if any.
    fn key_watcher(&self) -> Option<KeyWatcher> {
        self.watchers.lock().unwrap_or_else(|p| p.into_inner()).first().map(|(w, _)| w.clone())
    }

    /// Withdraws this process's key reports: a rotation need not wait for a process that ended.
    async fn forget_key_reports(&self) {
        let watchers = std::mem::take(&mut *self.watchers.lock().unwrap_or_else(|p| p.into_inner()));
        for (watcher, store) in watchers {
            if let Err(e) = watcher.forget(&*store).await {
                tracing::warn!(error = %e, "withdrawing the key report");
            }
        }
    }

    /// The store, opened and migrated, with the reference data and places the use cases need.
    pub async fn open_platform(&self) -> anyhow::Result<Arc<Platform>> {
        let store: Arc<dyn Store> = self.open_store().await?;
        Ok(Platform::new(store, grassroots_app::Settings::default()).await?)
    }

    /// Where this machine keeps its search index (each machine its own, fed by the store).
    pub fn search_dir(&self) -> PathBuf {
        self.data_dir.join("search")
    }

    pub fn web_config(&self) -> grassroots_web::Config {
        grassroots_web::Config {
            public_rate: grassroots_web::RateLimit {
                per_minute: self.public_rate_per_minute,
                burst: self.public_burst,
            },
            secure_cookies: self.secure_cookies,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // A bulk import's statements are slow by nature: sqlx's slow-statement warnings would
    // only break up its progress bars.
    let quiet_sqlx = matches!(cli.command, Command::Import { command: ImportCommand::Cases { .. } });
    let default_filter = if quiet_sqlx { "info,sqlx=error" } else { "info,sqlx=warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GRASSROOTS_LOG").unwrap_or_else(|_| default_filter.into()),
        )
        .init();
    let mut common = cli.common;
    common.command = cli.command.name();
    let result = run(&common, cli.command).await;
    common.forget_key_reports().await;
    result
}

async fn run(common: &Common, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve::run(common, common.open_store().await?).await,
        Command::Demo { demo_password, no_serve } => {
            let store = common.open_store().await?;
            let summary = demo::load(&*store, &demo_password).await?;
            println!("{summary}");
            println!("{}", demo::bulletins(store.clone()).await.context("generating demo bulletins")?);
            if no_serve {
                return Ok(());
            }
            println!(
                "grassroots: http://{}/  (API: http://{}/api/v1, docs: http://{}/api/docs)",
                common.listen, common.listen, common.listen
            );
            serve::run(common, store).await
        }
        Command::Backup { output } => backup::backup(common, &output).await,
        Command::Restore { input } => backup::restore(common, &input).await,
        Command::Migrate => {
            common.open_store().await?;
            println!("migrations applied to {}", redact(&common.database_url()));
            Ok(())
        }
        Command::Import { command: ImportCommand::Regions { files } } => {
            import::regions(&*common.open_store().await?, &files).await
        }
        Command::Import { command: ImportCommand::Boundaries { file } } => {
            import::boundaries(&*common.open_store().await?, &file).await
        }
        Command::Import { command: ImportCommand::Grids { file, synthetic } } => {
            import::grids(&*common.open_store().await?, &file, synthetic).await
        }
        Command::Import { command: ImportCommand::Responsibilities { file } } => {
            import::responsibilities(&*common.open_platform().await?, &file).await
        }
        Command::Import { command: ImportCommand::Services { file } } => {
            import::services(&*common.open_platform().await?, &file).await
        }
        Command::Import { command: ImportCommand::Cases { file, mapping, format, skip_invalid, indexes } } => {
            import::cases::cases(
                common.open_store().await?,
                import::cases::Options { file, mapping, format, skip_invalid, indexes },
            )
            .await
        }
        Command::Export { command: ExportCommand::Cases { format, state, category, region, from, to, output } } => {
            export::cases(
                &*common.open_store().await?,
                export::Options { format, state, category, region, from, to, output },
            )
            .await
        }
        Command::Apikey { command } => apikey(&*common.open_platform().await?, command).await,
        Command::Webhook { command } => webhook(&*common.open_platform().await?, command).await,
        Command::Audit { command } => audit::run(&*common.open_platform().await?, command).await,
        Command::Keys { command } => data_keys::run(common, command).await,
        Command::Model { command } => model::run(&*common.open_platform().await?, command).await,
        Command::Search { command } => search::run(common, &*common.open_platform().await?, command).await,
        Command::Rollups { command } => rollups::run(&*common.open_store().await?, command).await,
        Command::Warnings { command } => warnings::run(&*common.open_platform().await?, command).await,
        Command::Vote { command } => votes::run(&*common.open_platform().await?, command).await,
        Command::Report(args) => report::run(&*common.open_platform().await?, args).await,
        Command::Calendar { command: CalendarCommand::Import { file } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let days = grassroots_domain::calendar::parse_calendar_csv(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            grassroots_app::reference::replace_calendar(&*common.open_platform().await?, &days)
                .await
                .map_err(refused)?;
            println!("calendar replaced: {} days", days.len());
            Ok(())
        }
        Command::User { command: UserCommand::Add { username, role, scope, display_name, password, phone } } => {
            let form =
                AccountForm { username, display_name, role, scope, password: Some(password), disabled: None, phone };
            let user = accounts::save(&*common.open_platform().await?, None, form).await.map_err(refused)?;
            println!("user {} ({}, {}) saved", user.username, user.role.as_str(), user.scope.to_spec());
            Ok(())
        }
    }
}

/// A use case's refusal as the command line reports it: the field and the reason in both
/// languages.
fn refused(e: AppError) -> anyhow::Error {
    match e.field() {
        Some(field) => anyhow::anyhow!("--{}: {}", field.replace('_', "-"), e.text()),
        None => anyhow::anyhow!("{}", e.text()),
    }
}

async fn apikey(platform: &Platform, command: ApikeyCommand) -> anyhow::Result<()> {
    match command {
        ApikeyCommand::Create { name, read_only, region } => {
            let issued = keys::issue(platform, KeyRequest { name, read_only, region }).await.map_err(refused)?;
            println!("key {} for {} created; keep it, it is not shown again:", issued.key.id, issued.key.name);
            println!("{}", issued.secret);
        }
        ApikeyCommand::List => {
            for k in platform.store.api_keys().await? {
                let state = k.revoked_at.map_or("active".to_string(), |t| format!("revoked {t}"));
                let may = if k.may_post { "post+read" } else { "read" };
                let region = k.region.as_deref().unwrap_or("everywhere");
                println!("{}  {}  {may}  {region}  created {}  {state}", k.id, k.name, k.created_at);
            }
        }
        ApikeyCommand::Revoke { id } => {
            keys::revoke(platform, id).await.map_err(refused).with_context(|| format!("key {id}"))?;
            println!("key {id} revoked");
        }
    }
    Ok(())
}

async fn webhook(platform: &Platform, command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Add { name, url, events } => {
            let done = webhooks::subscribe(platform, &name, &url, &events.join(",")).await.map_err(refused)?;
            println!(
                "webhook {} for {} subscribed; its signing secret, not shown again:",
                done.webhook.id, done.webhook.url
            );
            println!("{}", done.secret);
        }
        WebhookCommand::List => {
            for hook in platform.store.webhooks().await? {
                let waiting = platform.store.undelivered(&hook.id.to_string()).await?;
                let state = hook.disabled_at.map_or("active".to_string(), |t| format!("stopped {t}"));
                let topics = if hook.topics.is_empty() { "all events".into() } else { hook.topics.join(",") };
                println!("{}  {}  {}  {topics}  {state}  {waiting} waiting", hook.id, hook.name, hook.url);
            }
        }
        WebhookCommand::Disable { id } => {
            webhooks::stop(platform, id).await.map_err(refused).with_context(|| format!("webhook {id}"))?;
            println!("webhook {id} stopped");
        }
        WebhookCommand::Log { id, limit } => {
            for a in platform.store.delivery_attempts(&id.to_string(), limit).await? {
                let status = a.status.map_or("-".to_string(), |s| s.to_string());
                let outcome = a.error.unwrap_or_else(|| "delivered".into());
                println!("{}  {}  {}  {status}  {outcome}  {} ms", a.at, a.topic, a.event_id, a.duration_ms);
            }
        }
    }
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}
