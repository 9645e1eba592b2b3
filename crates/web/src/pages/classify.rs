//! What the platform reads in reports, on the pages: on the report forms, the categories a
//! description suggests, shown under the category list as the resident or operator types (a
//! fragment the script asks for), each with its confidence and the words that decided it;
//! choosing one sets the list (without the script, a report sent without a category is sorted
//! by the platform on submission). On the case page, what the platform decided by itself, and
//! the open cases the case may repeat, with the reasons and a button to merge it into one.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use serde::Deserialize;

use grassroots_domain::decisions::DecisionKind;

use super::work::local_time;
use super::{category_name, unit_name, Lang};
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::AppState;

/// The proposals shown at most.
const SHOWN: usize = 3;
/// Proposals less likely than this are not worth a resident's attention.
const SHOWN_FROM: f64 = 0.05;
/// Fewer characters than this say too little to propose from.
const FEWEST_CHARACTERS: usize = 4;

/// A category proposed for what was typed.
pub struct ProposalLine {
    pub code: String,
    pub name: String,
    pub percent: u32,
    /// The words that decided it, joined.
    pub reasons: String,
}

/// The categories the description suggests, most likely first; none for a description too
/// short to say.
pub fn proposal_lines(state: &AppState, description: &str, lang: &Lang) -> Vec<ProposalLine> {
    if description.trim().chars().count() < FEWEST_CHARACTERS {
        return Vec::new();
    }
    let reference = state.reference();
    grassroots_app::classify::propose(state, description, None)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.confidence >= SHOWN_FROM)
        .take(SHOWN)
        .map(|p| ProposalLine {
            name: category_name(&reference, &p.category_code, lang),
            percent: (p.confidence * 100.0).round() as u32,
            reasons: p.reasons.join(lang.t("、", ", ")),
            code: p.category_code,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "category_proposals.html")]
struct ProposalsFragment {
    lang: Lang,
    proposals: Vec<ProposalLine>,
}

#[derive(Deserialize)]
pub struct DescriptionForm {
    description: String,
}

/// `POST /report/categories`: the proposals for a description, as the fragment the forms show.
pub async fn proposals(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    ApiForm(form): ApiForm<DescriptionForm>,
) -> Result<Html<String>, ApiError> {
    let proposals = proposal_lines(&state, &form.description, &lang);
    Ok(Html(ProposalsFragment { lang, proposals }.render()?))
}

/// A decision the platform made about a case, as the case page says it.
pub struct MachineLine {
    pub at: String,
    pub kind: String,
    /// What was decided: the category (with the confidence) or the unit.
    pub what: String,
    pub reasons: String,
    pub outcome: String,
}

/// The decisions the platform made about a case, oldest first.
pub async fn machine_lines(state: &AppState, case_id: uuid::Uuid, lang: &Lang) -> Result<Vec<MachineLine>, ApiError> {
    let reference = state.reference();
    let decisions = grassroots_app::classify::decisions_on(state, case_id).await?;
    Ok(decisions
        .into_iter()
        .map(|(d, outcome)| {
            let decision = &d.decision;
            let category = category_name(&reference, &decision.category_code, lang);
            let confidence = decision.confidence.map(|c| format!(" ({:.0}%)", c * 100.0)).unwrap_or_default();
            let what = match decision.kind {
                DecisionKind::CategoryApplied | DecisionKind::CategoryProposed | DecisionKind::MergeSuggested => {
                    format!("{category}{confidence}")
                }
                DecisionKind::Dispatched => {
                    unit_name(&reference, decision.unit_id.as_deref().unwrap_or_default(), lang)
                }
            };
            MachineLine {
                at: local_time(d.made_at),
                kind: lang.t(decision.kind.label_zh(), decision.kind.label_en()).to_string(),
                what,
                reasons: decision.reasons.join(lang.t("、", ", ")),
                outcome: lang.t(outcome.label_zh(), outcome.label_en()).to_string(),
            }
        })
        .collect())
}

/// An open case the case may repeat, as the case page lists it.
pub struct DuplicateLine {
    pub id: String,
    pub tracking_no: String,
    pub category: String,
    pub state: String,
    pub received: String,
    /// What speaks for one matter, and what against.
    pub for_same: String,
    pub against: String,
}

/// The open cases a case may repeat, surest first, and whether they make a group complaint
/// (with how many reports).
pub async fn duplicate_lines(
    state: &AppState,
    user: &grassroots_store::User,
    record: &grassroots_domain::CaseRecord,
    lang: &Lang,
) -> Result<(Vec<DuplicateLine>, Option<usize>), ApiError> {
    let reference = state.reference();
    let found = grassroots_app::duplicates::suggest(state, user, record).await?;
    let joined = |for_same: bool, v: &grassroots_domain::duplicates::Verdict| {
        let words: Vec<&str> =
            v.reasons.iter().filter(|r| r.for_same == for_same).map(|r| lang.t(&r.zh, &r.en)).collect();
        words.join(lang.t("；", "; "))
    };
    let lines = found
        .cases
        .iter()
        .map(|s| DuplicateLine {
            id: s.case.id.to_string(),
            tracking_no: s.case.tracking_no.clone(),
            category: category_name(&reference, &s.case.category_code, lang),
            state: lang.t(s.case.state.label_zh(), s.case.state.label_en()).to_string(),
            received: local_time(s.case.received_at),
            for_same: joined(true, &s.verdict),
            against: joined(false, &s.verdict),
        })
        .collect();
    Ok((lines, found.group.then_some(found.reports)))
}
