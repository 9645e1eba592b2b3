//! Report intake over HTTP, the server in a process of its own: `grassroots serve` (this
//! build, release profile) on a demo store, driven over loopback with keep-alive connections
//! by this process. Reports are mixed as a hotline receives them: the independently written
//! requests of `data/requests-independent.csv` with their categories, each from a caller of
//! its own, in one of 东城区's 169 communities (so duplicate look-up, classification and
//! placing run as in service), each with an idempotency key of its own:
//! 1. throughput: 64 clients posting as fast as they are answered;
//! 2. latency at fixed arrival rates of 300 and 1,000 reports per second (open loop: latency
//!    counts from the scheduled send time, so a stall cannot hide behind queued requests).
//!
//! `cargo bench -p grassroots --bench intake`. GRASSROOTS_BENCH_SECONDS sets each phase's
//! length (default 15); GRASSROOTS_BENCH_DATABASE_URL=postgres://… runs the server on that
//! (empty) PostgreSQL database instead of SQLite with `synchronous = FULL`;
//! GRASSROOTS_BENCH_BIN runs another build of the binary (an earlier one, to compare).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use grassroots_domain::classify::independent_requests;
use grassroots_domain::region::parse_region_csv;
use grassroots_domain::RegionLevel;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// What the clients post: requests with their categories, and community names.
struct Traffic {
    requests: Vec<(String, String)>,
    communities: Vec<String>,
}

impl Traffic {
    fn load() -> Self {
        let requests: Vec<(String, String)> =
            independent_requests().into_iter().map(|e| (e.category, e.text)).collect();
        let communities: Vec<String> = parse_region_csv(include_str!("../../../data/beijing-regions.csv"))
            .unwrap()
            .into_iter()
            .filter(|r| r.level == RegionLevel::Community && r.code.as_str().starts_with("110101"))
            .map(|r| r.name)
            .collect();
        assert!(requests.len() > 600 && communities.len() == 169);
        Self { requests, communities }
    }

    /// The `n`th report: a request, a community, a caller of its own.
    fn body(&self, n: u64) -> String {
        let (category, text) = &self.requests[n as usize % self.requests.len()];
        let community = &self.communities[(n as usize / 7) % self.communities.len()];
        serde_json::json!({
            "description": text,
            "category_code": category,
            "address": format!("东城区{community}"),
            "reporter_name": "张三",
            "reporter_phone": format!("13{:09}", n % 1_000_000_000),
        })
        .to_string()
    }
}

async fn post(client: &HttpClient, url: &str, body: String) -> u16 {
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
        // A key per report, as a client that retries sends one.
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let res = client.request(req).await.expect("request");
    let status = res.status().as_u16();
    res.into_body().collect().await.expect("body");
    status
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut ms: Vec<f64>, seconds: f64) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name:<40} {:>7.0} accepted/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  ({} reports)",
        ms.len() as f64 / seconds,
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        ms[ms.len() - 1],
        ms.len()
    );
}

/// The binary with the data directory, the store's URL, and public limits out of the way.
fn grassroots(dir: &std::path::Path, database: &Option<String>) -> Command {
    let binary = std::env::var("GRASSROOTS_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_grassroots").into());
    let mut c = Command::new(binary);
    c.arg("--data-dir").arg(dir).args(["--public-burst", "4000000000", "--public-rate-per-minute", "4000000000"]);
    if let Some(url) = database {
        c.args(["--database-url", url]);
    }
    c.env("GRASSROOTS_LOG", "warn").stdin(Stdio::null());
    c
}

/// Stops the server however the bench ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Posts at `rate` a second for `seconds`, each on time whatever the answers before it.
async fn fixed_rate(
    client: &HttpClient,
    url: &Arc<str>,
    traffic: &Arc<Traffic>,
    rate: u64,
    seconds: u64,
    first: u64,
) -> Vec<f64> {
    let start = Instant::now();
    let total = rate * seconds;
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + Duration::from_nanos(i * 1_000_000_000 / rate);
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, url, traffic) = (client.clone(), url.clone(), traffic.clone());
        tasks.push(tokio::spawn(async move {
            assert_eq!(post(&client, &url, traffic.body(first + i)).await, 201);
            scheduled.elapsed().as_secs_f64() * 1000.0
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    latencies
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("GRASSROOTS_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let database = std::env::var("GRASSROOTS_BENCH_DATABASE_URL").ok();
    let dir = tempfile::tempdir().unwrap();
    let loaded = grassroots(dir.path(), &database).args(["demo", "--no-serve"]).output().unwrap();
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = Server(
        grassroots(dir.path(), &database)
            .args(["--listen", &format!("127.0.0.1:{port}"), "serve"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build_http();
    let health: hyper::Uri = format!("http://127.0.0.1:{port}/healthz").parse().unwrap();
    let started = Instant::now();
    while client.get(health.clone()).await.map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url: Arc<str> = format!("http://127.0.0.1:{port}/api/v1/cases").into();
    let traffic = Arc::new(Traffic::load());
    let backend = if database.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("intake on {backend}: `grassroots serve` in its own process, this load generator in another");

    // 1. Throughput.
    let end = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..64u64)
        .map(|w| {
            let (client, url, traffic) = (client.clone(), url.clone(), traffic.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = w * 1_000_000;
                while Instant::now() < end {
                    n += 1;
                    let t = Instant::now();
                    assert_eq!(post(&client, &url, traffic.body(n)).await, 201);
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    report("throughput, 64 concurrent clients", all, seconds as f64);

    // 2. Latency at fixed rates.
    for (rate, first) in [(300, 90_000_000), (1_000, 95_000_000)] {
        let latencies = fixed_rate(&client, &url, &traffic, rate, seconds, first).await;
        report(&format!("fixed rate {rate}/s"), latencies, seconds as f64);
    }
}
