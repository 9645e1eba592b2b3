//! Residents' participation on every backend: a resident asks for their household and a grid
//! worker of the community confirms or refuses it, within their grids only; votes keep who
//! voted apart from how, take one ballot per voter under concurrency, reconcile paper counts
//! entered by two staff members, and publish a result their ballots reproduce. Residents'
//! topics wait for moderation; a resident supports a proposal once, and the space's threshold
//! puts it on the agenda; hiding is audited; a case raised into a topic is linked both ways.
//! A meeting's minutes set its decisions as tasks, once; progress never goes back, keeps its
//! photos through the sweep, and a task past its deadline and not done is overdue. A survey
//! takes one response per resident under concurrency, and an anonymous one names nobody; one
//! of a unit's cases texts their reporters when it opens. A unit that owns a task has its
//! handlers report progress; other units' do not.

mod support;

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::accountability::OwnerKind;
use grassroots_domain::deliberation::{Moderation, Origin, TopicState, DEFAULT_THRESHOLD};
use grassroots_domain::households::LinkState;
use grassroots_domain::meetings::{MeetingState, ParticipantKind};
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::residents::Mobile;
use grassroots_domain::surveys::{parse_questions, Anonymity, Answer, Purpose};
use grassroots_domain::votes::{tally, Eligibility, PaperCount, Phase, VoteKind, Voter};
use grassroots_domain::{Actor, Role, Scope};
use grassroots_store::accountability::{NewTask, NewUpdate};
use grassroots_store::deliberation::{Author, NewTopic, Support};
use grassroots_store::households::LinkDecision;
use grassroots_store::meetings::{AgendaItem, Minutes, NewMeeting, Participant};
use grassroots_store::messages::{DueMessage, Recipient};
use grassroots_store::prelude::*;
use grassroots_store::residents::Resident;
use grassroots_store::surveys::{NewSurvey, Responded, UnitCases};
use grassroots_store::votes::{Cast, NewVote};
use grassroots_store::PlaceFilter;
use grassroots_store::{Inspect, NewAttachment, NewUser, StoreError};
use sqlx::{Connection, Row};
use support::*;

const COMMUNITY: &str = "110101001001";
const OTHER_GRID: &str = "110101001001002";

async fn grids(s: &dyn Store) {
    s.replace_grids(&[COMMUNITY.into()], &[grid(GRID, 116.40), grid(OTHER_GRID, 116.41)]).await.unwrap();
}

async fn staff_account(s: &dyn Store, username: &str, role: Role, scope: &str) -> Actor {
    s.upsert_user(&NewUser {
        username: username.into(),
        display_name: format!("{username}姓名"),
        password_hash: "x".into(),
        role,
        scope: Scope::parse(scope).unwrap(),
    })
    .await
    .unwrap()
    .actor()
}

async fn a_grid_worker_confirms_or_refuses_what_residents_ask(db: TestDb) {
    let s = &*db.store;
    grids(s).await;
    let now = Utc::now();
    let worker = staff_account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let elsewhere = staff_account(s, "other", Role::GridWorker, "grid:110101001002001").await;
    let (a, b) = (resident(s, "13800138001").await, resident(s, "13800138002").await);

    assert!(matches!(s.ask_household(a.id, "110101999999", "1号楼101", now).await, Err(StoreError::NotFound)));
    let asked = s.ask_household(a.id, COMMUNITY, "3号楼2单元401", now).await.unwrap();
    assert_eq!((asked.state, asked.household.as_ref()), (LinkState::Requested, None));
    s.ask_household(b.id, COMMUNITY, "5号楼101", now).await.unwrap();

    let waiting = s.household_links(&scope_of(&worker), LinkState::Requested, 10).await.unwrap();
    assert_eq!(waiting.iter().map(|l| l.resident_id).collect::<Vec<_>>(), [a.id, b.id], "oldest first");
    assert!(waiting[0].phone_masked.contains("****"), "the number masked: {}", waiting[0].phone_masked);
    assert!(s.household_links(&scope_of(&elsewhere), LinkState::Requested, 10).await.unwrap().is_empty());

    let confirm = |grid: &str| LinkDecision::Confirm { grid_code: grid.into(), label: "3号楼2单元401".into() };
    // Another community's worker does not find it; this worker confirms only in their own grid.
    assert!(matches!(s.decide_household_link(&elsewhere, a.id, &confirm(GRID), now).await, Err(StoreError::NotFound)));
    assert!(matches!(
        s.decide_household_link(&worker, a.id, &confirm(OTHER_GRID), now).await,
        Err(StoreError::NotFound)
    ));
    let confirmed = s.decide_household_link(&worker, a.id, &confirm(GRID), now).await.unwrap();
    assert_eq!(confirmed.state, LinkState::Confirmed);
    assert_eq!(
        confirmed.household.as_ref().map(|h| (h.grid_code.as_str(), h.label.as_str())),
        Some((GRID, "3号楼2单元401"))
    );
    assert!(s.households(GRID).await.unwrap().iter().any(|h| h.label == "3号楼2单元401"), "a new household is added");
    let again = s.decide_household_link(&worker, a.id, &confirm(GRID), now).await.unwrap_err();
    assert!(matches!(again, StoreError::Invalid(ref e) if e.field == "state"), "{again:?}");

    let refuse = LinkDecision::Refuse { reason: "本网格无此门牌".into() };
    let refused = s.decide_household_link(&worker, b.id, &refuse, now).await.unwrap();
    assert_eq!((refused.state, refused.reason.as_deref()), (LinkState::Refused, Some("本网格无此门牌")));
    assert_eq!(s.household_link(b.id).await.unwrap().unwrap().state, LinkState::Refused);

    // Linked directly by number; an unknown number names the field.
    let linked = s.link_resident(&worker, &Mobile::parse("13800138002").unwrap(), GRID, "5号楼102", now).await.unwrap();
    assert_eq!((linked.resident_id, linked.state), (b.id, LinkState::Confirmed));
    let unknown =
        s.link_resident(&worker, &Mobile::parse("13900000000").unwrap(), GRID, "1号楼", now).await.unwrap_err();
    assert!(matches!(unknown, StoreError::Invalid(ref e) if e.field == "phone"), "{unknown:?}");

    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action IN \
         ('household_link_confirmed', 'household_link_refused', 'household_linked')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
    .get("n");
    assert_eq!(audited, 3);

    // Closing the account takes its link with it.
    s.close_resident_account(&Actor::Resident, a.id, None, now).await.unwrap();
    assert_eq!(s.household_link(a.id).await.unwrap(), None);
}

/// The rows of the audit log, the events and the outbox: where a cast ballot must leave no trace.
async fn logged(db: &TestDb) -> [i64; 3] {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let mut counts = [0; 3];
    for (n, table) in counts.iter_mut().zip(["audit_log", "events", "outbox"]) {
        *n = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(&mut conn).await.unwrap().get("n");
    }
    counts
}

fn new_vote(kind: VoteKind, eligibility: Eligibility, opens_at: DateTime<Utc>) -> NewVote {
    NewVote {
        region_code: COMMUNITY.into(),
        title: "是否加装电梯".into(),
        body: "3号楼加装电梯，费用按楼层分摊".into(),
        kind,
        eligibility,
        options: vec!["同意".into(), "不同意".into(), "弃权".into()],
        opens_at,
        closes_at: opens_at + Duration::days(7),
    }
}

/// Three residents linked to two households of the community.
async fn voters(s: &dyn Store, worker: &Actor) -> Vec<(Resident, uuid::Uuid)> {
    let now = Utc::now();
    let mut linked = Vec::new();
    for (phone, door) in [("13800138011", "1号楼101"), ("13800138012", "1号楼101"), ("13800138013", "2号楼202")] {
        let r = resident(s, phone).await;
        let link = s.link_resident(worker, &Mobile::parse(phone).unwrap(), GRID, door, now).await.unwrap();
        linked.push((r, link.household.unwrap().id));
    }
    linked
}

async fn one_ballot_per_voter_and_none_names_its_voter(db: TestDb) {
    let s = &*db.store;
    grids(s).await;
    let now = Utc::now();
    let worker = staff_account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let juweihui = staff_account(s, "juweihui", Role::Supervisor, &format!("region:{COMMUNITY}")).await;
    let linked = voters(s, &worker).await;
    assert!(
        matches!(
            s.create_vote(&worker, &new_vote(VoteKind::Single, Eligibility::Households, now), now).await,
            Err(StoreError::NotFound)
        ),
        "a grid worker holds votes of their grid only"
    );
    let vote = s.create_vote(&juweihui, &new_vote(VoteKind::Single, Eligibility::Households, now), now).await.unwrap();
    assert_eq!((vote.phase(now), vote.options.len()), (Phase::Open, 3));
    assert_eq!(s.roll_size(COMMUNITY, Eligibility::Households).await.unwrap(), 2);
    assert_eq!(s.roll_size(COMMUNITY, Eligibility::Persons).await.unwrap(), 3);

    let voter = |i: usize| Voter::for_vote(vote.eligibility, linked[i].0.id, linked[i].1);
    let before = logged(&db).await;
    // Eight tries at once by the two residents of one household: one ballot.
    let tries: Vec<_> = (0..8)
        .map(|i| {
            let (store, voter) = (db.store.clone(), voter(i % 2));
            tokio::spawn(async move { store.cast_ballot(vote.id, voter, &[(i % 2) as u32], now).await.unwrap() })
        })
        .collect();
    let cast = futures_join(tries).await;
    assert_eq!(cast.iter().filter(|c| **c == Cast::Counted).count(), 1, "{cast:?}");
    assert!(cast.iter().all(|c| matches!(c, Cast::Counted | Cast::AlreadyVoted)));
    assert_eq!(s.cast_ballot(vote.id, voter(2), &[1], now).await.unwrap(), Cast::Counted);
    let bad = s.cast_ballot(vote.id, voter(2), &[0, 1], now).await.unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(ref e) if e.field == "choices"), "{bad:?}");
    assert!(s.has_voted(vote.id, voter(1)).await.unwrap());
    assert_eq!(s.ballots(vote.id).await.unwrap().len(), 2);

    // Nothing stored with a ballot leads to a voter: no voter, no time, a random id.
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let columns: Vec<String> = s.schema().await.unwrap()["ballots"].columns.keys().cloned().collect();
    assert_eq!(columns, ["choices", "id", "vote_id"]);
    let ids: Vec<String> =
        sqlx::query("SELECT id FROM ballots").fetch_all(&mut conn).await.unwrap().iter().map(|r| r.get("id")).collect();
    assert!(ids.iter().all(|id| id.as_bytes()[14] == b'4'), "random (v4) ids, not time-ordered: {ids:?}");
    let keys: Vec<String> = linked.iter().flat_map(|(r, h)| [r.id.to_string(), h.to_string()]).collect();
    let rows = sqlx::query("SELECT * FROM ballots").fetch_all(&mut conn).await.unwrap();
    let text: String = rows
        .iter()
        .map(|r| {
            format!("{:?}", (0..r.len()).map(|i| r.try_get::<String, _>(i).unwrap_or_default()).collect::<Vec<_>>())
        })
        .collect();
    assert!(keys.iter().all(|k| !text.contains(k.as_str())), "ballots name a voter");
    assert_eq!(logged(&db).await, before, "casting ballots wrote nothing to the audit log, events or outbox");

    // Before the opening and after the close, nothing is cast.
    let later = s
        .create_vote(&juweihui, &new_vote(VoteKind::Approval, Eligibility::Persons, now + Duration::hours(1)), now)
        .await
        .unwrap();
    assert_eq!(s.cast_ballot(later.id, voter(0), &[0], now).await.unwrap(), Cast::NotOpen);
    assert_eq!(s.cast_ballot(vote.id, voter(2), &[1], vote.closes_at).await.unwrap(), Cast::NotOpen);

    // Withdrawn before it opens, by staff holding its place, audited; then nothing is cast even
    // once its opening comes. An open vote is not withdrawn.
    let other = staff_account(s, "elsewhere", Role::Supervisor, "region:110101002").await;
    assert!(matches!(s.withdraw_vote(&other, later.id, "误发", now).await, Err(StoreError::NotFound)));
    let open = s.withdraw_vote(&juweihui, vote.id, "误发", now).await.unwrap_err();
    assert!(matches!(open, StoreError::Invalid(ref e) if e.field == "phase"), "{open:?}");
    let withdrawn = s.withdraw_vote(&juweihui, later.id, "选项有误，重新发起", now).await.unwrap();
    assert_eq!(withdrawn.phase(now + Duration::hours(2)), Phase::Withdrawn);
    assert_eq!(withdrawn.withdrawn.map(|w| w.reason).as_deref(), Some("选项有误，重新发起"));
    let again = s.withdraw_vote(&juweihui, later.id, "再撤", now).await.unwrap_err();
    assert!(matches!(again, StoreError::Invalid(ref e) if e.field == "phase"));
    assert_eq!(s.cast_ballot(later.id, voter(0), &[0], now + Duration::hours(2)).await.unwrap(), Cast::NotOpen);
    let audited: String =
        sqlx::query("SELECT detail FROM audit_log WHERE action = 'vote_withdrawn' AND subject_id = $1")
            .bind(later.id.to_string())
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get("detail");
    assert!(audited.contains("选项有误，重新发起"), "{audited}");
}

async fn paper_counts_agree_before_results_are_published(db: TestDb) {
    let s = &*db.store;
    grids(s).await;
    let now = Utc::now();
    let worker = staff_account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let juweihui = staff_account(s, "juweihui", Role::Supervisor, &format!("region:{COMMUNITY}")).await;
    let second = staff_account(s, "second", Role::Supervisor, &format!("region:{COMMUNITY}")).await;
    let linked = voters(s, &worker).await;
    s.add_households(GRID, &["7号楼1".into(), "7号楼2".into(), "7号楼3".into()]).await.unwrap();
    let paper: Vec<_> =
        s.households(GRID).await.unwrap().into_iter().filter(|h| h.label.starts_with("7号楼")).collect();
    let vote = s.create_vote(&juweihui, &new_vote(VoteKind::Single, Eligibility::Households, now), now).await.unwrap();
    let online = Voter::Household(linked[0].1);
    assert_eq!(s.cast_ballot(vote.id, online, &[0], now).await.unwrap(), Cast::Counted);
    assert_eq!(s.mark_paper_voter(&worker, vote.id, online, now).await.unwrap(), Cast::AlreadyVoted);
    for h in &paper {
        assert_eq!(s.mark_paper_voter(&worker, vote.id, Voter::Household(h.id), now).await.unwrap(), Cast::Counted);
    }
    assert_eq!(s.cast_ballot(vote.id, Voter::Household(paper[0].id), &[1], now).await.unwrap(), Cast::AlreadyVoted);

    let too_soon = s.publish_results(&juweihui, vote.id, now).await.unwrap_err();
    assert!(matches!(too_soon, StoreError::Invalid(ref e) if e.field == "vote"), "{too_soon:?}");
    let closed = vote.closes_at + Duration::minutes(1);
    let count = |counts: &[u32]| PaperCount { ballots: 3, invalid: 1, counts: counts.to_vec() };
    let over = PaperCount { ballots: 4, invalid: 0, counts: vec![4, 0, 0] };
    let refused = s.enter_paper_count(&juweihui, vote.id, &over, closed).await.unwrap_err();
    assert!(matches!(refused, StoreError::Invalid(ref e) if e.field == "ballots"), "more ballots than paper voters");
    s.enter_paper_count(&juweihui, vote.id, &count(&[1, 1, 0]), closed).await.unwrap();
    let unagreed = s.publish_results(&juweihui, vote.id, closed).await.unwrap_err();
    assert!(matches!(unagreed, StoreError::Invalid(ref e) if e.field == "vote"), "one entry is not enough");
    // The second entry differs; the first is corrected, and then they agree.
    assert_eq!(s.enter_paper_count(&second, vote.id, &count(&[2, 0, 0]), closed).await.unwrap().len(), 2);
    s.enter_paper_count(&juweihui, vote.id, &count(&[2, 0, 0]), closed).await.unwrap();
    let locked = s.enter_paper_count(&second, vote.id, &count(&[1, 1, 0]), closed).await.unwrap_err();
    assert!(matches!(locked, StoreError::Invalid(ref e) if e.field == "vote"), "{locked:?}");

    // On PostgreSQL a ballot and its voter's roll entry were written by one transaction and
    // share its id (xmin); publication writes both afresh in key order, in its own.
    let xmins = |table: &'static str| {
        let (url, vote) = (db.url.clone(), vote.id.to_string());
        async move {
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            let sql =
                format!("SELECT DISTINCT CAST(CAST(xmin AS TEXT) AS BIGINT) AS x FROM {table} WHERE vote_id = $1");
            let rows = sqlx::query(&sql).bind(vote).fetch_all(&mut conn).await.unwrap();
            rows.iter().map(|r| r.get::<i64, _>("x")).collect::<std::collections::BTreeSet<i64>>()
        }
    };
    let postgres = s.backend() == grassroots_store::Backend::Postgres;
    if postgres {
        let (box_before, roll_before) = (xmins("ballots").await, xmins("vote_voters").await);
        assert!(box_before.is_subset(&roll_before), "each ballot shares its transaction with a roll entry");
    }
    let published = s.publish_results(&juweihui, vote.id, closed).await.unwrap();
    if postgres {
        let (box_after, roll_after) = (xmins("ballots").await, xmins("vote_voters").await);
        assert_eq!((box_after.len(), &box_after), (1, &roll_after), "one transaction wrote them all");
    }
    assert_eq!(published.phase(closed), Phase::Published);
    assert_eq!(published.results, [3, 0, 0]);
    assert_eq!((published.voters, published.paper_voters, published.eligible), (4, 3, Some(5)));
    // The published result is what the stored ballots and the agreed count add up to.
    let entries = s.paper_entries(vote.id).await.unwrap();
    let ballots = s.ballots(vote.id).await.unwrap();
    let again = tally(3, ballots.iter().map(Vec::as_slice), Some(&entries[0].count));
    assert_eq!(again.counts, published.results);
    let twice = s.publish_results(&second, vote.id, closed).await.unwrap_err();
    assert!(matches!(twice, StoreError::Invalid(ref e) if e.field == "vote"));

    let listed = s.votes(&PlaceFilter::Of(vec![COMMUNITY.into()]), 10).await.unwrap();
    assert_eq!(listed.iter().map(|v| v.id).collect::<Vec<_>>(), [vote.id]);
    assert!(s.votes(&PlaceFilter::Within(vec!["110101002".into()]), 10).await.unwrap().is_empty());
    assert_eq!(s.votes(&PlaceFilter::Everywhere, 10).await.unwrap().len(), 1);
}

async fn topics_wait_for_moderation_and_supports_put_a_proposal_on_the_agenda(db: TestDb) {
    let s = &*db.store;
    grids(s).await;
    let now = Utc::now();
    let worker = staff_account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let elsewhere = staff_account(s, "other", Role::GridWorker, "grid:110101001002001").await;
    let juweihui = staff_account(s, "juweihui", Role::Supervisor, &format!("region:{COMMUNITY}")).await;
    let residents: Vec<Resident> = {
        let mut made = Vec::new();
        for n in 0..4 {
            made.push(resident(s, &format!("1380013802{n}")).await);
        }
        made
    };
    let raised = NewTopic {
        region_code: COMMUNITY.into(),
        title: "小区东门夜间照明不足".into(),
        body: "东门到3号楼的路晚上很黑".into(),
        origin: Origin::Resident,
        author: Author::Resident(residents[0].id),
        case_ids: Vec::new(),
    };
    let topic = s.raise_topic(&raised, &Actor::Resident, now).await.unwrap();
    assert_eq!(topic.state, TopicState::Pending, "a resident's topic waits");
    let listed = s.topics(&PlaceFilter::Of(vec![COMMUNITY.into()]), &[TopicState::Published], 10).await.unwrap();
    assert!(listed.is_empty(), "not published before moderation");
    let early = s.add_proposal(topic.id, Author::Resident(residents[1].id), "加装路灯", "两盏", now).await.unwrap_err();
    assert!(matches!(early, StoreError::Invalid(ref e) if e.field == "topic"), "{early:?}");
    assert!(matches!(
        s.moderate_topic(&elsewhere, topic.id, &Moderation::Publish, now).await,
        Err(StoreError::NotFound)
    ));
    let topic = s.moderate_topic(&worker, topic.id, &Moderation::Publish, now).await.unwrap();
    assert_eq!(topic.state, TopicState::Published);

    s.set_support_threshold(&juweihui, COMMUNITY, 3, now).await.unwrap();
    assert!(matches!(s.set_support_threshold(&worker, COMMUNITY, 3, now).await, Err(StoreError::NotFound)));
    assert_eq!(s.support_threshold(COMMUNITY).await.unwrap(), 3);
    assert_eq!(s.support_threshold("110101001002").await.unwrap(), DEFAULT_THRESHOLD);
    let proposal = s
        .add_proposal(topic.id, Author::Resident(residents[1].id), "加装两盏路灯", "在东门和3号楼之间", now)
        .await
        .unwrap();
    // Eight supports at once by one resident count once.
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (store, who) = (db.store.clone(), residents[0].id);
            tokio::spawn(async move { store.support_proposal(proposal.id, who, now).await.unwrap() })
        })
        .collect();
    let answers = futures_join(tries).await;
    assert_eq!(answers.iter().filter(|a| matches!(a, Support::Counted { .. })).count(), 1, "{answers:?}");
    assert_eq!(
        s.support_proposal(proposal.id, residents[2].id, now).await.unwrap(),
        Support::Counted { supports: 2, on_agenda: false }
    );
    assert_eq!(
        s.support_proposal(proposal.id, residents[3].id, now).await.unwrap(),
        Support::Counted { supports: 3, on_agenda: true }
    );
    assert_eq!(s.supported_by(residents[2].id, &[proposal.id]).await.unwrap(), [proposal.id]);
    assert!(s.proposals(topic.id).await.unwrap()[0].on_agenda_at.is_some());

    let comment =
        s.add_comment(topic.id, Some(proposal.id), Author::Resident(residents[2].id), "赞成", now).await.unwrap();
    s.add_comment(topic.id, None, Author::Staff(juweihui.id().unwrap()), "居委会已联系物业", now).await.unwrap();
    let hidden = s.hide_comment(&worker, comment.id, "与议题无关", now).await.unwrap();
    assert_eq!(hidden.hidden_reason.as_deref(), Some("与议题无关"));
    assert!(matches!(s.hide_proposal(&elsewhere, proposal.id, "x", now).await, Err(StoreError::NotFound)));
    let topic = s.topic(topic.id).await.unwrap().unwrap();
    assert_eq!((topic.proposals, topic.comments), (1, 1), "hidden comments are not counted");
    let hidden_topic =
        s.moderate_topic(&worker, topic.id, &Moderation::Hide { reason: "重复议题".into() }, now).await.unwrap();
    assert_eq!((hidden_topic.state, hidden_topic.hidden_reason.as_deref()), (TopicState::Hidden, Some("重复议题")));
    assert_eq!(s.topics_by(Author::Resident(residents[0].id), 10).await.unwrap().len(), 1);
    assert_eq!(s.proposals_by(Author::Resident(residents[1].id), 10).await.unwrap().len(), 1);

    // A case raised into a topic: linked both ways.
    let world = Fixture::new(s).await;
    let case = world.report(s, "东门路灯不亮", None).await;
    let from_cases = NewTopic {
        origin: Origin::Cases,
        author: Author::Staff(juweihui.id().unwrap()),
        case_ids: vec![case.id],
        ..raised
    };
    let linked = s.raise_topic(&from_cases, &juweihui, now).await.unwrap();
    assert_eq!((linked.state, linked.case_ids.as_slice()), (TopicState::Published, &[case.id][..]));
    assert_eq!(s.topics_of_case(case.id).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), [linked.id]);

    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let audited: Vec<String> = sqlx::query(
        "SELECT action FROM audit_log WHERE action IN ('topic_raised', 'topic_published', 'topic_hidden', \
         'comment_hidden', 'support_threshold_set') ORDER BY action",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("action"))
    .collect();
    assert_eq!(
        audited,
        ["comment_hidden", "support_threshold_set", "topic_hidden", "topic_published", "topic_raised", "topic_raised"]
    );
}

async fn a_meeting_s_decisions_and_a_vote_s_result_become_tasks_followed_to_completion(db: TestDb) {
    let s = &*db.store;
    grids(s).await;
    let now = Utc::now();
    let worker = staff_account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let juweihui = staff_account(s, "juweihui", Role::Supervisor, &format!("region:{COMMUNITY}")).await;
    let topic = NewTopic {
        region_code: COMMUNITY.into(),
        title: "电动自行车充电".into(),
        body: "楼道飞线充电".into(),
        origin: Origin::Staff,
        author: Author::Staff(juweihui.id().unwrap()),
        case_ids: Vec::new(),
    };
    let topic = s.raise_topic(&topic, &juweihui, now).await.unwrap();
    let meeting = NewMeeting {
        region_code: COMMUNITY.into(),
        title: "十二月居民议事会".into(),
        place: "社区居委会二楼会议室".into(),
        starts_at: now + Duration::days(3),
        items: vec![
            AgendaItem { topic_id: Some(topic.id), title: topic.title.clone() },
            AgendaItem { topic_id: None, title: "其他事项".into() },
        ],
        participants: vec![
            Participant { kind: ParticipantKind::Representative, label: "3号楼居民代表".into(), attended: false },
            Participant { kind: ParticipantKind::Property, label: "物业公司".into(), attended: false },
        ],
    };
    assert!(
        matches!(s.plan_meeting(&worker, &meeting, now).await, Err(StoreError::NotFound)),
        "a grid worker holds no community meeting"
    );
    let planned = s.plan_meeting(&juweihui, &meeting, now).await.unwrap();
    assert_eq!((planned.state, planned.items.len(), planned.participants.len()), (MeetingState::Planned, 2, 2));

    let decision = |title: &str, days: i64| NewTask {
        title: title.into(),
        owner_kind: OwnerKind::Organisation,
        owner: "物业公司".into(),
        owner_unit: None,
        deadline: now + Duration::days(days),
        milestones: vec![("选址".into(), now + Duration::days(days / 2))],
    };
    let minutes = Minutes {
        attended: vec![0, 1],
        minutes: "议定在车棚设集中充电点。".into(),
        decisions: vec![decision("建设集中充电点", 30)],
    };
    let held = s.record_minutes(&worker, planned.id, &minutes, now).await.unwrap();
    assert_eq!(held.state, MeetingState::Held);
    assert!(held.participants.iter().all(|p| p.attended));
    let again = s.record_minutes(&juweihui, planned.id, &minutes, now).await.unwrap_err();
    assert!(matches!(again, StoreError::Invalid(ref e) if e.field == "meeting"), "{again:?}");
    let tasks = s.tasks_of(planned.id).await.unwrap();
    assert_eq!(tasks.len(), 1, "each decision is a task");
    let task = &tasks[0];

    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3];
    let update = |percent: u8, photo: bool| NewUpdate {
        note: "已选定车棚东侧".into(),
        percent,
        photo: photo.then(|| NewAttachment { media_type: "image/png".into(), bytes: png.clone() }),
    };
    let reported = s.report_progress(&worker, task.id, &update(40, true), now).await.unwrap();
    assert_eq!((reported.percent, reported.updates.len()), (40, 1));
    let back = s.report_progress(&worker, task.id, &update(30, false), now).await.unwrap_err();
    assert!(matches!(back, StoreError::Invalid(ref e) if e.field == "percent"), "progress does not go back");
    let digest = reported.updates[0].photo.clone().unwrap().0;
    s.sweep_attachment_files(std::time::Duration::ZERO).await.unwrap();
    assert_eq!(s.task_photo(&digest).await.unwrap(), Some(("image/png".into(), png.clone())), "kept by the sweep");
    let done = s.complete_milestone(&worker, task.id, 0, now).await.unwrap();
    assert!(done.milestones[0].done_at.is_some());
    assert!(s.complete_milestone(&worker, task.id, 0, now).await.is_err(), "once");
    let finished = s.report_progress(&juweihui, task.id, &update(100, false), now).await.unwrap();
    assert_eq!(finished.done_at.map(|t| t.timestamp_millis()), Some(now.timestamp_millis()));

    // A vote's result: only once published; overdue while not done past its deadline.
    let vote = NewVote {
        opens_at: now - Duration::days(10),
        closes_at: now - Duration::days(3),
        ..new_vote(VoteKind::Single, Eligibility::Households, now)
    };
    let vote = s.create_vote(&juweihui, &vote, now - Duration::days(11)).await.unwrap();
    let early = s.add_vote_task(&juweihui, vote.id, &decision("加装电梯", 60), now).await.unwrap_err();
    assert!(matches!(early, StoreError::Invalid(ref e) if e.field == "vote"));
    s.publish_results(&juweihui, vote.id, now).await.unwrap();
    let lift = NewTask { deadline: now - Duration::days(1), milestones: Vec::new(), ..decision("加装电梯", 2) };
    let late = s.add_vote_task(&juweihui, vote.id, &lift, now - Duration::days(5)).await.unwrap();
    // A task a unit owns: its handlers report progress and find it in their list; another
    // unit's handlers do not reach it.
    let handler = staff_account(s, "handler-a", Role::Handler, &format!("unit:{UNIT_A}")).await;
    let stranger = staff_account(s, "handler-b", Role::Handler, &format!("unit:{UNIT_B}")).await;
    let owned = NewTask {
        owner_kind: OwnerKind::Unit,
        owner: "单位甲".into(),
        owner_unit: Some(UNIT_A.into()),
        ..decision("改造车棚", 20)
    };
    let owned = s.add_vote_task(&juweihui, vote.id, &owned, now).await.unwrap();
    assert!(matches!(s.report_progress(&stranger, owned.id, &update(10, false), now).await, Err(StoreError::NotFound)));
    assert!(matches!(s.complete_milestone(&stranger, owned.id, 0, now).await, Err(StoreError::NotFound)));
    assert_eq!(s.tasks_owned_by(UNIT_A, 10).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), [owned.id]);
    assert!(s.tasks_owned_by(UNIT_B, 10).await.unwrap().is_empty());
    s.complete_milestone(&handler, owned.id, 0, now).await.unwrap();
    let by_unit = s.report_progress(&handler, owned.id, &update(100, false), now).await.unwrap();
    assert_eq!((by_unit.percent, by_unit.owner_unit.as_deref()), (100, Some(UNIT_A)));
    assert!(s.tasks_owned_by(UNIT_A, 10).await.unwrap().is_empty(), "done: off the unit's list");

    let overdue = s.overdue_tasks(&PlaceFilter::Within(vec![COMMUNITY.into()]), now, 10).await.unwrap();
    assert_eq!(overdue.iter().map(|t| t.id).collect::<Vec<_>>(), [late.id], "the finished task is not overdue");
    assert_eq!(s.tasks(&PlaceFilter::Everywhere, 10).await.unwrap().len(), 3);

    // The dashboard's count: one topic, one council, one vote (no voters), three decisions of
    // which two were done on time and one is overdue; nothing in another community.
    let figures =
        s.participation_figures(COMMUNITY, now - Duration::days(30), now + Duration::days(1), now).await.unwrap();
    assert_eq!(
        (
            figures.topics,
            figures.councils,
            figures.votes,
            figures.decisions,
            figures.done,
            figures.done_on_time,
            figures.overdue
        ),
        (1, 1, 1, 3, 2, 2, 1),
        "{figures:?}"
    );
    assert_eq!(figures.eligible, s.roll_size(COMMUNITY, Eligibility::Households).await.unwrap());
    let elsewhere =
        s.participation_figures("110101001002", now - Duration::days(30), now + Duration::days(1), now).await.unwrap();
    assert_eq!(elsewhere, Default::default());
}

async fn a_survey_takes_one_response_per_resident_and_anonymous_answers_name_nobody(db: TestDb) {
    let s = &*db.store;
    grids(s).await;
    let now = Utc::now();
    let worker = staff_account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let juweihui = staff_account(s, "juweihui", Role::Supervisor, &format!("region:{COMMUNITY}")).await;
    let linked = voters(s, &worker).await;
    let survey = |anonymity| NewSurvey {
        region_code: COMMUNITY.into(),
        title: "社区养老服务需求调查".into(),
        intro: "了解大家对养老服务的需要".into(),
        purpose: Purpose::Needs,
        anonymity,
        questions: parse_questions("单选|家中是否有80岁以上老人|有/没有\n评分|对现有服务打分\n文字|其他建议").unwrap(),
        opens_at: now,
        closes_at: now + Duration::days(7),
        task_id: None,
        unit_cases: None,
    };
    assert!(matches!(s.create_survey(&worker, &survey(Anonymity::Anonymous), now).await, Err(StoreError::NotFound)));
    let anonymous = s.create_survey(&juweihui, &survey(Anonymity::Anonymous), now).await.unwrap();
    let answers =
        vec![Answer::Choice { chosen: vec![0] }, Answer::Scale { value: 4 }, Answer::Text { text: "多装座椅".into() }];
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (store, who, answers) = (db.store.clone(), linked[0].0.id, answers.clone());
            tokio::spawn(async move { store.respond(anonymous.id, who, &answers, now).await.unwrap() })
        })
        .collect();
    let answered = futures_join(tries).await;
    assert_eq!(answered.iter().filter(|r| **r == Responded::Counted).count(), 1, "{answered:?}");
    assert_eq!(s.respond(anonymous.id, linked[2].0.id, &answers, now).await.unwrap(), Responded::Counted);
    let bad = s.respond(anonymous.id, linked[1].0.id, &answers[..2], now).await.unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(ref e) if e.field == "answers"), "{bad:?}");
    assert_eq!(
        s.respond(anonymous.id, linked[1].0.id, &answers, anonymous.closes_at).await.unwrap(),
        Responded::NotOpen
    );
    let responses = s.responses(anonymous.id).await.unwrap();
    assert_eq!(responses.len(), 2);
    assert!(responses.iter().all(|r| r.resident_id.is_none()), "an anonymous response names nobody");
    assert!(s.has_responded(anonymous.id, linked[0].0.id).await.unwrap());
    assert_eq!(s.survey(anonymous.id).await.unwrap().unwrap().responses, 2);

    let identified = s.create_survey(&juweihui, &survey(Anonymity::Identified), now).await.unwrap();
    s.respond(identified.id, linked[0].0.id, &answers, now).await.unwrap();
    assert_eq!(s.responses(identified.id).await.unwrap()[0].resident_id, Some(linked[0].0.id));
    assert_eq!(s.surveys(&PlaceFilter::Of(vec![COMMUNITY.into()]), 10).await.unwrap().len(), 2);

    let cases = UnitCases { unit: UNIT_A.into(), from: now - Duration::days(30), to: now };
    assert!(
        !s.reported_to_unit(linked[0].0.id, COMMUNITY, &cases).await.unwrap(),
        "no case of theirs closed by the unit"
    );
    // A case they reported, which the unit handled and closed in the period, makes them one of
    // those a 问效 survey of the unit asks; one closed after the period does not.
    let world = Fixture::new(s).await;
    let reported = world.report(s, "楼道灯不亮", Some("13800138011")).await;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let close = |case: uuid::Uuid, unit: &'static str, at: chrono::DateTime<Utc>| {
        sqlx::query("UPDATE cases SET lead_unit = $1, closed_at = $2 WHERE id = $3")
            .bind(unit)
            .bind(at.timestamp_millis())
            .bind(case.to_string())
    };
    close(reported.id, UNIT_A, now + Duration::days(1)).execute(&mut conn).await.unwrap();
    assert!(!s.reported_to_unit(linked[0].0.id, COMMUNITY, &cases).await.unwrap(), "closed after the period");
    close(reported.id, UNIT_A, now - Duration::days(2)).execute(&mut conn).await.unwrap();
    assert!(
        s.reported_to_unit(linked[0].0.id, COMMUNITY, &cases).await.unwrap(),
        "their case, closed by the unit in the period"
    );
    assert!(!s.reported_to_unit(linked[2].0.id, COMMUNITY, &cases).await.unwrap(), "a neighbour reported nothing");
    let other = UnitCases { unit: UNIT_B.into(), ..cases.clone() };
    assert!(!s.reported_to_unit(linked[0].0.id, COMMUNITY, &other).await.unwrap(), "another unit's cases");
    assert!(!s.reported_to_unit(linked[0].0.id, "110101001002", &cases).await.unwrap(), "a case of another place");

    // The survey texts each reporter of the unit's closed cases who asked for texts, once however
    // many of their cases it closed, when it opens: not one who asked for none, not another
    // unit's reporter.
    sqlx::query("UPDATE cases SET notify_reporter = 1 WHERE id = $1")
        .bind(reported.id.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    let again = world.report_notified(s, "楼道灯又不亮了", "13800138011").await;
    let silent = world.report(s, "井盖松动", Some("13800138099")).await;
    let elsewhere = world.report_notified(s, "路面塌陷", "13800138098").await;
    let next_door = world.report_notified(s, "路灯不亮", "13800138097").await;
    for (case, unit) in [(again.id, UNIT_A), (silent.id, UNIT_A), (elsewhere.id, UNIT_B), (next_door.id, UNIT_A)] {
        close(case, unit, now - Duration::days(1)).execute(&mut conn).await.unwrap();
    }
    sqlx::query("UPDATE cases SET community_code = '110101001002', grid_code = NULL WHERE id = $1")
        .bind(next_door.id.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    let opens = now + Duration::hours(1);
    let effect = NewSurvey {
        purpose: Purpose::Effect,
        unit_cases: Some(cases.clone()),
        opens_at: opens,
        ..survey(Anonymity::Identified)
    };
    let effect = s.create_survey(&juweihui, &effect, now).await.unwrap();
    assert_eq!(effect.invited, 1);
    let invites = |due: Vec<DueMessage>| -> Vec<_> {
        due.into_iter()
            .filter(|m| m.notice == CaseNotice::SurveyInvite)
            .map(|m| (m.about, m.phone, m.recipient, m.lead_unit))
            .collect()
    };
    assert!(invites(s.due_messages(now, 100).await.unwrap()).is_empty(), "not before the survey opens");
    assert_eq!(
        invites(s.due_messages(opens, 100).await.unwrap()),
        [(effect.id, Some("13800138011".to_string()), Recipient::Reporter, Some(UNIT_A.to_string()))]
    );
    // Withdrawn before it opens: its invitations are not sent, and nobody answers it.
    let withdrawn = s.withdraw_survey(&juweihui, effect.id, "回访对象有误", now).await.unwrap();
    assert_eq!(withdrawn.phase(opens), Phase::Withdrawn);
    assert!(invites(s.due_messages(opens, 100).await.unwrap()).is_empty(), "the invitations went with it");
    assert_eq!(s.respond(effect.id, linked[0].0.id, &answers[..1], opens).await.unwrap(), Responded::NotOpen);
    assert_eq!(withdrawn.invited, 0);
    let open = s.withdraw_survey(&juweihui, identified.id, "误发", now).await.unwrap_err();
    assert!(matches!(open, StoreError::Invalid(ref e) if e.field == "phase"), "an open survey runs its course");
    // Held again, it invites the reporter; a third survey within 30 days does not text them again.
    let effect_again =
        NewSurvey { purpose: Purpose::Effect, unit_cases: Some(cases.clone()), ..survey(Anonymity::Identified) };
    assert_eq!(s.create_survey(&juweihui, &effect_again, now).await.unwrap().invited, 1);
    assert_eq!(s.create_survey(&juweihui, &effect_again, now).await.unwrap().invited, 0, "invited lately");
}

conformance!(
    a_survey_takes_one_response_per_resident_and_anonymous_answers_name_nobody,
    a_meeting_s_decisions_and_a_vote_s_result_become_tasks_followed_to_completion,
    topics_wait_for_moderation_and_supports_put_a_proposal_on_the_agenda,
    a_grid_worker_confirms_or_refuses_what_residents_ask,
    one_ballot_per_voter_and_none_names_its_voter,
    paper_counts_agree_before_results_are_published,
);
