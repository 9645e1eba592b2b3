//! Rotation of the data key while servers run (`grassroots keys rotate`), and the watcher that
//! lets every process follow it without a restart.
//!
//! The order makes it safe with any number of processes: a new key is first staged (it opens
//! only) until every running process holds it; then it seals and the old key only opens, until
//! no process seals with the old key; then every sealed value is re-sealed in batches, pass
//! after pass until a pass finds nothing to do; only then is the old key dropped. Each step is
//! written to the key file before it takes effect and read back from it, so a rotation cut off
//! anywhere is taken up again by running the command again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use grassroots_store::crypto::{DataKey, KeyError, KeyHolding, KeyId, KeySource, Keyring, RotationPhase};
use grassroots_store::keys::{KeyHolder, ResealCursor, RotationRecord};
use grassroots_store::{KeyStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the data key comes from GRASSROOTS_SECRET_KEY: a rotation writes the key file (secret.key in the data directory); \
         move the key there, unset the variable, and run again"
    )]
    NotAFile,
    #[error(
        "gave up waiting after {waited_secs} s for {waiting_for}; still not there: {}. \
         Those processes read another key file or GRASSROOTS_SECRET_KEY: give them this key file, or stop them, \
         and run `grassroots keys rotate` again to go on from here",
        lagging.join(", ")
    )]
    Lagging { waiting_for: &'static str, lagging: Vec<String>, waited_secs: u64 },
    #[error("values sealed under the old key kept appearing after {passes} re-sealing passes; the old key is kept")]
    StillSealingWithOldKey { passes: usize },
}

/// Reloads the key file and reports the keys this process holds, for rotations to wait on.
#[derive(Debug, Clone)]
pub struct KeyWatcher {
    /// `host:pid:command:…`, unique per process.
    pub instance: String,
    source: KeySource,
    every: Duration,
}

impl KeyWatcher {
    pub fn new(source: KeySource, command: &str, every: Duration) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "host".into());
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let instance = format!("{host}:{}:{command}:{}", std::process::id(), &unique[unique.len() - 6..]);
        Self { instance, source, every: every.max(Duration::from_secs(1)) }
    }

    pub fn key_file(&self) -> Option<&Path> {
        match &self.source {
            KeySource::File(path) => Some(path),
            KeySource::Environment => None,
        }
    }

    /// Reads the key file again, puts its keys in service if they changed, and reports what
    /// this process holds. A key file that does not parse, or whose tag key changed, is
    /// refused and the keys in service are kept.
    pub async fn check(&self, store: &dyn KeyStore) -> Result<Option<KeyHolding>, RotationError> {
        let mut changed = None;
        if let Some(path) = self.key_file() {
            let ring = Keyring::read(path)?;
            if store.install_keys(&ring)? {
                changed = Some(store.key_holding());
            }
        }
        let now = Utc::now();
        let lapse = chrono::Duration::from_std(self.every * 3).unwrap_or(chrono::Duration::minutes(1));
        store.report_keys(&self.instance, now, now + lapse).await?;
        Ok(changed)
    }

    /// Checks every `every` until the process ends.
    pub async fn run(self, store: std::sync::Arc<dyn KeyStore>) {
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.check(&*store).await {
                Ok(Some(holding)) => {
                    let opening: Vec<String> = holding.opening.iter().map(ToString::to_string).collect();
                    tracing::info!(sealing = %holding.sealing, opening = %opening.join(" "), "data keys reloaded")
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "checking the key file; the keys in service are kept"),
            }
        }
    }

    /// Withdraws this process's report (it is stopping).
    pub async fn forget(&self, store: &dyn KeyStore) -> Result<(), StoreError> {
        store.forget_key_holder(&self.instance).await
    }
}

/// How a rotation paces itself.
#[derive(Debug, Clone)]
pub struct RotationOptions {
    /// Rows of sealed values per transaction.
    pub batch: i64,
    /// How long to wait for every process to take up a step before giving up.
    pub wait: Duration,
    /// How often to look again while waiting.
    pub poll: Duration,
}

impl Default for RotationOptions {
    fn default() -> Self {
        Self { batch: 200, wait: Duration::from_secs(600), poll: Duration::from_millis(500) }
    }
}

/// What a rotation is doing, for the command to show.
#[derive(Debug)]
pub enum RotationProgress<'a> {
    /// Staged a new key (or found one staged).
    Staged { key: &'a KeyId },
    /// Waiting for these processes to take up the step.
    Waiting { waiting_for: &'static str, lagging: &'a [KeyHolder] },
    /// The new key seals; the old one opens only.
    Switched { sealing: &'a KeyId, retiring: &'a KeyId },
    /// A batch of a re-sealing pass is done.
    Resealed { pass: usize, examined: usize, resealed: usize },
}

/// What a finished rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    pub sealing: KeyId,
    pub retired: KeyId,
    /// Sealed values read over every pass.
    pub examined: usize,
    /// Values sealed again under the new key.
    pub resealed: usize,
    pub passes: usize,
}

/// The least pause between two batches of re-sealing.
const MIN_PAUSE: Duration = Duration::from_millis(10);

/// A rotation could not finish with values still under the old key after this many passes.
const MAX_PASSES: usize = 5;

/// Rotates the data key of the key file `watcher` reads, or takes up a rotation cut off earlier.
pub async fn rotate(
    store: &dyn KeyStore,
    watcher: &KeyWatcher,
    options: &RotationOptions,
    mut progress: impl FnMut(RotationProgress<'_>),
) -> Result<RotationReport, RotationError> {
    let path: PathBuf = watcher.key_file().ok_or(RotationError::NotAFile)?.to_path_buf();
    let mut ring = Keyring::read(&path)?;
    watcher.check(store).await?;
    if ring.phase() == RotationPhase::Settled {
        ring = ring.stage(DataKey::generate());
        ring.write(&path)?;
        watcher.check(store).await?;
        let key = ring.incoming_id().expect("a staged ring has an incoming key");
        store.record_key_rotation(&RotationRecord::Staged { key: key.clone() }, Utc::now()).await?;
    }
    if ring.phase() == RotationPhase::Staged {
        let next = ring.incoming_id().expect("a staged ring has an incoming key");
        progress(RotationProgress::Staged { key: &next });
        wait_for(store, options, "every process to hold the new key", |h| h.opening.contains(&next), &mut progress)
            .await?;
        ring = ring.switch();
        ring.write(&path)?;
        watcher.check(store).await?;
        let (sealing, retiring) = (ring.sealing_id(), ring.outgoing_id().expect("a switched ring has an outgoing key"));
        store.record_key_rotation(&RotationRecord::Switched { sealing, retiring }, Utc::now()).await?;
    }
    let sealing = ring.sealing_id();
    let retiring = ring.outgoing_id().expect("a ring being re-sealed has an outgoing key");
    progress(RotationProgress::Switched { sealing: &sealing, retiring: &retiring });
    wait_for(store, options, "no process to seal with the old key", |h| h.sealing == sealing, &mut progress).await?;
    // A request or import batch that sealed a value just before its process switched may still
    // be committing: give it the time a process takes to see a change, and passes repeat anyway.
    tokio::time::sleep(watcher.every).await;

    let (mut examined, mut resealed, mut passes) = (0, 0, 0);
    loop {
        passes += 1;
        let mut found = 0;
        let mut cursor = Some(ResealCursor::start());
        while let Some(from) = cursor {
            let began = Instant::now();
            let batch = store.reseal(&from, options.batch).await?;
            // As long again for everyone else: the servers' writes must not queue behind a
            // rotation (on SQLite a writer waiting for another process's lock polls for it).
            tokio::time::sleep(began.elapsed().max(MIN_PAUSE)).await;
            examined += batch.examined;
            found += batch.resealed;
            progress(RotationProgress::Resealed { pass: passes, examined: batch.examined, resealed: batch.resealed });
            cursor = batch.next;
        }
        resealed += found;
        if found == 0 {
            break;
        }
        if passes == MAX_PASSES {
            return Err(RotationError::StillSealingWithOldKey { passes });
        }
    }
    ring = ring.retire();
    ring.write(&path)?;
    watcher.check(store).await?;
    store.record_key_rotation(&RotationRecord::Retired { retired: retiring.clone(), resealed }, Utc::now()).await?;
    Ok(RotationReport { sealing, retired: retiring, examined, resealed, passes })
}

/// Waits until every running process's keys pass `ready`.
async fn wait_for(
    store: &dyn KeyStore,
    options: &RotationOptions,
    waiting_for: &'static str,
    ready: impl Fn(&KeyHolding) -> bool,
    progress: &mut impl FnMut(RotationProgress<'_>),
) -> Result<(), RotationError> {
    let began = Instant::now();
    loop {
        let lagging: Vec<KeyHolder> =
            store.key_holders(Utc::now()).await?.into_iter().filter(|h| !ready(&h.holding)).collect();
        if lagging.is_empty() {
            return Ok(());
        }
        if began.elapsed() >= options.wait {
            return Err(RotationError::Lagging {
                waiting_for,
                lagging: lagging.into_iter().map(|h| h.instance).collect(),
                waited_secs: began.elapsed().as_secs(),
            });
        }
        progress(RotationProgress::Waiting { waiting_for, lagging: &lagging });
        tokio::time::sleep(options.poll).await;
    }
}
