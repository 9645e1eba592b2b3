//! How cases look in JSON: to staff (masked personal data, the actions open to them) and to
//! residents (state and timeline in plain words, nothing personal).

use chrono::{DateTime, Utc};
use grassroots_domain::workflow::{open_actions, CaseEvent, MoveContext};
use grassroots_domain::{Actor, CaseRecord, CaseState};
use grassroots_store::{MaskedReporter, Reference};
use serde::Serialize;

#[derive(Serialize)]
pub struct Label {
    pub zh: String,
    pub en: String,
}

#[derive(Serialize)]
pub struct StaffCase<'a> {
    #[serde(flatten)]
    pub record: &'a CaseRecord,
    pub state_label: &'static str,
    pub category: Option<Label>,
    pub lead_unit_name: Option<String>,
    /// Masked; revealed only through the audited reveal.
    pub reporter: &'a MaskedReporter,
    /// The moves this caller may make now.
    pub actions: Vec<grassroots_domain::MoveKind>,
    /// Before dispatch: the unit the responsibility matrix names, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<SuggestedUnit>,
}

#[derive(Serialize)]
pub struct SuggestedUnit {
    pub unit: String,
    pub unit_name: String,
    pub why: Label,
}

pub fn staff_case<'a>(
    record: &'a CaseRecord,
    reporter: &'a MaskedReporter,
    actor: &Actor,
    ctx: &MoveContext,
    reference: &Reference,
) -> StaffCase<'a> {
    StaffCase {
        record,
        state_label: record.state.label_zh(),
        category: reference
            .taxonomy
            .get(&record.category_code)
            .map(|c| Label { zh: c.name_zh.clone(), en: c.name_en.clone() }),
        lead_unit_name: record.lead_unit.as_deref().and_then(|u| reference.unit(u)).map(|u| u.name_zh.clone()),
        reporter,
        actions: open_actions(record, actor, ctx),
        suggestion: matches!(record.state, CaseState::Received | CaseState::Registered)
            .then(|| reference.suggest(&record.category_code, &record.place))
            .flatten()
            .map(|s| SuggestedUnit {
                unit: s.unit.id.clone(),
                unit_name: s.unit.name_zh.clone(),
                why: Label { zh: s.why_zh, en: s.why_en },
            }),
    }
}

#[derive(Serialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub zh: String,
    pub en: String,
}

/// What a resident sees of their case.
#[derive(Serialize)]
pub struct ResidentCase {
    pub tracking_no: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub category: Option<Label>,
    pub received_at: DateTime<Utc>,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    pub result: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub evaluation: Option<grassroots_domain::case::Evaluation>,
    pub can_evaluate: bool,
    /// For a request merged into another about the same problem: how that one is going.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled_with: Option<MergedProgress>,
}

/// The progress of the case a request was merged into, without anything of its reporter.
#[derive(Serialize)]
pub struct MergedProgress {
    pub state: &'static str,
    pub state_label: &'static str,
    pub resolve_due: DateTime<Utc>,
    pub result: Option<String>,
}

impl From<&CaseRecord> for MergedProgress {
    fn from(target: &CaseRecord) -> Self {
        Self {
            state: target.state.as_str(),
            state_label: target.state.label_zh(),
            resolve_due: target.resolve_due,
            result: target.result.clone(),
        }
    }
}

pub fn resident_case(
    record: &CaseRecord,
    events: &[CaseEvent],
    merged_into: Option<&CaseRecord>,
    reference: &Reference,
) -> ResidentCase {
    let evaluated_this_round = record.evaluation.as_ref().is_some_and(|e| e.round == record.reopen_count);
    ResidentCase {
        tracking_no: record.tracking_no.clone(),
        state: record.state.as_str(),
        state_label: record.state.label_zh(),
        category: reference
            .taxonomy
            .get(&record.category_code)
            .map(|c| Label { zh: c.name_zh.clone(), en: c.name_en.clone() }),
        received_at: record.received_at,
        response_due: record.response_due,
        resolve_due: record.resolve_due,
        result: record.result.clone(),
        timeline: events
            .iter()
            .filter_map(|e| {
                e.kind.public_summary().map(|(zh, en)| TimelineEntry { at: e.at, kind: e.kind.name(), zh, en })
            })
            .collect(),
        evaluation: record.evaluation.clone(),
        can_evaluate: record.state == grassroots_domain::CaseState::Closed && !evaluated_this_round,
        handled_with: merged_into.map(MergedProgress::from),
    }
}
