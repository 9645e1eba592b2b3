//! `spawn_app()` for the API tests: a fresh store (SQLite in a temporary directory, or a new
//! PostgreSQL database on the server named by GRASSROOTS_TEST_POSTGRES_URL) seeded with 东城区,
//! the taxonomy, the calendar, a few units and one account per role; the router served on
//! 127.0.0.1:0; and a small HTTP/1.1 client that talks to it over a real socket, so the rate
//! limiter sees the client's address as it does in production.

#![allow(dead_code)]

use grassroots_store::prelude::*;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use grassroots_domain::case::Place;
use grassroots_domain::region::parse_region_csv;
use grassroots_domain::{Actor, Channel, Priority, RequestType, Role, Scope, Taxonomy, WorkCalendar};
use grassroots_store::{CreatedCase, GridRow, NewCase, NewUser, SqlStore, Store, Unit};
use grassroots_web::Config;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

#[path = "../../../store/tests/support/db.rs"]
mod db;
pub use db::*;

mod contract;
use contract::Contract;

pub const PASSWORD: &str = "correct horse battery";
pub const DISTRICT: &str = "110101";
/// 东华门街道 and its community 多福巷社区.
pub const STREET: &str = "110101001";
pub const COMMUNITY: &str = "110101001001";
/// The start of a PNG file: what the photo checks read.
pub const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
/// Lead units of the tests' cases.
pub const UNIT_A: &str = "dept-a";
pub const UNIT_B: &str = "dept-b";
pub const STREET_OFFICE: &str = "street-110101001";
pub const COMMAND_CENTRE: &str = "command-centre";
/// The grid of `gridworker`; `gridworker-other` works on `OTHER_GRID`.
pub const GRID: &str = "110101001001001";
pub const OTHER_GRID: &str = "110101001002001";
/// Points inside `GRID` (by 天安门) and `OTHER_GRID` just east of it, and one in 东城区 outside
/// every grid: (lng, lat).
pub const IN_GRID: (f64, f64) = (116.3975, 39.9087);
pub const IN_OTHER_GRID: (f64, f64) = (116.4025, 39.9075);
pub const OUTSIDE_GRIDS: (f64, f64) = (116.4170, 39.9290);

/// A square test grid of 0.005° with its south-west corner at (lng, lat).
fn test_grid(code: &str, lng: f64, lat: f64) -> GridRow {
    let ring = [[lng, lat], [lng + 0.005, lat], [lng + 0.005, lat + 0.005], [lng, lat + 0.005], [lng, lat]];
    GridRow {
        code: code.into(),
        community_code: code[..12].into(),
        name: format!("测试网格{code}"),
        geometry: serde_json::json!({ "type": "MultiPolygon", "coordinates": [[ring]] }),
        area_m2: 230_000.0,
        centroid: (lng + 0.0025, lat + 0.0025),
        synthetic: true,
    }
}

/// The reporter of `resident_report`.
pub const NAME: &str = "张三";
pub const PHONE: &str = "13812345678";
pub const MASKED_NAME: &str = "张*";
pub const MASKED_PHONE: &str = "138****5678";

/// Generates each test once per backend: `mod sqlite` always runs, `mod postgres` is ignored
/// unless asked for and then needs GRASSROOTS_TEST_POSTGRES_URL (it fails without it).
#[macro_export]
macro_rules! api_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::support::TestApp::spawn(super::support::sqlite_db().await).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs GRASSROOTS_TEST_POSTGRES_URL; .ci/run runs these"]
                async fn $name() {
                    super::$name(super::support::TestApp::spawn(super::support::postgres_db().await).await).await
                }
            )*
        }
    };
}

/// One argon2 hash for every account of every test: hashing is slow on purpose.
pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| grassroots_store::auth::hash_password(PASSWORD))
}

/// The accounts every test app has: username, role, scope.
pub const ACCOUNTS: &[(&str, Role, &str)] = &[
    ("admin", Role::Admin, "all"),
    ("operator", Role::Operator, "region:110101"),
    ("dispatcher", Role::Dispatcher, "region:110101"),
    ("supervisor", Role::Supervisor, "region:110101"),
    ("leader", Role::Leader, "region:110101"),
    ("handler-a", Role::Handler, "unit:dept-a"),
    ("handler-b", Role::Handler, "unit:dept-b"),
    ("gridworker", Role::GridWorker, "grid:110101001001001"),
    ("gridworker-other", Role::GridWorker, "grid:110101001002001"),
];

async fn seed(store: &dyn Store) {
    let regions: Vec<_> = parse_region_csv(include_str!("../../../../data/beijing-regions.csv"))
        .expect("shipped regions parse")
        .into_iter()
        .filter(|r| r.code.as_str().starts_with(DISTRICT))
        .collect();
    store.upsert_regions(&regions).await.unwrap();
    store.upsert_categories(&Taxonomy::builtin().iter().cloned().collect::<Vec<_>>()).await.unwrap();
    store.replace_calendar(&WorkCalendar::builtin_days()).await.unwrap();
    let unit = |id: &str, name_zh: &str, kind: &str, region: &str| Unit {
        id: id.into(),
        name_zh: name_zh.into(),
        name_en: id.into(),
        kind: kind.into(),
        region_code: region.into(),
    };
    store
        .upsert_units(&[
            unit(UNIT_A, "东城区城市管理委员会", "department", DISTRICT),
            unit(UNIT_B, "东城区住房和城乡建设委员会", "department", DISTRICT),
            unit(STREET_OFFICE, "东华门街道办事处", "street_office", STREET),
            unit(COMMAND_CENTRE, "东城区城市运行管理服务指挥中心", "command_centre", DISTRICT),
        ])
        .await
        .unwrap();
    store
        .replace_grids(
            &[COMMUNITY.into(), OTHER_GRID[..12].into()],
            &[test_grid(GRID, 116.395, 39.905), test_grid(OTHER_GRID, 116.400, 39.905)],
        )
        .await
        .unwrap();
    for (username, role, scope) in ACCOUNTS {
        store
            .upsert_user(&NewUser {
                username: username.to_string(),
                display_name: format!("测试{username}"),
                password_hash: password_hash().to_string(),
                role: *role,
                scope: Scope::parse(scope).unwrap(),
            })
            .await
            .unwrap();
    }
}

/// The app under test, served on a free port of 127.0.0.1.
pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Arc<SqlStore>,
    /// The OpenAPI document the server serves, which every API answer is checked against.
    contract: Arc<Contract>,
    db: Arc<TestDb>,
    pub platform: Arc<grassroots_app::Platform>,
    /// The search index's directory, this app's own.
    _search_dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    /// Seeds the store and serves the app with the default configuration: public endpoints
    /// (intake, tracking, login) allow a burst of 20 requests per test from 127.0.0.1.
    pub async fn spawn(db: TestDb) -> Self {
        seed(&*db.store).await;
        Self::serve(Arc::new(db), Config::default()).await
    }

    /// The same store served again with another configuration (this app stops).
    pub async fn with_config(self, config: Config) -> Self {
        let db = self.db.clone();
        drop(self);
        Self::serve(db, config).await
    }

    async fn serve(db: Arc<TestDb>, config: Config) -> Self {
        let store: Arc<dyn Store> = db.store.clone();
        let platform = grassroots_app::Platform::new(store, grassroots_app::Settings::default()).await.unwrap();
        let search_dir = tempfile::tempdir().unwrap();
        grassroots_app::search::open(&platform, search_dir.path()).await.unwrap();
        let state = grassroots_web::AppState::new(platform.clone(), config);
        let router = grassroots_web::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        // Nothing is checked until the document is read: its own request is not.
        let contract = Arc::new(Contract::new(serde_json::json!({ "paths": {} })));
        let mut app = Self { addr, store: db.store.clone(), contract, db, platform, _search_dir: search_dir, server };
        let doc = app.get("/api/docs").send().await;
        assert_eq!(doc.status, 200, "the OpenAPI document is served");
        app.contract = Arc::new(Contract::new(doc.json()));
        app
    }

    /// The texts the development sink took (sign-in codes), newest last.
    pub fn sink_texts(&self) -> Vec<grassroots_app::residents::SinkText> {
        self.platform.development_texts()
    }

    /// The six digits of the newest code texted to `phone`.
    pub fn code_sent_to(&self, phone: &str) -> String {
        let text = self.sink_texts().into_iter().rev().find(|t| t.to == phone).expect("a text to the number").text;
        let digits: String =
            text.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
        assert_eq!(digits.len(), 6, "{text}");
        digits
    }

    /// Signs a resident in with the code texted to `phone` (11 digits); their session's token.
    pub async fn resident_token(&self, phone: &str) -> String {
        let sent = self.post("/api/v1/residents/codes").json(&serde_json::json!({ "phone": phone })).send().await;
        assert_eq!(sent.status, 202, "{}", sent.text());
        let code = self.code_sent_to(phone);
        let body = serde_json::json!({ "phone": phone, "code": code });
        let signed_in = self.post("/api/v1/residents/sessions").json(&body).send().await;
        assert_eq!(signed_in.status, 201, "{}", signed_in.text());
        signed_in.json()["token"].as_str().expect("a token").to_string()
    }

    /// Has the search index take up every change made so far, as the server's follower does
    /// within a second.
    pub async fn index_search(&self) {
        let index = self.platform.search_index().expect("opened by serve");
        let mut follower = grassroots_app::search::Follower::default();
        while follower.step(&self.platform, &index).await.unwrap().more {}
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        Req::new(self, "GET", path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        Req::new(self, "POST", path)
    }

    pub fn put(&self, path: &str) -> Req<'_> {
        Req::new(self, "PUT", path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        Req::new(self, "DELETE", path)
    }

    /// Logs in `username` with the shared password and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let res = self
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({ "username": username, "password": PASSWORD }))
            .send()
            .await;
        assert_eq!(res.status, 200, "login {username}: {}", res.text());
        res.json()["token"].as_str().expect("token").to_string()
    }

    /// A line of the responsibility matrix, saved by the administrator through its form
    /// (`category_code=…&region_code=…&unit_id=…&auto_dispatch=…`).
    pub async fn save_matrix_line(&self, form: &str) -> Response {
        let admin = session(&self.login("admin").await);
        self.post("/admin/matrix")
            .header("cookie", &admin)
            .header("origin", &format!("http://{}", self.addr))
            .body_with_type("application/x-www-form-urlencoded", form.to_string())
            .send()
            .await
    }

    /// A resident's report, whatever comes of it.
    pub async fn report_raw(&self, body: &Value) -> Response {
        self.post("/api/v1/cases").json(body).send().await
    }

    /// A resident's report; panics unless it is accepted.
    pub async fn report(&self, body: &Value) -> Value {
        let res = self.report_raw(body).await;
        assert_eq!(res.status, 201, "intake: {}", res.text());
        res.json()
    }

    /// A resident's report from 张三 about a street lamp in 多福巷社区.
    pub async fn resident_report(&self) -> Value {
        self.report(&serde_json::json!({
            "description": "胡同里路灯坏了好几天，晚上很黑",
            "category_code": "0301",
            "address": "东华门街道多福巷社区",
            "reporter_name": NAME,
            "reporter_phone": PHONE,
        }))
        .await
    }

    /// A move on a case by the holder of `token`.
    pub async fn act(&self, token: &str, id: &str, mv: &Value) -> Response {
        self.post(&format!("/api/v1/cases/{id}/actions")).bearer(token).json(mv).send().await
    }

    /// A move that must succeed; returns the case as the actor sees it afterwards.
    pub async fn act_ok(&self, token: &str, id: &str, mv: &Value) -> Value {
        let res = self.act(token, id, mv).await;
        assert_eq!(res.status, 200, "{mv}: {}", res.text());
        res.json()
    }

    /// The case's state as stored, past every scope.
    pub async fn stored_state(&self, id: &str) -> (String, i64) {
        let record = self.store.case_record(Uuid::parse_str(id).unwrap()).await.unwrap().expect("case exists");
        (record.state.as_str().to_string(), record.version)
    }

    pub async fn case_count(&self) -> i64 {
        self.store.count_cases().await.unwrap()
    }

    /// A case placed in a grid, written through the store (with the reporter's name and phone).
    pub async fn grid_case(&self, grid: &str) -> CreatedCase {
        let reference = self.store.reference().await.unwrap();
        let category = reference.taxonomy.get("0301").unwrap();
        let now = chrono::Utc::now();
        let due = grassroots_domain::calendar::deadlines(&reference.calendar, category, Priority::Normal, now);
        let new = NewCase {
            category_code: "0301".into(),
            request_type: RequestType::Complaint,
            priority: Priority::Normal,
            channel: Channel::GridPatrol,
            description: "井盖松动".into(),
            place: Place {
                district_code: Some(DISTRICT.into()),
                street_code: Some(grid[..9].into()),
                community_code: Some(grid[..12].into()),
                grid_code: Some(grid.into()),
                lat: None,
                lng: None,
                address: None,
                located_by: None,
            },
            reporter_name: Some(NAME.into()),
            reporter_phone: Some(PHONE.into()),
            anonymous: false,
            notify_reporter: false,
            response_due: due.response_due,
            resolve_due: due.resolve_due,
            received_at: now,
            attachments: vec![],
            decisions: vec![],
            then: None,
            key: None,
        };
        self.store.create_case(new, &Actor::Resident).await.unwrap()
    }
}

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    from: Option<std::net::Ipv4Addr>,
}

impl<'a> Req<'a> {
    fn new(app: &'a TestApp, method: &'static str, path: &str) -> Self {
        Self { app, method, path: path.to_string(), headers: Vec::new(), body: Vec::new(), from: None }
    }

    /// Sent from this loopback address (any of 127.0.0.0/8) instead of 127.0.0.1: another
    /// client, as the server sees it.
    pub fn from(mut self, address: [u8; 4]) -> Self {
        self.from = Some(address.into());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn json(self, body: &Value) -> Self {
        self.body_with_type("application/json", body.to_string().into_bytes())
    }

    /// A multipart/form-data body of text fields and (field, file name, bytes) files.
    pub fn multipart(self, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Self {
        const BOUNDARY: &str = "grassroots-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     content-type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.body_with_type(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
    }

    pub fn body_with_type(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    /// Sends the request on a new connection and reads the whole response.
    pub async fn send(self) -> Response {
        let mut head =
            format!("{} {} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n", self.method, self.path, self.app.addr);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.method != "GET" || !self.body.is_empty() {
            head.push_str(&format!("content-length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(from) = self.from {
            socket.bind(SocketAddr::from((from, 0))).unwrap();
        }
        let mut stream = socket.connect(self.app.addr).await.unwrap();
        let mut request = head.into_bytes();
        request.extend_from_slice(&self.body);
        // The server may answer (413) and close before reading all of a large body.
        let _ = stream.write_all(&request).await;
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if !raw.is_empty() => {
                    eprintln!("reading the response: {e}");
                    break;
                }
                Err(e) => panic!("{} {}: {e}", self.method, self.path),
            }
        }
        let response = Response::parse(&raw);
        // A browser going to an address is answered as a person, not held to the API's document.
        let navigation = self.headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("sec-fetch-mode") && v == "navigate");
        if self.path.starts_with("/api/") && self.path != "/api/docs" && !navigation {
            let body = &response.body;
            self.app.contract.check(self.method, &self.path, response.status, response.header("content-type"), body);
        }
        response
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Self {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
        let head = std::str::from_utf8(&raw[..split]).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status code");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let rest = &raw[split + 4..];
        let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            dechunk(rest)
        } else if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
            assert!(rest.len() >= len, "the body is cut short: {} of {len} bytes", rest.len());
            rest[..len].to_vec()
        } else {
            rest.to_vec()
        };
        Self { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `error.field` of an error response.
    pub fn error_field(&self) -> Option<String> {
        self.json()["error"]["field"].as_str().map(str::to_string)
    }
}

/// The cookie that carries a staff session, for the pages.
pub fn session(token: &str) -> String {
    format!("grassroots_session={token}")
}

/// Percent-encodes a query parameter's value.
pub fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size_line = std::str::from_utf8(&rest[..eol]).unwrap();
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16).expect("a hex chunk size");
        rest = &rest[eol + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// A resident signed in and linked, through their request and the grid worker's confirmation,
/// to a household of `GRID`; their token.
pub async fn linked_resident(app: &TestApp, phone: &str, door: &str) -> String {
    let token = app.resident_token(phone).await;
    let asked = app
        .put("/api/v1/residents/me/household")
        .bearer(&token)
        .json(&serde_json::json!({"community": COMMUNITY, "label": door}))
        .send()
        .await;
    assert_eq!(asked.status, 200, "{}", asked.text());
    let resident = asked.json()["resident_id"].as_str().unwrap().to_string();
    let worker = app.login("gridworker").await;
    let confirmed = app
        .post(&format!("/api/v1/households/links/{resident}"))
        .bearer(&worker)
        .json(&serde_json::json!({"decision": "confirm", "grid_code": GRID, "label": door}))
        .send()
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    token
}
