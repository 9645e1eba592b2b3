//! The use cases of grassroots: what the web pages, the JSON API, Open311, the command line
//! and imports do, each rule of a use case written once. A use case takes the [`Platform`]
//! (the store and what is cached of it) and who acts, checks the input whole, asks the domain
//! to decide, and has the store keep the result. Interfaces turn their input into the use
//! case's and its [`AppError`] into their own answer.

pub mod accountability;
pub mod accounts;
pub mod audit;
pub mod bulletins;
pub mod burden;
pub mod care;
pub mod cases;
pub mod charity;
pub mod classify;
pub mod deliberation;
pub mod disputes;
pub mod duplicates;
pub mod duty;
pub mod emergencies;
mod error;
pub mod fields;
pub mod helpers;
pub mod households;
pub mod intake;
pub mod keys;
pub mod limits;
pub mod meetings;
pub mod needs;
pub mod oversight;
pub mod party;
pub mod passwords;
pub mod patrol;
mod places;
pub mod privacy;
pub mod projects;
pub mod property;
pub mod public;
pub mod reference;
pub mod residents;
pub mod rotation;
pub mod search;
pub mod services;
pub mod support;
pub mod surveys;
pub mod throttle;
pub mod track;
pub mod visits;
pub mod votes;
pub mod warnings;
pub mod webhooks;
pub mod workforce;

use std::sync::{Arc, RwLock};

use grassroots_domain::workflow::MoveContext;
use grassroots_geo::atlas::Atlas;
use grassroots_geo::placement::Placer;
use grassroots_store::{Reference, Store, StoreError};

pub use error::{AppError, Result, Text};

/// Refused with the capability's reason unless the staff member's role has it.
pub(crate) fn require(staff: &grassroots_store::User, capability: grassroots_domain::Capability) -> Result<()> {
    match staff.role.may(capability) {
        true => Ok(()),
        false => Err(AppError::lacks(capability)),
    }
}

/// Refused, saying why, unless the staff member's role runs residents' participation.
pub(crate) fn may_run_participation(staff: &grassroots_store::User) -> Result<()> {
    require(staff, grassroots_domain::Capability::RunParticipation)
}

/// The places a staff member's lists cover: their regions, a grid worker's communities, or
/// everywhere.
pub(crate) fn staff_places(staff: &grassroots_store::User) -> grassroots_store::PlaceFilter {
    use grassroots_store::PlaceFilter;
    staff.scope.place_prefixes().map_or(PlaceFilter::Everywhere, PlaceFilter::Within)
}

/// Who reads or moves what a resident and staff both act on (a need, an application): staff,
/// or a signed-in resident.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    Staff(&'a grassroots_store::User),
    Resident(&'a grassroots_store::residents::Resident),
}

pub use limits::{Limiter, RateLimit};
pub use passwords::PasswordLimits;

/// Rules of the closed loop that a deployment may set.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long after dispatch a unit may return a case.
    pub return_window: chrono::Duration,
    pub max_extension_days: u32,
    /// How long a staff session lasts.
    pub session_ttl: chrono::Duration,
    /// How many password checks run and wait at once.
    pub passwords: PasswordLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            return_window: chrono::Duration::hours(24),
            max_extension_days: 15,
            session_ttl: chrono::Duration::hours(12),
            passwords: PasswordLimits::for_this_machine(),
        }
    }
}

/// Ten tries at a tracking number's query code from one client, then one a minute: a
/// resident who mistypes is not hindered.
const QUERY_CODE_ATTEMPTS: RateLimit = RateLimit { per_minute: 1, burst: 10 };
/// A hundred tries at a number from anywhere, then twenty a minute: guessing a 6-digit code
/// from many addresses at once takes weeks, and locking its resident out takes a sustained
/// attack rather than ten mistakes.
const QUERY_CODE_ATTEMPTS_PER_NUMBER: RateLimit = RateLimit { per_minute: 20, burst: 100 };

/// The store, the settings, and what is kept in memory of the store: the reference data the
/// rules need and the places reports are placed by. One per process.
pub struct Platform {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    reference: RwLock<Arc<Reference>>,
    places: RwLock<places::Places>,
    /// Attempts at a tracking number's query code, per number and client, and per number.
    code_attempts: Limiter<(String, std::net::IpAddr)>,
    code_attempts_per_number: Limiter<String>,
    /// Password checks, bounded in memory.
    pub passwords: passwords::PasswordWork,
    /// Failed log-ins per account and address.
    logins: throttle::LoginThrottle,
    /// Public cases per community and category, as last counted.
    public_groups: public::GroupCache,
    /// The model that proposes a category from a request's words.
    /// None: the model trained on the project's corpus, trained when first needed.
    classifier: RwLock<Option<Arc<classify::Classifier>>>,
    /// The side index of what was written about cases, once opened (`search::open`).
    search: RwLock<Option<Arc<grassroots_search::SearchIndex>>>,
    /// The words of danger that make a report urgent, as last loaded.
    danger_words: RwLock<Arc<Vec<grassroots_domain::warnings::DangerWord>>>,
    /// Group complaints' warnings waiting to be raised in one commit.
    group_warnings: Arc<warnings::RaisedTogether>,
    /// Where texts that cannot wait in the queue go (sign-in codes); by default the
    /// development sink below.
    texter: RwLock<Arc<dyn residents::Texter>>,
    /// The development sink, kept for reading even when a provider took its place.
    development_texts: Arc<residents::DevelopmentTexts>,
    /// Work a request starts and does not wait for before answering (group complaints'
    /// warnings), kept track of so that a stopping server waits for it.
    after_answer: tokio_util::task::TaskTracker,
}

/// A tracker closed from the start: it only counts the tasks it was given, and `wait` returns
/// whenever none is running, for any number of waiters (closing it later would race them).
fn closed_tracker() -> tokio_util::task::TaskTracker {
    let tracker = tokio_util::task::TaskTracker::new();
    tracker.close();
    tracker
}

impl Platform {
    pub async fn new(store: Arc<dyn Store>, settings: Settings) -> Result<Arc<Self>, StoreError> {
        let reference = store.reference().await?;
        let places = places::load(&*store).await?;
        let danger_words = warnings::danger_words_or_defaults(&*store).await?;
        let development_texts = Arc::new(residents::DevelopmentTexts::default());
        let platform = Arc::new(Self {
            store,
            reference: RwLock::new(Arc::new(reference)),
            places: RwLock::new(places),
            code_attempts: Limiter::new(QUERY_CODE_ATTEMPTS),
            code_attempts_per_number: Limiter::new(QUERY_CODE_ATTEMPTS_PER_NUMBER),
            passwords: passwords::PasswordWork::new(settings.passwords),
            logins: throttle::LoginThrottle::default(),
            public_groups: public::GroupCache::default(),
            classifier: RwLock::new(None),
            search: RwLock::new(None),
            danger_words: RwLock::new(Arc::new(danger_words)),
            group_warnings: Arc::default(),
            after_answer: closed_tracker(),
            texter: RwLock::new(development_texts.clone()),
            development_texts,
            settings,
        });
        classify::follow(&platform).await?;
        Ok(platform)
    }

    /// Sends texts that cannot wait (sign-in codes) through `texter`, an SMS provider.
    pub fn send_texts_through(&self, texter: Arc<dyn residents::Texter>) {
        *self.texter.write().unwrap_or_else(|e| e.into_inner()) = texter;
    }

    pub(crate) fn texter(&self) -> Arc<dyn residents::Texter> {
        self.texter.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The texts the development sink took, newest last.
    pub fn development_texts(&self) -> Vec<residents::SinkText> {
        self.development_texts.texts()
    }

    /// Waits until none of the work requests started after answering them is running.
    pub async fn settled(&self) {
        self.after_answer.wait().await;
    }

    /// The classifier in service, as last loaded.
    pub fn classifier(&self) -> Arc<classify::Classifier> {
        self.classifier.read().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_else(classify::builtin)
    }

    /// The version of the classifier in service (none: the corpus's), without training it.
    pub fn classifier_version(&self) -> Option<i64> {
        self.classifier.read().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(|c| c.version)
    }

    pub(crate) fn set_classifier(&self, classifier: Option<Arc<classify::Classifier>>) {
        *self.classifier.write().unwrap_or_else(|e| e.into_inner()) = classifier;
    }

    /// The search index, if this process opened one.
    pub fn search_index(&self) -> Option<Arc<grassroots_search::SearchIndex>> {
        self.search.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_search_index(&self, index: Arc<grassroots_search::SearchIndex>) {
        *self.search.write().unwrap_or_else(|e| e.into_inner()) = Some(index);
    }

    /// The words of danger that make a report urgent.
    pub fn danger_words(&self) -> Arc<Vec<grassroots_domain::warnings::DangerWord>> {
        self.danger_words.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_danger_words(&self, words: Vec<grassroots_domain::warnings::DangerWord>) {
        *self.danger_words.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(words);
    }

    /// Taxonomy, calendar, units and the responsibility matrix as last loaded.
    pub fn reference(&self) -> Arc<Reference> {
        self.reference.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads the reference data after it changed (here or, within a minute, elsewhere).
    pub async fn refresh_reference(&self) -> Result<(), StoreError> {
        let fresh = Arc::new(self.store.reference().await?);
        *self.reference.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        self.set_danger_words(self.store.danger_words().await?);
        Ok(())
    }

    pub fn placer(&self) -> Arc<Placer> {
        self.places.read().unwrap_or_else(|e| e.into_inner()).placer.clone()
    }

    pub fn atlas(&self) -> Arc<Atlas> {
        self.places.read().unwrap_or_else(|e| e.into_inner()).atlas.clone()
    }

    /// Rebuilds the placement index when grids, boundaries or regions have changed.
    /// Returns whether it did.
    pub async fn refresh_places(&self) -> Result<bool, StoreError> {
        let stamp = self.store.grids_stamp().await?;
        if self.places.read().unwrap_or_else(|e| e.into_inner()).stamp == stamp {
            return Ok(false);
        }
        let fresh = places::load(&*self.store).await?;
        *self.places.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(true)
    }

    /// The platform's own moves on a new case, committed with it (`NewCase::then`).
    pub fn follow_up(&self, moves: Vec<grassroots_domain::workflow::Move>) -> grassroots_store::FollowUp {
        grassroots_store::FollowUp {
            moves,
            reference: self.reference(),
            return_window: self.settings.return_window,
            max_extension_days: self.settings.max_extension_days,
        }
    }

    /// The clock and policy a move is decided with.
    pub fn move_context<'a>(&self, reference: &'a Reference, now: chrono::DateTime<chrono::Utc>) -> MoveContext<'a> {
        MoveContext {
            now,
            calendar: &reference.calendar,
            taxonomy: &reference.taxonomy,
            return_window: self.settings.return_window,
            max_extension_days: self.settings.max_extension_days,
        }
    }
}
