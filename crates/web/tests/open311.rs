//! Open311 GeoReport v2 at /open311/v2, in both formats and on both backends: discovery,
//! services, posting with a key, reading requests by id and by filters, and the errors.

mod support;

use grassroots_store::prelude::*;
use serde_json::Value;
use support::*;

const KEY: &str = "test-open311-key-0123456789abcdef";

async fn keyed(app: &TestApp) {
    app.store
        .create_api_key("测试客户端", &grassroots_store::auth::digest(KEY), &Default::default(), chrono::Utc::now())
        .await
        .unwrap();
}

fn form<'a>(app: &'a TestApp, file: &str, body: &str) -> Req<'a> {
    app.post(&format!("/open311/v2/{file}")).body_with_type("application/x-www-form-urlencoded", body.to_string())
}

async fn discovery_and_services_in_both_formats(app: TestApp) {
    let json = app.get("/open311/v2/discovery.json").send().await;
    assert_eq!(json.status, 200);
    assert_eq!(json.json()["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
    let xml = app.get("/open311/v2/discovery.xml").send().await;
    assert_eq!(xml.header("content-type"), Some("text/xml; charset=utf-8"));
    assert!(xml.text().contains("<format>application/json</format>"));

    let services = app.get("/open311/v2/services.json").send().await.json();
    let lights = services.as_array().unwrap().iter().find(|s| s["service_code"] == "0301").expect("路灯").clone();
    assert_eq!((lights["service_name"].as_str(), lights["group"].as_str()), (Some("路灯"), Some("市政设施")));
    assert_eq!(lights["metadata"], false);
    assert!(!services.as_array().unwrap().iter().any(|s| s["service_code"] == "03"), "groups are not services");
    let xml = app.get("/open311/v2/services.xml").send().await.text();
    assert!(xml.contains("<service><service_code>0301</service_code><service_name>路灯</service_name>"));

    let definition = app.get("/open311/v2/services/0301.json").send().await;
    assert_eq!(definition.status, 404);
    assert_eq!(definition.json()[0]["code"], 404);
    assert_eq!(app.get("/open311/v2/services.html").send().await.status, 404);
    assert_eq!(app.get("/open311/v2/tokens/abc.xml").send().await.status, 404);
}

async fn a_posted_request_enters_the_loop_and_is_read_back(app: TestApp) {
    keyed(&app).await;
    let (lng, lat) = IN_GRID;
    let body = |key: &str, extra: &str| {
        format!(
            "api_key={key}&service_code=0301&lat={lat}&long={lng}&description={}&first_name=%E5%BC%A0&last_name=%E4%B8%89&phone={PHONE}{extra}",
            enc("路灯不亮")
        )
    };
    let before = app.case_count().await;
    let refused = form(&app, "requests.json", &body("wrong", "")).send().await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()[0]["code"], 403);
    let xml_refused = form(&app, "requests.xml", &body("", "")).send().await;
    assert!(xml_refused.text().contains("<errors><error><code>403</code>"));
    let attribute = form(&app, "requests.json", &body(KEY, "&attribute%5Bcolour%5D=red")).send().await;
    assert_eq!(attribute.status, 400);
    assert!(attribute.json()[0]["description"].as_str().unwrap().contains("attribute[colour]"));
    let unknown =
        form(&app, "requests.json", &format!("api_key={KEY}&service_code=9999&address_string=x")).send().await;
    assert_eq!(unknown.status, 400);
    let nowhere = form(&app, "requests.json", &format!("api_key={KEY}&service_code=0301")).send().await;
    assert_eq!(nowhere.status, 400, "a place is needed");
    assert_eq!(app.case_count().await, before, "refused requests create nothing");

    let created = form(&app, "requests.json", &body(KEY, "")).send().await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()[0]["service_request_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 14);
    let xml = form(&app, "requests.xml", &body(KEY, "")).send().await;
    assert!(xml.text().contains("<service_requests><request><service_request_id>"), "{}", xml.text());

    // The same case the staff see: channel Open311, placed in its grid, reporter masked.
    let dispatcher = app.login("dispatcher").await;
    let listed = app.get(&format!("/api/v1/cases?text={id}")).bearer(&dispatcher).send().await.json();
    let case = &listed["cases"][0];
    assert_eq!((case["channel"].as_str(), case["place"]["grid_code"].as_str()), (Some("open311"), Some(GRID)));
    assert_eq!(case["reporter"]["phone"], MASKED_PHONE);

    // Read back: public fields only; the description to key holders.
    let read = app.get(&format!("/open311/v2/requests/{id}.json")).send().await.json();
    let r = &read[0];
    assert_eq!((r["status"].as_str(), r["service_code"].as_str()), (Some("open"), Some("0301")));
    assert!(r["requested_datetime"].as_str().unwrap().ends_with("T00:00:00+08:00"), "the day, not the time");
    assert_eq!(r["description"], Value::Null);
    assert_eq!(r["lat"], Value::Null, "two street-light cases in the community: too few to show where");
    assert!(!read.to_string().contains(PHONE) && !read.to_string().contains("张三"));
    let keyed_read = app.get(&format!("/open311/v2/requests/{id}.json?api_key={KEY}")).send().await.json();
    assert_eq!(keyed_read[0]["description"], "路灯不亮");
    assert_eq!(keyed_read[0]["lat"].as_f64(), Some(IN_GRID.1), "exact with a key");
    let xml = app.get(&format!("/open311/v2/requests/{id}.xml")).send().await.text();
    assert!(xml.contains(&format!("<service_request_id>{id}</service_request_id><status>open</status>")));
    assert_eq!(app.get("/open311/v2/requests/26010100000000.json").send().await.status, 404);
    // The update history, as the common extension gives it.
    let history = app.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).send().await.json();
    assert_eq!(history[0]["notes"][0]["type"], "received");
    assert!(history[0]["notes"][0]["summary"].as_str().unwrap().contains("已受理"));
    let xml = app.get(&format!("/open311/v2/requests/{id}.xml?extensions=true")).send().await.text();
    assert!(xml.contains("<notes><note><datetime>"), "{xml}");

    // By filters: service, status, period and pages.
    let open = app.get("/open311/v2/requests.json?service_code=0301&status=open").send().await.json();
    assert_eq!(open.as_array().unwrap().len(), 2);
    let closed = app.get("/open311/v2/requests.json?status=closed").send().await.json();
    assert!(closed.as_array().unwrap().is_empty());
    let second = app.get("/open311/v2/requests.json?page_size=1&page=2").send().await.json();
    assert_eq!(second.as_array().unwrap().len(), 1);
    assert_ne!(second[0]["service_request_id"], open[0]["service_request_id"], "page 2 is the older one");
    let future =
        app.get("/open311/v2/requests.json?start_date=2099-01-01T00:00:00Z&end_date=2099-02-01T00:00:00Z").send().await;
    assert!(future.json().as_array().unwrap().is_empty());
    let by_ids =
        app.get(&format!("/open311/v2/requests.json?service_request_id={id},26010100000000")).send().await.json();
    assert_eq!(by_ids.as_array().unwrap().len(), 1);
    assert_eq!(app.get("/open311/v2/requests.json?status=pending").send().await.status, 400);
    let past_the_end = app.get("/open311/v2/requests.json?page_size=2&page=2").send().await.json();
    assert!(past_the_end.as_array().unwrap().is_empty(), "past the end: nothing");
    assert_eq!(app.get("/open311/v2/requests.json?page_size=200&page=1000").send().await.status, 400);
    let several = app.get("/open311/v2/requests.json?service_code=0301,0302").send().await.json();
    assert_eq!(several.as_array().unwrap().len(), 2);
    // An unencoded + of a time zone arrives as a space; far-off years are refused, not a crash.
    let plus = app.get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00+08:00").send().await;
    assert_eq!(plus.status, 200, "{}", plus.text());
    assert_eq!(app.get("/open311/v2/requests.json?start_date=-262143-01-01").send().await.status, 400);
    assert_eq!(app.get("/open311/v2/requests.json?start_date=yesterday").send().await.status, 400);

    // Five street-light cases in the community: its point is shown, rounded.
    for _ in 0..3 {
        assert_eq!(form(&app, "requests.json", &body(KEY, "")).send().await.status, 201);
    }
    // The groups are counted every few minutes: a server started now counts five.
    let app = app.with_config(grassroots_web::Config::default()).await;
    let grown = app.get(&format!("/open311/v2/requests/{id}.json")).send().await.json();
    assert_eq!(grown[0]["lat"].as_f64(), Some(((IN_GRID.1) * 1000.0).round() / 1000.0), "five: rounded without a key");

    // A family dispute is never published: not listed, not found by its number, without a key.
    let family =
        form(&app, "requests.json", &body(KEY, "").replace("service_code=0301", "service_code=1602")).send().await;
    assert_eq!(family.status, 201, "{}", family.text());
    let family_id = family.json()[0]["service_request_id"].as_str().unwrap().to_string();
    let listed = app.get("/open311/v2/requests.json?page_size=200").send().await.text();
    // Its category, not any digits a tracking number may happen to hold.
    assert!(!listed.contains(&family_id) && !listed.contains("\"service_code\":\"1602\""), "{listed}");
    assert_eq!(app.get(&format!("/open311/v2/requests/{family_id}.json")).send().await.status, 404);
    let keyed = app.get(&format!("/open311/v2/requests/{family_id}.json?api_key={KEY}")).send().await;
    assert_eq!(keyed.status, 200, "a key holder in the region sees it");

    // A retry with its Idempotency-Key is answered with the request it made.
    let counted = app.case_count().await;
    let retried = || form(&app, "requests.json", &body(KEY, "")).header("idempotency-key", "open311-retry-0123456789");
    let (once, twice) = (retried().send().await.json(), retried().send().await.json());
    assert_eq!(once[0]["service_request_id"], twice[0]["service_request_id"]);
    assert_eq!(app.case_count().await, counted + 1);
}

async fn keys_are_held_to_what_they_may_do_and_where(app: TestApp) {
    let street = &GRID[..9];
    let other_street = if street.ends_with('1') { "110101002" } else { "110101001" };
    let issue = |key: &'static str, read_only: bool, region: Option<&str>| {
        let scope = grassroots_store::KeyScope { read_only, region: region.map(str::to_string) };
        let store = app.store.clone();
        async move {
            store.create_api_key(key, &grassroots_store::auth::digest(key), &scope, chrono::Utc::now()).await.unwrap()
        }
    };
    issue("reader-key-0123456789abcdef", true, None).await;
    let street_key = issue("street-key-0123456789abcdef", false, Some(street)).await;
    issue("elsewhere-key-0123456789abcdef", false, Some(other_street)).await;
    let (lng, lat) = IN_GRID;
    let post = |key: &str| {
        form(
            &app,
            "requests.json",
            &format!("api_key={key}&service_code=0301&lat={lat}&long={lng}&description={}", enc("路灯不亮")),
        )
    };
    let before = app.case_count().await;
    let read_only = post("reader-key-0123456789abcdef").send().await;
    assert_eq!(read_only.status, 403);
    assert!(read_only.json()[0]["description"].as_str().unwrap().contains("may read"), "{}", read_only.text());
    let elsewhere = post("elsewhere-key-0123456789abcdef").send().await;
    assert_eq!(elsewhere.status, 403);
    assert!(elsewhere.json()[0]["description"].as_str().unwrap().contains(other_street));
    assert_eq!(app.case_count().await, before, "refused posts create nothing");
    let made = post("street-key-0123456789abcdef").send().await;
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()[0]["service_request_id"].as_str().unwrap().to_string();
    let filter = grassroots_store::CaseFilter { limit: 500, ..Default::default() };
    let cases = app.store.list_cases(&grassroots_domain::Scope::All, &filter).await.unwrap().cases;
    let case = cases.iter().find(|c| c.record.tracking_no == id).unwrap();
    let received = &app.store.case_events(case.record.id).await.unwrap()[0];
    assert_eq!(
        (received.actor_kind.as_str(), received.actor_id),
        ("api_key", Some(street_key.id)),
        "the key that posted is recorded as the reporter"
    );

    for (key, description) in [
        ("street-key-0123456789abcdef", Value::from("路灯不亮")),
        ("reader-key-0123456789abcdef", Value::from("路灯不亮")),
        ("elsewhere-key-0123456789abcdef", Value::Null),
    ] {
        let read = app.get(&format!("/open311/v2/requests/{id}.json?api_key={key}")).send().await.json();
        assert_eq!(read[0]["description"], description, "{key}: in full only within its region");
    }
    let refused = app
        .store
        .create_api_key(
            "x",
            "digest",
            &grassroots_store::KeyScope { read_only: false, region: Some("abc".into()) },
            chrono::Utc::now(),
        )
        .await;
    assert!(refused.is_err(), "a region must be a region code");
}

api_tests!(
    discovery_and_services_in_both_formats,
    a_posted_request_enters_the_loop_and_is_read_back,
    keys_are_held_to_what_they_may_do_and_where
);
