//! 通报 as pages: the bulletins of the reader's places and units with the form to make one for
//! a period; a bulletin's page prints its tables and links its PDF and workbook (served by the
//! API's handlers, which a session cookie reaches too), all three from the one kept value.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::bulletins;
use grassroots_domain::bulletins::{BulletinPeriod, Cell, Table};
use grassroots_domain::Scope;

use super::{beijing_minutes, choices, place_name, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, Staff};
use crate::AppState;

#[derive(Template)]
#[template(path = "bulletins.html")]
struct BulletinsPage {
    lang: Lang,
    chrome: Chrome,
    /// (href, title, generated at)
    bulletins: Vec<(String, String, String)>,
    /// (value `kind:code`, label) of the subjects the reader may report on.
    subjects: Vec<(String, String)>,
    periods: Vec<(String, String)>,
    form: Filled,
}

/// The districts, streets and units the staff member's scope holds.
fn subjects(state: &AppState, staff: &Staff, lang: &Lang) -> Vec<(String, String)> {
    let atlas = state.atlas();
    let scope = &staff.user.scope;
    let mut out = Vec::new();
    for district in atlas.served_districts() {
        if scope.covers_place(district.code.as_str()) {
            out.push((format!("district:{}", district.code.as_str()), lang.place(&district.name)));
        }
        for street in atlas.children(&district.code) {
            if scope.covers_place(street.code.as_str()) {
                out.push((format!("street:{}", street.code.as_str()), lang.place(&street.name)));
            }
        }
    }
    for unit in &state.reference().units {
        let held = match scope {
            Scope::Unit { unit: own } => *own == unit.id,
            scope => scope.covers_place(&unit.region_code),
        };
        if held {
            out.push((format!("unit:{}", unit.id), lang.t(&unit.name_zh, &unit.name_en).to_string()));
        }
    }
    out
}

async fn bulletins_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    form: Filled,
) -> Result<BulletinsPage, ApiError> {
    let listed = bulletins::list(state, &staff.user, 200).await?;
    Ok(BulletinsPage {
        bulletins: listed
            .iter()
            .map(|e| {
                let title = format!("{}{}（{}至{}）", e.subject_name, e.period.label_zh(), e.from, e.to);
                (format!("/bulletins/{}", e.id), title, beijing_minutes(e.generated_at))
            })
            .collect(),
        subjects: subjects(state, staff, &lang),
        periods: choices!(lang, BulletinPeriod),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(bulletins_page(&state, &staff, lang, &uri, Filled::default()).await?.render()?))
}

/// Makes the bulletin the form asks for and opens it.
pub async fn generate(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let (kind, code) = typed.value("subject").split_once(':').unwrap_or(("", ""));
    let of = typed.given("of");
    match bulletins::on_demand(&state, &staff.user, kind, code, typed.value("period"), of.as_deref()).await {
        Ok(kept) => Ok(see_other(&format!("/bulletins/{}", kept.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(bulletins_page(&state, &staff, lang, &uri, form).await?.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "bulletin.html")]
struct BulletinPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    title: String,
    subject: String,
    generated: String,
    tables: Vec<Table>,
}

impl BulletinPage {
    fn shown(&self, cell: &Cell) -> String {
        cell.shown()
    }

    fn numeric(&self, cell: &Cell) -> bool {
        !matches!(cell, Cell::Text(_))
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let kept = bulletins::read(&state, &staff.user, id_in_path(&id)?).await?;
    let b = &kept.bulletin;
    let subject = match b.subject.kind {
        grassroots_domain::bulletins::SubjectKind::Unit => b.subject.name.clone(),
        _ => place_name(&state, &lang, &b.subject.code),
    };
    let page = BulletinPage {
        id: kept.id.to_string(),
        title: b.title(),
        subject,
        generated: beijing_minutes(kept.generated_at),
        tables: b.tables(),
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
