//! What an attack from outside found, each closed by a test that fails without its fix:
//! cross-origin writes with the session cookie, the headers every answer carries, query-code
//! lock-outs across clients, and password guessing.

mod support;

use grassroots_store::prelude::*;
use grassroots_store::Inspect;
use serde_json::json;
use support::*;

/// The patrol form of `gridworker`, as a page on another origin would post it.
fn patrol_fields() -> Vec<(&'static str, String)> {
    let (lng, lat) = IN_GRID;
    vec![
        ("description", "井盖松动".to_string()),
        ("category_code", "0302".to_string()),
        ("lng", lng.to_string()),
        ("lat", lat.to_string()),
        ("resolved_on_spot", "true".to_string()),
        ("result", "已复位固定".to_string()),
    ]
}

async fn cookie_authenticated_api_writes_from_another_origin_are_refused(app: TestApp) {
    let worker = app.login("gridworker").await;
    let cookie = format!("grassroots_session={worker}");
    let fields = patrol_fields();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let other_port = format!("http://{}:{}", app.addr.ip(), app.addr.port() + 1);
    let before = app.case_count().await;
    for (header, value) in
        [("origin", other_port.as_str()), ("sec-fetch-site", "same-site"), ("sec-fetch-site", "cross-site")]
    {
        let forged = app.post("/api/v1/patrol").header("cookie", &cookie).header(header, value).multipart(&fields, &[]);
        let res = forged.send().await;
        assert_eq!(res.status, 403, "{header}: {value}: {}", res.text());
        let logout = app.post("/api/v1/auth/logout").header("cookie", &cookie).header(header, value).send().await;
        assert_eq!(logout.status, 403, "{header}: {value}");
    }
    assert_eq!(app.case_count().await, before, "nothing was created");
    assert_eq!(app.get("/api/v1/auth/me").bearer(&worker).send().await.status, 200, "the session is still open");
    // From this origin the cookie works; with the bearer token the origin does not matter
    // (a page elsewhere cannot add the header).
    let own = format!("http://{}", app.addr);
    let same = app.post("/api/v1/patrol").header("cookie", &cookie).header("origin", &own).multipart(&fields, &[]);
    assert_eq!(same.send().await.status, 201);
    let bearer = app.post("/api/v1/patrol").bearer(&worker).header("origin", &other_port).multipart(&fields, &[]);
    assert_eq!(bearer.send().await.status, 201);
    // Page forms are checked whoever posts them, the anonymous report form too.
    let report = app
        .post("/report/details")
        .header("sec-fetch-site", "cross-site")
        .body_with_type("application/x-www-form-urlencoded", "description=x");
    assert_eq!(report.send().await.status, 403);
}

async fn every_answer_carries_the_headers_that_keep_browsers_safe(app: TestApp) {
    let dispatcher = app.login("dispatcher").await;
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let reveal =
        app.post(&format!("/api/v1/cases/{id}/reveal")).bearer(&dispatcher).json(&json!({ "reason": "回访核实" }));
    let revealed = reveal.send().await;
    assert_eq!(revealed.status, 200);
    assert_eq!(revealed.header("cache-control"), Some("no-store"), "revealed data is never cached");
    for res in [
        app.get("/").send().await,
        app.get("/login").send().await,
        app.get("/api/v1/reference").send().await,
        app.get("/no/such/page").send().await,
        revealed,
    ] {
        let csp = res.header("content-security-policy").expect("a content security policy");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(res.header("x-frame-options"), Some("DENY"));
        assert_eq!(res.header("referrer-policy"), Some("same-origin"));
    }
}

async fn one_client_s_wrong_codes_do_not_lock_out_the_resident_elsewhere(app: TestApp) {
    let created = app.resident_report().await;
    let (no, code) = (created["tracking_no"].as_str().unwrap(), created["query_code"].as_str().unwrap());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..10 {
        let res = app.get(&format!("/api/v1/track/{no}?code={wrong}")).from([127, 0, 0, 9]).send().await;
        assert_eq!(res.status, 404);
    }
    let locked = app.get(&format!("/api/v1/track/{no}?code={code}")).from([127, 0, 0, 9]).send().await;
    assert_eq!(locked.status, 429, "the guessing client waits");
    assert!(locked.header("retry-after").is_some());
    let resident = app.get(&format!("/api/v1/track/{no}?code={code}")).from([127, 0, 0, 10]).send().await;
    assert_eq!(resident.status, 200, "the resident elsewhere is not locked out: {}", resident.text());
}

async fn password_guessing_is_made_to_wait(app: TestApp) {
    let login = |password: &str, from: [u8; 4]| {
        app.post("/api/v1/auth/login")
            .json(&json!({ "username": "dispatcher", "password": password }))
            .from(from)
            .send()
    };
    for _ in 0..5 {
        assert_eq!(login("guess", [127, 0, 0, 20]).await.status, 401);
    }
    let waiting = login(PASSWORD, [127, 0, 0, 20]).await;
    assert_eq!(waiting.status, 429, "even the right password waits: it is not checked");
    let retry: u64 = waiting.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=300).contains(&retry));
    assert_eq!(login(PASSWORD, [127, 0, 0, 21]).await.status, 200, "another address is not affected");
    // The page's form is throttled the same way.
    let page = app
        .post("/login")
        .from([127, 0, 0, 20])
        .body_with_type("application/x-www-form-urlencoded", format!("username=dispatcher&password={}", enc(PASSWORD)));
    let page = page.send().await;
    assert_eq!(page.status, 429);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
}

api_tests!(
    cookie_authenticated_api_writes_from_another_origin_are_refused,
    every_answer_carries_the_headers_that_keep_browsers_safe,
    one_client_s_wrong_codes_do_not_lock_out_the_resident_elsewhere,
    password_guessing_is_made_to_wait,
    administrators_read_and_verify_the_audit_log,
    smaller_findings_stay_fixed,
    personal_data_typed_into_free_text_is_masked_and_revealed_only_with_a_reason,
    a_resident_s_requests_reach_every_case_with_their_phone,
    the_privacy_page_records_a_request,
);

async fn administrators_read_and_verify_the_audit_log(app: TestApp) {
    let created = app.resident_report().await;
    let (id, no) = (created["id"].as_str().unwrap(), created["tracking_no"].as_str().unwrap());
    let dispatcher = app.login("dispatcher").await;
    let reveal =
        app.post(&format!("/api/v1/cases/{id}/reveal")).bearer(&dispatcher).json(&json!({ "reason": "回访核实" }));
    assert_eq!(reveal.send().await.status, 200);
    for i in 0..10u8 {
        let guess = json!({ "username": "supervisor", "password": "guess" });
        app.post("/api/v1/auth/login").json(&guess).from([127, 0, 1, i]).send().await;
    }
    let admin = app.login("admin").await;
    assert_eq!(app.get("/api/v1/audit").bearer(&dispatcher).send().await.status, 403, "administrators only");

    let by_case = app.get(&format!("/api/v1/audit?case={no}&action=reveal")).bearer(&admin).send().await;
    assert_eq!(by_case.status, 200, "{}", by_case.text());
    let entries = by_case.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0]["actor_username"].as_str(), entries[0]["detail"]["reason"].as_str()),
        (Some("dispatcher"), Some("回访核实"))
    );
    let by_actor = app.get("/api/v1/audit?actor=dispatcher&action=login").bearer(&admin).send().await.json();
    assert_eq!(by_actor["entries"].as_array().unwrap().len(), 1);
    let page = app.get("/api/v1/audit?action=login_failed&limit=4").bearer(&admin).send().await.json();
    let next = page["next_before"].as_str().expect("more than one page");
    let rest = app.get(&format!("/api/v1/audit?action=login_failed&before={next}")).bearer(&admin).send().await.json();
    assert_eq!(rest["entries"].as_array().unwrap().len(), 6, "ten failures in pages of four and six");
    for (query, field) in
        [("from=yesterday", "from"), ("actor=nobody", "actor"), ("case=12", "case"), ("limit=0", "limit")]
    {
        let bad = app.get(&format!("/api/v1/audit?{query}")).bearer(&admin).send().await;
        assert_eq!((bad.status, bad.error_field().as_deref()), (422, Some(field)), "{query}");
    }
    let file = app.get("/api/v1/audit/export?action=login_failed").bearer(&admin).send().await;
    assert_eq!(file.status, 200);
    assert_eq!(file.text().lines().count(), 10);

    let chain = app.post("/api/v1/audit/verify").bearer(&admin).send().await;
    assert_eq!(chain.status, 200, "{}", chain.text());
    let chain = chain.json();
    assert!(chain["broken"].is_null() && chain["unsealed"] == 0 && chain["sealed"].as_i64().unwrap() >= 13, "{chain}");

    // The page: the burst of failures on top, the entries below, the check on request.
    let cookie = format!("grassroots_session={admin}");
    let html = app.get("/admin/audit?action=reveal").header("cookie", &cookie).send().await;
    assert_eq!(html.status, 200);
    let text = html.text();
    assert!(text.contains("安全提醒") && text.contains("supervisor"), "the alert is shown");
    assert!(text.contains("回访核实"));
    let bad = app.get("/admin/audit?from=2020-13-01").header("cookie", &cookie).send().await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("a-from-error"), "the error beside its field");
    let verified = app
        .post("/admin/audit/verify")
        .header("cookie", &cookie)
        .header("origin", &format!("http://{}", app.addr))
        .send()
        .await;
    assert_eq!(verified.status, 200);
    assert!(verified.text().contains("哈希链完整"));
}

async fn smaller_findings_stay_fixed(app: TestApp) {
    // A description of nothing visible is no description.
    for blank in ["\u{200B}\u{200B}\u{200B}", "\u{FEFF} \u{2060}"] {
        let res = app.report_raw(&json!({ "description": blank, "address": "东华门街道多福巷社区" })).await;
        assert_eq!((res.status, res.error_field().as_deref()), (422, Some("description")), "{blank:?}");
    }
    // A refused phone number is not repeated back, in whatever way it was wrong.
    for (body, field) in [
        (
            json!({ "description": "路灯不亮", "address": "东华门街道", "reporter_phone": "1392222333" }),
            "reporter_phone",
        ),
        (
            json!({ "description": "路灯不亮", "address": "东华门街道", "reporter_phone": 13922223333u64 }),
            "reporter_phone",
        ),
        (json!({ "description": "路灯不亮", "address": "东华门街道", "anonymous": "13922223333" }), "anonymous"),
    ] {
        let res = app.report_raw(&body).await;
        assert_eq!((res.status, res.error_field().as_deref()), (422, Some(field)));
        assert!(!res.text().contains("1392222333"), "{}", res.text());
    }
    // An account disabled and enabled again keeps its password.
    let admin = format!("grassroots_session={}", app.login("admin").await);
    let origin = format!("http://{}", app.addr);
    let save = |state: &'static str| {
        let form =
            format!("username=handler-a&display_name=A&role=handler&scope=unit%3A{UNIT_A}&password=&state={state}");
        app.post("/admin/users")
            .header("cookie", &admin)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", form)
    };
    assert_eq!(save("disabled").send().await.status, 303);
    let refused =
        app.post("/api/v1/auth/login").json(&json!({ "username": "handler-a", "password": PASSWORD })).send().await;
    assert_eq!(refused.status, 401, "a disabled account cannot log in");
    let enabled = save("active").send().await;
    assert_eq!(enabled.status, 303, "enabled again without a new password: {}", enabled.text());
    app.login("handler-a").await;
}

async fn personal_data_typed_into_free_text_is_masked_and_revealed_only_with_a_reason(app: TestApp) {
    let created = app
        .report(&json!({ "description": "请联系我 13922223333 王先生", "address": "东华门街道多福巷社区",
            "reporter_name": NAME, "reporter_phone": PHONE }))
        .await;
    let id = created["id"].as_str().unwrap();
    let dispatcher = app.login("dispatcher").await;
    let note = json!({ "action": "register", "note": "核实身份证11010519491231002X，邮箱wang@example.com" });
    app.act_ok(&dispatcher, id, &note).await;

    let case = app.get(&format!("/api/v1/cases/{id}")).bearer(&dispatcher).send().await.text();
    let export = app.get("/api/v1/export/cases?format=jsonl").bearer(&dispatcher).send().await.text();
    let page = app
        .get(&format!("/cases/{id}"))
        .header("cookie", &format!("grassroots_session={dispatcher}"))
        .send()
        .await
        .text();
    let events = app.store.case_events(uuid::Uuid::parse_str(id).unwrap()).await.unwrap();
    let stored = serde_json::to_string(&events.iter().map(|e| &e.kind).collect::<Vec<_>>()).unwrap();
    for (what, text) in [("case", &case), ("export", &export), ("page", &page), ("events", &stored)] {
        assert!(text.contains("139****3333"), "{what}: the number masked as a reporter's is");
        for original in ["13922223333", "11010519491231002X", "wang@example.com"] {
            assert!(!text.contains(original), "{what} shows {original}");
        }
    }
    assert!(case.contains("110105********002X") && case.contains("w***@example.com"));

    let revealed =
        app.post(&format!("/api/v1/cases/{id}/reveal")).bearer(&dispatcher).json(&json!({ "reason": "回访核实" }));
    let revealed = revealed.send().await.json();
    let texts = revealed["texts"].as_array().unwrap();
    assert_eq!(texts.len(), 2, "{revealed}");
    assert_eq!((texts[0]["seq"].as_i64(), texts[0]["field"].as_str()), (Some(1), Some("description")));
    assert_eq!(texts[0]["text"], "请联系我 13922223333 王先生");
    assert!(texts[1]["text"].as_str().unwrap().contains("11010519491231002X"));
    let audit = app.store.audit_entries(uuid::Uuid::parse_str(id).unwrap()).await.unwrap();
    let reveal = audit.iter().find(|a| a.action == "reveal").expect("the reveal is audited");
    assert!(reveal.detail["fields"].as_array().unwrap().iter().any(|f| f == "description@1"), "{}", reveal.detail);
    // The full export reveals the description too, as it reveals the reporter.
    let full = app
        .post("/api/v1/export/cases?format=jsonl")
        .bearer(&dispatcher)
        .json(&json!({ "reason": "回访核实", "confirm": true }));
    assert!(full.send().await.text().contains("13922223333"));
}

async fn a_resident_s_requests_reach_every_case_with_their_phone(app: TestApp) {
    let report = |phone: &str| json!({ "description": "路灯不亮", "address": "东华门街道多福巷社区", "reporter_name": NAME, "reporter_phone": phone });
    let first = app.report(&report(PHONE)).await;
    let second = app.report(&report(&format!("+86 {PHONE}"))).await;
    let other = app.report(&report("13700001111")).await;
    let admin = app.login("admin").await;
    let ask = |body: serde_json::Value| app.post("/api/v1/privacy/requests").bearer(&admin).json(&body).send();

    // See: both of the resident's cases, whatever way the number was written, and only theirs.
    let seen = ask(json!({ "phone": PHONE, "kind": "see", "reference": "身份证核验 2026-12-02 窗口" })).await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    let cases = seen.json()["cases"].as_array().unwrap().clone();
    let numbers: Vec<&str> = cases.iter().map(|c| c["tracking_no"].as_str().unwrap()).collect();
    assert_eq!(numbers, [first["tracking_no"].as_str().unwrap(), second["tracking_no"].as_str().unwrap()]);
    assert!(cases.iter().all(|c| c["personal"]["phone"] == PHONE && c["personal"]["name"] == NAME));
    for (body, field) in [
        (json!({ "phone": "123", "kind": "see", "reference": "x" }), "phone"),
        (json!({ "phone": PHONE, "kind": "see", "reference": " " }), "reference"),
        (json!({ "phone": PHONE, "kind": "forget", "reference": "x" }), "kind"),
        (json!({ "phone": PHONE, "kind": "correct", "reference": "x" }), "name"),
    ] {
        let refused = ask(body).await;
        assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some(field)));
    }

    // Correct: a new name on both, audited with the reference.
    let corrected = ask(json!({ "phone": PHONE, "kind": "correct", "reference": "电话核验", "name": "李四" })).await;
    assert_eq!(corrected.json()["cases"].as_array().unwrap().len(), 2);
    let dispatcher = app.login("dispatcher").await;
    let shown = app.get(&format!("/api/v1/cases/{}", first["id"].as_str().unwrap())).bearer(&dispatcher).send().await;
    assert_eq!(shown.json()["case"]["reporter"]["name"], "李*");
    let audit = app.store.audit_entries(uuid::Uuid::parse_str(first["id"].as_str().unwrap()).unwrap()).await.unwrap();
    let entry = audit.iter().find(|a| a.action == "personal_data_corrected").expect("audited");
    assert_eq!(entry.detail["reference"], "电话核验");

    // Delete: both erased, the other resident's case untouched.
    let deleted = ask(json!({ "phone": PHONE, "kind": "delete", "reference": "书面申请 第12号" })).await;
    assert_eq!(deleted.json()["cases"].as_array().unwrap().len(), 2);
    let after = ask(json!({ "phone": PHONE, "kind": "see", "reference": "复核" })).await;
    assert!(after.json()["cases"].as_array().unwrap().is_empty(), "nothing is found by the number any more");
    let erased =
        app.get(&format!("/api/v1/cases/{}", second["id"].as_str().unwrap())).bearer(&dispatcher).send().await.json();
    assert!(
        erased["case"]["reporter"]["phone"].is_null()
            && erased["case"]["description"].as_str().unwrap().contains("erased")
    );
    let kept = ask(json!({ "phone": "13700001111", "kind": "see", "reference": "核验" })).await.json();
    assert_eq!(kept["cases"][0]["tracking_no"], other["tracking_no"]);
    assert_eq!(
        app.post("/api/v1/privacy/requests")
            .bearer(&dispatcher)
            .json(&json!({ "phone": PHONE, "kind": "see", "reference": "x" }))
            .send()
            .await
            .status,
        403
    );
}

async fn the_privacy_page_records_a_request(app: TestApp) {
    let created = app.report(&json!({ "description": "路灯不亮", "address": "东华门街道多福巷社区", "reporter_name": NAME, "reporter_phone": PHONE })).await;
    let cookie = format!("grassroots_session={}", app.login("admin").await);
    let origin = format!("http://{}", app.addr);
    assert_eq!(app.get("/admin/privacy").header("cookie", &cookie).send().await.status, 200);
    let post = |form: String| {
        app.post("/admin/privacy")
            .header("cookie", &cookie)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", form)
    };
    let seen = post(format!("phone={PHONE}&kind=see&reference={}", enc("窗口核验"))).send().await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.header("cache-control"), Some("no-store"));
    let html = seen.text();
    assert!(html.contains(created["tracking_no"].as_str().unwrap()) && html.contains(PHONE) && html.contains(NAME));
    let bad = post(format!("phone=123&kind=see&reference={}", enc("窗口核验"))).send().await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("p-phone-error"), "the error beside its field");
}
