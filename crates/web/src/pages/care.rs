//! 关爱服务 pages, phone-first: a worker's people in care whose visit is due or missed, the
//! grids' counts, the form recording a household member; a member's page with their flags,
//! consent and visits, the forms that flag, end, record a visit and reveal who they are
//! (audited). Grid workers, supervisors and administrators; never leaders.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::care::{self, EndForm, FlagForm, MemberForm};
use grassroots_app::visits::VisitLog;
use grassroots_domain::care::{age, CareEnd, CareFlag, ConsentBy, ConsentForm, VisitStatus};
use grassroots_domain::{Capability, RegionCode};
use grassroots_store::care::{CareDue, CareMember, RevealedMember};
use serde::Deserialize;

use super::{beijing_minutes, encode, place_names, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

/// A person in care as a line of the queue.
pub struct DueLine {
    pub href: String,
    pub name: String,
    pub flags: String,
    pub place: String,
    pub status: String,
    pub missed: bool,
}

/// A grid's count, with the link that narrows the queue to it.
pub struct GridLine {
    pub href: String,
    pub name: String,
    pub members: i64,
    pub missed: i64,
}

#[derive(Template)]
#[template(path = "care.html")]
struct CarePage {
    lang: Lang,
    chrome: Chrome,
    due: Vec<DueLine>,
    grids: Vec<GridLine>,
    /// The grid the queue is narrowed to, by name.
    narrowed: Option<String>,
    /// (code, name) of the grids a member may be recorded in.
    my_grids: Vec<(String, String)>,
    form: Filled,
}

fn flag_names(flags: &[CareFlag], lang: &Lang) -> String {
    flags.iter().map(|f| lang.t(f.label_zh(), f.label_en())).collect::<Vec<_>>().join("、")
}

fn name_with_age(masked: &str, birth_year: Option<i32>, lang: &Lang) -> String {
    match birth_year {
        Some(y) => format!("{masked}（{}{}）", age(y, care::today()), lang.t("岁", " years")),
        None => masked.to_string(),
    }
}

fn status_text(status: VisitStatus, lang: &Lang) -> String {
    let (zh, en) = status.describe();
    lang.t(&zh, &en).to_string()
}

fn due_line(state: &AppState, d: &CareDue, lang: &Lang) -> DueLine {
    let status = VisitStatus::of(d.next_visit_on, care::today());
    let grid = place_names(&state.atlas(), &[&Some(d.grid_code.clone())], lang);
    DueLine {
        href: format!("/care/members/{}", d.member_id),
        name: name_with_age(&d.name_masked, d.birth_year, lang),
        flags: flag_names(&d.flags, lang),
        place: format!("{grid} · {}", d.household_label),
        status: status_text(status, lang),
        missed: matches!(status, VisitStatus::Missed { .. }),
    }
}

/// The grids a staff member may record people in: their own, or those within their regions.
fn my_grids(state: &AppState, staff: &Staff, lang: &Lang) -> Vec<(String, String)> {
    let atlas = state.atlas();
    let regions: Vec<String> = match staff.user.scope.place_prefixes() {
        None => atlas.served_districts().map(|d| d.code.as_str().to_string()).collect(),
        Some(prefixes) => prefixes,
    };
    regions
        .iter()
        .filter_map(|r| RegionCode::parse(r).ok())
        .flat_map(|code| atlas.grids_within(&code))
        .filter(|g| staff.user.scope.covers_place(g.code.as_str()))
        .map(|g| (g.code.as_str().to_string(), lang.place(&g.name)))
        .collect()
}

async fn care_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    grid: Option<&str>,
    form: Filled,
) -> Result<CarePage, ApiError> {
    let (due, grids) = tokio::try_join!(care::due(state, &staff.user, grid), care::grids(state, &staff.user, None))?;
    let atlas = state.atlas();
    let grid_name = |code: &str| atlas.outline(code).map_or_else(|| code.to_string(), |o| lang.place(&o.name));
    Ok(CarePage {
        due: due.iter().map(|d| due_line(state, d, &lang)).collect(),
        grids: grids
            .iter()
            .map(|g| GridLine {
                href: format!("/care?{}", encode(&[("grid", g.grid_code.as_str())])),
                name: grid_name(&g.grid_code),
                members: g.members,
                missed: g.missed,
            })
            .collect(),
        narrowed: grid.map(grid_name),
        my_grids: my_grids(state, staff, &lang),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareParams {
    grid: Option<String>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<CareParams>,
) -> Result<Html<String>, ApiError> {
    let grid = p.grid.as_deref().filter(|g| !g.trim().is_empty());
    Ok(Html(care_page(&state, &staff, lang, &uri, grid, Filled::default()).await?.render()?))
}

/// Records a member; on to their page to flag them, or the form again with the error.
pub async fn add_member(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let form = MemberForm {
        grid_code: typed.value("grid_code").to_string(),
        household_label: typed.value("household_label").to_string(),
        name: typed.value("name").to_string(),
        phone: typed.given("phone"),
        birth_year: typed.given("birth_year"),
        note: typed.given("note"),
    };
    match care::add_member(&state, &staff.user, form).await {
        Ok(member) => Ok(see_other(&format!("/care/members/{}?done=added", member.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(care_page(&state, &staff, lang, &uri, None, form).await?.render()?)).into_response())
        }
    }
}

/// A flag as a line of the member's page.
pub struct FlagLine {
    pub code: String,
    pub name: String,
    pub plan: String,
    pub consent: String,
    pub visits: String,
    pub status: String,
    pub missed: bool,
    pub ended: Option<String>,
}

#[derive(Template)]
#[template(path = "care_member.html")]
struct MemberPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    name: String,
    household: String,
    erased: bool,
    active: Vec<FlagLine>,
    ended: Vec<FlagLine>,
    /// (code, name) of the flags, of who consents, how, and why a flag ends.
    flags: Vec<(String, String)>,
    consent_by: Vec<(String, String)>,
    consent_forms: Vec<(String, String)>,
    ends: Vec<(String, String)>,
    today: String,
    may_visit: bool,
    may_reveal: bool,
    revealed: Option<RevealedMember>,
    done: Option<String>,
    form: Filled,
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
    en: fn(T) -> &'static str,
    lang: &Lang,
) -> Vec<(String, String)> {
    all.iter().map(|v| (code(*v).to_string(), lang.t(zh(*v), en(*v)).to_string())).collect()
}

fn flag_line(f: &grassroots_store::care::CareFlagRecord, lang: &Lang) -> FlagLine {
    let status = VisitStatus::of(f.next_visit_on, care::today());
    let c = &f.consent;
    FlagLine {
        code: f.flag.as_str().to_string(),
        name: lang.t(f.flag.label_zh(), f.flag.label_en()).to_string(),
        plan: format!("{}{}{}", lang.t("每", "every "), f.visit_every_days, lang.t("天走访一次", " days")),
        consent: format!(
            "{} · {} · {} · {}",
            lang.t(c.by.label_zh(), c.by.label_en()),
            lang.t(c.form.label_zh(), c.form.label_en()),
            c.given_on,
            c.reference
        ),
        visits: format!(
            "{}{} · {}{}",
            lang.t("上次走访：", "last visit: "),
            f.last_visited_on.map_or_else(|| lang.t("尚无", "none yet").to_string(), |d| d.to_string()),
            lang.t("下次应于：", "next due: "),
            f.next_visit_on
        ),
        status: status_text(status, lang),
        missed: matches!(status, VisitStatus::Missed { .. }),
        ended: f.ended_at.map(|at| {
            let why = f.end_reason.map(|e| lang.t(e.label_zh(), e.label_en()).to_string()).unwrap_or_default();
            format!("{} · {why}", beijing_minutes(at))
        }),
    }
}

fn member_page(state: &AppState, staff: &Staff, lang: Lang, uri: &Uri, m: &CareMember, form: Filled) -> MemberPage {
    let grid = place_names(&state.atlas(), &[&Some(m.grid_code.clone())], &lang);
    let (active, ended): (Vec<_>, Vec<_>) = m.flags.iter().partition(|f| f.ended_at.is_none());
    MemberPage {
        id: m.id.to_string(),
        name: name_with_age(&m.name_masked, m.birth_year, &lang),
        household: format!("{grid} · {}", m.household_label),
        erased: m.erased_at.is_some(),
        active: active.into_iter().map(|f| flag_line(f, &lang)).collect(),
        ended: ended.into_iter().map(|f| flag_line(f, &lang)).collect(),
        flags: choices(CareFlag::ALL, CareFlag::as_str, CareFlag::label_zh, CareFlag::label_en, &lang),
        consent_by: choices(ConsentBy::ALL, ConsentBy::as_str, ConsentBy::label_zh, ConsentBy::label_en, &lang),
        consent_forms: choices(
            ConsentForm::ALL,
            ConsentForm::as_str,
            ConsentForm::label_zh,
            ConsentForm::label_en,
            &lang,
        ),
        ends: choices(CareEnd::ALL, CareEnd::as_str, CareEnd::label_zh, CareEnd::label_en, &lang),
        today: care::today().to_string(),
        may_visit: staff.may(Capability::RecordVisits),
        may_reveal: staff.may(Capability::RevealPersonalData),
        revealed: None,
        done: None,
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberParams {
    done: Option<String>,
}

pub async fn member(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<MemberParams>,
) -> Result<Html<String>, ApiError> {
    let m = care::member(&state, &staff.user, id_in_path(&id)?).await?;
    let mut page = member_page(&state, &staff, lang, &uri, &m, Filled::default());
    page.done = p.done.as_deref().map(|d| {
        match d {
            "added" => lang.t("已登记，请在征得同意后添加关爱类别", "Recorded: add their care flags once they consent"),
            "flagged" => lang.t("已添加关爱类别", "The flag is added"),
            "ended" => lang.t("已结束关爱", "The care is ended"),
            "visited" => lang.t("走访已记录", "The visit is recorded"),
            _ => "",
        }
        .to_string()
    });
    Ok(Html(page.render()?))
}

/// What a form on the member's page did: back to the page saying so, or the page again with
/// the error beside its field.
async fn after_member_form(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: uuid::Uuid,
    typed: Filled,
    done: Result<&'static str, grassroots_app::AppError>,
) -> Result<Response, ApiError> {
    match done {
        Ok(what) => Ok(see_other(&format!("/care/members/{id}?done={what}"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let m = care::member(state, &staff.user, id).await?;
            Ok((status, Html(member_page(state, staff, lang, uri, &m, form).render()?)).into_response())
        }
    }
}

pub async fn flag(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let form = FlagForm {
        flag: typed.value("flag").to_string(),
        visit_every_days: Some(typed.value("visit_every_days").to_string()),
        consent_by: typed.value("consent_by").to_string(),
        consent_form: typed.value("consent_form").to_string(),
        consent_on: typed.value("consent_on").to_string(),
        consent_reference: typed.value("consent_reference").to_string(),
    };
    let done = care::flag(&state, &staff.user, id, form).await.map(|_| "flagged");
    after_member_form(&state, &staff, lang, &uri, id, typed, done).await
}

pub async fn end(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let form = EndForm { flag: Some(typed.value("flag").to_string()), end: typed.value("end").to_string() };
    let done = care::end(&state, &staff.user, id, form).await.map(|_| "ended");
    after_member_form(&state, &staff, lang, &uri, id, typed, done).await
}

/// A visit to the member's household, which moves on the next visit of every flag there.
pub async fn visit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let m = care::member(&state, &staff.user, id).await?;
    let log = VisitLog {
        household_id: Some(m.household_id.to_string()),
        household_label: None,
        visited_on: typed.given("visited_on"),
        topic: typed.value("topic").to_string(),
        follow_up: typed.given("follow_up"),
        raise_case: None,
    };
    let done = grassroots_app::visits::record(&state, &staff.user, &m.grid_code, log).await.map(|_| "visited");
    after_member_form(&state, &staff, lang, &uri, id, typed, done).await
}

/// The member's name, phone and note shown on their page, this once; audited with the reason.
pub async fn reveal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    match care::reveal(&state, &staff.user, id, Some(typed.value("reason"))).await {
        Ok(revealed) => {
            let m = care::member(&state, &staff.user, id).await?;
            let mut page = member_page(&state, &staff, lang, &uri, &m, Filled::default());
            page.revealed = Some(revealed);
            Ok(Html(page.render()?).into_response())
        }
        Err(e) => after_member_form(&state, &staff, lang, &uri, id, typed, Err(e)).await,
    }
}
