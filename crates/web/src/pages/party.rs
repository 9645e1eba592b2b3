//! 党建引领 as pages: staff who keep party work see the tree of their places' organisations,
//! their members (names masked), in-service members registered with their communities, the
//! activities with attendance and the latest contacts, with a form for each; a member's page
//! shows the households they keep contact with, links more, records a contact (a problem found
//! becomes a case), reveals the name with a reason or records that they left; a registration's
//! page records service. The figures page, for anyone who reads statistics, shows each grid's
//! organisation, members and households linked and reached.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::party::{
    self, ActivityForm, ContactForm, MemberForm, OrgForm, PartyFigures, PersonForm, RegistrationForm, ServiceForm,
    TransferForm,
};
use grassroots_app::visits::RaisedCase;
use grassroots_domain::party::{ActivityKind, ContactMeans, MemberRole, OrgKind};
use grassroots_domain::RegionCode;
use grassroots_store::party::{PartyActivity, PartyContact, PartyOrg, SealedPerson};
use serde::Deserialize;
use uuid::Uuid;

use super::map::home_region;
use super::votes::places_held;
use super::{choices, communities_reached, percent, place_name, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

/// An organisation as a line of the tree.
struct OrgLine {
    id: String,
    /// How deep in the tree (0 at the top).
    depth: usize,
    kind: String,
    name: String,
    place: String,
    members: i64,
}

/// The tree in order: each organisation followed by those under it.
fn tree(state: &AppState, lang: &Lang, orgs: &[PartyOrg]) -> Vec<OrgLine> {
    /// Lines for the organisations under `parent`, each followed by those under it; the members
    /// they hold in all (a committee's are those of the organisations under it).
    fn walk(
        state: &AppState,
        lang: &Lang,
        orgs: &[PartyOrg],
        parent: Option<Uuid>,
        depth: usize,
        out: &mut Vec<OrgLine>,
    ) -> i64 {
        let mut held = 0;
        for o in orgs.iter().filter(|o| o.parent_id == parent) {
            let at = out.len();
            out.push(OrgLine {
                id: o.id.to_string(),
                depth,
                kind: lang.t(o.kind.label_zh(), o.kind.label_en()).to_string(),
                name: o.name.clone(),
                place: match &o.building {
                    Some(b) => format!("{} · {b}", place_name(state, lang, &o.place_code)),
                    None => place_name(state, lang, &o.place_code),
                },
                members: o.members,
            });
            out[at].members += walk(state, lang, orgs, Some(o.id), depth + 1, out);
            held += out[at].members;
        }
        held
    }
    let mut out = Vec::new();
    // The tops: no parent, or a parent outside the reader's places.
    let tops: Vec<Option<Uuid>> = orgs
        .iter()
        .filter(|o| o.parent_id.is_none_or(|p| !orgs.iter().any(|x| x.id == p)))
        .map(|o| o.parent_id)
        .collect();
    let mut seen = Vec::new();
    for top in tops {
        if !seen.contains(&top) {
            seen.push(top);
            walk(state, lang, orgs, top, 0, &mut out);
        }
    }
    out
}

struct MemberLine {
    href: String,
    name: String,
    role: String,
    org: String,
    grid: String,
    linked: i64,
}

#[derive(Template)]
#[template(path = "party.html")]
struct PartyPage {
    lang: Lang,
    chrome: Chrome,
    figures_href: String,
    orgs: Vec<OrgLine>,
    members: Vec<MemberLine>,
    /// (id, label) of the members, for attendance.
    member_choices: Vec<(String, String)>,
    /// (href, name masked, community, home organisation, registered on, services, hours)
    registrations: Vec<(String, String, String, String, String, i64, f64)>,
    /// (held on, kind, title, organisation, present, on leave, absent)
    activities: Vec<(String, String, String, String, i64, i64, i64)>,
    /// (on, member, household, means, topic)
    contacts: Vec<(String, String, String, String, String)>,
    kinds: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    activity_kinds: Vec<(String, String)>,
    /// (id, label) of the organisations, for a parent or a member's organisation.
    org_choices: Vec<(String, String)>,
    places: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    /// Which form the error belongs to.
    which: String,
    form: Filled,
}

/// The places a staff member may set an organisation up at: the districts and the places
/// they hold.
pub(crate) fn org_places(state: &AppState, staff: &Staff, lang: &Lang) -> Vec<(String, String)> {
    let atlas = state.atlas();
    let districts = atlas
        .served_districts()
        .filter(|d| staff.user.scope.covers_place(d.code.as_str()))
        .map(|d| (d.code.as_str().to_string(), lang.place(&d.name)));
    districts.chain(places_held(state, staff, lang)).collect()
}

fn org_label(lang: &Lang, o: &PartyOrg) -> String {
    format!("{}（{}）", o.name, lang.t(o.kind.label_zh(), o.kind.label_en()))
}

/// (held on, kind, title, organisation, present, on leave, absent) of each activity.
fn activity_lines(lang: &Lang, activities: &[PartyActivity]) -> Vec<(String, String, String, String, i64, i64, i64)> {
    activities
        .iter()
        .map(|a| {
            (
                a.held_on.to_string(),
                lang.t(a.kind.label_zh(), a.kind.label_en()).to_string(),
                a.title.clone(),
                a.org_name.clone(),
                a.present,
                a.on_leave,
                a.absent,
            )
        })
        .collect()
}

/// (on, member, household, means, topic) of each contact.
fn contact_lines(
    state: &AppState,
    lang: &Lang,
    contacts: &[PartyContact],
) -> Vec<(String, String, String, String, String)> {
    contacts
        .iter()
        .map(|c| {
            (
                c.contacted_on.to_string(),
                c.member_masked.clone(),
                format!("{} · {}", place_name(state, lang, &c.grid_code), c.household_label),
                lang.t(c.means.label_zh(), c.means.label_en()).to_string(),
                c.topic.clone(),
            )
        })
        .collect()
}

async fn party_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    which: &str,
    form: Filled,
) -> Result<PartyPage, ApiError> {
    let o = party::overview(state, &staff.user).await?;
    let org_name = |id: Uuid| o.orgs.iter().find(|x| x.id == id).map(|x| x.name.clone()).unwrap_or_default();
    let figures_href = home_region(&staff.user.scope, &state.atlas(), state.placer().districts())
        .map_or_else(|| "/party/figures".to_string(), |r| format!("/party/figures?region={}", r.as_str()));
    Ok(PartyPage {
        figures_href,
        orgs: tree(state, &lang, &o.orgs),
        members: o
            .members
            .iter()
            .map(|m| MemberLine {
                href: format!("/party/members/{}", m.id),
                name: m.name_masked.clone(),
                role: lang.t(m.role.label_zh(), m.role.label_en()).to_string(),
                org: org_name(m.org_id),
                grid: m.grid_code.as_deref().map(|g| place_name(state, &lang, g)).unwrap_or_default(),
                linked: m.linked_households,
            })
            .collect(),
        member_choices: o
            .members
            .iter()
            .map(|m| (m.id.to_string(), format!("{} · {}", m.name_masked, org_name(m.org_id))))
            .collect(),
        registrations: o
            .registrations
            .iter()
            .map(|r| {
                (
                    format!("/party/registrations/{}", r.id),
                    r.name_masked.clone(),
                    place_name(state, &lang, &r.community_code),
                    r.home_org.clone(),
                    r.registered_on.to_string(),
                    r.services,
                    r.hours,
                )
            })
            .collect(),
        activities: activity_lines(&lang, &o.activities),
        contacts: contact_lines(state, &lang, &o.contacts),
        kinds: choices!(lang, OrgKind),
        roles: choices!(lang, MemberRole),
        activity_kinds: choices!(lang, ActivityKind),
        org_choices: o.orgs.iter().map(|x| (x.id.to_string(), org_label(&lang, x))).collect(),
        places: org_places(state, staff, &lang),
        communities: communities_reached(state, staff, &lang),
        which: which.to_string(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(party_page(&state, &staff, lang, &uri, "", Filled::default()).await?.render()?))
}

fn person(typed: &Filled) -> PersonForm {
    PersonForm { name: typed.value("name").to_string(), phone: typed.given("phone") }
}

/// One of the overview's forms, by the `form` field: an organisation, a member, a registration
/// or an activity.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let which = typed.value("form").to_string();
    let user = &staff.user;
    let done = match which.as_str() {
        "org" => party::create_org(
            &state,
            user,
            OrgForm {
                kind: typed.value("kind").to_string(),
                name: typed.value("org_name").to_string(),
                parent_id: typed.given("parent_id"),
                place_code: typed.value("place_code").to_string(),
                building: typed.given("building"),
            },
        )
        .await
        .map(|_| "/party#orgs".to_string()),
        "rename_org" => party::rename_org(&state, user, typed.value("org_id"), typed.value("org_name"))
            .await
            .map(|_| "/party#orgs".to_string()),
        "remove_org" => {
            party::remove_org(&state, user, typed.value("org_id")).await.map(|()| "/party#orgs".to_string())
        }
        "member" => party::add_member(
            &state,
            user,
            MemberForm {
                org_id: typed.value("org_id").to_string(),
                role: typed.value("role").to_string(),
                grid_code: typed.given("grid_code"),
                person: person(&typed),
            },
        )
        .await
        .map(|m| format!("/party/members/{}", m.id)),
        "registration" => party::register(
            &state,
            user,
            RegistrationForm {
                community_code: typed.value("community_code").to_string(),
                grid_code: typed.given("grid_code"),
                home_org: typed.value("home_org").to_string(),
                person: person(&typed),
                registered_on: typed.given("registered_on"),
            },
        )
        .await
        .map(|r| format!("/party/registrations/{}", r.id)),
        _ => party::record_activity(
            &state,
            user,
            ActivityForm {
                org_id: typed.value("org_id").to_string(),
                kind: typed.value("kind").to_string(),
                title: typed.value("title").to_string(),
                held_on: typed.given("held_on"),
                venue: typed.value("venue").to_string(),
                present: typed.typed.all("present").into_iter().map(str::to_string).collect(),
                on_leave: typed.typed.all("on_leave").into_iter().map(str::to_string).collect(),
            },
        )
        .await
        .map(|_| "/party#activities".to_string()),
    };
    match done {
        Ok(to) => Ok(see_other(&to, None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let page = party_page(&state, &staff, lang, &uri, &which, form).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "party_member.html")]
struct MemberPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    name: String,
    role: String,
    org: String,
    grid: String,
    left: bool,
    /// (household id, label, linked on, last contact)
    linked: Vec<(String, String, String, String)>,
    /// (household id, label)
    linkable: Vec<(String, String)>,
    means: Vec<(String, String)>,
    /// The branches and groups they may move to, and the roles: (id or code, label).
    org_choices: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    revealed: Option<SealedPerson>,
    reveals: bool,
    today: String,
    form: Filled,
}

/// A member's page: their view and the organisations they may move to.
async fn member_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    form: Filled,
) -> Result<MemberPage, ApiError> {
    let (v, orgs) = tokio::try_join!(party::member(state, &staff.user, id), party::member_orgs(state, &staff.user))?;
    Ok(MemberPage {
        id: v.member.id.to_string(),
        name: v.member.name_masked.clone(),
        role: lang.t(v.member.role.label_zh(), v.member.role.label_en()).to_string(),
        org: org_label(&lang, &v.org),
        grid: v.member.grid_code.as_deref().map(|g| place_name(state, &lang, g)).unwrap_or_default(),
        left: !v.keeps,
        linked: v
            .linked
            .iter()
            .map(|l| {
                (
                    l.household_id.to_string(),
                    format!("{} · {}", place_name(state, &lang, &l.grid_code), l.label),
                    l.linked_on.to_string(),
                    l.last_contact_on.map(|d| d.to_string()).unwrap_or_else(|| "—".to_string()),
                )
            })
            .collect(),
        linkable: v.linkable.iter().map(|h| (h.id.to_string(), h.label.clone())).collect(),
        means: choices!(lang, ContactMeans),
        org_choices: orgs.iter().map(|o| (o.id.to_string(), org_label(&lang, o))).collect(),
        roles: choices!(lang, MemberRole),
        revealed: None,
        reveals: staff.may(grassroots_domain::Capability::RevealPersonalData),
        today: grassroots_app::care::today().to_string(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn member(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    Ok(Html(member_page(&state, &staff, lang, &uri, id_in_path(&id)?, Filled::default()).await?.render()?))
}

/// One of a member's forms, by the `form` field: link households, a contact, a reveal, a
/// transfer, leaving.
pub async fn member_submit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let user = &staff.user;
    let back = format!("/party/members/{id}");
    let done: Result<Option<SealedPerson>, grassroots_app::AppError> = match typed.value("form") {
        "link" => {
            let households: Vec<String> = typed.typed.all("households").into_iter().map(str::to_string).collect();
            party::link(&state, user, id, &households).await.map(|_| None)
        }
        "unlink" => party::unlink(&state, user, id, typed.value("household_id")).await.map(|_| None),
        "reveal" => party::reveal(&state, user, id, typed.given("reason").as_deref()).await.map(Some),
        "leave" => party::leave(&state, user, id, typed.value("reason")).await.map(|_| None),
        "transfer" => {
            let form = TransferForm {
                org_id: typed.value("org_id").to_string(),
                role: typed.value("role").to_string(),
                grid_code: typed.given("grid_code"),
            };
            party::transfer(&state, user, id, form).await.map(|_| None)
        }
        _ => {
            let raise_case = typed
                .given("case_description")
                .map(|description| RaisedCase { description, category_code: typed.given("category_code") });
            let form = ContactForm {
                household_id: typed.value("household_id").to_string(),
                contacted_on: typed.given("contacted_on"),
                means: typed.value("means").to_string(),
                topic: typed.value("topic").to_string(),
                follow_up: typed.given("follow_up"),
                raise_case,
            };
            party::record_contact(&state, user, id, form).await.map(|_| None)
        }
    };
    match done {
        Ok(None) => Ok(see_other(&back, None)),
        Ok(Some(person)) => {
            let mut page = member_page(&state, &staff, lang, &uri, id, Filled::default()).await?;
            page.revealed = Some(person);
            Ok(Html(page.render()?).into_response())
        }
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(member_page(&state, &staff, lang, &uri, id, form).await?.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "party_registration.html")]
struct RegistrationPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    name: String,
    community: String,
    home_org: String,
    registered_on: String,
    hours: f64,
    /// (served on, hours, what)
    services: Vec<(String, f64, String)>,
    today: String,
    form: Filled,
}

async fn registration_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    form: Filled,
) -> Result<RegistrationPage, ApiError> {
    let (r, services) = party::registration(state, &staff.user, id).await?;
    Ok(RegistrationPage {
        id: r.id.to_string(),
        name: r.name_masked.clone(),
        community: place_name(state, &lang, &r.community_code),
        home_org: r.home_org.clone(),
        registered_on: r.registered_on.to_string(),
        hours: r.hours,
        services: services
            .iter()
            .map(|s| (s.served_on.to_string(), f64::from(s.half_hours) / 2.0, s.what.clone()))
            .collect(),
        today: grassroots_app::care::today().to_string(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn registration(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    Ok(Html(registration_page(&state, &staff, lang, &uri, id_in_path(&id)?, Filled::default()).await?.render()?))
}

pub async fn record_service(
    State(state): State<Arc<AppState>>,
    staff: Can<need::OrganiseParty>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let form = ServiceForm {
        served_on: typed.given("served_on"),
        hours: typed.value("hours").to_string(),
        what: typed.value("what").to_string(),
    };
    match party::record_service(&state, &staff.user, id, form).await {
        Ok(_) => Ok(see_other(&format!("/party/registrations/{id}"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(registration_page(&state, &staff, lang, &uri, id, form).await?.render()?)).into_response())
        }
    }
}

/// A grid's row of the figures.
pub(crate) struct GridRow {
    pub name: String,
    pub href: String,
    pub organised: bool,
    pub members: i64,
    pub households: i64,
    pub linked: String,
    pub reached_30: String,
    pub reached_90: i64,
}

pub(crate) fn grid_rows(state: &AppState, lang: &Lang, f: &PartyFigures) -> Vec<GridRow> {
    f.grids
        .iter()
        .map(|g| GridRow {
            name: place_name(state, lang, &g.grid_code),
            href: format!("/grids/{}", g.grid_code),
            organised: g.organised,
            members: g.members,
            households: g.coverage.households,
            linked: percent(g.coverage.linked_share()),
            reached_30: percent(g.coverage.reached_share()),
            reached_90: g.coverage.reached_90_days,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "party_figures.html")]
struct FiguresPage {
    lang: Lang,
    chrome: Chrome,
    region: String,
    from: String,
    to: String,
    figures: PartyFigures,
    /// (kind, how many)
    orgs: Vec<(String, i64)>,
    linked: String,
    reached: String,
    attendance: String,
    hours: f64,
    rows: Vec<GridRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresParams {
    region: Option<String>,
}

pub async fn figures(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<FiguresParams>,
) -> Result<Html<String>, ApiError> {
    let region = match p.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => RegionCode::parse(code)?,
        None => home_region(&staff.user.scope, &state.atlas(), state.placer().districts())
            .ok_or_else(ApiError::not_found)?,
    };
    let f = party::figures(&state, &staff.user, &region, None, None).await?;
    let page = FiguresPage {
        region: place_name(&state, &lang, region.as_str()),
        from: f.from.to_string(),
        to: f.to.to_string(),
        orgs: f
            .tally
            .orgs
            .iter()
            .map(|c| (lang.t(c.kind.label_zh(), c.kind.label_en()).to_string(), c.count))
            .collect(),
        linked: percent(f.coverage.linked_share()),
        reached: percent(f.coverage.reached_share()),
        attendance: percent(grassroots_domain::party::attendance_rate(f.tally.present, f.tally.expected)),
        hours: f.tally.service_half_hours as f64 / 2.0,
        rows: grid_rows(&state, &lang, &f),
        figures: f,
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
