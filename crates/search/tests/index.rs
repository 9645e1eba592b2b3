//! The index on its own: what a query finds, in what order, within what scope, and with which
//! words marked.

use chrono::{DateTime, Duration, TimeZone, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::search::SearchDocument;
use grassroots_domain::{CaseState, RegionCode, Scope};
use grassroots_search::{Found, Position, Ranking, SearchIndex, SearchRequest};
use uuid::Uuid;

const STREET_A: &str = "110101001";
const STREET_B: &str = "110101002";

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap() + Duration::days(n)
}

fn document(
    n: u32,
    street: &str,
    category: &str,
    state: CaseState,
    unit: Option<&str>,
    texts: &[&str],
) -> SearchDocument {
    SearchDocument {
        id: Uuid::from_u128(n as u128),
        tracking_no: format!("BJ20261001{n:06}"),
        state,
        category_code: category.to_string(),
        place: Place {
            district_code: Some("110101".into()),
            street_code: Some(street.into()),
            community_code: Some(format!("{street}001")),
            grid_code: Some(format!("{street}001001")),
            ..Place::default()
        },
        units: unit.map(str::to_string).into_iter().collect(),
        received_at: day(n as i64),
        texts: texts.iter().map(|t| t.to_string()).collect(),
    }
}

fn corpus() -> Vec<SearchDocument> {
    vec![
        document(
            1,
            STREET_A,
            "0101",
            CaseState::Dispatched,
            Some("unit-lights"),
            &["小区门口路灯不亮，晚上很黑", "北新桥三条"],
        ),
        document(2, STREET_A, "0101", CaseState::Closed, Some("unit-lights"), &["路灯坏了一个多月", "已更换灯泡"]),
        document(3, STREET_B, "0101", CaseState::Dispatched, Some("unit-lights"), &["路灯一直闪"]),
        document(4, STREET_A, "0301", CaseState::Received, None, &["井盖丢失，有人差点掉下去"]),
        document(5, STREET_B, "0501", CaseState::Registered, None, &["楼下烧烤摊油烟大", "吉祥胡同"]),
        document(6, STREET_A, "0501", CaseState::Closed, Some("unit-city"), &["小卖部门口占道经营", "蜜罐儿超市"]),
    ]
}

fn index_of(documents: &[SearchDocument]) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), ["北新桥街道".to_string()]).unwrap();
    index.put(documents).unwrap();
    index.commit(Position::at(1)).unwrap();
    (dir, index)
}

fn request<'a>(text: &'a str, scope: &'a Scope) -> SearchRequest<'a> {
    SearchRequest {
        text,
        scope,
        states: &[],
        category: None,
        region: None,
        unit: None,
        received_from: None,
        received_before: None,
        ranking: Ranking::Relevance,
        offset: 0,
        limit: 20,
    }
}

fn ids(found: &Found) -> Vec<u128> {
    found.hits.iter().map(|h| h.id.as_u128()).collect()
}

#[test]
fn words_find_their_cases_and_mark_them() {
    let (_dir, index) = index_of(&corpus());
    let found = index.search(&request("路灯", &Scope::All)).unwrap();
    let mut found_ids = ids(&found);
    found_ids.sort();
    assert_eq!(found_ids, [1, 2, 3]);
    assert_eq!(found.total, 3);
    let marked: Vec<&str> = found.hits[0].passage.iter().filter(|m| m.hit).map(|m| m.text.as_str()).collect();
    assert_eq!(marked, ["路灯"], "{:?}", found.hits[0].passage);
    assert!(index.search(&request("电梯", &Scope::All)).unwrap().hits.is_empty());
}

#[test]
fn every_word_of_the_query_must_be_there() {
    let (_dir, index) = index_of(&corpus());
    assert_eq!(ids(&index.search(&request("路灯 灯泡", &Scope::All)).unwrap()), [2]);
}

#[test]
fn a_name_the_dictionary_does_not_know_is_found_by_its_pairs() {
    let (_dir, index) = index_of(&corpus());
    let found = index.search(&request("蜜罐儿", &Scope::All)).unwrap();
    assert_eq!(ids(&found), [6]);
    let marked: String = found.hits[0].passage.iter().filter(|m| m.hit).map(|m| m.text.as_str()).collect();
    assert_eq!(marked, "蜜罐儿");
}

#[test]
fn notes_and_results_are_searched_too() {
    let (_dir, index) = index_of(&corpus());
    assert_eq!(ids(&index.search(&request("更换灯泡", &Scope::All)).unwrap()), [2]);
    assert_eq!(ids(&index.search(&request("吉祥胡同", &Scope::All)).unwrap()), [5]);
}

#[test]
fn nothing_outside_the_scope_is_found() {
    let (_dir, index) = index_of(&corpus());
    let street_b = Scope::Regions { codes: vec![RegionCode::parse(STREET_B).unwrap()] };
    assert_eq!(ids(&index.search(&request("路灯", &street_b)).unwrap()), [3]);
    let unit = Scope::Unit { unit: "unit-lights".into() };
    assert_eq!(index.search(&request("路灯", &unit)).unwrap().total, 3);
    let city = Scope::Unit { unit: "unit-city".into() };
    assert!(index.search(&request("路灯", &city)).unwrap().hits.is_empty());
    let grid = Scope::Grids { codes: vec![format!("{STREET_B}001001")] };
    assert_eq!(ids(&index.search(&request("油烟", &grid)).unwrap()), [5]);
    let city_code = Scope::Regions { codes: vec![RegionCode::parse("1101").unwrap()] };
    assert_eq!(index.search(&request("路灯", &city_code)).unwrap().total, 3, "a city holds its districts");
}

#[test]
fn filters_narrow_by_state_category_region_unit_and_period() {
    let (_dir, index) = index_of(&corpus());
    let all = Scope::All;
    let closed = [CaseState::Closed];
    let by_state = SearchRequest { states: &closed, ..request("路灯", &all) };
    assert_eq!(ids(&index.search(&by_state).unwrap()), [2]);
    let top = SearchRequest { category: Some("05"), ..request("门口", &all) };
    assert_eq!(ids(&index.search(&top).unwrap()), [6]);
    let street = RegionCode::parse(STREET_A).unwrap();
    let by_region = SearchRequest { region: Some(&street), ..request("路灯", &all) };
    let mut found = ids(&index.search(&by_region).unwrap());
    found.sort();
    assert_eq!(found, [1, 2]);
    let by_unit = SearchRequest { unit: Some("unit-city"), ..request("门口", &all) };
    assert_eq!(ids(&index.search(&by_unit).unwrap()), [6]);
    let period =
        SearchRequest { received_from: Some(day(2)), received_before: Some(day(3)), ..request("路灯", &all) };
    assert_eq!(ids(&index.search(&period).unwrap()), [2], "from inclusive, before exclusive");
}

#[test]
fn newest_first_and_pages() {
    let (_dir, index) = index_of(&corpus());
    let all = Scope::All;
    let newest = SearchRequest { ranking: Ranking::Newest, ..request("路灯", &all) };
    assert_eq!(ids(&index.search(&newest).unwrap()), [3, 2, 1]);
    let second = SearchRequest { offset: 1, limit: 1, ..newest };
    let page = index.search(&second).unwrap();
    assert_eq!((ids(&page), page.total), (vec![2], 3));
}

#[test]
fn a_tracking_number_finds_its_case() {
    let (_dir, index) = index_of(&corpus());
    assert_eq!(ids(&index.search(&request("bj20261001000004", &Scope::All)).unwrap()), [4]);
}

#[test]
fn a_case_put_again_replaces_its_document() {
    let (_dir, index) = index_of(&corpus());
    let mut moved = corpus().remove(0);
    moved.texts = vec!["〔个人信息已按保存期限删除〕".into()];
    index.put(&[moved]).unwrap();
    index.commit(Position::at(2)).unwrap();
    assert!(!ids(&index.search(&request("北新桥三条", &Scope::All)).unwrap()).contains(&1));
    assert_eq!(index.len(), 6);
    assert_eq!(index.position(), Some(Position::at(2)));
}

#[test]
fn a_second_opening_reads_but_does_not_write() {
    let (dir, index) = index_of(&corpus());
    assert!(index.writes());
    let reader = SearchIndex::open(dir.path(), Vec::new()).unwrap();
    assert!(!reader.writes());
    assert_eq!(reader.search(&request("井盖", &Scope::All)).unwrap().total, 1);
    assert!(reader.put(&corpus()).is_err());
}
