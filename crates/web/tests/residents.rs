//! Residents' accounts end to end: a code texted to a mobile (the development sink takes it, and
//! administrators read it on the page of messages),
//! a wrong code refused by field, the right one signing in with a token and a cookie, the
//! resident's page listing the cases reported from their number and no one else's, signing
//! out; bad numbers and codes named by field, a second code within the minute refused. The
//! same on the pages (我的), where each report opens its tracking page without its code. A
//! resident closes their account (a tick first on the page): every session ends, their
//! reports stay.

mod support;

use grassroots_store::ResidentStore;
use serde_json::json;
use support::*;

api_tests!(
    a_resident_signs_in_with_a_texted_code_and_sees_their_reports,
    bad_numbers_codes_and_haste_are_refused,
    a_resident_signs_in_on_the_pages_and_opens_their_case,
);

async fn a_resident_signs_in_with_a_texted_code_and_sees_their_reports(app: TestApp) {
    let mine = app
        .report(&json!({"description": "楼道灯坏了", "category_code": "0301", "lat": 39.9149, "lng": 116.4109, "reporter_phone": "13800138000"}))
        .await;
    let theirs = app
        .report(&json!({"description": "路面有坑", "category_code": "0301", "lat": 39.9149, "lng": 116.4109, "reporter_phone": "13900139000"}))
        .await;

    let sent = app.post("/api/v1/residents/codes").json(&json!({"phone": "+86 138-0013-8000"})).send().await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    assert_eq!(sent.json()["phone_masked"], "138****8000");
    let code = app.code_sent_to("13800138000");
    // Without an SMS provider, administrators read the code on the page of messages.
    let admin = session(&app.login("admin").await);
    let messages = app.get("/admin/messages").header("cookie", &admin).send().await.text();
    assert!(messages.contains("138****8000") && messages.contains(&code), "the development sink's text");
    assert!(!messages.contains("13800138000"), "the number masked");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused =
        app.post("/api/v1/residents/sessions").json(&json!({"phone": "13800138000", "code": wrong})).send().await;
    assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some("code")), "{}", refused.text());
    assert!(refused.text().contains("还可尝试4次"), "{}", refused.text());

    let signed_in =
        app.post("/api/v1/residents/sessions").json(&json!({"phone": "13800138000", "code": code})).send().await;
    assert_eq!(signed_in.status, 201, "{}", signed_in.text());
    let token = signed_in.json()["token"].as_str().unwrap().to_string();
    let cookie = signed_in.header("set-cookie").unwrap().to_string();
    assert!(cookie.starts_with("grassroots_resident=") && cookie.contains("HttpOnly"), "{cookie}");
    assert_eq!(signed_in.json()["resident"]["phone_masked"], "138****8000");

    let page = app.get("/api/v1/residents/me").bearer(&token).send().await;
    assert_eq!(page.status, 200, "{}", page.text());
    let body = page.json();
    let numbers: Vec<&str> =
        body["reports"].as_array().unwrap().iter().map(|r| r["tracking_no"].as_str().unwrap()).collect();
    assert_eq!(numbers, [mine["tracking_no"].as_str().unwrap()], "their own reports only");
    assert_ne!(numbers[0], theirs["tracking_no"].as_str().unwrap());
    assert_eq!(body["reports"][0]["state_zh"].as_str().map(str::is_empty), Some(false));
    let by_cookie =
        app.get("/api/v1/residents/me").header("cookie", &format!("grassroots_resident={token}")).send().await;
    assert_eq!(by_cookie.status, 200);

    // A staff token is no resident's, and a resident's token opens no staff API.
    let staff = app.login("dispatcher").await;
    assert_eq!(app.get("/api/v1/residents/me").bearer(&staff).send().await.status, 401);
    assert_eq!(app.get("/api/v1/auth/me").bearer(&token).send().await.status, 401);
    assert_eq!(app.get("/api/v1/residents/me").send().await.status, 401);

    assert_eq!(app.delete("/api/v1/residents/sessions/current").bearer(&token).send().await.status, 204);
    assert_eq!(app.get("/api/v1/residents/me").bearer(&token).send().await.status, 401, "signed out");

    // Closing the account from one device ends the sessions of every other.
    let mut tokens = Vec::new();
    for (code, minutes) in [("515151", 2), ("616161", 4)] {
        keep_code(&app, code, minutes).await;
        let session =
            app.post("/api/v1/residents/sessions").json(&json!({"phone": "13800138000", "code": code})).send().await;
        assert_eq!(session.status, 201, "{}", session.text());
        tokens.push(session.json()["token"].as_str().unwrap().to_string());
    }
    let closed = app.delete("/api/v1/residents/me").bearer(&tokens[0]).send().await;
    assert_eq!(closed.status, 204);
    assert!(closed.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(app.get("/api/v1/residents/me").bearer(&tokens[1]).send().await.status, 401);
}

/// A code for 13800138000 kept as if texted `minutes` from now, past the minute between codes
/// (the sign-in tries the newest, until it expires five minutes from now).
async fn keep_code(app: &TestApp, code: &str, minutes: i64) {
    let now = chrono::Utc::now() + chrono::Duration::minutes(minutes);
    let phone = grassroots_domain::residents::Mobile::parse("13800138000").unwrap();
    let address = std::net::IpAddr::from([192, 0, 2, 9]);
    let expires = chrono::Utc::now() + chrono::Duration::minutes(5);
    let kept = app.store.keep_code(&phone, address, code, now, expires).await.unwrap();
    assert_eq!(kept, grassroots_store::residents::CodeKept::Kept);
}

async fn bad_numbers_codes_and_haste_are_refused(app: TestApp) {
    for phone in ["010-65123456", "1380013800", ""] {
        let refused = app.post("/api/v1/residents/codes").json(&json!({"phone": phone})).send().await;
        assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some("phone")), "{phone}");
    }
    assert!(app.sink_texts().is_empty(), "nothing sent for a bad number");
    let first = app.post("/api/v1/residents/codes").json(&json!({"phone": "13800138000"})).send().await;
    assert_eq!(first.status, 202);
    let again = app.post("/api/v1/residents/codes").json(&json!({"phone": "13800138000"})).send().await;
    assert_eq!(again.status, 429, "{}", again.text());
    let wait: i64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(app.sink_texts().len(), 1, "one text only");

    let malformed =
        app.post("/api/v1/residents/sessions").json(&json!({"phone": "13800138000", "code": "12ab"})).send().await;
    assert_eq!((malformed.status, malformed.error_field().as_deref()), (422, Some("code")));
    let never_sent =
        app.post("/api/v1/residents/sessions").json(&json!({"phone": "13700137000", "code": "123456"})).send().await;
    assert_eq!((never_sent.status, never_sent.error_field().as_deref()), (422, Some("code")));
    assert!(never_sent.text().contains("请先获取验证码"), "{}", never_sent.text());
}

async fn a_resident_signs_in_on_the_pages_and_opens_their_case(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let mine = app
        .report(&json!({"description": "楼道灯坏了", "category_code": "0301", "lat": 39.9149, "lng": 116.4109,
                        "reporter_phone": "13800138000"}))
        .await;
    let form = |path: &str, body: String| {
        app.post(path).header("origin", &origin).body_with_type("application/x-www-form-urlencoded", body)
    };
    let start = app.get("/me").send().await;
    assert_eq!(start.status, 200);
    assert!(start.text().contains(r#"action="/me/code""#));

    let bad = form("/me/code", "phone=12345".into()).send().await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("请填写大陆手机号") && bad.text().contains(r#"value="12345""#), "the input is kept");
    let foreign = app
        .post("/me/code")
        .header("origin", "http://evil.example")
        .body_with_type("application/x-www-form-urlencoded", "phone=13800138000")
        .send()
        .await;
    assert_eq!(foreign.status, 403, "a foreign page cannot text codes through a visitor");

    let asked = form("/me/code", "phone=13800138000".into()).send().await;
    assert_eq!(asked.status, 200, "{}", asked.text());
    assert!(asked.text().contains("138****8000") && asked.text().contains(r#"action="/me/sign-in""#));
    let code = app.code_sent_to("13800138000");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = form("/me/sign-in", format!("phone=13800138000&code={wrong}")).send().await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("验证码不正确"), "{}", refused.text());

    let signed_in = form("/me/sign-in", format!("phone=13800138000&code={code}")).send().await;
    assert_eq!((signed_in.status, signed_in.header("location")), (303, Some("/me")));
    let cookie = signed_in.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let page = app.get("/me").header("cookie", &cookie).send().await;
    assert_eq!(page.header("cache-control"), Some("no-store"), "a resident's page is not kept by caches");
    let html = page.text();
    let no = mine["tracking_no"].as_str().unwrap();
    assert!(html.contains("138****8000") && html.contains(no), "{html}");
    assert!(!html.contains("13800138000"), "the number is masked");
    let link = html.split(r#"<a href="/track?t="#).nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let case = app.get(&format!("/track?t={link}")).send().await;
    assert_eq!(case.status, 200);
    assert!(case.text().contains("楼道灯坏了"), "their case opens without its code");

    let out = app.post("/me/sign-out").header("origin", &origin).header("cookie", &cookie).send().await;
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert!(app.get("/me").header("cookie", &cookie).send().await.text().contains(r#"action="/me/code""#));

    // Closing the account asks for a tick first, then signs out everywhere.
    keep_code(&app, "424242", 2).await;
    let again = form("/me/sign-in", "phone=13800138000&code=424242".into()).send().await;
    assert_eq!(again.status, 303, "{}", again.text());
    let cookie = again.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let unticked = app
        .post("/me/close")
        .header("origin", &origin)
        .header("cookie", &cookie)
        .body_with_type("application/x-www-form-urlencoded", "")
        .send()
        .await;
    assert_eq!(unticked.status, 422);
    assert!(unticked.text().contains("请勾选确认后再注销") && unticked.text().contains(no), "the page as it was");
    let closed = app
        .post("/me/close")
        .header("origin", &origin)
        .header("cookie", &cookie)
        .body_with_type("application/x-www-form-urlencoded", "confirm=1")
        .send()
        .await;
    assert_eq!((closed.status, closed.header("location")), (303, Some("/me?closed=1")));
    assert!(app.get("/me?closed=1").send().await.text().contains("账号已注销"));
    assert!(app.get("/me").header("cookie", &cookie).send().await.text().contains(r#"action="/me/code""#));
    let page = app.get(&format!("/track?t={link}")).send().await;
    assert!(page.text().contains("楼道灯坏了"), "what they reported stays");
}
