//! 智能分类 end to end: reports naming no category sorted by the words where the
//! administrator allows it, the proposals on the forms, Open311 without a service code, every
//! automated decision on the case page with what became of it, retraining from the store and
//! the override rates.

mod support;

use grassroots_store::prelude::*;
use serde_json::json;
use support::*;

api_tests!(
    a_report_naming_no_category_waits_for_a_person_unless_the_administrator_lets_the_platform_sort_it,
    the_forms_show_the_categories_the_words_suggest,
    open311_requests_without_a_service_code_are_sorted_by_their_words,
    retraining_learns_from_the_cases_people_labelled_and_people_see_how_often_they_overrode_it,
);

async fn admin_post(app: &TestApp, cookie: &str, path: &str, form: &str) -> Response {
    app.post(path)
        .header("cookie", cookie)
        .header("origin", &format!("http://{}", app.addr))
        .body_with_type("application/x-www-form-urlencoded", form.to_string())
        .send()
        .await
}

const LAMP: &str = "胡同口的路灯坏了好几天了，晚上黑乎乎的";

async fn a_report_naming_no_category_waits_for_a_person_unless_the_administrator_lets_the_platform_sort_it(
    app: TestApp,
) {
    let (lng, lat) = IN_GRID;
    let unsorted = app.report(&json!({ "description": LAMP, "lat": lat, "lng": lng })).await;
    let dispatcher = app.login("dispatcher").await;
    let id = unsorted["id"].as_str().unwrap();
    let case = app.get(&format!("/api/v1/cases/{id}")).bearer(&dispatcher).send().await.json();
    assert_eq!(case["case"]["category_code"], "18", "no threshold set: a person sorts it");
    let page = app.get(&format!("/cases/{id}")).header("cookie", &session(&dispatcher)).send().await.text();
    assert!(page.contains("建议分类") && page.contains("路灯") && page.contains("待人确认"), "{page}");

    // The administrator lets the platform sort street lights from 80%, and the matrix
    // dispatches them automatically.
    let admin = session(&app.login("admin").await);
    let too_low = admin_post(
        &app,
        &admin,
        "/admin/categories",
        "code=0301&response_hours=24&resolve_days=3&sensitive=no&photo_on_handling=no&auto_percent=30",
    )
    .await;
    assert_eq!(too_low.status, 422, "{}", too_low.text());
    assert!(too_low.text().contains(r#"id="f-auto_percent-error""#), "the refusal names the field");
    let set = "code=0301&response_hours=24&resolve_days=3&sensitive=no&photo_on_handling=no&auto_percent=80";
    assert_eq!(admin_post(&app, &admin, "/admin/categories", set).await.status, 303);
    let line = format!("category_code=0301&region_code={DISTRICT}&unit_id={UNIT_A}&auto_dispatch=yes");
    assert_eq!(admin_post(&app, &admin, "/admin/matrix", &line).await.status, 303);

    let sorted = app.report(&json!({ "description": LAMP, "lat": lat, "lng": lng })).await;
    assert_eq!(sorted["status"], "dispatched", "{sorted}");
    let id2 = sorted["id"].as_str().unwrap();
    let case = app.get(&format!("/api/v1/cases/{id2}")).bearer(&dispatcher).send().await.json();
    assert_eq!(
        (case["case"]["category_code"].as_str(), case["case"]["lead_unit"].as_str()),
        (Some("0301"), Some(UNIT_A))
    );
    let page = app.get(&format!("/cases/{id2}")).header("cookie", &session(&dispatcher)).send().await.text();
    assert!(page.contains("自动分类") && page.contains("自动派遣"), "{page}");

    // Words the model is unsure of still go to a person, threshold or not.
    let vague = app.report(&json!({ "description": "有个事想反映一下", "lat": lat, "lng": lng })).await;
    assert_eq!(vague["status"], "received");

    // The dispatcher sorts the first case as the machine proposed: kept.
    app.act_ok(&dispatcher, id, &json!({ "action": "reclassify", "category_code": "0301", "reason": "路灯" })).await;
    let page = app.get(&format!("/cases/{id}")).header("cookie", &session(&dispatcher)).send().await.text();
    assert!(page.contains("被采纳"), "{page}");
}

async fn the_forms_show_the_categories_the_words_suggest(app: TestApp) {
    let ask = |description: &str| {
        app.post("/report/categories")
            .header("origin", &format!("http://{}", app.addr))
            .body_with_type("application/x-www-form-urlencoded", format!("description={}", enc(description)))
            .send()
    };
    let fragment = ask("电梯又困人了，物业电话打不通").await;
    assert_eq!(fragment.status, 200);
    let html = fragment.text();
    assert!(html.contains(r#"data-choose-category="0501""#) && html.contains("电梯故障"), "{html}");
    assert!(html.contains("依据") && html.contains("电梯"), "the words that decided: {html}");
    assert!(!ask("电梯").await.text().contains("data-choose-category"), "too short to say");
    let cross_site = app
        .post("/report/categories")
        .header("origin", "http://evil.test")
        .body_with_type("application/x-www-form-urlencoded", "description=%E7%94%B5%E6%A2%AF%E5%9D%8F%E4%BA%86")
        .send()
        .await;
    assert_eq!(cross_site.status, 403);

    // The resident's form asks for the words first and offers the platform's sorting.
    let (lng, lat) = IN_GRID;
    let form = app.get(&format!("/report/details?lng={lng}&lat={lat}")).send().await.text();
    let (words, list) = (form.find(r#"id="description""#).unwrap(), form.find(r#"id="category_code""#).unwrap());
    assert!(words < list, "description before category");
    assert!(form.contains(r#"data-proposals="/report/categories""#) && form.contains("由平台根据描述分类"));
}

async fn open311_requests_without_a_service_code_are_sorted_by_their_words(app: TestApp) {
    let key = "test-classifier-key-0123456789abcdef";
    app.store
        .create_api_key("测试客户端", &grassroots_store::auth::digest(key), &Default::default(), chrono::Utc::now())
        .await
        .unwrap();
    let post = |form: String| {
        app.post("/open311/v2/requests.json")
            .body_with_type("application/x-www-form-urlencoded", format!("api_key={key}&{form}"))
            .send()
    };
    let (lng, lat) = IN_GRID;
    let created = post(format!("lat={lat}&long={lng}&description={}", enc("小区电梯坏了困住人了"))).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let neither = post(format!("lat={lat}&long={lng}")).await;
    assert_eq!(neither.status, 400);
    assert!(neither.text().contains("service_code or description"), "{}", neither.text());
    let dispatcher = app.login("dispatcher").await;
    let list = app.get("/api/v1/cases?limit=5").bearer(&dispatcher).send().await.json();
    let case = &list["cases"][0];
    assert_eq!(case["category_code"], "18", "sorted by a person: no threshold set");
    let id = case["id"].as_str().unwrap();
    let page = app.get(&format!("/cases/{id}")).header("cookie", &session(&dispatcher)).send().await.text();
    assert!(page.contains("建议分类") && page.contains("电梯故障"), "{page}");
}

async fn retraining_learns_from_the_cases_people_labelled_and_people_see_how_often_they_overrode_it(app: TestApp) {
    let (lng, lat) = IN_GRID;
    let dispatcher = app.login("dispatcher").await;
    // Reports naming no category, sorted by the dispatcher: one as proposed, one otherwise.
    let lamp = app.report(&json!({ "description": LAMP, "lat": lat, "lng": lng })).await;
    let noise = app.report(&json!({ "description": "楼下路灯旁边的烧烤摊天天吵到半夜", "lat": lat, "lng": lng })).await;
    for (case, category) in [(&lamp, "0301"), (&noise, "0202")] {
        let id = case["id"].as_str().unwrap();
        app.act_ok(&dispatcher, id, &json!({ "action": "reclassify", "category_code": category, "reason": "核实" }))
            .await;
    }
    let admin = session(&app.login("admin").await);
    let trained = admin_post(&app, &admin, "/admin/classifier", "action=train").await;
    assert_eq!(trained.status, 303, "{}", trained.text());
    let page = app.get("/admin/classifier").header("cookie", &admin).send().await.text();
    assert!(page.contains("<td>1</td>"), "version 1 kept: {page}");
    assert!(page.contains("在用"), "{page}");
    // The override rates: the proposals people settled, kept or overridden.
    assert!(page.contains("建议分类") && page.contains("改正率"), "{page}");
    let proposals_line = page.split("<tr>").find(|row| row.contains("建议分类") && row.contains("全部")).unwrap();
    assert!(proposals_line.contains(">2</td>"), "two proposals made: {proposals_line}");
    let refused = admin_post(&app, &admin, "/admin/classifier", "action=forget").await;
    assert_eq!(refused.status, 422);
}
