//! 全文检索's feed, on both backends: the changes of cases read from the outbox in order and
//! from any place in it, the erasures, and the documents built from each case's row and events.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::workflow::Move;
use grassroots_store::prelude::*;
use grassroots_store::search::FeedKey;
use support::*;

async fn changes_are_read_in_order_from_any_place_in_the_outbox(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let first = f.report(s, "路灯不亮", None).await;
    let second = f.report(s, "井盖松动", None).await;
    let mv = Move::Register { note: Some("现场核实，需更换镇流器".into()) };
    s.apply_move(&f.dispatcher(), first.id, &mv, &f.ctx(Utc::now())).await.unwrap();
    let all = s.case_changes(&FeedKey::default(), 100).await.unwrap();
    let cases: Vec<_> = all.iter().map(|c| c.case_id).collect();
    assert_eq!(cases, [first.id, second.id, first.id], "each change, oldest first");
    assert!(all.windows(2).all(|w| w[0].key < w[1].key), "in the order of their keys");
    let rest = s.case_changes(&all[0].key, 100).await.unwrap();
    assert_eq!(rest, all[1..], "after a key, strictly");
    assert_eq!(s.case_changes(&all[0].key, 1).await.unwrap(), all[1..2], "at most the limit");
    assert!(s.case_changes(&all[2].key, 100).await.unwrap().is_empty());
}

async fn documents_hold_every_text_written_about_a_case(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let case = f.report(s, "路灯不亮", None).await;
    let other = f.report(s, "井盖松动", None).await;
    let mv = Move::Register { note: Some("现场核实，需更换镇流器".into()) };
    s.apply_move(&f.dispatcher(), case.id, &mv, &f.ctx(Utc::now())).await.unwrap();
    let documents = s.search_documents(&[case.id]).await.unwrap();
    assert_eq!(documents.len(), 1);
    let document = &documents[0];
    assert_eq!((document.id, document.tracking_no.as_str()), (case.id, case.tracking_no.as_str()));
    assert_eq!(document.texts.first().map(String::as_str), Some("路灯不亮"));
    assert!(document.texts.iter().any(|t| t == "现场核实，需更换镇流器"), "{:?}", document.texts);
    let mut ids = vec![case.id, other.id];
    ids.sort();
    let paged: Vec<_> = s.search_documents_after(None, 10).await.unwrap().iter().map(|d| d.id).collect();
    assert_eq!(paged, ids, "every case in the order of its id");
    let after: Vec<_> = s.search_documents_after(Some(ids[0]), 10).await.unwrap().iter().map(|d| d.id).collect();
    assert_eq!(after, ids[1..]);
    assert!(s.search_documents(&[uuid::Uuid::now_v7()]).await.unwrap().is_empty(), "an unknown id is left out");
}

async fn erasures_are_found_by_their_time_and_their_texts_are_gone(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let case = f.report(s, "我家住在3号楼502，楼上漏水", None).await;
    let before = Utc::now() - Duration::seconds(1);
    assert!(s.erased_since(before).await.unwrap().is_empty());
    s.erase_at_request(&f.supervisor(), case.id, "本人申请删除", Utc::now()).await.unwrap();
    assert_eq!(s.erased_since(before).await.unwrap(), [case.id]);
    assert!(s.erased_since(Utc::now() + Duration::seconds(1)).await.unwrap().is_empty());
    let document = s.search_documents(&[case.id]).await.unwrap().remove(0);
    assert!(document.texts.iter().all(|t| !t.contains("漏水")), "{:?}", document.texts);
}

async fn place_names_come_from_regions_and_grids(db: TestDb) {
    let s = &*db.store;
    let regions = grassroots_domain::region::parse_region_csv(
        "code,name,level,parent_code\n110101,东城区,county,\n110101001,东华门街道,township,110101\n\
         110101001001,多福巷社区居委会,community,110101001\n",
    )
    .unwrap();
    s.upsert_regions(&regions).await.unwrap();
    let mut names = s.place_names().await.unwrap();
    names.sort();
    assert_eq!(names, ["东华门街道", "多福巷社区居委会"], "streets and communities, not districts");
}

conformance!(
    changes_are_read_in_order_from_any_place_in_the_outbox,
    documents_hold_every_text_written_about_a_case,
    erasures_are_found_by_their_time_and_their_texts_are_gone,
    place_names_come_from_regions_and_grids
);
