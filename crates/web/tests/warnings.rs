//! 风险预警 end to end: a report with words of danger is made urgent at once and warns the
//! dispatchers of its place (and nobody outside it); people mark a warning seen, acted on or
//! dismissed with a reason, on the API and the page; administrators keep the words.

mod support;

use serde_json::json;
use support::*;

api_tests!(
    danger_in_a_report_makes_it_urgent_and_warns_the_dispatchers_of_its_place,
    a_warning_is_moved_by_a_person_and_dismissed_only_with_a_reason,
    administrators_keep_the_words_of_danger,
    the_words_of_danger_are_kept_one_at_a_time_on_the_page,
);

async fn danger_in_a_report_makes_it_urgent_and_warns_the_dispatchers_of_its_place(app: TestApp) {
    let (lng, lat) = IN_GRID;
    let created = app
        .report(&json!({ "description": "楼道里有很重的煤气味，邻居家一直没人", "category_code": "0302", "lat": lat, "lng": lng }))
        .await;
    let quiet =
        app.report(&json!({ "description": "路灯不亮", "category_code": "0101", "lat": lat, "lng": lng })).await;
    let dispatcher = app.login("dispatcher").await;
    let case =
        app.get(&format!("/api/v1/cases/{}", created["id"].as_str().unwrap())).bearer(&dispatcher).send().await.json();
    assert_eq!(case["case"]["priority"], "urgent", "made urgent at once");
    let other =
        app.get(&format!("/api/v1/cases/{}", quiet["id"].as_str().unwrap())).bearer(&dispatcher).send().await.json();
    assert_eq!(other["case"]["priority"], "normal");

    let listed = app.get("/api/v1/warnings").bearer(&dispatcher).send().await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    let warnings = listed["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{listed}");
    assert_eq!((warnings[0]["kind"].as_str(), warnings[0]["state"].as_str()), (Some("danger"), Some("new")));
    assert_eq!(warnings[0]["words"], json!(["煤气味"]));
    assert_eq!(warnings[0]["case_id"], created["id"]);
    let here = app.get("/api/v1/warnings").bearer(&app.login("gridworker").await).send().await.json();
    assert_eq!(here["warnings"].as_array().unwrap().len(), 1, "the grid's worker sees it");
    let elsewhere = app.get("/api/v1/warnings").bearer(&app.login("gridworker-other").await).send().await.json();
    assert!(elsewhere["warnings"].as_array().unwrap().is_empty(), "another grid's worker does not");
    let leader_token = app.login("leader").await;
    let leader = app.get("/api/v1/warnings").bearer(&leader_token).send().await;
    assert_eq!(leader.status, 403, "leaders see no single case's warning");
    let board = app.get("/dashboard").header("cookie", &session(&leader_token)).send().await.text();
    let counts = board.split(r#"id="warnings""#).nth(1).expect("the warnings' place").split("</p>").next().unwrap();
    assert!(
        counts.contains("危险信号 <strong>1</strong>") && counts.contains("诉求激增 <strong>0</strong>"),
        "{counts}"
    );
    assert!(!counts.contains("href"), "leaders count them; they do not open the queue");
    // On the map, a mark at the grid: the dispatcher follows it to the queue, a leader sees where.
    let svg =
        |page: String| page.split("<svg").nth(1).and_then(|s| s.split("</svg>").next()).unwrap_or_default().to_string();
    let map = svg(app.get("/map").header("cookie", &session(&dispatcher)).send().await.text());
    assert!(map.contains("风险预警 warning") && map.contains(r#"href="/warnings""#), "the warnings' layer: {map}");
    let map = svg(app.get("/map").header("cookie", &session(&leader_token)).send().await.text());
    assert!(map.contains("风险预警 warning") && !map.contains(r#"href="/warnings""#));
}

async fn a_warning_is_moved_by_a_person_and_dismissed_only_with_a_reason(app: TestApp) {
    let (lng, lat) = IN_GRID;
    app.report(&json!({ "description": "有人在小区门口持刀吵架", "category_code": "1101", "lat": lat, "lng": lng }))
        .await;
    let dispatcher = app.login("dispatcher").await;
    let listed = app.get("/api/v1/warnings").bearer(&dispatcher).send().await.json();
    let id = listed["warnings"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/warnings/{id}");
    let refused = app.post(&path).bearer(&dispatcher).json(&json!({ "state": "dismissed" })).send().await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.json()["error"]["field"], "reason");
    let seen = app.post(&path).bearer(&dispatcher).json(&json!({ "state": "seen" })).send().await;
    assert_eq!((seen.status, seen.json()["state"].as_str().map(str::to_string)), (200, Some("seen".into())));

    // The page shows it, and dismisses it with a reason.
    let cookie = session(&dispatcher);
    let page = app.get("/warnings").header("cookie", &cookie).send().await.text();
    assert!(page.contains("危险信号") && page.contains("持刀"), "{page}");
    let origin = format!("http://{}", app.addr);
    let form = |body: String| {
        app.post(&format!("/warnings/{id}"))
            .header("cookie", &cookie)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", body)
    };
    let without = form("state=dismissed&reason=".into()).send().await;
    assert_eq!(without.status, 422);
    assert!(without.text().contains("排除预警须说明理由"));
    let dismissed = form(format!("state=dismissed&reason={}", enc("民警已到场，系玩具刀"))).send().await;
    assert_eq!(dismissed.status, 303, "{}", dismissed.text());
    let all = app.get("/api/v1/warnings?state=dismissed").bearer(&dispatcher).send().await.json();
    assert_eq!(all["warnings"][0]["reason"], "民警已到场，系玩具刀");
    assert!(app.get("/api/v1/warnings").bearer(&dispatcher).send().await.json()["warnings"]
        .as_array()
        .unwrap()
        .is_empty());
    let again = app.post(&path).bearer(&dispatcher).json(&json!({ "state": "acted" })).send().await;
    assert_eq!(again.status, 409, "a dismissed warning stays dismissed");
    // Administrators see how often people dismissed each kind of warning.
    let admin = session(&app.login("admin").await);
    let review = app.get("/admin/classifier").header("cookie", &admin).send().await.text();
    let line = review.split("预警：危险信号").nth(1).expect("the danger warnings' line").split("</tr>").next().unwrap();
    assert!(line.contains("100.0%"), "one raised, one dismissed: {line}");
}

async fn administrators_keep_the_words_of_danger(app: TestApp) {
    let admin = app.login("admin").await;
    let words = json!({ "words": [{ "word": "要跳河", "kind": "life" }, { "word": "堵门", "kind": "gathering" }] });
    let saved = app.put("/api/v1/warnings/words").bearer(&admin).json(&words).send().await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let bad = json!({ "words": [{ "word": "跳", "kind": "life" }] });
    let refused = app.put("/api/v1/warnings/words").bearer(&admin).json(&bad).send().await;
    assert_eq!((refused.status, refused.json()["error"]["field"].as_str()), (422, Some("words")));
    let dispatcher = app.login("dispatcher").await;
    assert_eq!(app.put("/api/v1/warnings/words").bearer(&dispatcher).json(&words).send().await.status, 403);
    let (lng, lat) = IN_GRID;
    let created = app
        .report(&json!({ "description": "邻居说过不下去了要跳河", "category_code": "1101", "lat": lat, "lng": lng }))
        .await;
    let case =
        app.get(&format!("/api/v1/cases/{}", created["id"].as_str().unwrap())).bearer(&dispatcher).send().await.json();
    assert_eq!(case["case"]["priority"], "urgent");
    let gas = app
        .report(&json!({ "description": "楼道里有煤气味", "category_code": "0302", "lat": lat, "lng": lng + 0.001 }))
        .await;
    let case =
        app.get(&format!("/api/v1/cases/{}", gas["id"].as_str().unwrap())).bearer(&dispatcher).send().await.json();
    assert_eq!(case["case"]["priority"], "normal", "a word taken off the list no longer warns");
}

async fn the_words_of_danger_are_kept_one_at_a_time_on_the_page(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let admin = session(&app.login("admin").await);
    let post = |form: &str| {
        app.post("/admin/danger-words")
            .header("cookie", &admin)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", form.to_string())
            .send()
    };
    let page = app.get("/admin/danger-words").header("cookie", &admin).send().await.text();
    assert!(page.contains("<td>煤气味</td>") && page.contains("建筑与燃气险情"), "the defaults: {page}");
    let short = post(&format!("word={}&kind=life", enc("跳"))).await;
    assert_eq!(short.status, 422);
    assert!(short.text().contains("预警词应为2到20个字"));
    assert_eq!(post(&format!("word={}&kind=life", enc("要跳河"))).await.status, 303);
    assert_eq!(post(&format!("word={}&kind=violence", enc("要跳河"))).await.status, 303, "changes its kind");
    let page =
        app.get("/admin/danger-words?q=%E8%A6%81%E8%B7%B3%E6%B2%B3").header("cookie", &admin).send().await.text();
    assert!(page.contains("<td>要跳河</td>") && page.contains("暴力冲突"), "{page}");
    assert_eq!(post(&format!("do=remove&word={}", enc("煤气味"))).await.status, 303);
    let dispatcher = app.login("dispatcher").await;
    let (lng, lat) = IN_GRID;
    let priority = |description: &'static str, shift: f64| {
        let app = &app;
        let dispatcher = &dispatcher;
        async move {
            let created = app
                .report(&json!({ "description": description, "category_code": "0302", "lat": lat, "lng": lng + shift }))
                .await;
            let path = format!("/api/v1/cases/{}", created["id"].as_str().unwrap());
            app.get(&path).bearer(dispatcher).send().await.json()["case"]["priority"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(priority("邻居说要跳河", 0.0).await, "urgent", "the word added warns");
    assert_eq!(priority("楼道里有煤气味", 0.001).await, "normal", "the word removed no longer does");
    assert_eq!(priority("检查过了没有燃气泄漏，就是灶打不着", 0.002).await, "normal", "a denied word does not");
    assert_eq!(priority("楼下燃气泄漏了", 0.003).await, "urgent");
}
