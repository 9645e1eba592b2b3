//! A backup taken while reports are being written holds every report acknowledged before it
//! began, passes SQLite's integrity check, and serves again once restored elsewhere; a
//! restore is refused while a server runs on the store.

mod support;

use std::time::Duration;

use support::*;

fn run(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn a_backup_under_write_load_restores_every_report_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    run(grassroots(dir.path()).args(["demo", "--no-serve"]));
    let port = free_port();
    let mut server = serve(dir.path(), port);

    let writers = ReportWriters::start(port, 3);
    writers.wait_for(100);
    // Every report acknowledged by now must be in the backup; writes go on while it is taken.
    let before = writers.acknowledged();
    let backup = dir.path().join("backup.db");
    let out = run(grassroots(dir.path()).args(["backup", "--output"]).arg(&backup));
    assert!(String::from_utf8_lossy(&out.stdout).contains("checked"));
    let during = writers.acknowledged().len();
    std::thread::sleep(Duration::from_millis(200));
    assert!(writers.stop().len() > during, "writes went on around the backup");

    // No restore under a running server.
    let refused = grassroots(dir.path()).args(["restore", "--input"]).arg(&backup).output().unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("stop it"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();

    // Restored into a new data directory, with the data key kept apart.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("secret.key"), elsewhere.path().join("secret.key")).unwrap();
    run(grassroots(elsewhere.path()).args(["restore", "--input"]).arg(&backup));
    let port = free_port();
    let mut restored = serve(elsewhere.path(), port);
    let missing: Vec<_> = before
        .iter()
        .filter(|(no, code)| request(port, "GET", &format!("/api/v1/track/{no}?code={code}"), None).unwrap().0 != 200)
        .collect();
    restored.kill().unwrap();
    restored.wait().unwrap();
    assert!(
        missing.is_empty(),
        "{} of {} reports acknowledged before the backup are missing",
        missing.len(),
        before.len()
    );

    // A file that is not a store is refused, and nothing is replaced.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let bad = grassroots(elsewhere.path()).args(["restore", "--input"]).arg(&junk).output().unwrap();
    assert!(!bad.status.success());
    assert!(elsewhere.path().join("grassroots.db").exists());
}

/// The photos go with the backup, in a directory beside it, and come back with the restore;
/// a restore whose photos are missing changes nothing.
#[tokio::test]
async fn a_backup_holds_the_photos_its_cases_name() {
    use grassroots_domain::{Actor, Scope};
    use grassroots_store::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    run(grassroots(dir.path()).arg("migrate"));
    let store = open_store(dir.path()).await;
    let photo = grassroots_store::NewAttachment { media_type: "image/jpeg".into(), bytes: vec![0xff, 0xd8, 1, 2, 3] };
    let report = street_light_report("路灯不亮".into(), chrono::Utc::now(), vec![photo.clone()]);
    let case = store.create_case(report, &Actor::Resident).await.unwrap();
    store.close().await;

    let backup = dir.path().join("backup.db");
    let out = run(grassroots(dir.path()).args(["backup", "--output"]).arg(&backup));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 attachment files copied"));
    let files = dir.path().join("backup.db.attachments");
    let shards: Vec<_> = std::fs::read_dir(&files).unwrap().collect();
    assert_eq!(shards.len(), 1);
    let again = grassroots(dir.path()).args(["backup", "--output"]).arg(&backup).output().unwrap();
    assert!(!again.status.success(), "a backup is never written over");

    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("secret.key"), elsewhere.path().join("secret.key")).unwrap();
    run(grassroots(elsewhere.path()).args(["restore", "--input"]).arg(&backup));
    let restored = open_store(elsewhere.path()).await;
    let listed = restored.attachments(&Scope::All, case.id).await.unwrap();
    assert_eq!(restored.attachment(&Scope::All, case.id, listed[0].id).await.unwrap().1, photo.bytes);
    restored.close().await;

    // Without its photos, a backup is refused and the store left as it was.
    std::fs::remove_dir_all(&files).unwrap();
    let third = tempfile::tempdir().unwrap();
    let refused = grassroots(third.path()).args(["restore", "--input"]).arg(&backup).output().unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is missing"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!third.path().join("grassroots.db").exists());
}
