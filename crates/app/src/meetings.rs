//! 议事会: staff announce a meeting of one of their places (agenda from its topics, participants
//! by role), then record it as held: attendance, minutes and decisions, each a task to carry
//! out. Called alike by the JSON API and the pages.

use chrono::Utc;
use grassroots_domain::deliberation::{public_text, TITLE_CHARS};
use grassroots_domain::meetings::{
    check_decisions, check_sizes, check_start, ParticipantKind, MINUTES_CHARS, PLACE_CHARS,
};
use grassroots_store::meetings::{AgendaItem, Meeting, Minutes, NewMeeting, Participant};
use grassroots_store::{PlaceFilter, User};
use uuid::Uuid;

use crate::accountability::{decision, DecisionForm};
use crate::fields::moment;
use crate::{deliberation, AppError, Platform, Result};

const LISTED: i64 = 100;
const LABEL_CHARS: usize = 40;

use crate::may_run_participation as may_run;

/// A meeting as staff announce it.
#[derive(Debug, Clone, Default)]
pub struct MeetingForm {
    pub region: String,
    pub title: String,
    pub place: String,
    /// RFC 3339 or Beijing time (`2026-12-10T19:00`).
    pub starts_at: String,
    /// Topics of the place on the agenda, by id.
    pub topics: Vec<Uuid>,
    /// Items of the meeting's own, one each.
    pub other_items: Vec<String>,
    /// (kind, label): 居民代表 / 3号楼居民代表, never a person's name.
    pub participants: Vec<(String, String)>,
}

/// Announces a meeting in one of the staff member's places.
pub async fn plan(platform: &Platform, staff: &User, form: MeetingForm) -> Result<Meeting> {
    may_run(staff)?;
    let now = Utc::now();
    let region = deliberation::space(platform, &form.region)?;
    if !staff.scope.covers_place(&region) {
        return Err(AppError::invalid("region", "该地不在您的范围内", "this place is outside your scope"));
    }
    let starts_at = moment("starts_at", form.starts_at.trim())?;
    check_start(starts_at, now)?;
    let mut items = Vec::new();
    for id in &form.topics {
        let topic = platform
            .store
            .topic(*id)
            .await?
            .ok_or_else(|| AppError::invalid("items", "议程中的议题不存在", "an agenda topic does not exist"))?;
        items.push(AgendaItem { topic_id: Some(topic.id), title: topic.title });
    }
    for item in form.other_items.iter().filter(|i| !i.trim().is_empty()) {
        items.push(AgendaItem { topic_id: None, title: public_text("items", item, TITLE_CHARS)? });
    }
    let participants = form
        .participants
        .iter()
        .filter(|(_, label)| !label.trim().is_empty())
        .map(|(kind, label)| {
            Ok(Participant {
                kind: ParticipantKind::parse_field("participants", kind)?,
                label: public_text("participants", label, LABEL_CHARS)?,
                attended: false,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    check_sizes(items.len(), participants.len())?;
    let meeting = NewMeeting {
        region_code: region,
        title: public_text("title", &form.title, TITLE_CHARS)?,
        place: public_text("place", &form.place, PLACE_CHARS)?,
        starts_at,
        items,
        participants,
    };
    Ok(platform.store.plan_meeting(&staff.actor(), &meeting, now).await?)
}

/// Every meeting, newest first: notices and minutes are public (公示).
pub async fn public(platform: &Platform) -> Result<Vec<Meeting>> {
    Ok(platform.store.meetings(&PlaceFilter::Everywhere, LISTED).await?)
}

pub async fn get(platform: &Platform, id: Uuid) -> Result<Meeting> {
    platform.store.meeting(id).await?.ok_or(AppError::NotFound)
}

/// A meeting held, as staff record it.
#[derive(Debug, Clone, Default)]
pub struct MinutesForm {
    /// Positions of the participants who came.
    pub attended: Vec<usize>,
    pub minutes: String,
    pub decisions: Vec<DecisionForm>,
}

/// Records a meeting as held, with its decisions as tasks.
pub async fn record(platform: &Platform, staff: &User, id: Uuid, form: MinutesForm) -> Result<Meeting> {
    may_run(staff)?;
    let now = Utc::now();
    let minutes = public_text("minutes", &form.minutes, MINUTES_CHARS)?;
    check_decisions(form.decisions.len())?;
    let decisions = form
        .decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            // Named by its title where it has one: a form may leave blank rows between decisions.
            let title: String = d.title.trim().chars().take(20).collect();
            let (zh, en) = match title.is_empty() {
                true => (format!("第{}项决议", i + 1), format!("decision {}", i + 1)),
                false => (format!("决议“{title}”"), format!("decision “{title}”")),
            };
            decision(platform, d, now).map_err(|e| e.of_item(&zh, &en))
        })
        .collect::<Result<Vec<_>>>()?;
    let minutes = Minutes { attended: form.attended, minutes, decisions };
    Ok(platform.store.record_minutes(&staff.actor(), id, &minutes, now).await?)
}
