//! Residents' participation over the API: a resident asks for their household and the grid
//! worker of their grid confirms it (another community's worker never sees it); a supervisor
//! holds a vote, the resident casts one ballot for their household and a second is refused;
//! nobody reads a running count. A closed vote's paper voters are marked and its paper count
//! entered by two staff members before the results are published with turnout. The same on
//! the pages: 我的, 居民住户, 表决, with nothing personal on the public ones. A council is announced
//! with a topic on its agenda, its minutes set a decision that is carried out in public with a
//! photo, on the pages and over the API. A survey is answered once by the residents it asks,
//! its counts read by staff of its place while it is open and by anyone once it closes; one of
//! a unit's closed cases texts their reporter, who signs in with that number and answers.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::votes::{Eligibility, VoteKind};
use grassroots_store::votes::NewVote;
use grassroots_store::{GridStore, IdentityStore, MessageStore, SurveyStore, VoteStore};
use serde_json::json;
use support::*;

api_tests!(
    a_confirmed_household_votes_once_and_nobody_reads_a_running_count,
    paper_ballots_are_counted_twice_before_results_are_published,
    on_the_pages_a_household_is_linked_a_vote_held_and_a_ballot_cast,
    a_residents_topic_is_moderated_proposed_on_supported_and_put_on_the_agenda,
    on_the_pages_a_topic_is_raised_moderated_proposed_on_and_supported,
    a_council_s_decision_is_carried_out_in_public_with_photos,
    residents_answer_a_survey_once_and_its_counts_show_when_it_closes,
    a_unit_s_reporter_is_texted_and_answers_how_their_case_went,
    a_vote_and_a_survey_announced_by_mistake_are_withdrawn_before_they_open,
);

async fn a_confirmed_household_votes_once_and_nobody_reads_a_running_count(app: TestApp) {
    let token = app.resident_token("13800138000").await;
    for (body, field) in [
        (json!({"community": "110101999999", "label": "1号楼101"}), "community"),
        (json!({"community": "110101001", "label": "1号楼101"}), "community"),
        (json!({"community": COMMUNITY, "label": "1号楼101 13912345678"}), "label"),
    ] {
        let refused = app.put("/api/v1/residents/me/household").bearer(&token).json(&body).send().await;
        assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some(field)), "{}", refused.text());
    }
    let asked = app
        .put("/api/v1/residents/me/household")
        .bearer(&token)
        .json(&json!({"community": COMMUNITY, "label": "3号楼2单元401"}))
        .send()
        .await;
    assert_eq!((asked.status, asked.json()["state"].as_str()), (200, Some("requested")), "{}", asked.text());
    let resident = asked.json()["resident_id"].as_str().unwrap().to_string();

    let (worker, other) = (app.login("gridworker").await, app.login("gridworker-other").await);
    let waiting = app.get("/api/v1/households/links").bearer(&worker).send().await.json();
    assert_eq!(waiting["links"][0]["resident_id"], resident.as_str());
    assert_eq!(waiting["links"][0]["phone_masked"], "138****8000");
    let elsewhere = app.get("/api/v1/households/links").bearer(&other).send().await.json();
    assert_eq!(elsewhere["links"].as_array().map(Vec::len), Some(0), "another community's worker sees none");
    let dispatcher = app.login("dispatcher").await;
    assert_eq!(app.get("/api/v1/households/links").bearer(&dispatcher).send().await.status, 403);

    let decide = |grid: &str| json!({"decision": "confirm", "grid_code": grid, "label": "3号楼2单元401"});
    let wrong_grid = app
        .post(&format!("/api/v1/households/links/{resident}"))
        .bearer(&worker)
        .json(&decide(OTHER_GRID))
        .send()
        .await;
    assert_eq!((wrong_grid.status, wrong_grid.error_field().as_deref()), (422, Some("grid_code")));
    let confirmed =
        app.post(&format!("/api/v1/households/links/{resident}")).bearer(&worker).json(&decide(GRID)).send().await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    assert_eq!(
        (confirmed.json()["state"].as_str(), confirmed.json()["grid_code"].as_str()),
        (Some("confirmed"), Some(GRID))
    );
    let mine = app.get("/api/v1/residents/me/household").bearer(&token).send().await.json();
    assert_eq!(mine["link"]["household_label"], "3号楼2单元401");

    // A vote of the community, by household: a grid worker may not hold it, a supervisor may.
    let opens = Utc::now().format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let closes = (Utc::now() + Duration::days(3)).format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let vote = |options: &[&str]| {
        json!({"region": COMMUNITY, "title": "是否加装电梯", "body": "3号楼加装电梯，费用按楼层分摊",
            "kind": "single", "eligibility": "households", "options": options, "opens_at": opens, "closes_at": closes})
    };
    let grid_worker_vote = app.post("/api/v1/votes").bearer(&worker).json(&vote(&["同意", "不同意"])).send().await;
    assert_eq!((grid_worker_vote.status, grid_worker_vote.error_field().as_deref()), (422, Some("region")));
    let supervisor = app.login("supervisor").await;
    let one_option = app.post("/api/v1/votes").bearer(&supervisor).json(&vote(&["同意"])).send().await;
    assert_eq!((one_option.status, one_option.error_field().as_deref()), (422, Some("options")));
    let created = app.post("/api/v1/votes").bearer(&supervisor).json(&vote(&["同意", "不同意", "弃权"])).send().await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(created.json()["phase"], "open");

    let mine = app.get("/api/v1/residents/me/votes").bearer(&token).send().await.json();
    assert_eq!(
        (mine["household_confirmed"].as_bool(), mine["votes"][0]["standing"].as_str()),
        (Some(true), Some("may_vote"))
    );
    let two =
        app.post(&format!("/api/v1/votes/{id}/ballots")).bearer(&token).json(&json!({"choices": [0, 1]})).send().await;
    assert_eq!((two.status, two.error_field().as_deref()), (422, Some("choices")));
    let cast =
        app.post(&format!("/api/v1/votes/{id}/ballots")).bearer(&token).json(&json!({"choices": [1]})).send().await;
    assert_eq!((cast.status, cast.json()["voters"].as_u64()), (201, Some(1)), "{}", cast.text());
    let again =
        app.post(&format!("/api/v1/votes/{id}/ballots")).bearer(&token).json(&json!({"choices": [0]})).send().await;
    assert_eq!(again.status, 409, "{}", again.text());
    let mine = app.get("/api/v1/residents/me/votes").bearer(&token).send().await.json();
    assert_eq!(mine["votes"][0]["standing"], "voted");

    // A resident without a confirmed household, and a staff session, cast nothing.
    let stranger = app.resident_token("13900139000").await;
    let refused =
        app.post(&format!("/api/v1/votes/{id}/ballots")).bearer(&stranger).json(&json!({"choices": [0]})).send().await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let staff = app
        .post(&format!("/api/v1/votes/{id}/ballots"))
        .bearer(&supervisor)
        .json(&json!({"choices": [0]}))
        .send()
        .await;
    assert_eq!(staff.status, 401);

    // Anyone reads the vote and how many voted, never how they voted before publication.
    let public = app.get(&format!("/api/v1/votes/{id}")).send().await;
    assert_eq!((public.status, public.json()["voters"].as_u64()), (200, Some(1)));
    assert!(public.json()["results"].is_null(), "{}", public.text());
    let too_soon = app.post(&format!("/api/v1/votes/{id}/publication")).bearer(&supervisor).send().await;
    assert_eq!((too_soon.status, too_soon.error_field().as_deref()), (422, Some("vote")));
    let listed = app.get("/api/v1/votes").send().await.json();
    assert_eq!(listed["votes"][0]["id"], id.as_str());
    assert_eq!(listed["votes"][0]["region_name"].as_str().map(str::is_empty), Some(false));
}

async fn paper_ballots_are_counted_twice_before_results_are_published(app: TestApp) {
    let token = linked_resident(&app, "13800138000", "1号楼101").await;
    app.store.add_households(GRID, &["2号楼201".into(), "2号楼202".into()]).await.unwrap();
    let supervisor_account = app.store.user_by_username("supervisor").await.unwrap().unwrap();
    let now = Utc::now();
    // Opened an hour ago, closing in two seconds: long enough to vote, short enough to wait for.
    let vote = NewVote {
        region_code: COMMUNITY.into(),
        title: "小区停车位划线方案".into(),
        body: "两种方案".into(),
        kind: VoteKind::Single,
        eligibility: Eligibility::Households,
        options: vec!["方案一".into(), "方案二".into()],
        opens_at: now - Duration::hours(1),
        closes_at: now + Duration::seconds(2),
    };
    let id = app.store.create_vote(&supervisor_account.user.actor(), &vote, now).await.unwrap().id;
    let cast =
        app.post(&format!("/api/v1/votes/{id}/ballots")).bearer(&token).json(&json!({"choices": [0]})).send().await;
    assert_eq!(cast.status, 201, "{}", cast.text());
    let worker = app.login("gridworker").await;
    let paper = |label: &str| json!({"grid_code": GRID, "label": label});
    for label in ["2号楼201", "2号楼202"] {
        let marked =
            app.post(&format!("/api/v1/votes/{id}/paper-voters")).bearer(&worker).json(&paper(label)).send().await;
        assert_eq!(marked.status, 201, "{}", marked.text());
    }
    let online_twice =
        app.post(&format!("/api/v1/votes/{id}/paper-voters")).bearer(&worker).json(&paper("1号楼101")).send().await;
    assert_eq!(online_twice.status, 409, "a household that voted online gets no paper ballot");
    let unknown =
        app.post(&format!("/api/v1/votes/{id}/paper-voters")).bearer(&worker).json(&paper("9号楼")).send().await;
    assert_eq!((unknown.status, unknown.error_field().as_deref()), (422, Some("label")));

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let supervisor = app.login("supervisor").await;
    let admin = app.login("admin").await;
    let count = |counts: [u32; 2]| json!({"ballots": 2, "invalid": 0, "counts": counts});
    let wrong_sum =
        app.post(&format!("/api/v1/votes/{id}/paper-counts")).bearer(&supervisor).json(&count([2, 1])).send().await;
    assert_eq!((wrong_sum.status, wrong_sum.error_field().as_deref()), (422, Some("counts")));
    let first =
        app.post(&format!("/api/v1/votes/{id}/paper-counts")).bearer(&supervisor).json(&count([1, 1])).send().await;
    assert_eq!((first.status, first.json()["agreed"].as_bool()), (201, Some(false)), "{}", first.text());
    let unagreed = app.post(&format!("/api/v1/votes/{id}/publication")).bearer(&supervisor).send().await;
    assert_eq!((unagreed.status, unagreed.error_field().as_deref()), (422, Some("vote")));
    let second = app.post(&format!("/api/v1/votes/{id}/paper-counts")).bearer(&admin).json(&count([1, 1])).send().await;
    assert_eq!(second.json()["agreed"], true, "{}", second.text());
    // The grid worker reaches the community but does not hold it: results are not theirs to publish.
    assert_eq!(app.post(&format!("/api/v1/votes/{id}/publication")).bearer(&worker).send().await.status, 403);
    let published = app.post(&format!("/api/v1/votes/{id}/publication")).bearer(&supervisor).send().await;
    assert_eq!(published.status, 200, "{}", published.text());

    let public = app.get(&format!("/api/v1/votes/{id}")).send().await.json();
    let results = &public["results"];
    assert_eq!(public["phase"], "published");
    assert_eq!((results["options"][0]["count"].as_u64(), results["options"][1]["count"].as_u64()), (Some(2), Some(1)));
    // Three households of the grid voted; the roll is every household of the community.
    let eligible = results["eligible"].as_u64().unwrap();
    assert!(eligible >= 3, "{results}");
    assert_eq!(results["turnout"].as_f64(), Some(3.0 / eligible as f64));
    assert!(
        !public.to_string().contains("138****") && !public.to_string().contains("1380013800"),
        "no number on the public vote"
    );
}

async fn on_the_pages_a_household_is_linked_a_vote_held_and_a_ballot_cast(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let form = |path: &str, cookie: &str, body: String| {
        app.post(path)
            .header("origin", &origin)
            .header("cookie", cookie)
            .body_with_type("application/x-www-form-urlencoded", body)
    };
    let resident = format!("grassroots_resident={}", app.resident_token("13800138000").await);
    let me = app.get("/me").header("cookie", &resident).send().await.text();
    assert!(me.contains(r#"action="/me/household""#) && me.contains(&format!(r#"value="{COMMUNITY}""#)), "{me}");
    let bad = form("/me/household", &resident, format!("community={COMMUNITY}&label=")).send().await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains(r#"id="household-error""#), "{}", bad.text());
    let asked =
        form("/me/household", &resident, format!("community={COMMUNITY}&label={}", enc("3号楼2单元401"))).send().await;
    assert_eq!(asked.status, 303, "{}", asked.text());
    let me = app.get("/me").header("cookie", &resident).send().await.text();
    assert!(me.contains(r#"data-state="requested""#) && me.contains("3号楼2单元401"), "{me}");

    let worker = session(&app.login("gridworker").await);
    let waiting = app.get("/households").header("cookie", &worker).send().await.text();
    assert!(waiting.contains("138****8000") && !waiting.contains("13800138000"), "{waiting}");
    let id = waiting.split(r#"data-resident=""#).nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let confirm = format!("decision=confirm&grid_code={GRID}&label={}", enc("3号楼2单元401"));
    let confirmed = form(&format!("/households/{id}/decide"), &worker, confirm).send().await;
    assert_eq!(confirmed.header("location"), Some("/households?done=confirmed"), "{}", confirmed.text());
    let refuse_empty =
        form(&format!("/households/{id}/decide"), &worker, "decision=refuse&reason=".into()).send().await;
    assert_eq!(refuse_empty.status, 422, "a refusal needs its reason");

    let supervisor = session(&app.login("supervisor").await);
    let votes = app.get("/votes").header("cookie", &supervisor).send().await.text();
    assert!(votes.contains(r#"id="hold-vote""#) && votes.contains(&format!(r#"value="{COMMUNITY}""#)), "{votes}");
    let beijing = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&grassroots_domain::calendar::beijing()).format("%Y-%m-%dT%H:%M").to_string()
    };
    let (opens, closes) = (beijing(Utc::now()), beijing(Utc::now() + Duration::days(3)));
    let hold = |options: &str| {
        format!(
            "region={COMMUNITY}&title={}&body={}&options={}&kind=single&eligibility=households&opens_at={opens}&closes_at={closes}",
            enc("楼道堆物清理方案"),
            enc("楼道内杂物统一清理的时间"),
            enc(options)
        )
    };
    let one = form("/votes", &supervisor, hold("本周六")).send().await;
    assert_eq!(one.status, 422);
    assert!(one.text().contains(r#"id="vote-error""#) && one.text().contains("楼道堆物清理方案"), "kept as typed");
    let held = form("/votes", &supervisor, hold("本周六\n下周六")).send().await;
    assert_eq!(held.status, 303, "{}", held.text());
    let run = held.header("location").unwrap().to_string();
    let vote = run.trim_end_matches("/run").to_string();
    let running = app.get(&run).header("cookie", &supervisor).send().await.text();
    assert!(running.contains(r#"id="paper-voter""#) && running.contains(r#"data-phase="open""#), "{running}");

    let page = app.get(&vote).header("cookie", &resident).send().await.text();
    assert!(page.contains(r#"id="ballot""#) && page.contains("下周六"), "{page}");
    let cast = form(&format!("{vote}/ballot"), &resident, "choice=1".into()).send().await;
    assert_eq!(cast.header("location").map(|l| l.ends_with("?cast=1")), Some(true), "{}", cast.text());
    let after = app.get(&format!("{vote}?cast=1")).header("cookie", &resident).send().await.text();
    assert!(after.contains(r#"id="vote-cast""#) && after.contains(r#"id="ballot-voted""#), "{after}");
    let twice = form(&format!("{vote}/ballot"), &resident, "choice=0".into()).send().await;
    assert_eq!(twice.status, 409);
    assert!(twice.text().contains(r#"id="ballot-error""#));
    let me = app.get("/me").header("cookie", &resident).send().await.text();
    assert!(me.contains(r#"id="my-votes""#) && me.contains("楼道堆物清理方案"), "{me}");

    // The public pages: the vote and how many voted, nothing personal, no running count.
    for path in ["/votes", vote.as_str()] {
        let public = app.get(path).send().await;
        assert_eq!(public.status, 200);
        let html = public.text();
        let personal = html.contains("138****") || html.contains("1380013800");
        assert!(html.contains("楼道堆物清理方案") && !personal && !html.contains("vote-counts"), "{path}: {html}");
    }
}

async fn a_residents_topic_is_moderated_proposed_on_supported_and_put_on_the_agenda(app: TestApp) {
    let first = linked_resident(&app, "13800138000", "1号楼101").await;
    let second = linked_resident(&app, "13800138001", "1号楼102").await;
    let topic = |title: &str, body: &str| json!({"region": COMMUNITY, "title": title, "body": body});
    let personal = app
        .post("/api/v1/residents/me/topics")
        .bearer(&first)
        .json(&topic("东门太黑", "请联系13912345678"))
        .send()
        .await;
    assert_eq!((personal.status, personal.error_field().as_deref()), (422, Some("body")), "{}", personal.text());
    let elsewhere = app
        .post("/api/v1/residents/me/topics")
        .bearer(&first)
        .json(&json!({"region": OTHER_GRID, "title": "x", "body": "y"}))
        .send()
        .await;
    assert_eq!((elsewhere.status, elsewhere.error_field().as_deref()), (422, Some("region")));
    let raised = app
        .post("/api/v1/residents/me/topics")
        .bearer(&first)
        .json(&topic("东门夜间照明不足", "东门到3号楼的路晚上很黑"))
        .send()
        .await;
    assert_eq!((raised.status, raised.json()["state"].as_str()), (201, Some("pending")), "{}", raised.text());
    let id = raised.json()["id"].as_str().unwrap().to_string();
    assert_eq!(app.get(&format!("/api/v1/topics/{id}")).send().await.status, 404, "unpublished topics are not shown");

    let worker = app.login("gridworker").await;
    let waiting = app.get("/api/v1/moderation/topics").bearer(&worker).send().await.json();
    assert_eq!(waiting["topics"][0]["id"], id.as_str());
    let hide = app
        .post(&format!("/api/v1/topics/{id}/moderation"))
        .bearer(&worker)
        .json(&json!({"action": "hide"}))
        .send()
        .await;
    assert_eq!((hide.status, hide.error_field().as_deref()), (422, Some("reason")), "hiding needs a reason");
    let published = app
        .post(&format!("/api/v1/topics/{id}/moderation"))
        .bearer(&worker)
        .json(&json!({"action": "publish"}))
        .send()
        .await;
    assert_eq!(published.json()["state"], "published", "{}", published.text());

    let supervisor = app.login("supervisor").await;
    let threshold = app
        .put(&format!("/api/v1/spaces/{COMMUNITY}/threshold"))
        .bearer(&supervisor)
        .json(&json!({"support_threshold": 2}))
        .send()
        .await;
    assert_eq!(threshold.status, 200, "{}", threshold.text());
    let proposal = app
        .post(&format!("/api/v1/topics/{id}/proposals"))
        .bearer(&second)
        .json(&json!({"title": "加装两盏路灯", "body": "在东门和3号楼之间"}))
        .send()
        .await;
    assert_eq!(proposal.status, 201, "{}", proposal.text());
    let proposal = proposal.json()["id"].as_str().unwrap().to_string();
    let one = app.post(&format!("/api/v1/proposals/{proposal}/supporters")).bearer(&first).send().await;
    assert_eq!((one.json()["supports"].as_u64(), one.json()["on_agenda"].as_bool()), (Some(1), Some(false)));
    assert_eq!(app.post(&format!("/api/v1/proposals/{proposal}/supporters")).bearer(&first).send().await.status, 409);
    let two = app.post(&format!("/api/v1/proposals/{proposal}/supporters")).bearer(&second).send().await;
    assert_eq!(two.json()["on_agenda"], true, "the threshold of 2 is reached");
    let stranger = app.resident_token("13900139000").await;
    assert_eq!(
        app.post(&format!("/api/v1/proposals/{proposal}/supporters")).bearer(&stranger).send().await.status,
        403
    );

    let comment = app
        .post(&format!("/api/v1/topics/{id}/comments"))
        .bearer(&first)
        .json(&json!({"body": "赞成", "proposal_id": proposal}))
        .send()
        .await;
    assert_eq!(comment.status, 201, "{}", comment.text());
    let reply = app
        .post(&format!("/api/v1/topics/{id}/replies"))
        .bearer(&worker)
        .json(&json!({"body": "已联系物业"}))
        .send()
        .await;
    assert_eq!((reply.status, reply.json()["author_zh"].as_str()), (201, Some("工作人员")));
    let comment = comment.json()["id"].as_str().unwrap().to_string();
    let hidden = app
        .post(&format!("/api/v1/comments/{comment}/hiding"))
        .bearer(&worker)
        .json(&json!({"reason": "重复"}))
        .send()
        .await;
    assert_eq!(hidden.status, 200, "{}", hidden.text());

    let public = app.get(&format!("/api/v1/topics/{id}")).send().await.json();
    assert_eq!(public["proposals"][0]["supports"], 2);
    assert!(public["proposals"][0]["on_agenda_at"].is_string());
    assert_eq!(public["comments"].as_array().map(Vec::len), Some(1), "the hidden comment is not shown: {public}");
    assert_eq!(public["support_threshold"], 2);
    assert!(
        !public.to_string().contains("138****") && !public.to_string().contains("1380013800"),
        "nothing personal: {public}"
    );
    let mine = app.get("/api/v1/residents/me/participation").bearer(&first).send().await.json();
    assert_eq!(mine["topics"][0]["id"], id.as_str());

    // A case becomes a topic in one move, in its community.
    let case = app.grid_case(GRID).await;
    let from_cases = app
        .post("/api/v1/topics/from-cases")
        .bearer(&supervisor)
        .json(&json!({"case_ids": [case.id], "title": "路灯反复损坏", "body": "多次反映，需居民商议维护办法"}))
        .send()
        .await;
    assert_eq!(from_cases.status, 201, "{}", from_cases.text());
    assert_eq!((from_cases.json()["origin"].as_str(), from_cases.json()["cases"].as_u64()), (Some("cases"), Some(1)));
    assert_eq!(from_cases.json()["region_code"], COMMUNITY);
}

async fn on_the_pages_a_topic_is_raised_moderated_proposed_on_and_supported(app: TestApp) {
    let origin = format!("http://{}", app.addr);
    let form = |path: &str, cookie: &str, body: String| {
        app.post(path)
            .header("origin", &origin)
            .header("cookie", cookie)
            .body_with_type("application/x-www-form-urlencoded", body)
    };
    let first = format!("grassroots_resident={}", linked_resident(&app, "13800138000", "1号楼101").await);
    let second = format!("grassroots_resident={}", linked_resident(&app, "13800138001", "1号楼102").await);
    let topics = app.get("/topics").header("cookie", &first).send().await.text();
    assert!(topics.contains(r#"id="raise-topic""#) && topics.contains(&format!(r#"value="{COMMUNITY}""#)), "{topics}");
    let raise = |title: &str, body: &str| format!("region={COMMUNITY}&title={}&body={}", enc(title), enc(body));
    let personal = form("/topics", &first, raise("东门太黑", "电话13912345678")).send().await;
    assert_eq!(personal.status, 422);
    assert!(personal.text().contains(r#"id="topic-error""#) && personal.text().contains("东门太黑"), "kept as typed");
    let raised = form("/topics", &first, raise("东门夜间照明不足", "东门到3号楼的路晚上很黑")).send().await;
    assert_eq!(raised.header("location"), Some("/topics?raised=1"));

    let worker = session(&app.login("gridworker").await);
    let waiting = app.get("/topics").header("cookie", &worker).send().await.text();
    let href = waiting
        .split(r#"id="topics-waiting""#)
        .nth(1)
        .and_then(|w| w.split(r#"<a href=""#).nth(1))
        .and_then(|w| w.split('"').next())
        .unwrap()
        .to_string();
    let published = form(&format!("{href}/moderate"), &worker, "action=publish&reason=".into()).send().await;
    assert_eq!(published.status, 303, "{}", published.text());

    let proposed = form(
        &format!("{href}/proposals"),
        &second,
        format!("title={}&body={}", enc("加装两盏路灯"), enc("在东门和3号楼之间")),
    )
    .send()
    .await;
    assert_eq!(proposed.status, 303, "{}", proposed.text());
    let page = app.get(&href).header("cookie", &first).send().await.text();
    let proposal = page.split(r#"action="/proposals/"#).nth(1).and_then(|p| p.split('/').next()).unwrap().to_string();
    let supported = form(&format!("/proposals/{proposal}/support"), &first, String::new()).send().await;
    assert_eq!(supported.status, 303);
    let page = app.get(&href).header("cookie", &first).send().await.text();
    assert!(page.contains(r#"data-supports="1""#) && page.contains("您已支持"), "{page}");
    let again = form(&format!("/proposals/{proposal}/support"), &first, String::new()).send().await;
    assert_eq!(again.status, 409);

    let bad = form(&format!("{href}/comments"), &first, format!("body={}", enc("加我微信 13912345678"))).send().await;
    assert_eq!(bad.status, 422);
    let commented =
        form(&format!("{href}/comments"), &first, format!("body={}&proposal_id={proposal}", enc("赞成"))).send().await;
    assert_eq!(commented.status, 303);
    let comment = commented.header("location").unwrap().split("#c-").nth(1).unwrap().to_string();
    let no_reason = form(
        &format!("/moderation/comments/{comment}/hide"),
        &worker,
        format!("topic={}&reason=", href.trim_start_matches("/topics/")),
    )
    .send()
    .await;
    assert_eq!(no_reason.status, 422, "hiding needs a reason");
    let hidden = form(
        &format!("/moderation/comments/{comment}/hide"),
        &worker,
        format!("topic={}&reason={}", href.trim_start_matches("/topics/"), enc("重复")),
    )
    .send()
    .await;
    assert_eq!(hidden.status, 303, "{}", hidden.text());
    let public = app.get(&href).send().await.text();
    let personal = public.contains("138****") || public.contains("1380013800");
    assert!(public.contains("加装两盏路灯") && !public.contains("赞成") && !personal, "{public}");

    // From a case's page: the case and the topic each link to the other.
    let case = app.grid_case(GRID).await;
    let supervisor = session(&app.login("supervisor").await);
    let case_page = app.get(&format!("/cases/{}", case.id)).header("cookie", &supervisor).send().await.text();
    assert!(case_page.contains(r#"id="raise-from-case""#), "{case_page}");
    let from_case = form(
        &format!("/cases/{}/topic", case.id),
        &supervisor,
        format!("title={}&body={}", enc("路灯反复损坏"), enc("需居民商议维护办法")),
    )
    .send()
    .await;
    assert_eq!(from_case.status, 303, "{}", from_case.text());
    let topic = from_case.header("location").unwrap().to_string();
    let topic_page = app.get(&topic).header("cookie", &supervisor).send().await.text();
    assert!(topic_page.contains(&case.tracking_no), "the topic links its case");
    let case_page = app.get(&format!("/cases/{}", case.id)).header("cookie", &supervisor).send().await.text();
    assert!(case_page.contains(&format!(r#"href="{topic}""#)), "the case links its topic");
}

async fn a_council_s_decision_is_carried_out_in_public_with_photos(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let topic = app
        .post("/api/v1/topics")
        .bearer(&supervisor)
        .json(&json!({"region": COMMUNITY, "title": "电动自行车集中充电", "body": "楼道飞线充电有火灾隐患"}))
        .send()
        .await;
    assert_eq!(topic.status, 201, "{}", topic.text());
    let topic = topic.json()["id"].as_str().unwrap().to_string();
    let meeting = |participants: serde_json::Value| {
        json!({"region": COMMUNITY, "title": "十二月居民议事会", "place": "居委会二楼会议室",
               "starts_at": (Utc::now() + Duration::days(3)).to_rfc3339(), "topics": [topic],
               "other_items": ["其他事项"], "participants": participants})
    };
    let nobody = app.post("/api/v1/meetings").bearer(&supervisor).json(&meeting(json!([]))).send().await;
    assert_eq!((nobody.status, nobody.error_field().as_deref()), (422, Some("participants")));
    let planned = app
        .post("/api/v1/meetings")
        .bearer(&supervisor)
        .json(&meeting(
            json!([{"kind": "representative", "label": "3号楼居民代表"}, {"kind": "property", "label": "物业公司"}]),
        ))
        .send()
        .await;
    assert_eq!(planned.status, 201, "{}", planned.text());
    let id = planned.json()["id"].as_str().unwrap().to_string();
    assert_eq!(planned.json()["items"][0]["topic_id"], topic.as_str());

    // The notice is public, and printable; the minutes form is for staff of the place.
    let origin = format!("http://{}", app.addr);
    let notice = app.get(&format!("/meetings/{id}/print")).send().await.text();
    assert!(notice.contains("十二月居民议事会通知") && notice.contains("3号楼居民代表"), "{notice}");
    let cookie = session(&supervisor);
    let page = app.get(&format!("/meetings/{id}")).header("cookie", &cookie).send().await.text();
    assert!(page.contains(r#"id="record-minutes""#));
    assert!(!page.contains(r#"name="decision_3""#), "three decision rows at first");
    let more = app.get(&format!("/meetings/{id}?rows=6")).header("cookie", &cookie).send().await.text();
    assert!(more.contains(r#"name="decision_5""#) && !more.contains(r#"name="decision_6""#), "rows on asking");
    assert!(more.contains(r#"<option value="东城区城市管理委员会">"#), "units offered by name");
    let deadline = (Utc::now() + Duration::days(30)).format("%Y-%m-%d").to_string();
    // The fourth row's decision goes to a unit, by its name: one the platform does not know is
    // refused, naming the field, and the rows come back as typed.
    let minutes = |unit: &str| {
        format!(
            "attended=0&attended=1&minutes={}&decision_0={}&owner_kind_0=organisation&owner_0={}&deadline_0={deadline}&milestones_0=\
             &decision_3={}&owner_kind_3=unit&owner_3={}&deadline_3={deadline}&milestones_3=",
            enc("议定在车棚东侧建集中充电点。"),
            enc("建设集中充电点"),
            enc("物业公司"),
            enc("车棚外道路照明"),
            enc(unit)
        )
    };
    let post_minutes = |body: String| {
        app.post(&format!("/meetings/{id}/minutes"))
            .header("origin", &origin)
            .header("cookie", &cookie)
            .body_with_type("application/x-www-form-urlencoded", body)
    };
    let unknown = post_minutes(minutes("不存在的单位")).send().await;
    assert_eq!(unknown.status, 422);
    let refused = unknown.text();
    assert!(refused.contains("决议“车棚外道路照明”：没有这个单位"), "the row is named: {refused}");
    assert!(refused.contains(r#"value="车棚外道路照明""#), "the rows come back as typed");
    assert_eq!(app.get(&format!("/api/v1/meetings/{id}")).send().await.json()["meeting"]["state"], "planned");
    let recorded = post_minutes(minutes("东城区城市管理委员会")).send().await;
    assert_eq!(recorded.status, 303, "{}", recorded.text());
    let detail = app.get(&format!("/api/v1/meetings/{id}")).send().await.json();
    assert_eq!(detail["meeting"]["state"], "held");
    assert!(detail["meeting"]["participants"].as_array().unwrap().iter().all(|p| p["attended"] == true));
    let task = detail["decisions"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(detail["decisions"][0]["progress"], "underway");
    assert_eq!(
        (detail["decisions"][1]["owner_kind"].as_str(), detail["decisions"][1]["owner_unit"].as_str()),
        (Some("unit"), Some(UNIT_A))
    );

    // The unit's handler finds it in their list and reports on it; another unit's cannot.
    let lighting = detail["decisions"][1]["id"].as_str().unwrap().to_string();
    let (handler, stranger) = (app.login("handler-a").await, app.login("handler-b").await);
    let owned = app.get("/api/v1/owned-decisions").bearer(&handler).send().await.json();
    assert_eq!(owned["tasks"][0]["id"], lighting.as_str());
    assert_eq!(app.get("/api/v1/owned-decisions").bearer(&stranger).send().await.json()["tasks"], json!([]));
    let listed = app.get("/decisions").header("cookie", &session(&handler)).send().await.text();
    assert!(listed.contains(r#"id="owned""#) && listed.contains("车棚外道路照明"), "{listed}");
    let progress = json!({"note": "灯杆已到货", "percent": 50});
    let foreign =
        app.post(&format!("/api/v1/decisions/{lighting}/progress")).bearer(&stranger).json(&progress).send().await;
    assert_eq!(foreign.status, 404);
    let form = app.get(&format!("/decisions/{lighting}")).header("cookie", &session(&handler)).send().await.text();
    assert!(form.contains(r#"name="percent""#), "the owning unit's handler gets the progress form");
    let by_unit =
        app.post(&format!("/api/v1/decisions/{lighting}/progress")).bearer(&handler).json(&progress).send().await;
    assert_eq!((by_unit.status, by_unit.json()["percent"].as_u64()), (200, Some(50)), "{}", by_unit.text());

    let worker = app.login("gridworker").await;
    let json_report = app
        .post(&format!("/api/v1/decisions/{task}/progress"))
        .bearer(&worker)
        .json(&json!({"note": "已选址", "percent": 30}))
        .send()
        .await;
    assert_eq!((json_report.status, json_report.json()["percent"].as_u64()), (200, Some(30)), "{}", json_report.text());
    let back = app
        .post(&format!("/api/v1/decisions/{task}/progress"))
        .bearer(&worker)
        .json(&json!({"note": "x", "percent": 10}))
        .send()
        .await;
    assert_eq!((back.status, back.error_field().as_deref()), (422, Some("percent")), "progress does not go back");
    let with_photo = app
        .post(&format!("/api/v1/decisions/{task}/progress"))
        .bearer(&worker)
        .multipart(&[("json", r#"{"note": "充电桩已安装", "percent": 100}"#)], &[("photo", "done.png", PNG)])
        .send()
        .await;
    assert_eq!(with_photo.status, 200, "{}", with_photo.text());
    assert_eq!(with_photo.json()["progress"], "done_on_time");
    let photo = with_photo.json()["updates"][1]["photo"].as_str().unwrap().to_string();
    let image = app.get(&photo).send().await;
    assert_eq!((image.status, image.header("content-type")), (200, Some("image/png")), "the photo is public");

    let public = app.get("/decisions").send().await.text();
    assert!(public.contains("建设集中充电点") && public.contains("按期完成"), "{public}");
    let decision = app.get(&format!("/decisions/{task}")).send().await.text();
    assert!(decision.contains("充电桩已安装") && decision.contains(&photo), "{decision}");
    let again = app
        .post(&format!("/api/v1/meetings/{id}/minutes"))
        .bearer(&supervisor)
        .json(&json!({"attended": [], "minutes": "再记", "decisions": []}))
        .send()
        .await;
    assert_eq!((again.status, again.error_field().as_deref()), (422, Some("meeting")), "minutes are recorded once");

    // Staff of the place ask its residents how the decision went, from its page.
    let decision_page = app.get(&format!("/decisions/{task}")).header("cookie", &cookie).send().await.text();
    assert!(decision_page.contains(&format!(r#"href="/surveys?task={task}#hold-survey""#)), "{decision_page}");
    let form = app.get(&format!("/surveys?task={task}")).header("cookie", &cookie).send().await.text();
    assert!(form.contains(&format!(r#"<input type="hidden" name="task" value="{task}">"#)), "{form}");
    assert!(form.contains("建设集中充电点落实情况回访"), "the title is proposed");
    assert_eq!(app.get("/surveys?task=not-a-task").header("cookie", &cookie).send().await.status, 404);
    let elsewhere = json!({"region": "110101001002", "title": "回访", "intro": "请评价", "purpose": "effect",
        "anonymity": "identified", "questions": "评分|满意程度", "opens_at": Utc::now().to_rfc3339(),
        "closes_at": (Utc::now() + Duration::days(7)).to_rfc3339(), "task": task});
    let other_place = app.post("/api/v1/surveys").bearer(&supervisor).json(&elsewhere).send().await;
    assert_eq!(
        (other_place.status, other_place.error_field().as_deref()),
        (422, Some("task")),
        "another place's decision"
    );
    let opens = (Utc::now() + Duration::hours(8)).format("%Y-%m-%dT%H:%M").to_string();
    let closes = (Utc::now() + Duration::days(7)).format("%Y-%m-%dT%H:%M").to_string();
    let survey = format!(
        "task={task}&region={COMMUNITY}&title={}&intro={}&purpose=effect&anonymity=identified&questions={}&opens_at={opens}&closes_at={closes}&unit=&cases_from=&cases_to=",
        enc("充电点回访"),
        enc("充电点建好了，请告诉我们好不好用"),
        enc("评分|对充电点的满意程度")
    );
    let held = app
        .post("/surveys")
        .header("origin", &origin)
        .header("cookie", &cookie)
        .body_with_type("application/x-www-form-urlencoded", survey)
        .send()
        .await;
    assert_eq!(held.status, 303, "{}", held.text());
    let survey_page = app.get(held.header("location").unwrap()).send().await.text();
    assert!(survey_page.contains(&format!(r#"<a href="/decisions/{task}">建设集中充电点</a>"#)), "{survey_page}");
    let followed = app.get(&format!("/decisions/{task}")).send().await.text();
    assert!(followed.split(r#"id="task-surveys""#).nth(1).is_some_and(|l| l.contains("充电点回访")), "{followed}");
    assert!(!followed.contains("ask-how-it-went"), "the public does not hold surveys");

    // The dashboard counts them: one topic, one council, two decisions, one done on time.
    let leader = session(&app.login("leader").await);
    let board = app.get(&format!("/dashboard?region={COMMUNITY}")).header("cookie", &leader).send().await.text();
    let counted = board.split(r#"id="participation""#).nth(1).and_then(|p| p.split("</p>").next()).unwrap_or_default();
    let figures: Vec<&str> = counted.split("<strong>").skip(1).filter_map(|f| f.split("</strong>").next()).collect();
    assert_eq!(figures, ["1", "0", "1", "0", "2", "1", "0"], "{counted}");
    assert!(counted.contains("100%"), "done on time: {counted}");
}

async fn residents_answer_a_survey_once_and_its_counts_show_when_it_closes(app: TestApp) {
    let resident = linked_resident(&app, "13800138000", "1号楼101").await;
    let supervisor = app.login("supervisor").await;
    let opens = Utc::now().to_rfc3339();
    let survey = |questions: &str, closes: chrono::DateTime<Utc>| {
        json!({"region": COMMUNITY, "title": "养老服务需求调查", "intro": "了解大家的需要", "purpose": "needs",
               "anonymity": "anonymous", "questions": questions, "opens_at": opens, "closes_at": closes.to_rfc3339()})
    };
    let questions = "单选|家中是否有80岁以上老人|有/没有\n多选|希望增加的服务|助餐/助浴/日间照料\n评分|对现有服务打分\n文字|其他建议";
    let bad = app
        .post("/api/v1/surveys")
        .bearer(&supervisor)
        .json(&survey("猜谜|什么", Utc::now() + Duration::days(3)))
        .send()
        .await;
    assert_eq!((bad.status, bad.error_field().as_deref()), (422, Some("questions")), "{}", bad.text());
    let created = app
        .post("/api/v1/surveys")
        .bearer(&supervisor)
        .json(&survey(questions, Utc::now() + Duration::days(3)))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();

    let mine = app.get("/api/v1/residents/me/surveys").bearer(&resident).send().await.json();
    assert_eq!(
        (mine["surveys"][0]["survey"]["id"].as_str(), mine["surveys"][0]["answered"].as_bool()),
        (Some(id.as_str()), Some(false))
    );
    let answers = json!({"answers": [
        {"kind": "choice", "chosen": [0]}, {"kind": "choice", "chosen": [0, 2]},
        {"kind": "scale", "value": 4}, {"kind": "text", "text": "希望周末也开放"}]});
    let answered = app.post(&format!("/api/v1/surveys/{id}/responses")).bearer(&resident).json(&answers).send().await;
    assert_eq!(answered.status, 201, "{}", answered.text());
    assert_eq!(
        app.post(&format!("/api/v1/surveys/{id}/responses")).bearer(&resident).json(&answers).send().await.status,
        409
    );
    let stranger = app.resident_token("13900139000").await;
    assert_eq!(
        app.post(&format!("/api/v1/surveys/{id}/responses")).bearer(&stranger).json(&answers).send().await.status,
        403
    );

    // Open: no counts for the public; staff of the place read them, with the words.
    let public = app.get(&format!("/api/v1/surveys/{id}")).send().await.json();
    assert!(public["results"].is_null(), "{public}");
    let staff = app.get(&format!("/api/v1/surveys/{id}/results")).bearer(&supervisor).send().await.json();
    assert_eq!(staff["results"][1]["counts"], json!([1, 0, 1]));
    assert_eq!(staff["results"][2]["mean"], 4.0);
    assert_eq!(staff["results"][3]["texts"][0], "希望周末也开放");
    let cookie = session(&supervisor);
    let page = app.get(&format!("/surveys/{id}")).header("cookie", &cookie).send().await.text();
    assert!(
        page.contains(r#"id="survey-results""#) && page.contains("<svg") && page.contains("希望周末也开放"),
        "{page}"
    );
    let anyone = app.get(&format!("/surveys/{id}")).send().await.text();
    assert!(!anyone.contains(r#"id="survey-results""#) && !anyone.contains("希望周末也开放"), "{anyone}");

    // Closed: anyone reads the counts, never the words.
    let account = app.store.user_by_username("supervisor").await.unwrap().unwrap().user.actor();
    let now = Utc::now();
    let brief = grassroots_store::surveys::NewSurvey {
        region_code: COMMUNITY.into(),
        title: "回访".into(),
        intro: "路灯".into(),
        purpose: grassroots_domain::surveys::Purpose::Effect,
        anonymity: grassroots_domain::surveys::Anonymity::Anonymous,
        questions: grassroots_domain::surveys::parse_questions("评分|满意程度\n文字|意见").unwrap(),
        opens_at: now - Duration::hours(1),
        closes_at: now + Duration::seconds(2),
        task_id: None,
        unit_cases: None,
    };
    let brief = app.store.create_survey(&account, &brief, now).await.unwrap().id;
    let two = json!({"answers": [{"kind": "scale", "value": 5}, {"kind": "text", "text": "很好"}]});
    assert_eq!(
        app.post(&format!("/api/v1/surveys/{brief}/responses")).bearer(&resident).json(&two).send().await.status,
        201
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let closed = app.get(&format!("/api/v1/surveys/{brief}")).send().await.json();
    assert_eq!(closed["survey"]["phase"], "closed");
    assert_eq!(closed["results"][0]["counts"], json!([0, 0, 0, 0, 1]));
    assert_eq!(closed["results"][1]["texts"], json!([]), "the words are for staff: {closed}");
}

async fn a_unit_s_reporter_is_texted_and_answers_how_their_case_went(app: TestApp) {
    let phone = "13800138077";
    let report = json!({ "description": "路灯不亮", "address": "东华门街道多福巷社区",
                         "reporter_phone": phone, "notify": true });
    let created = app.report(&report).await;
    let id = created["id"].as_str().unwrap();
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
    let day = |days: i64| (Utc::now() + Duration::days(days)).format("%Y-%m-%d").to_string();
    let survey = json!({"region": COMMUNITY, "title": "城管委办理情况回访", "intro": "请评价办理结果",
        "purpose": "effect", "anonymity": "identified", "questions": "评分|对办理结果的满意程度",
        "opens_at": Utc::now().to_rfc3339(), "closes_at": (Utc::now() + Duration::days(7)).to_rfc3339(),
        "unit": UNIT_A, "cases_from": day(-1), "cases_to": day(1)});
    let mut too_long = survey.clone();
    too_long["cases_from"] = json!(day(-200));
    let refused = app.post("/api/v1/surveys").bearer(&supervisor).json(&too_long).send().await;
    assert_eq!((refused.status, refused.error_field().as_deref()), (422, Some("cases_to")), "at most 92 days");
    let held = app.post("/api/v1/surveys").bearer(&supervisor).json(&survey).send().await;
    assert_eq!(held.status, 201, "{}", held.text());
    assert_eq!(held.json()["invited"], 1);
    let survey_id = held.json()["id"].as_str().unwrap().to_string();

    // The invitation is queued for the reporter, with the survey it asks them to answer.
    let due = app.store.due_messages(Utc::now() + Duration::seconds(1), 100).await.unwrap();
    let invite = due.iter().find(|m| m.notice == CaseNotice::SurveyInvite).expect("an invitation");
    assert_eq!((invite.about.to_string(), invite.phone.as_deref()), (survey_id.clone(), Some(phone)));

    // Signed in with that number, they find it asking them, and answer once; a neighbour is not asked.
    let resident = app.resident_token(phone).await;
    let mine = app.get("/api/v1/residents/me/surveys").bearer(&resident).send().await.json();
    assert_eq!(mine["surveys"][0]["survey"]["id"], survey_id.as_str(), "{mine}");
    let answers = json!({"answers": [{"kind": "scale", "value": 5}]});
    let path = format!("/api/v1/surveys/{survey_id}/responses");
    let answered = app.post(&path).bearer(&resident).json(&answers).send().await;
    assert!(answered.status < 300, "{}", answered.text());
    assert_eq!(app.post(&path).bearer(&resident).json(&answers).send().await.status, 409);
    let neighbour = app.resident_token("13800138078").await;
    assert_eq!(app.post(&path).bearer(&neighbour).json(&answers).send().await.status, 403);
}

async fn a_vote_and_a_survey_announced_by_mistake_are_withdrawn_before_they_open(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let at = |hours: i64| (Utc::now() + Duration::hours(hours)).format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let vote = json!({"region": COMMUNITY, "title": "是否加装电梯", "body": "3号楼加装电梯", "kind": "single",
        "eligibility": "households", "options": ["同意", "不同意"], "opens_at": at(24), "closes_at": at(72)});
    let created = app.post("/api/v1/votes").bearer(&supervisor).json(&vote).send().await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/votes/{id}/withdrawal");
    let no_reason = app.post(&path).bearer(&supervisor).json(&json!({"reason": " "})).send().await;
    assert_eq!((no_reason.status, no_reason.error_field().as_deref()), (422, Some("reason")));
    let worker = app.login("gridworker").await;
    assert_eq!(app.post(&path).bearer(&worker).json(&json!({"reason": "误发"})).send().await.status, 404);
    let withdrawn = app.post(&path).bearer(&supervisor).json(&json!({"reason": "选项有误，另行发起"})).send().await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["phase"], "withdrawn");
    assert_eq!(withdrawn.json()["withdrawn"]["reason"], "选项有误，另行发起");
    let again = app.post(&path).bearer(&supervisor).json(&json!({"reason": "再撤"})).send().await;
    assert_eq!((again.status, again.error_field().as_deref()), (422, Some("phase")));
    let public = app.get(&format!("/votes/{id}")).send().await.text();
    assert!(public.contains(r#"data-phase="withdrawn""#) && public.contains("选项有误，另行发起"), "{public}");

    // A survey, from its page: the form is there for staff of the place before it opens.
    let survey = json!({"region": COMMUNITY, "title": "养老需求调查", "intro": "了解需要", "purpose": "needs",
        "anonymity": "anonymous", "questions": "评分|打分", "opens_at": at(24), "closes_at": at(72)});
    let held = app.post("/api/v1/surveys").bearer(&supervisor).json(&survey).send().await;
    let survey_id = held.json()["id"].as_str().unwrap().to_string();
    let cookie = session(&supervisor);
    let page = app.get(&format!("/surveys/{survey_id}")).header("cookie", &cookie).send().await.text();
    assert!(page.contains(r#"id="withdraw-survey""#));
    assert!(!app.get(&format!("/surveys/{survey_id}")).send().await.text().contains("withdraw-survey"));
    let origin = format!("http://{}", app.addr);
    let form = |reason: &str| {
        app.post(&format!("/surveys/{survey_id}/withdraw"))
            .header("origin", &origin)
            .header("cookie", &cookie)
            .body_with_type("application/x-www-form-urlencoded", format!("reason={}", enc(reason)))
    };
    let refused = form("").send().await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains(r#"id="survey-error""#));
    assert_eq!(form("时间冲突，改期").send().await.status, 303);
    let shown = app.get(&format!("/api/v1/surveys/{survey_id}")).send().await.json();
    assert_eq!(shown["survey"]["phase"], "withdrawn", "{shown}");
    let listed = app.get("/surveys").send().await.text();
    assert!(listed.contains(r#"data-phase="withdrawn""#), "the list says so");
}
