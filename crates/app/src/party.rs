//! 党建引领: staff of a place set up its party organisations (a committee, general branches,
//! branches per community or grid, groups per building), enrol members with their roles (names
//! sealed), link each member to the households they keep contact with and record the contacts
//! as visits are recorded (a problem found becomes a case first), register in-service members
//! with the community where they live (双报到) and their service, and record activities with
//! attendance. Leaders read the figures: grids organised, members per grid, households linked
//! and reached. Called alike by the JSON API and the pages; the rules are
//! `grassroots_domain::party`.

use chrono::{NaiveDate, Utc};
use grassroots_domain::party::{
    check_done_day, check_hours, check_placement, within_tree, ActivityKind, Attendance, ContactMeans, LinkCoverage,
    MemberRole, OrgKind,
};
use grassroots_domain::personal::normalize_phone;
use grassroots_domain::{Capability, FieldError, RegionCode, RegionLevel};
use grassroots_store::party::{
    GridParty, LinkedHousehold, MemberPlace, NewActivity, NewContact, NewMember, NewOrg, NewPartyRegistration,
    PartyActivity, PartyContact, PartyMember, PartyOrg, PartyRegistration, PartyTally, SealedPerson, ServiceRecord,
};
use grassroots_store::{CreatedCase, Household, StoreError, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::visits::RaisedCase;
use crate::{require, AppError, Platform, Result};

const LISTED: i64 = 500;

/// An organisation as a form sets it up.
#[derive(Debug, Clone, Default)]
pub struct OrgForm {
    pub kind: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub place_code: String,
    pub building: Option<String>,
}

/// Someone as a form names them: a member, or an in-service member registering.
#[derive(Debug, Clone, Default)]
pub struct PersonForm {
    pub name: String,
    pub phone: Option<String>,
}

/// A member as a form enrols them.
#[derive(Debug, Clone, Default)]
pub struct MemberForm {
    pub org_id: String,
    pub role: String,
    /// The grid they live in or serve; the organisation's grid when it stands in one.
    pub grid_code: Option<String>,
    pub person: PersonForm,
}

/// Where a member moves, as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct TransferForm {
    pub org_id: String,
    pub role: String,
    /// The grid they live in or serve; the organisation's grid when it stands in one.
    pub grid_code: Option<String>,
}

/// A contact as a form records it.
#[derive(Debug, Clone, Default)]
pub struct ContactForm {
    pub household_id: String,
    /// `YYYY-MM-DD`; today when absent.
    pub contacted_on: Option<String>,
    pub means: String,
    pub topic: String,
    pub follow_up: Option<String>,
    pub raise_case: Option<RaisedCase>,
}

/// An in-service member registering with the community where they live.
#[derive(Debug, Clone, Default)]
pub struct RegistrationForm {
    pub community_code: String,
    pub grid_code: Option<String>,
    pub home_org: String,
    pub person: PersonForm,
    /// `YYYY-MM-DD`; today when absent.
    pub registered_on: Option<String>,
}

/// Service as a form records it.
#[derive(Debug, Clone, Default)]
pub struct ServiceForm {
    pub served_on: Option<String>,
    pub hours: String,
    pub what: String,
}

/// An activity as a form records it: those present and on leave named, every other member of
/// the organisation and those under it absent.
#[derive(Debug, Clone, Default)]
pub struct ActivityForm {
    pub org_id: String,
    pub kind: String,
    pub title: String,
    pub held_on: Option<String>,
    pub venue: String,
    pub present: Vec<String>,
    pub on_leave: Vec<String>,
}

/// The party work of the caller's places.
#[derive(Debug, Clone)]
pub struct PartyOverview {
    pub orgs: Vec<PartyOrg>,
    pub members: Vec<PartyMember>,
    pub registrations: Vec<PartyRegistration>,
    pub activities: Vec<PartyActivity>,
    pub contacts: Vec<PartyContact>,
}

/// A member with the households they keep contact with and those of their grid not yet
/// linked to anyone.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub member: PartyMember,
    pub org: PartyOrg,
    pub linked: Vec<LinkedHousehold>,
    pub linkable: Vec<Household>,
    /// Whether the reader may change their links and record contacts.
    pub keeps: bool,
}

/// The party figures of a region: each grid's, and the totals.
#[derive(Debug, Clone)]
pub struct PartyFigures {
    pub region: String,
    pub grids: Vec<GridParty>,
    pub organised_grids: usize,
    pub members_in_grids: i64,
    pub coverage: LinkCoverage,
    pub tally: PartyTally,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn may_organise(staff: &User) -> Result<()> {
    require(staff, Capability::OrganiseParty)
}

fn trimmed(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn id(field: &'static str, raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::invalid(field, "编号无效", "not a valid id"))
}

fn day_or_today(field: &'static str, raw: Option<&str>) -> Result<NaiveDate> {
    let today = crate::care::today();
    let day = match trimmed(raw) {
        None => today,
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::invalid(field, "日期格式应为YYYY-MM-DD", "expected a date YYYY-MM-DD"))?,
    };
    Ok(check_done_day(field, day, today)?)
}

fn person(form: &PersonForm) -> Result<SealedPerson> {
    let phone = match trimmed(form.phone.as_deref()) {
        None => None,
        Some(raw) => Some(normalize_phone(raw).map_err(|e| FieldError { field: "phone", ..e })?),
    };
    Ok(SealedPerson { name: short_text("name", &form.name, 30)?, phone })
}

/// A grid of `community`, if given.
fn grid_within(raw: Option<&str>, community: &str) -> Result<Option<String>> {
    match trimmed(raw) {
        None => Ok(None),
        Some(g) if g.len() == RegionLevel::Grid.digits() && g.starts_with(community) => Ok(Some(g.to_string())),
        Some(_) => Err(AppError::invalid("grid_code", "网格应在所在社区之内", "the grid lies in the community")),
    }
}

fn outside(field: &'static str) -> AppError {
    AppError::invalid(field, "只能在您负责的地区开展", "only in your own places")
}

/// Maps the store's "not yours" to a field error naming where.
fn placed<T>(field: &'static str, done: std::result::Result<T, StoreError>) -> Result<T> {
    match done {
        Err(StoreError::NotFound) => Err(outside(field)),
        done => Ok(done?),
    }
}

/// Sets up an organisation at a place the caller holds, under its parent.
pub async fn create_org(platform: &Platform, staff: &User, form: OrgForm) -> Result<PartyOrg> {
    may_organise(staff)?;
    let kind = OrgKind::parse_field("kind", &form.kind)?;
    let place = RegionCode::parse(&form.place_code).map_err(|e| FieldError { field: "place_code", ..e })?;
    let parent = match trimmed(form.parent_id.as_deref()) {
        None => None,
        Some(raw) => {
            let parent = platform.store.party_org(id("parent_id", raw)?).await?;
            let parent = parent
                .filter(|p| staff.scope.reaches(&p.place_code))
                .ok_or_else(|| AppError::invalid("parent_id", "上级党组织不存在", "no such parent organisation"))?;
            Some(parent)
        }
    };
    let parent_place = parent.as_ref().map(|p| RegionCode::parse(&p.place_code)).transpose()?;
    check_placement(kind, &place, parent.as_ref().map(|p| p.kind).zip(parent_place.as_ref()))?;
    let building = match (kind, trimmed(form.building.as_deref())) {
        (_, None) => None,
        (OrgKind::Group, Some(b)) => Some(short_text("building", b, 40)?),
        (_, Some(_)) => {
            return Err(AppError::invalid("building", "只有党小组按楼栋设立", "only a group is of a building"))
        }
    };
    let new = NewOrg {
        kind,
        name: short_text("name", &form.name, 60)?,
        parent_id: parent.map(|p| p.id),
        place_code: place.as_str().to_string(),
        building,
    };
    placed("place_code", platform.store.create_party_org(&staff.actor(), &new, Utc::now()).await)
}

/// Renames an organisation of the caller's places.
pub async fn rename_org(platform: &Platform, staff: &User, org_id: &str, name: &str) -> Result<PartyOrg> {
    may_organise(staff)?;
    let org = org_in_scope(platform, staff, "org_id", org_id).await?;
    let name = short_text("name", name, 60)?;
    placed("org_id", platform.store.rename_party_org(&staff.actor(), org.id, &name, Utc::now()).await)
}

/// Removes an organisation set up by mistake: one with no organisation under it, no member
/// (now or before) and no activity. One with a history stays, renamed if need be.
pub async fn remove_org(platform: &Platform, staff: &User, org_id: &str) -> Result<()> {
    may_organise(staff)?;
    let org = org_in_scope(platform, staff, "org_id", org_id).await?;
    placed("org_id", platform.store.remove_party_org(&staff.actor(), org.id, Utc::now()).await)
}

/// An organisation of the caller's places.
async fn org_in_scope(platform: &Platform, staff: &User, field: &'static str, raw: &str) -> Result<PartyOrg> {
    let org = platform.store.party_org(id(field, raw)?).await?;
    org.filter(|o| staff.scope.reaches(&o.place_code))
        .ok_or_else(|| AppError::invalid(field, "党组织不存在", "no such organisation"))
}

/// Enrols a member in a branch or group the caller holds.
pub async fn add_member(platform: &Platform, staff: &User, form: MemberForm) -> Result<PartyMember> {
    may_organise(staff)?;
    let place = placement(platform, staff, &form.org_id, &form.role, form.grid_code.as_deref()).await?;
    let new = NewMember {
        org_id: place.org_id,
        community_code: place.community_code,
        grid_code: place.grid_code,
        role: place.role,
        person: person(&form.person)?,
    };
    placed("org_id", platform.store.add_party_member(&staff.actor(), &new, Utc::now()).await)
}

/// A member's place in the tree as a form gives it: a branch or group the caller holds, a
/// role it has, and a grid of its community (the organisation's own when it stands in one).
async fn placement(
    platform: &Platform,
    staff: &User,
    org_id: &str,
    role: &str,
    grid_code: Option<&str>,
) -> Result<MemberPlace> {
    let org = org_in_scope(platform, staff, "org_id", org_id).await?;
    if !org.kind.holds_members() {
        return Err(AppError::invalid(
            "org_id",
            "党员编入党支部或党小组",
            "members are enrolled in a branch or a group",
        ));
    }
    let role = MemberRole::parse_field("role", role)?;
    if !role.fits(org.kind) {
        return Err(AppError::invalid(
            "role",
            format!("{}中没有“{}”一职", org.kind.label_zh(), role.label_zh()),
            format!("a {} has no {}", org.kind.label_en(), role.label_en()),
        ));
    }
    let community = org.place_code.get(..RegionLevel::Community.digits()).unwrap_or(&org.place_code).to_string();
    let grid = match grid_within(grid_code, &community)? {
        None if org.place_code.len() == RegionLevel::Grid.digits() => Some(org.place_code.clone()),
        grid => grid,
    };
    Ok(MemberPlace { org_id: org.id, community_code: community, grid_code: grid, role })
}

/// Moves a member to another branch or group the caller holds, with their role there
/// (组织关系转接 within the platform). Moving to another community ends the household links
/// they kept, as members keep contact in their own community only.
pub async fn transfer(platform: &Platform, staff: &User, member_id: Uuid, form: TransferForm) -> Result<PartyMember> {
    let member = scoped(platform, staff, member_id).await?;
    let place = placement(platform, staff, &form.org_id, &form.role, form.grid_code.as_deref()).await?;
    if (place.org_id, place.role, &place.grid_code) == (member.org_id, member.role, &member.grid_code) {
        return Err(AppError::invalid(
            "org_id",
            "与现在的组织、职务和网格相同",
            "the same organisation, role and grid as now",
        ));
    }
    placed("member", platform.store.transfer_party_member(&staff.actor(), member_id, &place, Utc::now()).await)
}

/// The organisations, members, registrations, activities and latest contacts of the
/// caller's places.
pub async fn overview(platform: &Platform, staff: &User) -> Result<PartyOverview> {
    may_organise(staff)?;
    let places = crate::staff_places(staff);
    let store = &platform.store;
    let (orgs, members, registrations, activities, contacts) = tokio::try_join!(
        store.party_orgs(&places),
        store.party_members(&places),
        store.registrations(&places),
        store.party_activities(&places, LISTED),
        store.party_contacts(&places, 50),
    )?;
    Ok(PartyOverview { orgs, members, registrations, activities, contacts })
}

/// A member of the caller's places (404 for anyone else).
async fn scoped(platform: &Platform, staff: &User, member_id: Uuid) -> Result<PartyMember> {
    may_organise(staff)?;
    let member = platform.store.party_member(member_id).await?;
    member.filter(|m| staff.scope.reaches(&m.community_code)).ok_or(AppError::NotFound)
}

/// A member of the caller's places with their households (404 for anyone else).
pub async fn member(platform: &Platform, staff: &User, member_id: Uuid) -> Result<MemberView> {
    let member = scoped(platform, staff, member_id).await?;
    let org = platform.store.party_org(member.org_id).await?.ok_or(AppError::NotFound)?;
    let linked = platform.store.linked_households(member_id).await?;
    // The households of their grid not theirs yet (one another member keeps is refused when
    // linked, by the store).
    let linkable = match member.grid_code.as_deref().filter(|g| staff.scope.covers_place(g)) {
        Some(grid) => platform.store.households(grid).await?,
        None => Vec::new(),
    };
    let linkable = linkable.into_iter().filter(|h| !linked.iter().any(|l| l.household_id == h.id)).collect();
    let keeps = member.left_at.is_none();
    Ok(MemberView { member, org, linked, linkable, keeps })
}

/// The branches and groups of the caller's places: where members are moved to.
pub async fn member_orgs(platform: &Platform, staff: &User) -> Result<Vec<PartyOrg>> {
    may_organise(staff)?;
    let orgs = platform.store.party_orgs(&crate::staff_places(staff)).await?;
    Ok(orgs.into_iter().filter(|o| o.kind.holds_members()).collect())
}

/// Links households to a member; each must be in a grid the caller holds, in the member's
/// community, and linked to nobody else.
pub async fn link(
    platform: &Platform,
    staff: &User,
    member_id: Uuid,
    households: &[String],
) -> Result<Vec<LinkedHousehold>> {
    scoped(platform, staff, member_id).await?;
    let households =
        households.iter().filter(|h| !h.trim().is_empty()).map(|h| id("households", h)).collect::<Result<Vec<_>>>()?;
    if households.is_empty() {
        return Err(AppError::invalid("households", "请选择联系的住户", "choose the households"));
    }
    let linked =
        platform.store.link_households(&staff.actor(), member_id, &households, crate::care::today(), Utc::now()).await;
    placed("households", linked)
}

/// Ends a member's link to a household.
pub async fn unlink(platform: &Platform, staff: &User, member_id: Uuid, household: &str) -> Result<()> {
    scoped(platform, staff, member_id).await?;
    let household = id("household_id", household)?;
    Ok(platform.store.unlink_household(&staff.actor(), member_id, household, Utc::now()).await?)
}

/// Records a member's contact with a household linked to them; a problem the contact found is
/// taken in as a case of the household's grid first, so a failed record loses no report.
pub async fn record_contact(
    platform: &Platform,
    staff: &User,
    member_id: Uuid,
    form: ContactForm,
) -> Result<(PartyContact, Option<CreatedCase>)> {
    let view = member(platform, staff, member_id).await?;
    if !view.keeps {
        return Err(AppError::invalid("member", "该党员已转出", "the member has left"));
    }
    let household = id("household_id", &form.household_id)?;
    let linked = view.linked.iter().find(|l| l.household_id == household).ok_or_else(|| {
        AppError::invalid("household_id", "该住户不是这名党员的联系户", "the household is not one the member keeps")
    })?;
    let contacted_on = day_or_today("contacted_on", form.contacted_on.as_deref())?;
    let means = ContactMeans::parse_field("means", &form.means)?;
    let topic = short_text("topic", &form.topic, 100)?;
    let follow_up = trimmed(form.follow_up.as_deref()).map(|f| short_text("follow_up", f, 1000)).transpose()?;
    if !staff.scope.covers_place(&linked.grid_code) {
        return Err(outside("household_id"));
    }
    let created = match form.raise_case {
        Some(raised) => {
            let grid = crate::visits::grid_in_scope(platform, staff, &linked.grid_code).await?;
            Some(crate::visits::raise(platform, staff, &grid, raised, "党员联户发现").await?)
        }
        None => None,
    };
    let new = NewContact {
        member_id,
        household_id: household,
        contacted_on,
        means,
        topic,
        follow_up,
        case_id: created.as_ref().map(|c| c.id),
    };
    let contact = placed("household_id", platform.store.record_party_contact(&staff.actor(), &new, Utc::now()).await)?;
    Ok((contact, created))
}

/// The name and phone of a member in full, for staff of their places who may see personal
/// data, with their reason (audited).
pub async fn reveal(platform: &Platform, staff: &User, member_id: Uuid, reason: Option<&str>) -> Result<SealedPerson> {
    scoped(platform, staff, member_id).await?;
    require(staff, Capability::RevealPersonalData)?;
    let reason = short_text("reason", reason.unwrap_or_default(), 200)?;
    Ok(platform.store.reveal_party_member(&staff.actor(), member_id, &reason, Utc::now()).await?)
}

/// A member leaves (moved away, transferred out); their households are unlinked.
pub async fn leave(platform: &Platform, staff: &User, member_id: Uuid, reason: &str) -> Result<()> {
    scoped(platform, staff, member_id).await?;
    let reason = short_text("reason", reason, 200)?;
    placed("member", platform.store.party_member_leaves(&staff.actor(), member_id, &reason, Utc::now()).await)
}

/// Registers an in-service member with the community where they live (双报到).
pub async fn register(platform: &Platform, staff: &User, form: RegistrationForm) -> Result<PartyRegistration> {
    may_organise(staff)?;
    let community =
        RegionCode::parse(&form.community_code).ok().filter(|c| c.level() == RegionLevel::Community).ok_or_else(
            || AppError::invalid("community_code", "请选择居住的社区", "choose the community where they live"),
        )?;
    let community = community.as_str().to_string();
    let new = NewPartyRegistration {
        grid_code: grid_within(form.grid_code.as_deref(), &community)?,
        home_org: short_text("home_org", &form.home_org, 60)?,
        person: person(&form.person)?,
        registered_on: day_or_today("registered_on", form.registered_on.as_deref())?,
        community_code: community,
    };
    placed("community_code", platform.store.register_in_service(&staff.actor(), &new, Utc::now()).await)
}

/// A registration of the caller's places with its service (404 for anyone else).
pub async fn registration(
    platform: &Platform,
    staff: &User,
    registration_id: Uuid,
) -> Result<(PartyRegistration, Vec<ServiceRecord>)> {
    may_organise(staff)?;
    let found = platform.store.registration(registration_id).await?;
    let found = found.filter(|r| staff.scope.reaches(&r.community_code)).ok_or(AppError::NotFound)?;
    let services = platform.store.services_of(registration_id).await?;
    Ok((found, services))
}

/// Records what a registered member did in their community.
pub async fn record_service(
    platform: &Platform,
    staff: &User,
    registration_id: Uuid,
    form: ServiceForm,
) -> Result<ServiceRecord> {
    registration(platform, staff, registration_id).await?;
    let served_on = day_or_today("served_on", form.served_on.as_deref())?;
    let half_hours = check_hours(&form.hours)?;
    let what = short_text("what", &form.what, 200)?;
    let recorded =
        platform.store.record_service(&staff.actor(), registration_id, served_on, half_hours, &what, Utc::now()).await;
    placed("registration", recorded)
}

/// The members an activity of `org` expects: its own and those of the organisations under it.
pub async fn expected_members(platform: &Platform, org: &PartyOrg) -> Result<Vec<PartyMember>> {
    let places = grassroots_store::PlaceFilter::Within(vec![org.place_code.clone()]);
    let community = org.place_code.get(..RegionLevel::Community.digits()).unwrap_or(&org.place_code);
    let members_places = grassroots_store::PlaceFilter::Within(vec![community.to_string()]);
    let (orgs, members) =
        tokio::try_join!(platform.store.party_orgs(&places), platform.store.party_members(&members_places))?;
    let parents: Vec<(Uuid, Option<Uuid>)> = orgs.iter().map(|o| (o.id, o.parent_id)).collect();
    let within = within_tree(&org.id, &parents);
    Ok(members.into_iter().filter(|m| within.contains(&m.org_id)).collect())
}

/// Records an activity of an organisation of the caller's places with its attendance.
pub async fn record_activity(platform: &Platform, staff: &User, form: ActivityForm) -> Result<PartyActivity> {
    may_organise(staff)?;
    let org = org_in_scope(platform, staff, "org_id", &form.org_id).await?;
    let ids = |raw: &[String]| -> Result<Vec<Uuid>> {
        raw.iter().filter(|r| !r.trim().is_empty()).map(|r| id("attendance", r)).collect()
    };
    let (present, on_leave) = (ids(&form.present)?, ids(&form.on_leave)?);
    let expected = expected_members(platform, &org).await?;
    if present.iter().chain(&on_leave).any(|m| !expected.iter().any(|e| e.id == *m)) {
        return Err(AppError::invalid(
            "attendance",
            "参加人员应为本组织及下级组织的党员",
            "those attending are members of the organisation or those under it",
        ));
    }
    let attendance = expected
        .iter()
        .map(|m| {
            let status = match (present.contains(&m.id), on_leave.contains(&m.id)) {
                (true, _) => Attendance::Present,
                (false, true) => Attendance::Leave,
                (false, false) => Attendance::Absent,
            };
            (m.id, status)
        })
        .collect();
    let new = NewActivity {
        org_id: org.id,
        kind: ActivityKind::parse_field("kind", &form.kind)?,
        title: short_text("title", &form.title, 100)?,
        held_on: day_or_today("held_on", form.held_on.as_deref())?,
        venue: short_text("venue", &form.venue, 100)?,
        attendance,
    };
    placed("org_id", platform.store.record_party_activity(&staff.actor(), &new, Utc::now()).await)
}

/// The party figures of a region the caller reaches, over the grids of their scope: grids with
/// a branch or group, members per grid, households linked and reached; organisations,
/// in-service members' hours and activities' attendance over `[from, to]` (the last 90 days by
/// default). Leaders read them too (aggregates only).
pub async fn figures(
    platform: &Platform,
    staff: &User,
    region: &RegionCode,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<PartyFigures> {
    require(staff, Capability::ViewStatistics)?;
    if !staff.scope.reaches(region.as_str()) && !staff.scope.covers_place(region.as_str()) {
        return Err(AppError::NotFound);
    }
    let to = to.unwrap_or_else(crate::care::today);
    let from = from.unwrap_or(to - chrono::Duration::days(89));
    if from > to {
        return Err(AppError::invalid("to", "结束日期应不早于开始日期", "the end falls on or after the start"));
    }
    figures_in_scope(platform, &staff.scope, region, from, to).await
}

/// The figures of `region` over the grids `scope` holds, for a reader already allowed them
/// (the dashboard's section).
pub async fn figures_in_scope(
    platform: &Platform,
    scope: &grassroots_domain::Scope,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<PartyFigures> {
    let within = grassroots_store::PlaceFilter::Within(vec![region.as_str().to_string()]);
    let (grids, tally) = tokio::try_join!(
        platform.store.party_grids(region.as_str(), crate::care::today()),
        platform.store.party_tally(&within, from, to),
    )?;
    let grids: Vec<GridParty> = grids.into_iter().filter(|g| scope.covers_place(&g.grid_code)).collect();
    let mut coverage = LinkCoverage::default();
    grids.iter().for_each(|g| coverage.add(&g.coverage));
    Ok(PartyFigures {
        region: region.as_str().to_string(),
        organised_grids: grids.iter().filter(|g| g.organised).count(),
        members_in_grids: grids.iter().map(|g| g.members).sum(),
        coverage,
        grids,
        tally,
        from,
        to,
    })
}
