//! 值班 end to end: an administrator gives a dispatcher a mobile on the accounts page; a
//! supervisor puts them on duty for a street (API and page, refusals named by field); a report
//! holding words of danger there is texted to them, read on the administrators' page of
//! messages; a dispatcher reads the roster but does not plan it.

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::*;

api_tests!(the_dispatcher_on_duty_is_texted_about_danger, the_roster_page_plans_and_refuses_by_field);

async fn the_dispatcher_on_duty_is_texted_about_danger(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let admin = session(&app.login("admin").await);
    let save_phone = |phone: &str| {
        let form = format!("username=dispatcher&display_name=%E5%80%BC%E7%8F%AD%E5%91%98&role=dispatcher&scope=region%3A110101&phone={}", enc(phone));
        app.post("/admin/users")
            .header("cookie", &admin)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", form)
            .send()
    };
    let bad = save_phone("12345").await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(bad.text().contains("应为11位手机号"));
    assert_eq!(save_phone("13712345678").await.status, 303);
    let accounts = app.get("/admin/users?q=dispatcher").header("cookie", &admin).send().await.text();
    assert!(accounts.contains("137****5678") && !accounts.contains("13712345678"), "masked on the page");

    let supervisor = app.login("supervisor").await;
    let at = |hours: i64| (Utc::now() + Duration::hours(hours)).to_rfc3339();
    let plan = |body: serde_json::Value| app.post("/api/v1/duty").bearer(&supervisor).json(&body).send();
    let leader = plan(json!({ "street": STREET, "username": "leader", "starts_at": at(-1), "ends_at": at(8) })).await;
    assert_eq!((leader.status, leader.error_field().as_deref()), (422, Some("user")), "{}", leader.text());
    let long =
        plan(json!({ "street": STREET, "username": "dispatcher", "starts_at": at(-1), "ends_at": at(200) })).await;
    assert_eq!((long.status, long.error_field().as_deref()), (422, Some("ends_at")));
    let planned =
        plan(json!({ "street": STREET, "username": "dispatcher", "starts_at": at(-1), "ends_at": at(8) })).await;
    assert_eq!(planned.status, 200, "{}", planned.text());
    let shift = planned.json();
    assert_eq!(shift["phone_masked"], "137****5678");

    let dispatcher = app.login("dispatcher").await;
    let own = app.post("/api/v1/duty").bearer(&dispatcher).json(&json!({ "street": STREET })).send().await;
    assert_eq!(own.status, 403, "a dispatcher reads the roster, does not plan it");
    let roster = app.get("/api/v1/duty").bearer(&dispatcher).send().await.json();
    assert_eq!(roster["shifts"].as_array().unwrap().len(), 1, "{roster}");
    let page = app.get("/duty").header("cookie", &session(&dispatcher)).send().await.text();
    assert!(page.contains("值班员（dispatcher）") && page.contains("当班"), "{page}");
    assert!(!page.contains(r#"action="/duty""#), "no planning form for a dispatcher");

    let (lng, lat) = IN_GRID;
    let danger = app
        .report(&json!({ "description": "邻居说不想活了，站在楼顶", "category_code": "0302", "lat": lat, "lng": lng }))
        .await;
    let messages = app.get("/admin/messages").header("cookie", &admin).send().await.text();
    let rows = messages.split("<tbody").nth(1).expect("the list of messages");
    let line = rows.split("<tr").find(|row| row.contains("值班人员")).expect("a message to staff on duty");
    assert!(line.contains("137****5678") && line.contains(danger["tracking_no"].as_str().unwrap()), "{line}");
    assert!(line.contains("危险信号"), "{line}");

    let id = shift["id"].as_str().unwrap();
    let removed = app.delete(&format!("/api/v1/duty/{id}")).bearer(&supervisor).send().await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    let again = app.delete(&format!("/api/v1/duty/{id}")).bearer(&supervisor).send().await;
    assert_eq!(again.status, 404);
    assert!(app.get("/api/v1/duty").bearer(&dispatcher).send().await.json()["shifts"].as_array().unwrap().is_empty());
}

async fn the_roster_page_plans_and_refuses_by_field(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let supervisor = session(&app.login("supervisor").await);
    let page = app.get("/duty").header("cookie", &supervisor).send().await.text();
    assert!(page.contains(r#"<option value="110101001">东华门街道</option>"#), "the streets of the scope: {page}");
    assert!(page.contains(r#"<option value="dispatcher">"#) && !page.contains(r#"<option value="leader">"#));
    assert!(page.contains("无人当班"), "a street with nobody on duty says who is texted instead");
    let tomorrow = (Utc::now() + Duration::days(1)).with_timezone(&grassroots_domain::calendar::beijing());
    let day = tomorrow.format("%Y-%m-%d").to_string();
    let post = |from: &str, to: &str| {
        let form = format!(
            "street={STREET}&username=dispatcher&starts_at={}&ends_at={}",
            enc(&format!("{day}T{from}")),
            enc(&format!("{day}T{to}"))
        );
        app.post("/duty")
            .header("cookie", &supervisor)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", form)
            .send()
    };
    let backwards = post("20:00", "08:00").await;
    assert_eq!(backwards.status, 422);
    assert!(backwards.text().contains("结束时间须晚于开始时间"), "{}", backwards.text());
    let saved = post("08:00", "20:00").await;
    assert_eq!((saved.status, saved.header("location")), (303, Some("/duty")));
    let page = app.get("/duty").header("cookie", &supervisor).send().await.text();
    let dated = tomorrow.format("%m-%d").to_string();
    assert!(
        page.contains(&format!("{dated} 08:00")) && page.contains(&format!("{dated} 20:00")),
        "Beijing time: {page}"
    );
    let id = page.split(r#"action="/duty/"#).nth(1).and_then(|s| s.split('/').next()).expect("a remove button");
    let removed = app
        .post(&format!("/duty/{id}/remove"))
        .header("cookie", &supervisor)
        .header("origin", &origin)
        .body_with_type("application/x-www-form-urlencoded", "")
        .send()
        .await;
    assert_eq!(removed.status, 303);
    assert!(app.get("/duty").header("cookie", &supervisor).send().await.text().contains("暂无班次"));
}
