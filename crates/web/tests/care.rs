//! 关爱服务 over the API and on the pages, on both backends: a grid worker records a member of
//! a household, flags them with consent (a child's only with a guardian's), finds them in the
//! queue once their visit is due and out of it once visited; bad input names its field and
//! changes nothing; the worker of the next grid, dispatchers and leaders see nothing of them;
//! the reveal needs a reason and is audited; withdrawn consent erases. On the pages the same
//! person is recorded, flagged, visited and revealed, and a missed visit shows on the
//! workbench, the grid page and, once the scan has run, as a warning with its count only.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::care::{check_plan, CareFlag, Consent, ConsentBy, ConsentForm};
use grassroots_store::{AuditFilter, AuditStore, CareStore, IdentityStore};
use serde_json::json;
use support::*;

api_tests!(
    a_member_is_flagged_with_consent_visited_and_revealed_over_the_api,
    on_the_pages_a_worker_records_flags_visits_and_reveals_a_person_in_care,
);

fn member_body(name: &str) -> serde_json::Value {
    json!({ "grid_code": GRID, "household_label": "3号楼2单元401", "name": name, "phone": "13912345678", "birth_year": 1941, "note": "腿脚不便" })
}

async fn a_member_is_flagged_with_consent_visited_and_revealed_over_the_api(app: TestApp) {
    let worker = app.login("gridworker").await;
    let post = |path: &str, token: &str, body: serde_json::Value| app.post(path).bearer(token).json(&body).send();

    // Bad input names its field and records nobody.
    for (body, field) in [
        (json!({ "grid_code": OTHER_GRID, "household_label": "1号楼", "name": "王秀英" }), "grid_code"),
        (json!({ "grid_code": GRID, "household_label": "", "name": "王秀英" }), "household_label"),
        (json!({ "grid_code": GRID, "household_label": "1号楼", "name": "" }), "name"),
        (json!({ "grid_code": GRID, "household_label": "1号楼", "name": "王秀英", "phone": "123" }), "phone"),
        (json!({ "grid_code": GRID, "household_label": "1号楼", "name": "王秀英", "birth_year": 1800 }), "birth_year"),
    ] {
        let refused = post("/api/v1/care/members", &worker, body).await;
        assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some(field)), "{}", refused.text());
    }
    assert!(app.get("/api/v1/care/grids").bearer(&worker).send().await.json()["grids"].as_array().unwrap().is_empty());

    let added = post("/api/v1/care/members", &worker, member_body("王秀英")).await;
    assert_eq!(added.status, 201, "{}", added.text());
    let member = added.json();
    assert_eq!(member["name_masked"], "王**");
    assert!(!added.text().contains("13912345678") && !added.text().contains("腿脚"), "{}", added.text());
    let id = member["id"].as_str().unwrap().to_string();
    let flags = format!("/api/v1/care/members/{id}/flags");

    let consent = |flag: &str, by: &str| json!({ "flag": flag, "consent_by": by, "consent_form": "signed", "consent_on": beijing_day(Utc::now()).to_string(), "consent_reference": "同意书001" });
    let child = post(&flags, &worker, consent("left_behind_child", "person")).await;
    assert_eq!((child.status, child.error_field().as_deref()), (422, Some("consent_by")));
    let mut seldom = consent("elderly_alone", "person");
    seldom["visit_every_days"] = json!(30);
    let seldom = post(&flags, &worker, seldom).await;
    assert_eq!((seldom.status, seldom.error_field().as_deref()), (422, Some("visit_every_days")));
    let mut unsigned = consent("elderly_alone", "person");
    unsigned["consent_reference"] = json!(" ");
    assert_eq!(post(&flags, &worker, unsigned).await.error_field().as_deref(), Some("consent_reference"));
    let flagged = post(&flags, &worker, consent("elderly_alone", "person")).await;
    assert_eq!(flagged.status, 200, "{}", flagged.text());
    assert_eq!(flagged.json()["flags"][0]["visit_every_days"], 7);
    assert_eq!(flagged.json()["flags"][0]["consent"]["by"], "person");

    // Not due for a week: out of the queue, counted in the grid.
    let due = app.get("/api/v1/care/due").bearer(&worker).send().await.json();
    assert!(due["due"].as_array().unwrap().is_empty(), "{due}");
    let grids = app.get("/api/v1/care/grids").bearer(&worker).send().await.json();
    assert_eq!((grids["grids"][0]["members"].as_i64(), grids["grids"][0]["missed"].as_i64()), (Some(1), Some(0)));

    // Who else may look: the next grid's worker finds nothing, dispatchers and leaders are refused.
    let other = app.login("gridworker-other").await;
    assert_eq!(app.get(&format!("/api/v1/care/members/{id}")).bearer(&other).send().await.status, 404);
    assert!(app.get("/api/v1/care/grids").bearer(&other).send().await.json()["grids"].as_array().unwrap().is_empty());
    for role in ["leader", "dispatcher", "operator", "handler-a"] {
        let token = app.login(role).await;
        let refused = app.get("/api/v1/care/due").bearer(&token).send().await;
        assert_eq!(refused.status, 403, "{role}: {}", refused.text());
        assert_eq!(app.get(&format!("/api/v1/care/members/{id}")).bearer(&token).send().await.status, 403, "{role}");
    }
    let supervisor = app.login("supervisor").await;
    assert_eq!(app.get(&format!("/api/v1/care/members/{id}")).bearer(&supervisor).send().await.status, 200);
    let household = format!("/api/v1/care/households/{}", member["household_id"].as_str().unwrap());
    let mates = app.get(&household).bearer(&supervisor).send().await.json();
    assert_eq!(mates["members"][0]["id"].as_str(), Some(id.as_str()));
    assert!(app.get(&household).bearer(&other).send().await.json()["members"].as_array().unwrap().is_empty());

    // The reveal needs a reason, and is audited with it.
    let reveal = format!("/api/v1/care/members/{id}/reveal");
    let no_reason = post(&reveal, &worker, json!({ "reason": "" })).await;
    assert_eq!((no_reason.status, no_reason.error_field().as_deref()), (422, Some("reason")));
    assert_eq!(post(&reveal, &other, json!({ "reason": "核实情况" })).await.status, 404);
    let revealed = post(&reveal, &worker, json!({ "reason": "联系家属" })).await.json();
    assert_eq!((revealed["name"].as_str(), revealed["phone"].as_str()), (Some("王秀英"), Some("13912345678")));
    let audited = app
        .store
        .audit_log(&AuditFilter { action: Some("care_revealed".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audited.len(), 1, "the refused reveals left no trace");
    assert_eq!(audited[0].detail["reason"], "联系家属");

    // Consent withdrawn: the flags end and nothing is left to reveal.
    let end = post(&format!("/api/v1/care/members/{id}/end"), &worker, json!({ "end": "consent_withdrawn" })).await;
    assert_eq!(end.status, 200, "{}", end.text());
    assert_eq!(end.json()["name_masked"], "—");
    assert_eq!(post(&reveal, &worker, json!({ "reason": "联系家属" })).await.status, 404);
    let bad_end = post(&format!("/api/v1/care/members/{id}/end"), &worker, json!({ "end": "gone" })).await;
    assert_eq!(bad_end.error_field().as_deref(), Some("end"));
}

/// A person in `GRID` whose weekly visit was due three days ago, recorded through the store
/// as the worker; their id.
async fn overdue_person(app: &TestApp) -> uuid::Uuid {
    let worker = app.store.user_by_username("gridworker").await.unwrap().unwrap().user.actor();
    let (now, today) = (Utc::now(), beijing_day(Utc::now()));
    let person = grassroots_domain::care::Member::check("陈玉梅", None, Some(1941), None, 2026).unwrap();
    let kept = app.store.add_care_member(&worker, GRID, "5号楼302", &person, now).await.unwrap();
    let consent = Consent {
        by: ConsentBy::Person,
        form: ConsentForm::Spoken,
        given_on: today,
        reference: "见证人：社区主任".into(),
    };
    let plan = check_plan(CareFlag::ElderlyAlone, None, consent, today).unwrap();
    app.store.flag_care(&worker, kept.id, &plan, today - Duration::days(10), now).await.unwrap();
    kept.id
}

async fn on_the_pages_a_worker_records_flags_visits_and_reveals_a_person_in_care(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let form = |path: &str, cookie: &str, body: String| {
        app.post(path)
            .header("origin", &origin)
            .header("cookie", cookie)
            .body_with_type("application/x-www-form-urlencoded", body)
    };
    let worker = session(&app.login("gridworker").await);
    let page = app.get("/care").header("cookie", &worker).send().await.text();
    assert!(page.contains(r#"id="add-member""#) && page.contains(r#"id="due-none""#), "{page}");
    assert!(!page.contains(OTHER_GRID), "only the worker's own grids are offered");

    let bad =
        form("/care/members", &worker, format!("grid_code={GRID}&household_label=1号楼&name=&phone=")).send().await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains(r#"id="care-error""#) && bad.text().contains(r#"value="1号楼""#), "typed kept");
    let body = format!(
        "grid_code={GRID}&household_label={}&name={}&phone=13912345678&birth_year=1941&note=",
        enc("3号楼2单元401"),
        enc("王秀英")
    );
    let added = form("/care/members", &worker, body).send().await;
    assert_eq!(added.status, 303, "{}", added.text());
    let href = added.header("location").unwrap().split('?').next().unwrap().to_string();
    let page = app.get(&href).header("cookie", &worker).send().await.text();
    assert!(page.contains("王**") && !page.contains("王秀英") && page.contains(r#"id="no-flags""#), "{page}");

    let today = beijing_day(Utc::now()).to_string();
    let flag = |every: &str| {
        format!("flag=elderly_alone&visit_every_days={every}&consent_by=person&consent_form=signed&consent_on={today}&consent_reference={}", enc("同意书002"))
    };
    let refused = form(&format!("{href}/flags"), &worker, flag("60")).send().await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains(r#"value="60""#), "the form keeps what was typed");
    let flagged = form(&format!("{href}/flags"), &worker, flag("")).send().await;
    assert_eq!(flagged.status, 303, "{}", flagged.text());
    let page = app.get(&format!("{href}?done=flagged")).header("cookie", &worker).send().await.text();
    assert!(page.contains(r#"data-flag="elderly_alone""#) && page.contains(r#"id="visit""#), "{page}");

    let visited = form(&format!("{href}/visits"), &worker, format!("topic={}&visited_on=&follow_up=", enc("关爱走访")))
        .send()
        .await;
    assert_eq!(visited.header("location"), Some(format!("{href}?done=visited").as_str()), "{}", visited.text());
    let page = app.get(&href).header("cookie", &worker).send().await.text();
    // The consent's date is today as well: the line that says when the last visit was.
    assert!(page.contains(&format!("上次走访：{today}")), "the last visit is today's: {page}");

    let no_reason = form(&format!("{href}/reveal"), &worker, "reason=".into()).send().await;
    assert_eq!(no_reason.status, 422);
    let revealed = form(&format!("{href}/reveal"), &worker, format!("reason={}", enc("安排送医"))).send().await.text();
    assert!(revealed.contains(r#"id="revealed""#) && revealed.contains("王秀英") && revealed.contains("13912345678"));

    // A missed visit shows on the workbench, the queue and the grid page, then as a warning.
    overdue_person(&app).await;
    let work = app.get("/work").header("cookie", &worker).send().await.text();
    assert!(work.contains(r#"id="care-missed""#), "{work}");
    let queue = app.get("/care").header("cookie", &worker).send().await.text();
    assert!(queue.contains("陈**") && queue.contains("逾期3天未走访"), "{queue}");
    let grid = app.get(&format!("/grids/{GRID}")).header("cookie", &worker).send().await.text();
    assert!(grid.contains(r#"id="grid-care""#) && grid.contains("逾期未走访 1"), "{grid}");
    let scanned = grassroots_app::warnings::scan(&app.platform, Utc::now()).await.unwrap();
    assert_eq!(scanned.care, 1);
    assert_eq!(grassroots_app::warnings::scan(&app.platform, Utc::now()).await.unwrap().care, 0, "once a week");
    let supervisor = session(&app.login("supervisor").await);
    let warnings = app.get("/warnings").header("cookie", &supervisor).send().await.text();
    assert!(warnings.contains(&format!("/care?grid={GRID}")) && warnings.contains("1 人逾期未走访"), "{warnings}");
    assert!(!warnings.contains("陈**"), "a warning counts, it names nobody");

    // Leaders see none of it: no link, no page.
    let leader = session(&app.login("leader").await);
    let board = app.get("/dashboard").header("cookie", &leader).send().await.text();
    assert!(!board.contains(r#"href="/care""#));
    assert_eq!(app.get("/care").header("cookie", &leader).send().await.status, 403);
    assert_eq!(app.get(&href).header("cookie", &leader).send().await.status, 403);
}
