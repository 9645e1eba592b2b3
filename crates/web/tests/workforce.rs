//! 队伍建设 on both backends: a supervisor keeps profiles (bad input named by field); each
//! person's work is what the platform recorded — equal to a count made from the cases' own
//! events and the visits; the appraisal weighs the supervisor's scores, once a year; training
//! and cadres with their work; staffing against the standard for a leader.

mod support;

use grassroots_store::prelude::*;
use serde_json::{json, Value};
use support::*;

api_tests!(work_is_what_the_platform_recorded_and_the_appraisal_is_the_supervisor_s, staffing_training_and_cadres);

fn profile(post: &str, birth_year: &str) -> Value {
    json!({ "community_code": COMMUNITY, "post": post, "started_on": "2020-03-01", "birth_year": birth_year,
            "qualification": "assistant" })
}

async fn work_is_what_the_platform_recorded_and_the_appraisal_is_the_supervisor_s(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let put = |who: &str, body: Value| {
        app.put(&format!("/api/v1/workforce/staff/{who}/profile")).bearer(&supervisor).json(&body).send()
    };
    assert_eq!(put("handler-a", profile("mayor", "1985")).await.error_field().as_deref(), Some("post"));
    assert_eq!(
        put("handler-a", profile("community_worker", "2020")).await.error_field().as_deref(),
        Some("birth_year")
    );
    assert_eq!(put("nobody", profile("community_worker", "1985")).await.status, 404);
    let worker = app.login("gridworker").await;
    let by_worker = app
        .put("/api/v1/workforce/staff/handler-a/profile")
        .bearer(&worker)
        .json(&profile("community_worker", "1985"))
        .send()
        .await;
    assert_eq!(by_worker.status, 403, "grid workers keep no profiles");
    let set = put("handler-a", profile("community_worker", "1985")).await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert!(!set.text().contains("1985"), "the birth year is not shown");
    assert_eq!(put("gridworker", profile("grid_worker", "1995")).await.status, 200);

    // Work: the handler takes two cases through handling; the grid worker visits a household.
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler-a").await;
    let mut cases = Vec::new();
    for _ in 0..2 {
        let id = app.resident_report().await["id"].as_str().unwrap().to_string();
        app.act_ok(&dispatcher, &id, &json!({ "action": "register", "note": "属实" })).await;
        app.act_ok(&dispatcher, &id, &json!({ "action": "dispatch", "unit": UNIT_A })).await;
        app.act_ok(&handler, &id, &json!({ "action": "accept" })).await;
        app.act_ok(&handler, &id, &json!({ "action": "contact", "note": "已联系" })).await;
        app.act_ok(&handler, &id, &json!({ "action": "report_handled", "result": "已处理" })).await;
        cases.push(id);
    }
    let visit = json!({ "household_label": "3号楼2单元401", "topic": "独居老人探访" });
    assert_eq!(app.post(&format!("/api/v1/grids/{GRID}/visits")).bearer(&worker).json(&visit).send().await.status, 201);

    // The same counted from the cases' own events.
    let me = app.get("/api/v1/auth/me").bearer(&handler).send().await.json();
    let handler_id = me["id"].as_str().unwrap().to_string();
    let (mut moves, mut handled) = (0, 0);
    for id in &cases {
        let case = app.get(&format!("/api/v1/cases/{id}")).bearer(&supervisor).send().await.json();
        for event in case["events"].as_array().unwrap() {
            if event["actor_id"] == handler_id.as_str() {
                moves += 1;
                handled += i64::from(event["kind"]["kind"] == "handled");
            }
        }
    }
    let person = app.get("/api/v1/workforce/staff/handler-a").bearer(&supervisor).send().await;
    assert_eq!(person.status, 200, "{}", person.text());
    let work = person.json()["work"]["work"].clone();
    assert_eq!((work["moves"].as_i64(), work["handled"].as_i64()), (Some(moves), Some(handled)));
    assert_eq!((moves, handled), (6, 2));
    assert_eq!(work["handled_on_time"], 2);
    let team = app.get("/api/v1/workforce/team").bearer(&supervisor).send().await.json();
    assert_eq!(team["people"].as_array().map(Vec::len), Some(2));
    assert_eq!(team["total"]["visits"], 1);
    assert_eq!(team["total"]["moves"].as_i64(), Some(moves));
    assert_eq!(app.get("/api/v1/workforce/team").bearer(&app.login("leader").await).send().await.status, 403);

    // The appraisal: the supervisor's scores weighed by the stated indicators, once a year.
    let year = chrono::Datelike::year(&chrono::Utc::now()).to_string();
    let appraise = |scores: &[&str]| {
        app.post("/api/v1/workforce/staff/handler-a/appraisals")
            .bearer(&supervisor)
            .json(&json!({ "year": year, "scores": scores, "comment": "办件及时，群众认可" }))
            .send()
    };
    assert_eq!(appraise(&["90", "90", "90"]).await.error_field().as_deref(), Some("scores"));
    let done = appraise(&["80", "70", "60", "100"]).await;
    assert_eq!(done.status, 201, "{}", done.text());
    assert_eq!((done.json()["total_tenths"].as_i64(), done.json()["grade"].as_str()), (Some(720), Some("competent")));
    assert_eq!(appraise(&["90", "90", "90", "90"]).await.error_field().as_deref(), Some("year"));
    let page = app.get("/workforce/staff/handler-a").header("cookie", &session(&supervisor)).send().await.text();
    assert!(page.contains("称职") && page.contains("72"), "{page}");
}

async fn staffing_training_and_cadres(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    app.store.add_households(GRID, &(1..=350).map(|n| format!("{n}号")).collect::<Vec<_>>()).await.unwrap();
    let put = |who: &str, post: &str| {
        app.put(&format!("/api/v1/workforce/staff/{who}/profile"))
            .bearer(&supervisor)
            .json(&profile(post, "1988"))
            .send()
    };
    assert_eq!(put("gridworker", "grid_worker").await.status, 200);
    assert_eq!(put("operator", "community_worker").await.status, 200);
    let standard = json!({ "district_code": DISTRICT, "households_per_worker": "300", "workers_per_grid": "1" });
    let bad = json!({ "district_code": DISTRICT, "households_per_worker": "5", "workers_per_grid": "1" });
    let set = |body: Value| app.put("/api/v1/workforce/staffing/standard").bearer(&supervisor).json(&body).send();
    assert_eq!(set(bad).await.error_field().as_deref(), Some("standard"));
    assert_eq!(set(standard).await.status, 200);
    let leave = app
        .post("/api/v1/workforce/staff/operator/leave")
        .bearer(&supervisor)
        .json(&json!({ "left_on": "2026-11-01", "reason": "考取公务员" }))
        .send()
        .await;
    assert_eq!(leave.status, 204, "{}", leave.text());

    let leader = app.login("leader").await;
    let staffing = app.get("/api/v1/workforce/staffing").bearer(&leader).send().await.json();
    let line = staffing["communities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["counts"]["community_code"] == COMMUNITY)
        .unwrap()
        .clone();
    assert_eq!(line["counts"]["households"], 350);
    assert_eq!((line["needed_workers"].as_i64(), line["counts"]["workers"].as_i64()), (Some(2), Some(0)));
    assert_eq!((line["needed_grid_workers"].as_i64(), line["counts"]["grid_workers"].as_i64()), (Some(1), Some(1)));
    assert_eq!(line["vacancies"], 2);
    assert_eq!(line["counts"]["left_last_year"], 1);
    assert_eq!(staffing["turnover"].as_f64(), Some(0.5), "one left of two");

    // Training with a certificate; a cadre and their work within their period.
    let training = app
        .post("/api/v1/workforce/trainings")
        .bearer(&supervisor)
        .json(&json!({ "region_code": STREET, "title": "网格员业务培训", "held_on": "2026-11-20", "hours": "4" }))
        .send()
        .await;
    assert_eq!(training.status, 201, "{}", training.text());
    let id = training.json()["id"].as_str().unwrap().to_string();
    let attend = |who: &str| {
        app.post(&format!("/api/v1/workforce/trainings/{id}/attendance"))
            .bearer(&supervisor)
            .json(&json!({ "username": who, "certificate": "结业证书" }))
            .send()
    };
    assert_eq!(attend("handler-b").await.error_field().as_deref(), Some("username"), "no profile in the places");
    assert_eq!(attend("gridworker").await.status, 204);
    let person = app.get("/api/v1/workforce/staff/gridworker").bearer(&supervisor).send().await.json();
    assert_eq!(person["trainings"][0]["certificate"], "结业证书");
    let cadre = app
        .post("/api/v1/workforce/secondments")
        .bearer(&supervisor)
        .json(&json!({ "community_code": COMMUNITY, "name": "张明", "home_unit": "区发展改革委", "kind": "sent",
                       "from_on": "2026-09-01", "to_on": "2026-12-31" }))
        .send()
        .await;
    assert_eq!(cadre.status, 201, "{}", cadre.text());
    let cadre = cadre.json()["id"].as_str().unwrap().to_string();
    let work = |on: &str| {
        app.post(&format!("/api/v1/workforce/secondments/{cadre}/work"))
            .bearer(&supervisor)
            .json(&json!({ "done_on": on, "what": "协助入户排查", "hours": "3" }))
            .send()
    };
    assert_eq!(work("2026-08-01").await.error_field().as_deref(), Some("done_on"));
    assert_eq!(work("2026-10-08").await.json()["work"].as_array().map(Vec::len), Some(1));
    let page = app.get("/workforce/staffing").header("cookie", &session(&leader)).send().await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("id=\"staffing-vacancies\""));
}
