//! 党建引领 over the API and on the pages, on both backends: the tree set up where each kind
//! may stand and under which parent; members enrolled with their names sealed; households
//! linked and contacts recorded, a problem found becoming a case; staff of another community
//! finding nothing; activities expecting only the tree's members; in-service members and
//! their hours; the figures for a leader, who reads no member; a member moved to another
//! organisation of the tree; bad input names its field.

mod support;

use grassroots_store::GridStore;
use serde_json::{json, Value};
use support::*;

api_tests!(the_tree_members_and_their_households_over_the_api, activities_registrations_and_the_pages);

async fn org(app: &TestApp, token: &str, body: Value) -> Response {
    app.post("/api/v1/party/orgs").bearer(token).json(&body).send().await
}

/// A committee at the street, a branch in the grid under it, a group of a building under that.
async fn tree(app: &TestApp, supervisor: &str) -> (String, String, String) {
    let committee =
        org(app, supervisor, json!({ "kind": "committee", "name": "街道党工委", "place_code": STREET })).await;
    assert_eq!(committee.status, 201, "{}", committee.text());
    let committee = committee.json()["id"].as_str().unwrap().to_string();
    let branch = org(
        app,
        supervisor,
        json!({ "kind": "branch", "name": "第一网格党支部", "parent_id": committee, "place_code": GRID }),
    )
    .await
    .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let group = org(
        app,
        supervisor,
        json!({ "kind": "group", "name": "3号楼党小组", "parent_id": branch, "place_code": GRID, "building": "3号楼" }),
    )
    .await;
    assert_eq!(group.status, 201, "{}", group.text());
    (committee, branch, group.json()["id"].as_str().unwrap().to_string())
}

async fn member(app: &TestApp, token: &str, org_id: &str, name: &str) -> String {
    let body = json!({ "org_id": org_id, "role": "member", "name": name, "phone": "13912345678" });
    let added = app.post("/api/v1/party/members").bearer(token).json(&body).send().await;
    assert_eq!(added.status, 201, "{}", added.text());
    added.json()["id"].as_str().unwrap().to_string()
}

async fn the_tree_members_and_their_households_over_the_api(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let worker = app.login("gridworker").await;
    let leader = app.login("leader").await;
    let (committee, branch, group) = tree(&app, &supervisor).await;
    // Where each kind may stand, and under which.
    let misplaced = org(&app, &supervisor, json!({ "kind": "branch", "name": "x支部", "place_code": STREET })).await;
    assert_eq!(misplaced.error_field().as_deref(), Some("place_code"));
    let orphan = org(&app, &supervisor, json!({ "kind": "branch", "name": "x支部", "place_code": COMMUNITY })).await;
    assert_eq!(orphan.error_field().as_deref(), Some("parent_id"));
    let under = json!({ "kind": "group", "name": "x小组", "parent_id": committee, "place_code": GRID });
    assert_eq!(org(&app, &supervisor, under).await.error_field().as_deref(), Some("parent_id"));
    let bad_kind = org(&app, &supervisor, json!({ "kind": "cell", "name": "x", "place_code": GRID })).await;
    assert_eq!(bad_kind.error_field().as_deref(), Some("kind"));
    let community = json!({ "kind": "branch", "name": "社区党支部", "parent_id": committee, "place_code": COMMUNITY });
    assert_eq!(
        org(&app, &worker, community).await.error_field().as_deref(),
        Some("place_code"),
        "a grid worker holds only grids"
    );
    assert_eq!(org(&app, &leader, json!({ "kind": "committee", "name": "x", "place_code": STREET })).await.status, 403);
    // Renamed; one set up by mistake removed; one with something under it kept.
    let rename = format!("/api/v1/party/orgs/{branch}/rename");
    let empty_name = app.post(&rename).bearer(&supervisor).json(&json!({ "name": " " })).send().await;
    assert_eq!(empty_name.error_field().as_deref(), Some("name"));
    let renamed = app.post(&rename).bearer(&supervisor).json(&json!({ "name": "第一网格党支部（新）" })).send().await;
    assert_eq!(renamed.json()["name"], "第一网格党支部（新）", "{}", renamed.text());
    let mistaken = org(
        &app,
        &supervisor,
        json!({ "kind": "branch", "name": "误建", "parent_id": committee, "place_code": COMMUNITY }),
    )
    .await
    .json();
    let remove = |id: &str| app.delete(&format!("/api/v1/party/orgs/{id}")).bearer(&supervisor).send();
    assert_eq!(remove(&committee).await.error_field().as_deref(), Some("org_id"), "branches stand under it");
    assert_eq!(remove(mistaken["id"].as_str().unwrap()).await.status, 204);
    assert_eq!(remove(mistaken["id"].as_str().unwrap()).await.error_field().as_deref(), Some("org_id"), "gone");

    // Members: in a branch or group, with a role it has; names sealed.
    let body = |org_id: &str, role: &str, phone: &str| json!({ "org_id": org_id, "role": role, "name": "王建国", "phone": phone });
    let post = |body: Value| app.post("/api/v1/party/members").bearer(&supervisor).json(&body).send();
    assert_eq!(post(body(&committee, "member", "13912345678")).await.error_field().as_deref(), Some("org_id"));
    assert_eq!(post(body(&branch, "group_leader", "13912345678")).await.error_field().as_deref(), Some("role"));
    assert_eq!(post(body(&branch, "member", "12345")).await.error_field().as_deref(), Some("phone"));
    let enrolled = post(body(&branch, "secretary", "13912345678")).await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.text());
    assert!(!enrolled.text().contains("13912345678") && !enrolled.text().contains("王建国"), "sealed");
    let wang = enrolled.json();
    assert_eq!((wang["name_masked"].as_str(), wang["grid_code"].as_str()), (Some("王**"), Some(GRID)));
    let wang = wang["id"].as_str().unwrap().to_string();

    // Households of the grid linked to him; another community's worker finds nothing.
    let labels: Vec<String> = (1..=5).map(|n| format!("{n}号楼101")).collect();
    app.store.add_households(GRID, &labels).await.unwrap();
    let view = app.get(&format!("/api/v1/party/members/{wang}")).bearer(&worker).send().await.json();
    let homes: Vec<String> =
        view["linkable"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(homes.len(), 5);
    let other = app.login("gridworker-other").await;
    assert_eq!(app.get(&format!("/api/v1/party/members/{wang}")).bearer(&other).send().await.status, 404);
    let link = format!("/api/v1/party/members/{wang}/households");
    let bad = app.post(&link).bearer(&worker).json(&json!({ "households": ["no"] })).send().await;
    assert_eq!(bad.error_field().as_deref(), Some("households"));
    let linked = app.post(&link).bearer(&worker).json(&json!({ "households": homes[..3] })).send().await;
    assert_eq!(linked.json()["linked"].as_array().map(Vec::len), Some(3), "{}", linked.text());

    // Contacts with his households only; a problem found becomes a case of the grid.
    let contacts = format!("/api/v1/party/members/{wang}/contacts");
    let contact =
        |household: &str, means: &str| json!({ "household_id": household, "means": means, "topic": "了解近况" });
    let stray = app.post(&contacts).bearer(&worker).json(&contact(&homes[4], "visit")).send().await;
    assert_eq!(stray.error_field().as_deref(), Some("household_id"));
    let bad_means = app.post(&contacts).bearer(&worker).json(&contact(&homes[0], "pigeon")).send().await;
    assert_eq!(bad_means.error_field().as_deref(), Some("means"));
    let mut with_case = contact(&homes[0], "visit");
    with_case["raise_case"] = json!({ "description": "楼道声控灯坏了，老人夜里看不清台阶" });
    let recorded = app.post(&contacts).bearer(&worker).json(&with_case).send().await;
    assert_eq!(recorded.status, 201, "{}", recorded.text());
    let recorded = recorded.json();
    let case_id = recorded["case"]["id"].as_str().expect("a case was raised").to_string();
    assert_eq!(recorded["contact"]["case_id"].as_str(), Some(case_id.as_str()));
    let case = app.get(&format!("/api/v1/cases/{case_id}")).bearer(&worker).send().await.json();
    assert_eq!(case["case"]["place"]["grid_code"].as_str(), Some(GRID), "{case}");

    // The figures: the leader reads them, not the members.
    assert_eq!(app.get("/api/v1/party/members").bearer(&leader).send().await.status, 403);
    let figures = app.get(&format!("/api/v1/party/figures?region={COMMUNITY}")).bearer(&leader).send().await;
    assert_eq!(figures.status, 200, "{}", figures.text());
    let figures = figures.json();
    let grid = figures["grids"].as_array().unwrap().iter().find(|g| g["grid_code"] == GRID).unwrap().clone();
    assert_eq!(grid["organised"], true);
    assert_eq!(grid["members"], 1);
    assert_eq!(grid["coverage"], json!({ "households": 5, "linked": 3, "reached_30_days": 1, "reached_90_days": 1 }));
    let sum = |key: &str| {
        figures["grids"].as_array().unwrap().iter().map(|g| g["coverage"][key].as_i64().unwrap()).sum::<i64>()
    };
    assert_eq!(figures["coverage"]["linked"].as_i64(), Some(sum("linked")));
    assert_eq!(figures["coverage"]["households"].as_i64(), Some(sum("households")));
    let bad_region = app.get("/api/v1/party/figures?region=abc").bearer(&leader).send().await;
    assert_eq!(bad_region.error_field().as_deref(), Some("region"));

    // Wang moves into the building's group as its leader, in his community: his households
    // stay his. A role the group lacks, the place he has, another community's worker: refused.
    let transfer = format!("/api/v1/party/members/{wang}/transfer");
    let moving = |token: &str, org_id: &str, role: &str| {
        app.post(&transfer).bearer(token).json(&json!({ "org_id": org_id, "role": role })).send()
    };
    assert_eq!(moving(&worker, &group, "secretary").await.error_field().as_deref(), Some("role"));
    assert_eq!(moving(&worker, &branch, "secretary").await.error_field().as_deref(), Some("org_id"));
    assert_eq!(moving(&other, &group, "group_leader").await.status, 404);
    let moved = moving(&worker, &group, "group_leader").await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let moved = moved.json();
    assert_eq!((moved["org_id"].as_str(), moved["role"].as_str()), (Some(group.as_str()), Some("group_leader")));
    assert_eq!(moved["linked_households"], 3);

    // The name in full for a reason; leaving unlinks his households.
    let reveal = format!("/api/v1/party/members/{wang}/reveal");
    assert_eq!(
        app.post(&reveal).bearer(&supervisor).json(&json!({})).send().await.error_field().as_deref(),
        Some("reason")
    );
    let person = app.post(&reveal).bearer(&supervisor).json(&json!({ "reason": "组织关系转接" })).send().await.json();
    assert_eq!((person["name"].as_str(), person["phone"].as_str()), (Some("王建国"), Some("13912345678")));
    let left = app
        .post(&format!("/api/v1/party/members/{wang}/leave"))
        .bearer(&supervisor)
        .json(&json!({ "reason": "迁出" }))
        .send()
        .await;
    assert_eq!(left.status, 204, "{}", left.text());
    let figures = app.get(&format!("/api/v1/party/figures?region={GRID}")).bearer(&leader).send().await.json();
    assert_eq!(figures["coverage"]["linked"], 0);
}

async fn activities_registrations_and_the_pages(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let (committee, branch, group) = tree(&app, &supervisor).await;
    let a = member(&app, &supervisor, &branch, "赵一").await;
    let b = member(&app, &supervisor, &group, "钱二").await;
    let beside = org(
        &app,
        &supervisor,
        json!({ "kind": "branch", "name": "社区党支部", "parent_id": committee, "place_code": COMMUNITY }),
    )
    .await
    .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = member(&app, &supervisor, &beside, "孙三").await;

    // The branch's theme day expects its group's member, not the other branch's.
    let activity = |present: &[&str], on_leave: &[&str]| {
        json!({ "org_id": branch, "kind": "theme_day", "title": "学习居委会组织法", "venue": "党群服务中心",
                "present": present, "on_leave": on_leave })
    };
    let post = |body: Value| app.post("/api/v1/party/activities").bearer(&supervisor).json(&body).send();
    assert_eq!(post(activity(&[&c], &[])).await.error_field().as_deref(), Some("attendance"));
    let held = post(activity(&[&a], &[])).await;
    assert_eq!(held.status, 201, "{}", held.text());
    let held = held.json();
    assert_eq!(
        (held["present"].as_i64(), held["on_leave"].as_i64(), held["absent"].as_i64()),
        (Some(1), Some(0), Some(1))
    );
    let both = post(activity(&[&a], &[&b])).await.json();
    assert_eq!(
        (both["present"].as_i64(), both["on_leave"].as_i64(), both["absent"].as_i64()),
        (Some(1), Some(1), Some(0))
    );

    // An in-service member registered with the community, and their service.
    let registered = app
        .post("/api/v1/party/registrations")
        .bearer(&supervisor)
        .json(&json!({ "community_code": COMMUNITY, "home_org": "区教委机关党支部", "name": "周四" }))
        .send()
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text());
    let id = registered.json()["id"].as_str().unwrap().to_string();
    let services = format!("/api/v1/party/registrations/{id}/services");
    let serve = |hours: &str| json!({ "hours": hours, "what": "助老服务" });
    let bad = app.post(&services).bearer(&supervisor).json(&serve("0.3")).send().await;
    assert_eq!(bad.error_field().as_deref(), Some("hours"));
    assert_eq!(app.post(&services).bearer(&supervisor).json(&serve("2.5")).send().await.status, 201);
    let view = app.get(&format!("/api/v1/party/registrations/{id}")).bearer(&supervisor).send().await.json();
    assert_eq!(
        (view["registration"]["hours"].as_f64(), view["services"].as_array().map(Vec::len)),
        (Some(2.5), Some(1))
    );
    let figures = app.get(&format!("/api/v1/party/figures?region={COMMUNITY}")).bearer(&supervisor).send().await.json();
    assert_eq!(
        (
            figures["tally"]["activities"].as_i64(),
            figures["tally"]["present"].as_i64(),
            figures["tally"]["expected"].as_i64()
        ),
        (Some(2), Some(2), Some(4))
    );
    assert_eq!(figures["tally"]["service_half_hours"], 5);

    // The pages: the tree and the members, a refused form with its error, a member's page.
    let cookie = session(&supervisor);
    let submit = |path: &str, form: String| {
        app.post(path).header("cookie", &cookie).body_with_type("application/x-www-form-urlencoded", form).send()
    };
    let page = app.get("/party").header("cookie", &cookie).send().await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("第一网格党支部") && text.contains("3号楼党小组") && text.contains("赵*"), "{text}");
    assert!(text.contains("学习居委会组织法") && text.contains("区教委机关党支部"));
    assert!(!text.contains("赵一"), "names are masked on the pages");
    let refused = submit("/party", format!("form=org&kind=group&org_name=x&place_code={STREET}")).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"party-error\""));
    let added = submit("/party", format!("form=member&org_id={branch}&role=member&name={}&phone=", enc("吴五"))).await;
    assert_eq!(added.status, 303, "{}", added.text());
    let to = added.header("location").unwrap().to_string();
    assert!(to.starts_with("/party/members/"));
    let page = app.get(&to).header("cookie", &cookie).send().await.text();
    assert!(page.contains("吴*") && page.contains("第一网格党支部"), "{page}");
    assert!(page.contains("id=\"member-transfers\"") && !page.contains(&format!("value=\"{committee}\"")), "{page}");
    // Moved on the page to the building's group as its leader.
    let moved = submit(&to, format!("form=transfer&org_id={group}&role=group_leader")).await;
    assert_eq!(moved.status, 303, "{}", moved.text());
    let page = app.get(&to).header("cookie", &cookie).send().await.text();
    assert!(page.contains("id=\"member-facts\">党小组长 · 3号楼党小组"), "{page}");
    // The group renamed on the organisations' page.
    let renamed = submit("/party", format!("form=rename_org&org_id={group}&org_name={}", enc("三号楼党小组"))).await;
    assert_eq!(renamed.status, 303, "{}", renamed.text());
    let tree = app.get("/party").header("cookie", &cookie).send().await.text();
    assert!(tree.contains("<strong>三号楼党小组</strong>") && tree.contains("id=\"remove-org\""), "{tree}");

    let leader = session(&app.login("leader").await);
    assert_eq!(app.get("/party").header("cookie", &leader).send().await.status, 403);
    let figures = app.get(&format!("/party/figures?region={COMMUNITY}")).header("cookie", &leader).send().await;
    assert_eq!(figures.status, 200);
    assert!(figures.text().contains("id=\"party-grids\""));
    let dashboard = app.get("/dashboard").header("cookie", &leader).send().await.text();
    assert!(dashboard.contains("id=\"dashboard-party\""));
    let map = app.get(&format!("/map?region={COMMUNITY}&shade=party")).header("cookie", &leader).send().await;
    assert_eq!(map.status, 200);
    assert!(map.text().contains("党员联户率"));
}
