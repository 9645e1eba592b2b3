//! 重复件: the open cases a report may repeat, judged on facets (`domain::duplicates`) and
//! ranked, for a dispatcher to merge in one action; at intake, the likeliest one is kept as a
//! suggested merge; several callers on one matter are told as a group complaint.

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::decisions::{Decision, DecisionKind};
use grassroots_domain::duplicates::{judge, Read, Report, Verdict};
use grassroots_domain::{CaseRecord, Scope};
use grassroots_store::duplicates::{Candidate, Probe};
use grassroots_store::User;
use uuid::Uuid;

use crate::{Platform, Result};

/// How far back a report may repeat another.
const WINDOW_DAYS: i64 = 30;
/// Cases read at most to judge, each way (near the point, in the community without a point,
/// the caller's).
const SCANNED: usize = 30;
/// How far from a report's point to look: an outage reported far apart can be one matter.
const RADIUS_M: f64 = 600.0;
/// Suggestions shown at most.
const SHOWN: usize = 5;
/// Reports of one matter from which it is a group complaint (群体诉求).
pub(crate) const GROUP_FROM: usize = 3;

/// An open case a report may repeat, and why.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub case: Candidate,
    pub verdict: Verdict,
}

/// What a report is, for the comparison.
pub struct Reported<'a> {
    pub description: &'a str,
    pub category: &'a str,
    pub place: &'a Place,
    pub received_at: DateTime<Utc>,
    pub caller: Option<&'a str>,
}

fn as_report<'a>(r: &'a Reported<'a>) -> Report<'a> {
    Report {
        text: r.description,
        category: r.category,
        point: r.place.lat.zip(r.place.lng),
        community: r.place.community_code.as_deref(),
        address: r.place.address.as_deref(),
        received_at: r.received_at,
        caller: r.caller,
    }
}

/// The open cases within `scope` the report is judged to repeat, surest first.
async fn matching(platform: &Platform, scope: &Scope, id: Uuid, reported: &Reported<'_>) -> Result<Vec<Suggestion>> {
    let probe = Probe {
        category_code: reported.category,
        place: reported.place,
        caller: reported.caller,
        since: reported.received_at - Duration::days(WINDOW_DAYS),
        radius_m: RADIUS_M,
    };
    let candidates = platform.store.duplicate_candidates(scope, id, &probe, SCANNED).await?;
    let me = Read::of(as_report(reported));
    let mut found: Vec<Suggestion> = candidates
        .into_iter()
        .filter_map(|case| {
            let other = Reported {
                description: &case.description,
                category: &case.category_code,
                place: &case.place,
                received_at: case.received_at,
                caller: case.caller.as_deref(),
            };
            let verdict = judge(&me, &Read::of(as_report(&other)));
            verdict.same_matter.then_some(Suggestion { case, verdict })
        })
        .collect();
    found.sort_by(|a, b| b.verdict.score.total_cmp(&a.verdict.score));
    Ok(found)
}

/// The open cases a case may repeat, surest first.
#[derive(Debug, Clone)]
pub struct Suggestions {
    pub cases: Vec<Suggestion>,
    /// Reports judged to be of this matter, this one included.
    pub reports: usize,
    /// So many that it is a group complaint (群体诉求).
    pub group: bool,
}

/// The open cases within the reader's scope that a case (already read within it) may repeat,
/// surest first, each with its reasons, and whether the reports make a group complaint.
pub async fn suggest(platform: &Platform, user: &User, record: &CaseRecord) -> Result<Suggestions> {
    let caller = platform.store.caller_of(record.id).await?;
    let reported = Reported {
        description: &record.description,
        category: &record.category_code,
        place: &record.place,
        received_at: record.received_at,
        caller: caller.as_deref(),
    };
    let mut cases = matching(platform, &user.scope, record.id, &reported).await?;
    let reports = cases.len() + 1;
    cases.truncate(SHOWN);
    Ok(Suggestions { cases, reports, group: reports >= GROUP_FROM })
}

/// At intake: the case a new report most likely repeats, as a decision kept with it (the
/// dispatcher merges or goes on; either way it is counted).
pub(crate) async fn suspected(platform: &Platform, reported: &Reported<'_>) -> Option<Decision> {
    let found = match matching(platform, &Scope::All, Uuid::nil(), reported).await {
        Ok(found) => found,
        Err(e) => {
            // A report is never refused for want of a suggestion.
            tracing::warn!(error = %e, "looking for the case a report repeats");
            return None;
        }
    };
    let best = found.into_iter().next()?;
    let mut reasons = vec![format!("受理编号 {}", best.case.tracking_no)];
    reasons.extend(best.verdict.reasons.iter().filter(|r| r.for_same).map(|r| r.zh.clone()));
    Some(Decision {
        kind: DecisionKind::MergeSuggested,
        category_code: best.case.category_code.clone(),
        unit_id: None,
        confidence: None,
        reasons,
        model_version: None,
        target_case: Some(best.case.id),
    })
}
