//! 全文检索 end to end: staff find cases by the words residents and staff wrote, within their
//! scope only, filtered and marked; the index takes up changes (a note written at dispatch)
//! from the outbox; bad input is refused naming its field.

mod support;

use serde_json::json;
use support::*;

api_tests!(
    staff_find_cases_by_their_words_within_their_scope,
    notes_written_later_are_found_once_the_index_takes_them_up,
    a_search_is_refused_naming_the_field,
    the_search_page_marks_the_words_found
);

async fn report_at(app: &TestApp, (lng, lat): (f64, f64), category: &str, description: &str) -> serde_json::Value {
    app.report(&json!({ "description": description, "category_code": category, "lat": lat, "lng": lng })).await
}

fn numbers(answer: &serde_json::Value) -> Vec<String> {
    let mut found: Vec<String> =
        answer["hits"].as_array().unwrap().iter().map(|h| h["tracking_no"].as_str().unwrap().to_string()).collect();
    found.sort();
    found
}

async fn staff_find_cases_by_their_words_within_their_scope(app: TestApp) {
    let here = report_at(&app, IN_GRID, "0101", "小区门口路灯不亮，晚上很黑").await;
    let there = report_at(&app, IN_OTHER_GRID, "0101", "胡同里的路灯一直闪").await;
    report_at(&app, IN_GRID, "0501", "楼下烧烤摊油烟很大").await;
    app.index_search().await;
    let no = |case: &serde_json::Value| case["tracking_no"].as_str().unwrap().to_string();
    let mut both = vec![no(&here), no(&there)];
    both.sort();

    let dispatcher = app.login("dispatcher").await;
    let found = app.get(&format!("/api/v1/search?q={}", enc("路灯"))).bearer(&dispatcher).send().await;
    assert_eq!(found.status, 200, "{}", found.text());
    let found = found.json();
    assert_eq!((numbers(&found), found["total"].as_u64()), (both.clone(), Some(2)));
    let marked: Vec<&str> = found["hits"][0]["passage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["hit"] == true)
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["路灯"]);

    let worker = app.login("gridworker").await;
    let mine = app.get(&format!("/api/v1/search?q={}", enc("路灯"))).bearer(&worker).send().await.json();
    assert_eq!(numbers(&mine), [no(&here)], "a grid worker finds only the cases of the grid");
    let handler = app.login("handler-a").await;
    let none = app.get(&format!("/api/v1/search?q={}", enc("路灯"))).bearer(&handler).send().await.json();
    assert_eq!(none["total"], 0, "a unit finds none of the cases not dispatched to it");
    let leader = app.login("leader").await;
    let refused = app.get(&format!("/api/v1/search?q={}", enc("路灯"))).bearer(&leader).send().await;
    assert_eq!(refused.status, 403, "leaders work with aggregates");

    let in_grid =
        app.get(&format!("/api/v1/search?q={}&region={GRID}", enc("路灯"))).bearer(&dispatcher).send().await.json();
    assert_eq!(numbers(&in_grid), [no(&here)]);
    let by_category =
        app.get(&format!("/api/v1/search?q={}&category=05", enc("楼下"))).bearer(&dispatcher).send().await.json();
    assert_eq!(by_category["total"], 1);
    let dispatched =
        app.get(&format!("/api/v1/search?q={}&state=dispatched", enc("路灯"))).bearer(&dispatcher).send().await.json();
    assert_eq!(dispatched["total"], 0, "both wait in the received state");
    let by_number = app.get(&format!("/api/v1/search?q={}", no(&there))).bearer(&dispatcher).send().await.json();
    assert_eq!(numbers(&by_number), [no(&there)]);
}

async fn notes_written_later_are_found_once_the_index_takes_them_up(app: TestApp) {
    let case = report_at(&app, IN_GRID, "0101", "小区门口路灯不亮").await;
    let id = case["id"].as_str().unwrap();
    let dispatcher = app.login("dispatcher").await;
    let moved =
        app.act(&dispatcher, id, &json!({ "action": "register", "note": "现场核实，需更换灯泡与镇流器" })).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let moved = app.act(&dispatcher, id, &json!({ "action": "dispatch", "unit": UNIT_A })).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let search = |who: String| {
        let app = &app;
        async move { app.get(&format!("/api/v1/search?q={}", enc("镇流器"))).bearer(&who).send().await.json() }
    };
    let handler = app.login("handler-a").await;
    app.index_search().await;
    let found = search(handler.clone()).await;
    assert_eq!(numbers(&found), [case["tracking_no"].as_str().unwrap().to_string()], "the note, for the unit now");
    assert_eq!(found["hits"][0]["state"], "dispatched");
    assert_eq!(search(app.login("handler-b").await).await["total"], 0);
}

async fn a_search_is_refused_naming_the_field(app: TestApp) {
    let dispatcher = app.login("dispatcher").await;
    for (query, field) in [
        (format!("q={}", enc("灯")), "q"),
        (format!("q={}&page=0", enc("路灯")), "page"),
        (format!("q={}&category=9999", enc("路灯")), "category"),
        (format!("q={}&unit=nobody", enc("路灯")), "unit"),
        (format!("q={}&state=lost", enc("路灯")), "state"),
        (format!("q={}&from=2026-10-02&to=2026-10-01", enc("路灯")), "to"),
        (format!("q={}&order=loudest", enc("路灯")), "order"),
        (format!("q={}&region=123", enc("路灯")), "region"),
    ] {
        let res = app.get(&format!("/api/v1/search?{query}")).bearer(&dispatcher).send().await;
        assert_eq!(res.status, 422, "{query}: {}", res.text());
        assert_eq!(res.json()["error"]["field"], field, "{query}");
    }
}

async fn the_search_page_marks_the_words_found(app: TestApp) {
    let case = report_at(&app, IN_GRID, "0501", "楼下烧烤摊油烟很大，窗户都不敢开").await;
    app.index_search().await;
    let cookie = session(&app.login("dispatcher").await);
    let page = app.get(&format!("/search?q={}", enc("油烟"))).header("cookie", &cookie).send().await;
    assert_eq!(page.status, 200);
    let page = page.text();
    assert!(page.contains("<mark>油烟</mark>"), "{page}");
    assert!(
        page.contains(case["tracking_no"].as_str().unwrap())
            && page.contains(&format!("/cases/{}", case["id"].as_str().unwrap()))
    );
    let refused = app.get(&format!("/search?q={}", enc("油"))).header("cookie", &cookie).send().await;
    assert_eq!(refused.status, 200, "the form again, with the refusal beside the field");
    let refused = refused.text();
    assert!(refused.contains(r#"id="error-q""#) && refused.contains("检索词应为2到100个字"), "{refused}");
    assert!(!refused.contains("<mark>"));
}
