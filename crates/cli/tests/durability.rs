//! Every report that got its 201 answer is still there after the server is killed with
//! SIGKILL in the middle of a write load.

mod support;

use std::time::Duration;

use support::*;

#[test]
fn acknowledged_reports_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    assert!(grassroots(dir.path())
        .args(["demo", "--no-serve"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap()
        .success());
    let port = free_port();
    let mut server = serve(dir.path(), port);

    let writers = ReportWriters::start(port, 4);
    // Kill once a good number of writes have been acknowledged, while writes are in flight.
    writers.wait_for(300);
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let acknowledged = writers.stop();
    let mut server = serve(dir.path(), port);
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(no, code)| request(port, "GET", &format!("/api/v1/track/{no}?code={code}"), None).unwrap().0 != 200)
        .collect();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(lost.is_empty(), "{} of {} acknowledged reports were lost: {lost:?}", lost.len(), acknowledged.len());
}

/// SIGTERM (what service managers send) stops the server gracefully: a request in flight is
/// answered in full, and the process exits by itself with success.
#[test]
fn sigterm_stops_the_server_after_answering_what_it_took() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(dir.path(), port);
    // A request whose body arrives slowly is in flight when the signal comes.
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = r#"{"description":"路灯不亮","address":"东华门街道多福巷社区"}"#;
    let head = format!(
        "POST /api/v1/cases HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    use std::io::{Read, Write};
    slow.write_all(head.as_bytes()).unwrap();
    slow.write_all(&body.as_bytes()[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let term = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    std::thread::sleep(Duration::from_millis(300));
    slow.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).unwrap();
    // An empty store refuses the report (it has no categories), but it is answered, whole.
    assert!(
        answer.starts_with("HTTP/1.1 422") && answer.trim_end().ends_with('}'),
        "the request in flight is answered: {answer}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "stopped with {status}");
    assert!(request(port, "GET", "/healthz", None).is_err(), "no longer listening");
}
