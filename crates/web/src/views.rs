//! How cases look in the API's answers: to staff (every fact of the case named here, masked
//! personal data, the actions open to them) and to residents (state and timeline in plain
//! words, nothing personal). The fields are the API's own: a change in the domain's record
//! reaches clients only through these structs, and the document is generated from them.

use chrono::{DateTime, Utc};
use grassroots_app::track::Tracked;
use grassroots_domain::case::{Evaluation, PendingExtension, Place};
use grassroots_domain::workflow::{open_actions, CaseEvent, EventKind, MoveContext, EVENT_LABELS};
use grassroots_domain::{Actor, CaseRecord, CaseState, Channel, DueStatus, MoveKind, Priority, RequestType};
use grassroots_store::{MaskedReporter, Reference};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Label {
    pub zh: String,
    pub en: String,
}

/// A case as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffCase {
    pub id: Uuid,
    /// 受理编号.
    pub tracking_no: String,
    pub state: CaseState,
    /// The state's Chinese name.
    pub state_label: &'static str,
    pub category_code: String,
    pub category: Option<Label>,
    pub request_type: RequestType,
    pub priority: Priority,
    pub channel: Channel,
    pub description: String,
    pub place: Place,
    pub received_at: DateTime<Utc>,
    /// When the current deadlines started running: receipt, or the last reopening.
    pub clock_started_at: DateTime<Utc>,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    pub due_status: DueStatus,
    pub lead_unit: Option<String>,
    pub lead_unit_name: Option<String>,
    /// Co-handling units (协办).
    pub co_units: Vec<String>,
    pub first_dispatched_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    /// The first contact with the resident in the current round.
    pub first_contact_at: Option<DateTime<Utc>>,
    /// Whether the very first contact came before the response deadline.
    pub responded_on_time: Option<bool>,
    pub handled_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub reject_reason: Option<String>,
    pub merged_into: Option<Uuid>,
    pub pending_extension: Option<PendingExtension>,
    /// Closed by the grid worker who found the problem (就地解决).
    pub resolved_on_spot: bool,
    pub return_count: u32,
    pub reopen_count: u32,
    pub supervision_count: u32,
    pub escalated: bool,
    pub evaluation: Option<Evaluation>,
    /// The number of events applied: a move answers with the new one.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// Masked; revealed only through the audited reveal.
    pub reporter: MaskedReporter,
    /// The moves this caller may make now.
    pub actions: Vec<MoveKind>,
    /// Before dispatch: the unit the responsibility matrix names, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<SuggestedUnit>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestedUnit {
    pub unit: String,
    pub unit_name: String,
    pub why: Label,
}

pub fn staff_case(
    r: &CaseRecord,
    reporter: &MaskedReporter,
    actor: &Actor,
    ctx: &MoveContext,
    reference: &Reference,
) -> StaffCase {
    StaffCase {
        id: r.id,
        tracking_no: r.tracking_no.clone(),
        state: r.state,
        state_label: r.state.label_zh(),
        category_code: r.category_code.clone(),
        category: reference
            .taxonomy
            .get(&r.category_code)
            .map(|c| Label { zh: c.name_zh.clone(), en: c.name_en.clone() }),
        request_type: r.request_type,
        priority: r.priority,
        channel: r.channel,
        description: r.description.clone(),
        place: r.place.clone(),
        received_at: r.received_at,
        clock_started_at: r.clock_started_at,
        response_due: r.response_due,
        resolve_due: r.resolve_due,
        due_status: r.due_status,
        lead_unit: r.lead_unit.clone(),
        lead_unit_name: r.lead_unit.as_deref().and_then(|u| reference.unit(u)).map(|u| u.name_zh.clone()),
        co_units: r.co_units.clone(),
        first_dispatched_at: r.first_dispatched_at,
        dispatched_at: r.dispatched_at,
        first_contact_at: r.first_contact_at,
        responded_on_time: r.responded_on_time,
        handled_at: r.handled_at,
        closed_at: r.closed_at,
        result: r.result.clone(),
        reject_reason: r.reject_reason.clone(),
        merged_into: r.merged_into,
        pending_extension: r.pending_extension.clone(),
        resolved_on_spot: r.resolved_on_spot,
        return_count: r.return_count,
        reopen_count: r.reopen_count,
        supervision_count: r.supervision_count,
        escalated: r.escalated,
        evaluation: r.evaluation.clone(),
        version: r.version,
        updated_at: r.updated_at,
        reporter: reporter.clone(),
        actions: open_actions(r, actor, ctx),
        suggestion: matches!(r.state, CaseState::Received | CaseState::Registered)
            .then(|| reference.suggest(&r.category_code, &r.place))
            .flatten()
            .map(|s| SuggestedUnit {
                unit: s.unit.id.clone(),
                unit_name: s.unit.name_zh.clone(),
                why: Label { zh: s.why_zh, en: s.why_en },
            }),
    }
}

/// An event of a case's history, as staff read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: Uuid,
    pub case_id: Uuid,
    /// Its place in the case's history, from 1.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// `dispatcher`, `resident`, `system`, `api_key`, …
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// What happened: `kind` names it (`received`, `dispatched`, …) beside what it carries.
    #[schema(schema_with = event_kind_schema)]
    pub kind: EventKind,
}

impl From<&CaseEvent> for Event {
    fn from(e: &CaseEvent) -> Self {
        Self {
            id: e.id,
            case_id: e.case_id,
            seq: e.seq,
            at: e.at,
            actor_kind: e.actor_kind.clone(),
            actor_id: e.actor_id,
            kind: e.kind.clone(),
        }
    }
}

/// An event's body: an object whose `kind` is one of the domain's event names.
fn event_kind_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let names: Vec<&str> = EVENT_LABELS.iter().map(|(name, _, _)| *name).collect();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("kind", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)))
        .required("kind")
        .description(Some("The event and what it carries (its fields depend on the kind)"))
        .build()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub zh: String,
    pub en: String,
}

/// What a resident sees of their case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResidentCase {
    pub tracking_no: String,
    pub state: CaseState,
    pub state_label: &'static str,
    pub category: Option<Label>,
    /// What the resident wrote (personal data typed into it masked).
    pub description: String,
    /// Where, as the resident gave it.
    pub address: Option<String>,
    /// The photos sent with the case.
    pub photos: Vec<Uuid>,
    pub received_at: DateTime<Utc>,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    pub result: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub evaluation: Option<Evaluation>,
    pub can_evaluate: bool,
    /// The case is open: the resident may add information or photos to it.
    pub can_add: bool,
    /// For a request merged into another about the same problem: how that one is going.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled_with: Option<MergedProgress>,
}

/// The progress of the case a request was merged into, without anything of its reporter.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MergedProgress {
    pub state: CaseState,
    pub state_label: &'static str,
    pub resolve_due: DateTime<Utc>,
    pub result: Option<String>,
}

impl From<&CaseRecord> for MergedProgress {
    fn from(target: &CaseRecord) -> Self {
        Self {
            state: target.state,
            state_label: target.state.label_zh(),
            resolve_due: target.resolve_due,
            result: target.result.clone(),
        }
    }
}

pub fn resident_case(tracked: &Tracked, reference: &Reference) -> ResidentCase {
    let (record, events) = (&tracked.detail.record, &tracked.detail.events);
    let evaluated_this_round = record.evaluation.as_ref().is_some_and(|e| e.round == record.reopen_count);
    ResidentCase {
        tracking_no: record.tracking_no.clone(),
        state: record.state,
        state_label: record.state.label_zh(),
        category: reference
            .taxonomy
            .get(&record.category_code)
            .map(|c| Label { zh: c.name_zh.clone(), en: c.name_en.clone() }),
        description: record.description.clone(),
        address: record.place.address.clone(),
        photos: tracked.photos.iter().map(|p| p.id).collect(),
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
        can_evaluate: record.state == CaseState::Closed && !evaluated_this_round,
        can_add: MoveKind::Supplement.rule().from.contains(&record.state),
        handled_with: tracked.merged_into.as_ref().map(MergedProgress::from),
    }
}
