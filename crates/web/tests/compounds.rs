//! 物业管理 over the API and on the pages, on both backends: staff of the community add a compound
//! with its company; only a resident of a confirmed household in the community rates it, once a
//! year (a later rating replaces it); the property cases that name it are counted for anyone and
//! listed for staff who work on cases; bad input names its field.

mod support;

use serde_json::json;
use support::*;

api_tests!(a_compound_is_rated_by_its_residents_and_its_cases_counted);

async fn a_compound_is_rated_by_its_residents_and_its_cases_counted(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let post = |path: &str, token: &str, body: serde_json::Value| app.post(path).bearer(token).json(&body).send();
    let bad = post("/api/v1/compounds", &supervisor, json!({ "community_code": COMMUNITY, "name": "和平里小区", "company": "北京某物业", "company_code": "91110000802100433C" })).await;
    assert_eq!(bad.error_field().as_deref(), Some("company_code"));
    let added = post(
        "/api/v1/compounds",
        &supervisor,
        json!({ "community_code": COMMUNITY, "name": "和平里小区", "company": "北京某物业管理有限公司" }),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text());
    let id = added.json()["id"].as_str().unwrap().to_string();
    let twice = post(
        "/api/v1/compounds",
        &supervisor,
        json!({ "community_code": COMMUNITY, "name": "和平里小区", "company": "另一物业" }),
    )
    .await;
    assert_eq!(twice.error_field().as_deref(), Some("name"));

    let ratings = format!("/api/v1/compounds/{id}/ratings");
    let stranger = app.resident_token("13800138999").await;
    let refused = post(&ratings, &stranger, json!({ "score": "5" })).await;
    assert_eq!(refused.error_field().as_deref(), Some("compound"), "not a resident of the community");
    let resident = linked_resident(&app, "13800138000", "1号楼101").await;
    assert_eq!(post(&ratings, &resident, json!({ "score": "6" })).await.error_field().as_deref(), Some("rating"));
    post(&ratings, &resident, json!({ "score": "2", "comment": "电梯常坏" })).await;
    let again = post(&ratings, &resident, json!({ "score": "4" })).await.json();
    assert_eq!(
        (again["ratings"].as_i64(), again["mean_score"].as_f64()),
        (Some(1), Some(4.0)),
        "a later rating replaces it"
    );
    let neighbour = linked_resident(&app, "13800138001", "2号楼202").await;
    let both = post(&ratings, &neighbour, json!({ "score": "3" })).await.json();
    assert_eq!(both["mean_score"].as_f64(), Some(3.5));

    // A property case naming the compound is counted; another is not.
    for (description, address) in
        [("和平里小区3号楼电梯停运两天", "东华门街道和平里小区"), ("南池子小区楼道灯不亮", "东华门街道南池子小区")]
    {
        let report = app
            .report(&json!({ "description": description, "category_code": "0502", "address": address, "lat": IN_GRID.1, "lng": IN_GRID.0 }))
            .await;
        assert!(report["tracking_no"].is_string(), "{report}");
    }
    let shown = app.get(&format!("/api/v1/compounds/{id}")).send().await.json();
    assert_eq!((shown["cases"].as_i64(), shown["open_cases"].as_i64()), (Some(1), Some(1)), "{shown}");
    let cases = app.get(&format!("/api/v1/compounds/{id}/cases")).bearer(&supervisor).send().await.json();
    assert_eq!(cases["cases"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.get(&format!("/api/v1/compounds/{id}/cases")).bearer(&app.login("leader").await).send().await.status,
        403
    );

    let page = app
        .get(&format!("/compounds/{id}"))
        .header("cookie", &format!("grassroots_resident={resident}"))
        .send()
        .await
        .text();
    assert!(page.contains("id=\"rate-form\"") && page.contains("3.5"), "{page}");
    let listed = app.get("/compounds").send().await.text();
    assert!(listed.contains("和平里小区") && listed.contains("北京某物业管理有限公司"));
}
