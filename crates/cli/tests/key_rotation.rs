//! `grassroots keys rotate` while a server takes reports: it waits for every running process to
//! hold each step (and gives up, naming the one that cannot follow), takes up where it stopped,
//! and leaves every sealed value, old or written during the rotation, opening under the new key
//! alone, with every acknowledged report still found by its query code.

mod support;

use std::process::Output;

use grassroots_store::crypto::{DataKey, Keyring, RotationPhase};
use grassroots_store::keys::ResealCursor;
use grassroots_store::prelude::*;
use grassroots_store::{AuditFilter, SqlStore, StoreOptions};
use support::*;

/// Processes read the key file every second here.
const CHECK: (&str, &str) = ("GRASSROOTS_KEY_CHECK_SECS", "1");

fn rotate(dir: &std::path::Path, wait_secs: &str) -> Output {
    grassroots(dir)
        .env(CHECK.0, CHECK.1)
        .args(["keys", "rotate", "--batch", "50", "--wait-secs", wait_secs])
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_under_write_load_leaves_every_value_under_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    // A key file as written before rotation existed: one bare key.
    let old = DataKey::generate();
    let key_file = dir.path().join("secret.key");
    let bare = Keyring::single(old.clone());
    bare.write(&key_file).unwrap();
    let old_text = std::fs::read_to_string(&key_file).unwrap();
    let old_line = old_text.lines().find(|l| l.starts_with("seal ")).unwrap()[5..].to_string();
    std::fs::write(&key_file, &old_line).unwrap();
    let demo = grassroots(dir.path()).args(["demo", "--no-serve"]).output().unwrap();
    assert!(demo.status.success(), "{}", text(&demo));

    let port = free_port();
    let mut server = serve_with(dir.path(), port, &[CHECK]);
    // A second server given the key in its environment cannot follow a rotation.
    let mut fixed = serve_with(dir.path(), free_port(), &[CHECK, ("GRASSROOTS_SECRET_KEY", old_line.as_str())]);
    let writers = ReportWriters::start(port, 2);
    writers.wait_for(20);

    let refused = rotate(dir.path(), "3");
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains(":serve:") && text(&refused).contains("GRASSROOTS_SECRET_KEY"),
        "{}",
        text(&refused)
    );
    let staged = Keyring::read(&key_file).unwrap();
    assert_eq!(staged.phase(), RotationPhase::Staged, "cut off with the new key staged, sealing nothing yet");
    assert_eq!(staged.sealing_id(), old.id());

    // The server that cannot follow goes (killed: its report lapses); the rotation goes on.
    fixed.kill().unwrap();
    fixed.wait().unwrap();
    let done = rotate(dir.path(), "60");
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("rotated"), "{}", text(&done));
    let during = writers.acknowledged().len();
    writers.wait_for(during + 20);
    let acknowledged = writers.stop();

    let rotated = Keyring::read(&key_file).unwrap();
    assert_eq!(rotated.phase(), RotationPhase::Settled);
    assert_eq!(Some(rotated.sealing_id()), staged.incoming_id());
    assert_eq!(rotated.opening_ids(), vec![rotated.sealing_id()], "the old key is retired");
    assert!(!std::fs::read_to_string(&key_file).unwrap().contains(&old_line));

    // The server followed without a restart: reports made before, during and after are found.
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(no, code)| request(port, "GET", &format!("/api/v1/track/{no}?code={code}"), None).unwrap().0 != 200)
        .collect();
    assert!(lost.is_empty(), "{} of {} reports not found by their query code", lost.len(), acknowledged.len());
    server.kill().unwrap();
    server.wait().unwrap();

    // Every sealed value opens under the new key alone, and none is left to re-seal.
    let url = format!("sqlite://{}", dir.path().join("grassroots.db").display());
    let store = SqlStore::open(StoreOptions {
        url,
        keys: rotated,
        max_connections: 2,
        attachments_dir: dir.path().join("attachments"),
    })
    .await
    .unwrap();
    let (mut examined, mut cursor) = (0, Some(ResealCursor::start()));
    while let Some(from) = cursor {
        let batch = store.reseal(&from, 1000).await.expect("every value opens under the new key");
        assert_eq!(batch.resealed, 0);
        examined += batch.examined;
        cursor = batch.next;
    }
    assert!(examined > acknowledged.len(), "the demo's and the writers' reporters ({examined} values)");
    let filter = AuditFilter { action: Some("key_rotation".into()), limit: 10, ..AuditFilter::default() };
    let steps: Vec<String> = store
        .audit_log(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.detail["step"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(steps, ["retired", "switched", "staged"], "newest first");

    // Nothing to take up: a status says so.
    let status = grassroots(dir.path()).args(["keys", "status"]).output().unwrap();
    assert!(text(&status).contains("no rotation under way"), "{}", text(&status));
}
