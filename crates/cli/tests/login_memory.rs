//! Hundreds of concurrent wrong-password log-ins, each from its own address (so that no
//! per-address limit turns them away before the password is checked), keep the real server
//! under a stated memory bound: each argon2 check holds about 19 MiB, and unbounded they took
//! the process to 1.8 GB. Those beyond the queue are told to come back (503, Retry-After).

mod support;

use std::time::Duration;

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The peak resident memory the server may reach, flood included: the process at rest, a
/// 19 MiB buffer for each worker (one per core), and 64 MiB for connections and the rest.
/// Unbounded, this flood took it to 3 GB.
fn bound_mib(at_rest: u64) -> u64 {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(16)) as u64;
    at_rest + 20 * workers + 64
}

const LOGINS: usize = 400;

fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kib / 1024
}

/// One log-in from 127.0.0.`host`: the status and the `Retry-After` header.
async fn log_in(port: u16, host: u8, username: &str, password: &str) -> (u16, Option<String>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, host], 0))).unwrap();
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(format!("{head}{body}").as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let retry =
        text.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("retry-after:").map(|v| v.trim().to_string()));
    (status, retry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_log_ins_keeps_the_server_under_its_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let added = grassroots(dir.path())
        .args(["user", "add", "--username", "wang", "--role", "admin", "--scope", "all", "--password", "s3cret-pass"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let port = free_port();
    let mut server = serve(dir.path(), port);
    let at_rest = peak_rss_mib(server.id());

    let flood: Vec<_> = (0..LOGINS)
        .map(|i| {
            let host = 2 + (i % 250) as u8;
            tokio::spawn(async move { log_in(port, host, &format!("nobody{i}"), "wrong-password").await })
        })
        .collect();
    let (mut refused, mut busy) = (0, 0);
    for answer in flood {
        match answer.await.unwrap() {
            (401, _) => refused += 1,
            (503, Some(retry)) => {
                assert!(retry.parse::<u64>().is_ok_and(|s| s > 0), "Retry-After: {retry}");
                busy += 1;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let peak = peak_rss_mib(server.id());
    eprintln!("peak {peak} MiB, at rest {at_rest} MiB; {refused} checked, {busy} told to wait");
    // Once the flood is over, the real user logs in.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = log_in(port, 1, "wang", "s3cret-pass").await;
    server.kill().unwrap();
    server.wait().unwrap();

    assert_eq!(refused + busy, LOGINS);
    assert!(refused > 0, "some were checked");
    assert!(busy > 0, "beyond the queue, the server says it is busy");
    let bound = bound_mib(at_rest);
    assert!(peak < bound, "peak {peak} MiB (at rest {at_rest} MiB) is over the bound of {bound} MiB");
    assert_eq!(after.0, 200, "the flood leaves no lasting harm");
}
