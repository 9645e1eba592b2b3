//! 重复件 end to end: a report that repeats an open case is not dispatched again, the
//! dispatcher sees the case it repeats with the reasons and merges it in one action, and the
//! suggestion's outcome is counted; several callers on one matter show as a group complaint.

mod support;

use serde_json::json;
use support::*;

api_tests!(a_dispatcher_merges_a_repeated_report_from_the_suggestion, a_group_complaint_is_told_as_one_matter);

async fn a_dispatcher_merges_a_repeated_report_from_the_suggestion(app: TestApp) {
    let (lng, lat) = IN_GRID;
    let first = app
        .report(
            &json!({ "description": "3号楼门口井盖没了，晚上很危险", "category_code": "0302", "lat": lat, "lng": lng }),
        )
        .await;
    let again = app
        .report(&json!({ "description": "3号楼那的井盖丢了，差点掉进去", "category_code": "0302", "lat": lat + 0.0002, "lng": lng }))
        .await;
    // Another building's manhole, at the same spot on the map: another matter.
    let other = app
        .report(&json!({ "description": "5号楼门口井盖没了", "category_code": "0302", "lat": lat, "lng": lng }))
        .await;
    let dispatcher = app.login("dispatcher").await;
    let cookie = session(&dispatcher);
    let id = again["id"].as_str().unwrap();
    let page = app.get(&format!("/cases/{id}")).header("cookie", &cookie).send().await.text();
    let panel =
        page.split(r#"id="duplicates""#).nth(1).expect("possible duplicates shown").split("</section>").next().unwrap();
    let first_no = first["tracking_no"].as_str().unwrap();
    assert!(panel.contains(first_no), "{panel}");
    assert!(!panel.contains(other["tracking_no"].as_str().unwrap()), "not another building's: {panel}");
    assert!(panel.contains("相距约") && panel.contains("同一类别"), "the reasons: {panel}");
    // The suggestion made at intake is on the case page, awaiting a person.
    assert!(page.contains("疑似重复") && page.contains("待人确认"), "{page}");

    let merged = app
        .post(&format!("/cases/{id}/act"))
        .header("cookie", &cookie)
        .header("origin", &format!("http://{}", app.addr))
        .body_with_type(
            "application/x-www-form-urlencoded",
            format!("action=merge&into={first_no}&reason={}", enc("与该件为同一事项（平台提示）")),
        )
        .send()
        .await;
    assert_eq!(merged.status, 303, "{}", merged.text());
    let case = app.get(&format!("/api/v1/cases/{id}")).bearer(&dispatcher).send().await.json();
    assert_eq!(case["case"]["state"], "merged");
    assert_eq!(case["case"]["merged_into"], first["id"]);
    let page = app.get(&format!("/cases/{id}")).header("cookie", &cookie).send().await.text();
    assert!(page.contains("被采纳"), "the suggestion kept: {page}");
    assert!(!page.contains(r#"id="duplicates""#), "nothing left to merge");
}

async fn a_group_complaint_is_told_as_one_matter(app: TestApp) {
    let (lng, lat) = IN_GRID;
    let words =
        ["整栋楼暖气不热，家里才十五度", "我们楼暖气一直不热", "暖气片冰凉，屋里冷得待不住", "这两天暖气根本不热"];
    let mut ids = Vec::new();
    for (i, text) in words.iter().enumerate() {
        let phone = format!("1390000100{i}");
        let created = app
            .report(&json!({ "description": text, "category_code": "0604", "lat": lat, "lng": lng, "reporter_phone": phone }))
            .await;
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let dispatcher = session(&app.login("dispatcher").await);
    let page = app.get(&format!("/cases/{}", ids[3])).header("cookie", &dispatcher).send().await.text();
    assert!(page.contains("群体诉求：4份反映疑为同一事项"), "{page}");
}
