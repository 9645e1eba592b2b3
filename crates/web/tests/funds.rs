//! 慈善资源 over the API and on the pages, on both backends: a supervisor opens a community's
//! fund, staff of the place record donations and payments, a payment beyond the balance is
//! refused on its field and writes nothing, bad input names its field; anyone reads the ledger,
//! without the donors who asked not to be named, whom the staff keeping it do see.

mod support;

use serde_json::json;
use support::*;

api_tests!(
    a_fund_s_ledger_is_kept_by_staff_and_read_by_anyone,
    on_the_pages_staff_record_and_the_public_reads_a_ledger
);

async fn a_fund_s_ledger_is_kept_by_staff_and_read_by_anyone(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let post = |path: &str, token: &str, body: serde_json::Value| app.post(path).bearer(token).json(&body).send();
    let grid = post("/api/v1/funds", &supervisor, json!({ "region": GRID, "name": "基金", "purpose": "帮扶" })).await;
    assert_eq!(
        (grid.status, grid.error_field().as_deref()),
        (422, Some("region")),
        "a fund is a street's or a community's"
    );
    let worker = app.login("gridworker").await;
    let not_held =
        post("/api/v1/funds", &worker, json!({ "region": COMMUNITY, "name": "基金", "purpose": "帮扶" })).await;
    assert_eq!(not_held.error_field().as_deref(), Some("region"), "a grid worker holds no whole community");
    assert_eq!(
        post(
            "/api/v1/funds",
            &app.login("leader").await,
            json!({ "region": COMMUNITY, "name": "基金", "purpose": "帮扶" })
        )
        .await
        .status,
        403
    );
    let created = post(
        "/api/v1/funds",
        &supervisor,
        json!({ "region": COMMUNITY, "name": "社区关爱基金", "purpose": "帮扶困难家庭" }),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    let entries = format!("/api/v1/funds/{id}/entries");

    for (body, field) in [
        (json!({ "kind": "gift", "amount": "10", "description": "捐款" }), "kind"),
        (json!({ "kind": "donation", "amount": "10.001", "description": "捐款" }), "amount"),
        (json!({ "kind": "donation", "amount": "10", "description": "" }), "description"),
        (json!({ "kind": "spending", "amount": "10", "description": "资助13912345678" }), "description"),
        (json!({ "kind": "spending", "amount": "10", "description": "慰问", "donor": "某人" }), "donor"),
    ] {
        let refused = post(&entries, &supervisor, body).await;
        assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some(field)), "{}", refused.text());
    }
    let given = post(&entries, &worker, json!({ "kind": "donation", "amount": "1000", "description": "重阳节捐款", "donor": "东华门商会", "donor_public": true })).await;
    assert_eq!(given.status, 201, "a grid worker of the community records: {}", given.text());
    post(
        &entries,
        &supervisor,
        json!({ "kind": "donation", "amount": "200", "description": "捐款", "donor": "王先生" }),
    )
    .await;
    let spent = post(
        &entries,
        &supervisor,
        json!({ "kind": "spending", "amount": "450.5", "description": "重阳节慰问独居老人" }),
    )
    .await;
    assert_eq!(spent.json()["balance_after"], 74_950);
    let too_much =
        post(&entries, &supervisor, json!({ "kind": "spending", "amount": "749.51", "description": "慰问" })).await;
    assert_eq!((too_much.status, too_much.error_field().as_deref()), (422, Some("amount")));
    assert!(too_much.json()["error"]["zh"].as_str().unwrap().contains("749.50"), "{}", too_much.text());
    let other = app.login("gridworker-other").await;
    assert_eq!(
        post(&entries, &other, json!({ "kind": "donation", "amount": "1", "description": "捐款" })).await.status,
        404
    );

    let ledger = app.get(&format!("/api/v1/funds/{id}")).send().await.json();
    assert_eq!(ledger["fund"]["totals"]["money_in"], 120_000);
    let donors: Vec<&serde_json::Value> = ledger["entries"].as_array().unwrap().iter().map(|e| &e["donor"]).collect();
    assert_eq!(donors, [&json!(null), &json!(null), &json!("东华门商会")], "王先生 asked not to be named");
    assert!(!app.get(&format!("/api/v1/funds/{id}")).send().await.text().contains("王先生"));
    let listed = app.get("/api/v1/funds").send().await.json();
    assert_eq!(listed["funds"][0]["name"], "社区关爱基金");
}

async fn on_the_pages_staff_record_and_the_public_reads_a_ledger(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let form = |path: &str, cookie: &str, body: String| {
        app.post(path)
            .header("origin", &origin)
            .header("cookie", cookie)
            .body_with_type("application/x-www-form-urlencoded", body)
    };
    let supervisor = session(&app.login("supervisor").await);
    let page = app.get("/funds").header("cookie", &supervisor).send().await.text();
    assert!(page.contains(r#"id="open-fund""#) && page.contains(&format!(r#"value="{COMMUNITY}""#)), "{page}");
    assert!(!page.contains(&format!(r#"value="{GRID}""#)), "grids are not offered");
    let opened =
        form("/funds", &supervisor, format!("region={COMMUNITY}&name={}&purpose={}", enc("社区关爱基金"), enc("帮扶")))
            .send()
            .await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    let href = opened.header("location").unwrap().to_string();
    let record = |body: String| form(&format!("{href}/entries"), &supervisor, body);
    let given =
        record(format!("kind=donation&amount=500&description={}&donor={}", enc("捐款"), enc("王先生"))).send().await;
    assert_eq!(given.status, 303, "{}", given.text());
    let refused = record(format!("kind=spending&amount=600&description={}&donor=", enc("慰问"))).send().await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains(r#"id="fund-error""#) && refused.text().contains(r#"value="600""#));
    let kept = app.get(&href).header("cookie", &supervisor).send().await.text();
    assert!(kept.contains("王先生") && kept.contains(r#"id="balance">500.00<"#), "{kept}");
    let public = app.get(&href).send().await.text();
    assert!(
        !public.contains("王先生") && public.contains("爱心人士") && !public.contains(r#"id="record-entry""#),
        "{public}"
    );
    assert!(app.get("/funds").send().await.text().contains("社区关爱基金"));
}
