//! 为民服务中心 over the API and on the pages, on both backends: the catalogue is searched by
//! anyone; a resident applies online with photos of the materials and the limit to accept runs
//! five working days by the platform's calendar; the centre asks once for what is missing, the
//! resident supplies it, the centre accepts (the item's limit from then), approves and
//! completes; each side makes only its own moves, nobody else reads the application; bookings
//! hold a slot's capacity; bad input names its field.

mod support;

use chrono::{DateTime, Utc};
use grassroots_domain::services::builtin_catalogue;
use grassroots_store::ServiceStore;
use serde_json::json;
use support::*;

api_tests!(
    a_resident_applies_online_and_the_centre_decides_within_its_limits,
    on_the_pages_a_resident_applies_books_and_follows_their_application
);

async fn catalogue(app: &TestApp) {
    app.store.upsert_service_items(&builtin_catalogue(), Utc::now()).await.unwrap();
}

fn due(v: &serde_json::Value) -> DateTime<Utc> {
    v["due_at"].as_str().unwrap().parse().unwrap()
}

async fn a_resident_applies_online_and_the_centre_decides_within_its_limits(app: TestApp) {
    catalogue(&app).await;
    let found = app.get("/api/v1/services?q=%E4%BD%8E%E4%BF%9D").send().await.json();
    assert!(found["items"].as_array().unwrap().iter().any(|i| i["code"] == "JD-001"), "低保 finds it: {found}");
    let none = app.get("/api/v1/services?q=%E6%8A%A4%E7%85%A7").send().await.json();
    assert_eq!(none["items"], json!([]));

    let resident = app.resident_token("13800138000").await;
    let apply = |fields: &str, files: &[(&str, &str, &[u8])]| {
        app.post("/api/v1/residents/me/applications").bearer(&resident).multipart(&[("json", fields)], files).send()
    };
    // A phone's photo: a few hundred kilobytes.
    let hukou = [PNG, vec![0_u8; 500 * 1024].as_slice()].concat();
    let photo: &[(&str, &str, &[u8])] = &[("photo", "hukou.png", &hukou)];
    for (fields, files, field) in [
        (r#"{"item":"JD-005","street_code":"110101001","name":"陈桂芝"}"#, photo, "item"),
        (r#"{"item":"JD-001","street_code":"110101001","name":"陈桂芝"}"#, &[][..], "photo"),
        (r#"{"item":"JD-001","street_code":"110101001001","name":"陈桂芝"}"#, photo, "street_code"),
        (r#"{"item":"JD-001","street_code":"110101001","name":""}"#, photo, "name"),
        (r#"{"item":"JD-001","street_code":"110101001","name":"陈桂芝","note":"请回电13912345678"}"#, photo, "note"),
    ] {
        let refused = apply(fields, files).await;
        assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some(field)), "{}", refused.text());
    }
    let now = Utc::now();
    let applied =
        apply(r#"{"item":"JD-001","street_code":"110101001","name":"陈桂芝","phone":"13912345678"}"#, photo).await;
    assert_eq!(applied.status, 201, "{}", applied.text());
    let application = applied.json();
    let id = application["id"].as_str().unwrap().to_string();
    let calendar = &app.platform.reference().calendar;
    assert_eq!(
        due(&application).date_naive(),
        calendar.add_working_days(now, 5).date_naive(),
        "five working days to accept"
    );

    let stranger = app.resident_token("13800138111").await;
    assert_eq!(app.get(&format!("/api/v1/applications/{id}")).bearer(&stranger).send().await.status, 404);
    assert_eq!(
        app.get(&format!("/api/v1/applications/{id}")).bearer(&app.login("gridworker").await).send().await.status,
        403
    );
    let operator = app.login("operator").await;
    let seen = app.get(&format!("/api/v1/applications/{id}")).bearer(&operator).send().await.json();
    assert_eq!(seen["applicant"]["name"], "陈桂芝", "the centre reads the applicant");
    assert_eq!(seen["moves"], json!(["accept", "ask_for_more", "refuse"]));
    let own = app.get(&format!("/api/v1/applications/{id}")).bearer(&resident).send().await.json();
    assert!(own["applicant"].is_null() && own["moves"] == json!(["withdraw"]), "{own}");
    let queue = app.get("/api/v1/applications").bearer(&operator).send().await.json();
    assert_eq!(queue["applications"][0]["id"], id.as_str());

    let moves = format!("/api/v1/applications/{id}/moves");
    let post = |token: &str, body: serde_json::Value| app.post(&moves).bearer(token).json(&body).send();
    assert_eq!(post(&operator, json!({ "move": "refuse" })).await.error_field().as_deref(), Some("note"));
    assert_eq!(post(&resident, json!({ "move": "accept" })).await.status, 403, "the applicant does not accept");
    let asked = post(&operator, json!({ "move": "ask_for_more", "note": "请补充近6个月收入证明" })).await.json();
    assert_eq!((asked["state"].as_str(), asked["due_at"].is_null()), (Some("more_materials"), true));
    let empty = app.post(&moves).bearer(&resident).multipart(&[("json", r#"{"move":"resubmit"}"#)], &[]).send().await;
    assert_eq!(empty.error_field().as_deref(), Some("photo"));
    let income = [PNG, b"income".as_slice()].concat();
    let resubmitted = app
        .post(&moves)
        .bearer(&resident)
        .multipart(&[("json", r#"{"move":"resubmit"}"#)], &[("photo", "income.png", &income)])
        .send()
        .await
        .json();
    assert_eq!(resubmitted["state"], "received");
    let at = Utc::now();
    let accepted = post(&operator, json!({ "move": "accept" })).await.json();
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(
        due(&accepted).date_naive(),
        calendar.add_working_days(at, 30).date_naive(),
        "the item's thirty working days"
    );
    post(&operator, json!({ "move": "approve" })).await;
    let done = post(&operator, json!({ "move": "complete" })).await.json();
    assert_eq!((done["state"].as_str(), done["files"].as_array().map(Vec::len)), (Some("done"), Some(2)));
    let digest = done["files"][0]["digest"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/applications/{id}/files/{digest}")).bearer(&resident).send().await.status,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/applications/{id}/files/{digest}")).bearer(&stranger).send().await.status,
        404
    );

    // Bookings: the slots of the coming working days, a seat taken, once a day.
    let slots = app.get("/api/v1/service-slots?street=110101001").send().await.json();
    let first = &slots["slots"][0];
    assert_eq!(first["left"], 3);
    let book = |token: &str, slot: &str| {
        app.post("/api/v1/residents/me/appointments")
            .bearer(token)
            .json(&json!({ "street_code": "110101001", "day": first["day"], "slot": slot, "item_code": "JD-007" }))
            .send()
    };
    let booked = book(&resident, "09:00").await;
    assert_eq!(booked.status, 201, "{}", booked.text());
    assert_eq!(book(&resident, "09:30").await.error_field().as_deref(), Some("day"), "once a day");
    assert_eq!(book(&stranger, "12:00").await.error_field().as_deref(), Some("slot"), "not a slot of the centre");
    let slots = app.get("/api/v1/service-slots?street=110101001").send().await.json();
    assert_eq!(slots["slots"][0]["left"], 2);
    let mine = app.get("/api/v1/residents/me/applications").bearer(&resident).send().await.json();
    assert_eq!(
        (mine["applications"].as_array().map(Vec::len), mine["appointments"].as_array().map(Vec::len)),
        (Some(1), Some(1))
    );
    let booking = mine["appointments"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/residents/me/appointments/{booking}");
    assert_eq!(app.delete(&path).bearer(&stranger).send().await.status, 404);
    assert_eq!(app.delete(&path).bearer(&resident).send().await.status, 204);
    let day = first["day"].as_str().unwrap();
    let listed = app.get(&format!("/api/v1/appointments?day={day}")).bearer(&operator).send().await.json();
    assert_eq!(listed["appointments"], json!([]));
}

async fn on_the_pages_a_resident_applies_books_and_follows_their_application(app: TestApp) {
    catalogue(&app).await;
    let signed_out = app.get("/services/JD-001").send().await.text();
    assert!(signed_out.contains("sign-in-first") && signed_out.contains("户口簿"), "the guide is public");
    let resident = format!("grassroots_resident={}", app.resident_token("13800138000").await);
    let page = app.get("/services?q=%E5%85%BB%E8%80%81").header("cookie", &resident).send().await.text();
    assert!(page.contains("/services/JD-007") && !page.contains("/services/JD-010"), "养老 narrows the list");
    let item = app.get("/services/JD-001").header("cookie", &resident).send().await.text();
    assert!(item.contains("id=\"apply-form\"") && item.contains("id=\"book-form\""), "{item}");
    let refused = app
        .post("/services/JD-001/applications")
        .header("cookie", &resident)
        .multipart(&[("street_code", "110101001"), ("name", "陈桂芝")], &[])
        .send()
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("apply-error") && refused.text().contains("陈桂芝"), "typed values kept");
    let applied = app
        .post("/services/JD-001/applications")
        .header("cookie", &resident)
        .multipart(
            &[("street_code", "110101001"), ("name", "陈桂芝")],
            &[("photo", "hukou.png", &[PNG, vec![1_u8; 300 * 1024].as_slice()].concat())],
        )
        .send()
        .await;
    assert_eq!(applied.status, 303, "{}", applied.text());
    let location = applied.header("location").unwrap().to_string();
    let own = app.get(&location).header("cookie", &resident).send().await.text();
    assert!(own.contains("data-state=\"received\"") && own.contains("withdraw-form"), "{own}");

    let staff = format!("grassroots_session={}", app.login("operator").await);
    let queue = app.get("/applications").header("cookie", &staff).send().await.text();
    assert!(queue.contains(&location), "{queue}");
    let moves = format!("{location}/moves");
    let form = |cookie: &str, body: &str| {
        app.post(&moves)
            .header("cookie", cookie)
            .body_with_type("application/x-www-form-urlencoded", body.to_string())
            .send()
    };
    assert_eq!(form(&staff, "move=ask_for_more&note=").await.status, 422);
    assert_eq!(form(&staff, &format!("move=ask_for_more&note={}", enc("请补充收入证明"))).await.status, 303);
    let asked = app.get(&location).header("cookie", &resident).send().await.text();
    assert!(asked.contains("请补充收入证明") && asked.contains("resubmit-form"), "{asked}");
    let resubmitted = app
        .post(&moves)
        .header("cookie", &resident)
        .multipart(&[("move", "resubmit")], &[("photo", "income.png", PNG)])
        .send()
        .await;
    assert_eq!(resubmitted.status, 303);
    assert_eq!(form(&staff, "move=accept").await.status, 303);
    assert_eq!(form(&resident, "move=approve").await.status, 403, "only the centre decides");
    assert_eq!(form(&staff, "move=approve").await.status, 303);
    assert_eq!(form(&staff, "move=complete").await.status, 303);
    let done = app.get(&location).header("cookie", &resident).send().await.text();
    assert!(done.contains("data-state=\"done\""), "{done}");

    let when = app.get("/services/JD-007").header("cookie", &resident).send().await.text();
    let first =
        when.split("<option value=\"").find(|o| o.starts_with("20")).unwrap().split('"').next().unwrap().to_string();
    let booked = app
        .post("/services/JD-007/appointments")
        .header("cookie", &resident)
        .body_with_type("application/x-www-form-urlencoded", format!("street_code=110101001&when={}", enc(&first)))
        .send()
        .await;
    assert_eq!(booked.status, 303, "{}", booked.text());
    let mine = app.get("/services").header("cookie", &resident).send().await.text();
    assert!(mine.contains("id=\"my-bookings\"") && mine.contains(&first), "{mine}");
}
