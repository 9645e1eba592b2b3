//! 需求清单 → 资源清单: needs recorded by staff (from a case asking for help, a household visit
//! or a survey) or asked by a resident; helpers suggested for each with the reasons of their
//! order; the moves of a need by whoever may make them — staff of the place, the helper on
//! their phone, the resident who asked — with the hours and points credited when it is
//! confirmed. Called alike by the JSON API and the pages; the rules are
//! `grassroots_domain::needs` and `helpers::rank`.

use chrono::{NaiveDate, Utc};
use grassroots_domain::helpers::{km_between, rank, Candidate, DayPart, MatchReasons, Skill, Wanted};
use grassroots_domain::households::check_label;
use grassroots_domain::needs::{
    check_hours, check_note, check_rating, Need, NeedMove, NeedSource, NeedState, Party, Urgency,
};
use grassroots_domain::personal::normalize_phone;
use grassroots_domain::{FieldError, RegionLevel, RequestType};
use grassroots_store::helpers::Helper;
use grassroots_store::needs::{NeedActor, NeedContact, NeedHousehold, NeedRecord, NeedStep, NewNeed};
use grassroots_store::residents::Resident;
use grassroots_store::{NewAttachment, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::helpers::may_coordinate;
use crate::{AppError, Platform, Reader, Result};

const LISTED: i64 = 500;
/// How many helpers are suggested for a need.
const SUGGESTED: usize = 10;

/// A need as a form sends it.
#[derive(Debug, Clone, Default)]
pub struct NeedForm {
    /// `case`, `visit` or `survey` from staff; a resident's own request is always `resident`.
    pub source: String,
    /// The case's tracking number, for a need from a case.
    pub case: Option<String>,
    /// The survey, for a need found by one.
    pub survey_id: Option<String>,
    /// The community (for a need from a survey, or a resident's request without a household).
    pub community_code: Option<String>,
    /// A household of one of the worker's grids, for a need found on a visit.
    pub grid_code: Option<String>,
    pub household_label: Option<String>,
    pub skill: String,
    pub what: String,
    /// `YYYY-MM-DD`.
    pub on: String,
    pub part: String,
    pub urgency: String,
    /// Where to go (the door, a landmark) and whom to ask for: sealed, shown to the helper who
    /// accepts.
    pub address: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// A move as a form sends it.
#[derive(Debug, Clone, Default)]
pub struct MoveForm {
    /// The move's code (`offer`, `accept`, …).
    pub action: String,
    /// For an offer.
    pub helper_id: Option<String>,
    /// For a report: half hours, 0.5 to 8.
    pub hours: Option<String>,
    /// For a confirmation: 1 to 5.
    pub rating: Option<String>,
    pub note: Option<String>,
    pub photos: Vec<NewAttachment>,
}

/// A helper suggested for a need, with why they stand where they do.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub helper: Helper,
    pub reasons: MatchReasons,
}

/// A need with what its reader may see of it.
#[derive(Debug, Clone)]
pub struct NeedView {
    pub need: NeedRecord,
    /// How the reader stands to it (the moves they may make follow).
    pub party: Party,
    /// The sealed address and contact: for staff of the place, and for the helper once they
    /// accepted.
    pub contact: Option<NeedContact>,
    /// The moves the reader may make now.
    pub moves: Vec<NeedMove>,
}

fn trimmed(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn checked_need(source: NeedSource, community: String, form: &NeedForm) -> Result<Need> {
    let on = NaiveDate::parse_from_str(form.on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("on", "日期格式应为YYYY-MM-DD", "expected a date YYYY-MM-DD"))?;
    Ok(Need {
        source,
        skill: Skill::parse_field("skill", &form.skill)?,
        what: form.what.clone(),
        community_code: community,
        on,
        part: DayPart::parse_field("part", &form.part)?,
        urgency: Urgency::parse_field("urgency", &form.urgency)?,
    }
    .check(crate::care::today())?)
}

fn contact(form: &NeedForm) -> Result<NeedContact> {
    let phone = match trimmed(form.contact_phone.as_deref()) {
        None => None,
        Some(p) => Some(normalize_phone(p).map_err(|e| FieldError { field: "contact_phone", ..e })?),
    };
    let name = match trimmed(form.contact_name.as_deref()) {
        None => None,
        Some(n) => Some(short_text("contact_name", n, 30)?),
    };
    Ok(NeedContact { address: short_text("address", &form.address, 100)?, name, phone })
}

fn community_of(field: &'static str, raw: Option<&str>) -> Result<String> {
    grassroots_domain::RegionCode::parse(raw.unwrap_or_default().trim())
        .ok()
        .filter(|c| c.level() == RegionLevel::Community)
        .map(|c| c.as_str().to_string())
        .ok_or_else(|| AppError::invalid(field, "请选择社区", "choose a community"))
}

/// Staff record a need found by a case asking for help, a visit or a survey, in their places.
pub async fn record(platform: &Platform, staff: &User, form: NeedForm) -> Result<NeedRecord> {
    may_coordinate(staff)?;
    let source = NeedSource::parse_field("source", &form.source)?;
    let (community, household, source_id) = match source {
        NeedSource::Case => {
            let number = trimmed(form.case.as_deref())
                .ok_or_else(|| AppError::invalid("case", "请填写工单编号", "give the case's tracking number"))?;
            let not_help = || {
                AppError::invalid(
                    "case",
                    "请填写您范围内的求助类工单编号",
                    "give a case asking for help, within your scope",
                )
            };
            let id = crate::cases::id_by_tracking_no(platform, staff, number).await.map_err(|_| not_help())?;
            let case = platform.store.case_record(id).await?.ok_or_else(not_help)?;
            let community = case.place.community_code.clone().filter(|_| case.request_type == RequestType::Help);
            (community.ok_or_else(not_help)?, None, Some(id))
        }
        NeedSource::Visit => {
            let grid = trimmed(form.grid_code.as_deref()).unwrap_or_default().to_string();
            if grid.len() != RegionLevel::Grid.digits() || !staff.scope.covers_place(&grid) {
                return Err(AppError::invalid("grid_code", "请选择您负责的网格", "choose one of your grids"));
            }
            let label = check_label(form.household_label.as_deref().unwrap_or_default())
                .map_err(|e| FieldError { field: "household_label", ..e })?;
            let community = grid[..RegionLevel::Community.digits()].to_string();
            (community, Some(NeedHousehold::Labelled { grid_code: grid, label }), None)
        }
        NeedSource::Survey => {
            let survey = trimmed(form.survey_id.as_deref())
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| AppError::invalid("survey_id", "请选择问卷", "choose the survey"))?;
            (community_of("community_code", form.community_code.as_deref())?, None, Some(survey))
        }
        NeedSource::Resident => {
            return Err(AppError::invalid("source", "居民在“我的”页面自行申请", "residents ask on their own page"))
        }
    };
    if !staff.scope.reaches(&community) {
        return Err(AppError::invalid("community_code", "只能登记您负责社区的需求", "record needs of your own places"));
    }
    let need = checked_need(source, community, &form)?;
    let new = NewNeed { need, household, source_id, resident_id: None, contact: contact(&form)? };
    match platform.store.create_need(NeedActor::Staff(&staff.actor()), &new, Utc::now()).await {
        Err(grassroots_store::StoreError::NotFound) => {
            Err(AppError::invalid("grid_code", "请选择您负责的网格", "choose one of your grids"))
        }
        created => Ok(created?),
    }
}

/// A resident asks for help themselves: in their confirmed household's community, or the one
/// they name.
pub async fn ask(platform: &Platform, resident: &Resident, form: NeedForm) -> Result<NeedRecord> {
    let household = crate::households::confirmed(platform, resident).await?;
    let community = match &household {
        Some(h) => h.grid_code[..RegionLevel::Community.digits()].to_string(),
        None => community_of("community_code", form.community_code.as_deref())?,
    };
    let need = checked_need(NeedSource::Resident, community, &form)?;
    let new = NewNeed {
        need,
        household: household.map(|h| NeedHousehold::Known(h.id)),
        source_id: None,
        resident_id: Some(resident.id),
        contact: contact(&form)?,
    };
    Ok(platform.store.create_need(NeedActor::Resident(resident.id), &new, Utc::now()).await?)
}

/// The needs of the staff member's places: open ones only, or all.
pub async fn list(platform: &Platform, staff: &User, open_only: bool) -> Result<Vec<NeedRecord>> {
    may_coordinate(staff)?;
    Ok(platform.store.needs(&crate::staff_places(staff), open_only, LISTED).await?)
}

/// A resident's own requests.
pub async fn mine(platform: &Platform, resident: &Resident) -> Result<Vec<NeedRecord>> {
    Ok(platform.store.needs_of_resident(resident.id, LISTED).await?)
}

/// How a viewer stands to a need; `NotFound` if in no way (it does not exist for them).
async fn party(platform: &Platform, viewer: Reader<'_>, need: &NeedRecord) -> Result<(Party, Option<Helper>)> {
    let helper = match need.helper_id {
        Some(id) => platform.store.helper(id).await?,
        None => None,
    };
    match viewer {
        Reader::Staff(staff) => {
            may_coordinate(staff)?;
            match staff.scope.reaches(&need.community_code) {
                true => Ok((Party::Coordinator, helper)),
                false => Err(AppError::NotFound),
            }
        }
        Reader::Resident(r) if helper.as_ref().is_some_and(|h| h.resident_id == Some(r.id)) => {
            Ok((Party::Helper, helper))
        }
        Reader::Resident(r) if need.resident_id == Some(r.id) => Ok((Party::Requester, helper)),
        Reader::Resident(_) => Err(AppError::NotFound),
    }
}

fn moves_for(need: &NeedRecord, party: Party, helper: Option<&Helper>) -> Vec<NeedMove> {
    let is_person = helper.is_none_or(|h| h.kind.is_person());
    NeedMove::ALL
        .iter()
        .copied()
        .filter(|m| m.rule().0.contains(&need.state) && m.made_by(party, is_person))
        // A requester cancels only while nobody has taken it on.
        .filter(|m| !(party == Party::Requester && *m == NeedMove::Cancel && need.state != NeedState::Open))
        .collect()
}

/// A need as its reader may see it.
pub async fn view(platform: &Platform, viewer: Reader<'_>, id: Uuid) -> Result<NeedView> {
    if let Reader::Staff(staff) = viewer {
        may_coordinate(staff)?;
    }
    let need = platform.store.need(id).await?.ok_or(AppError::NotFound)?;
    let (party, helper) = party(platform, viewer, &need).await?;
    let sees_contact = match party {
        Party::Coordinator | Party::Requester => true,
        Party::Helper => matches!(need.state, NeedState::Accepted | NeedState::Done | NeedState::Confirmed),
    };
    let contact = match sees_contact {
        true => Some(platform.store.need_contact(id).await?),
        false => None,
    };
    Ok(NeedView { moves: moves_for(&need, party, helper.as_ref()), need, party, contact })
}

/// The verified helpers with the skill a need asks for, in the district, in the order of
/// `helpers::rank`: free at the time, near, less busy, experienced.
pub async fn suggest(platform: &Platform, staff: &User, id: Uuid) -> Result<Vec<Suggestion>> {
    may_coordinate(staff)?;
    let need = platform.store.need(id).await?.ok_or(AppError::NotFound)?;
    if party(platform, Reader::Staff(staff), &need).await?.0 != Party::Coordinator {
        return Err(AppError::NotFound);
    }
    let district = &need.community_code[..RegionLevel::County.digits()];
    let atlas = platform.atlas();
    let centre = |code: &str| atlas.outline(code).map(|o| o.label_at);
    let need_at = centre(&need.community_code);
    let available = platform.store.helpers_with_skill(need.skill, district).await?;
    let mut helpers = std::collections::HashMap::new();
    let candidates = available
        .into_iter()
        .map(|a| {
            let km = need_at.zip(centre(&a.helper.region_code)).map(|(n, h)| km_between(n, h));
            let candidate = Candidate {
                id: a.helper.id,
                region_code: a.helper.region_code.clone(),
                availability: a.helper.availability,
                km,
                open_tasks: a.open_tasks,
                confirmed_minutes: a.helper.points.minutes_confirmed,
            };
            helpers.insert(a.helper.id, a.helper);
            candidate
        })
        .collect();
    let wanted = Wanted { region_code: &need.community_code, on: need.on, part: need.part };
    Ok(rank(&wanted, candidates)
        .into_iter()
        .take(SUGGESTED)
        .filter_map(|(c, reasons)| helpers.remove(&c.id).map(|helper| Suggestion { helper, reasons }))
        .collect())
}

fn step(kind: NeedMove, form: MoveForm) -> Result<NeedStep> {
    let note = |required: bool| check_note("note", form.note.as_deref().unwrap_or_default(), required);
    Ok(match kind {
        NeedMove::Offer => NeedStep::Offer {
            helper: trimmed(form.helper_id.as_deref())
                .and_then(|h| Uuid::parse_str(h).ok())
                .ok_or_else(|| AppError::invalid("helper_id", "请选择服务者", "choose a helper"))?,
        },
        NeedMove::Accept => NeedStep::Accept,
        NeedMove::Decline => NeedStep::Decline { note: note(false)? },
        NeedMove::Withdraw => NeedStep::Withdraw { note: note(true)? },
        NeedMove::Report => NeedStep::Report {
            minutes: check_hours(form.hours.as_deref().unwrap_or_default())?,
            note: note(false)?,
            photos: form.photos,
        },
        NeedMove::SendBack => NeedStep::SendBack { note: note(true)? },
        NeedMove::Confirm => {
            NeedStep::Confirm { rating: check_rating(form.rating.as_deref().unwrap_or_default())?, note: note(false)? }
        }
        NeedMove::Cancel => NeedStep::Cancel { note: note(true)? },
    })
}

/// Makes a move on a need, if the mover may make it now.
pub async fn act(platform: &Platform, mover: Reader<'_>, id: Uuid, form: MoveForm) -> Result<NeedRecord> {
    let view = view(platform, mover, id).await?;
    let kind = NeedMove::parse_field("move", &form.action)?;
    if !view.moves.contains(&kind) {
        kind.from(view.need.state)?;
        return Err(AppError::Forbidden(crate::Text::new(
            format!("您不能对该需求执行“{}”", kind.label_zh()),
            format!("you may not {} this need", kind.label_en()),
        )));
    }
    let step = step(kind, form)?;
    let actor = match mover {
        Reader::Staff(staff) => staff.actor(),
        Reader::Resident(_) => grassroots_domain::Actor::Resident,
    };
    let by = match (mover, view.party) {
        (Reader::Staff(_), _) => NeedActor::Staff(&actor),
        (Reader::Resident(r), Party::Helper) => NeedActor::Helper(r.id),
        (Reader::Resident(r), Party::Coordinator | Party::Requester) => NeedActor::Resident(r.id),
    };
    Ok(platform.store.move_need(by, id, view.need.state, &step, Utc::now()).await?)
}

/// A photo of a need's report, for whoever may read the need.
pub async fn photo(platform: &Platform, viewer: Reader<'_>, id: Uuid, digest: &str) -> Result<(String, Vec<u8>)> {
    view(platform, viewer, id).await?;
    platform.store.need_photo(id, digest).await?.ok_or(AppError::NotFound)
}
