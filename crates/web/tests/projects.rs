//! 政府购买服务 over the API and on the pages, on both backends: a supervisor opens a project of
//! the street office bought from a verified agency; a plan paying beyond its budget is refused
//! on its field; reports add up against the plan; a milestone is reached only with its
//! indicator delivered; anyone reads the project, and only staff of the place act on it.

mod support;

use chrono::{Duration, Utc, Weekday};
use grassroots_domain::helpers::{
    Availability, DayPart, HelperKind, HelperState, Registration, RegistrationForm, Skill,
};
use grassroots_store::helpers::{HelperContact, Registrant};
use grassroots_store::prelude::*;
use serde_json::json;
use support::*;

api_tests!(a_project_is_bought_reported_and_paid_by_its_plan);

fn day(d: i64) -> String {
    (grassroots_domain::calendar::beijing_day(Utc::now()) + Duration::days(d)).to_string()
}

async fn a_project_is_bought_reported_and_paid_by_its_plan(app: TestApp) {
    let supervisor_actor = app.store.user_by_username("supervisor").await.unwrap().unwrap().user.actor();
    let registration = Registration::check(
        HelperKind::Organisation,
        RegistrationForm {
            name: "东城区阳光社会工作事务所",
            region_code: "110101001",
            skills: vec![Skill::Counselling],
            availability: Availability::of(&[Weekday::Mon], &[DayPart::Morning]),
            credit_code: Some("52110101MJ0000001R"),
            ..RegistrationForm::default()
        },
    )
    .unwrap();
    let contact = HelperContact { name: registration.name.clone(), ..HelperContact::default() };
    let now = Utc::now();
    let agency =
        app.store.register_helper(Registrant::Staff(&supervisor_actor), &registration, &contact, now).await.unwrap();
    app.store.set_helper_state(&supervisor_actor, agency.id, HelperState::Verified, None, now).await.unwrap();
    let unit = app.platform.reference().units.iter().find(|u| u.region_code == "110101001").map(|u| u.id.clone());
    let unit = unit.expect("the test world's street office of 110101001");

    let supervisor = app.login("supervisor").await;
    let body = |milestones: String| {
        json!({ "purchaser_unit": unit, "provider_id": agency.id, "name": "一老一小社会工作服务项目", "budget": "300000",
                "starts_on": day(-30), "ends_on": day(300), "indicators": "服务人次|人次|1200\n入户探访|次|300",
                "milestones": milestones })
    };
    let post = |path: &str, token: &str, b: serde_json::Value| app.post(path).bearer(token).json(&b).send();
    let over =
        post("/api/v1/projects", &supervisor, body(format!("首期款|{}|200000\n尾款|{}|200000", day(-20), day(300))))
            .await;
    assert_eq!((over.status, over.error_field().as_deref()), (422, Some("milestones")), "{}", over.text());
    let worker = app.login("gridworker").await;
    let not_held = post("/api/v1/projects", &worker, body(String::new())).await;
    assert_eq!(not_held.error_field().as_deref(), Some("purchaser_unit"), "a grid worker holds no street");
    assert_eq!(post("/api/v1/projects", &app.login("leader").await, body(String::new())).await.status, 403);
    let created = post(
        "/api/v1/projects",
        &supervisor,
        body(format!("首期款|{}|90000\n中期款|{}|120000|服务人次>=500", day(-20), day(100))),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();

    let report = format!("/api/v1/projects/{id}/reports");
    let refused = post(&report, &supervisor, json!({ "amounts": ["100"], "note": "只报一项" })).await;
    assert_eq!(refused.error_field().as_deref(), Some("amounts"));
    let reported = post(&report, &supervisor, json!({ "amounts": ["450", "60"], "note": "首月服务" })).await.json();
    assert_eq!(reported["indicators"][0]["actual"], 450);
    let early = post(&format!("/api/v1/projects/{id}/milestones/1"), &supervisor, json!({})).await;
    assert_eq!((early.status, early.error_field().as_deref()), (422, Some("milestone")));
    let first = post(&format!("/api/v1/projects/{id}/milestones/0"), &supervisor, json!({})).await.json();
    assert_eq!(first["paid_fen"], 9_000_000);
    let evaluation = post(
        &format!("/api/v1/projects/{id}/evaluation"),
        &supervisor,
        json!({ "evaluator": "评估中心", "score": "90", "summary": "服务扎实" }),
    )
    .await;
    assert_eq!(evaluation.error_field().as_deref(), Some("evaluation"), "not before the contract ends");

    // Anyone reads it; the page shows plan against delivered, the forms only to staff of the place.
    let public = app.get(&format!("/api/v1/projects/{id}")).send().await.json();
    assert_eq!(public["reports"].as_array().map(Vec::len), Some(1));
    let page = app.get(&format!("/projects/{id}")).send().await.text();
    assert!(page.contains("id=\"indicators\"") && page.contains("450") && !page.contains("report-form"), "{page}");
    let staff_page = app.get(&format!("/projects/{id}")).header("cookie", &session(&supervisor)).send().await.text();
    assert!(staff_page.contains("report-form"), "{staff_page}");
    let listed = app.get("/projects").send().await.text();
    assert!(listed.contains("一老一小社会工作服务项目"));
}
