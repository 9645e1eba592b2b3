//! 防治微腐败 on both backends: the small powers of a district and a community read in public;
//! a finance disclosure published, corrected as a new version with the old one kept, and the
//! communities late with theirs; a resident's report of misconduct sealed and routed to the
//! street's discipline unit — read and handled there and nowhere else, not by the community's
//! staff, not by the district's — and followed by its reporter to the reply. A discipline
//! unit takes no cases: neither a dispatcher nor the responsibility matrix can send it one.

mod support;

use grassroots_domain::reference::Unit;
use grassroots_domain::{Role, Scope};
use grassroots_store::prelude::*;
use grassroots_store::NewUser;
use serde_json::{json, Value};
use support::*;

api_tests!(
    powers_and_disclosures_are_public_with_their_history,
    a_report_of_misconduct_goes_one_level_up_and_is_followed,
    a_discipline_unit_takes_no_cases
);

async fn powers_and_disclosures_are_public_with_their_history(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let worker = app.login("gridworker").await;
    let power = |region: &str, procedure: &str| {
        json!({ "region_code": region, "area": "welfare", "title": "低保申请初审", "holder": "two_committees",
                "procedure": procedure, "basis": "《社会救助暂行办法》" })
    };
    let post = |token: &str, path: &str, body: Value| app.post(path).bearer(token).json(&body).send();
    let steps = "居民提出申请\n入户调查\n两委会议评议\n公示七天";
    assert_eq!(
        post(&supervisor, "/api/v1/powers", power(DISTRICT, "只有一步")).await.error_field().as_deref(),
        Some("procedure")
    );
    assert_eq!(
        post(&worker, "/api/v1/powers", power(DISTRICT, steps)).await.error_field().as_deref(),
        Some("region_code")
    );
    assert_eq!(post(&supervisor, "/api/v1/powers", power(DISTRICT, steps)).await.status, 201);
    let mut own = power(COMMUNITY, "申请\n审核");
    own["title"] = json!("社区用章");
    own["area"] = json!("certificates");
    assert_eq!(post(&supervisor, "/api/v1/powers", own).await.status, 201);
    let listed = app.get(&format!("/api/v1/powers?community={COMMUNITY}")).send().await.json();
    let titles: Vec<&str> = listed["powers"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 2, "the district's and the community's own: {listed}");
    assert_eq!(
        listed["powers"].as_array().unwrap().iter().find(|p| p["title"] == "低保申请初审").unwrap()["procedure"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );

    // A finance disclosure, then its correction; both stay in the history.
    let finance = |lines: &str| {
        json!({ "community_code": COMMUNITY, "kind": "finance", "of": "2026-10-15", "title": "10月财务收支",
                "body": "本月收支如下", "lines": lines })
    };
    assert_eq!(
        post(&worker, "/api/v1/disclosures", finance("花掉 一些 10")).await.error_field().as_deref(),
        Some("lines")
    );
    let mut affairs = finance("");
    affairs["kind"] = json!("affairs");
    affairs["of"] = json!("2099-01-01");
    assert_eq!(post(&worker, "/api/v1/disclosures", affairs).await.error_field().as_deref(), Some("of"));
    let first = post(&worker, "/api/v1/disclosures", finance("收入 办公经费 12000\n支出 办公用品 1280.50")).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let first = first.json();
    assert_eq!((first["period_label"].as_str(), first["version"].as_i64()), (Some("2026年10月"), Some(1)));
    let second =
        post(&worker, "/api/v1/disclosures", finance("收入 办公经费 12000\n支出 办公用品 1208.50")).await.json();
    assert_eq!(second["version"], 2);
    let public = app.get(&format!("/api/v1/disclosures?community={COMMUNITY}")).send().await.json();
    assert_eq!(public["disclosures"].as_array().map(Vec::len), Some(1), "the latest version is shown");
    assert_eq!(public["disclosures"][0]["lines"][1]["fen"], 120_850);
    let history =
        app.get(&format!("/api/v1/disclosures/{}/history", first["id"].as_str().unwrap())).send().await.json();
    let versions: Vec<i64> =
        history["disclosures"].as_array().unwrap().iter().map(|d| d["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [2, 1]);
    assert!(history["disclosures"][1]["superseded_at"].is_string());
    let overdue = app.get("/api/v1/disclosures/overdue").bearer(&supervisor).send().await.json();
    assert!(
        overdue["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["communities"].as_array().is_some_and(|c| !c.is_empty())),
        "{overdue}"
    );

    let page = app.get(&format!("/public/oversight?community={COMMUNITY}")).send().await;
    assert_eq!(page.status, 200);
    let page = page.text();
    assert!(page.contains("低保申请初审") && page.contains(">1208.50<") && page.contains("两委会议评议"), "{page}");
}

/// The street's 纪工委 and the district's 纪委监委.
async fn discipline_units(app: &TestApp) {
    let unit = |id: &str, name: &str, region: &str| Unit {
        id: id.into(),
        name_zh: name.into(),
        name_en: id.into(),
        kind: grassroots_domain::reference::DISCIPLINE.into(),
        region_code: region.into(),
    };
    app.store
        .upsert_units(&[
            unit("discipline-street", "东华门街道纪工委", STREET),
            unit("discipline-district", "东城区纪委监委", DISTRICT),
        ])
        .await
        .unwrap();
    app.platform.refresh_reference().await.unwrap();
}

async fn a_discipline_unit_takes_no_cases(app: TestApp) {
    discipline_units(&app).await;
    let dispatcher = app.login("dispatcher").await;
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    app.act_ok(&dispatcher, id, &json!({ "action": "register" })).await;
    let lead = app.act(&dispatcher, id, &json!({ "action": "dispatch", "unit": "discipline-street" })).await;
    assert_eq!((lead.status, lead.error_field().as_deref()), (422, Some("unit")), "{}", lead.text());
    assert!(lead.text().contains("纪检监察机构"), "{}", lead.text());
    let co = app
        .act(&dispatcher, id, &json!({ "action": "dispatch", "unit": UNIT_A, "co_units": ["discipline-district"] }))
        .await;
    assert_eq!((co.status, co.error_field().as_deref()), (422, Some("co_units")), "{}", co.text());
    assert_eq!(app.stored_state(id).await, ("registered".to_string(), 2), "nothing was written");
    // The work page offers no discipline unit to dispatch to.
    let page = app.get(&format!("/cases/{id}")).header("cookie", &session(&dispatcher)).send().await.text();
    assert!(page.contains(UNIT_A) && !page.contains("discipline-street"), "{page}");

    // Nor can the responsibility matrix name one.
    let line = app
        .save_matrix_line(&format!(
            "category_code=0301&region_code={COMMUNITY}&unit_id=discipline-street&auto_dispatch=yes"
        ))
        .await;
    assert_eq!(line.status, 422, "{}", line.text());
    assert!(line.text().contains(r#"id="f-unit_id-error""#), "{}", line.text());
    let reference = app.store.reference().await.unwrap();
    assert!(reference.responsibilities.iter().all(|l| l.unit_id != "discipline-street"));
}

async fn a_report_of_misconduct_goes_one_level_up_and_is_followed(app: TestApp) {
    discipline_units(&app).await;
    for (username, scope) in [("jigongwei", "unit:discipline-street"), ("jiwei", "unit:discipline-district")] {
        app.store
            .upsert_user(&NewUser {
                username: username.into(),
                display_name: username.into(),
                password_hash: password_hash().to_string(),
                role: Role::Handler,
                scope: Scope::parse(scope).unwrap(),
            })
            .await
            .unwrap();
    }
    let report = |place: &str, what: &str| json!({ "place_code": place, "kind": "bribery", "reported": "社区某工作人员", "what": what, "phone": "13912345678" });
    let bad = app.post("/api/v1/misconduct").json(&report(DISTRICT, "办理证明时索要好处费")).send().await;
    assert_eq!(bad.error_field().as_deref(), Some("place_code"));
    let sent = app.post("/api/v1/misconduct").json(&report(COMMUNITY, "办理证明时索要好处费")).send().await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let receipt = sent.json();
    let (no, code) =
        (receipt["tracking_no"].as_str().unwrap().to_string(), receipt["query_code"].as_str().unwrap().to_string());
    assert!(!sent.text().contains("13912345678"));

    // Only the street's discipline unit has it; the community's staff and the district's unit do not.
    let street = app.login("jigongwei").await;
    let queue = app.get("/api/v1/misconduct").bearer(&street).send().await.json();
    let id = queue["reports"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(queue["reports"].as_array().map(Vec::len), Some(1));
    let district = app.login("jiwei").await;
    assert_eq!(app.get("/api/v1/misconduct").bearer(&district).send().await.json()["reports"], json!([]));
    assert_eq!(app.get(&format!("/api/v1/misconduct/{id}")).bearer(&district).send().await.status, 404);
    for other in ["gridworker", "supervisor", "admin", "handler-a"] {
        let token = app.login(other).await;
        let status = app.get(&format!("/api/v1/misconduct/{id}")).bearer(&token).send().await.status;
        assert!(status == 403 || status == 404, "{other} reads it: {status}");
    }
    let opened = app.get(&format!("/api/v1/misconduct/{id}")).bearer(&street).send().await.json();
    assert_eq!(opened["account"]["what"], "办理证明时索要好处费");
    assert_eq!(opened["account"]["reporter_phone"], "13912345678");

    // Handled: accepted, concluded with a finding and a reply the reporter reads.
    let moves = format!("/api/v1/misconduct/{id}/moves");
    let act = |body: Value| app.post(&moves).bearer(&street).json(&body).send();
    let early = act(json!({ "move": "conclude", "note": "已核实", "finding": "substantiated" })).await;
    assert_eq!(early.error_field().as_deref(), Some("move"), "not concluded before it is accepted");
    assert_eq!(act(json!({ "move": "accept", "note": "" })).await.error_field().as_deref(), Some("note"));
    let accepted = act(json!({ "move": "accept", "note": "线索具体，予以受理" })).await.json();
    assert_eq!(accepted["state"], "investigating");
    assert!(accepted["conclude_due"].is_string());
    assert_eq!(
        act(json!({ "move": "conclude", "note": "经核查", "finding": "maybe" })).await.error_field().as_deref(),
        Some("finding")
    );
    let concluded =
        act(json!({ "move": "conclude", "note": "经核查部分属实，已对当事人批评教育并责令退还", "finding": "partly" }))
            .await
            .json();
    assert_eq!((concluded["state"].as_str(), concluded["finding"].as_str()), (Some("concluded"), Some("partly")));

    let track = |code: &str| {
        app.post("/api/v1/misconduct/track").json(&json!({ "tracking_no": no, "query_code": code })).send()
    };
    assert_eq!(track("00000x").await.error_field().as_deref(), Some("query_code"));
    let other_code = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(track(other_code).await.status, 404, "a wrong code finds nothing");
    let followed = app
        .post("/api/v1/misconduct/track")
        .json(&json!({ "tracking_no": no, "query_code": code }))
        .send()
        .await
        .json();
    assert_eq!(followed["state"], "concluded");
    assert_eq!(followed["reply"], "经核查部分属实，已对当事人批评教育并责令退还");
    assert!(followed.get("account").is_none() && !followed.to_string().contains("13912345678"));

    // A street office's staff are reported to the district.
    let upward = app.post("/api/v1/misconduct").json(&report(STREET, "街道某科室推诿扯皮")).send().await;
    assert_eq!(upward.status, 201);
    assert_eq!(
        app.get("/api/v1/misconduct").bearer(&district).send().await.json()["reports"].as_array().map(Vec::len),
        Some(1)
    );
    let page = app.get(&format!("/oversight/reports/{id}")).header("cookie", &session(&street)).send().await.text();
    assert!(page.contains("办理证明时索要好处费") && page.contains("部分属实"), "{page}");
}
