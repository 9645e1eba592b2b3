//! The resident portal through its pages: placing a report on the server-drawn map, the form
//! and its errors, the answer with the tracking number, following and rating a case, and the
//! public list — each on both backends.

mod support;

use grassroots_domain::case::LocatedBy;
use grassroots_domain::Scope;
use grassroots_store::prelude::*;
use grassroots_store::CaseFilter;
use serde_json::json;
use support::*;

/// The value of `name="…" value="…"` or of an element with `id="…"`, from a page.
fn attr_after<'a>(html: &'a str, marker: &str, attr: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}"));
    let rest = &html[at..];
    let start = rest.find(&format!("{attr}=\"")).expect("the attribute") + attr.len() + 2;
    &rest[start..start + rest[start..].find('"').unwrap()]
}

fn text_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\">")).unwrap_or_else(|| panic!("no #{id}")) + id.len() + 6;
    &html[at..at + html[at..].find('<').unwrap()]
}

fn here(app: &TestApp) -> String {
    format!("http://{}", app.addr)
}

async fn a_resident_places_a_report_on_the_map_and_gets_a_tracking_number(app: TestApp) {
    let home = app.get("/").send().await;
    assert_eq!(home.status, 200);
    assert!(home.text().contains(r#"href="/report""#));

    // Step one: the whole district; a click in its middle picks a place and zooms in.
    let page = app.get("/report").send().await.text();
    let frame = attr_after(&page, r#"name="frame""#, "value").to_string();
    assert!(page.contains(r#"<input type="image" name="spot""#));
    let svg = app.get(&format!("/report/map.svg?frame={}", enc(&frame))).send().await;
    assert_eq!(svg.header("content-type"), Some("image/svg+xml; charset=utf-8"));
    assert!(svg.text().starts_with("<svg"));
    let clicked = app.get(&format!("/report?frame={}&spot.x=170&spot.y=200", enc(&frame))).send().await.text();
    assert!(clicked.contains("东城区"), "the chosen place is named");
    let next = attr_after(&clicked, r#"class="button""#, "href").replace("&#38;", "&");
    assert!(next.starts_with("/report/details?lng=116.") && next.contains("&lat=39."), "{next}");
    assert_ne!(attr_after(&clicked, r#"name="frame""#, "value"), frame, "zoomed in around the point");
    // Far outside the district: said so, nothing chosen.
    let outside = app.get(&format!("/report?frame={}&spot.x=2&spot.y=2", enc(&frame))).send().await.text();
    assert!(outside.contains("不在本平台服务范围内") && !outside.contains(r#"class="button""#));

    // Step two, at a point in a grid: the grid is named; the report goes in with a photo.
    let (lng, lat) = IN_GRID;
    let form = app.get(&format!("/report/details?lng={lng}&lat={lat}")).send().await.text();
    assert!(form.contains("多福巷社区第1网格") || form.contains(GRID), "the grid is named: {form}");
    let png: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    let (lng, lat) = (lng.to_string(), lat.to_string());
    // The form carries a key drawn for it, so that sending it twice makes one case.
    let key = attr_after(&form, r#"name="idempotency_key""#, "value");
    assert!(key.len() >= 16, "{key}");
    let fields = [
        ("lng", lng.as_str()),
        ("lat", lat.as_str()),
        ("category_code", "0301"),
        ("description", "路灯不亮已经三天了"),
        ("address", ""),
        ("reporter_name", ""),
        ("reporter_phone", PHONE),
        ("idempotency_key", key),
    ];
    let before = app.case_count().await;
    let send = || {
        app.post("/report/details")
            .header("origin", &here(&app))
            .multipart(&fields, &[("photo", "lamp.png", png), ("photo", "", b"")])
            .send()
    };
    let done = send().await;
    assert_eq!(done.status, 201, "{}", done.text());
    let html = done.text();
    let (no, code) = (text_of(&html, "tracking-no").to_string(), text_of(&html, "query-code").to_string());
    assert_eq!((no.len(), code.len()), (14, 6));
    assert!(html.contains("照片: 1"), "one photo; the empty file part is none");
    let twice = send().await.text();
    assert_eq!((text_of(&twice, "tracking-no"), text_of(&twice, "query-code")), (no.as_str(), code.as_str()));
    assert_eq!(app.case_count().await, before + 1, "the form sent twice made one case");

    // Following it: the number and code open the case's own link, which shows its state and
    // timeline, what the resident wrote and their photo.
    let opened = app
        .post("/track")
        .header("origin", &here(&app))
        .body_with_type("application/x-www-form-urlencoded", format!("tracking_no={no}&code={code}"))
        .send()
        .await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    let link = opened.header("location").unwrap().to_string();
    assert!(link.starts_with(&format!("/track?t={no}.")) && !link.contains(&code), "a token, not the code: {link}");
    let html = app.get(&link).send().await.text();
    assert!(text_of(&html, "case-state").contains("已受理"));
    assert!(html.contains("您的诉求已受理") && !html.contains(PHONE), "the timeline, nothing personal");
    assert_eq!(text_of(&html, "own-description"), "路灯不亮已经三天了");
    let photo = attr_after(&html, r#"class="photos""#, "src").replace("&#38;", "&");
    let served = app.get(&photo).send().await;
    assert_eq!((served.status, served.header("content-type")), (200, Some("image/png")));
    let forged = app.get(&photo.replace(".", "0")).send().await;
    assert_eq!(forged.status, 404, "a photo needs the case's link");
}

async fn form_errors_keep_the_input_and_name_the_field(app: TestApp) {
    let before = app.case_count().await;
    let fields = [
        ("lng", ""),
        ("lat", ""),
        ("category_code", "0301"),
        ("description", "  "),
        ("address", "东华门街道多福巷社区5号"),
        ("reporter_name", "张三"),
        ("reporter_phone", PHONE),
    ];
    let res = app.post("/report/details").header("origin", &here(&app)).multipart(&fields, &[]).send().await;
    assert_eq!(res.status, 422);
    let html = res.text();
    assert!(html.contains(r#"id="description-error""#), "the error sits by its field");
    assert!(html.contains(r#"aria-describedby="description-error""#));
    assert!(html.contains(r#"value="东华门街道多福巷社区5号""#) && html.contains(&format!(r#"value="{PHONE}""#)));
    assert!(html.contains(r#"<option value="0301" selected>"#), "the category stays chosen");
    // A phone that is not one, and a photo that is not an image: named too.
    let mut bad_phone = fields;
    bad_phone[3] = ("description", "井盖丢了");
    bad_phone[6] = ("reporter_phone", "12345");
    let res = app.post("/report/details").header("origin", &here(&app)).multipart(&bad_phone, &[]).send().await;
    assert!(res.text().contains(r#"id="reporter_phone-error""#), "{}", res.text());
    let res = app
        .post("/report/details")
        .header("origin", &here(&app))
        .multipart(&fields, &[("photo", "x.txt", b"not an image")])
        .send()
        .await;
    assert!(res.text().contains(r#"id="photo-error""#));
    // Another site's form is refused.
    let forged =
        app.post("/report/details").header("origin", "http://evil.example").multipart(&fields, &[]).send().await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.case_count().await, before, "nothing was created");

    let wrong = app
        .post("/track")
        .body_with_type("application/x-www-form-urlencoded", "tracking_no=26010100000000&code=000000")
        .send()
        .await;
    assert_eq!(wrong.status, 404);
    assert!(wrong.text().contains("受理编号或查询码不正确") && wrong.text().contains(r#"value="26010100000000""#));
}

async fn a_closed_case_is_rated_through_the_tracking_page(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let (no, code) = (created["tracking_no"].as_str().unwrap(), created["query_code"].as_str().unwrap());
    let (dispatcher, handler, supervisor) =
        (app.login("dispatcher").await, app.login("handler-a").await, app.login("supervisor").await);
    for (token, mv) in [
        (&dispatcher, json!({ "action": "register" })),
        (&dispatcher, json!({ "action": "dispatch", "unit": UNIT_A })),
        (&handler, json!({ "action": "accept" })),
        (&handler, json!({ "action": "contact", "note": "已电话联系" })),
        (&handler, json!({ "action": "report_handled", "result": "已更换灯泡" })),
        (&supervisor, json!({ "action": "close" })),
    ] {
        app.act_ok(token, id, &mv).await;
    }
    let post = |path: &str, body: String| {
        app.post(path).header("origin", &here(&app)).body_with_type("application/x-www-form-urlencoded", body)
    };
    let opened = post("/track", format!("tracking_no={no}&code={code}")).send().await;
    let link = opened.header("location").expect("the case's link").to_string();
    let token = link.strip_prefix("/track?t=").unwrap().to_string();
    let html = app.get(&link).send().await.text();
    assert!(html.contains("已更换灯泡") && html.contains(r#"name="satisfaction" value="satisfied""#));
    assert!(!html.contains(r#"action="/track/additions""#), "nothing to add to a closed case");
    let bad = post("/track/evaluation", format!("t={token}&resolved=yes&satisfaction=great")).send().await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("已更换灯泡"), "the case stays on the page with the error");
    let rated =
        post("/track/evaluation", format!("t={token}&resolved=yes&satisfaction=satisfied&comment=%E5%BE%88%E5%BF%AB"))
            .send()
            .await;
    assert_eq!(rated.status, 303, "{}", rated.text());
    let html = app.get(rated.header("location").unwrap()).send().await.text();
    assert!(html.contains("感谢您的评价") && html.contains("已解决 · 满意"));
    assert!(!html.contains(r#"name="satisfaction""#), "rated once per round");
    let stored = app.get(&format!("/api/v1/track/{no}?code={code}")).send().await.json();
    assert_eq!(stored["evaluation"]["satisfaction"], "satisfied");
}

async fn a_resident_who_asked_for_messages_adds_to_the_case_through_its_link(app: TestApp) {
    let landline = app
        .report_raw(&json!({ "description": "路灯不亮", "address": "东华门街道多福巷社区",
                              "reporter_phone": "010-65123456", "notify": true }))
        .await;
    assert_eq!((landline.status, landline.error_field().as_deref()), (422, Some("notify")), "a mobile needed");
    let created = app
        .report(&json!({ "description": "楼道里堆满杂物", "category_code": "0301", "address": "东华门街道多福巷社区",
                         "reporter_phone": PHONE, "notify": true }))
        .await;
    let id = created["id"].as_str().unwrap();
    let dispatcher = app.login("dispatcher").await;
    app.act_ok(&dispatcher, id, &json!({ "action": "register" })).await;
    app.act_ok(&dispatcher, id, &json!({ "action": "dispatch", "unit": UNIT_A })).await;
    let case_id = uuid::Uuid::parse_str(id).unwrap();
    let queued = app.store.messages(Some(case_id), 10).await.unwrap();
    assert_eq!(queued.len(), 1, "one message: the dispatch");

    let no = created["tracking_no"].as_str().unwrap();
    let token = app.store.resident_link_token(no, chrono::Utc::now() + chrono::Duration::days(1));
    let page = app.get(&format!("/track?t={token}")).send().await.text();
    assert!(page.contains(r#"action="/track/additions""#), "an open case takes additions");
    let png: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    let fields = [("t", token.as_str()), ("text", "又堆了两箱")];
    let foreign = app.post("/track/additions").header("origin", "http://evil.example").multipart(&fields, &[]);
    assert_eq!(foreign.send().await.status, 403);
    let events_before = app.store.case_events(case_id).await.unwrap().len();
    let empty = [("t", token.as_str()), ("text", " ")];
    let refused = app.post("/track/additions").header("origin", &here(&app)).multipart(&empty, &[]).send().await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("请写下要补充的情况"));
    assert_eq!(app.store.case_events(case_id).await.unwrap().len(), events_before, "nothing added");
    let added = app
        .post("/track/additions")
        .header("origin", &here(&app))
        .multipart(&fields, &[("photo", "more.png", png)])
        .send()
        .await;
    assert_eq!(added.status, 303, "{}", added.text());
    let html = app.get(added.header("location").unwrap()).send().await.text();
    assert!(html.contains("已补充") && html.contains("您补充了情况：又堆了两箱（附照片1张）"), "{html}");

    // The unit handling it sees the addition on the case.
    let handler = app.login("handler-a").await;
    let seen = app.get(&format!("/api/v1/cases/{id}")).bearer(&handler).send().await.json();
    let last = seen["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"]["kind"].as_str(), last["actor_kind"].as_str()), (Some("supplemented"), Some("resident")));
    let photos = app.get(&format!("/api/v1/cases/{id}/attachments")).bearer(&handler).send().await.json();
    assert_eq!(photos["attachments"].as_array().unwrap().len(), 1);
}

async fn a_resident_joins_an_open_report_nearby_instead_of_opening_another(app: TestApp) {
    let first = app
        .report(&json!({ "description": "井盖松动，车过有响声", "category_code": "0302",
                         "lat": 39.9149, "lng": 116.4109, "anonymous": true }))
        .await;
    let no = first["tracking_no"].as_str().unwrap().to_string();
    let before = app.case_count().await;
    let fields = [
        ("lng", "116.411000"),
        ("lat", "39.915000"),
        ("category_code", "0302"),
        ("description", "这里井盖松了"),
        ("address", ""),
        ("reporter_name", ""),
        ("reporter_phone", PHONE),
        ("notify", "on"),
    ];
    let offered = app.post("/report/details").header("origin", &here(&app)).multipart(&fields, &[]).send().await;
    assert_eq!(offered.status, 200, "{}", offered.text());
    let html = offered.text();
    assert!(html.contains(r#"id="nearby""#) && html.contains(&format!(r#"name="tracking_no" value="{no}""#)), "{html}");
    assert!(!html.contains("井盖松动，车过有响声"), "nothing of the other report's words");
    assert!(html.contains(r#"name="send_as_new" value="1""#));
    assert_eq!(app.case_count().await, before, "nothing sent yet");

    let join = |origin: &str| {
        app.post("/report/join").header("origin", origin).body_with_type(
            "application/x-www-form-urlencoded",
            format!("tracking_no={no}&reporter_phone={PHONE}&notify=on"),
        )
    };
    assert_eq!(join("http://evil.example").send().await.status, 403);
    let joined = join(&here(&app)).send().await;
    assert_eq!(joined.status, 200, "{}", joined.text());
    let html = joined.text();
    assert!(text_of(&html, "supporters").contains(" 1 "), "{html}");
    assert!(html.contains("会发短信告诉您"));
    assert_eq!(app.case_count().await, before, "joined, no new case");

    // Those who joined follow it as the public sees it.
    let public = app.get(&format!("/public/cases/{no}")).send().await.text();
    assert_eq!(text_of(&public, "supporters"), "1");
    assert!(!public.contains("井盖松动") && !public.contains(PHONE), "nothing personal: {public}");

    // Not the same problem after all: sent again, it is a new case.
    let mut again = fields.to_vec();
    again.push(("send_as_new", "1"));
    let created = app.post("/report/details").header("origin", &here(&app)).multipart(&again, &[]).send().await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(app.case_count().await, before + 1);

    // A sensitive case is neither shown nor joined.
    let private = app
        .report(&json!({ "description": "家里有矛盾", "category_code": "1602", "lat": 39.9149, "lng": 116.4109,
                         "anonymous": true }))
        .await;
    let hidden = private["tracking_no"].as_str().unwrap();
    assert_eq!(app.get(&format!("/public/cases/{hidden}")).send().await.status, 404);
    let refused = app
        .post("/report/join")
        .header("origin", &here(&app))
        .body_with_type("application/x-www-form-urlencoded", format!("tracking_no={hidden}"))
        .send()
        .await;
    assert_eq!(refused.status, 404);
}

async fn the_public_list_shows_recent_cases_without_anything_personal(app: TestApp) {
    let (lng, lat) = IN_GRID;
    app.report(&json!({ "description": "楼道里堆满杂物，张三家门口", "category_code": "1701", "lng": lng, "lat": lat,
        "reporter_name": NAME, "reporter_phone": PHONE }))
        .await;
    for _ in 0..5 {
        app.report(&json!({ "description": "路灯不亮", "category_code": "0301", "lng": lng, "lat": lat })).await;
    }
    app.report(&json!({ "description": "夫妻吵架，邻居报告", "category_code": "1602", "lng": lng, "lat": lat })).await;
    let html = app.get("/public").send().await.text();
    assert!(html.contains("东华门街道"), "the street");
    for personal in [NAME, PHONE, MASKED_PHONE, "张三家门口", "路灯不亮", "夫妻吵架", "婚姻家庭纠纷"]
    {
        assert!(!html.contains(personal), "shows {personal}");
    }
    let rows: Vec<&str> = html.split("<tr><td>").skip(1).collect();
    assert_eq!(rows.len(), 6, "the family dispute is not published");
    for row in &rows {
        let day = &row[..row.find("</td>").unwrap()];
        assert_eq!(day.len(), 10, "the day, not the time: {day}");
    }
    let (lamps, others): (Vec<&&str>, Vec<&&str>) = rows.iter().partition(|r| r.contains("路灯"));
    assert_eq!((lamps.len(), others.len()), (5, 1));
    assert!(lamps.iter().all(|r| r.contains("社区")), "five street-light cases: their community is shown");
    assert!(!others[0].contains("社区"), "one fire-safety case: only its street, {}", others[0]);
    assert_eq!(html.matches("<circle cx=").count(), 5, "only the group of five is drawn on the map");
    let filtered = app.get("/public?category=0301").send().await.text();
    assert_eq!(filtered.matches("<tr><td>").count(), 5);
    assert_eq!(app.get("/public?category=1602").send().await.text().matches("<tr><td>").count(), 0);
    assert_eq!(app.get("/public?street=110101").send().await.status, 422);
    assert_eq!(app.get("/public?category=9999").send().await.status, 422);
}

/// Whatever refuses a resident's page — the query-code limit, the address limit, a form too
/// large, a page that does not exist — answers a page in the resident's language saying so,
/// with its own status, never JSON and never "internal error".
async fn refusals_are_pages_that_say_why(app: TestApp) {
    let app = app
        .with_config(grassroots_web::Config {
            public_rate: grassroots_web::RateLimit { per_minute: 1, burst: 3 },
            ..Default::default()
        })
        .await;
    let is_page = |res: &Response| res.header("content-type").is_some_and(|t| t.starts_with("text/html"));
    let track = |body: &str| {
        app.post("/track")
            .header("origin", &here(&app))
            .body_with_type("application/x-www-form-urlencoded", body.to_string())
    };
    let too_large = app
        .post("/login")
        .header("origin", &here(&app))
        .body_with_type("application/x-www-form-urlencoded", format!("username={}", "x".repeat(100 * 1024)))
        .send()
        .await;
    assert_eq!(too_large.status, 413);
    assert!(is_page(&too_large) && too_large.text().contains("请求体过大"), "{}", too_large.text());
    for _ in 0..2 {
        assert_eq!(track("tracking_no=26010100000000&code=000000").send().await.status, 404);
    }
    let limited = track("tracking_no=26010100000000&code=000000").send().await;
    assert_eq!(limited.status, 429);
    assert!(is_page(&limited) && limited.text().contains("请求过于频繁"), "{}", limited.text());
    assert!(limited.header("retry-after").is_some());
    // A mistyped API address: a page for a browser going there, JSON for a program.
    let typed = app.get("/api/v1/casez").header("sec-fetch-mode", "navigate").send().await;
    assert_eq!(typed.status, 404);
    assert!(is_page(&typed) && typed.text().contains("不存在"), "{}", typed.text());
    let called = app.get("/api/v1/casez").send().await;
    assert_eq!((called.status, called.header("content-type")), (404, Some("application/json")));
    let english = app.get("/no/such/page").header("cookie", "lang=en").send().await;
    assert_eq!(english.status, 404);
    assert!(is_page(&english) && english.text().contains("not found"), "{}", english.text());
}

/// An address that names nothing finer than the district is questioned once before it is
/// sent; one naming a landmark is placed at it; the box suggests streets, communities and
/// landmarks; a device position outside the district is refused before anything is typed.
async fn a_vague_address_is_questioned_once_and_a_landmark_places_the_report(app: TestApp) {
    let form = app.get("/report/details").send().await.text();
    assert!(form.contains(r#"list="places""#) && form.contains(r#"<datalist id="places">"#));
    for suggestion in ["东华门街道", "东华门街道多福巷社区", "王府井", "故宫"] {
        assert!(form.contains(&format!(r#"<option value="{suggestion}">"#)), "{suggestion} is suggested");
    }
    assert!(!form.contains("send_as_typed") && !form.contains("如需上传照片"));

    let before = app.case_count().await;
    let fields = [
        ("lng", ""),
        ("lat", ""),
        ("category_code", "0301"),
        ("description", "路灯不亮"),
        ("address", "北京市东城区"),
        ("anonymous", "on"),
    ];
    let asked = app.post("/report/details").header("origin", &here(&app)).multipart(&fields, &[]).send().await;
    assert_eq!(asked.status, 422);
    let html = asked.text();
    assert!(html.contains(r#"id="address-error">这个地址找不到对应的街道、社区或地标"#), "{html}");
    assert!(html.contains(r#"name="send_as_typed""#) && html.contains("按此地址提交"));
    assert!(!html.contains("如需上传照片"), "no photos were chosen: none to choose again");
    assert_eq!(app.case_count().await, before, "nothing sent yet");
    let mut again = fields.to_vec();
    again.push(("send_as_typed", "1"));
    let sent = app.post("/report/details").header("origin", &here(&app)).multipart(&again, &[]).send().await;
    assert_eq!(sent.status, 201, "{}", sent.text());

    let mut landmark = fields.to_vec();
    landmark[4] = ("address", "王府井大街255号");
    let placed = app.post("/report/details").header("origin", &here(&app)).multipart(&landmark, &[]).send().await;
    assert_eq!(placed.status, 201, "{}", placed.text());
    let tracking_no = text_of(&placed.text(), "tracking-no").to_string();
    let page = app.store.list_cases(&Scope::All, &CaseFilter { limit: 5, ..CaseFilter::default() }).await.unwrap();
    let case = page.cases.iter().find(|c| c.record.tracking_no == tracking_no).expect("the new case");
    assert_eq!(case.record.place.street_code.as_deref(), Some("110101001"), "王府井 is in 东华门街道");
    assert_eq!(case.record.place.located_by, Some(LocatedBy::Address));

    let outside = app.get("/report/details?lng=116.0&lat=39.0").send().await.text();
    assert!(outside.contains("不在本平台服务范围内") && !outside.contains(r#"value="116.000000""#), "{outside}");
}

api_tests!(
    a_vague_address_is_questioned_once_and_a_landmark_places_the_report,
    refusals_are_pages_that_say_why,
    a_resident_places_a_report_on_the_map_and_gets_a_tracking_number,
    form_errors_keep_the_input_and_name_the_field,
    a_closed_case_is_rated_through_the_tracking_page,
    a_resident_who_asked_for_messages_adds_to_the_case_through_its_link,
    a_resident_joins_an_open_report_nearby_instead_of_opening_another,
    the_public_list_shows_recent_cases_without_anything_personal,
);
