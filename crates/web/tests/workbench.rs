//! The staff workbench through its pages: queues with counts, the case page and its action
//! forms round the closed loop, scope, the audited reveal, the operator's call form and the
//! grid worker's patrol form — each on both backends.

mod support;

use grassroots_store::Inspect;
use support::*;

struct Desk<'a> {
    app: &'a TestApp,
    cookie: String,
    origin: String,
}

impl<'a> Desk<'a> {
    async fn of(app: &'a TestApp, who: &str) -> Self {
        Self { app, cookie: session(&app.login(who).await), origin: format!("http://{}", app.addr) }
    }

    async fn get(&self, path: &str) -> Response {
        self.app.get(path).header("cookie", &self.cookie).send().await
    }

    async fn post(&self, path: &str, form: &str) -> Response {
        self.app
            .post(path)
            .header("cookie", &self.cookie)
            .header("origin", &self.origin)
            .body_with_type("application/x-www-form-urlencoded", form.to_string())
            .send()
            .await
    }

    /// Makes a move through the case page's form and expects to be sent back to the case,
    /// told what was done; returns that page.
    async fn act(&self, id: &str, form: &str) -> String {
        let res = self.post(&format!("/cases/{id}/act"), form).await;
        assert_eq!(res.status, 303, "{form}: {}", res.text());
        let action = form.split('&').next().and_then(|a| a.strip_prefix("action=")).unwrap();
        let action = if form.contains("dispatch_to=") { "dispatch" } else { action };
        let back = format!("/cases/{id}?done={action}");
        assert_eq!(res.header("location"), Some(back.as_str()));
        let page = self.get(&back).await.text();
        assert!(page.contains(r#"<p class="done" role="status">"#), "{page}");
        page
    }
}

async fn a_category_that_requires_it_is_handled_with_a_photo_shown_beside_the_residents(app: TestApp) {
    // The administrator marks street lamps (0301): a result must be shown in a photo.
    let admin = Desk::of(&app, "admin").await;
    let saved = admin
        .post("/admin/categories", "code=0301&response_hours=24&resolve_days=5&sensitive=no&photo_on_handling=yes")
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let listed = admin.get("/admin/categories?q=0301").await.text();
    assert!(listed.contains(r#"data-label="办结须附照片">是</td>"#), "{listed}");

    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap().to_string();
    let dispatcher = app.login("dispatcher").await;
    app.act_ok(&dispatcher, &id, &serde_json::json!({ "action": "register" })).await;
    app.act_ok(&dispatcher, &id, &serde_json::json!({ "action": "dispatch", "unit": UNIT_A })).await;
    let handler = Desk::of(&app, "handler-a").await;
    handler.act(&id, "action=accept").await;
    let page = handler.act(&id, "action=contact&note=%E5%B7%B2%E8%81%94%E7%B3%BB").await;
    assert!(page.contains(r#"enctype="multipart/form-data""#), "the result's form sends files");
    assert!(page.contains(r#"name="photo" type="file""#) && page.contains("此类问题必须上传"));

    // Without a photo: refused beside the form, nothing changes; by the API too.
    let bare = handler.post(&format!("/cases/{id}/act"), "action=report_handled&result=%E5%B7%B2%E4%BF%AE").await;
    assert_eq!(bare.status, 422);
    assert!(bare.text().contains("此类问题办结时须上传处置后的照片"));
    let token = app.login("handler-a").await;
    let json = app.act(&token, &id, &serde_json::json!({ "action": "report_handled", "result": "已修" })).await;
    assert_eq!((json.status, json.error_field().as_deref()), (422, Some("photo")));
    let accept_photo = app
        .post(&format!("/api/v1/cases/{id}/actions"))
        .bearer(&token)
        .multipart(&[("json", r#"{"action":"contact","note":"再联系"}"#)], &[("photo", "x.png", PNG)])
        .send()
        .await;
    assert_eq!(
        (accept_photo.status, accept_photo.error_field().as_deref()),
        (422, Some("photo")),
        "contact takes none"
    );

    // With one, through the page's multipart form.
    let done = app
        .post(&format!("/cases/{id}/act"))
        .header("cookie", &handler.cookie)
        .header("origin", &handler.origin)
        .multipart(&[("action", "report_handled"), ("result", "已更换灯泡")], &[("photo", "after.png", PNG)])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    let supervisor = Desk::of(&app, "supervisor").await;
    let page = supervisor.get(&format!("/cases/{id}")).await.text();
    assert!(page.contains("<figcaption>处置后（承办单位）</figcaption>"), "the result's photo, apart: {page}");
    let attachments = app.get(&format!("/api/v1/cases/{id}/attachments")).bearer(&token).send().await.json();
    let seqs: Vec<i64> =
        attachments["attachments"].as_array().unwrap().iter().map(|a| a["event_seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs.len(), 1);
    assert!(seqs[0] > 1, "brought by the report of the result, not the report: {seqs:?}");
}

async fn a_case_filed_under_other_is_offered_the_category_its_words_suggest(app: TestApp) {
    let created = app
        .report(&serde_json::json!({ "description": "胡同口的路灯坏了好几天了，晚上黑乎乎的", "address": "东华门街道多福巷社区" }))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let dispatcher = Desk::of(&app, "dispatcher").await;
    let page = dispatcher.get(&format!("/cases/{id}")).await.text();
    assert!(page.contains("智能分类建议：路灯（可信度"), "{page}");
    assert!(page.contains("依据：路灯"), "the words that decided");
    let form = &page[page.find(r#"value="reclassify""#).expect("the reclassify form")..];
    assert!(form.contains(r#"<option value="0301" selected>"#), "the proposal is chosen in the form");
    // Sent by a person, with a reason, like any reclassification.
    dispatcher
        .act(&id, "action=reclassify&category_code=0301&priority=normal&reason=%E6%8C%89%E5%BB%BA%E8%AE%AE")
        .await;
    let page = dispatcher.get(&format!("/cases/{id}")).await.text();
    assert!(page.contains("智能分类与当前类别一致：路灯"), "{page}");
}

async fn a_case_goes_round_the_loop_through_the_workbench_pages(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap().to_string();
    let dispatcher = Desk::of(&app, "dispatcher").await;

    // The dispatcher's queues, with counts; the new case waits to be registered.
    let work = dispatcher.get("/work").await;
    assert_eq!(work.status, 200);
    let html = work.text();
    assert!(html.contains(r#"aria-current="page">待立案 <span class="count">1</span>"#), "{html}");
    assert!(html.contains(&format!(r#"<a href="/cases/{id}">"#)));
    // Filters are chosen by name; one that names nothing known is set aside and said so.
    assert!(html.contains(r#"<select id="category" name="category""#) && html.contains("路灯"), "categories by name");
    assert!(html.contains(r#"<select id="unit" name="unit""#) && html.contains(r#"<optgroup label="街道办事处">"#));
    assert!(html.contains(r#"<option value="110101001">东华门街道</option>"#), "streets by name");
    let lamps = dispatcher.get("/work?category=03").await.text();
    assert!(lamps.contains(&format!("/cases/{id}")) && lamps.contains(r#"<option value="03" selected>"#));
    let water = dispatcher.get("/work?category=1602").await.text();
    assert!(!water.contains(&format!("/cases/{id}")), "another category filters it out");
    let bad = dispatcher.get("/work?category=zz&region=99").await;
    assert_eq!(bad.status, 200, "a bad filter keeps the page");
    let bad = bad.text();
    assert!(bad.contains(r#"id="filter-error""#) && bad.contains("zz"), "{bad}");
    assert!(bad.contains(&format!("/cases/{id}")), "the queue shows without the bad filters");
    let api = app.get("/api/v1/queues").bearer(&app.login("dispatcher").await).send().await.json();
    assert_eq!(api["queues"][0]["queue"], "to_register");
    assert_eq!(api["queues"][0]["count"], 1);

    // The case page: facts, masked reporter, and only this role's moves.
    let page = dispatcher.get(&format!("/cases/{id}")).await.text();
    assert!(page.contains(MASKED_PHONE) && !page.contains(PHONE));
    assert!(page.contains(r#"name="action" value="register""#) && !page.contains(r#"value="accept""#));
    let registered = dispatcher.act(&id, "action=register&note=%E5%B1%9E%E5%AE%9E").await;
    assert!(registered.contains("已完成：立案"), "the move is said: {registered}");
    assert!(registered.contains("队列已空"), "nothing else waits for this dispatcher");
    let queued = dispatcher.get("/work?queue=to_dispatch").await.text();
    assert!(queued.contains(&format!("/cases/{id}")), "now waiting for dispatch");
    dispatcher
        .act(&id, &format!("action=dispatch&unit={UNIT_A}&co_units={STREET_OFFICE}&co_units={COMMAND_CENTRE}&note="))
        .await;
    let page = dispatcher.get(&format!("/cases/{id}")).await.text();
    assert!(
        page.contains("东华门街道办事处") && page.contains("东城区城市运行管理服务指挥中心"),
        "co-handlers chosen in a list"
    );

    // Another unit's handler cannot open the page; the lead unit's can and works it.
    let other = Desk::of(&app, "handler-b").await;
    assert_eq!(other.get(&format!("/cases/{id}")).await.status, 404);
    let handler = Desk::of(&app, "handler-a").await;
    assert!(handler.get("/work").await.text().contains(&format!("/cases/{id}")), "in the unit's queue");
    handler.act(&id, "action=accept").await;
    // A move missing what it needs: the page again, the error by its form, nothing changed.
    let refused = handler.post(&format!("/cases/{id}/act"), "action=contact&note=").await;
    assert_eq!(refused.status, 422);
    let html = refused.text();
    assert!(html.contains(r#"id="contact-error""#) && html.contains("note"), "{html}");
    assert_eq!(app.stored_state(&id).await.0, "in_progress");
    handler.act(&id, "action=contact&note=%E5%B7%B2%E7%94%B5%E8%AF%9D%E8%81%94%E7%B3%BB").await;
    handler.act(&id, "action=report_handled&result=%E5%B7%B2%E4%BF%AE%E5%A5%BD").await;
    let supervisor = Desk::of(&app, "supervisor").await;
    assert!(supervisor.get("/work").await.text().contains(&format!("/cases/{id}")), "to check and close");
    // Verification: no outcome is chosen for the supervisor, and one must be.
    supervisor.act(&id, "action=start_verification").await;
    let form = supervisor.get(&format!("/cases/{id}")).await.text();
    let passed = &form[form.find(r#"name="passed""#).expect("the verification form")..];
    assert!(!passed[..passed.find("</fieldset>").unwrap()].contains("checked"), "neither yes nor no is chosen");
    let unanswered = supervisor.post(&format!("/cases/{id}/act"), "action=verify&note=%E5%B7%B2%E4%BF%AE").await;
    assert_eq!(unanswered.status, 422);
    assert!(unanswered.text().contains("请选择“是”或“否”"), "{}", unanswered.text());
    assert_eq!(app.stored_state(&id).await.0, "verifying");
    supervisor.act(&id, "action=verify&passed=yes&note=%E5%B7%B2%E4%BF%AE").await;
    assert_eq!(app.stored_state(&id).await.0, "closed");
    let page = supervisor.get(&format!("/cases/{id}")).await.text();
    for step in ["立案", "派遣", "签收", "联系群众", "办结", "开始核查", "核查"] {
        assert!(page.contains(step), "the timeline shows {step}");
    }

    // Another site's form is refused.
    let forged = app
        .post(&format!("/cases/{id}/act"))
        .header("cookie", &supervisor.cookie)
        .header("origin", "http://evil.example")
        .body_with_type("application/x-www-form-urlencoded", "action=reopen&reason=x")
        .send()
        .await;
    assert_eq!(forged.status, 403);
    // A duplicate is merged by naming the other case's tracking number.
    let duplicate = app.resident_report().await;
    let dup_id = duplicate["id"].as_str().unwrap().to_string();
    let original = app.resident_report().await;
    let other_no = original["tracking_no"].as_str().unwrap();
    let unknown = dispatcher.post(&format!("/cases/{dup_id}/act"), "action=merge&into=26010100000000&reason=").await;
    assert_eq!(unknown.status, 422);
    assert!(unknown.text().contains(r#"id="merge-error""#) && unknown.text().contains("26010100000000"));
    dispatcher.act(&dup_id, &format!("action=merge&into={other_no}&reason=%E9%87%8D%E5%A4%8D")).await;
    assert_eq!(app.stored_state(&dup_id).await.0, "merged");
    // Leaders are sent to the map.
    let leader = Desk::of(&app, "leader").await;
    assert_eq!(leader.get("/work").await.header("location"), Some("/map"));
}

async fn the_reporter_is_revealed_only_with_a_reason_and_audited(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let dispatcher = Desk::of(&app, "dispatcher").await;
    let refused = dispatcher.post(&format!("/cases/{id}/reveal"), "reason=").await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains(r#"id="reveal-error""#) && !refused.text().contains(PHONE));
    let shown = dispatcher.post(&format!("/cases/{id}/reveal"), "reason=%E5%9B%9E%E8%AE%BF%E6%A0%B8%E5%AE%9E").await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.header("cache-control"), Some("no-store"));
    assert!(shown.text().contains(PHONE) && shown.text().contains(NAME));
    assert!(shown.text().contains(&format!(r#"<a href="tel:{PHONE}">"#)), "the phone can be called");
    // Asked by the page's script: the reporter's part alone, for the page to stay where it is.
    let part = app
        .post(&format!("/cases/{id}/reveal"))
        .header("cookie", &dispatcher.cookie)
        .header("origin", &dispatcher.origin)
        .header("x-fragment", "reporter-section")
        .body_with_type("application/x-www-form-urlencoded", "reason=%E5%86%8D%E6%AC%A1%E5%9B%9E%E8%AE%BF".to_string())
        .send()
        .await;
    assert_eq!((part.status, part.header("cache-control")), (200, Some("no-store")));
    let html = part.text();
    assert!(html.trim_start().starts_with("<section") && !html.contains("<html"), "{html}");
    assert!(html.contains(&format!(r#"<a href="tel:{PHONE}">"#)));
    let audit = app.store.audit_entries(uuid::Uuid::parse_str(id).unwrap()).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "reveal").count(), 2, "each view audited: {audit:?}");
}

async fn operators_take_calls_and_grid_workers_report_from_patrol(app: TestApp) {
    let operator = Desk::of(&app, "operator").await;
    let form = operator.get("/intake").await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains(r#"id="reporter_phone" name="reporter_phone" value="" inputmode="tel" autofocus"#));
    // The form carries a key drawn with it, which comes back with the form refused.
    let key_of = |html: &str| {
        let marker = r#"name="idempotency_key" value=""#;
        let at = html.find(marker).expect("the form's key") + marker.len();
        html[at..at + html[at..].find('"').unwrap()].to_string()
    };
    let key = key_of(&form.text());
    assert!(key.len() >= 16, "{key}");
    let before = app.case_count().await;
    let missing = operator
        .post(
            "/intake",
            &format!("reporter_phone={PHONE}&category_code=0301&description=&address=&idempotency_key={key}"),
        )
        .await;
    assert_eq!(missing.status, 422);
    let html = missing.text();
    assert!(html.contains(r#"id="description-error""#) && html.contains(&format!(r#"value="{PHONE}""#)));
    assert!(html.contains(r#"<option value="0301" selected>"#));
    assert_eq!(key_of(&html), key);
    assert_eq!(app.case_count().await, before);
    let call = format!(
        "reporter_phone={PHONE}&reporter_name=&category_code=0301&request_type=complaint&priority=urgent&description={}&address={}&idempotency_key={key}",
        enc("路灯不亮"),
        enc("东华门街道多福巷社区")
    );
    let taken = operator.post("/intake", &call).await;
    assert_eq!(taken.status, 201, "{}", taken.text());
    assert!(taken.text().contains(r#"id="tracking-no""#) && taken.text().contains(r#"href="/intake""#));
    assert!(taken.text().contains("已录入") && !taken.text().contains("已登记"), "recorded, not registered");
    // Sent twice (a double click): the same case.
    let again = operator.post("/intake", &call).await;
    let tracking_no = |html: &str| {
        let at = html.find(r#"id="tracking-no">"#).expect("a tracking number") + 17;
        html[at..at + html[at..].find('<').unwrap()].to_string()
    };
    assert_eq!(tracking_no(&again.text()).len(), 14);
    assert_eq!(tracking_no(&again.text()), tracking_no(&taken.text()));
    assert_eq!(app.case_count().await, before + 1);
    assert_eq!(Desk::of(&app, "dispatcher").await.get("/intake").await.status, 403);

    let worker = Desk::of(&app, "gridworker").await;
    let form = worker.get("/patrol").await.text();
    assert!(form.contains(&format!(r#"<option value="{GRID}""#)) && !form.contains(OTHER_GRID), "their grids only");
    let patrol = |grid: &'static str| {
        app.post("/patrol").header("cookie", &worker.cookie).header("origin", &worker.origin).multipart(
            &[
                ("grid", grid),
                ("lat", ""),
                ("lng", ""),
                ("address", "3号楼东侧"),
                ("category_code", "1701"),
                ("description", "消防通道堆放杂物"),
                ("resolved_on_spot", "on"),
                ("result", "已清理"),
            ],
            &[],
        )
    };
    // The place is clicked on a map of the worker's grids: the form comes back with it chosen
    // and named, what was typed kept, nothing sent.
    assert!(form.contains(r#"<input type="image" name="spot""#) && !form.contains(r#"name="lat" value="" inputmode"#));
    let frame = form.split(r#"name="frame" value=""#).nth(1).unwrap().split('"').next().unwrap().to_string();
    let before = app.case_count().await;
    let clicked = app
        .post("/patrol")
        .header("cookie", &worker.cookie)
        .header("origin", &worker.origin)
        .multipart(
            &[
                ("grid", GRID),
                ("lat", ""),
                ("lng", ""),
                ("frame", frame.as_str()),
                ("description", "消防通道堆放杂物"),
                ("spot.x", "170"),
                ("spot.y", "150"),
            ],
            &[],
        )
        .send()
        .await;
    assert_eq!(clicked.status, 200, "{}", clicked.text());
    let html = clicked.text();
    assert!(html.contains("已选位置") && html.contains(r#"name="lat" value="39."#), "{html}");
    assert!(html.contains("消防通道堆放杂物") && html.contains("mark="), "typed kept, the place marked");
    assert_eq!(app.case_count().await, before, "a click sends nothing");
    let elsewhere = patrol(OTHER_GRID).send().await;
    assert_eq!(elsewhere.status, 422);
    assert!(elsewhere.text().contains(r#"id="grid-error""#) && elsewhere.text().contains("3号楼东侧"));
    let done = patrol(GRID).send().await;
    assert_eq!(done.status, 201, "{}", done.text());
    assert!(done.text().contains("已结案"), "closed on the spot");
    assert_eq!(worker.get("/patrol").await.status, 200);
    assert_eq!(Desk::of(&app, "operator").await.get("/patrol").await.status, 403);
}

/// Taking the suggested unit, a dispatcher registers and dispatches in one step.
async fn a_case_is_registered_and_dispatched_in_one_step(app: TestApp) {
    let admin = Desk::of(&app, "admin").await;
    let line = admin
        .post("/admin/matrix", &format!("category_code=0301&region_code=110101&unit_id={UNIT_A}&auto_dispatch=no"))
        .await;
    assert_eq!(line.status, 303, "{}", line.text());
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap().to_string();
    let dispatcher = Desk::of(&app, "dispatcher").await;
    let page = dispatcher.get(&format!("/cases/{id}")).await.text();
    let at = page.find(r#"name="dispatch_to" value=""#).expect("the one-step button");
    let unit = page[at + 26..].split('"').next().unwrap().to_string();
    assert!(page[at..].contains("立案并派往"), "{page}");
    let done = dispatcher.act(&id, &format!("action=register&note=&dispatch_to={unit}")).await;
    assert!(done.contains("已完成：派遣"), "{done}");
    let record = grassroots_store::CaseStore::case_record(&*app.store, uuid::Uuid::parse_str(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.state.as_str(), "dispatched");
    assert_eq!(record.lead_unit.as_deref(), Some(unit.as_str()), "to the suggested unit");
}

/// Cases waiting for dispatch are ticked on the workbench and sent to one unit at once.
async fn several_cases_are_dispatched_at_once(app: TestApp) {
    let dispatcher = Desk::of(&app, "dispatcher").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = app.resident_report().await["id"].as_str().unwrap().to_string();
        dispatcher.act(&id, "action=register&note=").await;
        ids.push(id);
    }
    let queue = dispatcher.get("/work?queue=to_dispatch").await.text();
    assert!(queue.contains(r#"<form method="post" action="/work/dispatch" id="batch""#), "{queue}");
    for id in &ids {
        assert!(queue.contains(&format!(r#"name="ids" value="{id}" form="batch""#)));
    }
    let nothing = dispatcher.post("/work/dispatch", &format!("unit={UNIT_A}&note=")).await;
    let back = nothing.header("location").unwrap().to_string();
    assert!(dispatcher.get(&back).await.text().contains("未派遣：请勾选要派遣的案件"));

    let form: String = ids.iter().map(|id| format!("ids={id}&")).collect::<String>() + &format!("unit={UNIT_A}&note=");
    let sent = dispatcher.post("/work/dispatch", &form).await;
    assert_eq!(sent.status, 303);
    let page = dispatcher.get(sent.header("location").unwrap()).await.text();
    assert!(page.contains("已派遣 3 件"), "{page}");
    for id in &ids {
        assert_eq!(app.stored_state(id).await.0, "dispatched");
    }
    // Sent again, they are dispatched already: each refused, and said so.
    let again = dispatcher.post("/work/dispatch", &form).await;
    let page = dispatcher.get(again.header("location").unwrap()).await.text();
    assert!(page.contains("已派遣 0 件；3 件未能派遣"), "{page}");
}

api_tests!(
    several_cases_are_dispatched_at_once,
    a_case_is_registered_and_dispatched_in_one_step,
    a_case_goes_round_the_loop_through_the_workbench_pages,
    the_reporter_is_revealed_only_with_a_reason_and_audited,
    operators_take_calls_and_grid_workers_report_from_patrol,
    a_category_that_requires_it_is_handled_with_a_photo_shown_beside_the_residents,
    a_case_filed_under_other_is_offered_the_category_its_words_suggest,
);
