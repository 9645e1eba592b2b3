//! The notification gateway against a local SMS provider that fails, then takes messages; and
//! the development sink. Texts sent at once (sign-in codes) are signed alike, and a provider
//! that refuses one is reported to the sender. A 问效 survey of a unit's cases texts their
//! reporters a link to it when it opens.

#[path = "../../store/tests/support/db.rs"]
#[allow(dead_code)]
mod db;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::reference::Unit;
use grassroots_domain::surveys::{parse_questions, Anonymity, Purpose};
use grassroots_domain::workflow::{Move, MoveContext};
use grassroots_domain::{Actor, Channel, Priority, RequestType, Role, Scope, Taxonomy, WorkCalendar};
use grassroots_relay::notify::{DirectTexts, Notifier, Provider};
use grassroots_relay::signature;
use grassroots_store::messages::MessageState;
use grassroots_store::prelude::*;
use grassroots_store::surveys::{NewSurvey, UnitCases};
use grassroots_store::{NewCase, ResidentPass};
use uuid::Uuid;

const SECRET: &str = "the-sms-provider-secret";
const PUBLIC_URL: &str = "https://12345.example.gov.cn/";

#[derive(Default)]
struct ProviderStub {
    down: AtomicBool,
    /// Every request: (message id header, body, signature valid).
    got: Mutex<Vec<(String, serde_json::Value, bool)>>,
}

async fn receive(State(p): State<Arc<ProviderStub>>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let timestamp: i64 = header("x-grassroots-timestamp").parse().unwrap_or_default();
    let signed = header("x-grassroots-signature") == signature(SECRET, timestamp, body.as_bytes());
    let json = serde_json::from_str(&body).unwrap_or_default();
    p.got.lock().unwrap().push((header("x-grassroots-message-id"), json, signed));
    if p.down.load(Ordering::SeqCst) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

async fn start_provider() -> (Arc<ProviderStub>, String) {
    let provider = Arc::new(ProviderStub::default());
    let app = axum::Router::new().route("/sms", axum::routing::post(receive)).with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (provider, url)
}

/// A case whose reporter asked for messages, registered and dispatched: one message due.
async fn dispatched_case(store: &dyn Store) -> (Uuid, String) {
    let taxonomy = Taxonomy::builtin();
    store.upsert_categories(&taxonomy.iter().cloned().collect::<Vec<_>>()).await.unwrap();
    let unit = Unit {
        id: "unit-a".into(),
        name_zh: "东城区城市管理委员会".into(),
        name_en: "City management".into(),
        kind: "department".into(),
        region_code: "110101".into(),
    };
    store.upsert_units(&[unit]).await.unwrap();
    let calendar = WorkCalendar::default();
    let now = Utc::now();
    let case = NewCase {
        category_code: "0301".into(),
        request_type: RequestType::Complaint,
        priority: Priority::Normal,
        channel: Channel::Web,
        description: "路灯不亮".into(),
        place: Place { district_code: Some("110101".into()), ..Place::default() },
        reporter_name: None,
        reporter_phone: Some("13812345678".into()),
        anonymous: false,
        notify_reporter: true,
        response_due: now + Duration::hours(24),
        resolve_due: now + Duration::days(7),
        received_at: now,
        attachments: vec![],
        decisions: vec![],
        then: None,
        key: None,
    };
    let created = store.create_case(case, &Actor::Resident).await.unwrap();
    let ctx = MoveContext {
        now: Utc::now(),
        calendar: &calendar,
        taxonomy: &taxonomy,
        return_window: Duration::hours(24),
        max_extension_days: 15,
    };
    let dispatcher =
        Actor::Staff { user_id: Uuid::now_v7(), username: "d".into(), role: Role::Dispatcher, scope: Scope::All };
    store.apply_move(&dispatcher, created.id, &Move::Register { note: None }, &ctx).await.unwrap();
    let dispatch = Move::Dispatch { unit: "unit-a".into(), co_units: vec![], note: None };
    store.apply_move(&dispatcher, created.id, &dispatch, &ctx).await.unwrap();
    (created.id, created.tracking_no)
}

#[tokio::test]
async fn a_provider_that_fails_gets_the_message_again_signed_and_it_carries_a_working_link() {
    let db = db::sqlite_db().await;
    let store: Arc<dyn Store> = db.store.clone();
    let (id, tracking_no) = dispatched_case(&*store).await;
    let (provider, url) = start_provider().await;
    provider.down.store(true, Ordering::SeqCst);
    let notifier = Notifier::new(store.clone(), Provider::Http { url, secret: SECRET.into() }, PUBLIC_URL);
    let now = Utc::now() + Duration::seconds(1);

    assert_eq!(notifier.run_once(now).await.unwrap(), 1);
    assert_eq!(notifier.run_once(now).await.unwrap(), 0, "not again before its backoff");
    provider.down.store(false, Ordering::SeqCst);
    assert_eq!(notifier.run_once(now + Duration::seconds(6)).await.unwrap(), 1);
    assert_eq!(notifier.run_once(now + Duration::hours(1)).await.unwrap(), 0, "sent once taken");

    let got = provider.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|(_, _, signed)| *signed), "every request is signed");
    assert_eq!(got[0].0, got[1].0, "the same message id at every attempt");
    let body = &got[1].1;
    assert_eq!(body["to"], "13812345678");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains(&tracking_no) && text.contains("东城区城市管理委员会"), "{text}");
    let link = text.rsplit('：').next().unwrap();
    let token = link.strip_prefix("https://12345.example.gov.cn/track?t=").expect(text);
    let opened = store.track(&ResidentPass::Link { token, now: Utc::now() }).await.unwrap();
    assert_eq!(opened.map(|d| d.record.id), Some(id), "the link opens the case");

    let listed = store.messages(Some(id), 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].state, listed[0].attempts), (MessageState::Sent, 2));
    assert_eq!(listed[0].body.as_deref(), Some(text));
}

#[tokio::test]
async fn a_message_no_provider_takes_within_a_day_is_given_up() {
    let db = db::sqlite_db().await;
    let store: Arc<dyn Store> = db.store.clone();
    let (id, _) = dispatched_case(&*store).await;
    let (provider, url) = start_provider().await;
    provider.down.store(true, Ordering::SeqCst);
    let notifier = Notifier::new(store.clone(), Provider::Http { url, secret: SECRET.into() }, PUBLIC_URL);
    notifier.run_once(Utc::now() + Duration::hours(25)).await.unwrap();
    let listed = store.messages(Some(id), 10).await.unwrap();
    assert_eq!(listed[0].state, MessageState::Failed);
    assert_eq!(listed[0].last_error.as_deref(), Some("answered 503 Service Unavailable"));
    assert_eq!(notifier.run_once(Utc::now() + Duration::days(3)).await.unwrap(), 0, "not tried again");
}

#[tokio::test]
async fn the_development_sink_keeps_what_would_have_been_sent() {
    let db = db::sqlite_db().await;
    let store: Arc<dyn Store> = db.store.clone();
    let (id, tracking_no) = dispatched_case(&*store).await;
    let notifier = Notifier::new(store.clone(), Provider::Sink, PUBLIC_URL);
    assert_eq!(notifier.run_once(Utc::now() + Duration::seconds(1)).await.unwrap(), 1);
    let listed = store.messages(Some(id), 10).await.unwrap();
    assert_eq!((listed[0].state, listed[0].provider.as_deref()), (MessageState::Sent, Some("sink")));
    assert!(listed[0].body.as_deref().is_some_and(|b| b.contains(&tracking_no) && b.contains("/track?t=")));
}

#[tokio::test]
async fn a_survey_of_a_unit_s_cases_texts_their_reporters_a_link_to_it_when_it_opens() {
    use sqlx::Connection;
    let db = db::sqlite_db().await;
    let store: Arc<dyn Store> = db.store.clone();
    let (id, tracking_no) = dispatched_case(&*store).await;
    let notifier = Notifier::new(store.clone(), Provider::Sink, PUBLIC_URL);
    let now = Utc::now();
    assert_eq!(notifier.run_once(now + Duration::seconds(1)).await.unwrap(), 1, "the dispatch notice");
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE cases SET closed_at = $1 WHERE id = $2")
        .bind((now - Duration::hours(1)).timestamp_millis())
        .bind(id.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    let survey = NewSurvey {
        region_code: "110101".into(),
        title: "城管委办理情况回访".into(),
        intro: String::new(),
        purpose: Purpose::Effect,
        anonymity: Anonymity::Identified,
        questions: parse_questions("评分|对办理结果的满意程度").unwrap(),
        opens_at: now + Duration::hours(1),
        closes_at: now + Duration::days(7),
        task_id: None,
        unit_cases: Some(UnitCases { unit: "unit-a".into(), from: now - Duration::days(1), to: now }),
    };
    let staff =
        Actor::Staff { user_id: Uuid::now_v7(), username: "s".into(), role: Role::Supervisor, scope: Scope::All };
    let survey = store.create_survey(&staff, &survey, now).await.unwrap();
    assert_eq!(notifier.run_once(now + Duration::minutes(30)).await.unwrap(), 0, "not before it opens");
    assert_eq!(notifier.run_once(now + Duration::hours(2)).await.unwrap(), 1);
    let listed = store.messages(Some(id), 10).await.unwrap();
    let invite = listed.iter().find(|m| m.notice == CaseNotice::SurveyInvite).expect("the invitation");
    assert_eq!(invite.state, MessageState::Sent);
    assert_eq!(
        invite.body.as_deref(),
        Some(
            format!(
                "【问效】您反映的问题（编号{tracking_no}）由东城区城市管理委员会办理，请告诉我们办得怎样：\
                 https://12345.example.gov.cn/surveys/{}",
                survey.id
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn a_text_sent_at_once_is_signed_and_a_refusal_is_reported() {
    let (provider, url) = start_provider().await;
    let direct = DirectTexts::new(url, SECRET.into());
    direct.send("13812345678", "验证码 123456").await.unwrap();
    provider.down.store(true, Ordering::SeqCst);
    let refused = direct.send("13812345678", "验证码 654321").await.unwrap_err();
    assert!(refused.contains("503"), "{refused}");
    let got = provider.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let (first_id, first, signed) = &got[0];
    assert!(*signed, "signed as the queue's messages are");
    assert_eq!((first["to"].as_str(), first["text"].as_str()), (Some("13812345678"), Some("验证码 123456")));
    assert_ne!(first_id, &got[1].0, "each text its own message id");
}

/// An emergency notice reaches the area's grid worker through the provider, marked as a drill
/// in a drill, and is counted sent; one without a phone is counted failed, not retried.
#[tokio::test]
async fn an_emergency_notice_is_texted_to_the_area_and_counted() {
    use grassroots_domain::emergencies::{Assignee, IncidentKind, PlannedTask, Severity};
    use grassroots_store::emergencies::NewIncident;
    use grassroots_store::{GridRow, NewUser};
    let db = db::sqlite_db().await;
    let store: Arc<dyn Store> = db.store.clone();
    let grid = |code: &str, x: f64| GridRow {
        code: code.into(),
        community_code: code[..12].into(),
        name: code.into(),
        geometry: serde_json::json!({"type": "MultiPolygon", "coordinates": [[[[x, 39.9], [x + 0.01, 39.9], [x + 0.01, 39.91], [x, 39.91], [x, 39.9]]]]}),
        area_m2: 1.0,
        centroid: (x + 0.005, 39.905),
        synthetic: true,
    };
    let grids = [grid("110101001001001", 116.40), grid("110101001001002", 116.41)];
    store.replace_grids(&["110101001001".into()], &grids).await.unwrap();
    for (username, code, phone) in [("wg-1", &grids[0].code, Some("13900000001")), ("wg-2", &grids[1].code, None)] {
        let scope = Scope::parse(&format!("grid:{code}")).unwrap();
        let user = NewUser {
            username: username.into(),
            display_name: username.into(),
            password_hash: "x".into(),
            role: Role::GridWorker,
            scope,
        };
        store.upsert_user(&user).await.unwrap();
        store.set_user_phone(username, phone).await.unwrap();
    }
    let commander = Actor::Staff {
        user_id: Uuid::now_v7(),
        username: "supervisor".into(),
        role: Role::Supervisor,
        scope: Scope::parse("region:110101").unwrap(),
    };
    let incident = NewIncident {
        district_code: "110101".into(),
        kind: IncidentKind::Flood,
        severity: Severity::III,
        title: "防汛演练".into(),
        drill: true,
        grids: grids.iter().map(|g| g.code.clone()).collect(),
        polygon: None,
        tasks: vec![PlannedTask { assignee: Assignee::GridWorkers, unit_id: None, title: "到岗".into() }],
    };
    let opened = store.open_incident(&commander, &incident, Utc::now()).await.unwrap();
    store.send_notice(&commander, opened.id, "请网格员半小时内到岗", Utc::now()).await.unwrap();
    let (provider, url) = start_provider().await;
    let notifier = Notifier::new(store.clone(), Provider::Http { url, secret: SECRET.into() }, PUBLIC_URL);
    assert_eq!(notifier.run_once(Utc::now() + Duration::seconds(1)).await.unwrap(), 2);
    assert_eq!(notifier.run_once(Utc::now() + Duration::hours(1)).await.unwrap(), 0, "each once");
    let got = provider.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "the grid worker without a phone is not sent to");
    assert!(got[0].2, "signed");
    assert_eq!(got[0].1["to"], "13900000001");
    assert_eq!(got[0].1["text"], "【基层治理·应急演练】请网格员半小时内到岗");
    let counted = store.notices(opened.id).await.unwrap();
    assert_eq!((counted[0].sent, counted[0].failed, counted[0].pending), (1, 1, 0));
}
