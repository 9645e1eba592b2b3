//! 五社联动 over the API and on the pages, on both backends: a resident registers as a volunteer
//! and is verified by staff of their community; a grid worker records a need found on a visit,
//! reads the helpers suggested with their reasons and offers it; the volunteer accepts on their
//! phone, sees the address only then, reports with a photo; only staff or the resident who
//! asked confirm; the hours become points, redeemed no further than the balance; nobody else
//! reads the need; bad input names its field.

mod support;

use serde_json::json;
use support::*;

api_tests!(
    a_volunteer_takes_a_need_from_offer_to_points,
    on_the_pages_a_resident_registers_asks_and_a_volunteer_finishes
);

fn tomorrow() -> String {
    (grassroots_domain::calendar::beijing_day(chrono::Utc::now()) + chrono::Duration::days(1)).to_string()
}

fn volunteer_body(skills: &[&str]) -> serde_json::Value {
    json!({ "kind": "volunteer", "name": "张志愿", "region_code": COMMUNITY, "skills": skills,
            "days": ["1", "2", "3", "4", "5", "6", "7"], "parts": ["morning", "afternoon"], "about": "退休教师" })
}

async fn a_volunteer_takes_a_need_from_offer_to_points(app: TestApp) {
    let resident = app.resident_token("13800138000").await;
    let me = "/api/v1/residents/me/helper";
    let post = |path: &str, token: &str, body: serde_json::Value| app.post(path).bearer(token).json(&body).send();
    for (body, field) in [
        (
            json!({ "kind": "organisation", "name": "某社工机构", "region_code": COMMUNITY, "skills": ["meals"], "days": ["1"], "parts": ["morning"] }),
            "kind",
        ),
        (volunteer_body(&[]), "skills"),
        (
            json!({ "kind": "volunteer", "name": "张志愿", "region_code": COMMUNITY, "skills": ["meals"], "days": ["8"], "parts": ["morning"] }),
            "days",
        ),
        (
            json!({ "kind": "volunteer", "name": "张志愿", "region_code": "110101001", "skills": ["meals"], "days": ["1"], "parts": ["morning"] }),
            "region_code",
        ),
    ] {
        let refused = post(me, &resident, body).await;
        assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some(field)), "{}", refused.text());
    }
    let registered = post(me, &resident, volunteer_body(&["companionship", "escort"])).await;
    assert_eq!(registered.status, 201, "{}", registered.text());
    let helper = registered.json()["id"].as_str().unwrap().to_string();
    assert_eq!(registered.json()["state"], "pending");
    assert_eq!(registered.json()["shown_name"], "张**");

    let worker = app.login("gridworker").await;
    assert_eq!(app.get("/api/v1/helpers").bearer(&app.login("leader").await).send().await.status, 403);
    let listed = app.get("/api/v1/helpers?state=pending").bearer(&worker).send().await.json();
    assert_eq!(listed["helpers"][0]["id"], helper.as_str());
    let file = app.get(&format!("/api/v1/helpers/{helper}")).bearer(&worker).send().await.json();
    assert_eq!(file["contact"]["name"], "张志愿", "staff of the community read the name");
    let elsewhere = app.login("gridworker-other").await;
    assert_eq!(app.get(&format!("/api/v1/helpers/{helper}")).bearer(&elsewhere).send().await.status, 404);
    let verified = post(&format!("/api/v1/helpers/{helper}/state"), &worker, json!({ "state": "verified" })).await;
    assert_eq!(verified.json()["state"], "verified", "{}", verified.text());

    let need_body = json!({ "source": "visit", "grid_code": GRID, "household_label": "3号楼2单元401",
        "skill": "escort", "what": "周四上午陪同去医院复查", "on": tomorrow(), "part": "morning", "urgency": "soon",
        "address": "3号楼2单元401", "contact_name": "李奶奶" });
    let mut bad = need_body.clone();
    bad["what"] = json!("陪同就医，电话13912345678");
    assert_eq!(post("/api/v1/needs", &worker, bad).await.error_field().as_deref(), Some("what"));
    let mut bad = need_body.clone();
    bad["grid_code"] = json!("110101001002001");
    assert_eq!(post("/api/v1/needs", &worker, bad).await.error_field().as_deref(), Some("grid_code"));
    let recorded = post("/api/v1/needs", &worker, need_body).await;
    assert_eq!(recorded.status, 201, "{}", recorded.text());
    let need = recorded.json()["id"].as_str().unwrap().to_string();
    let suggested = app.get(&format!("/api/v1/needs/{need}/suggestions")).bearer(&worker).send().await.json();
    let first = &suggested["suggestions"][0];
    assert_eq!(first["helper"]["id"], helper.as_str(), "{suggested}");
    assert_eq!(
        (first["reasons"]["free_then"].as_bool(), first["reasons"]["nearness"].as_str()),
        (Some(true), Some("same_community"))
    );

    let moves = format!("/api/v1/needs/{need}/moves");
    let offered = post(&moves, &worker, json!({ "move": "offer", "helper_id": helper })).await;
    assert_eq!(offered.json()["state"], "offered", "{}", offered.text());
    // Another resident: the need is not theirs to see.
    let stranger = app.resident_token("13800138111").await;
    assert_eq!(app.get(&format!("/api/v1/needs/{need}")).bearer(&stranger).send().await.status, 404);
    let desk = app.get(me).bearer(&resident).send().await.json();
    assert_eq!(desk["tasks"][0]["id"], need.as_str());
    let before = app.get(&format!("/api/v1/needs/{need}")).bearer(&resident).send().await.json();
    assert!(before["contact"].is_null(), "the address waits for the acceptance: {before}");
    assert_eq!(before["moves"], json!(["accept", "decline"]));
    assert_eq!(post(&moves, &resident, json!({ "move": "confirm", "rating": "5" })).await.status, 422, "not done yet");
    assert_eq!(post(&moves, &resident, json!({ "move": "accept" })).await.json()["state"], "accepted");
    let after = app.get(&format!("/api/v1/needs/{need}")).bearer(&resident).send().await.json();
    assert_eq!(after["contact"]["address"], "3号楼2单元401");
    let bad_hours = app
        .post(&moves)
        .bearer(&resident)
        .multipart(&[("json", r#"{"move":"report","hours":"0.2"}"#)], &[])
        .send()
        .await;
    assert_eq!(bad_hours.error_field().as_deref(), Some("hours"));
    // A phone's photo is larger than a form: a few hundred kilobytes.
    let photo = [PNG, vec![0_u8; 400 * 1024].as_slice()].concat();
    let reported = app
        .post(&moves)
        .bearer(&resident)
        .multipart(
            &[("json", r#"{"move":"report","hours":"1.5","note":"已陪同复查"}"#)],
            &[("photo", "done.png", &photo)],
        )
        .send()
        .await;
    assert_eq!(reported.json()["state"], "done", "{}", reported.text());
    let digest = reported.json()["photos"][0]["digest"].as_str().unwrap().to_string();
    let photo = app.get(&format!("/api/v1/needs/{need}/photos/{digest}")).bearer(&resident).send().await;
    assert_eq!(photo.status, 200);
    let own_confirm = post(&moves, &resident, json!({ "move": "confirm", "rating": "5" })).await;
    assert_eq!(own_confirm.status, 403, "a helper does not confirm their own work");
    let confirmed = post(&moves, &worker, json!({ "move": "confirm", "rating": "5", "note": "很细心" })).await;
    assert_eq!(confirmed.json()["state"], "confirmed", "{}", confirmed.text());

    let desk = app.get(me).bearer(&resident).send().await.json();
    assert_eq!(desk["helper"]["points"]["minutes_confirmed"], 90);
    assert_eq!(desk["helper"]["points"]["earned"], 15);
    assert_eq!(desk["rank"], 1);
    let redeem = format!("/api/v1/helpers/{helper}/redemptions");
    let beyond = post(&redeem, &worker, json!({ "points": "16", "item": "理发服务一次" })).await;
    assert_eq!((beyond.status, beyond.error_field().as_deref()), (422, Some("points")));
    let redeemed = post(&redeem, &worker, json!({ "points": "10", "item": "理发服务一次" })).await;
    assert_eq!(redeemed.json()["balance_after"], 5, "{}", redeemed.text());
    // A commitment (双报到、驻区单位: any helper may commit) and what it delivered.
    let year = grassroots_domain::calendar::beijing_day(chrono::Utc::now()).format("%Y").to_string();
    let commit = format!("/api/v1/helpers/{helper}/commitments");
    let bad =
        post(&commit, &worker, json!({ "year": "1999", "what": "社区志愿服务", "unit": "小时", "target": "24" })).await;
    assert_eq!(bad.error_field().as_deref(), Some("year"));
    let committed =
        post(&commit, &worker, json!({ "year": year, "what": "社区志愿服务", "unit": "小时", "target": "24" })).await;
    assert_eq!(committed.status, 201, "{}", committed.text());
    let today = grassroots_domain::calendar::beijing_day(chrono::Utc::now()).to_string();
    let delivered =
        post(&format!("{commit}/1/deliveries"), &worker, json!({ "amount": "6", "on": today, "note": "重阳节活动" }))
            .await;
    assert_eq!(delivered.status, 201, "{}", delivered.text());
    let missing = post(&format!("{commit}/7/deliveries"), &worker, json!({ "amount": "6", "on": today })).await;
    assert_eq!(missing.error_field().as_deref(), Some("commitment"));
    let file = app.get(&format!("/api/v1/helpers/{helper}")).bearer(&worker).send().await.json();
    assert_eq!(
        (file["commitments"][0]["delivered"].as_i64(), file["commitments"][0]["target"].as_i64()),
        (Some(6), Some(24))
    );
    let ranking = app.get("/api/v1/helpers/ranking?region=110101001").send().await.json();
    assert_eq!(ranking["helpers"][0]["shown_name"], "张**");
    assert_eq!(ranking["helpers"][0]["minutes"], 90);
}

async fn on_the_pages_a_resident_registers_asks_and_a_volunteer_finishes(app: TestApp) {
    let volunteer = format!("grassroots_resident={}", app.resident_token("13800138000").await);
    let page = app.get("/help").header("cookie", &volunteer).send().await;
    assert!(page.text().contains("id=\"register-form\""), "{}", page.text());
    let signed_out = app.get("/help").send().await.text();
    assert!(signed_out.contains("sign-in-first"));
    let form =
        |fields: &[(&str, &str)]| fields.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
    let without_skills = form(&[
        ("kind", "volunteer"),
        ("name", "王志愿"),
        ("region_code", COMMUNITY),
        ("days", "6"),
        ("parts", "morning"),
    ]);
    let refused = app
        .post("/help/register")
        .header("cookie", &volunteer)
        .body_with_type("application/x-www-form-urlencoded", without_skills)
        .send()
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("register-error") && refused.text().contains("王志愿"), "typed values kept");
    let registration = form(&[
        ("kind", "volunteer"),
        ("name", "王志愿"),
        ("region_code", COMMUNITY),
        ("skills", "errands"),
        ("skills", "meals"),
        ("days", "1"),
        ("days", "2"),
        ("days", "3"),
        ("days", "4"),
        ("days", "5"),
        ("days", "6"),
        ("days", "7"),
        ("parts", "morning"),
        ("parts", "afternoon"),
        ("parts", "evening"),
    ]);
    let registered = app
        .post("/help/register")
        .header("cookie", &volunteer)
        .body_with_type("application/x-www-form-urlencoded", registration)
        .send()
        .await;
    assert_eq!(registered.status, 303);
    let desk = app.get("/help").header("cookie", &volunteer).send().await.text();
    assert!(desk.contains("data-state=\"pending\""), "{desk}");

    let staff = format!("grassroots_session={}", app.login("gridworker").await);
    let listing = app.get("/helpers").header("cookie", &staff).send().await.text();
    let helper = listing.split("href=\"/helpers/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let verify = app
        .post(&format!("/helpers/{helper}/state"))
        .header("cookie", &staff)
        .body_with_type("application/x-www-form-urlencoded", "state=verified")
        .send()
        .await;
    assert_eq!(verify.status, 303);

    // Another resident asks for help; staff offer it from the need's page.
    let asker = format!("grassroots_resident={}", app.resident_token("13800138222").await);
    let ask = form(&[
        ("skill", "errands"),
        ("what", "帮忙去超市买米和油"),
        ("on", &tomorrow()),
        ("part", "afternoon"),
        ("urgency", "routine"),
        ("community_code", COMMUNITY),
        ("address", "5号楼1单元202"),
    ]);
    let asked = app
        .post("/help/needs")
        .header("cookie", &asker)
        .body_with_type("application/x-www-form-urlencoded", ask)
        .send()
        .await;
    assert_eq!(asked.status, 303, "{}", asked.text());
    let need_page = asked.header("location").unwrap().to_string();
    let need = need_page.trim_start_matches("/needs/").to_string();
    let staff_view = app.get(&need_page).header("cookie", &staff).send().await.text();
    assert!(staff_view.contains("id=\"suggestions\"") && staff_view.contains(&helper), "{staff_view}");
    let moves = format!("{need_page}/moves");
    let offer = format!("move=offer&helper_id={helper}");
    let offered = app
        .post(&moves)
        .header("cookie", &staff)
        .body_with_type("application/x-www-form-urlencoded", offer)
        .send()
        .await;
    assert_eq!(offered.status, 303);
    let desk = app.get("/help").header("cookie", &volunteer).send().await.text();
    assert!(desk.contains("id=\"offered\"") && desk.contains(&need), "{desk}");
    let accepted = app
        .post(&moves)
        .header("cookie", &volunteer)
        .body_with_type("application/x-www-form-urlencoded", "move=accept&back=/help")
        .send()
        .await;
    assert_eq!((accepted.status, accepted.header("location")), (303, Some("/help")));
    let task = app.get(&need_page).header("cookie", &volunteer).send().await.text();
    assert!(task.contains("5号楼1单元202") && task.contains("id=\"report-form\""), "{task}");
    let reported = app
        .post(&moves)
        .header("cookie", &volunteer)
        .multipart(
            &[("move", "report"), ("hours", "2"), ("note", "已送到家")],
            &[("photo", "rice.png", &[PNG, vec![7_u8; 300 * 1024].as_slice()].concat())],
        )
        .send()
        .await;
    assert_eq!(reported.status, 303, "{}", reported.text());
    // The resident who asked confirms and rates on their phone.
    let theirs = app.get(&need_page).header("cookie", &asker).send().await.text();
    assert!(theirs.contains("id=\"confirm-form\"") && theirs.contains("need-photos"), "{theirs}");
    let confirmed = app
        .post(&moves)
        .header("cookie", &asker)
        .body_with_type("application/x-www-form-urlencoded", "move=confirm&rating=4")
        .send()
        .await;
    assert_eq!(confirmed.status, 303);
    let desk = app.get("/help").header("cookie", &volunteer).send().await.text();
    assert!(desk.contains("<dd id=\"balance\">20</dd>"), "two hours, twenty points: {desk}");
    let stranger = format!("grassroots_resident={}", app.resident_token("13800138333").await);
    assert_eq!(app.get(&need_page).header("cookie", &stranger).send().await.status, 404);
}
