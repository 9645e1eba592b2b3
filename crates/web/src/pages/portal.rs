//! The resident portal (群众端), no login: report a problem — place it by clicking a map drawn
//! by the server or by an address, then describe it — and see recent cases without anything
//! personal. Following one's own case is `track.rs`.
//!
//! The map works without JavaScript: it is an `<input type="image">`, so a click submits its
//! position in the picture, and the server turns that back into a place.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use grassroots_domain::case::Place;
use grassroots_domain::{RegionCode, RegionLevel, Scope};
use grassroots_geo::atlas::Atlas;
use grassroots_geo::placement::Unplaced;
use grassroots_geo::Polygon;
use grassroots_store::Reference;
use serde::Deserialize;

use super::{beijing_minutes, category_name, encode, form_error, place_names, Chrome, FormError, Lang};
use crate::api::intake::{read_form, IntakeRequest};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::svg::{picture_height, square_around, Area, Dot, DotKind, Frame, Map, Palette};
use crate::AppState;
use grassroots_app::intake::{self, Reporter};
use grassroots_app::AppError;
use grassroots_domain::region::spoken_name;

/// The picker is drawn this many CSS pixels wide on every screen, so that a click's position
/// in it can be turned back into a place (the stylesheet fixes its width).
const PICKER_WIDTH: f64 = 340.0;
/// After a click the picker shows this much ground around the point (degrees of latitude).
const ZOOMED_SPAN: f64 = 0.012;

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage {
    lang: Lang,
    chrome: Chrome,
}

pub async fn home(lang: Lang, uri: Uri) -> Result<Html<String>, ApiError> {
    Ok(Html(HomePage { lang, chrome: Chrome::new(lang, None, &uri) }.render()?))
}

// Placing the report ---------------------------------------------------------------------

/// (west, south, east, north)
pub(crate) type Bbox = (f64, f64, f64, f64);

fn service_bbox(state: &AppState) -> Option<Bbox> {
    let placer = state.placer();
    placer.districts().iter().map(|d| d.bbox).reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
}

pub(crate) fn bbox_param(b: Bbox) -> String {
    format!("{:.5},{:.5},{:.5},{:.5}", b.0, b.1, b.2, b.3)
}

/// The place a click on a picker picture showing `frame` chose: (lng, lat).
pub(crate) fn clicked_point(state: &AppState, frame: &str, (x, y): (f64, f64)) -> Result<(f64, f64), ApiError> {
    let service = service_bbox(state).ok_or(ApiError::not_found())?;
    Ok(Frame::fit(parse_bbox(frame, service)?, PICKER_WIDTH).lng_lat(x, y))
}

/// A picker picture showing `frame`, a point marked: its address and its height.
pub(crate) fn picker(state: &AppState, frame: Bbox, mark: Option<(f64, f64)>) -> (String, u32) {
    let mut query = vec![("frame", bbox_param(frame))];
    if let Some((lng, lat)) = mark {
        query.push(("mark", format!("{lng:.6},{lat:.6}")));
    }
    let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let height = picture_height(&Frame::fit(frame, PICKER_WIDTH), state.atlas().is_approximate());
    (format!("/report/map.svg?{}", encode(&pairs)), height.round() as u32)
}

/// A frame sent back by the browser: four numbers inside the service area's box.
fn parse_bbox(raw: &str, service: Bbox) -> Result<Bbox, ApiError> {
    let bad = || ApiError::field("frame", "地图范围无效", "not a map frame");
    let v: Vec<f64> = raw.split(',').map(|n| n.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let [w, s, e, n] = v[..] else { return Err(bad()) };
    let margin = 0.05;
    let inside = w < e
        && s < n
        && w >= service.0 - margin
        && s >= service.1 - margin
        && e <= service.2 + margin
        && n <= service.3 + margin;
    inside.then_some((w, s, e, n)).ok_or_else(bad)
}

/// The ground the picker shows around a chosen point.
fn around(point: (f64, f64)) -> Bbox {
    square_around(point, ZOOMED_SPAN / 2.0)
}

/// The names of the district, street, community and grid of a place, for the resident to check.
fn names_of(atlas: &Atlas, place: &Place, lang: &Lang) -> String {
    place_names(atlas, &[&place.district_code, &place.street_code, &place.community_code, &place.grid_code], lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceParams {
    #[serde(rename = "spot.x")]
    x: Option<f64>,
    #[serde(rename = "spot.y")]
    y: Option<f64>,
    frame: Option<String>,
}

#[derive(Template)]
#[template(path = "report_place.html")]
struct PlacePage {
    lang: Lang,
    chrome: Chrome,
    frame: String,
    picker_src: String,
    picker_height: u32,
    chosen: Option<Chosen>,
    error: Option<&'static str>,
}

pub struct Chosen {
    pub names: String,
    pub continue_href: String,
}

/// Step one: where is it? A click on the map picks a point and zooms in around it; another
/// click refines it.
pub async fn report_place(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<PlaceParams>,
) -> Result<Html<String>, ApiError> {
    let service = service_bbox(&state).ok_or(ApiError::not_found())?;
    let mut frame = p.frame.as_deref().map(|f| parse_bbox(f, service)).transpose()?.unwrap_or(service);
    let (mut chosen, mut mark, mut error) = (None, None, None);
    if let (Some(x), Some(y)) = (p.x, p.y) {
        let point = Frame::fit(frame, PICKER_WIDTH).lng_lat(x, y);
        match state.placer().place(Some(point), None) {
            Ok(place) => {
                chosen = Some(Chosen {
                    names: names_of(&state.atlas(), &place, &lang),
                    continue_href: format!(
                        "/report/details?{}",
                        encode(&[("lng", &format!("{:.6}", point.0)), ("lat", &format!("{:.6}", point.1))])
                    ),
                });
                mark = Some(point);
                frame = around(point);
            }
            Err(Unplaced::OutsideServiceArea | Unplaced::Unknown) => {
                error =
                    Some(lang.t(
                        "所点位置不在本平台服务范围内，请重新选择",
                        "That place is outside the area served; pick again",
                    ))
            }
        }
    }
    let (picker_src, picker_height) = picker(&state, frame, mark);
    let page = PlacePage {
        frame: bbox_param(frame),
        picker_src,
        picker_height,
        chosen,
        error,
        chrome: Chrome::new(lang, None, &uri),
        lang,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickerParams {
    frame: String,
    mark: Option<String>,
}

/// The picture the resident clicks: districts, streets with their names, grids when zoomed
/// in, and the chosen point.
pub async fn picker_svg(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<PickerParams>,
) -> Result<Response, ApiError> {
    let service = service_bbox(&state).ok_or(ApiError::not_found())?;
    let frame = parse_bbox(&p.frame, service)?;
    let mark = match p.mark.as_deref() {
        Some(m) => {
            let bad = || ApiError::field("mark", "位置无效", "not a position");
            let (lng, lat) = m.split_once(',').ok_or_else(bad)?;
            Some((lng.trim().parse::<f64>().map_err(|_| bad())?, lat.trim().parse::<f64>().map_err(|_| bad())?))
        }
        None => None,
    };
    let atlas = state.atlas();
    let placer = state.placer();
    let overlaps = |b: Bbox| b.0 < frame.2 && b.2 > frame.0 && b.1 < frame.3 && b.3 > frame.1;
    let zoomed = frame.3 - frame.1 < 3.0 * ZOOMED_SPAN;
    let mut areas = Vec::new();
    let mut lines: Vec<&[Polygon]> = Vec::new();
    for district in placer.districts().iter().filter(|d| overlaps(d.bbox)) {
        areas.push(Area {
            polygons: &district.polygons,
            fill: "#f4f1ea",
            href: None,
            title: district.name.clone(),
            label: None,
        });
        let Ok(code) = RegionCode::parse(&district.code) else { continue };
        for street in atlas.children(&code).into_iter().filter(|s| overlaps(s.bbox)) {
            areas.push(Area {
                polygons: &street.polygons,
                fill: Palette::Blues.colours()[0],
                href: None,
                title: street.name.clone(),
                label: Some((street.name.clone(), street.label_at)),
            });
            if zoomed {
                lines.extend(
                    atlas
                        .grids_within(&street.code)
                        .into_iter()
                        .filter(|g| overlaps(g.bbox))
                        .map(|g| g.polygons.as_slice()),
                );
            }
        }
    }
    let dots = mark
        .map(|(lng, lat)| Dot {
            lng,
            lat,
            kind: DotKind::Chosen,
            title: "选择的位置 / chosen place".into(),
            href: None,
        })
        .into_iter()
        .collect();
    let map = Map {
        frame: Frame::fit(frame, PICKER_WIDTH),
        label: "地图 / map".into(),
        areas,
        lines,
        dots,
        landmarks: atlas.landmarks(),
        approximate: atlas.is_approximate(),
    };
    Ok(([(CONTENT_TYPE, "image/svg+xml; charset=utf-8"), (CACHE_CONTROL, "public, max-age=300")], map.to_svg())
        .into_response())
}

// Describing it ---------------------------------------------------------------------------

/// A category to choose, under its top-level group.
pub struct CategoryGroup {
    /// The top-level category's code.
    pub code: String,
    pub name: String,
    pub options: Vec<(String, String)>,
}

pub(crate) fn category_groups(reference: &Reference, lang: &Lang) -> Vec<CategoryGroup> {
    let taxonomy = &reference.taxonomy;
    taxonomy
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|top| {
            let subs: Vec<(String, String)> = taxonomy
                .iter()
                .filter(|c| c.parent.as_ref() == Some(&top.code))
                .map(|c| (c.code.as_str().to_string(), lang.t(&c.name_zh, &c.name_en).to_string()))
                .collect();
            let options = if subs.is_empty() {
                vec![(top.code.as_str().to_string(), lang.t(&top.name_zh, &top.name_en).to_string())]
            } else {
                subs
            };
            CategoryGroup {
                code: top.code.as_str().to_string(),
                name: lang.t(&top.name_zh, &top.name_en).to_string(),
                options,
            }
        })
        .collect()
}

/// What the resident typed, kept when the form comes back with an error.
#[derive(Default)]
pub struct ReportInput {
    pub category_code: String,
    pub description: String,
    pub address: String,
    pub lng: String,
    pub lat: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub anonymous: bool,
    pub notify: bool,
    /// The idempotency key drawn with the form: sent twice, it makes one case.
    pub key: String,
}

#[derive(Template)]
#[template(path = "report_details.html")]
struct DetailsPage {
    lang: Lang,
    chrome: Chrome,
    groups: Vec<CategoryGroup>,
    input: ReportInput,
    place_names: String,
    picker_src: String,
    /// The field in error and its message.
    error: Option<(String, String)>,
    photos_lost: bool,
    /// Places the address box suggests: streets, communities (with their street), landmarks.
    suggestions: Vec<String>,
    /// The typed address names no street, community or landmark: sent again, it goes as it is.
    vague_address: bool,
    /// Open reports of the same category nearby, offered to join (附议); sent again, the form
    /// opens a new case.
    nearby: Vec<super::support::NearbyLine>,
    /// The categories the description suggests.
    proposals: Vec<super::classify::ProposalLine>,
}

impl DetailsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// An error on a field the form does not show (the place, the request as a whole).
    fn general_error(&self) -> Option<&str> {
        const SHOWN: [&str; 8] = [
            "category_code",
            "description",
            "address",
            "photo",
            "reporter_name",
            "reporter_phone",
            "anonymous",
            "notify",
        ];
        self.error.as_ref().filter(|(f, _)| !SHOWN.contains(&f.as_str())).map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailsParams {
    lng: Option<f64>,
    lat: Option<f64>,
}

fn details_page(state: &AppState, lang: Lang, uri: &Uri, input: ReportInput) -> DetailsPage {
    let point = input.lng.parse::<f64>().ok().zip(input.lat.parse::<f64>().ok());
    let (place_names, picker_src) = match point.map(|p| (p, state.placer().place(Some(p), None))) {
        Some(((lng, lat), Ok(place))) => (
            names_of(&state.atlas(), &place, &lang),
            format!(
                "/report/map.svg?{}",
                encode(&[("frame", &bbox_param(around((lng, lat)))), ("mark", &format!("{lng:.6},{lat:.6}"))])
            ),
        ),
        _ => (String::new(), String::new()),
    };
    DetailsPage {
        groups: category_groups(&state.reference(), &lang),
        place_names,
        picker_src,
        error: None,
        photos_lost: false,
        suggestions: address_suggestions(&state.atlas()),
        vague_address: false,
        nearby: Vec::new(),
        proposals: super::classify::proposal_lines(state, &input.description, &lang),
        input,
        chrome: Chrome::new(lang, None, uri),
        lang,
    }
}

/// What the address box suggests: every street and community drawn on the maps (a
/// community after its street, as the gazetteer then places it without doubt) and the landmarks.
fn address_suggestions(atlas: &Atlas) -> Vec<String> {
    let mut names = Vec::new();
    for district in atlas.served_districts() {
        for street in atlas.children(&district.code) {
            names.push(street.name.clone());
            for community in atlas.children(&street.code) {
                names.push(format!("{}{}", street.name, spoken_name(&community.name)));
            }
        }
    }
    names.extend(atlas.landmarks().iter().map(|l| l.name.clone()));
    names
}

/// Step two: what is it, and who to tell.
pub async fn report_details(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<DetailsParams>,
) -> Result<Html<String>, ApiError> {
    // A point from the device's position ("use my location") may lie outside the area served.
    let outside = match p.lng.zip(p.lat) {
        Some(point) => state.placer().place(Some(point), None).is_err(),
        None => false,
    };
    let input = ReportInput {
        lng: p.lng.filter(|_| !outside).map(|v| format!("{v:.6}")).unwrap_or_default(),
        lat: p.lat.filter(|_| !outside).map(|v| format!("{v:.6}")).unwrap_or_default(),
        key: uuid::Uuid::now_v7().to_string(),
        ..ReportInput::default()
    };
    let mut page = details_page(&state, lang, &uri, input);
    if outside {
        let message = lang.t(
            "您所在的位置不在本平台服务范围内：请在地图上选择问题所在位置，或填写地址。",
            "Where you are is outside the area served: pick the problem's place on the map, or type its address.",
        );
        page.error = Some(("lat".into(), message.to_string()));
    }
    Ok(Html(page.render()?))
}

/// What the resident already answered when the form came back: send the vague address as it
/// is; report anew rather than join a report nearby.
#[derive(Default)]
struct Answered {
    send_as_typed: bool,
    send_as_new: bool,
}

/// The form's fields as a report, and as typed (to show again).
fn read_report(fields: Vec<(String, String)>, input: &mut ReportInput) -> Result<(IntakeRequest, Answered), ApiError> {
    let mut req = IntakeRequest::default();
    let mut asked = Answered::default();
    for (name, text) in fields {
        match name.as_str() {
            "send_as_typed" => asked.send_as_typed = true,
            "send_as_new" => asked.send_as_new = true,
            _ => {
                match name.as_str() {
                    "category_code" => input.category_code = text.clone(),
                    "description" => input.description = text.clone(),
                    "address" => input.address = text.clone(),
                    "lng" => input.lng = text.clone(),
                    "lat" => input.lat = text.clone(),
                    "reporter_name" => input.reporter_name = text.clone(),
                    "reporter_phone" => input.reporter_phone = text.clone(),
                    "anonymous" => input.anonymous = true,
                    "notify" => input.notify = true,
                    "idempotency_key" => input.key = text.clone(),
                    _ => {}
                }
                req.set_form_field(&name, text)?;
            }
        }
    }
    Ok((req, asked))
}

fn vague_address_error() -> ApiError {
    ApiError::from(AppError::invalid(
        "address",
        "这个地址找不到对应的街道、社区或地标，问题将交给区指挥中心再分派，可能耽误时间。\
         请在地图上选择位置，或写明街道、社区；如确认无误，请再次提交。",
        "This address names no street, community or landmark we know, so the report would go to \
         the district command centre to be sorted, which takes longer. Pick the place on the map or \
         name the street and community; if it is right as it is, submit again.",
    ))
}

/// What became of a report sent from the form.
enum Submitted {
    /// A new case, with the number of its photos.
    Created(Box<grassroots_store::CreatedCase>, usize),
    /// Not yet: open reports of the same kind nearby are offered to join first.
    Nearby(Vec<super::support::NearbyLine>),
}

#[derive(Template)]
#[template(path = "report_done.html")]
struct DonePage {
    lang: Lang,
    chrome: Chrome,
    tracking_no: String,
    query_code: String,
    response_due: String,
    resolve_due: String,
    photos: usize,
}

/// Takes the report in, or shows the form again with what was typed and the error beside its
/// field (photos must be chosen again: browsers cannot refill a file input).
pub async fn submit_report(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut input = ReportInput::default();
    // Photos were chosen (and must be chosen again if the form comes back).
    let mut photos_chosen = false;
    let mut vague_address = false;
    let result = async {
        let form = read_form(form).await;
        // Keep what was typed even when the photos were refused.
        let (fields, photos) = match form {
            Ok(f) => (f.fields, Ok(f.photos)),
            Err(e) => (Vec::new(), Err(e)),
        };
        photos_chosen = photos.as_ref().map_or(true, |p| !p.is_empty());
        let (req, asked) = read_report(fields, &mut input)?;
        let report = req.into_report(photos?);
        // The same form sent again (a double click, a reload) is answered as the first time.
        if let Some(created) = intake::sent_before(&state, Reporter::Resident, &report).await? {
            return Ok(Submitted::Created(Box::new(created), report.photos.len()));
        }
        // An address that places the report nowhere finer than the district: ask once.
        if input.lng.is_empty() && !asked.send_as_typed {
            let place = intake::locate(&state, None, None, Some(&input.address)).ok();
            if place.is_some_and(|p| p.street_code.is_none()) {
                vague_address = true;
                return Err(vague_address_error());
            }
        }
        if !asked.send_as_new {
            let nearby = super::support::nearby_lines(&state, &input, &lang).await?;
            if !nearby.is_empty() {
                return Ok(Submitted::Nearby(nearby));
            }
        }
        let count = report.photos.len();
        let created = intake::submit(&state, Reporter::Resident, report).await?;
        Ok::<_, ApiError>(Submitted::Created(Box::new(created), count))
    }
    .await;
    match result {
        Ok(Submitted::Nearby(nearby)) => {
            let mut page = details_page(&state, lang, &uri, input);
            page.nearby = nearby;
            page.photos_lost = photos_chosen;
            Ok(Html(page.render()?).into_response())
        }
        Ok(Submitted::Created(created, photos)) => {
            let page = DonePage {
                tracking_no: created.tracking_no,
                query_code: created.query_code,
                response_due: beijing_minutes(created.response_due),
                resolve_due: beijing_minutes(created.resolve_due),
                photos,
                chrome: Chrome::new(lang, None, &uri),
                lang,
            };
            Ok((StatusCode::CREATED, Html(page.render()?)).into_response())
        }
        Err(e) if e.field.is_some() => {
            let FormError { field, message } = form_error(e, &lang)?;
            let mut page = details_page(&state, lang, &uri, input);
            page.error = Some((field, message));
            page.photos_lost = photos_chosen;
            page.vague_address = vague_address;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}

// Recent cases in public ------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicParams {
    category: Option<String>,
    street: Option<String>,
    after: Option<String>,
}

pub struct PublicCase {
    pub category: String,
    pub place: String,
    pub state: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "public_cases.html")]
struct PublicPage {
    lang: Lang,
    chrome: Chrome,
    groups: Vec<CategoryGroup>,
    streets: Vec<(String, String)>,
    category: String,
    street: String,
    cases: Vec<PublicCase>,
    older_href: Option<String>,
    svg: String,
}

const PUBLIC_PAGE: u32 = 30;

/// Recent cases for everyone: category, street and community, state and day — never the
/// description, the address or anything of the reporter; never a case of a sensitive category;
/// the community only where enough cases of the category share it (`grassroots_app::public`).
pub async fn public_cases(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<PublicParams>,
) -> Result<Html<String>, ApiError> {
    let reference = state.reference();
    let category = p.category.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(code) = category {
        reference.taxonomy.lookup(code)?;
    }
    let excluded_categories = grassroots_app::public::excluded_categories(&state);
    let street = p.street.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(RegionCode::parse).transpose()?;
    if street.as_ref().is_some_and(|s| s.level() != RegionLevel::Township) {
        return Err(ApiError::field("street", "应为街道代码（9位）", "a street code (9 digits)"));
    }
    let after = p
        .after
        .as_deref()
        .map(|a| uuid::Uuid::parse_str(a).map_err(|_| ApiError::field("after", "无效的翻页位置", "not a page cursor")))
        .transpose()?;
    let filter = grassroots_store::CaseFilter {
        category: category.map(str::to_string),
        excluded_categories: excluded_categories.clone(),
        region: street.clone(),
        after,
        limit: PUBLIC_PAGE,
        ..Default::default()
    };
    let (atlas, placer) = (state.atlas(), state.placer());
    let district =
        placer.districts().first().map(|d| Ok::<_, ApiError>((d, RegionCode::parse(&d.code)?))).transpose()?;
    let around = district.as_ref().map(|(_, code)| grassroots_store::RateFilter {
        region: street.clone().or(Some(code.clone())),
        category: category.map(str::to_string),
        from: Some(Utc::now() - chrono::Duration::days(90)),
        ..Default::default()
    });
    let (page, points) = tokio::try_join!(state.store.list_cases(&Scope::All, &filter), async {
        match &around {
            Some(f) => state.store.case_points(&Scope::All, f, 1000).await,
            None => Ok(Vec::new()),
        }
    })?;
    let groups = grassroots_app::public::groups(&state).await?;
    let points = grassroots_app::public::points(&state, &groups, points);
    let cases = page
        .cases
        .iter()
        .filter_map(|c| grassroots_app::public::view(&state, &groups, &c.record))
        .map(|c| public_case(&c, &reference, &atlas, &lang))
        .collect();
    let older_href = page.next_cursor.map(|cursor| {
        let cursor = cursor.to_string();
        let mut pairs = vec![("after", cursor.as_str())];
        pairs.extend(category.map(|c| ("category", c)));
        pairs.extend(street.as_ref().map(|s| ("street", s.as_str())));
        format!("/public?{}", encode(&pairs))
    });
    let streets = district.as_ref().map_or_else(Vec::new, |(_, code)| atlas.children(code));
    let page = PublicPage {
        groups: category_groups(&reference, &lang)
            .into_iter()
            .map(|g| CategoryGroup {
                options: g.options.into_iter().filter(|(code, _)| !excluded_categories.contains(code)).collect(),
                ..g
            })
            .filter(|g| !g.options.is_empty())
            .collect(),
        svg: district
            .as_ref()
            .map_or_else(String::new, |(d, _)| public_map(d, &atlas, &streets, &points, &reference, &lang)),
        streets: streets.iter().map(|s| (s.code.as_str().to_string(), s.name.clone())).collect(),
        category: category.unwrap_or_default().to_string(),
        street: street.map(|s| s.as_str().to_string()).unwrap_or_default(),
        cases,
        older_href,
        chrome: Chrome::new(lang, None, &uri),
        lang,
    };
    Ok(Html(page.render()?))
}

pub(super) fn public_case(
    c: &grassroots_app::public::PublicCase,
    reference: &Reference,
    atlas: &Atlas,
    lang: &Lang,
) -> PublicCase {
    PublicCase {
        category: category_name(reference, &c.category_code, lang),
        place: place_names(atlas, &[&c.street_code, &c.community_code], lang),
        state: lang.t(c.state.label_zh(), c.state.label_en()).to_string(),
        received: c.received_on.to_string(),
    }
}

/// The district's streets, and the last 90 days' public cases as points (rounded already).
fn public_map(
    district: &grassroots_geo::Boundary,
    atlas: &Atlas,
    streets: &[&grassroots_geo::atlas::Outline],
    points: &[grassroots_store::CasePoint],
    reference: &Reference,
    lang: &Lang,
) -> String {
    let areas = streets
        .iter()
        .map(|s| Area {
            polygons: &s.polygons,
            fill: Palette::Blues.colours()[0],
            href: Some(format!("/public?{}", encode(&[("street", s.code.as_str())]))),
            title: s.name.clone(),
            label: Some((s.name.clone(), s.label_at)),
        })
        .collect();
    let dots = points
        .iter()
        .map(|pt| {
            let kind = if pt.state.is_pending() { DotKind::Pending } else { DotKind::Finished };
            let category = reference
                .taxonomy
                .get(&pt.category_code)
                .map_or(pt.category_code.as_str(), |c| lang.t(&c.name_zh, &c.name_en));
            let state = lang.t(pt.state.label_zh(), pt.state.label_en());
            Dot { lng: pt.lng, lat: pt.lat, kind, title: format!("{category} · {state}"), href: None }
        })
        .collect();
    Map {
        frame: Frame::fit(district.bbox, 600.0),
        label: district.name.clone(),
        areas,
        lines: Vec::new(),
        dots,
        landmarks: atlas.landmarks(),
        approximate: atlas.is_approximate(),
    }
    .to_svg()
}
