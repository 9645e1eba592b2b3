//! 党建引领 over JSON: staff who keep party work set up the organisations of their places,
//! enrol members (names sealed), link members to households and record their contacts,
//! register in-service members with their community (双报到) and their service, and record
//! activities with attendance; the figures for anyone who reads statistics.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use grassroots_app::party::{
    self, ActivityForm, ContactForm, MemberForm, OrgForm, PersonForm, RegistrationForm, ServiceForm, TransferForm,
};
use grassroots_app::visits::RaisedCase;
use grassroots_domain::party::LinkCoverage;
use grassroots_domain::RegionCode;
use grassroots_store::party::{
    GridParty, LinkedHousehold, PartyActivity, PartyContact, PartyMember, PartyOrg, PartyRegistration, PartyTally,
    SealedPerson, ServiceRecord,
};
use grassroots_store::{CreatedCase, Household};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{id_in_path, optional_day};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(orgs, create_org))
        .routes(routes!(remove_org))
        .routes(routes!(rename_org))
        .routes(routes!(members, add_member))
        .routes(routes!(member))
        .routes(routes!(link))
        .routes(routes!(unlink))
        .routes(routes!(record_contact))
        .routes(routes!(reveal))
        .routes(routes!(leave))
        .routes(routes!(transfer))
        .routes(routes!(contacts))
        .routes(routes!(registrations, register))
        .routes(routes!(registration))
        .routes(routes!(record_service))
        .routes(routes!(activities, record_activity))
        .routes(routes!(figures))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyOrgs {
    /// By place and rank: the tree's order.
    pub orgs: Vec<PartyOrg>,
}

/// The party organisations of the caller's places.
#[utoipa::path(get, path = "/v1/party/orgs", tag = "party", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyOrgs), (status = "default", description = "A role that does not keep party work (403), …", body = ErrorBody)))]
pub async fn orgs(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
) -> Result<Json<PartyOrgs>, ApiError> {
    Ok(Json(PartyOrgs { orgs: party::overview(&state, &staff.user).await?.orgs }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyOrgBody {
    /// `committee`, `general_branch`, `branch` or `group`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// The organisation above (none for a committee or general branch at the top).
    pub parent_id: Option<String>,
    /// Where it stands: a district, street, community or grid the caller holds.
    #[serde(default)]
    pub place_code: String,
    /// A group's building (楼栋党小组).
    pub building: Option<String>,
}

/// Sets up an organisation at a place the caller holds, under its parent.
#[utoipa::path(post, path = "/v1/party/orgs", tag = "party", request_body = PartyOrgBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = PartyOrg), (status = "default", description = "A kind that may not stand there or under that parent (422), …", body = ErrorBody)))]
pub async fn create_org(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    ApiJson(b): ApiJson<PartyOrgBody>,
) -> Result<(StatusCode, Json<PartyOrg>), ApiError> {
    let form =
        OrgForm { kind: b.kind, name: b.name, parent_id: b.parent_id, place_code: b.place_code, building: b.building };
    Ok((StatusCode::CREATED, Json(party::create_org(&state, &staff.user, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyOrgNameBody {
    #[serde(default)]
    pub name: String,
}

/// Renames an organisation of the caller's places.
#[utoipa::path(post, path = "/v1/party/orgs/{id}/rename", tag = "party", params(("id" = Uuid, Path)), request_body = PartyOrgNameBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyOrg), (status = "default", description = "An empty or overlong name (422), …", body = ErrorBody)))]
pub async fn rename_org(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PartyOrgNameBody>,
) -> Result<Json<PartyOrg>, ApiError> {
    let id = id_in_path(&id)?.to_string();
    Ok(Json(party::rename_org(&state, &staff.user, &id, &b.name).await?))
}

/// Removes an organisation set up by mistake: only one with no organisation under it, no
/// member (now or before) and no activity.
#[utoipa::path(delete, path = "/v1/party/orgs/{id}", tag = "party", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204), (status = "default", description = "An organisation with a history (422), …", body = ErrorBody)))]
pub async fn remove_org(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    party::remove_org(&state, &staff.user, &id_in_path(&id)?.to_string()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyMembers {
    /// Names masked.
    pub members: Vec<PartyMember>,
}

/// The members of the caller's places now, names masked.
#[utoipa::path(get, path = "/v1/party/members", tag = "party", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyMembers), (status = "default", body = ErrorBody)))]
pub async fn members(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
) -> Result<Json<PartyMembers>, ApiError> {
    Ok(Json(PartyMembers { members: party::overview(&state, &staff.user).await?.members }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyMemberBody {
    /// A branch or group.
    #[serde(default)]
    pub org_id: String,
    /// `secretary`, `deputy_secretary`, `committee_member`, `group_leader`, `member` or
    /// `probationary`.
    #[serde(default)]
    pub role: String,
    /// The grid they live in or serve (the organisation's when it stands in a grid).
    pub grid_code: Option<String>,
    #[serde(default)]
    pub name: String,
    pub phone: Option<String>,
}

/// Enrols a member in a branch or group the caller holds; name and phone sealed.
#[utoipa::path(post, path = "/v1/party/members", tag = "party", request_body = PartyMemberBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = PartyMember), (status = "default", description = "A role the organisation lacks, a committee (members are a branch's or group's) (422), …", body = ErrorBody)))]
pub async fn add_member(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    ApiJson(b): ApiJson<PartyMemberBody>,
) -> Result<(StatusCode, Json<PartyMember>), ApiError> {
    let form = MemberForm {
        org_id: b.org_id,
        role: b.role,
        grid_code: b.grid_code,
        person: PersonForm { name: b.name, phone: b.phone },
    };
    Ok((StatusCode::CREATED, Json(party::add_member(&state, &staff.user, form).await?)))
}

/// A member with the households they keep contact with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyMemberView {
    pub member: PartyMember,
    pub org: PartyOrg,
    pub linked: Vec<LinkedHousehold>,
    /// Households of their grid they may be linked to.
    pub linkable: Vec<Household>,
}

/// A member of the caller's places with their linked households.
#[utoipa::path(get, path = "/v1/party/members/{id}", tag = "party", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyMemberView), (status = "default", description = "Outside the caller's places (404), …", body = ErrorBody)))]
pub async fn member(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
) -> Result<Json<PartyMemberView>, ApiError> {
    let v = party::member(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(PartyMemberView { member: v.member, org: v.org, linked: v.linked, linkable: v.linkable }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Households of the member's community, in grids the caller holds.
    #[serde(default)]
    pub households: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkedHouseholds {
    pub linked: Vec<LinkedHousehold>,
}

/// Links households to a member (党员联户); one another member keeps is refused.
#[utoipa::path(post, path = "/v1/party/members/{id}/households", tag = "party", params(("id" = Uuid, Path)), request_body = LinkBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = LinkedHouseholds), (status = "default", description = "Linked to another member, or past the most a member keeps (422), …", body = ErrorBody)))]
pub async fn link(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<Json<LinkedHouseholds>, ApiError> {
    Ok(Json(LinkedHouseholds { linked: party::link(&state, &staff.user, id_in_path(&id)?, &b.households).await? }))
}

/// Ends a member's link to a household.
#[utoipa::path(delete, path = "/v1/party/members/{id}/households/{household}", tag = "party",
    params(("id" = Uuid, Path), ("household" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 204), (status = "default", body = ErrorBody)))]
pub async fn unlink(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path((id, household)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    party::unlink(&state, &staff.user, id_in_path(&id)?, &household).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A problem a contact found, taken in as a case of the household's grid.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCaseBody {
    pub description: String,
    pub category_code: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[serde(default)]
    pub household_id: String,
    /// `YYYY-MM-DD`, within the last year; today when absent.
    pub contacted_on: Option<String>,
    /// `visit`, `phone`, `online` or `meeting`.
    #[serde(default)]
    pub means: String,
    #[serde(default)]
    pub topic: String,
    pub follow_up: Option<String>,
    pub raise_case: Option<ContactCaseBody>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactRecorded {
    pub contact: PartyContact,
    /// The case a problem found became.
    pub case: Option<CreatedCase>,
}

/// Records a member's contact with a household linked to them, like a visit.
#[utoipa::path(post, path = "/v1/party/members/{id}/contacts", tag = "party", params(("id" = Uuid, Path)), request_body = ContactBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = ContactRecorded), (status = "default", description = "A household not linked to the member (422), …", body = ErrorBody)))]
pub async fn record_contact(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ContactBody>,
) -> Result<(StatusCode, Json<ContactRecorded>), ApiError> {
    let form = ContactForm {
        household_id: b.household_id,
        contacted_on: b.contacted_on,
        means: b.means,
        topic: b.topic,
        follow_up: b.follow_up,
        raise_case: b.raise_case.map(|c| RaisedCase { description: c.description, category_code: c.category_code }),
    };
    let (contact, case) = party::record_contact(&state, &staff.user, id_in_path(&id)?, form).await?;
    Ok((StatusCode::CREATED, Json(ContactRecorded { contact, case })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyReasonBody {
    #[serde(default)]
    pub reason: String,
}

/// A member's name and phone in full, for a stated reason; the reveal is audited.
#[utoipa::path(post, path = "/v1/party/members/{id}/reveal", tag = "party", params(("id" = Uuid, Path)), request_body = PartyReasonBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SealedPerson), (status = "default", body = ErrorBody)))]
pub async fn reveal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PartyReasonBody>,
) -> Result<Json<SealedPerson>, ApiError> {
    Ok(Json(party::reveal(&state, &staff.user, id_in_path(&id)?, Some(&b.reason)).await?))
}

/// A member leaves (moved away, transferred out); their households are unlinked.
#[utoipa::path(post, path = "/v1/party/members/{id}/leave", tag = "party", params(("id" = Uuid, Path)), request_body = PartyReasonBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204), (status = "default", body = ErrorBody)))]
pub async fn leave(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PartyReasonBody>,
) -> Result<StatusCode, ApiError> {
    party::leave(&state, &staff.user, id_in_path(&id)?, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyTransferBody {
    /// The branch or group they move to.
    #[serde(default)]
    pub org_id: String,
    /// Their role there (as when enrolled).
    #[serde(default)]
    pub role: String,
    /// The grid they live in or serve (the organisation's when it stands in a grid).
    pub grid_code: Option<String>,
}

/// A member moves to another branch or group the caller holds, with their role there
/// (组织关系转接); moving to another community ends their household links.
#[utoipa::path(post, path = "/v1/party/members/{id}/transfer", tag = "party", params(("id" = Uuid, Path)), request_body = PartyTransferBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyMember), (status = "default", description = "A role the organisation lacks, the same place as now, a member who left (422), …", body = ErrorBody)))]
pub async fn transfer(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PartyTransferBody>,
) -> Result<Json<PartyMember>, ApiError> {
    let form = TransferForm { org_id: b.org_id, role: b.role, grid_code: b.grid_code };
    Ok(Json(party::transfer(&state, &staff.user, id_in_path(&id)?, form).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyContacts {
    /// The newest first.
    pub contacts: Vec<PartyContact>,
}

/// The latest contacts of members in the caller's places.
#[utoipa::path(get, path = "/v1/party/contacts", tag = "party", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyContacts), (status = "default", body = ErrorBody)))]
pub async fn contacts(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
) -> Result<Json<PartyContacts>, ApiError> {
    Ok(Json(PartyContacts { contacts: party::overview(&state, &staff.user).await?.contacts }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyRegistrations {
    pub registrations: Vec<PartyRegistration>,
}

/// In-service members registered with the caller's communities (双报到).
#[utoipa::path(get, path = "/v1/party/registrations", tag = "party", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyRegistrations), (status = "default", body = ErrorBody)))]
pub async fn registrations(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
) -> Result<Json<PartyRegistrations>, ApiError> {
    Ok(Json(PartyRegistrations { registrations: party::overview(&state, &staff.user).await?.registrations }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyRegistrationBody {
    /// The community where they live.
    #[serde(default)]
    pub community_code: String,
    pub grid_code: Option<String>,
    /// The party organisation of their workplace.
    #[serde(default)]
    pub home_org: String,
    #[serde(default)]
    pub name: String,
    pub phone: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub registered_on: Option<String>,
}

/// Registers an in-service member with the community where they live; name and phone sealed.
#[utoipa::path(post, path = "/v1/party/registrations", tag = "party", request_body = PartyRegistrationBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = PartyRegistration), (status = "default", body = ErrorBody)))]
pub async fn register(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    ApiJson(b): ApiJson<PartyRegistrationBody>,
) -> Result<(StatusCode, Json<PartyRegistration>), ApiError> {
    let form = RegistrationForm {
        community_code: b.community_code,
        grid_code: b.grid_code,
        home_org: b.home_org,
        person: PersonForm { name: b.name, phone: b.phone },
        registered_on: b.registered_on,
    };
    Ok((StatusCode::CREATED, Json(party::register(&state, &staff.user, form).await?)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyRegistrationView {
    pub registration: PartyRegistration,
    /// The latest first.
    pub services: Vec<ServiceRecord>,
}

/// A registration with the service recorded.
#[utoipa::path(get, path = "/v1/party/registrations/{id}", tag = "party", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyRegistrationView), (status = "default", body = ErrorBody)))]
pub async fn registration(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
) -> Result<Json<PartyRegistrationView>, ApiError> {
    let (registration, services) = party::registration(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(PartyRegistrationView { registration, services }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    /// `YYYY-MM-DD`; today when absent.
    pub served_on: Option<String>,
    /// 0.5 to 12, in half hours.
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub what: String,
}

/// Records what a registered member did in their community.
#[utoipa::path(post, path = "/v1/party/registrations/{id}/services", tag = "party", params(("id" = Uuid, Path)), request_body = ServiceBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = ServiceRecord), (status = "default", body = ErrorBody)))]
pub async fn record_service(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ServiceBody>,
) -> Result<(StatusCode, Json<ServiceRecord>), ApiError> {
    let form = ServiceForm { served_on: b.served_on, hours: b.hours, what: b.what };
    Ok((StatusCode::CREATED, Json(party::record_service(&state, &staff.user, id_in_path(&id)?, form).await?)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyActivities {
    /// The latest first.
    pub activities: Vec<PartyActivity>,
}

/// Activities of the organisations of the caller's places, with attendance counted.
#[utoipa::path(get, path = "/v1/party/activities", tag = "party", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyActivities), (status = "default", body = ErrorBody)))]
pub async fn activities(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
) -> Result<Json<PartyActivities>, ApiError> {
    Ok(Json(PartyActivities { activities: party::overview(&state, &staff.user).await?.activities }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyActivityBody {
    #[serde(default)]
    pub org_id: String,
    /// `theme_day`, `branch_meeting`, `committee_meeting`, `group_meeting`, `lecture` or
    /// `service`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// `YYYY-MM-DD`; today when absent.
    pub held_on: Option<String>,
    #[serde(default)]
    pub venue: String,
    /// Members present; every other member of the organisation and those under it is absent.
    #[serde(default)]
    pub present: Vec<String>,
    /// Members excused (请假).
    #[serde(default)]
    pub on_leave: Vec<String>,
}

/// Records an activity with its attendance.
#[utoipa::path(post, path = "/v1/party/activities", tag = "party", request_body = PartyActivityBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = PartyActivity), (status = "default", description = "Someone attending who is not a member of the organisation (422), …", body = ErrorBody)))]
pub async fn record_activity(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    ApiJson(b): ApiJson<PartyActivityBody>,
) -> Result<(StatusCode, Json<PartyActivity>), ApiError> {
    let form = ActivityForm {
        org_id: b.org_id,
        kind: b.kind,
        title: b.title,
        held_on: b.held_on,
        venue: b.venue,
        present: b.present,
        on_leave: b.on_leave,
    };
    Ok((StatusCode::CREATED, Json(party::record_activity(&state, &staff.user, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartyFiguresParams {
    /// A district, street or community the caller reaches.
    region: String,
    /// Activities and service from this day (`YYYY-MM-DD`); 90 days before `to` when absent.
    from: Option<String>,
    /// Up to this day, inclusive; today when absent.
    to: Option<String>,
}

/// The party figures of a region.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyFiguresBody {
    pub region: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Grids of the caller's scope in the region.
    pub grids: Vec<GridParty>,
    /// Grids with a branch or group.
    pub organised_grids: usize,
    pub members_in_grids: i64,
    /// Households linked and reached, summed over the grids.
    pub coverage: LinkCoverage,
    pub tally: PartyTally,
}

/// Grids organised, members per grid, households linked and reached, organisations, in-service
/// members' hours and attendance. Aggregates only.
#[utoipa::path(get, path = "/v1/party/figures", tag = "party", params(PartyFiguresParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PartyFiguresBody), (status = "default", body = ErrorBody)))]
pub async fn figures(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    ApiQuery(p): ApiQuery<PartyFiguresParams>,
) -> Result<Json<PartyFiguresBody>, ApiError> {
    let region = RegionCode::parse(&p.region).map_err(|e| grassroots_domain::FieldError { field: "region", ..e })?;
    let (from, to) = (optional_day("from", p.from.as_deref())?, optional_day("to", p.to.as_deref())?);
    let f = party::figures(&state, &staff.user, &region, from, to).await?;
    Ok(Json(PartyFiguresBody {
        region: f.region,
        from: f.from,
        to: f.to,
        grids: f.grids,
        organised_grids: f.organised_grids,
        members_in_grids: f.members_in_grids,
        coverage: f.coverage,
        tally: f.tally,
    }))
}
