//! Running the real binary: start it, talk plain HTTP/1.1 to it, kill it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn grassroots(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_grassroots"));
    c.arg("--data-dir")
        .arg(data_dir)
        .env("GRASSROOTS_LOG", "warn")
        .env_remove("GRASSROOTS_DATABASE_URL")
        .stdin(Stdio::null());
    c
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `grassroots serve` and waits until it answers.
pub fn serve(data_dir: &Path, port: u16) -> Child {
    serve_with(data_dir, port, &[])
}

/// Starts `grassroots serve` with these environment variables and waits until it answers.
pub fn serve_with(data_dir: &Path, port: u16, envs: &[(&str, &str)]) -> Child {
    let child = grassroots(data_dir)
        .envs(envs.iter().copied())
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-rate-per-minute",
            "100000000",
            "--public-burst",
            "100000000",
            "serve",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while request(port, "GET", "/healthz", None).map(|r| r.0).ok() != Some(200) {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// One request on its own connection: (status, body).
pub fn request(port: u16, method: &str, path: &str, json: Option<&str>) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = json.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status =
        text.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// Threads posting reports to the server on `port` until stopped (or until the server is
/// gone), keeping the tracking number and query code of every report acknowledged with 201.
pub struct ReportWriters {
    acknowledged: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl ReportWriters {
    pub fn start(port: u16, writers: usize) -> Self {
        use std::sync::atomic::Ordering;
        let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = (0..writers)
            .map(|w| {
                let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let body = format!(
                            r#"{{"description":"写入压力测试 {w}-{i}","category_code":"0301","address":"东华门街道多福巷社区","reporter_phone":"13812345678"}}"#
                        );
                        match request(port, "POST", "/api/v1/cases", Some(&body)) {
                            Ok((201, reply)) => {
                                let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
                                let pair = (v["tracking_no"].as_str().unwrap().to_string(), v["query_code"].as_str().unwrap().to_string());
                                acknowledged.lock().unwrap().push(pair);
                            }
                            Ok((status, reply)) => panic!("unexpected answer {status}: {reply}"),
                            Err(_) => break, // the server is gone
                        }
                    }
                })
            })
            .collect();
        Self { acknowledged, stop, threads }
    }

    /// Waits until at least `n` reports have been acknowledged.
    pub fn wait_for(&self, n: usize) {
        while self.acknowledged().len() < n {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The reports acknowledged so far.
    pub fn acknowledged(&self) -> Vec<(String, String)> {
        self.acknowledged.lock().unwrap().clone()
    }

    /// Stops the writers and returns every report acknowledged.
    pub fn stop(self) -> Vec<(String, String)> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let acknowledged = self.acknowledged.lock().unwrap().clone();
        acknowledged
    }
}

/// Opens the SQLite store of a data directory, as the binary does.
pub async fn open_store(dir: &Path) -> grassroots_store::SqlStore {
    let (keys, _) = grassroots_store::crypto::Keyring::load_or_create(None, dir).unwrap();
    let url = format!("sqlite://{}", dir.join("grassroots.db").display());
    let options =
        grassroots_store::StoreOptions { url, keys, max_connections: 2, attachments_dir: dir.join("attachments") };
    grassroots_store::SqlStore::open(options).await.unwrap()
}

/// A resident's report of a street light in 东城区, received at `at`, with these photos.
pub fn street_light_report(
    description: String,
    at: chrono::DateTime<chrono::Utc>,
    attachments: Vec<grassroots_store::NewAttachment>,
) -> grassroots_store::NewCase {
    use grassroots_domain::{Channel, Priority, RequestType};
    grassroots_store::NewCase {
        category_code: "0301".into(),
        request_type: RequestType::Complaint,
        priority: Priority::Normal,
        channel: Channel::Phone,
        description,
        place: grassroots_domain::case::Place { district_code: Some("110101".into()), ..Default::default() },
        reporter_name: Some("张三".into()),
        reporter_phone: Some("13812345678".into()),
        anonymous: false,
        notify_reporter: false,
        response_due: at + chrono::Duration::hours(24),
        resolve_due: at + chrono::Duration::days(7),
        received_at: at,
        attachments,
        decisions: vec![],
        then: None,
        key: None,
    }
}
