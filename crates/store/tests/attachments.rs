//! Attachments as content-addressed files on every backend: the bytes in a file named by
//! their digest, kept once however often sent, read back through the case's scope, swept
//! once nothing names them, and moved out of the database for rows kept as BLOBs.

mod support;

use std::time::Duration;

use chrono::Utc;
use grassroots_domain::Scope;
use grassroots_store::prelude::*;
use sha2::{Digest, Sha256};
use sqlx::Connection;
use support::*;

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|shards| {
            shards
                .flat_map(|shard| std::fs::read_dir(shard.unwrap().path()).unwrap())
                .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn photos_are_files_named_by_their_digest_kept_once(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let png = vec![0x89, b'P', b'N', b'G', 7, 7, 7];
    let digest = format!("{:x}", Sha256::digest(&png));
    let first = f.report_with_photo(s, "占道堆物", png.clone()).await;
    let second = f.report_with_photo(s, "占道堆物又来了", png.clone()).await;
    assert_eq!(files_in(&db.attachments_dir), vec![digest.clone()], "one file for the same photo sent twice");
    assert_eq!(std::fs::read(db.attachments_dir.join(&digest[..2]).join(&digest)).unwrap(), png);
    for case in [first.id, second.id] {
        let listed = s.attachments(&Scope::All, case).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].size, png.len() as i64);
        assert_eq!(s.attachment(&Scope::All, case, listed[0].id).await.unwrap().1, png);
    }
    // Nothing of the bytes is in the database.
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let blobs: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM attachments WHERE bytes IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .unwrap(),
        "n",
    );
    assert_eq!(blobs, 0);
}

async fn a_file_goes_when_the_last_case_naming_it_is_erased(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let shared = vec![1, 2, 3, 4];
    let alone = vec![5, 6, 7, 8];
    let a = f.report_with_photo(s, "井盖松动", shared.clone()).await;
    let b = f.report_with_photo(s, "井盖又松动", shared.clone()).await;
    let c = f.report_with_photo(s, "路灯不亮", alone.clone()).await;
    assert_eq!(files_in(&db.attachments_dir).len(), 2);
    // Within the grace nothing goes, named or not.
    s.erase_at_request(&f.supervisor(), c.id, "本人申请删除", Utc::now()).await.unwrap();
    let swept = s.sweep_attachment_files(Duration::from_secs(3600)).await.unwrap();
    assert_eq!((swept.removed, swept.kept), (0, 0), "{swept:?}");
    assert_eq!(files_in(&db.attachments_dir).len(), 2);

    let swept = s.sweep_attachment_files(Duration::ZERO).await.unwrap();
    assert_eq!((swept.removed, swept.kept), (1, 1), "{swept:?}");
    assert_eq!(files_in(&db.attachments_dir), vec![format!("{:x}", Sha256::digest(&shared))]);
    s.erase_at_request(&f.supervisor(), a.id, "本人申请删除", Utc::now()).await.unwrap();
    let swept = s.sweep_attachment_files(Duration::ZERO).await.unwrap();
    assert_eq!((swept.removed, swept.kept), (0, 1), "the other case still names it");
    let listed = s.attachments(&Scope::All, b.id).await.unwrap();
    assert_eq!(s.attachment(&Scope::All, b.id, listed[0].id).await.unwrap().1, shared);
    s.erase_at_request(&f.supervisor(), b.id, "本人申请删除", Utc::now()).await.unwrap();
    assert_eq!(s.sweep_attachment_files(Duration::ZERO).await.unwrap().removed, 1);
    assert!(files_in(&db.attachments_dir).is_empty());
}

async fn attachments_kept_as_blobs_move_into_files_at_migration(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let png = vec![9, 8, 7, 6, 5];
    let digest = format!("{:x}", Sha256::digest(&png));
    let case = f.report_with_photo(s, "占道堆物", png.clone()).await;
    // As a version before files left it: the bytes in the row, no file.
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE attachments SET bytes = $1, digest = NULL").bind(png.clone()).execute(&mut conn).await.unwrap();
    std::fs::remove_file(db.attachments_dir.join(&digest[..2]).join(&digest)).unwrap();
    let listed = s.attachments(&Scope::All, case.id).await.unwrap();
    assert_eq!(s.attachment(&Scope::All, case.id, listed[0].id).await.unwrap().1, png, "read from the row meanwhile");

    db.store.migrate().await.unwrap();
    assert_eq!(files_in(&db.attachments_dir), vec![digest.clone()]);
    let digests: Vec<Option<String>> = sqlx::query("SELECT digest FROM attachments")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::get(r, "digest"))
        .collect();
    assert_eq!(digests, vec![Some(digest)]);
    assert_eq!(s.attachment(&Scope::All, case.id, listed[0].id).await.unwrap().1, png);
    assert_eq!(s.sweep_attachment_files(Duration::ZERO).await.unwrap().kept, 1);
}

conformance!(
    photos_are_files_named_by_their_digest_kept_once,
    a_file_goes_when_the_last_case_naming_it_is_erased,
    attachments_kept_as_blobs_move_into_files_at_migration,
);
