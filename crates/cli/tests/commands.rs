//! The administrative commands: staff accounts and the working-day calendar.

mod support;

use grassroots_store::prelude::*;
use support::{grassroots, open_store, street_light_report};

#[tokio::test]
async fn user_add_creates_an_account_with_its_role_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    let add = |args: &[&str]| grassroots(dir.path()).args(["user", "add"]).args(args).output().unwrap();
    let ok = add(&[
        "--username",
        "wang",
        "--role",
        "handler",
        "--scope",
        "unit:110101-water-utility",
        "--password",
        "s3cret-pass",
    ]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    let bad_role = add(&["--username", "li", "--role", "mayor", "--scope", "all", "--password", "s3cret-pass"]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role"));
    let misfit =
        add(&["--username", "li", "--role", "handler", "--scope", "region:110101", "--password", "s3cret-pass"]);
    assert!(!misfit.status.success());
    assert!(String::from_utf8_lossy(&misfit.stderr).contains("does not fit"));
    let short = add(&["--username", "li", "--role", "admin", "--scope", "all", "--password", "short"]);
    assert!(!short.status.success());

    let store = open_store(dir.path()).await;
    let wang = store.user_by_username("wang").await.unwrap().expect("created");
    assert_eq!(wang.user.role, grassroots_domain::Role::Handler);
    assert_eq!(wang.user.scope.to_spec(), "unit:110101-water-utility");
    assert!(grassroots_store::auth::verify_password("s3cret-pass", &wang.password_hash));
    assert!(store.user_by_username("li").await.unwrap().is_none(), "refused accounts are not created");
}

#[tokio::test]
async fn calendar_import_replaces_the_working_day_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calendar.csv");
    std::fs::write(&file, "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-09,workday,调休\n").unwrap();
    let out = grassroots(dir.path()).args(["calendar", "import"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let calendar = open_store(dir.path()).await.reference().await.unwrap().calendar;
    let day = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert!(!calendar.is_working_day(day("2027-01-01")), "a Friday holiday");
    assert!(calendar.is_working_day(day("2027-01-09")), "a Saturday worked");

    std::fs::write(&file, "date,kind,name\n2027-13-01,holiday,bad\n").unwrap();
    let bad = grassroots(dir.path()).args(["calendar", "import"]).arg(&file).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 2"), "{}", String::from_utf8_lossy(&bad.stderr));
    let calendar = open_store(dir.path()).await.reference().await.unwrap().calendar;
    assert!(!calendar.is_working_day(day("2027-01-01")), "a refused file changes nothing");
}

#[tokio::test]
async fn import_regions_updates_in_place_and_refuses_a_bad_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("regions.csv");
    let import = || grassroots(dir.path()).args(["import", "regions"]).arg(&file).output().unwrap();
    std::fs::write(
        &file,
        "code,name,level,parent_code\n110101,东城区,county,1101\n110101001,东华门街道,township,110101\n",
    )
    .unwrap();
    let first = import();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("2 added or changed"));
    std::fs::write(
        &file,
        "code,name,level,parent_code\n110101,东城区,county,1101\n110101001,东华门新街道,township,110101\n",
    )
    .unwrap();
    let again = import();
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("1 added or changed (1 renamed"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    std::fs::write(&file, "code,name,level,parent_code\n110101002,景山街道,township,110101\n11010x,坏,county,1101\n")
        .unwrap();
    let bad = import();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 3"), "{}", String::from_utf8_lossy(&bad.stderr));
    let store = open_store(dir.path()).await;
    let codes: Vec<String> = store.regions().await.unwrap().iter().map(|r| r.code.as_str().to_string()).collect();
    assert_eq!(codes, vec!["110101", "110101001"], "nothing of the bad file was written");
    assert_eq!(store.region_names("110101001").await.unwrap().len(), 1);
}

/// A GeoJSON layer of square grids (lng, lat of the south-west corner, side in degrees).
fn grid_layer(features: &[(&str, f64, f64, f64)]) -> String {
    let fs: Vec<String> = features
        .iter()
        .map(|(props, x, y, s)| {
            format!(
                r#"{{"type":"Feature","properties":{{{props}}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}"#,
                x + s,
                x + s,
                y + s,
                y + s
            )
        })
        .collect();
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(","))
}

#[tokio::test]
async fn import_boundaries_and_grids_checks_the_layer_whole_and_numbers_the_grids() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], file: &std::path::Path| grassroots(dir.path()).args(args).arg(file).output().unwrap();
    let text = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let regions = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/beijing-regions.csv");
    let districts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/beijing-districts.geojson");
    assert!(run(&["import", "regions"], &regions).status.success());

    let grids = dir.path().join("grids.geojson");
    // Near 天安门 in 东城区: two grids side by side in 多福巷社区, a third overlapping the second.
    let c = r#""community":"110101001001""#;
    std::fs::write(&grids, grid_layer(&[(c, 116.400, 39.910, 0.002), (c, 116.402, 39.910, 0.002)])).unwrap();
    let no_boundaries = run(&["import", "grids"], &grids);
    assert!(!no_boundaries.status.success());
    assert!(text(&no_boundaries).contains("import boundaries"), "{}", text(&no_boundaries));
    let loaded = run(&["import", "boundaries"], &districts);
    assert!(loaded.status.success(), "{}", text(&loaded));
    assert!(text(&loaded).contains("16 boundaries"));

    // One bad feature refuses the whole file.
    std::fs::write(
        &grids,
        grid_layer(&[(c, 116.400, 39.910, 0.002), (r#""community":"110101999999""#, 116.402, 39.910, 0.002)]),
    )
    .unwrap();
    let unknown = run(&["import", "grids"], &grids);
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("feature 2") && text(&unknown).contains("110101999999"), "{}", text(&unknown));
    // A grid in 西城区 is outside its community's district.
    std::fs::write(&grids, grid_layer(&[(c, 116.400, 39.910, 0.002), (c, 116.360, 39.910, 0.002)])).unwrap();
    let outside = run(&["import", "grids"], &grids);
    assert!(
        text(&outside).contains("feature 2") && text(&outside).contains("outside its district"),
        "{}",
        text(&outside)
    );
    let store = open_store(dir.path()).await;
    assert!(store.grids().await.unwrap().is_empty(), "nothing of a refused file is written");

    std::fs::write(
        &grids,
        grid_layer(&[(c, 116.402, 39.910, 0.002), (c, 116.400, 39.910, 0.002), (c, 116.403, 39.911, 0.002)]),
    )
    .unwrap();
    let ok = run(&["import", "grids", "--synthetic"], &grids);
    assert!(ok.status.success(), "{}", text(&ok));
    let report = text(&ok);
    assert!(
        report.contains("1 overlapping pair(s), 9") && report.contains("110101001001001 × 110101001001003"),
        "{report}"
    );
    assert!(report.contains("gaps"), "the rest of 东城区 is uncovered: {report}");
    assert!(report.contains("3 added"), "{report}");
    let stored = store.grids().await.unwrap();
    let codes: Vec<&str> = stored.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(codes, ["110101001001001", "110101001001002", "110101001001003"]);
    // Reading order: the northern grid first, then the southern row west to east.
    assert!(stored[0].centroid.1 > stored[1].centroid.1);
    assert!(stored[1].centroid.0 < stored[2].centroid.0);
    assert!(stored.iter().all(|g| g.synthetic && g.name.starts_with("多福巷社区第")));
}

/// Beijing's regions, the built-in categories and one unit, `cgw`, in a new store.
async fn beijing_with_one_unit(dir: &std::path::Path) -> grassroots_store::SqlStore {
    let regions = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/beijing-regions.csv");
    assert!(grassroots(dir).args(["import", "regions"]).arg(&regions).output().unwrap().status.success());
    let store = open_store(dir).await;
    let taxonomy = grassroots_domain::Taxonomy::builtin();
    store.upsert_categories(&taxonomy.iter().cloned().collect::<Vec<_>>()).await.unwrap();
    let unit = grassroots_store::Unit {
        id: "cgw".into(),
        name_zh: "东城区城市管理委员会".into(),
        name_en: "Urban management".into(),
        kind: "department".into(),
        region_code: "110101".into(),
    };
    store.upsert_units(&[unit]).await.unwrap();
    store
}

#[tokio::test]
async fn import_responsibilities_checks_every_line_then_loads_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let text = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let store = beijing_with_one_unit(dir.path()).await;
    let matrix = dir.path().join("matrix.csv");
    let import = |body: &str| {
        std::fs::write(&matrix, body).unwrap();
        grassroots(dir.path()).args(["import", "responsibilities"]).arg(&matrix).output().unwrap()
    };

    // One bad line refuses the file, naming the line and the field.
    for (body, expected) in [
        ("category_code,region_code,unit_id\n0302,110101,cgw\n0302,110101,nobody\n", "line 3: unit_id"),
        ("category_code,region_code,unit_id\n9999,110101,cgw\n", "line 2: category_code"),
        ("category_code,region_code,unit_id\n0302,110101999,cgw\n", "line 2: region_code"),
        ("category_code,region_code,unit_id,auto_dispatch\n0302,110101,cgw,maybe\n", "line 2: auto_dispatch"),
        ("category,region_code,unit_id\n0302,110101,cgw\n", "category_code, region_code and unit_id"),
    ] {
        let out = import(body);
        assert!(!out.status.success(), "{body}");
        assert!(text(&out).contains(expected), "{body}: {}", text(&out));
    }
    assert!(store.reference().await.unwrap().responsibilities.is_empty(), "nothing of a refused file is written");

    let ok = import("category_code,region_code,unit_id,auto_dispatch\n0302,110101,cgw,yes\n03,110101001,cgw,\n");
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("2 matrix lines loaded (1 dispatch automatically)"), "{}", text(&ok));
    let mut lines = store.reference().await.unwrap().responsibilities;
    lines.sort_by(|a, b| a.category_code.cmp(&b.category_code));
    let read: Vec<(&str, &str, bool)> =
        lines.iter().map(|l| (l.category_code.as_str(), l.region_code.as_str(), l.auto_dispatch)).collect();
    assert_eq!(read, [("03", "110101001", false), ("0302", "110101", true)]);
}

#[tokio::test]
async fn apikey_create_prints_the_key_last_and_keeps_only_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| grassroots(dir.path()).arg("apikey").args(args).output().unwrap();
    let created = run(&["create", "--name", "城市服务App"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let out = String::from_utf8(created.stdout).unwrap();
    let key = out.lines().last().unwrap().trim().to_string();
    assert!(key.len() >= 32, "{out}");
    let store = open_store(dir.path()).await;
    let digest = grassroots_store::auth::digest(&key);
    let found = store.api_key_by_hash(&digest).await.unwrap().expect("the key is known by its digest");
    assert_eq!(found.name, "城市服务App");
    assert!(store.api_key_by_hash(&key).await.unwrap().is_none(), "the key itself is not stored");

    let listed = String::from_utf8(run(&["list"]).stdout).unwrap();
    assert!(listed.contains(&found.id.to_string()) && listed.contains("active") && !listed.contains(&key));
    assert!(run(&["revoke", &found.id.to_string()]).status.success());
    assert!(store.api_key_by_hash(&digest).await.unwrap().is_none(), "a revoked key opens nothing");
    assert!(!run(&["revoke", &found.id.to_string()]).status.success(), "revoked once");
    assert!(!run(&["create", "--name", " "]).status.success(), "a key needs a name");
    let unknown = run(&["create", "--name", "区级App", "--region", "110199"]);
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("--region"));
    let reader = run(&["create", "--name", "只读", "--read-only"]);
    assert!(reader.status.success());
    let listed = String::from_utf8(run(&["list"]).stdout).unwrap();
    assert!(listed.lines().any(|l| l.contains("只读") && l.contains("  read  everywhere")), "{listed}");
}

#[tokio::test]
async fn export_cases_writes_every_case_masked_in_either_format() {
    use grassroots_domain::Actor;
    let dir = tempfile::tempdir().unwrap();
    assert!(grassroots(dir.path()).arg("migrate").output().unwrap().status.success());
    let store = open_store(dir.path()).await;
    let taxonomy = grassroots_domain::Taxonomy::builtin();
    store.upsert_categories(&taxonomy.iter().cloned().collect::<Vec<_>>()).await.unwrap();
    let now = chrono::Utc::now();
    // More than one export page, so the walk goes on past the first.
    let total = grassroots_store::export::PAGE as usize + 5;
    for i in 0..total {
        let case = street_light_report(format!("路灯不亮，第{i}件"), now - chrono::Duration::minutes(i as i64), vec![]);
        store.create_case(case, &Actor::Resident).await.unwrap();
    }
    let export = |args: &[&str]| grassroots(dir.path()).args(["export", "cases"]).args(args).output().unwrap();
    let csv = export(&[]);
    assert!(csv.status.success(), "{}", String::from_utf8_lossy(&csv.stderr));
    let text = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(text.lines().count(), total + 1, "a header and every case");
    assert!(text.contains("138****5678") && !text.contains("13812345678") && !text.contains("张三"));
    let file = dir.path().join("cases.jsonl");
    let jsonl = export(&["--format", "jsonl", "--state", "received", "--output", file.to_str().unwrap()]);
    assert!(jsonl.status.success());
    let written = std::fs::read_to_string(&file).unwrap();
    let first: serde_json::Value = serde_json::from_str(written.lines().next().unwrap()).unwrap();
    // Case i was received i minutes ago (recorded in the opposite order): the latest received first.
    assert_eq!(first["description"], "路灯不亮，第0件", "the latest received first");
    let last: serde_json::Value = serde_json::from_str(written.lines().last().unwrap()).unwrap();
    assert_eq!(last["description"], format!("路灯不亮，第{}件", total - 1), "the earliest received last");
    assert_eq!(written.lines().count(), total);
    assert!(!export(&["--format", "xml"]).status.success());
    assert!(!export(&["--state", "lost"]).status.success());
    let old = export(&["--to", "2020-01-01"]);
    assert_eq!(String::from_utf8(old.stdout).unwrap().lines().count(), 1, "the header only");
}

#[tokio::test]
async fn import_cases_reports_every_bad_row_and_imports_each_case_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = beijing_with_one_unit(dir.path()).await;
    let mapping = dir.path().join("mapping.json");
    std::fs::write(
        &mapping,
        r#"{"source": "old-12345",
            "columns": {"external_id": "工单编号", "received_at": "受理时间", "category": "分类",
                        "description": "内容", "lat": "纬度", "lng": "经度", "region": "区划",
                        "reporter_phone": "电话", "unit": "承办单位", "closed_at": "办结时间",
                        "result": "结果", "resolved": "是否解决", "satisfaction": "满意度"},
            "values": {"satisfaction": {"非常满意": "satisfied"}}}"#,
    )
    .unwrap();
    let header = "工单编号,受理时间,分类,内容,纬度,经度,区划,电话,承办单位,办结时间,结果,是否解决,满意度\n";
    let good = [
        "A1,2025-03-01 08:00:00,0301,路灯不亮,39.915,116.41,,13812345678,东城区城市管理委员会,2025-03-02 10:00:00,已修复,是,非常满意",
        "A2,2025-03-01 09:30,路灯,井盖缺失,,,110101001,,cgw,,,,",
        "A7,2025-03-02 10:00,,小区门口的路灯坏了好几天了，晚上黑乎乎的,,,110101001,,,,,,",
    ];
    let csv = dir.path().join("cases.csv");
    let run = |extra: &[&str]| {
        let out = grassroots(dir.path())
            .args(["import", "cases"])
            .arg(&csv)
            .arg("--mapping")
            .arg(&mapping)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let bad = [
        "A3,2025-13-01 08:00,0301,坏时间,39.915,116.41,,,,,,,",
        "A4,2025-03-01 08:00,0301,单位不明,39.915,116.41,,,城建局,,,,",
        "A5,2025-03-01 08:00,0301,未办结却有结果,,,110101,,,,已修复,,",
        "A1,2025-03-01 08:00,0301,重复编号,,,110101,,,,,,",
        "A6,2025-03-01 08:00,0301,只有纬度,39.9,,,,,,,,",
    ];
    std::fs::write(&csv, format!("{header}{}\n{}\n", good.join("\n"), bad.join("\n"))).unwrap();
    let (ok, out) = run(&[]);
    assert!(!ok, "{out}");
    for expected in [
        "row 5: received_at (column 受理时间)",
        "row 6: unit (column 承办单位)",
        "row 7: result (column 结果)",
        "row 8: external_id (column 工单编号)",
        "row 9: lng (column 经度)",
        "5 bad rows",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    assert_eq!(store.count_cases().await.unwrap(), 0, "one bad row imports nothing");

    // With the indexes set aside while writing, as for a large file.
    let (ok, out) = run(&["--skip-invalid", "--indexes", "rebuild"]);
    assert!(ok, "{out}");
    assert!(out.contains("3 cases imported from old-12345") && out.contains("5 bad rows skipped"), "{out}");
    assert!(out.contains("indexes of the cases table set aside"), "{out}");
    assert_eq!(
        store.restore_case_indexes("test", chrono::Utc::now()).await.unwrap(),
        0,
        "the import built them itself"
    );
    let (ok, out) = run(&["--skip-invalid"]);
    assert!(ok && out.contains("0 cases imported") && out.contains("3 imported before"), "{out}");
    assert_eq!(store.count_cases().await.unwrap(), 3, "a second import creates nothing twice");

    let page = store
        .list_cases(&grassroots_domain::Scope::All, &grassroots_store::CaseFilter { limit: 10, ..Default::default() })
        .await
        .unwrap();
    let closed = page.cases.iter().find(|c| c.record.description == "路灯不亮").unwrap();
    let r = &closed.record;
    assert_eq!(r.state, grassroots_domain::CaseState::Closed);
    assert_eq!(r.channel, grassroots_domain::Channel::Import);
    assert_eq!(r.lead_unit.as_deref(), Some("cgw"));
    assert_eq!(r.place.district_code.as_deref(), Some("110101"));
    let evaluation = r.evaluation.as_ref().unwrap();
    assert!(evaluation.resolved && evaluation.satisfaction == grassroots_domain::Satisfaction::Satisfied);
    assert_eq!(closed.reporter.phone.as_deref(), Some("138****5678"));
    let events: Vec<&str> = store.case_events(r.id).await.unwrap().iter().map(|e| e.kind.name()).collect();
    assert_eq!(events, ["received", "imported", "evaluated"]);
    let open = page.cases.iter().find(|c| c.record.description == "井盖缺失").unwrap();
    assert_eq!(open.record.state, grassroots_domain::CaseState::Dispatched, "an open case with its unit");
    assert_eq!(open.record.due_status, grassroots_domain::DueStatus::Overdue, "marked as due now, not at receipt");
    let history: Vec<&str> = store.case_events(open.record.id).await.unwrap().iter().map(|e| e.kind.name()).collect();
    assert_eq!(history, ["received", "imported", "due_status_changed"]);
    assert_eq!(open.record.place.street_code.as_deref(), Some("110101001"));
    assert_eq!(open.record.category_code, "0301", "a category given by its name");
    // None given: the classifier proposes one; not trusted to decide alone (no threshold is
    // set), the case waits in 其他 for a person, with the proposal and its reasons kept.
    let unsorted = page.cases.iter().find(|c| c.record.description.starts_with("小区门口的路灯")).unwrap();
    assert_eq!(unsorted.record.category_code, grassroots_domain::decisions::UNSORTED);
    let decided = store.case_decisions(unsorted.record.id).await.unwrap();
    assert_eq!(decided.len(), 1, "{decided:?}");
    let proposal = &decided[0].decision;
    assert_eq!(proposal.kind, grassroots_domain::decisions::DecisionKind::CategoryProposed);
    assert!(proposal.category_code == "0301" && proposal.reasons.iter().any(|r| r.contains("路灯")), "{proposal:?}");

    // JSON lines through the same mapping.
    let jsonl = dir.path().join("more.jsonl");
    std::fs::write(
        &jsonl,
        "{\"工单编号\": \"B1\", \"受理时间\": \"2025-04-01T08:00:00+08:00\", \"分类\": \"0301\", \"内容\": \"灯杆倾斜\", \"区划\": 110101}\n\nnot json\n{\"工单编号\": \"B2\", \"受理时间\": \"2025-04-01 08:00\", \"分类\": \"0301\", \"内容\": \"a\\u0000b\", \"区划\": \"110101\"}\n{\"工单编号\": 123456789012345678901234, \"受理时间\": \"2025-04-01 08:00\", \"分类\": \"0301\", \"内容\": \"长编号\", \"区划\": \"110101\"}\n",
    )
    .unwrap();
    let out =
        grassroots(dir.path()).args(["import", "cases"]).arg(&jsonl).arg("--mapping").arg(&mapping).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && text.contains("row 3: ") && text.contains("not a JSON object"), "{text}");
    assert!(text.contains("row 4: description (column 内容)") && text.contains("NUL"), "{text}");
    assert!(text.contains("row 5: external_id (column 工单编号)") && text.contains("as text"), "{text}");
    let out = grassroots(dir.path())
        .args(["import", "cases", "--skip-invalid"])
        .arg(&jsonl)
        .arg("--mapping")
        .arg(&mapping)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 cases imported"), "{out:?}");

    std::fs::write(
        &mapping,
        r#"{"source": "x", "columns": {"external_id": "a", "received_at": "b", "category": "c", "desc": "d"}}"#,
    )
    .unwrap();
    let (ok, out) = run(&[]);
    assert!(!ok && out.contains("unknown field 'desc'"), "{out}");
}

#[tokio::test]
async fn model_train_keeps_a_version_with_its_evaluation_and_puts_it_into_service() {
    let dir = tempfile::tempdir().unwrap();
    assert!(grassroots(dir.path()).arg("migrate").output().unwrap().status.success());
    let store = open_store(dir.path()).await;
    let taxonomy = grassroots_domain::Taxonomy::builtin();
    store.upsert_categories(&taxonomy.iter().cloned().collect::<Vec<_>>()).await.unwrap();
    let train = grassroots(dir.path()).args(["model", "train"]).output().unwrap();
    assert!(train.status.success(), "{}", String::from_utf8_lossy(&train.stderr));
    let said = String::from_utf8(train.stdout).unwrap();
    assert!(said.contains("version 1: learned from 0 labelled cases"), "{said}");
    assert!(said.contains("accuracy: top-level 0.9"), "the independent requests: {said}");
    assert!(said.contains("0301 路灯") && said.contains("version 1 is in service"), "{said}");
    assert_eq!(store.version_in_service().await.unwrap(), Some(1));
    let listed = grassroots(dir.path()).args(["model", "list"]).output().unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(listed.starts_with("version 1 (in service): trained"), "{listed}");
}
