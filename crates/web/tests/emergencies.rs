//! 应急管理 over the API and on the pages, on both backends: a supervisor opens an incident over
//! a community or a polygon with its plan; the grid worker checks the households of their grid
//! (a household needing help becomes a task), the other grid's worker cannot; the command reads
//! the progress, sends a notice, keeps shelters and supplies, and closes with a summary; the
//! grid worker's phone page answers a household's form in place; a resident subscribes to the
//! notices; bad input names its field.

mod support;

use grassroots_store::prelude::*;
use serde_json::json;
use support::*;

api_tests!(an_incident_is_commanded_and_checked_house_by_house, the_check_page_answers_each_household_in_place);

async fn households(app: &TestApp) -> Vec<String> {
    let labels: Vec<String> = (1..=4).map(|n| format!("{n}号院")).collect();
    app.store.add_households(GRID, &labels).await.unwrap();
    app.store.households(GRID).await.unwrap().into_iter().map(|h| h.id.to_string()).collect()
}

async fn an_incident_is_commanded_and_checked_house_by_house(app: TestApp) {
    let homes = households(&app).await;
    let supervisor = app.login("supervisor").await;
    let post = |path: &str, token: &str, body: serde_json::Value| app.post(path).bearer(token).json(&body).send();
    let incident = |extra: serde_json::Value| {
        let mut body = json!({ "kind": "flood", "severity": "ii", "title": "7·31强降雨" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    assert_eq!(
        post("/api/v1/incidents", &supervisor, incident(json!({ "kind": "quake", "places": [COMMUNITY] })))
            .await
            .error_field()
            .as_deref(),
        Some("kind")
    );
    assert_eq!(
        post("/api/v1/incidents", &supervisor, incident(json!({}))).await.error_field().as_deref(),
        Some("places")
    );
    let bad_polygon = incident(json!({ "polygon": "116.39,39.90; 116.40" }));
    assert_eq!(post("/api/v1/incidents", &supervisor, bad_polygon).await.error_field().as_deref(), Some("polygon"));
    // The polygon around GRID's centre takes that grid alone.
    let drawn = incident(json!({ "polygon": "116.390,39.900; 116.399,39.900; 116.399,39.910; 116.390,39.910" }));
    let opened = post("/api/v1/incidents", &supervisor, drawn).await;
    assert_eq!(opened.status, 201, "{}", opened.text());
    let opened = opened.json();
    assert_eq!(opened["grids"], json!([GRID]));
    assert_eq!(
        post("/api/v1/incidents", &app.login("gridworker").await, incident(json!({ "places": [COMMUNITY] })))
            .await
            .status,
        403
    );
    let id = opened["id"].as_str().unwrap().to_string();

    // The grid worker checks their grid; the other grid's worker finds nothing.
    let worker = app.login("gridworker").await;
    let listed = app.get(&format!("/api/v1/incidents/{id}/households?grid={GRID}")).bearer(&worker).send().await.json();
    assert_eq!(listed["households"].as_array().map(Vec::len), Some(4));
    let other = app.login("gridworker-other").await;
    assert_eq!(
        app.get(&format!("/api/v1/incidents/{id}/households?grid={GRID}")).bearer(&other).send().await.status,
        404
    );
    let checks = format!("/api/v1/incidents/{id}/checks");
    let bad = post(&checks, &worker, json!({ "household_id": homes[0], "status": "fine" })).await;
    assert_eq!(bad.error_field().as_deref(), Some("status"));
    assert_eq!(post(&checks, &other, json!({ "household_id": homes[0], "status": "safe" })).await.status, 404);
    let help =
        post(&checks, &worker, json!({ "household_id": homes[0], "status": "needs_help", "note": "独居老人需转移" }))
            .await;
    assert_eq!(help.status, 200, "{}", help.text());
    post(&checks, &worker, json!({ "household_id": homes[1], "status": "safe" })).await;
    let progress = app.get(&format!("/api/v1/incidents/{id}/progress")).bearer(&supervisor).send().await.json();
    assert_eq!(
        (
            progress["total"]["households"].as_i64(),
            progress["total"]["safe"].as_i64(),
            progress["total"]["needs_help"].as_i64()
        ),
        (Some(4), Some(1), Some(1))
    );
    assert_eq!(app.get(&format!("/api/v1/incidents/{id}/progress")).bearer(&worker).send().await.status, 403);

    // Notices, shelters, supplies and the log; a task done; the close with its summary.
    app.store.set_user_phone("gridworker", Some("13900000001")).await.unwrap();
    let notice =
        post(&format!("/api/v1/incidents/{id}/notices"), &supervisor, json!({ "text": "请低洼院落居民立即转移" }))
            .await;
    assert_eq!((notice.status, notice.json()["to_staff"].as_i64()), (201, Some(1)), "{}", notice.text());
    let shelter = post(
        &format!("/api/v1/incidents/{id}/shelters"),
        &supervisor,
        json!({ "name": "东华门小学", "address": "东华门大街1号", "capacity": "200" }),
    )
    .await
    .json();
    let over = post(
        &format!("/api/v1/incidents/{id}/shelters/{}", shelter["id"].as_str().unwrap()),
        &supervisor,
        json!({ "occupancy": "201" }),
    )
    .await;
    assert_eq!(over.error_field().as_deref(), Some("occupancy"));
    let water = post(
        &format!("/api/v1/incidents/{id}/supplies"),
        &supervisor,
        json!({ "item": "矿泉水", "unit": "箱", "stock": "20" }),
    )
    .await
    .json();
    let supply = format!("/api/v1/incidents/{id}/supplies/{}", water["id"].as_str().unwrap());
    assert_eq!(post(&supply, &supervisor, json!({ "change": "-21" })).await.error_field().as_deref(), Some("change"));
    assert_eq!(post(&supply, &supervisor, json!({ "change": "-5" })).await.json()["handed_out"], 5);
    let view = app.get(&format!("/api/v1/incidents/{id}")).bearer(&supervisor).send().await.json();
    let task = view["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["household_id"] == json!(homes[0]))
        .expect("the household's task")
        .clone();
    let done = post(
        &format!("/api/v1/incidents/{id}/tasks/{}", task["id"].as_str().unwrap()),
        &worker,
        json!({ "note": "已转移至安置点" }),
    )
    .await;
    assert_eq!(done.json()["done"], true, "{}", done.text());
    let closed = post(&format!("/api/v1/incidents/{id}/closure"), &supervisor, json!({})).await.json();
    assert_eq!(closed["active"], false);
    let summary = closed["summary"].as_array().unwrap();
    assert!(summary.iter().any(|l| l["zh"].as_str().unwrap().contains("需要帮助1户")), "{closed}");
    assert!(summary.iter().any(|l| l["zh"].as_str().unwrap().contains("矿泉水5箱")), "{closed}");
    assert_eq!(
        post(&format!("/api/v1/incidents/{id}/closure"), &supervisor, json!({})).await.error_field().as_deref(),
        Some("incident")
    );
    assert_eq!(
        post(&checks, &worker, json!({ "household_id": homes[2], "status": "safe" })).await.error_field().as_deref(),
        Some("incident")
    );

    // A resident chooses to receive the notices.
    let resident = app.resident_token("13800138000").await;
    let set =
        app.put("/api/v1/residents/me/alerts").bearer(&resident).json(&json!({ "subscribed": true })).send().await;
    assert_eq!(set.json()["subscribed"], true);
    assert_eq!(app.get("/api/v1/residents/me/alerts").bearer(&resident).send().await.json()["subscribed"], true);
}

async fn the_check_page_answers_each_household_in_place(app: TestApp) {
    let homes = households(&app).await;
    let supervisor = session(&app.login("supervisor").await);
    let form = |body: String| body;
    let opened = app
        .post("/incidents")
        .header("cookie", &supervisor)
        .body_with_type(
            "application/x-www-form-urlencoded",
            form(format!(
                "kind=gas&severity=iii&title=%E7%87%83%E6%B0%94%E6%B3%84%E6%BC%8F&places={COMMUNITY}&drill=1"
            )),
        )
        .send()
        .await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    let command = opened.header("location").unwrap().to_string();
    let page = app.get(&command).header("cookie", &supervisor).send().await.text();
    assert!(page.contains("data-refresh=") && page.contains("id=\"tasks\"") && page.contains("演练"), "{page}");

    let worker = session(&app.login("gridworker").await);
    let list = app.get("/incidents").header("cookie", &worker).send().await.text();
    let check = format!("{command}/check?grid={GRID}");
    assert!(list.contains(&check.replace('&', "&amp;")) || list.contains(&check), "the worker's grid to check: {list}");
    let phone = app.get(&check).header("cookie", &worker).send().await.text();
    assert!(phone.contains(&format!("id=\"h-{}\"", homes[0])) && phone.contains("data-fragment"));
    let body = format!("household_id={}&grid={GRID}&status=safe", homes[0]);
    let id = command.rsplit('/').next().unwrap();
    let part = app
        .post(&format!("/incidents/{id}/checks"))
        .header("cookie", &worker)
        .header("x-fragment", &format!("h-{}", homes[0]))
        .body_with_type("application/x-www-form-urlencoded", body.clone())
        .send()
        .await;
    assert_eq!(part.status, 200);
    assert!(part.text().starts_with("<li") && part.text().contains("data-status=\"safe\""), "{}", part.text());
    // A household the register lacks is added from the page and checked like the others.
    let refused = app
        .post(&format!("/incidents/{id}/households"))
        .header("cookie", &worker)
        .body_with_type("application/x-www-form-urlencoded", format!("grid={GRID}&label="))
        .send()
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"add-error\""));
    let added = app
        .post(&format!("/incidents/{id}/households"))
        .header("cookie", &worker)
        .body_with_type("application/x-www-form-urlencoded", format!("grid={GRID}&label=9%E5%8F%B7%E9%99%A2"))
        .send()
        .await;
    assert_eq!(added.status, 303);
    let phone = app.get(&check).header("cookie", &worker).send().await.text();
    assert!(phone.contains("9号院") && phone.contains("/ 5"), "five households now: {phone}");
    let whole = app
        .post(&format!("/incidents/{id}/checks"))
        .header("cookie", &worker)
        .body_with_type("application/x-www-form-urlencoded", body)
        .send()
        .await;
    assert_eq!(whole.status, 303, "without the script, back to the page");
    let progress = app.get(&format!("/incidents/{id}/progress")).header("cookie", &supervisor).send().await.text();
    assert!(progress.contains("id=\"progress\"") && progress.contains("<strong>1</strong> / 5"), "{progress}");
    let refused = app
        .post(&format!("/incidents/{id}/act"))
        .header("cookie", &supervisor)
        .body_with_type("application/x-www-form-urlencoded", "action=notice&text=x")
        .send()
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"command-error\""));
    assert_eq!(app.get("/incidents").header("cookie", &session(&app.login("leader").await)).send().await.status, 403);
    let me = app
        .get("/me")
        .header("cookie", &format!("grassroots_resident={}", app.resident_token("13800138000").await))
        .send()
        .await
        .text();
    assert!(me.contains("id=\"alerts-form\""));
}
