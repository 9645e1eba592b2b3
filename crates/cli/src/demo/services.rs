//! The demo's 为民服务中心: the shipped catalogue of 26 items, and residents' applications to the
//! first street's centre in every state — awaiting acceptance (one overdue), asked for more
//! materials, accepted, approved, done, refused, withdrawn — and bookings in the coming days.
//! Made only into a store without a catalogue.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::services::{builtin_catalogue, slots, ApplicationMove, ApplicationState, SLOT_CAPACITY};
use grassroots_domain::{Role, WorkCalendar};
use grassroots_store::services::{ApplicantData, ApplicationActor, ApplicationStep, NewApplication};
use grassroots_store::{GridRow, NewAttachment, Store, User};

use super::participation::resident;

/// A photo the demo's applications carry: a PNG's header, as a phone's photo would begin.
const PHOTO: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];

/// (item, applicant, days ago, the moves made after submission with their notes)
type Story = (&'static str, &'static str, i64, &'static [(ApplicationMove, Option<&'static str>)]);

const STORIES: [Story; 8] = [
    ("JD-007", "王淑兰", 1, &[]),
    ("JD-010", "刘建军", 9, &[]),
    ("JD-001", "陈桂芝", 6, &[(ApplicationMove::AskForMore, Some("请补充近6个月家庭成员收入证明和银行流水"))]),
    ("JD-006", "赵志刚", 8, &[(ApplicationMove::Accept, None)]),
    ("JD-008", "孙秀英", 15, &[(ApplicationMove::Accept, None), (ApplicationMove::Approve, None)]),
    (
        "JD-016",
        "周敏",
        20,
        &[(ApplicationMove::Accept, None), (ApplicationMove::Approve, None), (ApplicationMove::Complete, None)],
    ),
    (
        "JD-019",
        "吴海涛",
        25,
        &[(ApplicationMove::Accept, None), (ApplicationMove::Refuse, Some("家庭人均收入超过公租房申请标准"))],
    ),
    ("JD-011", "郑丽", 4, &[(ApplicationMove::Withdraw, None)]),
];

pub async fn load(
    store: &dyn Store,
    users: &[User],
    grids: &[GridRow],
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.service_items().await?.is_empty() {
        return Ok(out);
    }
    let catalogue = builtin_catalogue();
    store.upsert_service_items(&catalogue, now).await?;
    let operator = users.iter().find(|u| u.role == Role::Operator).context("the demo's operator")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let street = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?.code[..9]
        .to_string();
    for (n, (item, name, days, moves)) in (1..).zip(STORIES) {
        let who = resident(store, &format!("1370000{n:04}"), now - Duration::days(days + 1)).await?;
        let at = now - Duration::days(days);
        let new = NewApplication {
            street_code: street.clone(),
            item_code: item.to_string(),
            resident_id: who.id,
            applicant: ApplicantData { name: name.to_string(), phone: None },
            note: None,
            files: vec![NewAttachment { media_type: "image/png".into(), bytes: PHOTO.to_vec() }],
            due_at: calendar.add_working_days(at, grassroots_domain::services::ACCEPT_WITHIN_DAYS),
        };
        let id = store.submit_application(&new, at).await?.id;
        let limit = catalogue.iter().find(|i| i.code == item).map_or(15, |i| i.time_limit_days);
        let mut state = ApplicationState::Received;
        for (hours, (kind, note)) in (1..).zip(moves.iter()) {
            let when = at + Duration::hours(hours * 20);
            let due_at = match kind.clock_after() {
                grassroots_domain::services::Clock::Acceptance => Some(calendar.add_working_days(when, 5)),
                grassroots_domain::services::Clock::Item => Some(calendar.add_working_days(when, limit)),
                grassroots_domain::services::Clock::Stopped => None,
            };
            let step = ApplicationStep { kind: *kind, note: note.map(str::to_string), files: Vec::new(), due_at };
            let by = match kind.made_by() {
                grassroots_domain::services::Applicant::Centre => ApplicationActor::Staff(&operator),
                grassroots_domain::services::Applicant::Resident => ApplicationActor::Resident(who.id),
            };
            state = store.move_application(by, id, state, &step, when).await?.state;
        }
    }
    // Bookings in the coming working days.
    let today = beijing_day(now);
    let days: Vec<_> =
        (1..10).map(|d| today + Duration::days(d)).filter(|d| calendar.is_working_day(*d)).take(2).collect();
    let mut booked = 0;
    for (n, day) in (1..).zip(days.iter().flat_map(|d| std::iter::repeat_n(*d, 2))) {
        let who = resident(store, &format!("1370000{:04}", 100 + n), now - Duration::days(1)).await?;
        let slot = if n <= 2 { slots()[0] } else { slots()[5] };
        store.book_appointment(who.id, &street, day, slot, Some("JD-007"), SLOT_CAPACITY, now).await?;
        booked += 1;
    }
    writeln!(
        out,
        "为民服务: {} service items, {} applications to {street}'s centre in every state, {booked} bookings",
        catalogue.len(),
        STORIES.len()
    )?;
    Ok(out)
}
