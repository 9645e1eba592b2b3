//! The HTTP API end to end: each test gets its own app on a fresh, seeded store and talks to
//! it over a real socket. SQLite runs in `cargo test`; the same tests run on PostgreSQL with
//! `GRASSROOTS_TEST_POSTGRES_URL=postgres://… cargo test -p grassroots-web --test api --
//! --ignored` (each test gets a fresh database), which `.ci/run` always does.

mod support;

use grassroots_store::prelude::*;
use grassroots_store::Inspect;
use std::collections::HashSet;

use grassroots_web::{Config, RateLimit};
use serde_json::{json, Value};
use support::*;
use uuid::Uuid;

async fn health_check_and_openapi_document_are_served(app: TestApp) {
    let res = app.get("/healthz").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "ok");

    let res = app.get("/api/docs").send().await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("application/json"));
    let doc = res.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let documented: HashSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .filter(|(method, _)| ["get", "post", "put", "patch", "delete"].contains(&method.as_str()))
        .collect();
    // Every documented operation is served: no 404 or 405 from the router (tests/openapi.rs
    // checks the other direction, that the document lists every route). A real tracking
    // number, so that its routes find their case.
    let case = app.resident_report().await;
    let tracking_no = case["tracking_no"].as_str().unwrap();
    // A real vote, topic, meeting, decision and survey too, which anyone may read.
    let supervisor = app.store.user_by_username("supervisor").await.unwrap().unwrap().user.actor();
    let now = chrono::Utc::now();
    let vote = grassroots_store::votes::NewVote {
        region_code: COMMUNITY.into(),
        title: "是否更换路灯".into(),
        body: "更换为节能灯".into(),
        kind: grassroots_domain::votes::VoteKind::Single,
        eligibility: grassroots_domain::votes::Eligibility::Households,
        options: vec!["同意".into(), "不同意".into()],
        opens_at: now,
        closes_at: now + chrono::Duration::days(1),
    };
    let vote = app.store.create_vote(&supervisor, &vote, now).await.unwrap().id;
    let topic = grassroots_store::deliberation::NewTopic {
        region_code: COMMUNITY.into(),
        title: "东门照明".into(),
        body: "晚上太黑".into(),
        origin: grassroots_domain::deliberation::Origin::Staff,
        author: grassroots_store::deliberation::Author::Staff(supervisor.id().unwrap()),
        case_ids: Vec::new(),
    };
    let topic = app.store.raise_topic(&topic, &supervisor, now).await.unwrap().id;
    let meeting = grassroots_store::meetings::NewMeeting {
        region_code: COMMUNITY.into(),
        title: "居民议事会".into(),
        place: "居委会".into(),
        starts_at: now,
        items: vec![grassroots_store::meetings::AgendaItem { topic_id: Some(topic), title: "东门照明".into() }],
        participants: vec![grassroots_store::meetings::Participant {
            kind: grassroots_domain::meetings::ParticipantKind::Committee,
            label: "居委会".into(),
            attended: false,
        }],
    };
    let meeting = app.store.plan_meeting(&supervisor, &meeting, now).await.unwrap().id;
    let decision = grassroots_store::accountability::NewTask {
        title: "加装路灯".into(),
        owner_kind: grassroots_domain::accountability::OwnerKind::Committee,
        owner: "居委会".into(),
        owner_unit: None,
        deadline: now + chrono::Duration::days(30),
        milestones: Vec::new(),
    };
    let minutes = grassroots_store::meetings::Minutes {
        attended: vec![0],
        minutes: "议定加装".into(),
        decisions: vec![decision],
    };
    app.store.record_minutes(&supervisor, meeting, &minutes, now).await.unwrap();
    let task = app.store.tasks_of(meeting).await.unwrap()[0].id;
    let survey = grassroots_store::surveys::NewSurvey {
        region_code: COMMUNITY.into(),
        title: "养老需求".into(),
        intro: "了解需要".into(),
        purpose: grassroots_domain::surveys::Purpose::Needs,
        anonymity: grassroots_domain::surveys::Anonymity::Anonymous,
        questions: grassroots_domain::surveys::parse_questions("评分|打分").unwrap(),
        opens_at: now,
        closes_at: now + chrono::Duration::days(1),
        task_id: None,
        unit_cases: None,
    };
    let survey = app.store.create_survey(&supervisor, &survey, now).await.unwrap().id;
    let fund = app.store.create_fund(&supervisor, COMMUNITY, "关爱基金", "帮扶", now).await.unwrap().id;
    app.store.upsert_service_items(&grassroots_domain::services::builtin_catalogue(), now).await.unwrap();
    let project = a_project(&app, &supervisor).await;
    let compound = grassroots_domain::property::Compound::check("和平里小区", "北京某物业管理有限公司", None).unwrap();
    let compound = app.store.add_compound(&supervisor, COMMUNITY, &compound, now).await.unwrap().id;
    let disclosure = grassroots_store::oversight::NewDisclosure {
        community_code: COMMUNITY.into(),
        kind: grassroots_domain::oversight::DisclosureKind::Affairs,
        period_from: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
        period_to: chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
        period_label: "2026年第3季度".into(),
        title: "本季度社区事务".into(),
        body: "居民议事会召开两次".into(),
        lines: Vec::new(),
    };
    let disclosure = app.store.publish_disclosure(&supervisor, &disclosure, now).await.unwrap().id;
    for (method, path) in &documented {
        let id = match path {
            p if p.starts_with("/api/v1/votes/") => vote,
            p if p.starts_with("/api/v1/topics/") => topic,
            p if p.starts_with("/api/v1/meetings/") => meeting,
            p if p.starts_with("/api/v1/decisions/") => task,
            p if p.starts_with("/api/v1/surveys/") => survey,
            p if p.starts_with("/api/v1/funds/") => fund,
            p if p.starts_with("/api/v1/projects/") => project,
            p if p.starts_with("/api/v1/compounds/") => compound,
            p if p.starts_with("/api/v1/disclosures/") => disclosure,
            _ => Uuid::nil(),
        };
        let mut concrete = path.replace("{id}", &id.to_string()).replace("{tracking_no}", tracking_no);
        if path.starts_with("/api/v1/services/") {
            concrete = concrete.replace("{code}", "JD-001");
        }
        concrete = concrete.replace("{n}", "0");
        let res = match method.as_str() {
            "get" => app.get(&concrete).send().await,
            "put" => app.put(&concrete).json(&json!({})).send().await,
            "delete" => app.delete(&concrete).send().await,
            _ => app.post(&concrete).json(&json!({})).send().await,
        };
        assert!(![404, 405].contains(&res.status), "{method} {path}: {} {}", res.status, res.text());
    }

    // Unknown paths: the API answers JSON, the site a page.
    let res = app.get("/api/v1/no/such/thing").send().await;
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["error"]["code"], "not_found");
    let res = app.get("/no/such/page").send().await;
    assert_eq!(res.status, 404);
    assert!(res.header("content-type").unwrap().starts_with("text/html"), "{:?}", res.header("content-type"));
}

async fn apps_find_open_reports_nearby_and_join_one(app: TestApp) {
    let first = app
        .report(&json!({ "description": "井盖松动", "category_code": "0302", "lat": 39.9149, "lng": 116.4109,
                         "anonymous": true }))
        .await;
    let no = first["tracking_no"].as_str().unwrap();
    let near = app.get("/api/v1/reports/nearby?category_code=0302&lat=39.915&lng=116.411").send().await.json();
    let reports = near["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{near}");
    assert_eq!((reports[0]["tracking_no"].as_str(), reports[0]["supporters"].as_i64()), (Some(no), Some(0)));
    assert!(reports[0].get("description").is_none(), "nothing of the report's words");
    let other = app.get("/api/v1/reports/nearby?category_code=0301&lat=39.915&lng=116.411").send().await.json();
    assert!(other["reports"].as_array().unwrap().is_empty(), "another category");
    let bad = app.get("/api/v1/reports/nearby?category_code=0302&lat=99&lng=116.411").send().await;
    assert_eq!((bad.status, bad.error_field().as_deref()), (422, Some("lat")));

    let path = format!("/api/v1/reports/{no}/supporters");
    let no_phone = app.post(&path).json(&json!({ "notify": true })).send().await;
    assert_eq!((no_phone.status, no_phone.error_field().as_deref()), (422, Some("notify")));
    let joined = app.post(&path).json(&json!({ "reporter_phone": PHONE, "notify": true })).send().await;
    assert_eq!(joined.status, 200, "{}", joined.text());
    assert_eq!(joined.json()["supporters"], 1);
    let near = app.get("/api/v1/reports/nearby?category_code=0302&lat=39.915&lng=116.411").send().await.json();
    assert_eq!(near["reports"][0]["supporters"], 1);
}

async fn staff_get_categories_proposed_from_the_words_with_reasons_and_the_unit(app: TestApp) {
    let token = app.login("dispatcher").await;
    let ask = |body: serde_json::Value| app.post("/api/v1/classify").bearer(&token).json(&body).send();
    let answer = ask(json!({ "description": "胡同口的路灯坏了好几天了，晚上黑乎乎的" })).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let categories = answer.json()["categories"].as_array().unwrap().clone();
    assert_eq!(categories[0]["category_code"], "0301", "{categories:?}");
    assert!(categories[0]["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("路灯")));
    let confidences: Vec<f64> = categories.iter().map(|c| c["confidence"].as_f64().unwrap()).collect();
    assert!(confidences.windows(2).all(|w| w[0] >= w[1]) && confidences[0] <= 1.0, "ranked: {confidences:?}");
    assert!(categories[0]["unit"].is_null(), "no place, no unit");

    // Street lamps of the district go to unit A, says the matrix.
    let line = app
        .save_matrix_line(&format!("category_code=0301&region_code={DISTRICT}&unit_id={UNIT_A}&auto_dispatch=no"))
        .await;
    assert_eq!(line.status, 303, "{}", line.text());
    let (lng, lat) = IN_GRID;
    let placed = ask(json!({ "description": "路灯不亮", "lat": lat, "lng": lng })).await.json();
    assert_eq!(placed["categories"][0]["unit"], UNIT_A, "the matrix's unit for the street lamps there: {placed}");
    let empty = ask(json!({ "description": "  " })).await;
    assert_eq!((empty.status, empty.error_field().as_deref()), (422, Some("description")));
    assert_eq!(app.post("/api/v1/classify").json(&json!({ "description": "路灯" })).send().await.status, 401);
}

async fn a_resident_report_is_received_placed_and_given_deadlines(app: TestApp) {
    let created = app.resident_report().await;
    assert_eq!(created["status"], "received");
    let id = created["id"].as_str().unwrap();
    assert!(Uuid::parse_str(id).is_ok());
    let tracking_no = created["tracking_no"].as_str().unwrap();
    assert_eq!(tracking_no.len(), 14, "YYMMDD and 8 digits: {tracking_no}");
    assert!(tracking_no.bytes().all(|b| b.is_ascii_digit()));
    let code = created["query_code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    let response_due = created["response_due"].as_str().unwrap();
    let resolve_due = created["resolve_due"].as_str().unwrap();
    let response_due = chrono::DateTime::parse_from_rfc3339(response_due).unwrap();
    let resolve_due = chrono::DateTime::parse_from_rfc3339(resolve_due).unwrap();
    assert!(chrono::Utc::now() < response_due && response_due <= resolve_due);
    assert!(created["message"].as_str().unwrap().contains("已受理"));

    let token = app.login("dispatcher").await;
    let res = app.get(&format!("/api/v1/cases/{id}")).bearer(&token).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let case = &body["case"];
    assert_eq!(case["state"], "received");
    assert_eq!(case["tracking_no"], tracking_no);
    assert_eq!(case["category_code"], "0301");
    assert_eq!(case["channel"], "web");
    assert_eq!(case["place"]["district_code"], DISTRICT);
    assert_eq!(case["place"]["street_code"], STREET);
    assert_eq!(case["place"]["community_code"], COMMUNITY);
    assert_eq!(case["place"]["address"], "东华门街道多福巷社区");
    assert_eq!(case["actions"], json!(["register", "reclassify", "reject", "merge"]));
    assert_eq!(body["events"].as_array().unwrap().len(), 1);
    assert_eq!(body["events"][0]["kind"]["kind"], "received");
}

async fn invalid_reports_name_the_field_and_create_nothing(app: TestApp) {
    let token = app.login("dispatcher").await;
    let valid = json!({
        "description": "路灯坏了",
        "category_code": "0301",
        "address": "东华门街道多福巷社区",
        "reporter_name": NAME,
        "reporter_phone": PHONE,
    });
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    // People's Square, Shanghai: far outside 东城区.
    let mut shanghai = with("lat", json!(31.23));
    shanghai["lng"] = json!(121.47);
    let mut without_description = valid.clone();
    without_description.as_object_mut().unwrap().remove("description");
    let cases = [
        (with("description", json!("   ")), "description"),
        (with("reporter_phone", json!("1234")), "reporter_phone"),
        (with("lng", json!(116.41)), "lat"),
        (with("lat", json!(39.91)), "lng"),
        (shanghai, "lat"),
        (with("category_code", json!("9999")), "category_code"),
        (with("colour", json!("red")), "colour"),
        (without_description, "description"),
        (with("lat", json!("north")), "lat"),
        (with("priority", json!("urgent")), "priority"),
    ];
    for (body, field) in &cases {
        let res = app.post("/api/v1/cases").json(body).send().await;
        assert_eq!(res.status, 422, "{body}: {}", res.text());
        let err = res.json();
        assert_eq!(err["error"]["code"], "invalid_field");
        assert_eq!(err["error"]["field"], *field, "{body}: {err}");
        assert!(err["error"]["message"].as_str().unwrap().contains(" / "), "bilingual message: {err}");
    }

    let res = app.post("/api/v1/cases").body_with_type("application/json", r#"{"description": "路灯"#).send().await;
    assert_eq!(res.status, 400, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "bad_request");

    let res = app.post("/api/v1/cases").body_with_type("text/plain", valid.to_string()).send().await;
    assert_eq!(res.status, 415, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "unsupported_media_type");

    let big = with("description", json!("路".repeat(64 * 1024 / 3 + 100)));
    assert!(big.to_string().len() > 64 * 1024);
    let res = app.post("/api/v1/cases").json(&big).send().await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "payload_too_large");

    assert_eq!(app.case_count().await, 0);
    let res = app.get("/api/v1/cases").bearer(&token).send().await;
    assert_eq!(res.json()["cases"], json!([]));
    // The same body without its fault is accepted.
    app.report(&valid).await;
    assert_eq!(app.case_count().await, 1);
}

async fn public_intake_is_rate_limited_per_client_address(app: TestApp) {
    let app =
        app.with_config(Config { public_rate: RateLimit { per_minute: 1, burst: 2 }, ..Default::default() }).await;
    let body = json!({ "description": "路灯坏了", "address": "东华门街道多福巷社区" });
    for _ in 0..2 {
        let res = app.post("/api/v1/cases").json(&body).send().await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let res = app.post("/api/v1/cases").json(&body).send().await;
    assert_eq!(res.status, 429, "{}", res.text());
    let retry_after: u64 = res.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(res.json()["error"]["code"], "rate_limited");
    // Tracking and login are public too and share the bucket.
    let res = app.get("/api/v1/track/26010100000000?code=123456").send().await;
    assert_eq!(res.status, 429);
    assert_eq!(app.case_count().await, 2);
    // Staff endpoints are not limited.
    assert_eq!(app.get("/healthz").send().await.status, 200);
    assert_eq!(app.get("/api/v1/cases").send().await.status, 401);
}

async fn operators_with_a_live_session_are_not_limited_by_their_address(app: TestApp) {
    let app =
        app.with_config(Config { public_rate: RateLimit { per_minute: 1, burst: 2 }, ..Default::default() }).await;
    let operator = app.login("operator").await; // takes one token of the address's bucket
    let body = json!({ "description": "来电反映路灯坏了", "address": "东华门街道多福巷社区" });
    for _ in 0..4 {
        let res = app.post("/api/v1/cases").bearer(&operator).json(&body).send().await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    assert_eq!(app.post("/api/v1/cases").json(&body).send().await.status, 201, "the last anonymous token");
    assert_eq!(app.post("/api/v1/cases").json(&body).send().await.status, 429);
    assert_eq!(
        app.post("/api/v1/cases").bearer("forged").json(&body).send().await.status,
        429,
        "a dead token is limited"
    );
    assert_eq!(app.case_count().await, 5);
}

async fn staff_log_in_by_password_with_token_or_cookie_and_log_out(app: TestApp) {
    let res = app.get("/api/v1/cases").send().await;
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["error"]["code"], "unauthorized");
    assert_eq!(app.get("/api/v1/cases").bearer("not-a-session").send().await.status, 401);

    let login = |username: &str, password: &str| {
        app.post("/api/v1/auth/login").json(&json!({ "username": username, "password": password })).send()
    };
    assert_eq!(login("dispatcher", "wrong password").await.status, 401);
    assert_eq!(login("nobody", PASSWORD).await.status, 401);
    let res = app.post("/api/v1/auth/login").json(&json!({ "username": "dispatcher" })).send().await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("password")));

    let res = login("dispatcher", PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(body["user"]["username"], "dispatcher");
    assert_eq!(body["user"]["role"], "dispatcher");
    assert!(body["user"].get("password_hash").is_none());
    assert!(!res.text().contains("argon2"));
    let cookie = res.header("set-cookie").expect("a session cookie");
    assert!(cookie.starts_with(&format!("grassroots_session={token};")), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");

    let cookie_header = format!("theme=dark; grassroots_session={token}");
    let res = app.get("/api/v1/auth/me").header("cookie", &cookie_header).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["username"], "dispatcher");
    let res = app.get("/api/v1/auth/me").bearer(&token).send().await;
    assert_eq!(res.json()["scope"], json!({ "kind": "regions", "codes": [DISTRICT] }));
    assert_eq!(app.get("/api/v1/cases").header("cookie", &cookie_header).send().await.status, 200);
    // An Authorization header of another scheme (a proxy's Basic) does not hide the cookie.
    let res = app
        .get("/api/v1/auth/me")
        .header("authorization", "Basic c3RhZmY6c2VjcmV0")
        .header("cookie", &cookie_header)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    // Another session of the same user lives on after this one ends.
    let other = app.login("dispatcher").await;
    let res = app.post("/api/v1/auth/logout").header("cookie", &cookie_header).send().await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(app.get("/api/v1/auth/me").header("cookie", &cookie_header).send().await.status, 401);
    assert_eq!(app.get("/api/v1/auth/me").bearer(&token).send().await.status, 401);
    assert_eq!(app.post("/api/v1/auth/logout").bearer(&token).send().await.status, 401);
    assert_eq!(app.get("/api/v1/auth/me").bearer(&other).send().await.status, 200);
}

async fn a_case_goes_round_the_closed_loop_through_the_api(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let (no, code) = (created["tracking_no"].as_str().unwrap(), created["query_code"].as_str().unwrap());
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler-a").await;
    let supervisor = app.login("supervisor").await;

    let steps: &[(&str, Value, &str)] = &[
        (&dispatcher, json!({ "action": "register", "note": "属实" }), "registered"),
        (&dispatcher, json!({ "action": "dispatch", "unit": UNIT_A }), "dispatched"),
        (&handler, json!({ "action": "accept" }), "in_progress"),
        (&handler, json!({ "action": "contact", "note": "已电话联系群众" }), "in_progress"),
        (&handler, json!({ "action": "report_handled", "result": "已更换灯泡" }), "handled"),
        (&supervisor, json!({ "action": "start_verification" }), "verifying"),
        (&supervisor, json!({ "action": "verify", "passed": true, "note": "现场路灯已亮" }), "closed"),
    ];
    for (token, mv, state) in steps {
        let body = app.act_ok(token, id, mv).await;
        assert_eq!(body["case"]["state"], *state, "{mv}: {body}");
    }
    let staff_view = app.get(&format!("/api/v1/cases/{id}")).bearer(&supervisor).send().await.json();
    assert_eq!(staff_view["case"]["lead_unit"], UNIT_A);
    assert_eq!(staff_view["case"]["lead_unit_name"], "东城区城市管理委员会");
    assert_eq!(staff_view["case"]["result"], "已更换灯泡");
    assert_eq!(staff_view["events"].as_array().unwrap().len(), 8);

    let res = app.get(&format!("/api/v1/track/{no}?code={code}")).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    let tracked = res.json();
    assert_eq!(tracked["state"], "closed");
    assert_eq!(tracked["state_label"], "已结案");
    assert_eq!(tracked["can_evaluate"], true);
    assert_eq!(tracked["result"], "已更换灯泡");
    let kinds: Vec<&str> =
        tracked["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    // Verification passing closes the case; starting it is internal.
    assert_eq!(kinds, ["received", "registered", "dispatched", "accepted", "contacted", "handled", "verified"]);
    let text = res.text();
    for personal in [PHONE, MASKED_PHONE, NAME, MASKED_NAME, "reporter", "已电话联系群众", "现场路灯已亮"]
    {
        assert!(!text.contains(personal), "the resident's view shows {personal:?}: {text}");
    }

    let res = app
        .post(&format!("/api/v1/track/{no}/evaluation"))
        .json(&json!({ "code": code, "resolved": true, "satisfaction": "satisfied", "comment": "修得很快" }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let evaluated = res.json();
    assert_eq!(evaluated["evaluation"]["resolved"], true);
    assert_eq!(evaluated["evaluation"]["satisfaction"], "satisfied");
    assert_eq!(evaluated["can_evaluate"], false);
    assert_eq!(evaluated["timeline"].as_array().unwrap().last().unwrap()["kind"], "evaluated");
    // Once per round.
    let again = app
        .post(&format!("/api/v1/track/{no}/evaluation"))
        .json(&json!({ "code": code, "resolved": false, "satisfaction": "dissatisfied" }))
        .send()
        .await;
    assert_eq!(again.status, 409, "{}", again.text());

    let res = app.get("/api/v1/stats/rates").bearer(&supervisor).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    let stats = res.json();
    assert_eq!(
        stats["counts"],
        json!({ "dispatched": 1, "response_due_or_made": 1, "responded_on_time": 1, "evaluated": 1, "resolved": 1, "satisfied": 1 })
    );
    for rate in ["response", "resolution", "satisfaction"] {
        let r = &stats["rates"][rate];
        assert_eq!((r["numerator"].as_i64(), r["denominator"].as_i64()), (Some(1), Some(1)), "{rate}: {r}");
        assert_eq!(r["value"], 1.0);
        assert!(r["formula_zh"].as_str().is_some_and(|f| f.contains('/')), "{rate}: {r}");
        assert!(r["formula_en"].as_str().is_some_and(|f| f.contains('/')), "{rate}: {r}");
    }
    // The leader sees the same numbers; a filter that excludes the case counts nothing.
    let leader = app.login("leader").await;
    let res = app.get("/api/v1/stats/rates?region=110101001").bearer(&leader).send().await;
    assert_eq!(res.json()["counts"]["dispatched"], 1);
    let res = app.get(&format!("/api/v1/stats/rates?unit={UNIT_B}")).bearer(&leader).send().await;
    assert_eq!(res.json()["counts"]["dispatched"], 0);
    assert_eq!(res.json()["rates"]["response"]["value"], Value::Null);
    let res = app.get("/api/v1/stats/rates?from=2020-01-01&to=2020-12-31").bearer(&leader).send().await;
    assert_eq!(res.json()["counts"]["dispatched"], 0);
    let res = app.get("/api/v1/stats/rates?from=yesterday").bearer(&leader).send().await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("from")));
    let res = app.get("/api/v1/stats/rates?category=03").bearer(&leader).send().await;
    assert_eq!(res.json()["counts"]["dispatched"], 1, "a top-level category counts its sub-categories");
    let res = app.get("/api/v1/stats/rates?category=9999").bearer(&leader).send().await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("category")));
    let operator = app.login("operator").await;
    assert_eq!(app.get("/api/v1/stats/rates").bearer(&operator).send().await.status, 403);
}

async fn illegal_moves_are_refused_and_change_nothing(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let dispatcher = app.login("dispatcher").await;

    let res = app.act(&dispatcher, id, &json!({ "action": "accept" })).await;
    assert_eq!(res.status, 403, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "forbidden");

    let res = app.act(&dispatcher, id, &json!({ "action": "dispatch", "unit": UNIT_A })).await;
    assert_eq!(res.status, 409, "{}", res.text());
    let message = res.json()["error"]["message"].as_str().unwrap().to_string();
    for word in ["received", "已受理", "dispatch", "派遣"] {
        assert!(message.contains(word), "{word:?} missing from {message:?}");
    }

    for bad in [
        json!({ "action": "fly" }),
        json!({ "note": "no action" }),
        json!({ "action": "register", "colour": "red" }),
        json!({ "action": "reject", "reason": "" }),
    ] {
        let res = app.act(&dispatcher, id, &bad).await;
        assert_eq!(res.status, 422, "{bad}: {}", res.text());
        assert_eq!(res.json()["error"]["code"], "invalid_field");
    }
    let res = app.act(&dispatcher, id, &json!({ "action": "register", "colour": "red" })).await;
    assert_eq!(res.error_field().as_deref(), Some("colour"));
    let res = app.act(&dispatcher, id, &json!({ "action": "reject", "reason": "" })).await;
    assert_eq!(res.error_field().as_deref(), Some("reason"));
    let res = app
        .post(&format!("/api/v1/cases/{id}/actions"))
        .bearer(&dispatcher)
        .body_with_type("application/json", "{")
        .send()
        .await;
    assert_eq!(res.status, 400);

    assert_eq!(app.stored_state(id).await, ("received".to_string(), 1));
    let body = app.get(&format!("/api/v1/cases/{id}")).bearer(&dispatcher).send().await.json();
    assert_eq!(body["case"]["state"], "received");
    assert_eq!(body["events"].as_array().unwrap().len(), 1);

    // A registered case cannot go to a unit that does not exist.
    app.act_ok(&dispatcher, id, &json!({ "action": "register" })).await;
    let res = app.act(&dispatcher, id, &json!({ "action": "dispatch", "unit": "nowhere" })).await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("unit")), "{}", res.text());
    assert_eq!(app.stored_state(id).await, ("registered".to_string(), 2));

    let res = app.act(&dispatcher, "not-a-uuid", &json!({ "action": "register" })).await;
    assert_eq!((res.status, res.error_field().as_deref()), (400, Some("id")));
    let res = app.act(&dispatcher, &Uuid::now_v7().to_string(), &json!({ "action": "register" })).await;
    assert_eq!(res.status, 404);
}

async fn scope_hides_cases_of_other_units_and_grids_and_leaders_see_no_personal_data(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap().to_string();
    let dispatcher = app.login("dispatcher").await;
    app.act_ok(&dispatcher, &id, &json!({ "action": "register" })).await;
    app.act_ok(&dispatcher, &id, &json!({ "action": "dispatch", "unit": UNIT_A })).await;
    let grid_case = app.grid_case(GRID).await.id.to_string();

    let handler_a = app.login("handler-a").await;
    let listed = app.get("/api/v1/cases").bearer(&handler_a).send().await.json();
    let ids: Vec<&str> = listed["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str()]);
    let res = app.get(&format!("/api/v1/cases/{id}")).bearer(&handler_a).send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["case"]["actions"], json!(["return", "accept"]));

    // Another unit's handler: the case does not exist for them.
    let handler_b = app.login("handler-b").await;
    let listed = app.get("/api/v1/cases").bearer(&handler_b).send().await.json();
    assert_eq!(listed["cases"], json!([]));
    assert_eq!(listed["next_cursor"], Value::Null);
    assert_eq!(app.get(&format!("/api/v1/cases/{id}")).bearer(&handler_b).send().await.status, 404);
    assert_eq!(app.act(&handler_b, &id, &json!({ "action": "accept" })).await.status, 404);
    let res = app
        .post(&format!("/api/v1/cases/{id}/reveal"))
        .bearer(&handler_b)
        .json(&json!({ "reason": "回访" }))
        .send()
        .await;
    assert_eq!(res.status, 404, "{}", res.text());
    assert_eq!(app.stored_state(&id).await.0, "dispatched");

    // Grid workers see the cases of their grids only.
    let gridworker = app.login("gridworker").await;
    let res = app.get(&format!("/api/v1/cases/{grid_case}")).bearer(&gridworker).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(app.get(&format!("/api/v1/cases/{id}")).bearer(&gridworker).send().await.status, 404);
    let outsider = app.login("gridworker-other").await;
    assert_eq!(app.get("/api/v1/cases").bearer(&outsider).send().await.json()["cases"], json!([]));
    assert_eq!(app.get(&format!("/api/v1/cases/{grid_case}")).bearer(&outsider).send().await.status, 404);
    assert_eq!(app.act(&outsider, &grid_case, &json!({ "action": "start_verification" })).await.status, 404);
    let res = app
        .post(&format!("/api/v1/cases/{grid_case}/reveal"))
        .bearer(&outsider)
        .json(&json!({ "reason": "核查" }))
        .send()
        .await;
    assert_eq!(res.status, 404);

    // A leader works with aggregates: no case, its address or its reporter reaches them.
    let leader = app.login("leader").await;
    let res = app.get(&format!("/api/v1/cases/{id}")).bearer(&leader).send().await;
    assert_eq!(res.status, 403, "{}", res.text());
    let res = app.get("/api/v1/cases").bearer(&leader).send().await;
    assert_eq!(res.status, 403, "{}", res.text());
    for personal in [PHONE, MASKED_PHONE, NAME, MASKED_NAME, "东华门"] {
        assert!(!res.text().contains(personal), "a leader sees {personal:?}");
    }
    assert_eq!(app.get("/api/v1/stats/rates").bearer(&leader).send().await.status, 200);
    let res = app
        .post(&format!("/api/v1/cases/{id}/reveal"))
        .bearer(&leader)
        .json(&json!({ "reason": "了解情况" }))
        .send()
        .await;
    assert_eq!(res.status, 403, "{}", res.text());
    let id_uuid = Uuid::parse_str(&id).unwrap();
    assert!(app.store.audit_entries(id_uuid).await.unwrap().iter().all(|e| e.action != "reveal"));
    assert_eq!(app.act(&leader, &id, &json!({ "action": "supervise", "note": "加快" })).await.status, 403);

    // The administrator sees everything, masked, and reaches personal data only through an
    // audited reveal.
    let admin = app.login("admin").await;
    assert_eq!(app.get("/api/v1/cases").bearer(&admin).send().await.json()["cases"].as_array().unwrap().len(), 2);
    let res = app
        .post(&format!("/api/v1/cases/{id}/reveal"))
        .bearer(&admin)
        .json(&json!({ "reason": "核查投诉" }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let audit = app.store.audit_entries(id_uuid).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "reveal" && e.actor_kind == "admin"), "{audit:?}");
}

async fn personal_data_is_masked_and_revealed_only_with_a_reason_and_an_audit_entry(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let id_uuid = Uuid::parse_str(id).unwrap();
    assert!(!created.to_string().contains(PHONE));
    let login =
        app.post("/api/v1/auth/login").json(&json!({ "username": "dispatcher", "password": PASSWORD })).send().await;
    let dispatcher = login.json()["token"].as_str().unwrap().to_string();
    let dispatcher_id = login.json()["user"]["id"].as_str().unwrap().to_string();

    let mut staff_bodies = Vec::new();
    let res = app.get(&format!("/api/v1/cases/{id}")).bearer(&dispatcher).send().await;
    let reporter = res.json()["case"]["reporter"].clone();
    assert_eq!(reporter, json!({ "anonymous": false, "name": MASKED_NAME, "phone": MASKED_PHONE }));
    staff_bodies.push(res.text());
    let res = app.get("/api/v1/cases").bearer(&dispatcher).send().await;
    assert_eq!(res.json()["cases"][0]["reporter"]["phone"], MASKED_PHONE);
    staff_bodies.push(res.text());
    staff_bodies.push(app.act_ok(&dispatcher, id, &json!({ "action": "register" })).await.to_string());
    staff_bodies.push(app.get(&format!("/api/v1/cases?text={}", enc("路灯"))).bearer(&dispatcher).send().await.text());
    staff_bodies.push(app.get("/api/v1/reference").bearer(&dispatcher).send().await.text());
    for body in &staff_bodies {
        assert!(!body.contains(PHONE) && !body.contains(NAME), "personal data in {body}");
    }

    for reason in ["", "   "] {
        let res = app
            .post(&format!("/api/v1/cases/{id}/reveal"))
            .bearer(&dispatcher)
            .json(&json!({ "reason": reason }))
            .send()
            .await;
        assert_eq!((res.status, res.error_field().as_deref()), (422, Some("reason")), "{}", res.text());
    }
    let res = app.post(&format!("/api/v1/cases/{id}/reveal")).bearer(&dispatcher).json(&json!({})).send().await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("reason")));
    let reveals = |entries: Vec<grassroots_store::AuditEntry>| {
        entries.into_iter().filter(|e| e.action == "reveal").collect::<Vec<_>>()
    };
    assert!(reveals(app.store.audit_entries(id_uuid).await.unwrap()).is_empty());

    let res = app
        .post(&format!("/api/v1/cases/{id}/reveal"))
        .bearer(&dispatcher)
        .json(&json!({ "reason": "回访核实情况" }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({ "reporter_name": NAME, "reporter_phone": PHONE, "texts": [], "audited": true }));
    let audit = reveals(app.store.audit_entries(id_uuid).await.unwrap());
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_kind, "dispatcher");
    assert_eq!(audit[0].actor_id.map(|u| u.to_string()), Some(dispatcher_id));
    assert_eq!((audit[0].subject_type.as_deref(), audit[0].subject_id), (Some("case"), Some(id_uuid)));
    assert_eq!(audit[0].detail["reason"], "回访核实情况");
    assert!(!audit[0].detail.to_string().contains(PHONE));
    // Nobody's view changed: the next read is masked again.
    let res = app.get(&format!("/api/v1/cases/{id}")).bearer(&dispatcher).send().await;
    assert!(!res.text().contains(PHONE));

    // Anonymous reports carry nothing to reveal.
    let anonymous =
        app.report(&json!({ "description": "有人占道经营", "address": "东华门街道", "anonymous": true })).await;
    let aid = anonymous["id"].as_str().unwrap();
    let res = app.get(&format!("/api/v1/cases/{aid}")).bearer(&dispatcher).send().await;
    assert_eq!(res.json()["case"]["reporter"], json!({ "anonymous": true, "name": null, "phone": null }));
    assert_eq!(res.json()["case"]["place"]["street_code"], STREET);
    assert_eq!(res.json()["case"]["place"]["community_code"], Value::Null);
    let res = app
        .report_raw(&json!({ "description": "x", "address": "东华门街道", "anonymous": true, "reporter_phone": PHONE }))
        .await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("anonymous")));
}

async fn case_list_pages_by_keyset_and_checks_its_parameters(app: TestApp) {
    let mut created = HashSet::new();
    for i in 0..5 {
        let body = json!({ "description": format!("第{i}盏路灯坏了"), "category_code": "0301", "address": "东华门街道多福巷社区" });
        created.insert(app.report(&body).await["id"].as_str().unwrap().to_string());
    }
    let token = app.login("dispatcher").await;

    let mut seen = Vec::new();
    let mut path = "/api/v1/cases?limit=2".to_string();
    let mut pages = 0;
    loop {
        let res = app.get(&path).bearer(&token).send().await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        let page = res.json();
        let cases = page["cases"].as_array().unwrap();
        assert!(cases.len() <= 2);
        seen.extend(cases.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        pages += 1;
        assert!(pages <= 4, "paging does not end");
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(cursor, cases.last().unwrap()["id"]);
                path = format!("/api/v1/cases?limit=2&after={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);
    let mut newest_first = seen.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, newest_first, "newest first");

    let all = app.get("/api/v1/cases?limit=100").bearer(&token).send().await.json();
    assert_eq!(all["cases"].as_array().unwrap().len(), 5);
    assert_eq!(all["next_cursor"], Value::Null);
    let res =
        app.get("/api/v1/cases?state=received,registered&category=03&region=110101001001").bearer(&token).send().await;
    assert_eq!(res.json()["cases"].as_array().unwrap().len(), 5, "{}", res.text());
    let res = app.get("/api/v1/cases?state=closed").bearer(&token).send().await;
    assert_eq!(res.json()["cases"], json!([]));

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=500", "limit"),
        ("limit=ten", "limit"),
        ("colour=red", "colour"),
        ("after=not-a-cursor", "after"),
        ("state=lost", "state"),
        ("region=11x", "region"),
        ("category=9999", "category"),
    ] {
        let res = app.get(&format!("/api/v1/cases?{query}")).bearer(&token).send().await;
        assert_eq!(res.status, 422, "{query}: {}", res.text());
        assert_eq!(res.error_field().as_deref(), Some(field), "{query}: {}", res.text());
    }
}

async fn tracking_needs_the_right_code_and_only_closed_cases_are_evaluated(app: TestApp) {
    let created = app.resident_report().await;
    let (id, no, code) = (
        created["id"].as_str().unwrap(),
        created["tracking_no"].as_str().unwrap(),
        created["query_code"].as_str().unwrap(),
    );
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);

    let res = app.get(&format!("/api/v1/track/{no}?code={code}")).send().await;
    assert_eq!(res.status, 200);
    let tracked = res.json();
    assert_eq!(tracked["state"], "received");
    assert_eq!(tracked["can_evaluate"], false);
    assert_eq!(tracked["tracking_no"], no);
    assert_eq!(tracked["category"]["zh"].as_str().map(|s| !s.is_empty()), Some(true));

    let res = app.get(&format!("/api/v1/track/{no}?code={wrong}")).send().await;
    assert_eq!(res.status, 404, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "not_found");
    assert_eq!(app.get(&format!("/api/v1/track/99999999999999?code={code}")).send().await.status, 404);
    let res = app.get(&format!("/api/v1/track/{no}")).send().await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("code")));

    let evaluation = |code: &str| json!({ "code": code, "resolved": true, "satisfaction": "satisfied" });
    let res = app.post(&format!("/api/v1/track/{no}/evaluation")).json(&evaluation(code)).send().await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "conflict");
    let res = app.post(&format!("/api/v1/track/{no}/evaluation")).json(&evaluation(&wrong)).send().await;
    assert_eq!(res.status, 404, "{}", res.text());
    let res = app
        .post(&format!("/api/v1/track/{no}/evaluation"))
        .json(&json!({ "code": code, "resolved": true, "satisfaction": "thrilled" }))
        .send()
        .await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("satisfaction")));
    assert_eq!(app.stored_state(id).await, ("received".to_string(), 1));
}

async fn only_operators_and_grid_workers_take_in_requests_for_others(app: TestApp) {
    let body = json!({ "description": "电梯坏了", "address": "东华门街道多福巷社区", "priority": "urgent", "reporter_phone": "010-6400 1234" });
    let operator = app.login("operator").await;
    let res = app.post("/api/v1/cases").bearer(&operator).json(&body).send().await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_string();
    let case = app.get(&format!("/api/v1/cases/{id}")).bearer(&operator).send().await.json();
    assert_eq!(case["case"]["channel"], "phone");
    assert_eq!(case["case"]["priority"], "urgent");
    assert_eq!(case["case"]["category_code"], "18", "unsorted requests go to 其他");
    assert_eq!(case["case"]["reporter"]["phone"], "010****1234");
    assert_eq!(case["events"][0]["actor_kind"], "operator");

    let dispatcher = app.login("dispatcher").await;
    let res = app.post("/api/v1/cases").bearer(&dispatcher).json(&body).send().await;
    assert_eq!(res.status, 403, "{}", res.text());
    // A stale session is refused rather than treated as a resident.
    let res = app.post("/api/v1/cases").bearer("expired").json(&body).send().await;
    assert_eq!(res.status, 401);
    assert_eq!(app.case_count().await, 1);
}

/// PostgreSQL refuses U+0000 in TEXT and SQLite would store it: the API refuses it up front,
/// naming the field, like any other bad input.
async fn text_with_nul_characters_is_refused_not_a_server_error(app: TestApp) {
    let res = app.report_raw(&json!({ "description": "路灯\u{0}坏了", "address": "东华门街道" })).await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("description")), "{}", res.text());
    let res = app.report_raw(&json!({ "description": "路灯坏了", "address": "东华门街道\u{0}" })).await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("address")), "{}", res.text());
    assert_eq!(app.case_count().await, 0);

    let res = app.get("/api/v1/track/2611%0027?code=123456").send().await;
    assert_eq!(res.status, 404, "{}", res.text());
    let res = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "dispatcher\u{0}", "password": PASSWORD }))
        .send()
        .await;
    assert_eq!((res.status, res.error_field().as_deref()), (422, Some("username")), "{}", res.text());
    let token = app.login("dispatcher").await;
    for query in ["text=a%00b", "unit=a%00b"] {
        let res = app.get(&format!("/api/v1/cases?{query}")).bearer(&token).send().await;
        assert_eq!((res.status, res.error_field().as_deref()), (422, Some("query")), "{query}: {}", res.text());
    }
}

/// The authentication scheme is case-insensitive (RFC 9110 §11.1, RFC 6750 §2.1).
async fn a_bearer_token_is_accepted_whatever_the_case_of_the_scheme(app: TestApp) {
    let token = app.login("dispatcher").await;
    for scheme in ["bearer", "BEARER"] {
        let res = app.get("/api/v1/auth/me").header("authorization", &format!("{scheme} {token}")).send().await;
        assert_eq!(res.status, 200, "{scheme}: {}", res.text());
    }
}

/// A rejected value that happens to contain serde's own words still names its field.
async fn a_rejected_value_does_not_change_which_field_is_named(app: TestApp) {
    for value in ["missing field", "unknown field"] {
        let body = json!({ "description": "路灯坏了", "address": "东华门街道", "anonymous": value });
        let res = app.report_raw(&body).await;
        assert_eq!((res.status, res.error_field().as_deref()), (422, Some("anonymous")), "{body}: {}", res.text());
    }
}

async fn query_codes_cannot_be_guessed_at_length(app: TestApp) {
    let created = app.report(&json!({ "description": "路灯坏了", "address": "东华门街道多福巷社区" })).await;
    let no = created["tracking_no"].as_str().unwrap().to_string();
    let code = created["query_code"].as_str().unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..10 {
        assert_eq!(app.get(&format!("/api/v1/track/{no}?code={wrong}")).send().await.status, 404);
    }
    let res = app.get(&format!("/api/v1/track/{no}?code={code}")).send().await;
    assert_eq!(res.status, 429, "even the right code waits once the number's attempts are spent");
    assert!(res.header("retry-after").is_some());
}

async fn a_merged_request_follows_the_case_it_was_merged_into(app: TestApp) {
    let first = app.report(&json!({ "description": "路灯坏了", "address": "东华门街道多福巷社区" })).await;
    let again = app.report(&json!({ "description": "同一盏路灯坏了", "address": "东华门街道多福巷社区" })).await;
    let dispatcher = app.login("dispatcher").await;
    let into = first["id"].as_str().unwrap();
    let res = app.act(&dispatcher, again["id"].as_str().unwrap(), &json!({ "action": "merge", "into": into })).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(app.act(&dispatcher, into, &json!({ "action": "register" })).await.status, 200);
    let (no, code) = (again["tracking_no"].as_str().unwrap(), again["query_code"].as_str().unwrap());
    let view = app.get(&format!("/api/v1/track/{no}?code={code}")).send().await.json();
    assert_eq!(view["state"], "merged");
    assert_eq!(view["handled_with"]["state"], "registered", "{view}");
    assert!(
        !view.to_string().contains(first["tracking_no"].as_str().unwrap()),
        "the other case's number stays private"
    );
}

async fn a_dispatcher_corrects_category_and_priority_and_the_deadlines_follow(app: TestApp) {
    let created = app.report(&json!({ "description": "家里停电了", "address": "东华门街道多福巷社区" })).await;
    let id = created["id"].as_str().unwrap();
    let dispatcher = app.login("dispatcher").await;
    let body =
        json!({ "action": "reclassify", "category_code": "0602", "priority": "emergency", "reason": "实为停电" });
    let res = app.act(&dispatcher, id, &body).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let case = &res.json()["case"];
    assert_eq!((case["category_code"].as_str(), case["priority"].as_str()), (Some("0602"), Some("emergency")));
    let received = chrono::DateTime::parse_from_rfc3339(case["received_at"].as_str().unwrap()).unwrap();
    let response_due = chrono::DateTime::parse_from_rfc3339(case["response_due"].as_str().unwrap()).unwrap();
    assert_eq!(response_due - received, chrono::Duration::hours(2), "emergency: respond within 2 hours of receipt");
    let bad =
        app.act(&dispatcher, id, &json!({ "action": "reclassify", "category_code": "9999", "reason": "x" })).await;
    assert_eq!((bad.status, bad.error_field().as_deref()), (422, Some("category_code")));
}

async fn cases_are_exported_as_csv_or_json_lines_within_the_scope_and_masked(app: TestApp) {
    for _ in 0..3 {
        app.resident_report().await;
    }
    let dispatcher = app.login("dispatcher").await;
    let csv = app.get("/api/v1/export/cases").bearer(&dispatcher).send().await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("tracking_no,state,category_code,category_name"));
    assert_eq!(lines.len(), 4, "a header and three cases: {text}");
    assert!(text.contains(MASKED_PHONE) && !text.contains(PHONE) && !text.contains(NAME), "masked");
    let jsonl = app.get("/api/v1/export/cases?format=jsonl&state=received").bearer(&dispatcher).send().await;
    assert_eq!(jsonl.header("content-type"), Some("application/x-ndjson"));
    let rows: Vec<serde_json::Value> = jsonl.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["state"], "received");
    assert_eq!(rows[0]["tracking_no"].as_str().unwrap().len(), 14);
    let none = app.get("/api/v1/export/cases?state=closed").bearer(&dispatcher).send().await.text();
    assert_eq!(none.lines().count(), 1, "the header only");
    // Scope: another unit's handler exports nothing of these; leaders export nothing at all.
    let handler = app.login("handler-b").await;
    assert_eq!(app.get("/api/v1/export/cases").bearer(&handler).send().await.text().lines().count(), 1);
    let leader = app.login("leader").await;
    assert_eq!(app.get("/api/v1/export/cases").bearer(&leader).send().await.status, 403);
    let bad = app.get("/api/v1/export/cases?format=xml").bearer(&dispatcher).send().await;
    assert_eq!((bad.status, bad.error_field().as_deref()), (422, Some("format")));
    // In full only by a POST with a reason and a confirmation, each case's reveal audited; a
    // link (a GET) no longer reveals anything.
    let link = app.get(&format!("/api/v1/export/cases?reveal=true&reason={}", enc("回访核实"))).bearer(&dispatcher);
    assert_eq!(link.send().await.status, 422, "reveal is not a parameter of the GET");
    let full = |body: Value| app.post("/api/v1/export/cases?format=jsonl").bearer(&dispatcher).json(&body);
    let no_reason = full(json!({ "confirm": true })).send().await;
    assert_eq!((no_reason.status, no_reason.error_field().as_deref()), (422, Some("reason")));
    let unconfirmed = full(json!({ "reason": "回访核实" })).send().await;
    assert_eq!((unconfirmed.status, unconfirmed.error_field().as_deref()), (422, Some("confirm")));
    let by_handler = app.login("handler-b").await;
    let handler_full =
        app.post("/api/v1/export/cases").bearer(&by_handler).json(&json!({ "reason": "回访核实", "confirm": true }));
    assert_eq!(handler_full.send().await.status, 200, "handlers may reveal, within their scope");
    let before = app.store.recent_audit(50).await.unwrap().iter().filter(|a| a.action == "reveal").count();
    let full = full(json!({ "reason": "回访核实", "confirm": true })).send().await;
    assert_eq!(full.status, 200, "{}", full.text());
    let text = full.text();
    assert!(text.contains(PHONE) && text.contains(NAME), "{text}");
    let row: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(row.get("reporter").is_some() && row.get("reporter_masked").is_none(), "full data is not called masked");
    let audited = app.store.recent_audit(50).await.unwrap().iter().filter(|a| a.action == "reveal").count();
    assert_eq!(audited - before, 3, "one audited reveal per case");
    let far = app.get("/api/v1/export/cases?from=-262143-01-01").bearer(&dispatcher).send().await;
    assert_eq!((far.status, far.error_field().as_deref()), (422, Some("from")));
    // A queue asked for states it does not hold has nothing in it.
    let mismatch = app.get("/api/v1/cases?queue=to_register&state=closed").bearer(&dispatcher).send().await.json();
    assert!(mismatch["cases"].as_array().unwrap().is_empty());
}

/// A report sent again with its `Idempotency-Key` (a retry after a lost answer) is answered
/// as the first time and makes no second case; the key with another report, or a key too
/// short to be drawn at random, is refused naming the header; a staff member's key is theirs.
async fn a_report_sent_again_with_its_idempotency_key_makes_one_case(app: TestApp) {
    let report = json!({
        "description": "胡同里路灯坏了好几天，晚上很黑",
        "category_code": "0301",
        "address": "东华门街道多福巷社区",
        "reporter_name": NAME,
        "reporter_phone": PHONE,
    });
    let key = "c4a9d3e2-6f1b-4d8a-b0e7-2a5c9f3d1e86";
    let before = app.case_count().await;
    let send = |body: &Value, key: &str| app.post("/api/v1/cases").header("idempotency-key", key).json(body).send();
    let first = send(&report, key).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = send(&report, key).await;
    assert_eq!(again.status, 201, "{}", again.text());
    let (first, again) = (first.json(), again.json());
    for field in ["id", "tracking_no", "query_code", "status", "response_due", "resolve_due"] {
        assert_eq!(first[field], again[field], "{field} answered again as the first time");
    }
    assert_eq!(app.case_count().await, before + 1);

    let mut other_report = report.clone();
    other_report["description"] = json!("楼道里堆满杂物");
    let refused = send(&other_report, key).await;
    assert_eq!(
        (refused.status, refused.error_field().as_deref()),
        (422, Some("Idempotency-Key")),
        "{}",
        refused.text()
    );
    let short = send(&report, "abc").await;
    assert_eq!((short.status, short.error_field().as_deref()), (422, Some("Idempotency-Key")));
    assert_eq!(app.case_count().await, before + 1, "refusals create nothing");

    // An operator's key is theirs: the same key and words from them make their own case.
    let token = app.login("operator").await;
    let staff = app.post("/api/v1/cases").bearer(&token).header("idempotency-key", key).json(&report).send().await;
    assert_eq!(staff.status, 201, "{}", staff.text());
    assert_ne!(staff.json()["id"], first["id"]);
    assert_eq!(app.case_count().await, before + 2);
}

api_tests!(
    a_report_sent_again_with_its_idempotency_key_makes_one_case,
    cases_are_exported_as_csv_or_json_lines_within_the_scope_and_masked,
    a_dispatcher_corrects_category_and_priority_and_the_deadlines_follow,
    a_merged_request_follows_the_case_it_was_merged_into,
    query_codes_cannot_be_guessed_at_length,
    health_check_and_openapi_document_are_served,
    a_resident_report_is_received_placed_and_given_deadlines,
    invalid_reports_name_the_field_and_create_nothing,
    public_intake_is_rate_limited_per_client_address,
    operators_with_a_live_session_are_not_limited_by_their_address,
    staff_log_in_by_password_with_token_or_cookie_and_log_out,
    a_case_goes_round_the_closed_loop_through_the_api,
    illegal_moves_are_refused_and_change_nothing,
    scope_hides_cases_of_other_units_and_grids_and_leaders_see_no_personal_data,
    personal_data_is_masked_and_revealed_only_with_a_reason_and_an_audit_entry,
    case_list_pages_by_keyset_and_checks_its_parameters,
    tracking_needs_the_right_code_and_only_closed_cases_are_evaluated,
    only_operators_and_grid_workers_take_in_requests_for_others,
    text_with_nul_characters_is_refused_not_a_server_error,
    a_bearer_token_is_accepted_whatever_the_case_of_the_scheme,
    a_rejected_value_does_not_change_which_field_is_named,
    apps_find_open_reports_nearby_and_join_one,
    staff_get_categories_proposed_from_the_words_with_reasons_and_the_unit,
);

/// A project of the street office bought from a verified agency, for the documented paths.
async fn a_project(app: &TestApp, supervisor: &grassroots_domain::Actor) -> Uuid {
    use grassroots_domain::helpers::{
        Availability, DayPart, HelperKind, HelperState, Registration, RegistrationForm, Skill,
    };
    use grassroots_store::helpers::{HelperContact, Registrant};
    let registration = Registration::check(
        HelperKind::Organisation,
        RegistrationForm {
            name: "东城区阳光社会工作事务所",
            region_code: "110101001",
            skills: vec![Skill::Counselling],
            availability: Availability::of(&[chrono::Weekday::Mon], &[DayPart::Morning]),
            credit_code: Some("52110101MJ0000001R"),
            ..RegistrationForm::default()
        },
    )
    .unwrap();
    let contact = HelperContact { name: registration.name.clone(), ..HelperContact::default() };
    let now = chrono::Utc::now();
    let agency = app.store.register_helper(Registrant::Staff(supervisor), &registration, &contact, now).await.unwrap();
    app.store.set_helper_state(supervisor, agency.id, HelperState::Verified, None, now).await.unwrap();
    let today = grassroots_domain::calendar::beijing_day(now);
    let plan = grassroots_domain::projects::Plan::check(
        "一老一小社会工作服务项目",
        "100000",
        &today.to_string(),
        &(today + chrono::Duration::days(300)).to_string(),
        "服务人次|人次|100",
        "",
    )
    .unwrap();
    app.store.create_project(supervisor, "street-110101001", "110101001", agency.id, &plan, now).await.unwrap().id
}
