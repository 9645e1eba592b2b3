//! 全文检索 for staff: words and filters in one form, the cases found below it with the
//! matching words marked, a page at a time. A refusal is shown beside its field.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;

use grassroots_app::search::{Asked, Search};
use grassroots_domain::CaseState;

use super::work::{category_choices, local_time, region_choices, unit_choices, Filter, FilterGroup, FilterOption};
use super::{category_name, encode, form_error, Chrome, FormError, Lang};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::session::{need, Can};
use crate::AppState;

/// This search's address, at another page.
fn href(asked: &Asked, page: u32) -> String {
    let page = page.to_string();
    let fields = [
        ("q", Some(&asked.text)),
        ("state", asked.states.as_ref()),
        ("category", asked.category.as_ref()),
        ("region", asked.region.as_ref()),
        ("unit", asked.unit.as_ref()),
        ("from", asked.from.as_ref()),
        ("to", asked.to.as_ref()),
        ("order", asked.order.as_ref()),
    ];
    let mut pairs: Vec<(&str, &str)> =
        fields.iter().filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v.as_str()))).collect();
    pairs.push(("page", &page));
    format!("/search?{}", encode(&pairs))
}

/// A case found, as a line of the list.
pub struct HitLine {
    pub href: String,
    pub tracking_no: String,
    pub category: String,
    pub state: String,
    pub received: String,
    /// (text, matched)
    pub passage: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    lang: Lang,
    chrome: Chrome,
    q: String,
    from: String,
    to: String,
    newest: bool,
    filters: Vec<Filter>,
    error: Option<FormError>,
    /// None until something is asked.
    total: Option<usize>,
    hits: Vec<HitLine>,
    indexed: u64,
    current_to: String,
    previous_href: Option<String>,
    next_href: Option<String>,
    page: u32,
    pages: u32,
}

fn state_choices(chosen: Option<&str>, lang: &Lang) -> Vec<FilterGroup> {
    let options = CaseState::ALL
        .iter()
        .map(|s| FilterOption {
            value: s.as_str().to_string(),
            name: lang.t(s.label_zh(), s.label_en()).to_string(),
            chosen: chosen == Some(s.as_str()),
        })
        .collect();
    vec![FilterGroup { name: lang.t("状态", "State").to_string(), options }]
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    lang: Lang,
    uri: Uri,
    ApiQuery(asked): ApiQuery<Asked>,
) -> Result<Html<String>, ApiError> {
    let (reference, atlas) = (state.reference(), state.atlas());
    let filters = vec![
        Filter {
            name: "state",
            label: lang.t("状态", "State").into(),
            groups: state_choices(asked.states.as_deref(), &lang),
        },
        Filter {
            name: "category",
            label: lang.t("类别", "Category").into(),
            groups: category_choices(&reference, &lang, asked.category.as_deref()),
        },
        Filter {
            name: "region",
            label: lang.t("地区", "Area").into(),
            groups: region_choices(&atlas, asked.region.as_deref(), &lang),
        },
        Filter {
            name: "unit",
            label: lang.t("承办单位", "Unit").into(),
            groups: unit_choices(&reference, &lang, asked.unit.as_deref()),
        },
    ];
    let mut page = SearchPage {
        q: asked.text.clone(),
        from: asked.from.clone().unwrap_or_default(),
        to: asked.to.clone().unwrap_or_default(),
        newest: asked.order.as_deref() == Some("newest"),
        filters,
        error: None,
        total: None,
        hits: Vec::new(),
        indexed: 0,
        current_to: String::new(),
        previous_href: None,
        next_href: None,
        page: 1,
        pages: 0,
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    if !asked.text.trim().is_empty() {
        let found = Search::check(&state, &asked)
            .and_then(|search| grassroots_app::search::search(&state, &staff.user, &search));
        match found {
            Ok(results) => {
                page.total = Some(results.found.total);
                page.indexed = results.indexed;
                page.current_to = results.current_to.map(local_time).unwrap_or_default();
                page.page = results.page;
                page.pages = results.pages;
                page.previous_href = (results.page > 1).then(|| href(&asked, results.page - 1));
                page.next_href = (results.page < results.pages).then(|| href(&asked, results.page + 1));
                page.hits = results
                    .found
                    .hits
                    .into_iter()
                    .map(|h| HitLine {
                        href: format!("/cases/{}", h.id),
                        category: category_name(&reference, &h.category_code, &page.lang),
                        state: page.lang.t(h.state.label_zh(), h.state.label_en()).to_string(),
                        received: local_time(h.received_at),
                        tracking_no: h.tracking_no,
                        passage: h.passage.into_iter().map(|m| (m.text, m.hit)).collect(),
                    })
                    .collect();
            }
            Err(e) => page.error = Some(form_error(e.into(), &page.lang)?),
        }
    }
    Ok(Html(page.render()?))
}
