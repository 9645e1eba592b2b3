//! 为民服务中心, 网上办、掌上办: the catalogue searched by anyone; a resident applies online with
//! photos of their materials, follows the application on their phone, supplies what the centre
//! asks for, or withdraws; the centre's staff accept within five working days, ask once for
//! every missing material, approve or refuse within the item's limit, and complete; residents
//! book a half-hour slot at the centre. Limits are counted in working days by the platform's
//! calendar. Called alike by the JSON API, the pages and the command line; the rules are
//! `grassroots_domain::services`.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::services::{
    check_booking, check_note, slots, Applicant, ApplicationMove, Clock, ServiceItem, ACCEPT_WITHIN_DAYS,
    BOOK_AHEAD_DAYS, SLOT_CAPACITY,
};
use grassroots_domain::{Capability, FieldError, RegionCode, RegionLevel};
use grassroots_store::residents::Resident;
use grassroots_store::services::{
    ApplicantData, Application, ApplicationActor, ApplicationStep, Appointment, NewApplication,
};
use grassroots_store::{NewAttachment, PlaceFilter, User};
use uuid::Uuid;

use crate::{AppError, Platform, Reader, Result};

const LISTED: i64 = 500;

/// An application as its applicant fills it in.
#[derive(Debug, Clone, Default)]
pub struct ApplicationForm {
    /// The street whose centre handles it.
    pub street_code: String,
    pub name: String,
    pub phone: Option<String>,
    pub note: Option<String>,
    pub files: Vec<NewAttachment>,
}

/// A move as a form sends it.
#[derive(Debug, Clone, Default)]
pub struct MoveForm {
    pub action: String,
    pub note: Option<String>,
    pub files: Vec<NewAttachment>,
}

/// An application with what its reader may do and see.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub application: Application,
    pub item: ServiceItem,
    /// The applicant's name and phone, for the centre's staff.
    pub applicant: Option<ApplicantData>,
    pub moves: Vec<ApplicationMove>,
    /// Whether the limit running now has passed.
    pub overdue: bool,
}

/// A slot of a day at a centre with the seats left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSlot {
    pub day: NaiveDate,
    pub slot: NaiveTime,
    pub left: i64,
}

fn may_handle(staff: &User) -> Result<()> {
    crate::require(staff, Capability::HandleApplications)
}

/// The catalogue, or the items matching every word of a search.
pub async fn catalogue(platform: &Platform, query: Option<&str>) -> Result<Vec<ServiceItem>> {
    let items = platform.store.service_items().await?;
    Ok(match query.map(str::trim).filter(|q| !q.is_empty()) {
        None => items,
        Some(q) => items.into_iter().filter(|i| i.matches(q)).collect(),
    })
}

pub async fn item(platform: &Platform, code: &str) -> Result<ServiceItem> {
    platform.store.service_item(code.trim()).await?.ok_or(AppError::NotFound)
}

/// Loads or updates the catalogue, each item checked first: nothing is written if one fails.
pub async fn load_catalogue(platform: &Platform, items: Vec<ServiceItem>) -> Result<u64> {
    let items = items.into_iter().map(ServiceItem::check).collect::<Result<Vec<_>, _>>()?;
    Ok(platform.store.upsert_service_items(&items, Utc::now()).await?)
}

fn street(field: &'static str, raw: &str) -> Result<String> {
    RegionCode::parse(raw.trim())
        .ok()
        .filter(|c| c.level() == RegionLevel::Township)
        .map(|c| c.as_str().to_string())
        .ok_or_else(|| AppError::invalid(field, "请选择街道为民服务中心", "choose a street's service centre"))
}

/// When a limit of `days` working days from `from` ends, by the platform's calendar.
fn due(platform: &Platform, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    platform.reference().calendar.add_working_days(from, days)
}

/// A resident applies online for an item that may be applied for so.
pub async fn apply(platform: &Platform, resident: &Resident, code: &str, form: ApplicationForm) -> Result<Application> {
    let item = item(platform, code).await?;
    if !item.online {
        return Err(AppError::invalid(
            "item",
            "该事项需本人到窗口办理，可预约",
            "this item is handled at the window: book a slot",
        ));
    }
    let street_code = street("street_code", &form.street_code)?;
    if platform.atlas().outline(&street_code).is_none() {
        return Err(AppError::invalid("street_code", "请选择街道为民服务中心", "choose a street's service centre"));
    }
    let name = grassroots_domain::personal::validate_name(&form.name).map_err(|e| FieldError { field: "name", ..e })?;
    let phone = match form.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => {
            Some(grassroots_domain::personal::normalize_phone(p).map_err(|e| FieldError { field: "phone", ..e })?)
        }
    };
    let note = check_note(form.note.as_deref().unwrap_or_default(), false)?;
    if form.files.is_empty() {
        return Err(AppError::invalid("photo", "请上传所需材料的照片", "attach photos of the materials"));
    }
    let now = Utc::now();
    let new = NewApplication {
        street_code,
        item_code: item.code,
        resident_id: resident.id,
        applicant: ApplicantData { name, phone },
        note,
        files: form.files,
        due_at: due(platform, now, ACCEPT_WITHIN_DAYS),
    };
    Ok(platform.store.submit_application(&new, now).await?)
}

fn staff_places(staff: &User) -> PlaceFilter {
    staff.scope.place_prefixes().map_or(PlaceFilter::Everywhere, |prefixes| {
        // A street's centre: the staff member's regions, or the streets they reach into.
        PlaceFilter::Within(
            prefixes.into_iter().map(|p| p.chars().take(RegionLevel::Township.digits()).collect()).collect(),
        )
    })
}

/// The applications of the staff member's centres: open ones, the soonest due first.
pub async fn queue(platform: &Platform, staff: &User, open_only: bool) -> Result<Vec<Application>> {
    may_handle(staff)?;
    Ok(platform.store.applications(&staff_places(staff), open_only, LISTED).await?)
}

/// A resident's applications and their bookings from today.
pub async fn mine(platform: &Platform, resident: &Resident) -> Result<(Vec<Application>, Vec<Appointment>)> {
    let applications = platform.store.applications_of_resident(resident.id, LISTED).await?;
    let appointments = platform.store.appointments_of_resident(resident.id, beijing_day(Utc::now())).await?;
    Ok((applications, appointments))
}

/// An application for its applicant or the centre's staff; `NotFound` for anyone else.
pub async fn view(platform: &Platform, reader: Reader<'_>, id: Uuid) -> Result<ApplicationView> {
    if let Reader::Staff(staff) = reader {
        may_handle(staff)?;
    }
    let application = platform.store.application(id).await?.ok_or(AppError::NotFound)?;
    let party = match reader {
        Reader::Staff(staff) if staff.scope.reaches(&application.street_code) => Applicant::Centre,
        Reader::Resident(r) if r.id == application.resident_id => Applicant::Resident,
        Reader::Staff(_) | Reader::Resident(_) => return Err(AppError::NotFound),
    };
    let item = item(platform, &application.item_code).await?;
    let applicant = match party {
        Applicant::Centre => Some(platform.store.applicant(id).await?),
        Applicant::Resident => None,
    };
    let moves = ApplicationMove::ALL
        .iter()
        .copied()
        .filter(|m| m.made_by() == party && m.rule().0.contains(&application.state))
        .collect();
    let overdue = application.due_at.is_some_and(|d| d < Utc::now());
    Ok(ApplicationView { application, item, applicant, moves, overdue })
}

/// Makes a move on an application, if the reader may make it now; the limit that runs after
/// it is counted from now in working days.
pub async fn act(platform: &Platform, reader: Reader<'_>, id: Uuid, form: MoveForm) -> Result<Application> {
    let view = view(platform, reader, id).await?;
    let kind = ApplicationMove::parse_field("move", &form.action)?;
    if !view.moves.contains(&kind) {
        kind.from(view.application.state)?;
        return Err(AppError::Forbidden(crate::Text::new(
            format!("您不能对该办件执行“{}”", kind.label_zh()),
            format!("you may not {} this application", kind.label_en()),
        )));
    }
    let note = check_note(form.note.as_deref().unwrap_or_default(), kind.needs_note())?;
    if kind == ApplicationMove::Resubmit && form.files.is_empty() {
        return Err(AppError::invalid("photo", "请上传补正的材料", "attach the materials asked for"));
    }
    let now = Utc::now();
    let due_at = match kind.clock_after() {
        Clock::Acceptance => Some(due(platform, now, ACCEPT_WITHIN_DAYS)),
        Clock::Item => Some(due(platform, now, view.item.time_limit_days)),
        Clock::Stopped => None,
    };
    let actor = match reader {
        Reader::Staff(staff) => staff.actor(),
        Reader::Resident(_) => grassroots_domain::Actor::Resident,
    };
    let by = match reader {
        Reader::Staff(_) => ApplicationActor::Staff(&actor),
        Reader::Resident(r) => ApplicationActor::Resident(r.id),
    };
    let step = ApplicationStep { kind, note, files: form.files, due_at };
    Ok(platform.store.move_application(by, id, view.application.state, &step, now).await?)
}

/// A material's file, for whoever may read the application.
pub async fn file(platform: &Platform, reader: Reader<'_>, id: Uuid, digest: &str) -> Result<(String, Vec<u8>)> {
    view(platform, reader, id).await?;
    platform.store.application_file(id, digest).await?.ok_or(AppError::NotFound)
}

/// The slots of a centre's coming working days (tomorrow to `BOOK_AHEAD_DAYS` on) with the
/// seats left in each.
pub async fn open_slots(platform: &Platform, street_code: &str) -> Result<Vec<OpenSlot>> {
    let street_code = street("street_code", street_code)?;
    let today = beijing_day(Utc::now());
    let reference = platform.reference();
    let calendar = &reference.calendar;
    let last = today + Duration::days(BOOK_AHEAD_DAYS);
    let taken = platform.store.slots_taken(&street_code, today, last).await?;
    let mut open = Vec::new();
    for day in (1..=BOOK_AHEAD_DAYS).map(|d| today + Duration::days(d)).filter(|d| calendar.is_working_day(*d)) {
        for slot in slots() {
            let used = taken.iter().find(|t| t.day == day && t.slot == slot).map_or(0, |t| t.taken);
            open.push(OpenSlot { day, slot, left: SLOT_CAPACITY - used });
        }
    }
    Ok(open)
}

/// A booking as a form sends it.
#[derive(Debug, Clone, Default)]
pub struct BookingForm {
    pub street_code: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `HH:MM`.
    pub slot: String,
    pub item_code: Option<String>,
}

/// Books a seat at a centre.
pub async fn book(platform: &Platform, resident: &Resident, form: BookingForm) -> Result<Appointment> {
    let street_code = street("street_code", &form.street_code)?;
    let day = NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("day", "日期格式应为YYYY-MM-DD", "expected a date YYYY-MM-DD"))?;
    let slot = NaiveTime::parse_from_str(form.slot.trim(), "%H:%M")
        .map_err(|_| AppError::invalid("slot", "时段格式应为HH:MM", "expected a time HH:MM"))?;
    let reference = platform.reference();
    check_booking(day, slot, beijing_day(Utc::now()), |d| reference.calendar.is_working_day(d))?;
    let item_code = match form.item_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(code) => Some(
            item(platform, code).await.map_err(|_| AppError::invalid("item_code", "无此事项", "no such item"))?.code,
        ),
    };
    let now = Utc::now();
    Ok(platform
        .store
        .book_appointment(resident.id, &street_code, day, slot, item_code.as_deref(), SLOT_CAPACITY, now)
        .await?)
}

pub async fn cancel_booking(platform: &Platform, resident: &Resident, id: Uuid) -> Result<()> {
    Ok(platform.store.cancel_appointment(resident.id, id).await?)
}

/// The bookings of the staff member's centres on a day.
pub async fn appointments(platform: &Platform, staff: &User, day: NaiveDate) -> Result<Vec<Appointment>> {
    may_handle(staff)?;
    Ok(platform.store.appointments_on(&staff_places(staff), day).await?)
}
