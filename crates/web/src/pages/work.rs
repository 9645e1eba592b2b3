//! The staff workbench (工作台): the queues of the caller's role with their counts, filters and
//! paging; and the case page — facts, place, deadlines, timeline, photos, the reporter masked
//! with an audited reveal, and the moves this role may make now, each a form asking for what
//! the move needs.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use grassroots_app::AppError;
use grassroots_domain::calendar::beijing;
use grassroots_domain::queue::Queue;
use grassroots_domain::reference::{unit_kind_name, UNIT_KINDS};
use grassroots_domain::region::spoken_name;
use grassroots_domain::workflow::{open_actions, EventKind, Move, MoveKind};
use grassroots_domain::{Capability, CaseRecord, Priority, RegionCode, Role, Satisfaction};
use grassroots_geo::atlas::Atlas;
use grassroots_store::{AttachmentInfo, CaseDetail, CaseFilter, Reference};
use serde::Deserialize;
use serde_json::Value;

use super::{category_name, encode, place_names, see_other, unit_name, Chrome, Lang, FRAGMENT_HEADER};
use crate::api::cases::{category_param, parse_case_id, queue_param};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery, PageForm};
use crate::session::{need, Can, Staff};
use crate::svg::{square_around, Area, Dot, DotKind, Frame, Map};
use crate::AppState;

const PAGE_SIZE: u32 = 50;

pub(super) fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&beijing()).format("%m-%d %H:%M").to_string()
}

/// "3天5小时" left, or how long overdue; and whether it is.
pub fn time_left(due: DateTime<Utc>, now: DateTime<Utc>, lang: &Lang) -> (String, bool) {
    let minutes = (due - now).num_minutes();
    let (d, h, m) = (minutes.abs() / 1440, minutes.abs() % 1440 / 60, minutes.abs() % 60);
    let span = match (d, h) {
        (0, 0) => format!("{m}{}", lang.t("分钟", " min")),
        (0, _) => format!("{h}{}{m}{}", lang.t("小时", " h "), lang.t("分钟", " min")),
        _ => format!("{d}{}{h}{}", lang.t("天", " d "), lang.t("小时", " h")),
    };
    if minutes >= 0 {
        (format!("{}{span}", lang.t("剩余", "")) + lang.t("", " left"), false)
    } else {
        (format!("{}{span}", lang.t("超期", "overdue by ")), true)
    }
}

fn place_line(atlas: &Atlas, record: &CaseRecord, lang: &Lang) -> String {
    let p = &record.place;
    place_names(atlas, &[&p.street_code, &p.community_code, &p.grid_code], lang)
}

// The queues ------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkParams {
    queue: Option<String>,
    /// After dispatching several: how many were dispatched, how many refused and why.
    dispatched: Option<usize>,
    refused: Option<usize>,
    why: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    region: Option<String>,
    text: Option<String>,
    after: Option<String>,
}

/// A choice of a filter: (value, name), and whether it is the one in force.
pub struct FilterOption {
    pub value: String,
    pub name: String,
    pub chosen: bool,
}

/// A filter of the queue: a choice among groups of options.
pub struct Filter {
    pub name: &'static str,
    pub label: String,
    pub groups: Vec<FilterGroup>,
}

/// Options under a heading (a top-level category, a street).
pub struct FilterGroup {
    pub name: String,
    pub options: Vec<FilterOption>,
}

pub struct QueueTab {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

pub struct Row {
    pub id: String,
    pub href: String,
    pub tracking_no: String,
    pub category: String,
    pub place: String,
    pub state: String,
    pub due: String,
    pub overdue: bool,
    pub received: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    lang: Lang,
    chrome: Chrome,
    queue: String,
    queue_label: String,
    tabs: Vec<QueueTab>,
    filters: Vec<Filter>,
    /// Dispatching several cases at once, where the queue is of cases to dispatch.
    batch: Option<Vec<FilterGroup>>,
    /// What dispatching several did.
    batch_done: Option<String>,
    /// Why a filter was set aside.
    refused: Vec<String>,
    text: String,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    intake: bool,
    patrol: bool,
    reminders: Reminders,
}

/// What waits for the staff member beside their queues.
pub struct Reminders {
    /// Decisions of the staff member's places past their deadline and not done.
    pub overdue_decisions: u64,
    /// People in care of the staff member's places whose visit is overdue.
    pub care_missed: i64,
}

/// How many people in care of the staff member's places wait for a visit overdue.
async fn care_missed(state: &AppState, staff: &Staff) -> Result<i64, ApiError> {
    match staff.may(Capability::CareForResidents) {
        true => Ok(grassroots_app::care::grids(state, &staff.user, None).await?.iter().map(|g| g.missed).sum()),
        false => Ok(0),
    }
}

/// How many decisions of the staff member's places are overdue, for those who run participation.
async fn overdue_decisions(state: &AppState, staff: &Staff) -> Result<u64, ApiError> {
    match staff.may(Capability::RunParticipation) {
        true => Ok(grassroots_app::accountability::overdue_count(state, &staff.user).await?),
        false => Ok(0),
    }
}

async fn reminders(state: &AppState, staff: &Staff) -> Result<Reminders, ApiError> {
    let (overdue_decisions, care_missed) =
        tokio::try_join!(overdue_decisions(state, staff), care_missed(state, staff))?;
    Ok(Reminders { overdue_decisions, care_missed })
}

pub async fn queues(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<WorkParams>,
) -> Result<Response, ApiError> {
    if !staff.may(Capability::WorkOnCases) {
        // Leaders work with aggregates.
        return Ok(see_other("/map", None));
    }
    let role = staff.user.role;
    let queue = match p.queue.as_deref() {
        Some(q) => queue_param(&staff, q)?.0,
        None => *Queue::for_role(role).first().ok_or_else(ApiError::not_found)?,
    };
    let (reference, atlas) = (state.reference(), state.atlas());
    let WorkFilters { category, unit, region, region_code, text, refused } =
        read_filters(&p, &reference, &atlas, &lang);
    let after = p.after.as_deref().and_then(|a| uuid::Uuid::parse_str(a).ok());
    let filter = CaseFilter {
        queue: Some((queue, role)),
        category: category.clone(),
        unit: unit.clone(),
        region: region_code,
        text: text.clone(),
        after,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let scope = &staff.user.scope;
    let (page, counts) =
        tokio::try_join!(state.store.list_cases(scope, &filter), state.store.queue_counts(scope, role))?;
    let filters = [("category", &category), ("unit", &unit), ("region", &region), ("text", &text)];
    let href = |q: Queue, after: Option<String>| {
        let mut pairs = vec![("queue", q.as_str().to_string())];
        pairs.extend(filters.iter().filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.clone()))));
        pairs.extend(after.map(|a| ("after", a)));
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!("/work?{}", encode(&pairs))
    };
    let now = Utc::now();
    let tab = |(q, count): &(Queue, i64)| QueueTab {
        label: lang.t(q.label_zh(), q.label_en()).to_string(),
        count: *count,
        href: href(*q, None),
        current: *q == queue,
    };
    let page = WorkPage {
        reminders: reminders(&state, &staff).await?,
        queue: queue.as_str().to_string(),
        queue_label: lang.t(queue.label_zh(), queue.label_en()).to_string(),
        tabs: counts.iter().map(tab).collect(),
        next_href: page.next_cursor.map(|c| href(queue, Some(c.to_string()))),
        first_href: after.map(|_| href(queue, None)),
        rows: page.cases.iter().map(|c| row(&c.record, &reference, &atlas, now, &lang)).collect(),
        batch: (queue == Queue::ToDispatch && MoveKind::Dispatch.rule().roles.contains(&role))
            .then(|| unit_choices(&reference, &lang, None)),
        batch_done: batch_message(&p, &lang),
        filters: vec![
            Filter {
                name: "category",
                label: lang.t("类别", "Category").to_string(),
                groups: category_choices(&reference, &lang, category.as_deref()),
            },
            Filter {
                name: "unit",
                label: lang.t("承办单位", "Unit").to_string(),
                groups: unit_choices(&reference, &lang, unit.as_deref()),
            },
            Filter {
                name: "region",
                label: lang.t("地区", "Area").to_string(),
                groups: region_choices(&atlas, region.as_deref(), &lang),
            },
        ],
        refused,
        text: text.unwrap_or_default(),
        intake: staff.may(Capability::AnswerCalls),
        patrol: staff.may(Capability::ReportOnPatrol),
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?).into_response())
}

/// The queue's filters as asked for; one that names nothing known is set aside, with why.
struct WorkFilters {
    category: Option<String>,
    unit: Option<String>,
    region: Option<String>,
    region_code: Option<RegionCode>,
    text: Option<String>,
    refused: Vec<String>,
}

fn read_filters(p: &WorkParams, reference: &Reference, atlas: &Atlas, lang: &Lang) -> WorkFilters {
    let keep = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let (mut category, mut unit, mut region, text) = (keep(&p.category), keep(&p.unit), keep(&p.region), keep(&p.text));
    let mut refused: Vec<String> = Vec::new();
    let mut refuse = |e: ApiError| refused.push(lang.t(&e.text.zh, &e.text.en).to_string());
    if let Some(Err(e)) = category.as_deref().map(|c| category_param(reference, c)) {
        refuse(e);
        category = None;
    }
    if unit.as_deref().is_some_and(|u| reference.unit(u).is_none()) {
        refuse(ApiError::field("unit", "未知的单位", "unknown unit"));
        unit = None;
    }
    let region_code = match region.as_deref().map(RegionCode::parse).transpose() {
        Ok(Some(code)) if atlas.outline(code.as_str()).is_none() => {
            refuse(ApiError::field("region", format!("未知的地区“{code}”"), format!("unknown area '{code}'")));
            region = None;
            None
        }
        Ok(code) => code,
        Err(e) => {
            refuse(e.into());
            region = None;
            None
        }
    };
    WorkFilters { category, unit, region, region_code, text, refused }
}

/// Dispatches the cases chosen on the workbench to one unit; back to the queue, saying how
/// many went and why any did not.
pub async fn dispatch_chosen(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    lang: Lang,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let ids: Vec<uuid::Uuid> =
        fields.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| uuid::Uuid::parse_str(v.trim()).ok()).collect();
    let (unit, note) = (value("unit").unwrap_or_default(), value("note").filter(|n| !n.is_empty()));
    let back = |pairs: &[(&str, &str)]| {
        let mut all = vec![("queue", Queue::ToDispatch.as_str())];
        all.extend_from_slice(pairs);
        see_other(&format!("/work?{}", encode(&all)), None)
    };
    match grassroots_app::cases::dispatch_many(&state, &staff.user, &ids, &unit, note).await {
        Ok(done) => {
            let refused: Vec<String> =
                done.iter().filter_map(|(_, r)| r.as_ref().err()).map(|e| said(e, &lang)).collect();
            let (dispatched, refused_n) = ((done.len() - refused.len()).to_string(), refused.len().to_string());
            let why = refused.first().cloned().unwrap_or_default();
            Ok(back(&[("dispatched", &dispatched), ("refused", &refused_n), ("why", &why)]))
        }
        Err(e) => Ok(back(&[("dispatched", "0"), ("refused", "0"), ("why", &said(&e, &lang))])),
    }
}

/// Why a use case refused, in the page's language, without the field's name.
fn said(e: &AppError, lang: &Lang) -> String {
    let text = match e {
        AppError::Invalid { reason, .. } => reason.clone(),
        other => other.text(),
    };
    lang.t(&text.zh, &text.en).to_string()
}

/// What dispatching several cases did, as the queue says after it.
fn batch_message(p: &WorkParams, lang: &Lang) -> Option<String> {
    p.dispatched.map(|n| {
        let why = p.why.as_deref().unwrap_or_default();
        match p.refused.unwrap_or(0) {
            0 if n == 0 => format!("{}{why}", lang.t("未派遣：", "Nothing dispatched: ")),
            0 => format!("{} {n} {}", lang.t("已派遣", "Dispatched"), lang.t("件", "cases")),
            refused => format!(
                "{} {n} {}；{refused} {}{why}",
                lang.t("已派遣", "Dispatched"),
                lang.t("件", "cases"),
                lang.t("件未能派遣：", "could not be: ")
            ),
        }
    })
}

/// Categories by top-level group, each group choosable whole.
pub(super) fn category_choices(reference: &Reference, lang: &Lang, chosen: Option<&str>) -> Vec<FilterGroup> {
    let option = |value: String, name: String| FilterOption { chosen: chosen == Some(value.as_str()), value, name };
    super::portal::category_groups(reference, lang)
        .into_iter()
        .map(|g| {
            let mut options = vec![option(g.code.clone(), format!("{}（{}）", g.name, lang.t("全部", "all")))];
            options.extend(g.options.into_iter().filter(|(code, _)| *code != g.code).map(|(v, n)| option(v, n)));
            FilterGroup { name: g.name, options }
        })
        .collect()
}

/// Units by kind, by name; discipline units, which take no cases, left out.
pub(super) fn unit_choices(reference: &Reference, lang: &Lang, chosen: Option<&str>) -> Vec<FilterGroup> {
    let mut groups: Vec<FilterGroup> = Vec::new();
    for kind in UNIT_KINDS.into_iter().filter(|k| grassroots_domain::reference::takes_cases(k)) {
        let mut options: Vec<FilterOption> = reference
            .units
            .iter()
            .filter(|u| u.kind == kind)
            .map(|u| FilterOption {
                value: u.id.clone(),
                name: lang.t(&u.name_zh, &u.name_en).to_string(),
                chosen: chosen == Some(u.id.as_str()),
            })
            .collect();
        options.sort_by(|a, b| a.name.cmp(&b.name));
        if !options.is_empty() {
            let (zh, en) = unit_kind_name(kind);
            groups.push(FilterGroup { name: lang.t(zh, en).to_string(), options });
        }
    }
    groups
}

/// Streets, each with its communities, of the districts served.
pub(super) fn region_choices(atlas: &Atlas, chosen: Option<&str>, lang: &Lang) -> Vec<FilterGroup> {
    let option = |code: &RegionCode, name: String| FilterOption {
        value: code.as_str().to_string(),
        chosen: chosen == Some(code.as_str()),
        name,
    };
    atlas
        .served_districts()
        .flat_map(|d| atlas.children(&d.code))
        .map(|street| {
            let mut options = vec![option(&street.code, lang.place(&street.name))];
            options.extend(
                atlas.children(&street.code).into_iter().map(|c| option(&c.code, lang.place(spoken_name(&c.name)))),
            );
            FilterGroup { name: lang.place(&street.name), options }
        })
        .collect()
}

/// A case as a line of a queue: what, where, and how much time is left.
fn row(r: &CaseRecord, reference: &Reference, atlas: &Atlas, now: DateTime<Utc>, lang: &Lang) -> Row {
    let due = if r.first_contact_at.is_none() && r.state.is_pending() { r.response_due } else { r.resolve_due };
    let (due, overdue) = if r.state.is_pending() { time_left(due, now, lang) } else { (String::new(), false) };
    Row {
        id: r.id.to_string(),
        href: format!("/cases/{}", r.id),
        tracking_no: r.tracking_no.clone(),
        category: category_name(reference, &r.category_code, lang),
        place: place_line(atlas, r, lang),
        state: lang.t(r.state.label_zh(), r.state.label_en()).to_string(),
        due,
        overdue,
        received: local_time(r.received_at),
        description: r.description.chars().take(40).collect(),
    }
}

// The case page ---------------------------------------------------------------------------

/// A field of an action's form.
pub enum Field {
    Text {
        name: &'static str,
        label: String,
        required: bool,
        long: bool,
    },
    Number {
        name: &'static str,
        label: String,
    },
    Choice {
        name: &'static str,
        label: String,
        options: Vec<(String, String)>,
        selected: String,
    },
    /// Several may be chosen (co-handling units).
    Several {
        name: &'static str,
        label: String,
        options: Vec<(String, String)>,
    },
    /// Photos (`photo`), sent with the form as files.
    Photos {
        label: String,
        required: bool,
    },
    /// Yes or no; a required one starts with neither chosen, so that nobody confirms an
    /// outcome by not looking.
    YesNo {
        name: &'static str,
        label: String,
        required: bool,
    },
}

pub struct ActionForm {
    pub action: MoveKind,
    pub label: String,
    pub fields: Vec<Field>,
    /// A hint shown above the form (the dispatch suggestion and its reason).
    pub hint: Option<String>,
    pub error: Option<String>,
    /// What was typed, when the form comes back with an error.
    pub values: Vec<(String, String)>,
    /// A second button doing more in the same step: (its words, the unit it dispatches to).
    pub and_dispatch: Option<(String, String)>,
}

impl ActionForm {
    pub fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Whether `value` was among the choices sent for `name`.
    pub fn chosen(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    /// The form sends files, so it is posted as `multipart/form-data`.
    pub fn takes_photos(&self) -> bool {
        self.fields.iter().any(|f| matches!(f, Field::Photos { .. }))
    }
}

/// The fields of a dispatch or redispatch (lead unit, co-handling units, a note or the
/// reason), the suggested unit chosen for a dispatch, and the suggestion in words.
fn dispatch_fields(
    kind: MoveKind,
    record: &CaseRecord,
    reference: &Reference,
    lang: &Lang,
) -> (Vec<Field>, Option<String>) {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let text = |name, label: String, required| Field::Text { name, label, required, long: true };
    let note = || text("note", t("备注（可选）", "Note (optional)"), false);
    let suggestion = reference.suggest(&record.category_code, &record.place);
    let hint = suggestion.as_ref().map(|s| suggestion_hint(s, lang));
    let units = super::case_unit_options(reference, lang);
    let (selected, last) = match kind {
        MoveKind::Dispatch => (suggestion.map(|s| s.unit.id.clone()).unwrap_or_default(), note()),
        _ => (String::new(), text("reason", t("改派原因", "Reason for redispatch"), true)),
    };
    let fields = vec![
        Field::Choice { name: "unit", label: t("主办单位", "Lead unit"), options: units.clone(), selected },
        Field::Several {
            name: "co_units",
            label: t("协办单位（可选，可多选）", "Co-handling units (optional, several allowed)"),
            options: units,
        },
        last,
    ];
    (fields, hint)
}

/// The dispatch suggestion in words: the unit, and why.
fn suggestion_hint(s: &grassroots_domain::reference::Suggestion<'_>, lang: &Lang) -> String {
    format!(
        "{}：{}（{}）",
        lang.t("建议派往", "Suggested unit"),
        lang.t(&s.unit.name_zh, &s.unit.name_en),
        lang.t(&s.why_zh, &s.why_en)
    )
}

/// The photos of a result: required where the case's category says so (数字城管).
fn result_photos(record: &CaseRecord, reference: &Reference, lang: &Lang) -> Field {
    let required = reference.taxonomy.get(&record.category_code).is_some_and(|c| c.photo_on_handling);
    let label = if required {
        lang.t("处置后的照片（此类问题必须上传）", "Photos of the result (required for this category)")
    } else {
        lang.t("处置后的照片（可选）", "Photos of the result (optional)")
    };
    Field::Photos { label: label.to_string(), required }
}

fn action_form(kind: MoveKind, record: &CaseRecord, reference: &Reference, role: Role, lang: &Lang) -> ActionForm {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let text = |name, label: String, required| Field::Text { name, label, required, long: true };
    let note = || text("note", t("备注（可选）", "Note (optional)"), false);
    let reason = || text("reason", t("原因", "Reason"), true);
    let mut hint = None;
    let fields = match kind {
        MoveKind::Register | MoveKind::ApproveExtension | MoveKind::Close => vec![note()],
        MoveKind::Reclassify => reclassify_fields(record, reference, lang, reason()),
        MoveKind::Reject | MoveKind::Return | MoveKind::RejectExtension | MoveKind::Reopen => vec![reason()],
        MoveKind::Merge => vec![
            Field::Text {
                name: "into",
                label: t("并入的案件（受理编号）", "Merge into the case (tracking number)"),
                required: true,
                long: false,
            },
            text("reason", t("原因（可选）", "Reason (optional)"), false),
        ],
        MoveKind::Dispatch | MoveKind::Redispatch => {
            let (fields, suggested) = dispatch_fields(kind, record, reference, lang);
            hint = suggested;
            fields
        }
        MoveKind::Contact => vec![text("note", t("联系情况", "How the resident was contacted"), true)],
        MoveKind::Supplement => vec![text("text", t("群众来电补充的情况", "What the resident added by phone"), true)],
        MoveKind::RequestExtension => {
            vec![Field::Number { name: "days", label: t("延期工作日数", "Working days more") }, reason()]
        }
        MoveKind::Supervise => vec![
            text("note", t("督办意见", "Supervision note"), true),
            Field::YesNo { name: "escalate", label: t("升级督办", "Escalate"), required: false },
        ],
        MoveKind::ReportHandled => {
            vec![text("result", t("处置结果", "Result"), true), result_photos(record, reference, lang)]
        }
        MoveKind::ResolveOnSpot => vec![text("result", t("处置结果", "Result"), true)],
        MoveKind::Verify => vec![
            Field::YesNo { name: "passed", label: t("核查通过", "Passed"), required: true },
            text("note", t("核查情况", "What was found"), true),
        ],
        MoveKind::Evaluate => vec![
            Field::YesNo {
                name: "resolved",
                label: t("群众认为已解决", "The resident says it is resolved"),
                required: true,
            },
            Field::Choice {
                name: "satisfaction",
                label: t("满意度", "Satisfaction"),
                options: Satisfaction::ALL
                    .iter()
                    .map(|s| (s.as_str().to_string(), lang.t(s.label_zh(), s.label_en()).to_string()))
                    .collect(),
                selected: String::new(),
            },
            text("comment", t("群众意见（可选）", "Comment (optional)"), false),
        ],
        MoveKind::Accept | MoveKind::StartVerification => Vec::new(),
    };
    // Registering, one who may dispatch can send the case to the suggested unit in the same step.
    let and_dispatch = match kind {
        MoveKind::Register if MoveKind::Dispatch.rule().roles.contains(&role) => {
            reference.suggest(&record.category_code, &record.place).map(|s| {
                hint = Some(suggestion_hint(&s, lang));
                let unit = lang.t(&s.unit.name_zh, &s.unit.name_en);
                (format!("{} {unit}", t("立案并派往", "Register and dispatch to")), s.unit.id.clone())
            })
        }
        _ => None,
    };
    let (zh, en) = kind.label();
    ActionForm {
        action: kind,
        label: lang.t(zh, en).to_string(),
        fields,
        hint,
        error: None,
        values: Vec::new(),
        and_dispatch,
    }
}

/// How sure the words must make the model before its category is chosen in the reclassify form
/// (a person still sends it, with a reason).
const PROPOSAL_PRESELECTED_FROM: f64 = 0.6;

/// The category the case's words suggest, said above the reclassify form with the words that
/// decided, and chosen in it when the model is sure enough and the case is filed elsewhere.
fn propose_category(form: &mut ActionForm, state: &AppState, record: &CaseRecord, reference: &Reference, lang: &Lang) {
    let Some(best) = grassroots_app::classify::propose(state, &record.description, Some(&record.place))
        .ok()
        .and_then(|proposals| proposals.into_iter().next())
    else {
        return;
    };
    let name = category_name(reference, &best.category_code, lang);
    let percent = (best.confidence * 100.0).round();
    let reasons = best.reasons.join("、");
    form.hint = Some(if best.category_code == record.category_code {
        format!(
            "{}{name}{}",
            lang.t("智能分类与当前类别一致：", "The words agree with the category: "),
            lang.t("。", ".")
        )
    } else {
        format!(
            "{}{name}（{} {percent}%，{}{reasons}）",
            lang.t("智能分类建议：", "Suggested from the words: "),
            lang.t("可信度", "confidence"),
            lang.t("依据：", "because of: "),
        )
    });
    if best.category_code != record.category_code && best.confidence >= PROPOSAL_PRESELECTED_FROM {
        for field in &mut form.fields {
            if let Field::Choice { name: "category_code", selected, .. } = field {
                *selected = best.category_code.clone();
            }
        }
    }
}

fn reclassify_fields(record: &CaseRecord, reference: &Reference, lang: &Lang, reason: Field) -> Vec<Field> {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    vec![
        Field::Choice {
            name: "category_code",
            label: t("类别", "Category"),
            options: reference
                .taxonomy
                .iter()
                .map(|c| {
                    (c.code.as_str().to_string(), format!("{} {}", c.code.as_str(), lang.t(&c.name_zh, &c.name_en)))
                })
                .collect(),
            selected: record.category_code.clone(),
        },
        Field::Choice {
            name: "priority",
            label: t("紧急程度", "Priority"),
            options: Priority::ALL
                .iter()
                .map(|p| (p.as_str().to_string(), lang.t(p.label_zh(), p.label_en()).to_string()))
                .collect(),
            selected: record.priority.as_str().to_string(),
        },
        reason,
    ]
}

/// The values of a posted action form, by field name; empty fields count as not given.
struct Posted<'a>(&'a [(String, String)]);

impl Posted<'_> {
    fn optional(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string())
    }

    fn text(&self, name: &str) -> String {
        self.optional(name).unwrap_or_default()
    }

    fn yes(&self, name: &str) -> bool {
        self.optional(name).is_some_and(|v| matches!(v.as_str(), "yes" | "true" | "on"))
    }

    /// A yes or no that must be given.
    fn answer(&self, name: &'static str) -> Result<bool, ApiError> {
        match self.optional(name).as_deref() {
            Some("yes") => Ok(true),
            Some("no") => Ok(false),
            _ => Err(ApiError::field(name, "请选择“是”或“否”", "choose yes or no")),
        }
    }

    /// Every value of a field sent several times (a multiple choice).
    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string()).collect()
    }
}

/// The move an action form asks for, read by the fields `action_form` gives it.
fn move_from_form(kind: MoveKind, fields: &[(String, String)]) -> Result<Move, ApiError> {
    let form = Posted(fields);
    Ok(match kind {
        MoveKind::Register => Move::Register { note: form.optional("note") },
        MoveKind::Reclassify => Move::Reclassify {
            category_code: form.optional("category_code"),
            priority: form.optional("priority").map(|p| Priority::parse_field("priority", &p)).transpose()?,
            reason: form.text("reason"),
        },
        MoveKind::Reject => Move::Reject { reason: form.text("reason") },
        MoveKind::Merge => Move::Merge {
            into: uuid::Uuid::parse_str(&form.text("into"))
                .map_err(|_| ApiError::field("into", "请填写受理编号", "give the case's tracking number"))?,
            reason: form.optional("reason"),
        },
        MoveKind::Dispatch => {
            Move::Dispatch { unit: form.text("unit"), co_units: form.all("co_units"), note: form.optional("note") }
        }
        MoveKind::Redispatch => {
            Move::Redispatch { unit: form.text("unit"), co_units: form.all("co_units"), reason: form.text("reason") }
        }
        MoveKind::Return => Move::Return { reason: form.text("reason") },
        MoveKind::Accept => Move::Accept {},
        MoveKind::Contact => Move::Contact { note: form.text("note") },
        MoveKind::RequestExtension => Move::RequestExtension {
            days: form
                .text("days")
                .parse()
                .map_err(|_| ApiError::field("days", "应为正整数", "must be a whole number"))?,
            reason: form.text("reason"),
        },
        MoveKind::ApproveExtension => Move::ApproveExtension { note: form.optional("note") },
        MoveKind::RejectExtension => Move::RejectExtension { reason: form.text("reason") },
        MoveKind::Supervise => Move::Supervise { note: form.text("note"), escalate: form.yes("escalate") },
        MoveKind::ReportHandled => Move::ReportHandled { result: form.text("result"), evidence: Vec::new() },
        MoveKind::ResolveOnSpot => Move::ResolveOnSpot { result: form.text("result") },
        MoveKind::StartVerification => Move::StartVerification {},
        MoveKind::Verify => Move::Verify { passed: form.answer("passed")?, note: form.text("note") },
        MoveKind::Close => Move::Close { note: form.optional("note") },
        MoveKind::Evaluate => Move::Evaluate {
            resolved: form.answer("resolved")?,
            satisfaction: Satisfaction::parse_field("satisfaction", &form.text("satisfaction"))?,
            comment: form.optional("comment"),
        },
        MoveKind::Reopen => Move::Reopen { reason: form.text("reason") },
        MoveKind::Supplement => Move::Supplement { text: form.optional("text"), photos: 0 },
    })
}

pub struct Photo {
    pub src: String,
}

/// Photos by who took them and when: the resident's (with the report, or added later) and the
/// unit's of the result, side by side for whoever verifies it.
pub struct PhotoGroup {
    pub heading: String,
    pub photos: Vec<Photo>,
}

fn photo_groups(detail: &CaseDetail, attachments: &[AttachmentInfo], lang: &Lang) -> Vec<PhotoGroup> {
    let mut groups: Vec<PhotoGroup> = Vec::new();
    for a in attachments {
        let brought_by = detail.events.iter().find(|e| e.seq == a.event_seq).map(|e| &e.kind);
        let heading = match brought_by {
            Some(EventKind::Handled { .. } | EventKind::ResolvedOnSpot { .. }) => {
                lang.t("处置后（承办单位）", "After handling (the unit)")
            }
            Some(EventKind::Supplemented { .. }) => lang.t("群众补充", "Added by the resident"),
            _ => lang.t("反映时", "When reported"),
        };
        let photo = Photo { src: format!("/api/v1/cases/{}/attachments/{}", detail.record.id, a.id) };
        match groups.iter_mut().find(|g| g.heading == heading) {
            Some(group) => group.photos.push(photo),
            None => groups.push(PhotoGroup { heading: heading.to_string(), photos: vec![photo] }),
        }
    }
    groups
}

pub struct TimelineLine {
    pub at: String,
    pub what: String,
    pub who: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    tracking_no: String,
    category: String,
    state: String,
    priority: String,
    channel: String,
    request_type: String,
    description: String,
    address: String,
    place: String,
    located_by: String,
    lead_unit: String,
    co_units: String,
    received: String,
    response_due: String,
    response_left: String,
    response_overdue: bool,
    resolve_due: String,
    resolve_left: String,
    resolve_overdue: bool,
    pending: bool,
    result: String,
    reporter_name: String,
    reporter_phone: String,
    anonymous: bool,
    revealed: bool,
    /// Free text as typed, where personal data in it was masked: (which, original), once revealed.
    revealed_texts: Vec<(String, String)>,
    may_reveal: bool,
    reveal_error: Option<String>,
    svg: String,
    photos: Vec<PhotoGroup>,
    timeline: Vec<TimelineLine>,
    /// What the platform decided by itself (a category, an automatic dispatch).
    machine: Vec<super::classify::MachineLine>,
    /// Open cases this one may repeat, for whoever may merge it now; and, when they make a
    /// group complaint, how many reports of the matter there are.
    duplicates: Vec<super::classify::DuplicateLine>,
    group: Option<usize>,
    /// What the case was carried into beyond the loop: topics, a dispute.
    links: CaseLinks,
    actions: Vec<ActionForm>,
    extension: Option<String>,
    /// The move just made, said after it.
    done: Option<Done>,
}

/// The words of an event for staff: what happened and its notes.
fn event_line(e: &grassroots_domain::CaseEvent, reference: &Reference, lang: &Lang) -> TimelineLine {
    let (zh, en) = e.kind.label();
    // Notes, reasons, results and units, whatever the event carries.
    let payload = serde_json::to_value(&e.kind).unwrap_or(Value::Null);
    let detail = ["unit", "note", "reason", "result", "days", "comment", "due_status", "text", "photos"]
        .iter()
        .filter_map(|k| match payload.get(*k) {
            Some(Value::String(s)) if *k == "unit" => Some(unit_name(reference, s, lang)),
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) if *k == "photos" && n.as_u64() != Some(0) => {
                Some(format!("{n} {}", lang.t("张照片", "photos")))
            }
            Some(Value::Number(n)) if *k == "days" => Some(format!("{n} {}", lang.t("个工作日", "working days"))),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let who = match (e.actor_kind.as_str(), Role::parse(&e.actor_kind)) {
        (_, Some(role)) => lang.t(role.label_zh(), role.label_en()).to_string(),
        ("resident", _) => lang.t("群众", "resident").to_string(),
        ("system", _) => lang.t("系统", "the platform").to_string(),
        ("api_key", _) => lang.t("其他系统（接口密钥）", "another system (API key)").to_string(),
        (other, None) => other.to_string(),
    };
    TimelineLine { at: local_time(e.at), what: lang.t(zh, en).to_string(), who, detail }
}

/// The forms of the moves the staff member may make now and, where they may merge it, the
/// open cases it may repeat, with the size of the group complaint they make, if they do.
async fn what_to_do(
    state: &AppState,
    staff: &Staff,
    r: &CaseRecord,
    ctx: &grassroots_domain::workflow::MoveContext<'_>,
    reference: &Reference,
    lang: &Lang,
) -> Result<(Vec<ActionForm>, Vec<super::classify::DuplicateLine>, Option<usize>), ApiError> {
    let open = open_actions(r, &staff.actor(), ctx);
    let (duplicates, group) = if open.contains(&MoveKind::Merge) {
        super::classify::duplicate_lines(state, &staff.user, r, lang).await?
    } else {
        (Vec::new(), None)
    };
    let actions = open
        .into_iter()
        .map(|a| {
            let mut form = action_form(a, r, reference, staff.user.role, lang);
            if a == MoveKind::Reclassify {
                propose_category(&mut form, state, r, reference, lang);
            }
            form
        })
        .collect();
    Ok((actions, duplicates, group))
}

/// What a case was carried into beyond the closed loop, and what the viewer may carry it into.
struct CaseLinks {
    /// The topics the case was raised into (议事): (link, title).
    topics: Vec<(String, String)>,
    /// Whether the viewer may raise a topic from it.
    may_raise_topic: bool,
    /// The dispute the case was converted to (矛盾纠纷调处).
    dispute: Option<String>,
    /// Whether the viewer may convert it into a dispute, and the kinds to choose from.
    may_convert: bool,
    dispute_kinds: Vec<(String, String)>,
}

async fn case_links(state: &AppState, staff: &Staff, r: &CaseRecord, lang: &Lang) -> Result<CaseLinks, ApiError> {
    let in_community = r.place.community_code.is_some();
    Ok(CaseLinks {
        topics: state
            .store
            .topics_of_case(r.id)
            .await?
            .into_iter()
            .map(|t| (format!("/topics/{}", t.id), t.title))
            .collect(),
        may_raise_topic: staff.may(Capability::RunParticipation) && in_community,
        dispute: state.store.dispute_of_case(r.id).await?.map(|d| format!("/disputes/{d}")),
        may_convert: staff.may(Capability::MediateDisputes)
            && staff.may(Capability::RevealPersonalData)
            && in_community,
        dispute_kinds: super::choices!(lang, grassroots_domain::disputes::DisputeKind),
    })
}

async fn case_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    detail: CaseDetail,
) -> Result<CasePage, ApiError> {
    let reference = state.reference();
    let atlas = state.atlas();
    let r = &detail.record;
    let now = Utc::now();
    let ctx = state.move_context(&reference, now);
    let (actions, duplicates, group) = what_to_do(state, staff, r, &ctx, &reference, &lang).await?;
    let attachments = state.store.attachments(&staff.user.scope, r.id).await?;
    let photos = photo_groups(&detail, &attachments, &lang);
    let svg = match (r.place.lng, r.place.lat) {
        (Some(lng), Some(lat)) => spot_map(&atlas, (lng, lat)),
        _ => String::new(),
    };
    let (response_left, response_overdue) = time_left(r.response_due, now, &lang);
    let (resolve_left, resolve_overdue) = time_left(r.resolve_due, now, &lang);
    Ok(CasePage {
        id: r.id.to_string(),
        tracking_no: r.tracking_no.clone(),
        category: format!("{} {}", r.category_code, category_name(&reference, &r.category_code, &lang)),
        state: lang.t(r.state.label_zh(), r.state.label_en()).to_string(),
        priority: lang.t(r.priority.label_zh(), r.priority.label_en()).to_string(),
        channel: lang.t(r.channel.label_zh(), r.channel.label_en()).to_string(),
        request_type: lang.t(r.request_type.label_zh(), r.request_type.label_en()).to_string(),
        description: r.description.clone(),
        address: r.place.address.clone().unwrap_or_default(),
        place: place_line(&atlas, r, &lang),
        located_by: r.place.located_by.map(|l| lang.t(l.label_zh(), l.label_en()).to_string()).unwrap_or_default(),
        lead_unit: r.lead_unit.as_deref().map(|u| unit_name(&reference, u, &lang)).unwrap_or_default(),
        co_units: r.co_units.iter().map(|u| unit_name(&reference, u, &lang)).collect::<Vec<_>>().join("、"),
        received: local_time(r.received_at),
        response_due: local_time(r.response_due),
        response_left: if r.first_contact_at.is_none() {
            response_left
        } else {
            lang.t("已联系", "contacted").to_string()
        },
        response_overdue: response_overdue && r.first_contact_at.is_none(),
        resolve_due: local_time(r.resolve_due),
        resolve_left,
        resolve_overdue,
        pending: r.state.is_pending(),
        result: r.result.clone().unwrap_or_default(),
        reporter_name: detail.reporter.name.clone().unwrap_or_default(),
        reporter_phone: detail.reporter.phone.clone().unwrap_or_default(),
        anonymous: detail.reporter.anonymous,
        revealed: false,
        revealed_texts: Vec::new(),
        may_reveal: staff.may(Capability::RevealPersonalData) && !detail.reporter.anonymous,
        reveal_error: None,
        svg,
        photos,
        timeline: detail.events.iter().map(|e| event_line(e, &reference, &lang)).collect(),
        machine: super::classify::machine_lines(state, r.id, &lang).await?,
        duplicates,
        group,
        links: case_links(state, staff, r, &lang).await?,
        actions,
        done: None,
        extension: r.pending_extension.as_ref().map(|x| {
            format!(
                "{} {} {}：{}",
                lang.t("申请延期", "Extension requested:"),
                x.days,
                lang.t("个工作日", "working days"),
                x.reason
            )
        }),
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

/// The ground around a case's point: its communities shaded and named, the streets named,
/// the grids drawn thin, the point marked.
fn spot_map(atlas: &Atlas, (lng, lat): (f64, f64)) -> String {
    let frame = square_around((lng, lat), 0.004);
    let grids = atlas.grids_overlapping(frame);
    let mut communities: Vec<&str> = grids.iter().filter_map(|g| g.code.as_str().get(..12)).collect();
    communities.dedup();
    let mut streets: Vec<&str> = communities.iter().filter_map(|c| c.get(..9)).collect();
    streets.dedup();
    let inside = |(x, y): (f64, f64)| (frame.0..frame.2).contains(&x) && (frame.1..frame.3).contains(&y);
    let outlines = |codes: &[&str]| codes.iter().filter_map(|c| atlas.outline(c)).collect::<Vec<_>>();
    let (communities, streets) = (outlines(&communities), outlines(&streets));
    // Street names first: where space is short, they are the ones kept.
    let street_labels = streets.iter().filter(|s| inside(s.label_at)).map(|s| Area {
        polygons: &[],
        fill: "none",
        href: None,
        title: s.name.clone(),
        label: Some((s.name.clone(), s.label_at)),
    });
    let community_areas = communities.iter().map(|c| Area {
        polygons: &c.polygons,
        fill: "#f4f7fb",
        href: None,
        title: c.name.clone(),
        label: inside(c.label_at).then(|| (c.name.clone(), c.label_at)),
    });
    Map {
        frame: Frame::fit(frame, 320.0),
        label: "位置 / place".into(),
        areas: street_labels.chain(community_areas).collect(),
        lines: grids.iter().map(|g| g.polygons.as_slice()).collect(),
        dots: vec![Dot {
            lng, lat, kind: DotKind::Chosen, title: "案件位置 / the case's place".into(), href: None
        }],
        landmarks: atlas.landmarks(),
        approximate: atlas.is_approximate(),
    }
    .to_svg()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseParams {
    /// The move just made on the case, to say so.
    done: Option<String>,
}

/// What the last move did, and the next case waiting in the staff member's queues.
pub struct Done {
    pub what: String,
    /// (href, tracking number)
    pub next: Option<(String, String)>,
}

pub async fn show_case(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<CaseParams>,
) -> Result<Html<String>, ApiError> {
    let id = parse_case_id(&id).map_err(|_| ApiError::not_found())?;
    let detail = state.store.case_detail(&staff.user.scope, id).await?.ok_or(ApiError::not_found())?;
    let mut page = case_page(&state, &staff, lang, &uri, detail).await?;
    if let Some(kind) = p.done.as_deref().and_then(MoveKind::parse) {
        let (zh, en) = kind.label();
        page.done = Some(Done { what: lang.t(zh, en).to_string(), next: next_case(&state, &staff, id).await? });
    }
    Ok(Html(page.render()?))
}

/// The first case of the first of the role's queues that holds one, other than `this`.
async fn next_case(state: &AppState, staff: &Staff, this: uuid::Uuid) -> Result<Option<(String, String)>, ApiError> {
    let role = staff.user.role;
    let counts = state.store.queue_counts(&staff.user.scope, role).await?;
    for (queue, count) in counts {
        if count == 0 {
            continue;
        }
        let filter = CaseFilter { queue: Some((queue, role)), limit: 2, ..Default::default() };
        let page = state.store.list_cases(&staff.user.scope, &filter).await?;
        if let Some(next) = page.cases.iter().find(|c| c.record.id != this) {
            return Ok(Some((format!("/cases/{}", next.record.id), next.record.tracking_no.clone())));
        }
    }
    Ok(None)
}

/// Makes a move from its form; back to the case page, or — the move refused — the page again
/// with the error beside the form and what was typed.
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    PageForm { fields, photos }: PageForm,
) -> Result<Response, ApiError> {
    let id = parse_case_id(&id).map_err(|_| ApiError::not_found())?;
    let action = fields.iter().find(|(k, _)| k == "action").and_then(|(_, v)| MoveKind::parse(v.trim()));
    let fields = match tracking_no_to_id(&state, &staff, fields).await {
        Ok(fields) => fields,
        Err((fields, e)) => return refused(&state, &staff, lang, &uri, id, action, fields, e).await,
    };
    let mv = action
        .ok_or_else(|| ApiError::field("action", "未知的操作", "unknown action"))
        .and_then(|kind| move_from_form(kind, &fields));
    // "Register and dispatch to the suggested unit": both moves, in one step.
    let dispatch_to = fields.iter().find(|(k, _)| k == "dispatch_to").map(|(_, v)| v.trim().to_string());
    let outcome = match (mv, dispatch_to) {
        (Ok(Move::Register { note }), Some(unit)) => {
            grassroots_app::cases::register_and_dispatch(&state, &staff.user, id, note, &unit)
                .await
                .map_err(ApiError::from)
        }
        (Ok(mv), _) => {
            grassroots_app::cases::act_with_photos(&state, &staff.user, id, &mv, photos).await.map_err(ApiError::from)
        }
        (Err(e), _) => Err(e),
    };
    let action = match action {
        Some(MoveKind::Register)
            if outcome.as_ref().is_ok_and(|r| r.state != grassroots_domain::CaseState::Registered) =>
        {
            Some(MoveKind::Dispatch)
        }
        other => other,
    };
    match outcome {
        Ok(_) => {
            // A move can take the case out of the actor's scope (a unit returning it).
            let done = action.map_or("", MoveKind::as_str);
            Ok(match state.store.case_detail(&staff.user.scope, id).await? {
                Some(_) => see_other(&format!("/cases/{id}?{}", encode(&[("done", done)])), None),
                None => see_other("/work", None),
            })
        }
        Err(e) => refused(&state, &staff, lang, &uri, id, action, fields, e).await,
    }
}

/// The case page again after a refused move: the reason beside its form, what was typed kept.
#[allow(clippy::too_many_arguments)]
async fn refused(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: uuid::Uuid,
    action: Option<MoveKind>,
    fields: Vec<(String, String)>,
    error: ApiError,
) -> Result<Response, ApiError> {
    // A refused move is shown beside its form; anything else is the page's error.
    if !matches!(error.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::FORBIDDEN) {
        return Err(error);
    }
    let (status, message) = (error.status, lang.t(&error.text.zh, &error.text.en).to_string());
    let detail = state.store.case_detail(&staff.user.scope, id).await?.ok_or(ApiError::not_found())?;
    let mut page = case_page(state, staff, lang, uri, detail).await?;
    match page.actions.iter_mut().find(|a| Some(a.action) == action) {
        Some(form) => {
            form.error = Some(message);
            form.values = fields.into_iter().filter(|(k, _)| k != "action").collect();
        }
        None => page.reveal_error = Some(message),
    }
    Ok((status, Html(page.render()?)).into_response())
}

/// A merge names its target by tracking number, as staff know cases; the move takes its id.
async fn tracking_no_to_id(
    state: &AppState,
    staff: &Staff,
    mut fields: Vec<(String, String)>,
) -> Result<Vec<(String, String)>, (Vec<(String, String)>, ApiError)> {
    let Some(pos) = fields.iter().position(|(k, v)| k == "into" && grassroots_domain::case::is_tracking_no(v.trim()))
    else {
        return Ok(fields);
    };
    match grassroots_app::cases::id_by_tracking_no(state, &staff.user, &fields[pos].1).await {
        Ok(id) => {
            fields[pos].1 = id.to_string();
            Ok(fields)
        }
        Err(e) => Err((fields, e.into())),
    }
}

#[derive(Deserialize)]
pub struct RevealForm {
    reason: String,
}

/// The reporter's part of the case page, answered alone to a reveal made from the page's script.
#[derive(Template)]
#[template(path = "case_reporter.html")]
struct ReporterFragment {
    lang: Lang,
    id: String,
    anonymous: bool,
    reporter_name: String,
    reporter_phone: String,
    revealed: bool,
    revealed_texts: Vec<(String, String)>,
    may_reveal: bool,
    reveal_error: Option<String>,
}

/// Shows the reporter's name and phone on this page only, after recording why (audited): the
/// whole page again, or, asked by the page's script, only the reporter's part of it.
pub async fn reveal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RevealPersonalData>,
    lang: Lang,
    uri: Uri,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    ApiForm(form): ApiForm<RevealForm>,
) -> Result<Response, ApiError> {
    let id = parse_case_id(&id).map_err(|_| ApiError::not_found())?;
    let revealed = grassroots_app::cases::reveal(&state, &staff.user, id, Some(&form.reason)).await;
    let detail = state.store.case_detail(&staff.user.scope, id).await?.ok_or(ApiError::not_found())?;
    let mut page = case_page(&state, &staff, lang, &uri, detail).await?;
    let status = match revealed.map_err(ApiError::from) {
        Ok(data) => {
            page.reporter_name = data.name.unwrap_or_default();
            page.reporter_phone = data.phone.unwrap_or_default();
            page.revealed_texts = data
                .texts
                .into_iter()
                .map(|t| (format!("{} · {} {}", t.field, lang.t("第", "event"), t.seq), t.text))
                .collect();
            page.revealed = true;
            StatusCode::OK
        }
        Err(e) if e.field.is_some() || e.status == StatusCode::FORBIDDEN => {
            page.reveal_error = Some(lang.t(&e.text.zh, &e.text.en).to_string());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e),
    };
    let html = if headers.get(FRAGMENT_HEADER).is_some_and(|v| v == "reporter-section") {
        ReporterFragment {
            lang: page.lang,
            id: page.id,
            anonymous: page.anonymous,
            reporter_name: page.reporter_name,
            reporter_phone: page.reporter_phone,
            revealed: page.revealed,
            revealed_texts: page.revealed_texts,
            may_reveal: page.may_reveal,
            reveal_error: page.reveal_error,
        }
        .render()?
    } else {
        page.render()?
    };
    // Personal data is not to be kept in caches.
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(response)
}
