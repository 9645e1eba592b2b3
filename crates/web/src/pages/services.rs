//! 为民服务中心 as pages: the catalogue, searched (a resident signed in sees their applications
//! and bookings above it); an item with its guide, the online application with photos of the
//! materials and the booking of a slot; an application's page for its applicant and the
//! centre's staff, each with their own moves; the centre's queue with the day's bookings.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use grassroots_app::services::{self, ApplicationForm, ApplicationView, BookingForm, MoveForm};
use grassroots_app::Reader;
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::services::ServiceItem;
use grassroots_store::residents::Resident;
use grassroots_store::services::{Application, Appointment};
use uuid::Uuid;

use super::{beijing_minutes, place_name, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery, PageForm};
use crate::session::{need, reader_of, Can, MaybeResident, MaybeStaff, SignedIn, Staff};
use crate::AppState;

/// An application as a line of a list.
pub struct ApplicationLine {
    href: String,
    item: String,
    applicant: String,
    place: String,
    state: String,
    state_code: &'static str,
    due: String,
    overdue: bool,
    received: String,
}

fn application_line(state: &AppState, lang: &Lang, a: &Application) -> ApplicationLine {
    ApplicationLine {
        href: format!("/applications/{}", a.id),
        item: a.item_name.clone(),
        applicant: a.applicant_masked.clone(),
        place: place_name(state, lang, &a.street_code),
        state: lang.t(a.state.label_zh(), a.state.label_en()).to_string(),
        state_code: a.state.as_str(),
        due: a.due_at.map(|d| beijing_day(d).to_string()).unwrap_or_default(),
        overdue: a.due_at.is_some_and(|d| d < Utc::now()),
        received: beijing_minutes(a.received_at),
    }
}

/// A booking as a line.
pub struct BookingLine {
    id: String,
    when: String,
    place: String,
    item: String,
}

fn booking_line(state: &AppState, lang: &Lang, a: &Appointment, items: &[ServiceItem]) -> BookingLine {
    BookingLine {
        id: a.id.to_string(),
        when: format!("{} {}", a.day, a.slot.format("%H:%M")),
        place: place_name(state, lang, &a.street_code),
        item: a
            .item_code
            .as_deref()
            .and_then(|c| items.iter().find(|i| i.code == c))
            .map(|i| i.name.clone())
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    lang: Lang,
    chrome: Chrome,
    query: String,
    items: Vec<ServiceItem>,
    signed_in: bool,
    applications: Vec<ApplicationLine>,
    bookings: Vec<BookingLine>,
}

#[derive(serde::Deserialize)]
pub struct CatalogueParams {
    q: Option<String>,
}

pub async fn catalogue(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(signed_in): MaybeResident,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<CatalogueParams>,
) -> Result<Html<String>, ApiError> {
    let items = services::catalogue(&state, p.q.as_deref()).await?;
    let (applications, bookings) = match &signed_in {
        None => (Vec::new(), Vec::new()),
        Some(SignedIn { resident, .. }) => {
            let (applications, appointments) = services::mine(&state, resident).await?;
            let all = services::catalogue(&state, None).await?;
            (
                applications.iter().map(|a| application_line(&state, &lang, a)).collect(),
                appointments.iter().map(|a| booking_line(&state, &lang, a, &all)).collect(),
            )
        }
    };
    Ok(Html(
        ServicesPage {
            query: p.q.unwrap_or_default(),
            items,
            signed_in: signed_in.is_some(),
            applications,
            bookings,
            chrome: Chrome::new(lang, staff.as_ref(), &uri),
            lang,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    lang: Lang,
    chrome: Chrome,
    item: ServiceItem,
    signed_in: bool,
    /// (code, name) of every street's centre.
    streets: Vec<(String, String)>,
    /// The street chosen: the form's, or the resident's household's.
    street: String,
    /// (day, [(slot, seats left)]) of the chosen centre.
    days: Vec<(String, Vec<(String, i64)>)>,
    apply_form: Filled,
    book_form: Filled,
}

async fn service_page(
    state: &AppState,
    staff: Option<&Staff>,
    resident: Option<&Resident>,
    lang: Lang,
    uri: &Uri,
    code: &str,
    forms: (Filled, Filled),
) -> Result<ServicePage, ApiError> {
    let item = services::item(state, code).await?;
    let atlas = state.atlas();
    let streets: Vec<(String, String)> = atlas
        .served_districts()
        .flat_map(|d| atlas.children(&d.code))
        .map(|s| (s.code.as_str().to_string(), lang.place(&s.name)))
        .collect();
    let household = match resident {
        Some(r) => grassroots_app::households::confirmed(state, r).await?,
        None => None,
    };
    let typed = [forms.0.value("street_code"), forms.1.value("street_code")].into_iter().find(|s| !s.is_empty());
    let street = typed
        .map(str::to_string)
        .or_else(|| household.map(|h| h.grid_code[..9].to_string()))
        .or_else(|| streets.first().map(|s| s.0.clone()))
        .unwrap_or_default();
    let mut days: Vec<(String, Vec<(String, i64)>)> = Vec::new();
    if resident.is_some() && !street.is_empty() {
        for open in services::open_slots(state, &street).await? {
            let day = open.day.to_string();
            let slot = (open.slot.format("%H:%M").to_string(), open.left);
            match days.last_mut() {
                Some((d, slots)) if *d == day => slots.push(slot),
                _ => days.push((day, vec![slot])),
            }
        }
    }
    Ok(ServicePage {
        item,
        signed_in: resident.is_some(),
        streets,
        street,
        days,
        apply_form: forms.0,
        book_form: forms.1,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

#[derive(serde::Deserialize)]
pub struct ItemParams {
    /// The centre whose slots to show.
    street_code: Option<String>,
}

pub async fn item(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(signed_in): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(code): Path<String>,
    ApiQuery(p): ApiQuery<ItemParams>,
) -> Result<Html<String>, ApiError> {
    let resident = signed_in.map(|s| s.resident);
    let chosen = p.street_code.map(|s| vec![("street_code".to_string(), s)]).unwrap_or_default();
    let forms = (Filled::default(), Filled::new(chosen));
    Ok(Html(service_page(&state, staff.as_ref(), resident.as_ref(), lang, &uri, &code, forms).await?.render()?))
}

/// A resident applies online; then the application's page.
pub async fn apply(
    State(state): State<Arc<AppState>>,
    MaybeResident(signed_in): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(code): Path<String>,
    form: PageForm,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/me", None)) };
    let typed = Filled::new(form.fields);
    let application = ApplicationForm {
        street_code: typed.value("street_code").to_string(),
        name: typed.value("name").to_string(),
        phone: typed.given("phone"),
        note: typed.given("note"),
        files: form.photos,
    };
    match services::apply(&state, &resident, &code, application).await {
        Ok(a) => Ok(see_other(&format!("/applications/{}", a.id), None)),
        Err(e) => {
            let (status, filled) = typed.refused(e, &lang)?;
            let forms = (filled, Filled::default());
            let page = service_page(&state, None, Some(&resident), lang, &uri, &code, forms).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A resident books a slot; then the catalogue with their bookings.
pub async fn book(
    State(state): State<Arc<AppState>>,
    MaybeResident(signed_in): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(code): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/me", None)) };
    let typed = Filled::new(fields);
    let (day, slot) = typed.value("when").split_once(' ').unwrap_or_default();
    let booking = BookingForm {
        street_code: typed.value("street_code").to_string(),
        day: day.to_string(),
        slot: slot.to_string(),
        item_code: Some(code.clone()),
    };
    match services::book(&state, &resident, booking).await {
        Ok(_) => Ok(see_other("/services#bookings", None)),
        Err(e) => {
            let (status, filled) = typed.refused(e, &lang)?;
            let forms = (Filled::default(), filled);
            let page = service_page(&state, None, Some(&resident), lang, &uri, &code, forms).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

pub async fn cancel_booking(
    State(state): State<Arc<AppState>>,
    MaybeResident(signed_in): MaybeResident,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/me", None)) };
    services::cancel_booking(&state, &resident, id_in_path(&id)?).await?;
    Ok(see_other("/services#bookings", None))
}

#[derive(Template)]
#[template(path = "applications.html")]
struct QueuePage {
    lang: Lang,
    chrome: Chrome,
    all: bool,
    applications: Vec<ApplicationLine>,
    day: String,
    bookings: Vec<BookingLine>,
}

#[derive(serde::Deserialize)]
pub struct QueueParams {
    show: Option<String>,
    day: Option<NaiveDate>,
}

pub async fn queue(
    State(state): State<Arc<AppState>>,
    staff: Can<need::HandleApplications>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<QueueParams>,
) -> Result<Html<String>, ApiError> {
    let all = p.show.as_deref() == Some("all");
    let listed = services::queue(&state, &staff.user, !all).await?;
    let day = p.day.unwrap_or_else(|| beijing_day(Utc::now()));
    let items = services::catalogue(&state, None).await?;
    let bookings = services::appointments(&state, &staff.user, day).await?;
    Ok(Html(
        QueuePage {
            all,
            applications: listed.iter().map(|a| application_line(&state, &lang, a)).collect(),
            day: day.to_string(),
            bookings: bookings.iter().map(|a| booking_line(&state, &lang, a, &items)).collect(),
            chrome: Chrome::new(lang, Some(&staff), &uri),
            lang,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: ApplicationLine,
    item: ServiceItem,
    note: Option<String>,
    /// (name, phone) for the centre's staff.
    applicant: Option<(String, String)>,
    files: Vec<String>,
    moves: Vec<&'static str>,
    /// (when, move, by, note)
    history: Vec<(String, String, String, String)>,
    is_centre: bool,
    form: Filled,
}

impl ApplicationPage {
    fn may(&self, code: &str) -> bool {
        self.moves.contains(&code)
    }
}

async fn application_page(
    state: &AppState,
    reader: Reader<'_>,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    form: Filled,
) -> Result<ApplicationPage, ApiError> {
    let ApplicationView { application: a, item, applicant, moves, .. } = services::view(state, reader, id).await?;
    Ok(ApplicationPage {
        id: id.to_string(),
        line: application_line(state, &lang, &a),
        note: a.note.clone(),
        applicant: applicant.map(|p| (p.name, p.phone.unwrap_or_default())),
        files: a.files.iter().map(|f| format!("/api/v1/applications/{id}/files/{}", f.digest)).collect(),
        moves: moves.iter().map(|m| m.as_str()).collect(),
        history: a
            .moves
            .iter()
            .map(|m| {
                let by = match m.by.as_str() {
                    "resident" => lang.t("申请人", "applicant").to_string(),
                    _ => lang.t("服务中心", "the centre").to_string(),
                };
                (
                    beijing_minutes(m.at),
                    lang.t(m.kind.label_zh(), m.kind.label_en()).to_string(),
                    by,
                    m.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        is_centre: matches!(reader, Reader::Staff(_)),
        item,
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

/// An application's page for its applicant or the centre's staff; signed out, the sign-in.
pub async fn application(
    State(state): State<Arc<AppState>>,
    staff: MaybeStaff,
    resident: MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(reader) = reader_of(&staff, &resident) else { return Ok(see_other("/me", None)) };
    let page =
        application_page(&state, reader, staff.0.as_ref(), lang, &uri, id_in_path(&id)?, Filled::default()).await?;
    Ok(Html(page.render()?).into_response())
}

/// A move from the application's page; back to it, or it with the error.
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: MaybeStaff,
    resident: MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    form: PageForm,
) -> Result<Response, ApiError> {
    let Some(reader) = reader_of(&staff, &resident) else { return Ok(see_other("/me", None)) };
    let id = id_in_path(&id)?;
    let typed = Filled::new(form.fields);
    let mv = MoveForm { action: typed.value("move").to_string(), note: typed.given("note"), files: form.photos };
    match services::act(&state, reader, id, mv).await {
        Ok(_) => Ok(see_other(&format!("/applications/{id}"), None)),
        Err(e) => {
            let (status, filled) = typed.refused(e, &lang)?;
            let page = application_page(&state, reader, staff.0.as_ref(), lang, &uri, id, filled).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}
