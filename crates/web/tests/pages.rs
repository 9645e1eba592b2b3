//! The server-rendered pages: login and logout, the language switch, the map and the grid
//! page, each on both backends.

mod support;

use grassroots_store::prelude::*;
use serde_json::json;
use support::*;

/// The page's HTML with `&` in attributes written one way (askama writes `&#38;`).
fn html_of(res: Response) -> String {
    res.text().replace("&#38;", "&amp;")
}

/// The table row of the page that links to `href`.
fn row_linking<'a>(html: &'a str, href: &str) -> &'a str {
    let at = html.find(&format!("<th scope=\"row\"><a href=\"{href}\"")).unwrap_or_else(|| panic!("no row for {href}"));
    let start = html[..at].rfind("<tr>").expect("a row");
    let end = at + html[at..].find("</tr>").expect("the row's end");
    &html[start..end]
}

async fn staff_log_in_and_out_through_the_login_page(app: TestApp) {
    let res = app.get("/map?shade=coverage").send().await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/login?next=%2Fmap%3Fshade%3Dcoverage"));
    let form = app.get("/login?next=%2Fmap").send().await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains(r#"<label for="username">用户名</label>"#));

    let login = |body: String, origin: &'static str| {
        app.post("/login").header("origin", origin).body_with_type("application/x-www-form-urlencoded", body)
    };
    let here: &'static str = Box::leak(format!("http://{}", app.addr).into_boxed_str());
    // A wrong password: the form again, 401, the username kept and the error beside it.
    let wrong = login("username=leader&password=nope&next=%2Fmap".into(), here).send().await;
    assert_eq!(wrong.status, 401);
    let html = wrong.text();
    assert!(html.contains(r#"value="leader""#) && html.contains("用户名或密码不正确"), "{html}");
    assert!(wrong.header("set-cookie").is_none());
    // Another site's form is refused before the password is even checked.
    let forged = login(format!("username=leader&password={}", enc(PASSWORD)), "http://evil.example").send().await;
    assert_eq!(forged.status, 403);

    let ok = login(format!("username=leader&password={}&next=%2Fmap", enc(PASSWORD)), here).send().await;
    assert_eq!((ok.status, ok.header("location")), (303, Some("/map")));
    let cookie = ok.header("set-cookie").expect("a session cookie").split(';').next().unwrap().to_string();
    assert!(ok.header("set-cookie").unwrap().contains("HttpOnly"));
    let map = app.get("/map").header("cookie", &cookie).send().await;
    assert_eq!(map.status, 200, "{}", map.text());
    // Somewhere else is not followed after login: the leader lands where their work is.
    let away = login(format!("username=leader&password={}&next=%2F%2Fevil.example", enc(PASSWORD)), here).send().await;
    assert_eq!(away.header("location"), Some("/dashboard"));
    // Without a page asked for, each role lands where its work is.
    for (username, landing) in [("operator", "/intake"), ("dispatcher", "/work"), ("leader", "/dashboard")] {
        let ok = login(format!("username={username}&password={}&next=", enc(PASSWORD)), here).send().await;
        assert_eq!((ok.status, ok.header("location")), (303, Some(landing)), "{username}");
    }

    let out = app.post("/logout").header("cookie", &cookie).header("origin", here).send().await;
    assert_eq!((out.status, out.header("location")), (303, Some("/login")));
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(app.get("/map").header("cookie", &cookie).send().await.status, 303, "the session has ended");
}

async fn english_pages_give_place_names_in_pinyin_and_holidays_and_units_in_english(app: TestApp) {
    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let dispatcher = session(&app.login("dispatcher").await);
    let english = format!("{dispatcher}; lang=en");
    let case = app.get(&format!("/cases/{id}")).header("cookie", &english).send().await.text();
    assert!(case.contains("东华门街道 (Donghuamen Subdistrict)"), "{case}");
    let chinese = app.get(&format!("/cases/{id}")).header("cookie", &dispatcher).send().await.text();
    assert!(chinese.contains("东华门街道") && !chinese.contains("Donghuamen"), "Chinese pages stay Chinese");
    let work = app.get("/work?queue=to_register").header("cookie", &english).send().await.text();
    assert!(work.contains(">东华门街道 (Donghuamen Subdistrict)</option>"), "the filters too");

    let admin = format!("{}; lang=en", session(&app.login("admin").await));
    let calendar = app.get("/admin/calendar?q=%E6%98%A5%E8%8A%82").header("cookie", &admin).send().await.text();
    assert!(calendar.contains("春节 (Spring Festival)"), "{calendar}");
    let categories = app.get("/admin/categories?q=0301").header("cookie", &admin).send().await.text();
    assert!(categories.contains(">Urban Management Commission<"), "the default unit in English: {categories}");
}

async fn a_scope_is_picked_from_regions_grids_and_units_by_name(app: TestApp) {
    let admin = session(&app.login("admin").await);
    let origin = format!("http://{}", app.addr);
    let page = app.get("/admin/users").header("cookie", &admin).send().await.text();
    assert!(page.contains(r#"<select id="f-scope" name="scope" multiple"#), "a picker, not a text box");
    assert!(page.contains(&format!(r#"<option value="grid:{GRID}">"#)) && page.contains(r#"<optgroup label="#));
    assert!(page.contains(r#"<option value="region:110101001">东华门街道</option>"#), "{page}");
    let save = |scopes: &[&str]| {
        let mut form = "username=two-grids&display_name=x&role=gridworker&password=longenough".to_string();
        for s in scopes {
            form.push_str(&format!("&scope={}", enc(s)));
        }
        app.post("/admin/users")
            .header("cookie", &admin)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", form)
            .send()
    };
    let other_grid = format!("grid:{}2", &GRID[..14]);
    let mixed = save(&[&format!("grid:{GRID}"), "region:110101"]).await;
    assert_eq!(mixed.status, 422);
    assert!(mixed.text().contains("范围只能是同一类"));
    assert!(mixed.text().contains(&format!(r#"<option value="grid:{GRID}" selected>"#)), "the choice stays");
    let ok = save(&[&format!("grid:{GRID}"), &other_grid]).await;
    assert_eq!(ok.status, 303, "{}", ok.text());
    let listed = app.get("/admin/users?q=two-grids").header("cookie", &admin).send().await.text();
    assert!(listed.contains("2 个网格："), "the scope in words: {listed}");
}

async fn the_language_switch_is_remembered_and_stays_on_the_site(app: TestApp) {
    let res = app.get("/lang/en?back=%2Fmap%3Fdays%3D90").send().await;
    assert_eq!((res.status, res.header("location")), (303, Some("/map?days=90")));
    assert!(res.header("set-cookie").unwrap().starts_with("lang=en;"));
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=31536000"));
    let tab = app.get("/lang/zh?back=/%09/evil.example").send().await;
    assert_eq!(tab.header("location"), Some("/"), "a tab would make //evil.example");
    let away = app.get("/lang/zh?back=%2F%2Fevil.example").send().await;
    assert_eq!(away.header("location"), Some("/"));
    assert!(away.header("set-cookie").unwrap().starts_with("lang=zh;"));

    let english = app.get("/login").header("cookie", "lang=en").send().await.text();
    assert!(english.contains(r#"<html lang="en">"#) && english.contains("Staff login"));
    assert!(english.contains(r#"href="/lang/zh?back=%2Flogin""#), "the switch back comes back here");
}

async fn the_map_shades_regions_and_zooms_down_to_grids(app: TestApp) {
    let (lng, lat) = IN_GRID;
    app.report(&json!({ "description": "井盖缺失", "category_code": "0301", "lng": lng, "lat": lat })).await;
    let leader = session(&app.login("leader").await);

    // The leader's own district, its streets shaded and linked.
    let html = html_of(app.get("/map").header("cookie", &leader).send().await);
    assert!(html.contains("<h1>东城区"), "the leader's region opens");
    assert!(html.contains("<svg") && html.contains("</svg>"));
    let street = format!("/map?region={STREET}&amp;shade=volume&amp;days=30");
    let row = row_linking(&html, &street);
    assert!(row.contains(">东华门街道</a>") && row.contains(r#"<td class="num">1</td>"#), "{row}");
    assert!(html.contains(&format!(r#"<a href="{street}" aria-label="东华门街道：案件量 1 件">"#)));
    assert!(!html.contains("<circle"), "leaders see aggregates, not individual cases");
    let supervisor = session(&app.login("supervisor").await);
    let html = app.get(&format!("/map?region={DISTRICT}")).header("cookie", &supervisor).send().await.text();
    assert!(html.contains("<circle") && html.contains("<title>路灯 · 已受理</title>"), "the case is a point");

    // Down to the community, whose grids link to their pages; the case counts in its grid.
    let html = app.get(&format!("/map?region={COMMUNITY}")).header("cookie", &leader).send().await.text();
    let row = row_linking(&html, &format!("/grids/{GRID}"));
    assert!(row.contains(r#"<td class="num">1</td>"#), "{row}");
    assert!(html.contains(&format!("/map?region={STREET}")), "the breadcrumb leads back up");

    // Shading by overdue share and coverage: shares in the legend; English when asked.
    let html = app.get("/map?shade=overdue&days=90").header("cookie", &leader).send().await.text();
    assert!(html.contains("超期占比") && html.contains("80%–100%"));
    let english = app
        .get(&format!("/map?region={STREET}&shade=coverage"))
        .header("cookie", &format!("{leader}; lang=en"))
        .send()
        .await
        .text();
    assert!(english.contains("visit coverage") && english.contains("Households"));

    // Bad parameters name themselves; an unknown region is not found.
    let bad = app.get("/map?shade=colourful").header("cookie", &leader).send().await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("<h1>422</h1>"));
    assert_eq!(app.get("/map?days=3").header("cookie", &leader).send().await.status, 422);
    assert_eq!(app.get("/map?region=110102").header("cookie", &leader).send().await.status, 404);

    // A handler of a unit sees the map, but not cases that are not theirs.
    let handler = session(&app.login("handler-a").await);
    let html = html_of(app.get(&format!("/map?region={DISTRICT}")).header("cookie", &handler).send().await);
    assert!(!html.contains("<circle"), "no case of theirs");
    assert!(row_linking(&html, &street).contains(r#"<td class="num">0</td>"#));
}

async fn the_grid_page_shows_its_worker_cases_visits_and_rates(app: TestApp) {
    let worker = app.login("gridworker").await;
    let visit = app
        .post(&format!("/api/v1/grids/{GRID}/visits"))
        .bearer(&worker)
        .json(&json!({ "household_label": "3号楼2单元402", "topic": "独居老人探访", "follow_up": "下周再访" }))
        .send()
        .await;
    assert_eq!(visit.status, 201, "{}", visit.text());
    let case = app.grid_case(GRID).await;

    let supervisor = session(&app.login("supervisor").await);
    let res = app.get(&format!("/grids/{GRID}")).header("cookie", &supervisor).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    let html = res.text();
    assert!(html.contains("测试gridworker"), "its worker");
    assert!(html.contains(&case.tracking_no), "its case");
    assert!(html.contains("独居老人探访") && html.contains("下周再访") && html.contains("3号楼2单元402"), "its visit");
    assert!(html.contains("响应率") && html.contains("在响应时限内首次联系群众"), "the rates with their formulas");
    assert!(html.contains(&format!(r#"<a href="/grids/{OTHER_GRID}""#)), "the neighbouring grid links to its page");

    // Another grid's worker and a unit's handler are told it is not found.
    for who in ["gridworker-other", "handler-a"] {
        let cookie = session(&app.login(who).await);
        let res = app.get(&format!("/grids/{GRID}")).header("cookie", &cookie).send().await;
        assert_eq!(res.status, 404, "{who}");
        assert!(res.text().contains("不存在或无权查看"));
    }
    // A leader sees the grid's figures, not its cases and visits.
    let leader = session(&app.login("leader").await);
    let html = app.get(&format!("/grids/{GRID}")).header("cookie", &leader).send().await.text();
    assert!(html.contains("测试gridworker") && html.contains("在响应时限内首次联系群众"));
    assert!(!html.contains(&case.tracking_no) && !html.contains("独居老人探访") && html.contains("领导查看汇总数据"));
    let english = app.get(&format!("/grids/{GRID}")).header("cookie", &format!("{supervisor}; lang=en")).send().await;
    assert!(english.text().contains("Grid workers") && english.text().contains("Recent visits"));
}

async fn the_dashboard_counts_the_rates_per_street_and_unit(app: TestApp) {
    let leader = session(&app.login("leader").await);
    let empty = app.get("/dashboard").header("cookie", &leader).send().await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert!(empty.text().contains(r#"<strong id="dispatched">0</strong>"#));

    let created = app.resident_report().await;
    let id = created["id"].as_str().unwrap();
    let (dispatcher, handler) = (app.login("dispatcher").await, app.login("handler-a").await);
    app.act_ok(&dispatcher, id, &json!({ "action": "register" })).await;
    app.act_ok(&dispatcher, id, &json!({ "action": "dispatch", "unit": UNIT_A })).await;
    app.act_ok(&handler, id, &json!({ "action": "accept" })).await;
    app.act_ok(&handler, id, &json!({ "action": "contact", "note": "已联系" })).await;

    let html = app.get("/dashboard").header("cookie", &leader).send().await.text();
    assert!(html.contains(r#"<strong id="dispatched">1</strong>"#), "{html}");
    assert!(html.contains(r#"<p class="big-number" data-rate="1">100%</p>"#), "responded in time");
    assert!(html.contains("东华门街道</a></th><td class=\"num\">1</td>"), "per street");
    assert!(html.contains("东城区城市管理委员会</th><td class=\"num\">1</td>"), "per unit");
    assert!(html.contains("<svg") && html.contains("三率周趋势"));
    assert!(html.contains("<title>东华门街道：1 件</title>"), "the map shades the street by volume");
    let overdue = app.get("/dashboard?shade=overdue").header("cookie", &leader).send().await.text();
    assert!(overdue.contains("<title>东华门街道：0%</title>"), "and by overdue share");
    assert_eq!(app.get("/dashboard?shade=pink").header("cookie", &leader).send().await.status, 422);
    // A period before the case: nothing.
    let before = app.get("/dashboard?from=2025-01-01&to=2025-01-31").header("cookie", &leader).send().await.text();
    assert!(before.contains(r#"<strong id="dispatched">0</strong>"#));
    assert_eq!(app.get("/dashboard?from=2025-13-01").header("cookie", &leader).send().await.status, 422);
    assert_eq!(app.get("/dashboard?to=-262143-01-10").header("cookie", &leader).send().await.status, 422);
    assert_eq!(app.get("/dashboard?from=2020-01-01&to=2025-01-01").header("cookie", &leader).send().await.status, 422);
    let operator = session(&app.login("operator").await);
    assert_eq!(app.get("/dashboard").header("cookie", &operator).send().await.status, 403);
}

async fn administrators_manage_staff_units_deadlines_the_matrix_and_the_calendar(app: TestApp) {
    let admin = session(&app.login("admin").await);
    let origin = format!("http://{}", app.addr);
    let save = |section: &str, body: String| {
        app.post(&format!("/admin/{section}"))
            .header("cookie", &admin)
            .header("origin", &origin)
            .body_with_type("application/x-www-form-urlencoded", body)
    };
    let users = app.get("/admin/users").header("cookie", &admin).send().await;
    assert_eq!(users.status, 200);
    assert!(users.text().contains("handler-a") && users.text().contains("unit:dept-a"));

    // A new account: checked whole; the password is never written back into the page.
    let bad = save(
        "users",
        "username=new-op&display_name=%E6%96%B0&role=operator&scope=region:1101x&password=longenough".into(),
    )
    .send()
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains(r#"id="f-scope-error""#) && !bad.text().contains("longenough"));
    assert!(bad.text().contains(r#"value="new-op""#), "what was typed stays");
    let ok = save(
        "users",
        "username=new-op&display_name=%E6%96%B0&role=operator&scope=region:110101&password=longenough".into(),
    )
    .send()
    .await;
    assert_eq!((ok.status, ok.header("location")), (303, Some("/admin/users?saved=1")));
    let login =
        app.post("/api/v1/auth/login").json(&json!({ "username": "new-op", "password": "longenough" })).send().await;
    assert_eq!(login.status, 200, "the new operator logs in");

    // Many accounts: searched and paged, fifty to a page.
    for i in 0..60 {
        let form = format!("username=grid-{i:02}&display_name=x&role=gridworker&scope=grid:{GRID}&password=longenough");
        assert_eq!(save("users", form).send().await.status, 303);
    }
    let first = app.get("/admin/users").header("cookie", &admin).send().await.text();
    assert_eq!(first.matches("<tr><td>").count(), 50, "a page of fifty");
    assert!(first.contains("显示第 1–50") && first.contains(r#"href="/admin/users?page=2""#));
    let second = app.get("/admin/users?page=2").header("cookie", &admin).send().await.text();
    assert!(second.contains("显示第 51–") && second.contains(r#"rel="prev""#) && !second.contains(r#"rel="next""#));
    let found = app.get("/admin/users?q=GRID-0").header("cookie", &admin).send().await.text();
    assert_eq!(found.matches("<tr><td>grid-0").count(), 10, "grid-00 … grid-09, whatever the case typed");
    assert!(found.contains("共 10 条") && found.contains(r#"value="GRID-0""#));
    let beyond = app.get("/admin/users?page=99").header("cookie", &admin).send().await;
    assert_eq!(beyond.status, 200, "a page past the end shows the last");

    // A unit, then a matrix line to it with auto-dispatch, and a deadline changed.
    let unit = save(
        "units",
        format!("id=dept-c&name_zh={}&name_en=Parks&kind=department&region_code={DISTRICT}", enc("东城区园林绿化局")),
    )
    .send()
    .await;
    assert_eq!(unit.status, 303);
    let line = save("matrix", format!("category_code=0301&region_code={COMMUNITY}&unit_id=dept-c&auto_dispatch=yes"))
        .send()
        .await;
    assert_eq!(line.status, 303, "{}", line.text());
    let matrix = app.get("/admin/matrix").header("cookie", &admin).send().await.text();
    assert!(
        matrix.contains(&format!(r#"路灯 0301</td><td data-label="区划/网格">多福巷社区居委会 {COMMUNITY}</td>"#)),
        "in words, each cell labelled for a phone: {matrix}"
    );
    assert!(matrix.contains(&format!(r#"<input type="hidden" name="region_code" value="{COMMUNITY}"><button type="submit" class="secondary">删除</button>"#)));
    let unknown =
        save("matrix", "category_code=0301&region_code=110101999&unit_id=dept-c&auto_dispatch=no".into()).send().await;
    assert!(unknown.text().contains(r#"id="f-region_code-error""#));
    let deadline = save("categories", "code=0301&response_hours=8&resolve_days=3".into()).send().await;
    assert_eq!(deadline.status, 303);
    assert_eq!(save("categories", "code=0301&response_hours=0&resolve_days=3".into()).send().await.status, 422);
    // The server uses them at once: a street-light report there is dispatched to the new unit.
    let created = app
        .report(&json!({ "description": "路灯不亮", "category_code": "0301", "address": "东华门街道多福巷社区" }))
        .await;
    assert_eq!(created["status"], "dispatched");
    let reference = app.store.reference().await.unwrap();
    assert_eq!(reference.taxonomy.get("0301").map(|c| c.response_hours), Some(8));

    // A holiday added, then removed.
    let day = save("calendar", format!("date=2026-12-31&kind=holiday&name={}", enc("跨年"))).send().await;
    assert_eq!(day.status, 303);
    let page = app.get("/admin/calendar").header("cookie", &admin).send().await.text();
    assert!(page.contains("2026-12-31") && page.contains("跨年"));
    save("calendar", "date=2026-12-31&kind=remove&name=".into()).send().await;
    assert!(!app.get("/admin/calendar").header("cookie", &admin).send().await.text().contains("2026-12-31"));

    // An Open311 key: shown once, usable at once, revoked from the same page.
    let issued = save("apikeys", format!("name={}&revoke=", enc("城市服务App"))).send().await;
    assert_eq!(issued.status, 200);
    assert_eq!(issued.header("cache-control"), Some("no-store"));
    let html = issued.text();
    let key = html.split(r#"<code id="new-key">"#).nth(1).unwrap().split('<').next().unwrap().to_string();
    let post = |key: &str| {
        app.post("/open311/v2/requests.json").body_with_type(
            "application/x-www-form-urlencoded",
            format!("api_key={key}&service_code=0301&address_string={}", enc("东华门街道多福巷社区")),
        )
    };
    assert_eq!(post(&key).send().await.status, 201);
    let listed = app.get("/admin/apikeys").header("cookie", &admin).send().await.text();
    assert!(listed.contains("城市服务App") && !listed.contains(&key), "the key itself is never listed");
    let id = app.store.api_keys().await.unwrap()[0].id;
    // Revoked with the button on its line, which posts its id.
    assert!(
        listed.contains(&format!(
            r#"<input type="hidden" name="revoke" value="{id}"><button type="submit" class="secondary">吊销</button>"#
        )),
        "{listed}"
    );
    let revoked = save("apikeys", format!("revoke={id}")).send().await;
    assert_eq!((revoked.status, revoked.header("location")), (303, Some("/admin/apikeys?saved=1")));
    assert_eq!(post(&key).send().await.status, 403, "revoked");
    assert_eq!(save("apikeys", format!("name=&revoke={id}")).send().await.status, 422, "revoked once");
    let listed = app.get("/admin/apikeys").header("cookie", &admin).send().await.text();
    assert!(!listed.contains(r#"name="revoke""#), "no button on a revoked key");

    // A webhook: the secret shown once and kept sealed; a bad URL or topic refused by field.
    let refused = save("webhooks", format!("name=x&url={}&topics=&disable=", enc("ftp://example.org"))).send().await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains(r#"id="f-url-error""#), "the error sits at the URL field");
    let refused =
        save("webhooks", format!("name=x&url={}&topics=case.lost&disable=", enc("http://example.org/h"))).send().await;
    assert_eq!(refused.status, 422);
    assert!(app.store.webhooks().await.unwrap().is_empty(), "nothing refused is kept");
    let body = format!(
        "name={}&url={}&topics={}&disable=",
        enc("市级平台"),
        enc("https://example.org/hook"),
        enc("case.dispatched, case.closed")
    );
    let made = save("webhooks", body).send().await;
    assert_eq!((made.status, made.header("cache-control")), (200, Some("no-store")));
    let html = made.text();
    let secret = html.split(r#"<code id="new-key">"#).nth(1).unwrap().split('<').next().unwrap().to_string();
    let hook = app.store.webhooks().await.unwrap().remove(0);
    assert_eq!(hook.topics, ["case.dispatched", "case.closed"]);
    assert_eq!(app.store.webhook_secret(hook.id).await.unwrap(), Some(secret.clone()));
    let listed = app.get("/admin/webhooks").header("cookie", &admin).send().await.text();
    assert!(listed.contains("https://example.org/hook") && !listed.contains(&secret), "the secret is never listed");
    assert!(listed.contains("投递记录") || listed.contains("Delivery log"));
    let stopped = save("webhooks", format!("name=&url=&topics=&disable={}", hook.id)).send().await;
    assert_eq!((stopped.status, stopped.header("location")), (303, Some("/admin/webhooks?saved=1")));
    assert!(app.store.webhooks().await.unwrap()[0].disabled_at.is_some());

    // Only administrators.
    let dispatcher = session(&app.login("dispatcher").await);
    assert_eq!(app.get("/admin/users").header("cookie", &dispatcher).send().await.status, 403);
    assert_eq!(app.get("/admin/nothing").header("cookie", &admin).send().await.status, 404);
}

api_tests!(
    administrators_manage_staff_units_deadlines_the_matrix_and_the_calendar,
    the_dashboard_counts_the_rates_per_street_and_unit,
    staff_log_in_and_out_through_the_login_page,
    the_language_switch_is_remembered_and_stays_on_the_site,
    the_map_shades_regions_and_zooms_down_to_grids,
    the_grid_page_shows_its_worker_cases_visits_and_rates,
    english_pages_give_place_names_in_pinyin_and_holidays_and_units_in_english,
    a_scope_is_picked_from_regions_grids_and_units_by_name,
);
