//! 矛盾纠纷调处 over the API and on the pages, on both backends: a grid worker registers a
//! dispute found on a screening, graded by the rules with their reasons; a case converted in one
//! move, its caller the first party and each linked to the other; mediation to an agreement and
//! its follow-up; escalation to the street, where the grid worker may read but no longer act;
//! the parties revealed with a reason; the figures for a leader, who sees no dispute itself; bad
//! input names its field.

mod support;

use serde_json::json;
use support::*;

api_tests!(a_dispute_is_registered_graded_mediated_and_escalated, a_case_is_converted_and_the_pages_serve_each_level);

async fn a_dispute_is_registered_graded_mediated_and_escalated(app: TestApp) {
    let worker = app.login("gridworker").await;
    let post = |path: &str, token: &str, body: serde_json::Value| app.post(path).bearer(token).json(&body).send();
    let dispute = |summary: &str| {
        json!({
            "origin": "screening", "community_code": COMMUNITY, "grid_code": GRID, "kind": "neighbours",
            "summary": summary, "place": "3号楼",
            "parties": [
                { "name": "王建国", "phone": "13912345678", "side": "applicant" },
                { "name": "李秀兰", "side": "respondent", "vulnerable": true }
            ],
            "factors": { "earlier_reports": 1 }
        })
    };
    let bad = post("/api/v1/disputes", &worker, dispute("电话13800138000")).await;
    assert_eq!(bad.error_field().as_deref(), Some("summary"));
    let mut no_parties = dispute("楼上漏水殃及楼下");
    no_parties["parties"] = json!([]);
    assert_eq!(post("/api/v1/disputes", &worker, no_parties).await.error_field().as_deref(), Some("parties"));
    let mut elsewhere = dispute("楼上漏水殃及楼下");
    elsewhere["grid_code"] = json!(OTHER_GRID);
    assert_eq!(post("/api/v1/disputes", &worker, elsewhere).await.error_field().as_deref(), Some("grid_code"));
    assert_eq!(post("/api/v1/disputes", &app.login("leader").await, dispute("楼上漏水")).await.status, 403);

    let created = post("/api/v1/disputes", &worker, dispute("楼上漏水殃及楼下，多次争吵")).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let d = created.json();
    assert_eq!(d["grade"], "orange", "reported before (yellow), a vulnerable party raises it: {d}");
    assert_eq!(d["parties"][0]["name_masked"], "王**");
    assert!(!created.text().contains("13912345678"), "phones are sealed");
    assert_eq!(d["grades"][0]["reasons"].as_array().map(Vec::len), Some(2));
    let id = d["id"].as_str().unwrap().to_string();
    let moves = format!("/api/v1/disputes/{id}/moves");

    // The roster: the community's; a mediator of another community's roster is refused.
    let mediator = post(
        "/api/v1/mediators",
        &worker,
        json!({ "region_code": COMMUNITY, "kind": "peoples_mediator", "name": "赵调解" }),
    )
    .await;
    assert_eq!(mediator.status, 201, "{}", mediator.text());
    let mediator = mediator.json()["id"].as_str().unwrap().to_string();
    let bad_kind =
        post("/api/v1/mediators", &worker, json!({ "region_code": COMMUNITY, "kind": "judge", "name": "某" })).await;
    assert_eq!(bad_kind.error_field().as_deref(), Some("kind"));
    let agree_early = post(&moves, &worker, json!({ "move": "agree", "on": "2026-01-01", "terms": "赔偿" })).await;
    assert_eq!(agree_early.error_field().as_deref(), Some("move"), "no agreement before mediation");
    assert_eq!(post(&moves, &worker, json!({ "move": "assign" })).await.error_field().as_deref(), Some("mediators"));
    let assigned = post(&moves, &worker, json!({ "move": "assign", "mediators": [mediator] })).await.json();
    assert_eq!(assigned["state"], "mediating");
    let today = chrono::Utc::now().with_timezone(&grassroots_domain::calendar::beijing()).date_naive().to_string();
    let session =
        post(&moves, &worker, json!({ "move": "session", "on": today, "present": [0, 5], "note": "双方到场" })).await;
    assert_eq!(session.error_field().as_deref(), Some("present"), "only named parties attend");
    let session = post(
        &moves,
        &worker,
        json!({ "move": "session", "on": today, "present": [0, 1], "note": "双方到场，先查漏水原因" }),
    )
    .await;
    assert_eq!(session.status, 200, "{}", session.text());

    // Regraded on a threat: red, with the note.
    let regraded = post(
        &format!("/api/v1/disputes/{id}/grade"),
        &worker,
        json!({ "factors": { "threat_of_violence": true, "earlier_reports": 1 }, "vulnerable_party": true, "note": "被申请人扬言报复" }),
    )
    .await
    .json();
    assert_eq!(regraded["grade"], "red");
    let high = app.get("/api/v1/disputes?show=high").bearer(&app.login("supervisor").await).send().await.json();
    assert_eq!(high["disputes"].as_array().map(Vec::len), Some(1), "in the supervisor's queue: {high}");

    // Escalated: the street acts; the grid worker reads, with no move left.
    let up = post(&moves, &worker, json!({ "move": "escalate", "note": "社区调解未果" })).await.json();
    assert_eq!((up["level"].as_str(), up["state"].as_str()), (Some("street"), Some("registered")));
    let seen = app.get(&format!("/api/v1/disputes/{id}")).bearer(&worker).send().await.json();
    assert_eq!(seen["moves"].as_array().map(Vec::len), Some(0), "{seen}");
    let refused = post(&moves, &worker, json!({ "move": "withdraw", "note": "当事人撤回" })).await;
    assert_eq!(refused.status, 403);
    let other = app.login("gridworker-other").await;
    assert_eq!(app.get(&format!("/api/v1/disputes/{id}")).bearer(&other).send().await.status, 404);
    let supervisor = app.login("supervisor").await;
    let referred =
        post(&moves, &supervisor, json!({ "move": "refer", "referred_to": "court", "note": "当事人同意诉调对接" }))
            .await
            .json();
    assert_eq!((referred["state"].as_str(), referred["referred_to"].as_str()), (Some("referred"), Some("court")));

    // The parties in full for a reason; the leader reads the figures, not the dispute.
    let no_reason = post(&format!("/api/v1/disputes/{id}/parties"), &worker, json!({})).await;
    assert_eq!(no_reason.error_field().as_deref(), Some("reason"));
    let parties =
        post(&format!("/api/v1/disputes/{id}/parties"), &worker, json!({ "reason": "联系当事人" })).await.json();
    assert_eq!(parties["parties"][0]["phone"], "13912345678");
    let leader = app.login("leader").await;
    assert_eq!(app.get(&format!("/api/v1/disputes/{id}")).bearer(&leader).send().await.status, 403);
    let figures = app.get("/api/v1/disputes/figures").bearer(&leader).send().await.json();
    assert_eq!(
        (figures["tally"]["referred"].as_i64(), figures["success_rate"].as_f64()),
        (Some(1), Some(0.0)),
        "{figures}"
    );
    let bad_period = app.get("/api/v1/disputes/figures?from=2026-13-01").bearer(&leader).send().await;
    assert_eq!(bad_period.error_field().as_deref(), Some("from"));
}

async fn a_case_is_converted_and_the_pages_serve_each_level(app: TestApp) {
    let worker = app.login("gridworker").await;
    let case = app
        .report(&json!({
            "description": "邻居长期在楼道堆放杂物，协商无果", "category_code": "0301",
            "lat": IN_GRID.1, "lng": IN_GRID.0, "reporter_name": NAME, "reporter_phone": PHONE,
        }))
        .await;
    let case_id = case["id"].as_str().unwrap().to_string();
    let convert = |kind: &str| {
        app.post(&format!("/api/v1/cases/{case_id}/dispute"))
            .bearer(&worker)
            .json(&json!({ "kind": kind, "parties": [{ "name": "对门住户", "side": "respondent" }] }))
            .send()
    };
    assert_eq!(convert("quarrel").await.error_field().as_deref(), Some("kind"));
    let converted = convert("neighbours").await;
    assert_eq!(converted.status, 201, "{}", converted.text());
    let d = converted.json();
    assert_eq!((d["origin"].as_str(), d["case_id"].as_str()), (Some("case"), Some(case_id.as_str())));
    assert_eq!(d["parties"].as_array().map(Vec::len), Some(2), "the caller, then the respondent named");
    assert_eq!(d["parties"][0]["side"], "applicant");
    assert_eq!(convert("neighbours").await.error_field().as_deref(), Some("case"), "converted once");
    let id = d["id"].as_str().unwrap();

    // Pages: the case links to its dispute; the dispute's page shows its grade, reasons and forms.
    let cookie = session(&worker);
    let case_page = app.get(&format!("/cases/{case_id}")).header("cookie", &cookie).send().await.text();
    assert!(case_page.contains(&format!("/disputes/{id}")), "the case links to the dispute");
    let page = app.get(&format!("/disputes/{id}")).header("cookie", &cookie).send().await.text();
    assert!(
        page.contains("id=\"dispute-grade\"") && page.contains("id=\"assign-form\"") && page.contains("/cases/"),
        "{page}"
    );
    assert!(!page.contains(NAME), "the caller's name is masked");
    let revealed = app
        .post(&format!("/disputes/{id}/moves"))
        .header("cookie", &cookie)
        .body_with_type("application/x-www-form-urlencoded", "move=reveal&reason=%E5%9B%9E%E8%AE%BF")
        .send()
        .await
        .text();
    assert!(revealed.contains(NAME), "revealed for a reason");

    // A registration refused on the page keeps what was typed and marks the field.
    let form = format!(
        "origin=walk_in&community_code={COMMUNITY}&kind=consumer&summary=%E7%94%B5%E8%AF%9D13800138000&place=%E5%95%86%E9%93%BA&party_name_0=%E9%99%88%E7%AB%8B%E6%96%B0&party_side_0=applicant"
    );
    let refused = app
        .post("/disputes")
        .header("cookie", &cookie)
        .body_with_type("application/x-www-form-urlencoded", form)
        .send()
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"dispute-error\"") && refused.text().contains("陈立新"));
    let listed = app.get("/disputes?show=all").header("cookie", &cookie).send().await.text();
    assert!(listed.contains(&format!("/disputes/{id}")));
    let leader = session(&app.login("leader").await);
    assert_eq!(app.get("/disputes").header("cookie", &leader).send().await.status, 403);
    let figures = app.get("/disputes/figures").header("cookie", &leader).send().await.text();
    assert!(figures.contains("id=\"by-kind\"") && figures.contains("邻里纠纷"), "{figures}");
    let dashboard = app.get("/dashboard").header("cookie", &leader).send().await.text();
    assert!(dashboard.contains("id=\"dashboard-disputes\""));
    let roster = app.get("/mediators").header("cookie", &cookie).send().await.text();
    assert!(roster.contains("id=\"add-mediator\""));
}
