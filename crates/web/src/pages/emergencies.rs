//! Emergencies (应急管理) as pages: the incidents of one's places and the form to open one; the
//! command page with the check's progress by community and grid (refreshed in place), the plan's
//! tasks, notices with their texts counted, shelters, supplies, the log, and the close with its
//! summary; and the grid worker's phone page of the check, a small form per household.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::emergencies::{self, IncidentForm, IncidentView};
use grassroots_domain::emergencies::{HouseholdStatus, IncidentKind, Progress, Severity};
use grassroots_domain::Capability;
use grassroots_store::emergencies::{GridProgress, HouseholdCheck, IncidentRecord};
use uuid::Uuid;

use super::votes::places_held;
use super::{beijing_minutes, choices, place_name, role_label, see_other, Chrome, Filled, Lang, FRAGMENT_HEADER};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::svg::{Area, Frame, Map, Palette};
use crate::AppState;

/// An incident as a line of a list.
struct IncidentLine {
    href: String,
    title: String,
    kind: String,
    severity: String,
    severity_code: &'static str,
    drill: bool,
    active: bool,
    started: String,
    /// The reader's grids in its area, each with the link to check it.
    own_grids: Vec<(String, String)>,
}

fn incident_line(state: &AppState, staff: &Staff, lang: &Lang, i: &IncidentRecord) -> IncidentLine {
    IncidentLine {
        href: format!("/incidents/{}", i.id),
        title: i.title.clone(),
        kind: lang.t(i.kind.label_zh(), i.kind.label_en()).to_string(),
        severity: lang.t(i.severity.label_zh(), i.severity.label_en()).to_string(),
        severity_code: i.severity.as_str(),
        drill: i.drill,
        active: i.active,
        started: beijing_minutes(i.started_at),
        own_grids: match staff.may(Capability::RecordVisits) {
            true => emergencies::own_grids(&staff.user, i)
                .into_iter()
                .map(|g| (format!("/incidents/{}/check?grid={g}", i.id), place_name(state, lang, &g)))
                .collect(),
            false => Vec::new(),
        },
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    lang: Lang,
    chrome: Chrome,
    incidents: Vec<IncidentLine>,
    commands: bool,
    kinds: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    places: Vec<(String, String)>,
    /// The map to draw an area on, and its frame for the page's script.
    drawing: Option<(String, String)>,
    form: Filled,
}

/// How wide the map to draw an area on is drawn.
const DRAWING_WIDTH: f64 = 640.0;

/// A map of the streets the commander holds (their grids too, for a few streets) to draw an
/// area on: the picture and its frame, or nothing for one who holds no street.
fn drawing_map(state: &AppState, staff: &Staff, lang: &Lang) -> Option<(String, String)> {
    let atlas = state.atlas();
    let scope = &staff.user.scope;
    let streets: Vec<&grassroots_geo::atlas::Outline> = atlas
        .served_districts()
        .flat_map(|d| atlas.children(&d.code))
        .filter(|s| scope.covers_place(s.code.as_str()))
        .collect();
    let bbox =
        streets.iter().map(|s| s.bbox).reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))?;
    let frame = Frame::fit(bbox, DRAWING_WIDTH);
    let transform = frame.transform();
    let few = streets.len() <= 3;
    let map = Map {
        frame,
        label: lang.t("划定事件区域的地图", "Map to draw the area on").to_string(),
        areas: streets
            .iter()
            .map(|s| Area {
                polygons: &s.polygons,
                fill: Palette::Blues.colours()[0],
                href: None,
                title: lang.place(&s.name),
                label: Some((lang.place(&s.name), s.label_at)),
            })
            .collect(),
        lines: match few {
            true => streets.iter().flat_map(|s| atlas.grids_within(&s.code)).map(|g| g.polygons.as_slice()).collect(),
            false => Vec::new(),
        },
        dots: Vec::new(),
        landmarks: atlas.landmarks(),
        approximate: atlas.is_approximate(),
    };
    Some((map.to_svg(), transform))
}

async fn incidents_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    form: Filled,
) -> Result<IncidentsPage, ApiError> {
    let listed = emergencies::list(state, &staff.user).await?;
    let mut severities = choices!(lang, Severity);
    severities.reverse();
    Ok(IncidentsPage {
        incidents: listed.iter().map(|i| incident_line(state, staff, &lang, i)).collect(),
        commands: staff.may(Capability::CommandEmergencies),
        kinds: choices!(lang, IncidentKind),
        severities,
        places: places_held(state, staff, &lang),
        drawing: match staff.may(Capability::CommandEmergencies) {
            true => drawing_map(state, staff, &lang),
            false => None,
        },
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(incidents_page(&state, &staff, lang, &uri, Filled::default()).await?.render()?))
}

pub async fn open(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let form = IncidentForm {
        kind: typed.value("kind").to_string(),
        severity: typed.value("severity").to_string(),
        title: typed.value("title").to_string(),
        drill: typed.given("drill").is_some(),
        places: typed.typed.all("places").into_iter().map(str::to_string).collect(),
        polygon: typed.given("polygon"),
    };
    match emergencies::open(&state, &staff.user, form).await {
        Ok(i) => Ok(see_other(&format!("/incidents/{}", i.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(incidents_page(&state, &staff, lang, &uri, form).await?.render()?)).into_response())
        }
    }
}

/// A row of the progress: a community or a grid with its figures.
struct ProgressRow {
    name: String,
    progress: Progress,
}

#[derive(Template)]
#[template(path = "incident_progress.html")]
struct ProgressPart {
    lang: Lang,
    id: String,
    total: Progress,
    communities: Vec<ProgressRow>,
    grids: Vec<ProgressRow>,
    at: String,
}

fn progress_part(
    state: &AppState,
    lang: Lang,
    id: Uuid,
    grids: &[GridProgress],
    communities: &[(String, Progress)],
    total: Progress,
) -> ProgressPart {
    let row = |code: &str, progress: Progress| ProgressRow { name: place_name(state, &lang, code), progress };
    ProgressPart {
        id: id.to_string(),
        total,
        communities: communities.iter().map(|(c, p)| row(c, *p)).collect(),
        grids: grids.iter().map(|g| row(&g.grid_code, g.progress)).collect(),
        at: beijing_minutes(chrono::Utc::now()),
        lang,
    }
}

/// The check's progress alone: what the command page asks for every few seconds.
pub async fn progress(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let id = id_in_path(&id)?;
    let (grids, communities, total) = emergencies::progress(&state, &staff.user, id).await?;
    Ok(Html(progress_part(&state, lang, id, &grids, &communities, total).render()?))
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    lang: Lang,
    chrome: Chrome,
    line: IncidentLine,
    id: String,
    /// The progress part, rendered as the page's script fetches it alone.
    progress: String,
    /// (id, title, for whom, done, note)
    tasks: Vec<(String, String, String, bool, String)>,
    notices: Vec<grassroots_store::emergencies::NoticeRecord>,
    shelters: Vec<grassroots_store::emergencies::Shelter>,
    supplies: Vec<grassroots_store::emergencies::Supply>,
    /// (when, by, text)
    log: Vec<(String, String, String)>,
    summary: Vec<String>,
    form: Filled,
}

fn incident_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    v: IncidentView,
    form: Filled,
) -> Result<IncidentPage, ApiError> {
    let id = v.incident.id;
    Ok(IncidentPage {
        line: incident_line(state, staff, &lang, &v.incident),
        id: id.to_string(),
        progress: progress_part(state, lang, id, &v.grids, &v.communities, v.total).render()?,
        tasks: v
            .tasks
            .iter()
            .map(|t| {
                let who = match &t.unit_id {
                    Some(unit) => super::unit_name(&state.reference(), unit, &lang),
                    None => lang.t(t.assignee.label_zh(), t.assignee.label_en()).to_string(),
                };
                (t.id.to_string(), t.title.clone(), who, t.done, t.note.clone().unwrap_or_default())
            })
            .collect(),
        notices: v.notices,
        shelters: v.shelters,
        supplies: v.supplies,
        log: v.log.iter().map(|e| (beijing_minutes(e.at), role_label(&lang, &e.by), e.text.clone())).collect(),
        summary: v.incident.summary.iter().map(|l| lang.t(&l.zh, &l.en).to_string()).collect(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let view = emergencies::view(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Html(incident_page(&state, &staff, lang, &uri, view, Filled::default())?.render()?))
}

/// What the command page's forms ask, by their `action`.
async fn command(state: &AppState, staff: &Staff, id: Uuid, typed: &Filled) -> grassroots_app::Result<()> {
    let user = &staff.user;
    let item = |name: &str| typed.given(name).and_then(|v| Uuid::parse_str(&v).ok()).unwrap_or_default();
    match typed.value("action") {
        "notice" => emergencies::notify(state, user, id, typed.value("text")).await.map(drop),
        "log" => emergencies::add_log(state, user, id, typed.value("text")).await.map(drop),
        "task" => {
            emergencies::complete_task(state, user, id, item("task"), typed.given("note").as_deref()).await.map(drop)
        }
        "shelter" => emergencies::add_shelter(
            state,
            user,
            id,
            typed.value("name"),
            typed.value("address"),
            typed.value("capacity"),
        )
        .await
        .map(drop),
        "occupancy" => {
            emergencies::set_occupancy(state, user, id, item("shelter"), typed.value("occupancy")).await.map(drop)
        }
        "supply" => {
            emergencies::add_supply(state, user, id, typed.value("item"), typed.value("unit"), typed.value("stock"))
                .await
                .map(drop)
        }
        "stock" => emergencies::change_supply(state, user, id, item("supply"), typed.value("change")).await.map(drop),
        "close" => emergencies::close(state, user, id).await.map(drop),
        _ => Err(grassroots_app::AppError::invalid("action", "未知的操作", "unknown action")),
    }
}

/// A form of the command page: the page again, with the error beside its form if refused.
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    match command(&state, &staff, id, &typed).await {
        Ok(()) => Ok(see_other(&format!("/incidents/{id}"), None)),
        Err(e) => {
            let (status, filled) = typed.refused(e, &lang)?;
            let view = emergencies::view(&state, &staff.user, id).await?;
            Ok((status, Html(incident_page(&state, &staff, lang, &uri, view, filled)?.render()?)).into_response())
        }
    }
}

/// A household's line on the check page, its form beside it.
struct HouseholdLine {
    id: String,
    label: String,
    status: Option<String>,
    status_code: &'static str,
    note: String,
    error: Option<String>,
}

fn household_line(lang: &Lang, h: &HouseholdCheck) -> HouseholdLine {
    HouseholdLine {
        id: h.household_id.to_string(),
        label: h.label.clone(),
        status: h.status.map(|s| lang.t(s.label_zh(), s.label_en()).to_string()),
        status_code: h.status.map_or("", HouseholdStatus::as_str),
        note: h.note.clone().unwrap_or_default(),
        error: None,
    }
}

#[derive(Template)]
#[template(path = "incident_check.html")]
struct CheckPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    title: String,
    drill: bool,
    grid: String,
    grid_name: String,
    checked: usize,
    households: Vec<HouseholdLine>,
    statuses: Vec<(String, String)>,
    /// The form to add a household the register lacks, as typed.
    form: Filled,
}

#[derive(Template)]
#[template(path = "incident_household.html")]
struct HouseholdPart {
    lang: Lang,
    id: String,
    grid: String,
    h: HouseholdLine,
    statuses: Vec<(String, String)>,
}

#[derive(serde::Deserialize)]
pub struct CheckParams {
    grid: Option<String>,
}

/// The check page of a grid, a refusal shown beside its household if there was one.
async fn check_page_of(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    grid: &str,
    refused: Option<(Uuid, String)>,
) -> Result<CheckPage, ApiError> {
    let (incident, households) = emergencies::households(state, &staff.user, id, grid).await?;
    let mut lines: Vec<HouseholdLine> = households.iter().map(|h| household_line(&lang, h)).collect();
    if let Some((household, message)) = refused {
        let household = household.to_string();
        lines.iter_mut().filter(|l| l.id == household).for_each(|l| l.error = Some(message.clone()));
    }
    Ok(CheckPage {
        id: id.to_string(),
        title: incident.title,
        drill: incident.drill,
        grid_name: place_name(state, &lang, grid),
        grid: grid.to_string(),
        checked: households.iter().filter(|h| h.status.is_some()).count(),
        households: lines,
        statuses: choices!(lang, HouseholdStatus),
        form: Filled::default(),
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

/// The grid worker's phone page: the households of one of their grids in the area.
pub async fn check_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<CheckParams>,
) -> Result<Html<String>, ApiError> {
    let grid = p.grid.unwrap_or_default();
    Ok(Html(check_page_of(&state, &staff, lang, &uri, id_in_path(&id)?, grid.trim(), None).await?.render()?))
}

/// A household the register lacks, added from the check page: the page again at it, or with
/// the refusal beside the form.
pub async fn add_household(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let grid = typed.value("grid").to_string();
    match emergencies::add_household(&state, &staff.user, id, &grid, typed.value("label")).await {
        Ok(h) => Ok(see_other(&format!("/incidents/{id}/check?grid={grid}#h-{}", h.household_id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let mut page = check_page_of(&state, &staff, lang, &uri, id, &grid, None).await?;
            page.form = form;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A household's status from the check page: only its line when the page's script asks,
/// else back to the page at that household; a refusal beside the household.
pub async fn check(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let household = id_in_path(typed.value("household_id"))?;
    let grid = typed.value("grid").to_string();
    let note = typed.given("note");
    let checked = emergencies::check(&state, &staff.user, id, household, typed.value("status"), note.as_deref()).await;
    let fragment = headers.get(FRAGMENT_HEADER).is_some();
    let refused = match checked {
        Ok(_) if !fragment => return Ok(see_other(&format!("/incidents/{id}/check?grid={grid}#h-{household}"), None)),
        Ok(h) => {
            let part = HouseholdPart {
                id: id.to_string(),
                grid,
                h: household_line(&lang, &h),
                statuses: choices!(lang, HouseholdStatus),
                lang,
            };
            return Ok(Html(part.render()?).into_response());
        }
        Err(e) => ApiError::from(e),
    };
    if refused.field.is_none() {
        return Err(refused);
    }
    let message = lang.t(&refused.text.zh, &refused.text.en).to_string();
    let mut page = check_page_of(&state, &staff, lang, &uri, id, &grid, Some((household, message))).await?;
    if !fragment {
        return Ok((refused.status, Html(page.render()?)).into_response());
    }
    let h = page.households.drain(..).find(|l| l.id == household.to_string()).ok_or_else(ApiError::not_found)?;
    let part = HouseholdPart { id: id.to_string(), grid, h, statuses: page.statuses, lang: page.lang };
    Ok((refused.status, Html(part.render()?)).into_response())
}
