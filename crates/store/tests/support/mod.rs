//! Test databases for both backends and a small world to run the closed loop in.
// Shared by several test binaries, each of which uses only part of it.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::deadlines;
use grassroots_domain::case::Place;
use grassroots_domain::workflow::{decide, evolve, CaseEvent, EventKind, Move, MoveContext};
use grassroots_domain::{
    Actor, CaseState, Channel, Priority, RequestType, Role, Satisfaction, Scope, Taxonomy, WorkCalendar,
};
use grassroots_store::{CaseFilter, CreatedCase, HistoricCase, NewAttachment, NewCase, Store, Unit};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

mod db;
pub use db::*;

pub const UNIT_A: &str = "unit-a";
pub const UNIT_B: &str = "unit-b";
pub const GRID: &str = "110101001001001";

/// A small square grid of the test world, `x` degrees east.
pub fn grid(code: &str, x: f64) -> grassroots_store::GridRow {
    grassroots_store::GridRow {
        code: code.into(),
        community_code: code[..12].into(),
        name: format!("网格{}", &code[12..]),
        geometry: serde_json::json!({"type": "MultiPolygon", "coordinates": [[[[x, 39.9], [x + 0.01, 39.9], [x + 0.01, 39.91], [x, 39.9]]]]}),
        area_m2: 1000.0,
        centroid: (x + 0.005, 39.905),
        synthetic: true,
    }
}

#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::support::sqlite_db().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs GRASSROOTS_TEST_POSTGRES_URL; .ci/run runs these"]
                async fn $name() {
                    super::$name(super::support::postgres_db().await).await
                }
            )*
        }
    };
}

pub fn staff(role: Role, scope: Scope) -> Actor {
    Actor::Staff { user_id: Uuid::now_v7(), username: role.as_str().into(), role, scope }
}

pub fn scope_of(actor: &Actor) -> Scope {
    match actor {
        Actor::Staff { scope, .. } => scope.clone(),
        _ => panic!("staff only"),
    }
}

pub fn filter() -> CaseFilter {
    CaseFilter { limit: 50, ..CaseFilter::default() }
}

pub struct Fixture {
    pub taxonomy: Taxonomy,
    pub calendar: WorkCalendar,
}

impl Fixture {
    pub async fn new(store: &dyn Store) -> Self {
        let taxonomy = Taxonomy::builtin();
        store.upsert_categories(&taxonomy.iter().cloned().collect::<Vec<_>>()).await.unwrap();
        store.replace_calendar(&WorkCalendar::builtin_days()).await.unwrap();
        let unit = |id: &str| Unit {
            id: id.into(),
            name_zh: format!("单位{id}"),
            name_en: id.into(),
            kind: "department".into(),
            region_code: "110101".into(),
        };
        store.upsert_units(&[unit(UNIT_A), unit(UNIT_B), unit("unit-c")]).await.unwrap();
        let reference = store.reference().await.unwrap();
        Self { taxonomy: reference.taxonomy, calendar: reference.calendar }
    }

    pub fn ctx(&self, now: DateTime<Utc>) -> MoveContext<'_> {
        MoveContext {
            now,
            calendar: &self.calendar,
            taxonomy: &self.taxonomy,
            return_window: Duration::hours(24),
            max_extension_days: 15,
        }
    }

    pub fn dispatcher(&self) -> Actor {
        staff(Role::Dispatcher, Scope::parse("region:110101").unwrap())
    }

    pub fn supervisor(&self) -> Actor {
        staff(Role::Supervisor, Scope::parse("region:110101").unwrap())
    }

    /// Staff who move cases: a dispatcher, the handlers of units A and B, a supervisor and the
    /// grid's worker.
    pub fn staff_of_every_role(&self) -> Vec<Actor> {
        vec![
            self.dispatcher(),
            self.handler(UNIT_A),
            self.handler(UNIT_B),
            self.supervisor(),
            staff(Role::GridWorker, Scope::Grids { codes: vec![GRID.into()] }),
        ]
    }

    /// The loop up to a passed verification: registered, dispatched to unit A with unit B,
    /// accepted, the resident contacted, handled, verified.
    pub fn moves_to_verified(&self) -> Vec<(Actor, Move)> {
        vec![
            (self.dispatcher(), Move::Register { note: None }),
            (self.dispatcher(), Move::Dispatch { unit: UNIT_A.into(), co_units: vec![UNIT_B.into()], note: None }),
            (self.handler(UNIT_A), Move::Accept {}),
            (self.handler(UNIT_A), Move::Contact { note: "电话联系".into() }),
            (self.handler(UNIT_A), Move::ReportHandled { result: "已更换灯泡".into(), evidence: vec![] }),
            (self.supervisor(), Move::StartVerification {}),
            (self.supervisor(), Move::Verify { passed: true, note: "现场已亮".into() }),
        ]
    }

    pub fn handler(&self, unit: &str) -> Actor {
        staff(Role::Handler, Scope::Unit { unit: unit.into() })
    }

    pub async fn report(&self, store: &dyn Store, description: &str, phone: Option<&str>) -> CreatedCase {
        self.report_full(store, description, phone, Utc::now()).await
    }

    pub async fn report_at(&self, store: &dyn Store, description: &str, at: DateTime<Utc>) -> CreatedCase {
        self.report_full(store, description, None, at).await
    }

    /// An anonymous report of `category` at (lat, lng).
    pub async fn report_placed(&self, store: &dyn Store, category: &str, lat: f64, lng: f64) -> CreatedCase {
        let mut new = self.new_case("路灯不亮", None, Utc::now());
        new.category_code = category.into();
        new.place.lat = Some(lat);
        new.place.lng = Some(lng);
        store.create_case(new, &Actor::Resident).await.unwrap()
    }

    /// A report whose reporter asked for text messages about it.
    pub async fn report_notified(&self, store: &dyn Store, description: &str, phone: &str) -> CreatedCase {
        let mut new = self.new_case(description, Some(phone), Utc::now());
        new.notify_reporter = true;
        store.create_case(new, &Actor::Resident).await.unwrap()
    }

    pub async fn report_with_photo(&self, store: &dyn Store, description: &str, png: Vec<u8>) -> CreatedCase {
        let mut new = self.new_case(description, None, Utc::now());
        new.attachments = vec![NewAttachment { media_type: "image/png".into(), bytes: png }];
        store.create_case(new, &Actor::Resident).await.unwrap()
    }

    async fn report_full(
        &self,
        store: &dyn Store,
        description: &str,
        phone: Option<&str>,
        at: DateTime<Utc>,
    ) -> CreatedCase {
        store.create_case(self.new_case(description, phone, at), &Actor::Resident).await.unwrap()
    }

    /// A report of 0302 with the machine's decisions about it.
    pub async fn report_decided(
        &self,
        store: &dyn Store,
        description: &str,
        decisions: Vec<grassroots_domain::decisions::Decision>,
    ) -> CreatedCase {
        let new = NewCase { decisions, ..self.new_case(description, None, Utc::now()) };
        store.create_case(new, &Actor::Resident).await.unwrap()
    }

    pub fn new_case(&self, description: &str, phone: Option<&str>, at: DateTime<Utc>) -> NewCase {
        let category = self.taxonomy.get("0302").unwrap();
        let due = deadlines(&self.calendar, category, Priority::Normal, at);
        NewCase {
            category_code: category.code.0.clone(),
            request_type: RequestType::Complaint,
            priority: Priority::Normal,
            channel: Channel::Web,
            description: description.into(),
            place: Place {
                district_code: Some("110101".into()),
                street_code: Some("110101001".into()),
                community_code: Some("110101001001".into()),
                grid_code: Some(GRID.into()),
                lat: Some(39.91),
                lng: Some(116.40),
                address: None,
                located_by: None,
            },
            reporter_name: phone.map(|_| "张三".to_string()),
            reporter_phone: phone.map(str::to_string),
            anonymous: phone.is_none(),
            notify_reporter: false,
            response_due: due.response_due,
            resolve_due: due.resolve_due,
            received_at: at,
            attachments: vec![],
            decisions: vec![],
            then: None,
            key: None,
        }
    }

    /// A case loaded in bulk with its history (as imports and the demo load them), received at
    /// `place` (none: without a point): received, registered, dispatched to unit A with B,
    /// contacted.
    pub fn historic_at(&self, at: DateTime<Utc>, place: Option<(f64, f64)>) -> HistoricCase {
        let mut new = self.new_case("历史案件", None, at);
        new.place.lat = place.map(|p| p.0);
        new.place.lng = place.map(|p| p.1);
        let received = EventKind::Received {
            tracking_no: format!("H{}", at.timestamp_millis()),
            category_code: new.category_code,
            request_type: new.request_type,
            priority: new.priority,
            channel: new.channel,
            description: new.description,
            place: new.place,
            response_due: new.response_due,
            resolve_due: new.resolve_due,
        };
        let id = Uuid::now_v7();
        let event = |seq: i64, at: DateTime<Utc>, kind: EventKind| CaseEvent {
            id: Uuid::now_v7(),
            case_id: id,
            seq,
            at,
            actor_kind: "staff".into(),
            actor_id: None,
            kind,
        };
        let mut events = vec![event(1, at, received)];
        let mut record = evolve(None, &events[0]).unwrap();
        // As far as the resident's contact.
        for (i, (actor, mv)) in self.moves_to_verified().iter().take(4).enumerate() {
            let t = at + Duration::hours(i as i64 + 1);
            let kind = decide(&record, actor, mv, &self.ctx(t)).unwrap();
            let e = event(record.version + 1, t, kind);
            record = evolve(Some(record), &e).unwrap();
            events.push(e);
        }
        HistoricCase {
            record,
            events,
            reporter_name: None,
            reporter_phone: None,
            anonymous: true,
            query_code: "000000".into(),
            decisions: vec![],
        }
    }

    /// `historic_at` at the fixture's usual point.
    pub fn historic(&self, at: DateTime<Utc>) -> HistoricCase {
        self.historic_at(at, Some((39.91, 116.40)))
    }

    pub async fn dispatch_to(&self, store: &dyn Store, id: Uuid, unit: &str, co: &[&str]) {
        let ctx = self.ctx(Utc::now());
        store.apply_move(&self.dispatcher(), id, &Move::Register { note: None }, &ctx).await.unwrap();
        let mv = Move::Dispatch { unit: unit.into(), co_units: co.iter().map(|s| s.to_string()).collect(), note: None };
        store.apply_move(&self.dispatcher(), id, &mv, &ctx).await.unwrap();
    }
}

pub async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// The transitions DESIGN §4 allows (self-loops for moves that leave the state as it is).
pub fn allowed_transition(from: CaseState, to: CaseState) -> bool {
    use CaseState::*;
    from == to && !matches!(from, Rejected | Merged)
        || matches!(
            (from, to),
            (Received, Registered | Rejected | Merged)
                | (Registered, Dispatched | Rejected | Merged)
                | (Dispatched, InProgress | Registered)
                | (InProgress, Handled | Dispatched)
                | (Handled, Verifying | Closed)
                | (Verifying, Closed | InProgress)
                | (Closed, Dispatched)
        )
}

pub fn sample_moves() -> Vec<Move> {
    vec![
        Move::Register { note: None },
        Move::Reject { reason: "不属于受理范围".into() },
        Move::Reject { reason: "".into() },
        Move::Dispatch { unit: UNIT_A.into(), co_units: vec![UNIT_B.into()], note: None },
        Move::Dispatch { unit: "nowhere".into(), co_units: vec![], note: None },
        Move::Redispatch { unit: UNIT_B.into(), co_units: vec![], reason: "职责调整".into() },
        Move::Return { reason: "非本单位职责".into() },
        Move::Accept {},
        Move::Contact { note: "已电话联系".into() },
        Move::RequestExtension { days: 2, reason: "需要协调".into() },
        Move::RequestExtension { days: 99, reason: "太长".into() },
        Move::ApproveExtension { note: None },
        Move::RejectExtension { reason: "理由不足".into() },
        Move::Supervise { note: "请加快".into(), escalate: true },
        Move::ReportHandled { result: "已处理".into(), evidence: vec![] },
        Move::StartVerification {},
        Move::Verify { passed: true, note: "通过".into() },
        Move::Verify { passed: false, note: "未通过".into() },
        Move::Close { note: None },
        Move::Evaluate { resolved: false, satisfaction: Satisfaction::Dissatisfied, comment: None },
        Move::Reopen { reason: "群众不满意".into() },
    ]
}

/// A seeded generator so a failure repeats.
pub struct SmallRng(rand::rngs::StdRng);

impl SmallRng {
    pub fn new(seed: u64) -> Self {
        Self(rand::rngs::StdRng::seed_from_u64(seed))
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0.gen_range(0..n)
    }
}

/// A warning of danger in a case, texting `tell`.
pub fn danger_about(case_id: Uuid, tell: Vec<Uuid>) -> grassroots_store::warnings::NewWarning {
    grassroots_store::warnings::NewWarning {
        kind: grassroots_domain::warnings::WarningKind::Danger,
        key: format!("danger:{case_id}"),
        district_code: Some("110101".into()),
        street_code: Some("110101001".into()),
        community_code: None,
        grid_code: None,
        category_code: None,
        case_id: Some(case_id),
        count: None,
        baseline: None,
        words: vec!["跳楼".into()],
        raised_at: Utc::now(),
        tell,
    }
}

/// A resident signed in as a first sign-in makes one: a code kept and tried at once.
pub async fn resident(s: &dyn Store, phone: &str) -> grassroots_store::residents::Resident {
    let (mobile, now) = (grassroots_domain::residents::Mobile::parse(phone).unwrap(), chrono::Utc::now());
    let kept =
        s.keep_code(&mobile, [192, 0, 2, 1].into(), "123456", now, now + chrono::Duration::minutes(5)).await.unwrap();
    assert_eq!(kept, grassroots_store::residents::CodeKept::Kept);
    match s
        .sign_in_resident(&mobile, "123456", &format!("token-{phone}"), now, now + chrono::Duration::days(1))
        .await
        .unwrap()
    {
        grassroots_store::residents::SignIn::SignedIn(r) => r,
        refused => panic!("{refused:?}"),
    }
}
