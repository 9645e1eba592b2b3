//! Grid work through the API: routing by place, patrol reports with photos and 就地解决,
//! household visits and their coverage, and grid pages' data, each on both backends.

mod support;

use grassroots_store::prelude::*;
use serde_json::json;
use support::*;

async fn case_as(app: &TestApp, who: &str, id: &str) -> serde_json::Value {
    let token = app.login(who).await;
    let res = app.get(&format!("/api/v1/cases/{id}")).bearer(&token).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["case"].clone()
}

async fn reports_are_routed_by_grid_then_address_and_outside_grids_go_to_the_command_centre(app: TestApp) {
    let at = |(lng, lat): (f64, f64), address: Option<&str>| json!({ "description": "路灯不亮", "category_code": "0301", "lat": lat, "lng": lng, "address": address });
    // In a grid: placed at every level, whatever the address says.
    let in_grid = app.report(&at(IN_OTHER_GRID, Some("景山街道"))).await;
    let case = case_as(&app, "dispatcher", in_grid["id"].as_str().unwrap()).await;
    assert_eq!(case["place"]["grid_code"], OTHER_GRID);
    assert_eq!(case["place"]["community_code"], &OTHER_GRID[..12]);
    assert_eq!(case["place"]["street_code"], STREET);
    assert_eq!(case["place"]["located_by"], "point");
    // Its grid worker sees it in their queue; the other grid's worker does not.
    let other = app.login("gridworker-other").await;
    let queue = app.get("/api/v1/cases").bearer(&other).send().await.json();
    assert!(queue["cases"].as_array().unwrap().iter().any(|c| c["id"] == in_grid["id"]));
    let mine = app.login("gridworker").await;
    let queue = app.get("/api/v1/cases").bearer(&mine).send().await.json();
    assert!(!queue["cases"].as_array().unwrap().iter().any(|c| c["id"] == in_grid["id"]));

    // Outside every grid: flagged, kept in its district (and the street its address names),
    // and suggested to the district command centre.
    let outside = app.report(&at(OUTSIDE_GRIDS, Some("景山街道某胡同"))).await;
    let case = case_as(&app, "dispatcher", outside["id"].as_str().unwrap()).await;
    assert_eq!(case["place"]["located_by"], "outside_grids");
    assert_eq!(case["place"]["grid_code"], serde_json::Value::Null);
    assert_eq!(case["place"]["street_code"], "110101002");
    assert_eq!(case["suggestion"]["unit"], COMMAND_CENTRE);
    assert!(case["suggestion"]["why"]["zh"].as_str().unwrap().contains("不在任何网格"));

    // An address only: as deep as its names are sure, no grid.
    let address = app.report(&json!({ "description": "路灯不亮", "address": "东华门街道多福巷社区5号" })).await;
    let case = case_as(&app, "dispatcher", address["id"].as_str().unwrap()).await;
    assert_eq!(case["place"]["community_code"], COMMUNITY);
    assert_eq!(case["place"]["located_by"], "address");
}

async fn a_patrol_report_carries_photos_and_can_be_resolved_on_the_spot(app: TestApp) {
    let worker = app.login("gridworker").await;
    let (lng, lat) = IN_GRID;
    let (lng, lat) = (lng.to_string(), lat.to_string());
    let fields = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![("description", "消防通道堆放杂物"), ("category_code", "1701")];
        f.extend_from_slice(extra);
        f
    };
    let post = |fields: Vec<(&str, &str)>, files: Vec<(&str, &str, &[u8])>, token: &str| {
        let mut all = fields;
        all.push(("lat", &lat));
        all.push(("lng", &lng));
        app.post("/api/v1/patrol").bearer(token).multipart(&all, &files).send()
    };
    let before = app.case_count().await;

    // Bad input names its field and creates nothing.
    let not_a_photo = post(fields(&[]), vec![("photo", "a.txt", b"hello".as_slice())], &worker).await;
    assert_eq!(not_a_photo.status, 422, "{}", not_a_photo.text());
    assert_eq!(not_a_photo.json()["error"]["field"], "photo");
    let no_result = post(fields(&[("resolved_on_spot", "true")]), vec![], &worker).await;
    assert_eq!(no_result.json()["error"]["field"], "result");
    let unknown = post(fields(&[("colour", "red")]), vec![], &worker).await;
    assert_eq!((unknown.status, unknown.error_field().as_deref()), (422, Some("colour")));
    let long: &'static str = "长".repeat(4001).leak();
    let too_long = post(fields(&[("resolved_on_spot", "true"), ("result", long)]), vec![], &worker).await;
    assert_eq!((too_long.status, too_long.error_field().as_deref()), (422, Some("result")));
    let as_json = app.post("/api/v1/patrol").bearer(&worker).json(&json!({ "description": "x" })).send().await;
    assert_eq!(as_json.status, 415);
    assert!(as_json.json()["error"]["message"].as_str().unwrap().contains("multipart/form-data"));
    let handler = app.login("handler-a").await;
    assert_eq!(post(fields(&[]), vec![], &handler).await.status, 403);
    assert_eq!(app.case_count().await, before);

    // Reported and fixed on the spot, with two photos.
    let fixed = post(
        fields(&[("resolved_on_spot", "true"), ("result", "已清理杂物，通道畅通")]),
        vec![("photo", "before.png", PNG), ("photo", "after.png", PNG)],
        &worker,
    )
    .await;
    assert_eq!(fixed.status, 201, "{}", fixed.text());
    let body = fixed.json();
    assert_eq!(
        (body["status"].as_str(), body["resolved_on_spot"].as_bool(), body["photos"].as_i64()),
        (Some("closed"), Some(true), Some(2))
    );
    let id = body["id"].as_str().unwrap();
    let case = case_as(&app, "supervisor", id).await;
    assert_eq!((case["channel"].as_str(), case["place"]["grid_code"].as_str()), (Some("grid_patrol"), Some(GRID)));
    assert_eq!(case["resolved_on_spot"], true);

    // The photos are there for those whose scope holds the case, not for others.
    let list = app.get(&format!("/api/v1/cases/{id}/attachments")).bearer(&worker).send().await.json();
    let photos = list["attachments"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    let photo = app
        .get(&format!("/api/v1/cases/{id}/attachments/{}", photos[0]["id"].as_str().unwrap()))
        .bearer(&worker)
        .send()
        .await;
    assert_eq!((photo.status, photo.body.as_slice()), (200, PNG));
    assert!(photo.headers.iter().any(|(n, v)| n == "content-type" && v == "image/png"));
    let other = app.login("gridworker-other").await;
    assert_eq!(app.get(&format!("/api/v1/cases/{id}/attachments")).bearer(&other).send().await.status, 404);
    let leader = app.login("leader").await;
    assert_eq!(app.get(&format!("/api/v1/cases/{id}/attachments")).bearer(&leader).send().await.status, 403);

    // Counted apart from the three rates.
    let stats = app.get("/api/v1/stats/rates").bearer(&leader).send().await.json();
    assert_eq!(stats["patrol"]["reports"], 1);
    assert_eq!(stats["patrol"]["resolved_on_spot"], 1);
    assert_eq!(stats["counts"]["dispatched"], 0);
}

async fn visits_are_logged_in_the_workers_grids_and_shown_as_coverage(app: TestApp) {
    let worker = app.login("gridworker").await;
    let visit = |body: serde_json::Value, grid: &str| {
        app.post(&format!("/api/v1/grids/{grid}/visits")).bearer(&worker).json(&body).send()
    };
    let first = visit(json!({ "household_label": "3号楼2单元401", "topic": "独居老人探访" }), GRID).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let household = first.json()["visit"]["household_id"].as_str().unwrap().to_string();
    // A second visit to the same household, which raises a case in the grid.
    let raised = visit(
        json!({ "household_id": household, "topic": "安全隐患排查", "follow_up": "一周后回访",
                "raise_case": { "description": "楼道里电动车充电", "category_code": "1701" } }),
        GRID,
    )
    .await;
    assert_eq!(raised.status, 201, "{}", raised.text());
    let case_id = raised.json()["case"]["id"].as_str().unwrap().to_string();
    let case = case_as(&app, "dispatcher", &case_id).await;
    assert_eq!((case["place"]["grid_code"].as_str(), case["channel"].as_str()), (Some(GRID), Some("grid_patrol")));
    visit(json!({ "household_label": "3号楼2单元402", "topic": "政策宣传", "visited_on": "2020-01-01" }), GRID)
        .await
        .json()["error"]["field"]
        .as_str()
        .map(|f| assert_eq!(f, "visited_on"))
        .expect("an old date is refused");
    let both = visit(json!({ "household_label": "x", "household_id": household, "topic": "t" }), GRID).await;
    assert_eq!(both.json()["error"]["field"], "household_id");
    assert_eq!(visit(json!({ "household_label": "1号楼", "topic": "t" }), OTHER_GRID).await.status, 404);

    let supervisor = app.login("supervisor").await;
    let coverage = app.get(&format!("/api/v1/stats/coverage?region={STREET}")).bearer(&supervisor).send().await.json();
    let grid = coverage["grids"].as_array().unwrap().iter().find(|g| g["grid_code"] == GRID).unwrap().clone();
    assert_eq!((grid["households"].as_i64(), grid["visited_30_days"].as_i64()), (Some(1), Some(1)));
    assert_eq!(grid["coverage_90_days"], 1.0);
    assert!(coverage["formula_zh"].as_str().unwrap().contains("住户"));

    let page = app.get(&format!("/api/v1/grids/{GRID}")).bearer(&supervisor).send().await.json();
    assert_eq!(page["grid"]["code"], GRID);
    assert_eq!(page["workers"][0]["username"], "gridworker");
    assert_eq!(page["coverage"]["households"], 1);
    let visits = app.get(&format!("/api/v1/grids/{GRID}/visits")).bearer(&supervisor).send().await.json();
    assert_eq!(visits["visits"].as_array().unwrap().len(), 2);
    // Another grid's worker and a unit's handler see neither page nor visits.
    let other = app.login("gridworker-other").await;
    assert_eq!(app.get(&format!("/api/v1/grids/{GRID}")).bearer(&other).send().await.status, 404);
    let handler = app.login("handler-a").await;
    assert_eq!(app.get(&format!("/api/v1/grids/{GRID}/visits")).bearer(&handler).send().await.status, 404);
    // A leader sees the grid's coverage, not its households and notes: through the API as on
    // the grid page.
    let leader = app.login("leader").await;
    let as_leader = app.get(&format!("/api/v1/grids/{GRID}/visits")).bearer(&leader).send().await;
    assert_eq!(as_leader.status, 403, "{}", as_leader.text());
    assert!(!as_leader.text().contains("3号楼"), "no household label in the refusal");
    let grid_page =
        app.get(&format!("/grids/{GRID}")).header("cookie", &format!("grassroots_session={leader}")).send().await;
    assert_eq!(grid_page.status, 200);
    assert!(!grid_page.text().contains("3号楼") && !grid_page.text().contains("独居老人探访"), "nor on the page");
    let listed = app.get("/api/v1/grids").bearer(&other).send().await.json();
    assert_eq!(listed["grids"].as_array().unwrap().len(), 1, "a grid worker lists their own grids");
}

async fn cases_matching_an_auto_dispatch_line_are_dispatched_on_arrival(app: TestApp) {
    let line = |category: &str, region: &str, unit: &str, auto_dispatch: bool| grassroots_store::Responsibility {
        category_code: category.into(),
        region_code: region.into(),
        unit_id: unit.into(),
        auto_dispatch,
    };
    app.store
        .upsert_responsibilities(&[line("0302", COMMUNITY, UNIT_A, true), line("0301", COMMUNITY, UNIT_B, false)])
        .await
        .unwrap();
    // Reference data is read when the server starts (and by its refresher).
    let app = app.with_config(grassroots_web::Config::default()).await;
    let at = |category: &str, (lng, lat): (f64, f64)| json!({ "description": "井盖缺失", "category_code": category, "lat": lat, "lng": lng });

    let auto = app.report(&at("0302", IN_GRID)).await;
    assert_eq!(auto["status"], "dispatched");
    let case = case_as(&app, "handler-a", auto["id"].as_str().unwrap()).await;
    assert_eq!((case["state"].as_str(), case["lead_unit"].as_str()), (Some("dispatched"), Some(UNIT_A)));
    let events = app.store.case_events(uuid::Uuid::parse_str(auto["id"].as_str().unwrap()).unwrap()).await.unwrap();
    let by_system: Vec<&str> = events.iter().filter(|e| e.actor_kind == "system").map(|e| e.kind.name()).collect();
    assert_eq!(by_system, ["registered", "dispatched"]);

    // A line without auto-dispatch only suggests; a case the line does not cover waits too.
    let suggested = app.report(&at("0301", IN_GRID)).await;
    assert_eq!(suggested["status"], "received");
    let case = case_as(&app, "dispatcher", suggested["id"].as_str().unwrap()).await;
    assert_eq!(case["suggestion"]["unit"], UNIT_B);
    let elsewhere = app.report(&at("0302", IN_OTHER_GRID)).await;
    assert_eq!(elsewhere["status"], "received");

    // A patrol report the worker fixes on the spot is closed, not dispatched.
    let worker = app.login("gridworker").await;
    let (lng, lat) = (IN_GRID.0.to_string(), IN_GRID.1.to_string());
    let fields = [
        ("description", "井盖松动"),
        ("category_code", "0302"),
        ("lng", lng.as_str()),
        ("lat", lat.as_str()),
        ("resolved_on_spot", "true"),
        ("result", "已复位固定"),
    ];
    let res = app.post("/api/v1/patrol").bearer(&worker).multipart(&fields, &[]).send().await;
    assert_eq!((res.status, res.json()["status"].as_str()), (201, Some("closed")), "{}", res.text());
    // Not in another worker's grid, though: refused before anything is written.
    let before = app.case_count().await;
    let (lng, lat) = (IN_OTHER_GRID.0.to_string(), IN_OTHER_GRID.1.to_string());
    let mut elsewhere = fields;
    (elsewhere[2], elsewhere[3]) = (("lng", lng.as_str()), ("lat", lat.as_str()));
    let res = app.post("/api/v1/patrol").bearer(&worker).multipart(&elsewhere, &[]).send().await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("resolved_on_spot")), "{}", res.text());
    assert_eq!(app.case_count().await, before);
}

/// The grid page records a visit on the phone: the household and purpose suggested, a problem
/// found raised as a case of the grid, an error beside its field with what was typed kept; the
/// grid's cases link to their pages; another grid's worker cannot record here.
async fn a_visit_is_recorded_from_the_grid_page(app: TestApp) {
    let cookie = format!("grassroots_session={}", app.login("gridworker").await);
    let origin = format!("http://{}", app.addr);
    let post = |cookie: String, form: String| {
        app.post(&format!("/grids/{GRID}/visits"))
            .header("cookie", &cookie)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", form)
    };
    let page = app.get(&format!("/grids/{GRID}")).header("cookie", &cookie).send().await.text();
    assert!(page.contains(&format!(r#"action="/grids/{GRID}/visits""#)), "the form is there");
    assert!(page.contains(r#"<option value="独居老人探访">"#), "common purposes suggested");

    let missing = post(cookie.clone(), format!("household_label={}&topic=", enc("5号楼1单元302"))).send().await;
    assert_eq!(missing.status, 422);
    let html = missing.text();
    assert!(html.contains(r#"id="visit-topic-error""#) && html.contains(r#"value="5号楼1单元302""#), "{html}");

    let form = format!(
        "household_label={}&topic={}&follow_up=&problem={}",
        enc("5号楼1单元302"),
        enc("安全隐患排查"),
        enc("楼道堆放杂物，堵塞消防通道")
    );
    let saved = post(cookie.clone(), form.clone()).send().await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let back = saved.header("location").unwrap().to_string();
    assert!(back.starts_with(&format!("/grids/{GRID}?visited=")), "{back}");
    let page = app.get(&back).header("cookie", &cookie).send().await.text();
    assert!(page.contains("走访已记录，所反映问题已转为案件"), "{page}");
    assert!(page.contains("5号楼1单元302") && page.contains("已转案件"), "the visit is listed with its case");
    assert!(page.contains(r#"<td><a href="/cases/"#), "the grid's cases link to their pages");

    let other = format!("grassroots_session={}", app.login("gridworker-other").await);
    let refused = post(other, form).send().await;
    assert!(matches!(refused.status, 403 | 404 | 422), "{}", refused.status);
    let leader = format!("grassroots_session={}", app.login("leader").await);
    let form = format!("household_label={}&topic={}", enc("1号楼"), enc("政策宣传"));
    assert_eq!(post(leader.clone(), form).send().await.status, 403, "a leader records no visits");
    let page = app.get(&format!("/grids/{GRID}")).header("cookie", &leader).send().await.text();
    assert!(!page.contains("/visits\""), "no visit form for a leader");
}

api_tests!(
    a_visit_is_recorded_from_the_grid_page,
    cases_matching_an_auto_dispatch_line_are_dispatched_on_arrival,
    reports_are_routed_by_grid_then_address_and_outside_grids_go_to_the_command_centre,
    a_patrol_report_carries_photos_and_can_be_resolved_on_the_spot,
    visits_are_logged_in_the_workers_grids_and_shown_as_coverage,
);
