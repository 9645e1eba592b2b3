//! Report intake over HTTP on SQLite with durable commits (WAL, synchronous = FULL).
//!
//! `cargo bench -p grassroots-web --bench intake` serves the API in this process on a fresh
//! store in a temporary directory and drives it over loopback with keep-alive connections:
//! 1. throughput: 64 clients posting as fast as they are answered;
//! 2. latency at a fixed arrival rate of 300 reports per second (open loop: latency counts
//!    from the scheduled send time, so a stall cannot hide behind queued requests).
//!
//! GRASSROOTS_BENCH_SECONDS sets each phase's length (default 15);
//! GRASSROOTS_BENCH_DATABASE_URL=postgres://… runs it on an empty PostgreSQL database.

use grassroots_store::prelude::*;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use grassroots_domain::region::parse_region_csv;
use grassroots_domain::{Taxonomy, WorkCalendar};
use grassroots_store::crypto::{DataKey, Keyring};
use grassroots_store::{SqlStore, Store, StoreOptions};
use grassroots_web::{AppState, Config, RateLimit};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn post(client: &HttpClient, url: &str, n: u64) -> u16 {
    let body = format!(
        r#"{{"description":"路灯不亮第{n}号，晚上出行不便","category_code":"0301","address":"东华门街道多福巷社区","reporter_name":"张三","reporter_phone":"13812345678"}}"#
    );
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
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

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("GRASSROOTS_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let dir = tempfile::tempdir().unwrap();
    // GRASSROOTS_BENCH_DATABASE_URL=postgres://… measures PostgreSQL instead (an empty database).
    let url = std::env::var("GRASSROOTS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("grassroots.db").display()));
    let store = SqlStore::open(StoreOptions {
        url,
        keys: Keyring::single(DataKey::generate()),
        max_connections: 8,
        attachments_dir: dir.path().join("attachments"),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let regions: Vec<_> = parse_region_csv(include_str!("../../../data/beijing-regions.csv"))
        .unwrap()
        .into_iter()
        .filter(|r| r.code.as_str().starts_with("110101"))
        .collect();
    store.upsert_regions(&regions).await.unwrap();
    store.upsert_categories(&Taxonomy::builtin().iter().cloned().collect::<Vec<_>>()).await.unwrap();
    store.replace_calendar(&WorkCalendar::builtin_days()).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let config = Config { public_rate: RateLimit { per_minute: u32::MAX, burst: u32::MAX }, ..Config::default() };
    let platform = grassroots_app::Platform::new(store.clone(), grassroots_app::Settings::default()).await.unwrap();
    let app = grassroots_web::router(AppState::new(platform, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap()
    });
    let url: Arc<str> = format!("http://{addr}/api/v1/cases").into();
    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build_http();
    println!("intake on {:?}, server and clients in one process on this machine", store.backend());

    // 1. Throughput.
    let end = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..64u64)
        .map(|w| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = w * 1_000_000;
                while Instant::now() < end {
                    n += 1;
                    let t = Instant::now();
                    assert_eq!(post(&client, &url, n).await, 201);
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

    // 2. Latency at 300 per second.
    let rate = 300u64;
    let start = Instant::now();
    let total = rate * seconds;
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + Duration::from_nanos(i * 1_000_000_000 / rate);
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            assert_eq!(post(&client, &url, 90_000_000 + i).await, 201);
            scheduled.elapsed().as_secs_f64() * 1000.0
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    report("fixed rate 300/s", latencies, seconds as f64);
    println!("cases in the store: {}", store.count_cases().await.unwrap());
}
