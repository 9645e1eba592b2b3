//! 智能分类 in the store, on both backends: the cases people labelled, the versions of the
//! model with one in service, and the machine's decisions kept with their case.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::decisions::{Decision, DecisionKind};
use grassroots_domain::workflow::Move;
use grassroots_store::models::NewModel;
use grassroots_store::prelude::*;
use support::*;

fn model(in_service: bool, bytes: &[u8]) -> NewModel {
    NewModel {
        trained_at: Utc::now(),
        examples: 10,
        held_out: 2,
        evaluation: "{}".into(),
        compared: "{}".into(),
        in_service,
        bytes: bytes.to_vec(),
    }
}

async fn models_are_versioned_with_one_in_service(db: TestDb) {
    let s = &*db.store;
    assert_eq!(s.version_in_service().await.unwrap(), None, "none: the corpus's model");
    assert_eq!(s.add_model(&model(true, b"first")).await.unwrap(), 1);
    assert_eq!(s.add_model(&model(false, b"worse")).await.unwrap(), 2);
    assert_eq!(s.model_in_service().await.unwrap(), Some((1, b"first".to_vec())), "a worse one is kept aside");
    assert_eq!(s.add_model(&model(true, b"better")).await.unwrap(), 3);
    assert_eq!(s.version_in_service().await.unwrap(), Some(3));
    let listed = s.models().await.unwrap();
    let summary: Vec<(i64, bool, i64)> = listed.iter().map(|m| (m.version, m.in_service, m.size_bytes)).collect();
    assert_eq!(summary, [(3, true, 6), (2, false, 5), (1, false, 5)], "newest first, one in service");
    // Retrained many times: only the latest versions and the one in service keep their weights.
    for _ in 0..grassroots_store::models::WEIGHTS_KEPT {
        s.add_model(&model(false, b"worse")).await.unwrap();
    }
    let listed = s.models().await.unwrap();
    let weighed: Vec<(i64, i64)> = listed.iter().map(|m| (m.version, m.size_bytes)).collect();
    assert_eq!(listed.len(), 13, "every version keeps its figures");
    assert_eq!(weighed.iter().filter(|(_, size)| *size > 0).count(), 11, "{weighed:?}");
    assert!(weighed.contains(&(3, 6)), "the one in service keeps its weights");
    assert!(weighed.contains(&(2, 0)) && weighed.contains(&(1, 0)), "{weighed:?}");
    assert_eq!(s.model_in_service().await.unwrap(), Some((3, b"better".to_vec())));
}

async fn cases_are_labelled_when_people_reclassify_or_close_them(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let untouched = f.report(s, "井盖松了", None).await;
    let reclassified = f.report(s, "路灯不亮", None).await;
    let mv = Move::Reclassify { category_code: Some("0301".into()), priority: None, reason: "是路灯".into() };
    s.apply_move(&f.dispatcher(), reclassified.id, &mv, &f.ctx(Utc::now())).await.unwrap();
    let labelled = s.labelled_cases(None, 10).await.unwrap();
    let found: Vec<_> = labelled.iter().map(|c| (c.id, c.category_code.as_str(), c.description.as_str())).collect();
    assert_eq!(found, [(reclassified.id, "0301", "路灯不亮")], "not {untouched:?}, which nobody looked at");
    assert!(s.labelled_cases(Some(reclassified.id), 10).await.unwrap().is_empty(), "paged by id");
}

async fn decisions_are_kept_with_their_case_and_lose_their_words_with_its_personal_data(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let proposed = Decision {
        kind: DecisionKind::CategoryProposed,
        category_code: "0302".into(),
        unit_id: None,
        confidence: Some(0.72),
        reasons: vec!["井盖".into(), "松动".into()],
        model_version: Some(3),
        target_case: None,
    };
    let dispatched = Decision {
        kind: DecisionKind::Dispatched,
        category_code: "0302".into(),
        unit_id: Some(UNIT_A.into()),
        confidence: None,
        reasons: vec!["全区井盖".into()],
        model_version: None,
        target_case: Some(uuid::Uuid::now_v7()),
    };
    let case = f.report_decided(s, "井盖松动", vec![proposed.clone(), dispatched.clone()]).await;
    let kept = s.case_decisions(case.id).await.unwrap();
    let decisions: Vec<&Decision> = kept.iter().map(|d| &d.decision).collect();
    assert_eq!(decisions, [&proposed, &dispatched]);
    assert_eq!((kept[0].tracking_no.as_str(), kept[0].category_code.as_str()), (case.tracking_no.as_str(), "0302"));
    let now = Utc::now();
    let period = s.decisions_between(now - Duration::minutes(5), now + Duration::minutes(5)).await.unwrap();
    assert_eq!(period.len(), 2);
    assert!(s.decisions_between(now + Duration::minutes(5), now + Duration::minutes(10)).await.unwrap().is_empty());

    s.erase_at_request(&f.supervisor(), case.id, "本人申请删除", Utc::now()).await.unwrap();
    let erased = s.case_decisions(case.id).await.unwrap();
    assert!(erased.iter().all(|d| d.decision.reasons.is_empty()), "{erased:?}");
    assert_eq!(erased[0].decision.category_code, "0302", "the decision itself stays for the figures");
}

conformance!(
    models_are_versioned_with_one_in_service,
    cases_are_labelled_when_people_reclassify_or_close_them,
    decisions_are_kept_with_their_case_and_lose_their_words_with_its_personal_data
);
