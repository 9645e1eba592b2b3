//! 预见性 on its page: the weeks received beside the four weeks forecast, with the error the
//! forecasts made on the past weeks; a history too short says so; a bad category is refused.

mod support;

use chrono::{Duration, Utc};
use grassroots_store::prelude::*;
use grassroots_store::HistoricCase;
use support::*;
use uuid::Uuid;

api_tests!(a_steady_history_is_forecast_steady_with_its_error, a_short_history_cannot_be_checked);

/// Six cases a week for twenty weeks, copies of one report moved back in time.
async fn steady_history(app: &TestApp) {
    let created = app.resident_report().await;
    let id = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let record = app.store.case_record(id).await.unwrap().unwrap();
    let events = app.store.case_events(id).await.unwrap();
    let mut history = Vec::new();
    for week in 1..=20 {
        for k in 0..6 {
            let mut copy = record.clone();
            copy.id = Uuid::now_v7();
            copy.tracking_no = format!("HIST{week:03}{k:03}");
            copy.received_at = Utc::now() - Duration::weeks(week) - Duration::hours(k);
            let moved = events
                .iter()
                .map(|e| grassroots_domain::CaseEvent {
                    id: Uuid::now_v7(),
                    case_id: copy.id,
                    at: copy.received_at,
                    ..e.clone()
                })
                .collect();
            history.push(HistoricCase {
                record: copy,
                events: moved,
                reporter_name: None,
                reporter_phone: None,
                anonymous: true,
                query_code: "123456".into(),
                decisions: Vec::new(),
            });
        }
    }
    app.store.insert_history(&history).await.unwrap();
}

async fn a_steady_history_is_forecast_steady_with_its_error(app: TestApp) {
    steady_history(&app).await;
    let leader = session(&app.login("leader").await);
    let page = app.get(&format!("/dashboard/forecast?region={DISTRICT}")).header("cookie", &leader).send().await;
    assert_eq!(page.status, 200);
    let page = page.text();
    let forecasts: Vec<&str> = page.split(r#"<tr class="forecast">"#).skip(1).collect();
    assert_eq!(forecasts.len(), 4, "four weeks ahead");
    assert!(forecasts.iter().all(|row| row.contains(">6.0<")), "{forecasts:?}");
    let checked = page.split(r#"id="forecast-error""#).nth(1).unwrap().split("</p>").next().unwrap();
    assert!(checked.contains("<strong>0.0</strong>"), "a steady count is forecast without error: {checked}");
    let dashboard = app.get("/dashboard").header("cookie", &leader).send().await.text();
    assert!(dashboard.contains("/dashboard/forecast?region="), "linked from the dashboard");
}

async fn a_short_history_cannot_be_checked(app: TestApp) {
    app.resident_report().await;
    let leader = session(&app.login("leader").await);
    let page = app.get("/dashboard/forecast").header("cookie", &leader).send().await.text();
    assert!(page.contains("尚无法检验预测误差"), "{page}");
    let refused = app.get("/dashboard/forecast?category=9999").header("cookie", &leader).send().await;
    assert_eq!(refused.status, 422);
}
