//! 风险预警: the warnings raised by the scan (surges against the same weekday of the four weeks
//! before, repeated callers, cases reopened after a bad evaluation) and at intake (words of
//! danger: the case is made urgent at once and the warning waits at the top of the street's
//! queue); people see them, act on them or dismiss them with a reason; the words of danger kept
//! by administrators.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc};
use grassroots_domain::calendar::beijing;
use grassroots_domain::case::Place;
use grassroots_domain::warnings::{
    dangers_in, default_danger_words, surge, DangerKind, DangerWord, WarningKind, WarningState, REPEATED_CALLER_FROM,
};
use grassroots_domain::{Capability, Priority, RegionLevel, Scope};
use grassroots_store::warnings::{NewWarning, WarnedCase, Warning, WindowCount, DANGER_KEY};
use grassroots_store::{CreatedCase, NewCase, Store, StoreError, User};
use uuid::Uuid;

use crate::{AppError, Platform, Result, Text};

/// The weeks before a window that its baseline is the mean of.
const BASELINE_WEEKS: i64 = 4;
/// How far back repeated callers are counted.
const CALLER_WINDOW_DAYS: i64 = 30;
/// How far back the scan looks for reopened cases and for dangers not warned of (it runs far
/// more often).
const REOPENED_WINDOW_DAYS: i64 = 2;

/// The words of danger the store keeps; an empty list is given the defaults.
pub(crate) async fn danger_words_or_defaults(store: &dyn Store) -> Result<Vec<DangerWord>, StoreError> {
    let words = store.danger_words().await?;
    if !words.is_empty() {
        return Ok(words);
    }
    let defaults = default_danger_words();
    store.set_danger_words(&defaults, &grassroots_domain::Actor::System, Utc::now()).await?;
    Ok(defaults)
}

/// At intake: the words of danger a report holds; if any, it is made urgent, and what its
/// warning needs is returned.
pub(crate) fn mark_danger(platform: &Platform, new: &mut NewCase) -> Option<Reported> {
    let words = platform.danger_words();
    let found: Vec<DangerWord> = dangers_in(&new.description, &words).into_iter().cloned().collect();
    if found.is_empty() {
        return None;
    }
    if new.priority == Priority::Normal {
        new.priority = Priority::Urgent;
    }
    Some(Reported {
        place: new.place.clone(),
        category_code: new.category_code.clone(),
        received_at: new.received_at,
        found,
    })
}

/// What a dangerous report's warning says of it, kept before the report is stored.
pub(crate) struct Reported {
    pub place: Place,
    pub category_code: String,
    pub received_at: DateTime<Utc>,
    pub found: Vec<DangerWord>,
}

/// After intake: the warning of a dangerous report, for the street's dispatchers, texted to
/// those on duty (see `duty::who_to_tell`) in the warning's transaction. Whether it was raised
/// now (not before, nor lost).
pub(crate) async fn warn_of_danger(platform: &Platform, reported: &Reported, case: Uuid, tracking_no: &str) -> bool {
    let place = &reported.place;
    let tell = match crate::duty::who_to_tell(platform, place.street_code.as_deref(), reported.received_at).await {
        Ok(tell) => tell,
        Err(e) => {
            tracing::error!(error = %e, case = %tracking_no, "who is on duty could not be read: nobody is texted");
            Vec::new()
        }
    };
    let warning = NewWarning {
        words: reported.found.iter().map(|w| w.word.clone()).collect(),
        tell,
        ..at_place(
            WarningKind::Danger,
            format!("{DANGER_KEY}{case}"),
            place,
            &reported.category_code,
            case,
            reported.received_at,
        )
    };
    match platform.store.raise_warning(&warning).await {
        Ok(raised) => {
            tracing::warn!(case = %tracking_no, words = ?warning.words, street = ?place.street_code, texted = warning.tell.len(), "danger in a report: made urgent, the street's dispatchers warned");
            raised
        }
        // The case is kept and urgent; the scan reads it again (`dangers_missed`).
        Err(e) => {
            tracing::error!(error = %e, case = %tracking_no, "the warning of a dangerous report was not kept");
            false
        }
    }
}

/// The reports a group complaint's warning names at most, the first by receipt.
const GROUP_NAMED: usize = 50;

/// After intake, for a report suggested as a repeat of `target`: once the matter has
/// `GROUP_FROM` reports (a group complaint, or a copy-paste flood), a warning at the target's
/// place naming them (the first `GROUP_NAMED`), raised once per matter: each later report
/// tries again, so a warning lost to a failed write (or to a server stopped before it was
/// written) is raised by the next one.
///
/// Checked and raised after the report is answered: the resident's tracking number does not
/// wait for the matter's other reports to be read, nor for the warning's commit, which queues
/// behind intake's batches for SQLite's one writer. In a flood that wait was a fifth of each
/// answer's time.
pub(crate) fn warn_of_group(platform: &Platform, target: Uuid, created: &CreatedCase, at: DateTime<Utc>) {
    let (store, together, tracking_no) =
        (platform.store.clone(), platform.group_warnings.clone(), created.tracking_no.clone());
    platform.after_answer.spawn(async move { raise_group(&*store, &together, target, &tracking_no, at).await });
}

async fn raise_group(store: &dyn Store, together: &RaisedTogether, target: Uuid, tracking_no: &str, at: DateTime<Utc>) {
    let key = format!("group:{target}");
    let raised = async {
        // A flood's later reports find the matter warned of already, by reading alone.
        if store.warning_raised(&key).await? {
            return Ok(None);
        }
        let repeats = store.suspected_repeats(target, GROUP_NAMED).await?;
        if repeats.count + 1 < crate::duplicates::GROUP_FROM as i64 {
            return Ok(None);
        }
        let Some(case) = store.case_record(target).await? else { return Ok(None) };
        let warning = NewWarning {
            count: Some(repeats.count + 1),
            words: std::iter::once(case.tracking_no.clone()).chain(repeats.tracking_nos).collect(),
            ..at_place(WarningKind::Group, key.clone(), &case.place, &case.category_code, target, at)
        };
        Ok::<_, StoreError>(Some(together.raise(store, warning).await))
    };
    match raised.await {
        Ok(Some(Raised::Now { reports })) => {
            tracing::warn!(case = %tracking_no, ?reports, "a group complaint: many reports of one matter")
        }
        Ok(None | Some(Raised::Before)) => {}
        // The report is kept; the case page still counts the matter's reports, and the
        // matter's next report tries again.
        Ok(Some(Raised::NotKept(error))) => {
            tracing::error!(%error, case = %tracking_no, "the warning of a group complaint was not kept")
        }
        Err(e) => {
            tracing::error!(error = %e, case = %tracking_no, "the warning of a group complaint was not kept")
        }
    }
}

/// What became of a warning handed to [`RaisedTogether`].
enum Raised {
    Now {
        reports: Option<i64>,
    },
    /// Its key was raised before (by a report of the same matter in the same commit, say).
    Before,
    /// Its commit failed, for this reason.
    NotKept(String),
}

/// Group complaints' warnings, raised together: the report that finds no commit of them under
/// way writes every warning waiting, in one commit, and the reports that arrive meanwhile wait
/// for the next. A commit each would queue one per matter for SQLite's one writer, ahead of
/// intake's batches.
#[derive(Default)]
pub(crate) struct RaisedTogether {
    waiting: std::sync::Mutex<Waiting>,
    writing: tokio::sync::Mutex<()>,
}

/// Warnings waiting for a commit, each with where to say what became of it.
type Waiting = Vec<(NewWarning, tokio::sync::oneshot::Sender<Raised>)>;

impl RaisedTogether {
    /// The list is only pushed to and taken whole, so a panic elsewhere cannot leave it half made.
    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn raise(&self, store: &dyn Store, warning: NewWarning) -> Raised {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.waiting().push((warning, reply));
        {
            let _turn = self.writing.lock().await;
            let batch = std::mem::take(&mut *self.waiting());
            if !batch.is_empty() {
                let (warnings, replies): (Vec<NewWarning>, Vec<_>) = batch.into_iter().unzip();
                let raised = store.raise_warnings(&warnings).await.map_err(|e| e.to_string());
                for (i, (warning, reply)) in warnings.into_iter().zip(replies).enumerate() {
                    let outcome = match raised.as_ref().map(|raised| raised.get(i).copied()) {
                        Ok(Some(true)) => Raised::Now { reports: warning.count },
                        Ok(Some(false)) => Raised::Before,
                        Ok(None) => Raised::NotKept("the store answered for fewer warnings".into()),
                        Err(e) => Raised::NotKept(e.clone()),
                    };
                    let _ = reply.send(outcome);
                }
            }
        }
        // Dropped unanswered only if the report that wrote it went away mid-commit.
        answer.await.unwrap_or_else(|_| Raised::NotKept("its commit was abandoned".into()))
    }
}

/// What one scan raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scanned {
    pub surges: usize,
    pub callers: usize,
    pub reopened: usize,
    /// Warnings of danger not kept at intake, raised late.
    pub dangers: usize,
    /// Grids where people in care wait for a visit overdue (once a week per grid).
    pub care: usize,
}

/// Looks for surges, repeated callers, reopened cases and dangers whose warning was not kept at
/// intake as of `now`, raising each warning once.
#[tracing::instrument(skip_all)]
pub async fn scan(platform: &Platform, now: DateTime<Utc>) -> Result<Scanned> {
    let mut scanned = Scanned::default();
    for warning in surges(platform, now).await? {
        scanned.surges += usize::from(platform.store.raise_warning(&warning).await?);
    }
    let since = now - Duration::days(CALLER_WINDOW_DAYS);
    let cases = platform.store.repeated_callers(since, i64::from(REPEATED_CALLER_FROM)).await?;
    let mut by_caller: BTreeMap<String, Vec<WarnedCase>> = BTreeMap::new();
    for case in cases {
        by_caller.entry(case.caller.clone().unwrap_or_default()).or_default().push(case);
    }
    for calls in by_caller.values() {
        let Some(latest) = calls.last() else { continue };
        let mut warning = about(WarningKind::RepeatedCaller, format!("caller:{}", latest.id), latest, now);
        warning.count = Some(calls.len() as i64);
        warning.words = calls.iter().map(|c| c.tracking_no.clone()).collect();
        scanned.callers += usize::from(platform.store.raise_warning(&warning).await?);
    }
    for case in platform.store.reopened_since(now - Duration::days(REOPENED_WINDOW_DAYS)).await? {
        let warning = about(WarningKind::Reopened, format!("reopened:{}", case.id), &case, now);
        scanned.reopened += usize::from(platform.store.raise_warning(&warning).await?);
    }
    scanned.dangers = dangers_missed(platform, now).await?;
    scanned.care = care_missed(platform, now).await?;
    Ok(scanned)
}

/// Grids whose people in care wait for a visit past its day: a warning per grid and ISO week,
/// saying how many wait (never who).
async fn care_missed(platform: &Platform, now: DateTime<Utc>) -> Result<usize> {
    let today = grassroots_domain::calendar::beijing_day(now);
    let week = today.iso_week();
    let mut raised = 0;
    for grid in platform.store.grid_care(&Scope::All, None, today).await? {
        if grid.missed == 0 {
            continue;
        }
        let prefix = |level: RegionLevel| grid.grid_code.get(..level.digits()).map(str::to_string);
        let warning = NewWarning {
            kind: WarningKind::CareMissed,
            key: format!("care:{}:{}-W{:02}", grid.grid_code, week.year(), week.week()),
            district_code: prefix(RegionLevel::County),
            street_code: prefix(RegionLevel::Township),
            community_code: prefix(RegionLevel::Community),
            grid_code: Some(grid.grid_code.clone()),
            category_code: None,
            case_id: None,
            count: Some(grid.missed),
            baseline: None,
            words: Vec::new(),
            raised_at: now,
            tell: Vec::new(),
        };
        raised += usize::from(platform.store.raise_warning(&warning).await?);
    }
    Ok(raised)
}

/// Urgent cases of the last days holding words of danger but no warning of it (its write failed
/// after the case was kept): warned of, and texted to those on duty, late rather than never.
async fn dangers_missed(platform: &Platform, now: DateTime<Utc>) -> Result<usize> {
    let words = platform.danger_words();
    let mut raised = 0;
    for missed in platform.store.unwarned_urgent(now - Duration::days(REOPENED_WINDOW_DAYS)).await? {
        let found: Vec<DangerWord> = dangers_in(&missed.description, &words).into_iter().cloned().collect();
        if found.is_empty() {
            continue;
        }
        let case = &missed.case;
        let reported = Reported {
            place: case.place(),
            category_code: case.category_code.clone(),
            received_at: missed.received_at,
            found,
        };
        raised += usize::from(warn_of_danger(platform, &reported, case.id, &case.tracking_no).await);
    }
    Ok(raised)
}

/// How early surges are warned of on the store's history: the clusters (ten reports of one
/// community and category within 24 hours), how many the surge rule warned of before they
/// reached ten, how long before, and the warnings with no cluster after them.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTimes {
    pub clusters: usize,
    pub warned: usize,
    /// Hours between the warning and the tenth report, per cluster warned of, shortest first.
    pub lead_hours: Vec<f64>,
    pub false_alarms: usize,
}

impl LeadTimes {
    pub fn median_hours(&self) -> Option<f64> {
        let n = self.lead_hours.len();
        (n > 0).then(|| {
            if n % 2 == 1 {
                self.lead_hours[n / 2]
            } else {
                (self.lead_hours[n / 2 - 1] + self.lead_hours[n / 2]) / 2.0
            }
        })
    }
}

/// Replays the surge rule over the cases received in [from, to) (and the four weeks before,
/// for the baselines).
pub async fn lead_times(platform: &Platform, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<LeadTimes> {
    let districts: Vec<String> = platform.atlas().served_districts().map(|d| d.code.as_str().to_string()).collect();
    let receipts = platform.store.receipts(&districts, from - Duration::weeks(BASELINE_WEEKS), to).await?;
    let mut series: BTreeMap<(String, String), Vec<DateTime<Utc>>> = BTreeMap::new();
    for r in receipts {
        series.entry((r.community_code, r.category_code)).or_default().push(r.received_at);
    }
    let mut found = LeadTimes { clusters: 0, warned: 0, lead_hours: Vec::new(), false_alarms: 0 };
    for times in series.values() {
        let replayed = grassroots_domain::warnings::replay(times);
        found.false_alarms += replayed.false_alarms;
        for episode in replayed.episodes.iter().filter(|e| e.reached_at >= from) {
            found.clusters += 1;
            if let Some(warned) = episode.warned_at {
                found.warned += 1;
                found.lead_hours.push((episode.reached_at - warned).num_minutes() as f64 / 60.0);
            }
        }
    }
    found.lead_hours.sort_by(|a, b| a.total_cmp(b));
    Ok(found)
}

/// A warning about a case, at its place; each kind adds its counts, words and whom to tell.
fn at_place(
    kind: WarningKind,
    key: String,
    place: &Place,
    category: &str,
    case: Uuid,
    at: DateTime<Utc>,
) -> NewWarning {
    NewWarning {
        kind,
        key,
        district_code: place.district_code.clone(),
        street_code: place.street_code.clone(),
        community_code: place.community_code.clone(),
        grid_code: place.grid_code.clone(),
        category_code: Some(category.to_string()),
        case_id: Some(case),
        count: None,
        baseline: None,
        words: Vec::new(),
        raised_at: at,
        tell: Vec::new(),
    }
}

fn about(kind: WarningKind, key: String, case: &WarnedCase, now: DateTime<Utc>) -> NewWarning {
    NewWarning {
        words: vec![case.tracking_no.clone()],
        ..at_place(kind, key, &case.place(), &case.category_code, case.id, now)
    }
}

/// A place a surge is counted at: a community or a grid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Spot {
    community: Option<String>,
    grid: Option<String>,
    street: Option<String>,
    category: String,
}

fn spots(counts: &[WindowCount]) -> HashMap<Spot, i64> {
    let mut by_spot: HashMap<Spot, i64> = HashMap::new();
    for c in counts {
        // Each count goes to its community and, when it has one, to its grid.
        for grid in std::iter::once(None).chain(c.grid_code.clone().map(Some)) {
            let spot = Spot {
                community: c.community_code.clone(),
                grid,
                street: c.street_code.clone(),
                category: c.category_code.clone(),
            };
            *by_spot.entry(spot).or_default() += c.count;
        }
    }
    by_spot.retain(|spot, _| spot.community.is_some());
    by_spot
}

/// The last 24 hours against the same 24 hours of each of the four weeks before, per
/// community and per grid, and category.
async fn surges(platform: &Platform, now: DateTime<Utc>) -> Result<Vec<NewWarning>> {
    let districts: Vec<String> = platform.atlas().served_districts().map(|d| d.code.as_str().to_string()).collect();
    let window = |weeks_back: i64| {
        let to = now - Duration::weeks(weeks_back);
        (to - Duration::hours(24), to)
    };
    let (from, to) = window(0);
    let current = spots(&platform.store.window_counts(&districts, from, to).await?);
    let mut previous = Vec::new();
    for week in 1..=BASELINE_WEEKS {
        let (from, to) = window(week);
        previous.push(spots(&platform.store.window_counts(&districts, from, to).await?));
    }
    let day = now.with_timezone(&beijing()).format("%Y-%m-%d").to_string();
    let mut warnings = Vec::new();
    for (spot, count) in current {
        let before: Vec<u32> = previous.iter().map(|p| p.get(&spot).copied().unwrap_or(0) as u32).collect();
        let Some(found) = surge(count as u32, &before) else { continue };
        let place = spot.grid.as_deref().or(spot.community.as_deref()).unwrap_or_default();
        warnings.push(NewWarning {
            kind: WarningKind::Surge,
            key: format!("surge:{place}:{}:{day}", spot.category),
            district_code: spot.community.as_deref().and_then(|c| c.get(..6)).map(str::to_string),
            street_code: spot.street.clone(),
            community_code: spot.community.clone(),
            grid_code: spot.grid.clone(),
            category_code: Some(spot.category.clone()),
            case_id: None,
            count: Some(i64::from(found.count)),
            baseline: Some(found.baseline),
            words: Vec::new(),
            raised_at: now,
            tell: Vec::new(),
        });
    }
    warnings.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(warnings)
}

/// The warnings within the user's scope in these states (none: all), newest first.
pub async fn list(platform: &Platform, user: &User, states: &[WarningState]) -> Result<Vec<Warning>> {
    crate::cases::require_case_work(user)?;
    Ok(platform.store.warnings(&user.scope, states, 200).await?)
}

/// Moves a warning: seen, acted on, or dismissed (with a reason).
pub async fn move_warning(
    platform: &Platform,
    user: &User,
    id: Uuid,
    to: WarningState,
    reason: Option<&str>,
) -> Result<Warning> {
    crate::cases::require_case_work(user)?;
    let reason = reason.map(grassroots_domain::text::trimmed).filter(|r| !r.is_empty());
    if to == WarningState::Dismissed && reason.is_none() {
        return Err(AppError::invalid("reason", "排除预警须说明理由", "say why the warning is dismissed"));
    }
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::invalid("reason", "理由最多500字", "at most 500 characters"));
    }
    let warning = platform.store.warning(&user.scope, id).await?.ok_or(AppError::NotFound)?;
    let allowed = match to {
        WarningState::New => false,
        WarningState::Seen => warning.state == WarningState::New,
        WarningState::Acted | WarningState::Dismissed => warning.state.is_open(),
    };
    if !allowed {
        return Err(AppError::Conflict(Text::new(
            format!("预警已是“{}”，不能改为“{}”", warning.state.label_zh(), to.label_zh()),
            format!("the warning is {}: it cannot become {}", warning.state.label_en(), to.label_en()),
        )));
    }
    Ok(platform.store.set_warning_state(&user.scope, id, to, &user.actor(), reason, Utc::now()).await?)
}

/// Replaces the words of danger with those of `lines` (`word kind` a line; the kind's code or
/// label), checked whole.
pub async fn set_danger_words(platform: &Platform, user: &User, lines: &str) -> Result<Vec<DangerWord>> {
    if !user.role.may(Capability::Administer) {
        return Err(AppError::lacks(Capability::Administer));
    }
    let mut words = Vec::new();
    for (n, line) in lines.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let (word, kind) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let kind = DangerKind::parse_code_or_label(kind).ok_or_else(|| {
            AppError::invalid(
                "words",
                format!("第{}行：类型应为 life、violence、gathering、petition 或 building", n + 1),
                format!("line {}: the kind is life, violence, gathering, petition or building", n + 1),
            )
        })?;
        let word = DangerWord::new(word, kind).map_err(|e| {
            AppError::invalid(
                "words",
                format!("第{}行：{}", n + 1, e.reason_zh),
                format!("line {}: {}", n + 1, e.reason_en),
            )
        })?;
        words.push(word);
    }
    keep_danger_words(platform, user, words, "words").await
}

/// Adds a word of danger, or gives one already kept another kind.
pub async fn put_danger_word(platform: &Platform, user: &User, word: &str, kind: &str) -> Result<Vec<DangerWord>> {
    if !user.role.may(Capability::Administer) {
        return Err(AppError::lacks(Capability::Administer));
    }
    let kind = DangerKind::parse_code_or_label(kind.trim()).ok_or_else(|| {
        AppError::invalid(
            "kind",
            "类型应为 life、violence、gathering、petition 或 building",
            "the kind is life, violence, gathering, petition or building",
        )
    })?;
    let word = DangerWord::new(word, kind)?;
    // Edited from the store's list: another server's edit of the last minute is kept.
    let mut words = danger_words_or_defaults(&*platform.store).await?;
    match words.iter_mut().find(|w| w.word == word.word) {
        Some(kept) => kept.kind = word.kind,
        None => words.push(word),
    }
    keep_danger_words(platform, user, words, "word").await
}

/// Takes a word of danger off the list; the last one stays.
pub async fn remove_danger_word(platform: &Platform, user: &User, word: &str) -> Result<Vec<DangerWord>> {
    if !user.role.may(Capability::Administer) {
        return Err(AppError::lacks(Capability::Administer));
    }
    let mut words = danger_words_or_defaults(&*platform.store).await?;
    let before = words.len();
    words.retain(|w| w.word != word.trim());
    if words.len() == before {
        return Err(AppError::NotFound);
    }
    keep_danger_words(platform, user, words, "word").await
}

async fn keep_danger_words(
    platform: &Platform,
    user: &User,
    words: Vec<DangerWord>,
    field: &'static str,
) -> Result<Vec<DangerWord>> {
    if words.is_empty() {
        return Err(AppError::invalid(field, "至少需要一个预警词", "at least one word"));
    }
    platform.store.set_danger_words(&words, &user.actor(), Utc::now()).await?;
    platform.set_danger_words(words.clone());
    Ok(words)
}
