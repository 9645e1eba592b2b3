//! 减负 on both backends: a bulletin of last month made on demand has the numbers the
//! dashboard's rates give for that month, and its page, PDF and workbook print the same; the
//! schedule makes each subject's bulletin once; a subject outside the reader's scope or a period
//! not yet over is refused by field. The district keeps its 准入清单; a community registers
//! what was imposed, flagged when not on the list or asking for what the platform holds, and the
//! totals add up.

mod support;

use std::io::Read;

use chrono::{Duration, NaiveDate, Utc};
use grassroots_domain::bulletins::{Bulletin, BulletinPeriod, Cell, RankedPart};
use grassroots_domain::calendar::beijing_day;
use grassroots_store::prelude::*;
use grassroots_store::HistoricCase;
use serde_json::{json, Value};
use support::*;
use uuid::Uuid;

api_tests!(a_bulletin_says_what_the_dashboard_says_in_three_forms, impositions_are_flagged_against_the_list);

/// A case taken through the loop (two evaluated, one left open), copied into the middle of last
/// month with every time moved back alike.
async fn last_month(app: &TestApp) -> (NaiveDate, NaiveDate) {
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler-a").await;
    let supervisor = app.login("supervisor").await;
    let mut ids = Vec::new();
    for satisfied in [Some(true), Some(false), None] {
        let created = app.resident_report().await;
        let id = created["id"].as_str().unwrap().to_string();
        let (no, code) = (created["tracking_no"].as_str().unwrap(), created["query_code"].as_str().unwrap());
        app.act_ok(&dispatcher, &id, &json!({ "action": "register", "note": "属实" })).await;
        app.act_ok(&dispatcher, &id, &json!({ "action": "dispatch", "unit": UNIT_A })).await;
        if let Some(satisfied) = satisfied {
            app.act_ok(&handler, &id, &json!({ "action": "accept" })).await;
            app.act_ok(&handler, &id, &json!({ "action": "contact", "note": "已电话联系群众" })).await;
            app.act_ok(&handler, &id, &json!({ "action": "report_handled", "result": "已处理" })).await;
            app.act_ok(&supervisor, &id, &json!({ "action": "start_verification" })).await;
            app.act_ok(&supervisor, &id, &json!({ "action": "verify", "passed": true, "note": "核实" })).await;
            let (resolved, satisfaction) = if satisfied { (true, "satisfied") } else { (false, "dissatisfied") };
            let body = json!({ "code": code, "resolved": resolved, "satisfaction": satisfaction });
            let evaluated = app.post(&format!("/api/v1/track/{no}/evaluation")).json(&body).send().await;
            assert_eq!(evaluated.status, 200, "{}", evaluated.text());
        }
        ids.push(Uuid::parse_str(&id).unwrap());
    }
    let span = BulletinPeriod::Month.last_complete(beijing_day(Utc::now()));
    let middle = span.from + Duration::days(10);
    let mut history = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let mut record = app.store.case_record(*id).await.unwrap().unwrap();
        let events = app.store.case_events(*id).await.unwrap();
        let target = grassroots_app::fields::time("at", &middle.to_string(), false).unwrap() + Duration::hours(2);
        let shift = target - record.received_at;
        record.id = Uuid::now_v7();
        record.tracking_no = format!("PAST{n:04}");
        for t in
            [&mut record.received_at, &mut record.clock_started_at, &mut record.response_due, &mut record.resolve_due]
        {
            *t += shift;
        }
        for t in [
            &mut record.first_dispatched_at,
            &mut record.dispatched_at,
            &mut record.first_contact_at,
            &mut record.handled_at,
            &mut record.closed_at,
        ] {
            *t = t.map(|t| t + shift);
        }
        record.updated_at += shift;
        if let Some(e) = record.evaluation.as_mut() {
            e.at += shift;
        }
        let events = events
            .into_iter()
            .map(|e| grassroots_domain::CaseEvent { id: Uuid::now_v7(), case_id: record.id, at: e.at + shift, ..e })
            .collect();
        history.push(HistoricCase {
            record,
            events,
            reporter_name: None,
            reporter_phone: None,
            anonymous: true,
            query_code: "123456".into(),
            decisions: Vec::new(),
        });
    }
    app.store.insert_history(&history).await.unwrap();
    (span.from, span.to)
}

/// The texts a PDF of ours shows (`Tj`): literal strings with their escapes, or hex strings,
/// each UTF-16 big-endian as the font's encoding wants.
fn pdf_texts(pdf: &[u8]) -> Vec<String> {
    let mut texts = Vec::new();
    let mut i = 0;
    while i < pdf.len() {
        let (bytes, end) = match pdf[i] {
            b'(' => {
                let (mut bytes, mut j) = (Vec::new(), i + 1);
                while j < pdf.len() && pdf[j] != b')' {
                    if pdf[j] == b'\\' {
                        j += 1;
                        let digits = pdf[j..].iter().take(3).take_while(|d| (b'0'..=b'7').contains(d)).count();
                        if digits > 0 {
                            let octal = std::str::from_utf8(&pdf[j..j + digits]).unwrap();
                            bytes.push(u8::from_str_radix(octal, 8).unwrap());
                            j += digits;
                            continue;
                        }
                        bytes.push(match pdf[j] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            other => other,
                        });
                    } else {
                        bytes.push(pdf[j]);
                    }
                    j += 1;
                }
                (bytes, j + 1)
            }
            b'<' if pdf.get(i + 1).is_some_and(u8::is_ascii_hexdigit) => {
                let end = i + pdf[i..].iter().position(|b| *b == b'>').unwrap();
                let hex = std::str::from_utf8(&pdf[i + 1..end]).unwrap();
                let bytes =
                    (0..hex.len() / 2).map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap()).collect();
                (bytes, end + 1)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        if pdf[end..].starts_with(b" Tj") && bytes.len() % 2 == 0 {
            let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            texts.push(String::from_utf16_lossy(&units));
        }
        i = end;
    }
    texts
}

/// The values of a workbook's first sheet, numbers as written.
fn sheet_values(bytes: &[u8]) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut xml).unwrap();
    xml.split("<v>").skip(1).filter_map(|v| v.split("</v>").next()).map(str::to_string).collect()
}

async fn a_bulletin_says_what_the_dashboard_says_in_three_forms(app: TestApp) {
    let (from, to) = last_month(&app).await;
    let leader = app.login("leader").await;
    let post = |body: Value| app.post("/api/v1/bulletins").bearer(&leader).json(&body).send();
    let bad_period = post(json!({ "subject": "district", "code": DISTRICT, "period": "year" })).await;
    assert_eq!(bad_period.error_field().as_deref(), Some("period"));
    let unfinished = beijing_day(Utc::now()).format("%Y-%m").to_string();
    let early = post(json!({ "subject": "district", "code": DISTRICT, "period": "month", "of": unfinished })).await;
    assert_eq!(early.error_field().as_deref(), Some("of"), "a month not over is not reported");
    let unknown = post(json!({ "subject": "street", "code": "999999999", "period": "month" })).await;
    assert_eq!(unknown.error_field().as_deref(), Some("code"));
    let worker = app.login("gridworker").await;
    let outside = app
        .post("/api/v1/bulletins")
        .bearer(&worker)
        .json(&json!({ "subject": "district", "code": DISTRICT, "period": "month" }))
        .send()
        .await;
    assert_eq!(outside.error_field().as_deref(), Some("code"), "a grid worker's scope holds no district");

    let made = post(json!({ "subject": "district", "code": DISTRICT, "period": "month" })).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let made = made.json();
    let id = made["id"].as_str().unwrap().to_string();
    let bulletin: Bulletin = serde_json::from_value(made["bulletin"].clone()).unwrap();
    assert_eq!((bulletin.span.from, bulletin.span.to), (from, to));
    // The dashboard's rates of the same month.
    let rates = app
        .get(&format!("/api/v1/stats/rates?region={DISTRICT}&from={from}&to={to}"))
        .bearer(&leader)
        .send()
        .await
        .json();
    let counts = serde_json::to_value(bulletin.rates.counts).unwrap();
    assert_eq!(counts, rates["counts"], "the bulletin's counts are the dashboard's");
    assert_eq!((bulletin.rates.counts.dispatched, bulletin.rates.counts.evaluated), (3, 2));
    assert_eq!((bulletin.received, bulletin.pending), (3, 1));
    assert_eq!(bulletin.ranking.len(), 1, "the one street with cases");
    assert_eq!(bulletin.ranking[0].rates.counts, bulletin.rates.counts);
    let dashboard_of = |region: &str| {
        app.get(&format!("/dashboard?region={region}&from={from}&to={to}")).header("cookie", &session(&leader)).send()
    };
    let dashboard = dashboard_of(DISTRICT).await.text();
    let resolution = grassroots_domain::bulletins::percent(bulletin.rates.resolution);
    assert_eq!(resolution, "50.0%");
    assert!(dashboard.contains("50%"), "the dashboard shows the resolution rate too");

    // The page, the PDF and the workbook print the same numbers.
    let page = app.get(&format!("/bulletins/{id}")).header("cookie", &session(&leader)).send().await.text();
    let pdf = app.get(&format!("/api/v1/bulletins/{id}/pdf")).bearer(&leader).send().await;
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    let xlsx = app.get(&format!("/bulletins/{id}/xlsx")).header("cookie", &session(&leader)).send().await;
    assert!(xlsx.header("content-disposition").is_some_and(|d| d.contains(".xlsx")));
    let values = sheet_values(&xlsx.body);
    let texts = pdf_texts(&pdf.body);
    assert!(texts.contains(&bulletin.title()), "the PDF's title: {:?}", &texts[..2]);
    let mut checked = 0;
    for table in bulletin.tables() {
        for cell in table.rows.iter().flatten() {
            let shown = cell.shown();
            assert!(page.contains(&format!(">{shown}<")), "the page shows {shown}");
            assert!(texts.contains(&shown), "the PDF shows {shown}");
            if let (Some(n), false) = (cell.number(), matches!(cell, Cell::Text(_))) {
                assert!(
                    values.iter().any(|v| v.parse::<f64>().is_ok_and(|v| (v - n).abs() < 1e-9)),
                    "the sheet keeps {n}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 15, "{checked} numbers compared");

    // A street's bulletin ranks its communities, as its dashboard lists them: here the one
    // with cases, holding all of the street's.
    let street = post(json!({ "subject": "street", "code": STREET, "period": "month" })).await;
    assert_eq!(street.status, 201, "{}", street.text());
    let street: Bulletin = serde_json::from_value(street.json()["bulletin"].clone()).unwrap();
    assert_eq!(street.ranked, RankedPart::Community);
    let ranked: Vec<&str> = street.ranking.iter().map(|l| l.code.as_str()).collect();
    assert_eq!(ranked, [COMMUNITY]);
    assert!(street.ranking[0].name.contains("多福巷"), "{:?}", street.ranking[0]);
    assert_eq!(street.ranking[0].rates.counts, street.rates.counts);
    assert!(street.tables().iter().any(|t| t.headers.contains(&"社区")));
    let board = dashboard_of(STREET).await.text();
    assert!(board.contains("各社区") && board.contains(&street.ranking[0].name), "{board}");

    // The schedule makes each subject's last month and week once; the one made stays one.
    let today = beijing_day(Utc::now());
    let made = grassroots_app::bulletins::run_schedule(&app.platform, today).await.unwrap();
    let again = grassroots_app::bulletins::run_schedule(&app.platform, today).await.unwrap();
    assert!(made > 2 && again == 0, "{made} then {again}");
    let listed = app.get("/api/v1/bulletins").bearer(&leader).send().await.json();
    let months: Vec<&Value> = listed["bulletins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["subject_code"] == DISTRICT && b["period"] == "month")
        .collect();
    assert_eq!(months.len(), 1, "the district's month is one bulletin: {listed}");
    // Outside the reader's scope, the district's bulletin is not found: a grid worker, a unit.
    for reader in ["gridworker-other", "handler-b"] {
        let token = app.login(reader).await;
        assert_eq!(app.get(&format!("/api/v1/bulletins/{id}")).bearer(&token).send().await.status, 404, "{reader}");
    }
}

async fn impositions_are_flagged_against_the_list(app: TestApp) {
    let supervisor = app.login("supervisor").await;
    let worker = app.login("gridworker").await;
    let entry = |title: &str| json!({ "district_code": DISTRICT, "kind": "form", "title": title, "issuer": "区民政局", "basis": "准入清单2026" });
    let refused = app.post("/api/v1/burden/list").bearer(&worker).json(&entry("社区月报")).send().await;
    assert_eq!(refused.error_field().as_deref(), Some("district_code"), "a grid worker does not keep the list");
    let added = app.post("/api/v1/burden/list").bearer(&supervisor).json(&entry("社区月报")).send().await;
    assert_eq!(added.status, 201, "{}", added.text());
    let listed = added.json()["id"].as_str().unwrap().to_string();
    let gone = app.post("/api/v1/burden/list").bearer(&supervisor).json(&entry("已废止报表")).send().await.json();
    let gone = gone["id"].as_str().unwrap().to_string();
    app.post(&format!("/api/v1/burden/list/{gone}/withdraw")).bearer(&supervisor).send().await;

    let impose = |title: &str, entry: Option<&str>, asks: &[&str], hours: &str| {
        json!({ "community_code": COMMUNITY, "kind": "form", "title": title, "issuer": "区民政局",
                "hours": hours, "entry_id": entry, "asks": asks })
    };
    let post = |body: Value| app.post("/api/v1/burden").bearer(&worker).json(&body).send();
    assert_eq!(post(impose("x", Some(&gone), &[], "1")).await.error_field().as_deref(), Some("entry_id"));
    assert_eq!(post(impose("x", None, &["gossip"], "1")).await.error_field().as_deref(), Some("asks"));
    assert_eq!(post(impose("x", None, &[], "200")).await.error_field().as_deref(), Some("hours"));
    let listed_one = post(impose("社区月报", Some(&listed), &[], "2")).await.json();
    assert_eq!(listed_one["flags"], json!([]));
    let off = post(impose("迎检台账", None, &[], "8")).await.json();
    assert_eq!(off["flags"], json!(["not_listed"]));
    let again = post(impose("独居老人摸底表", None, &["care", "households"], "4.5")).await.json();
    assert_eq!(again["flags"], json!(["not_listed", "duplicate"]));
    assert_eq!(again["asks"], json!(["households", "care"]));
    let other = app.login("gridworker-other").await;
    let elsewhere = app.post("/api/v1/burden").bearer(&other).json(&impose("x", None, &[], "1")).send().await;
    assert_eq!(elsewhere.error_field().as_deref(), Some("community_code"));

    // The leader reads the totals; they add up from what was registered.
    let leader = app.login("leader").await;
    let figures = app.get("/api/v1/burden").bearer(&leader).send().await.json();
    assert_eq!(
        figures["totals"],
        json!({ "impositions": 3, "half_hours": 29, "not_listed": 2, "not_listed_half_hours": 25, "duplicates": 1 })
    );
    assert_eq!(figures["by_community"][0]["community_code"], COMMUNITY);
    let page = app.get("/burden").header("cookie", &session(&worker)).send().await.text();
    assert!(page.contains("data-flag=\"not_listed\"") && page.contains("href=\"/care\""), "{page}");
    assert!(page.contains("已废止报表"), "the withdrawn entry is listed, struck through");
}
