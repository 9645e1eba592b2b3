//! The platform at a large city's volume: a store of 10,000,000 cases (built by the importer
//! from a hotline system's export over three years, all 17 streets of 东城区), served by
//! `grassroots serve` (this build, release profile) in a process of its own, read over loopback
//! by this process one request at a time, as the people who use it read it:
//! - every workbench queue page, its counts, and the JSON lists of every queue, for district,
//!   street, community, unit and grid scopes (target p95 ≤ 20 ms);
//! - the other JSON lists: grids, audit, duty roster, warnings, search (≤ 20 ms);
//! - the district dashboard over 90 days, a street's or community's, the three rates for
//!   regions, units and periods of whole days or from an instant, and the grids' patrol
//!   coverage (≤ 50 ms);
//! - exports of the last 30 and 90 days, rows a second (≥ 100,000) and the server's resident
//!   memory, to show the time linear in the size; of every case with
//!   GRASSROOTS_BENCH_EXPORT_ALL=1 (about three minutes at ten million on PostgreSQL).
//!
//! `cargo bench -p grassroots --bench scale`. The store is built once into
//! target/tmp/scale-CASES (or into the empty PostgreSQL database named by
//! GRASSROOTS_BENCH_DATABASE_URL) and reused; GRASSROOTS_BENCH_CASES (default 10,000,000) and
//! GRASSROOTS_BENCH_DAYS (default 1,095) set its size, GRASSROOTS_BENCH_SAMPLES (default 40)
//! the requests per reading, GRASSROOTS_BENCH_BIN another build of the binary.

#[path = "../examples/support/legacy_export.rs"]
mod legacy_export;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use grassroots_domain::calendar::beijing;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

const PASSWORD: &str = "grassroots-demo";

/// The binary with the data directory and the store's URL.
fn grassroots(dir: &Path, database: &Option<String>) -> Command {
    let binary = std::env::var("GRASSROOTS_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_grassroots").into());
    let mut c = Command::new(binary);
    c.arg("--data-dir").arg(dir);
    if let Some(url) = database {
        c.args(["--database-url", url]);
    }
    c.env("GRASSROOTS_LOG", "warn").env("GRASSROOTS_USER_PASSWORD", PASSWORD).stdin(Stdio::null());
    c
}

fn run(mut command: Command, what: &str) {
    let started = Instant::now();
    let out = command.stdout(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    eprintln!("{what}: {:.0} s", started.elapsed().as_secs_f64());
}

/// Dispatchers for each street and for a community of each street (an account the demo does
/// not make), made again on every run as `user add` updates an account that exists.
fn add_dispatchers(dir: &Path, database: &Option<String>, regions: &[String]) {
    for region in regions {
        let mut add = grassroots(dir, database);
        add.args(["user", "add", "--username", &format!("bench-{region}"), "--role", "dispatcher", "--scope"])
            .arg(format!("region:{region}"));
        let out = add.stdout(Stdio::null()).output().unwrap();
        assert!(out.status.success(), "user add: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Builds the store unless a run before finished building it: the demo, the export imported,
/// the search index built.
fn build_store(root: &Path, dir: &Path, database: &Option<String>, cases: usize, days: i64) {
    let done = dir.join("scale-ready");
    if done.exists() {
        return;
    }
    std::fs::create_dir_all(dir).unwrap();
    let csv = root.join("legacy.csv");
    let mapping = csv.with_extension("mapping.json");
    if !mapping.exists() {
        let started = Instant::now();
        let today = Utc::now().with_timezone(&beijing()).date_naive();
        let end = beijing().from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap()).unwrap().with_timezone(&Utc);
        legacy_export::write(cases, days, end, &csv).unwrap();
        eprintln!("{cases} cases over {days} days written: {:.0} s", started.elapsed().as_secs_f64());
    }
    let mut demo = grassroots(dir, database);
    demo.args(["demo", "--no-serve"]);
    run(demo, "demo loaded");
    let mut import = grassroots(dir, database);
    import.args(["import", "cases"]).arg(&csv).arg("--mapping").arg(&mapping);
    run(import, "cases imported");
    let mut search = grassroots(dir, database);
    search.args(["search", "rebuild"]);
    run(search, "search index built");
    std::fs::write(done, "").unwrap();
}

/// Stops the server however the bench ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server's resident memory, in MiB.
fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

struct Reader {
    client: HttpClient,
    base: String,
}

impl Reader {
    /// GET `path` as the holder of `token`: the status, the body, and how long it took in ms.
    async fn get(&self, path: &str, token: &str) -> (u16, Bytes, f64) {
        let started = Instant::now();
        let req = hyper::Request::get(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let res = self.client.request(req).await.expect("request");
        let status = res.status().as_u16();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (status, body, started.elapsed().as_secs_f64() * 1000.0)
    }

    async fn login(&self, username: &str) -> String {
        let req = hyper::Request::post(format!("{}/api/v1/auth/login", self.base))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(serde_json::json!({ "username": username, "password": PASSWORD }).to_string())))
            .unwrap();
        let res = self.client.request(req).await.expect("login");
        assert_eq!(res.status().as_u16(), 200, "login as {username}");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["token"].as_str().expect("token").to_string()
    }

    /// Times `samples` requests, the path and the token of each chosen by `pick`, after two
    /// unmeasured ones; prints the percentiles against the target.
    async fn reading(
        &self,
        name: &str,
        target_ms: f64,
        samples: usize,
        mut pick: impl FnMut(usize) -> (String, String),
    ) -> bool {
        let mut ms = Vec::with_capacity(samples);
        for i in 0..samples + 2 {
            let (path, token) = pick(i);
            let (status, body, t) = self.get(&path, &token).await;
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
            if i >= 2 {
                ms.push(t);
            }
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
        let met = pct(0.95) <= target_ms;
        println!(
            "{name:<58} p50 {:>8.1} ms  p95 {:>8.1} ms  max {:>8.1} ms  {}",
            pct(0.5),
            pct(0.95),
            ms[ms.len() - 1],
            if met { "ok".to_string() } else { format!("OVER {target_ms} ms") }
        );
        met
    }

    /// Streams an export, counting its lines; answers rows, seconds and the server's largest
    /// resident memory seen while it ran.
    async fn export(&self, path: &str, token: &str, pid: u32) -> (usize, f64, f64) {
        let started = Instant::now();
        let req = hyper::Request::get(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let res = self.client.request(req).await.expect("export");
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let mut body = res.into_body();
        let (mut lines, mut peak, mut checked) = (0usize, resident_mib(pid), Instant::now());
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("export body").into_data() {
                lines += data.iter().filter(|b| **b == b'\n').count();
            }
            if checked.elapsed() > Duration::from_millis(200) {
                peak = peak.max(resident_mib(pid));
                checked = Instant::now();
            }
        }
        (lines.saturating_sub(1), started.elapsed().as_secs_f64(), peak.max(resident_mib(pid)))
    }
}

/// The queues a token's role works from, read from the API.
async fn queues_of(reader: &Reader, token: &str) -> Vec<String> {
    let (status, body, _) = reader.get("/api/v1/queues", token).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["queues"].as_array().unwrap().iter().map(|q| q["queue"].as_str().unwrap().to_string()).collect()
}

#[tokio::main]
async fn main() {
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let cases = env("GRASSROOTS_BENCH_CASES", 10_000_000);
    let days = env("GRASSROOTS_BENCH_DAYS", 1_095) as i64;
    let samples = env("GRASSROOTS_BENCH_SAMPLES", 40);
    let database = std::env::var("GRASSROOTS_BENCH_DATABASE_URL").ok();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/tmp/scale-{cases}-{days}"));
    let dir = root.join(if database.is_some() { "postgres" } else { "sqlite" });
    build_store(&root, &dir, &database, cases, days);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut serve = grassroots(&dir, &database);
    // The bench logs in as some 60 people from one address, which the login limit would stop.
    serve
        .args(["--public-burst", "1000000", "--public-rate-per-minute", "1000000"])
        .args(["--listen", &format!("127.0.0.1:{port}"), "serve"])
        .stdout(Stdio::null());
    let server = Server(serve.spawn().unwrap());
    let pid = server.0.id();
    let reader =
        Reader { client: Client::builder(TokioExecutor::new()).build_http(), base: format!("http://127.0.0.1:{port}") };
    let started = Instant::now();
    loop {
        let req = hyper::Request::get(format!("{}/healthz", reader.base)).body(Full::new(Bytes::new())).unwrap();
        if reader.client.request(req).await.map(|r| r.status().as_u16()).ok() == Some(200) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The background work a start sets off (warnings, the search follower) settles first.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let backend = if database.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("{cases} cases over {days} days on {backend}, {samples} requests a reading, one at a time");

    let admin = reader.login("admin").await;
    let (status, body, _) = reader.get("/api/v1/reference", &admin).await;
    assert_eq!(status, 200);
    let reference: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let units: Vec<String> = reference["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["kind"] != "street_office")
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    // Each street with the last of its communities that has grids (the demo's grid workers
    // are named after their community, but for the district's very first).
    let (status, body, _) = reader.get("/api/v1/grids", &admin).await;
    assert_eq!(status, 200);
    let grids: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut streets: Vec<(String, String)> = Vec::new();
    for grid in grids["grids"].as_array().unwrap() {
        let community = grid["community_code"].as_str().unwrap();
        let street = &community[..9];
        match streets.iter_mut().find(|(s, _)| s == street) {
            Some((_, last)) => *last = last.as_str().max(community).to_string(),
            None => streets.push((street.to_string(), community.to_string())),
        }
    }
    assert_eq!(streets.len(), 17, "the demo's grids cover the 17 streets");
    let dispatched: Vec<String> = streets.iter().flat_map(|(s, c)| [s.clone(), c.clone()]).collect();
    add_dispatchers(&dir, &database, &dispatched);
    let mut scopes: Vec<(&str, Vec<String>)> = Vec::new();
    scopes.push(("district", vec![reader.login("dispatcher").await, reader.login("supervisor").await]));
    let mut street_tokens = Vec::new();
    let mut community_tokens = Vec::new();
    let mut grid_tokens = Vec::new();
    for (street, community) in &streets {
        street_tokens.push(reader.login(&format!("bench-{street}")).await);
        community_tokens.push(reader.login(&format!("bench-{community}")).await);
        grid_tokens.push(reader.login(&format!("gridworker-{community}")).await);
    }
    let mut unit_tokens = Vec::new();
    for unit in units.iter().take(17) {
        unit_tokens.push(reader.login(&format!("handler-{unit}")).await);
    }
    scopes.extend([
        ("street", street_tokens),
        ("community", community_tokens),
        ("unit", unit_tokens),
        ("grid", grid_tokens),
    ]);

    let mut over = Vec::new();
    let mut note = |name: String, met: bool| {
        if !met {
            over.push(name);
        }
    };
    println!("\nworkbench queues and their counts (target p95 ≤ 20 ms)");
    for (scope, tokens) in &scopes {
        let token = |i: usize| tokens[i % tokens.len()].clone();
        let name = format!("{scope}: queue counts  GET /api/v1/queues");
        note(name.clone(), reader.reading(&name, 20.0, samples, |i| ("/api/v1/queues".into(), token(i))).await);
        let name = format!("{scope}: every case  GET /api/v1/cases?limit=50");
        note(name.clone(), reader.reading(&name, 20.0, samples, |i| ("/api/v1/cases?limit=50".into(), token(i))).await);
        // Roles within a scope share their queues (a district's dispatcher and supervisor do not).
        for (who, first) in tokens.iter().take(if *scope == "district" { 2 } else { 1 }).enumerate() {
            for queue in queues_of(&reader, first).await {
                let who_token = |i: usize| if *scope == "district" { tokens[who].clone() } else { token(i) };
                let name = format!("{scope}: page  /work?queue={queue}");
                let met =
                    reader.reading(&name, 20.0, samples, |i| (format!("/work?queue={queue}"), who_token(i))).await;
                note(name, met);
                let name = format!("{scope}: JSON  /api/v1/cases?queue={queue}&limit=50");
                let met = reader
                    .reading(&name, 20.0, samples, |i| (format!("/api/v1/cases?queue={queue}&limit=50"), who_token(i)))
                    .await;
                note(name, met);
            }
        }
    }

    let leader = reader.login("leader").await;
    let supervisor = reader.login("supervisor").await;
    let today = Utc::now().with_timezone(&beijing()).date_naive();
    let day = |back: i64| (today - chrono::Duration::days(back)).format("%Y-%m-%d").to_string();
    let mut rng = StdRng::seed_from_u64(7);
    println!("\nother JSON lists (target p95 ≤ 20 ms)");
    for (name, path, token) in [
        ("grids of the district", "/api/v1/grids".to_string(), &admin),
        ("audit trail, latest page", "/api/v1/audit".to_string(), &admin),
        ("duty roster", "/api/v1/duty".to_string(), &supervisor),
        ("warnings", "/api/v1/warnings".to_string(), &supervisor),
        ("search for words", "/api/v1/search?q=%E5%99%AA%E9%9F%B3".to_string(), &supervisor),
    ] {
        let name = format!("{name}  GET {path}");
        let met = reader.reading(&name, 20.0, samples, |_| (path.clone(), token.clone())).await;
        note(name, met);
    }

    println!("\ndashboard and rates (target p95 ≤ 50 ms)");
    let name = "patrol coverage of every grid  GET /api/v1/stats/coverage".to_string();
    let met = reader.reading(&name, 50.0, samples, |_| ("/api/v1/stats/coverage".into(), supervisor.clone())).await;
    note(name, met);
    let name = "district dashboard, the 90 days to yesterday  GET /dashboard".to_string();
    let path = format!("/dashboard?from={}&to={}", day(90), day(1));
    let met = reader.reading(&name, 50.0, samples, |_| (path.clone(), leader.clone())).await;
    note(name, met);
    let name = "a street's or community's dashboard, 90 days  GET /dashboard?region=…".to_string();
    let picks = &dispatched;
    let met = reader
        .reading(&name, 50.0, samples, |i| {
            (format!("/dashboard?region={}&from={}&to={}", picks[i % picks.len()], day(90), day(1)), leader.clone())
        })
        .await;
    note(name, met);
    let regions: Vec<String> = std::iter::once("110101".to_string())
        .chain(streets.iter().flat_map(|(s, c)| [s.clone(), c.clone(), format!("{c}001")]))
        .collect();
    let periods = |rng: &mut StdRng| {
        let length = [7, 30, 90, 365][rng.gen_range(0..4)];
        let end = rng.gen_range(1..(days - length).max(2));
        (day(end + length - 1), day(end))
    };
    let mut choices: Vec<(String, String)> = (0..samples + 2)
        .map(|_| {
            let (from, to) = periods(&mut rng);
            let region = &regions[rng.gen_range(0..regions.len())];
            (format!("/api/v1/stats/rates?region={region}&from={from}&to={to}"), leader.clone())
        })
        .collect();
    let name = "rates of a region (district to grid), whole days  GET /api/v1/stats/rates".to_string();
    let met = reader.reading(&name, 50.0, samples, |i| choices[i].clone()).await;
    note(name, met);
    choices = (0..samples + 2)
        .map(|_| {
            let (from, to) = periods(&mut rng);
            let unit = &units[rng.gen_range(0..units.len())];
            (format!("/api/v1/stats/rates?unit={unit}&from={from}&to={to}"), leader.clone())
        })
        .collect();
    let name = "rates of a unit, whole days  GET /api/v1/stats/rates?unit=…".to_string();
    let met = reader.reading(&name, 50.0, samples, |i| choices[i].clone()).await;
    note(name, met);
    choices = (0..samples + 2)
        .map(|_| {
            let back = [7, 30, 90][rng.gen_range(0..3)];
            let from = (Utc::now() - chrono::Duration::days(back)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let region = &regions[rng.gen_range(0..regions.len())];
            (format!("/api/v1/stats/rates?region={region}&from={}", from.replace('+', "%2B")), leader.clone())
        })
        .collect();
    let name = "rates of a region from an instant to now  GET /api/v1/stats/rates".to_string();
    let met = reader.reading(&name, 50.0, samples, |i| choices[i].clone()).await;
    note(name, met);

    println!("\nexport (target ≥ 100,000 rows/s, memory flat, time linear in size)");
    let dispatcher = reader.login("dispatcher").await;
    let rest = resident_mib(pid);
    let mut exports = vec![
        ("the last 30 days", format!("/api/v1/export/cases?from={}&to={}", day(30), day(1))),
        ("the last 90 days", format!("/api/v1/export/cases?from={}&to={}", day(90), day(1))),
    ];
    if std::env::var("GRASSROOTS_BENCH_EXPORT_ALL").is_ok_and(|v| v == "1") {
        exports.push(("every case", "/api/v1/export/cases".to_string()));
    }
    for (name, path) in exports {
        let (rows, seconds, peak) = reader.export(&path, &dispatcher, pid).await;
        let rate = rows as f64 / seconds;
        println!(
            "export of {name:<16} {rows:>10} rows in {seconds:>7.1} s: {rate:>9.0} rows/s; server resident {rest:.0} MiB before, at most {peak:.0} MiB during  {}",
            if rate >= 100_000.0 { "ok" } else { "UNDER 100000 rows/s" }
        );
        if rate < 100_000.0 {
            over.push(format!("export of {name}"));
        }
    }
    println!("\n{} readings missed their target", over.len());
    for name in over {
        println!("  {name}");
    }
}
