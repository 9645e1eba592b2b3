//! 议事: topics raised by residents of a place (waiting for moderation), by staff, or from
//! cases; moderation; proposals, supports and comments. Called alike by the JSON API and the
//! pages.

use chrono::Utc;
use grassroots_domain::deliberation::{
    check_threshold, hiding_reason, public_text, Moderation, Origin, TopicState, BODY_CHARS, COMMENT_CHARS, TITLE_CHARS,
};
use grassroots_domain::{Capability, RegionCode, RegionLevel, Scope};
use grassroots_store::deliberation::{Author, Comment, NewTopic, Proposal, Support, Topic};
use grassroots_store::residents::Resident;
use grassroots_store::{PlaceFilter, User};
use uuid::Uuid;

use crate::{households, AppError, Platform, Result, Text};

const LISTED: i64 = 100;
/// The most cases one topic is raised from.
const MOST_CASES: usize = 50;

/// A topic as written on a form.
#[derive(Debug, Clone, Default)]
pub struct TopicForm {
    /// The street, community or grid it concerns.
    pub region: String,
    pub title: String,
    pub body: String,
}

use crate::may_run_participation as may_run;

/// A space of participation: a street, community or grid the platform has places for.
pub(crate) fn space(platform: &Platform, region: &str) -> Result<String> {
    let region = region.trim();
    match RegionCode::parse(region) {
        Ok(code)
            if matches!(code.level(), RegionLevel::Township | RegionLevel::Community | RegionLevel::Grid)
                && platform.atlas().outline(region).is_some() =>
        {
            Ok(region.to_string())
        }
        _ => Err(AppError::invalid("region", "请选择街道、社区或网格", "choose a street, community or grid")),
    }
}

fn texts(form: &TopicForm) -> Result<(String, String)> {
    Ok((public_text("title", &form.title, TITLE_CHARS)?, public_text("body", &form.body, BODY_CHARS)?))
}

/// The places a resident takes part in: those of their confirmed household.
async fn residents_places(platform: &Platform, resident: &Resident) -> Result<Vec<String>> {
    match households::confirmed(platform, resident).await? {
        Some(household) => Ok(households::places_of(&household)),
        None => Err(AppError::Forbidden(Text::new(
            "请先绑定您的住户，经网格员确认后才能参与议事",
            "link your household first: you take part once a grid worker confirms it",
        ))),
    }
}

/// A resident of the place takes part in its topic.
async fn may_take_part(platform: &Platform, resident: &Resident, topic: &Topic) -> Result<()> {
    let places = residents_places(platform, resident).await?;
    match places.iter().any(|p| p.starts_with(&topic.region_code)) {
        true => Ok(()),
        false => Err(AppError::Forbidden(Text::new(
            "您的住户不在本议题的范围内",
            "your household is outside this topic's place",
        ))),
    }
}

/// A resident raises a topic of their street, community or grid; it waits for a moderator.
pub async fn raise_by_resident(platform: &Platform, resident: &Resident, form: TopicForm) -> Result<Topic> {
    let region = space(platform, &form.region)?;
    if !residents_places(platform, resident).await?.contains(&region) {
        return Err(AppError::invalid(
            "region",
            "只能在您住户所在的街道、社区或网格提出",
            "raise it in your household's street, community or grid",
        ));
    }
    let (title, body) = texts(&form)?;
    let topic = NewTopic {
        region_code: region,
        title,
        body,
        origin: Origin::Resident,
        author: Author::Resident(resident.id),
        case_ids: Vec::new(),
    };
    Ok(platform.store.raise_topic(&topic, &grassroots_domain::Actor::Resident, Utc::now()).await?)
}

/// Staff raise a topic in one of their places; it is published at once.
pub async fn raise_by_staff(platform: &Platform, staff: &User, form: TopicForm) -> Result<Topic> {
    may_run(staff)?;
    let region = space(platform, &form.region)?;
    if !staff.scope.covers_place(&region) {
        return Err(AppError::invalid("region", "该地不在您的范围内", "this place is outside your scope"));
    }
    let (title, body) = texts(&form)?;
    let topic = NewTopic {
        region_code: region,
        title,
        body,
        origin: Origin::Staff,
        author: Author::Staff(staff.id),
        case_ids: Vec::new(),
    };
    Ok(platform.store.raise_topic(&topic, &staff.actor(), Utc::now()).await?)
}

/// Staff raise a topic from cases of one community that they can see (a problem many report,
/// which the residents should settle together); the topic and the cases are linked both ways.
pub async fn raise_from_cases(
    platform: &Platform,
    staff: &User,
    case_ids: &[Uuid],
    title: &str,
    body: &str,
) -> Result<Topic> {
    may_run(staff)?;
    if !staff.role.may(Capability::WorkOnCases) {
        return Err(AppError::lacks(Capability::WorkOnCases));
    }
    let mut ids = case_ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > MOST_CASES {
        return Err(AppError::invalid(
            "cases",
            format!("请选择1至{MOST_CASES}件诉求"),
            format!("choose 1 to {MOST_CASES} cases"),
        ));
    }
    let mut community = None;
    for id in &ids {
        let case = platform.store.case_detail(&staff.scope, *id).await?.ok_or(AppError::NotFound)?;
        let here =
            case.record.place.community_code.clone().ok_or_else(|| {
                AppError::invalid("cases", "诉求须定位到社区", "each case must be placed in a community")
            })?;
        if community.get_or_insert_with(|| here.clone()) != &here {
            return Err(AppError::invalid("cases", "所选诉求须在同一社区", "the cases must lie in one community"));
        }
    }
    let region = community.ok_or(AppError::NotFound)?;
    let (title, body) = texts(&TopicForm { region: region.clone(), title: title.to_string(), body: body.to_string() })?;
    let topic = NewTopic {
        region_code: region,
        title,
        body,
        origin: Origin::Cases,
        author: Author::Staff(staff.id),
        case_ids: ids,
    };
    Ok(platform.store.raise_topic(&topic, &staff.actor(), Utc::now()).await?)
}

/// The published topics, of a place or everywhere.
pub async fn published(platform: &Platform, region: Option<&str>) -> Result<Vec<Topic>> {
    let places = match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => PlaceFilter::Within(vec![space(platform, r)?]),
        None => PlaceFilter::Everywhere,
    };
    Ok(platform.store.topics(&places, &[TopicState::Published], LISTED).await?)
}

fn scope_places(scope: &Scope) -> PlaceFilter {
    scope.place_prefixes().map_or(PlaceFilter::Everywhere, PlaceFilter::Within)
}

/// The topics waiting for a moderator in the staff member's places, oldest first.
pub async fn waiting(platform: &Platform, staff: &User) -> Result<Vec<Topic>> {
    may_run(staff)?;
    let mut topics = platform.store.topics(&scope_places(&staff.scope), &[TopicState::Pending], LISTED).await?;
    topics.reverse();
    Ok(topics)
}

/// A topic, its proposals and comments, as a viewer may see them: the public sees published
/// topics and what is not hidden; staff of the place see everything, hidden with its reason.
pub struct TopicView {
    pub topic: Topic,
    pub proposals: Vec<Proposal>,
    pub comments: Vec<Comment>,
    pub threshold: u32,
    /// Whether the viewer moderates this topic.
    pub moderates: bool,
}

pub async fn view(platform: &Platform, id: Uuid, staff: Option<&User>) -> Result<TopicView> {
    let topic = platform.store.topic(id).await?.ok_or(AppError::NotFound)?;
    let moderates =
        staff.is_some_and(|s| s.role.may(Capability::RunParticipation) && s.scope.reaches(&topic.region_code));
    if topic.state != TopicState::Published && !moderates {
        return Err(AppError::NotFound);
    }
    let (mut proposals, mut comments) = (platform.store.proposals(id).await?, platform.store.comments(id).await?);
    if !moderates {
        proposals.retain(|p| p.hidden_reason.is_none());
        comments.retain(|c| c.hidden_reason.is_none());
    }
    let threshold = platform.store.support_threshold(&topic.region_code).await?;
    Ok(TopicView { topic, proposals, comments, threshold, moderates })
}

/// Publishes or hides a topic (hiding needs a reason).
pub async fn moderate(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    action: &str,
    reason: Option<&str>,
) -> Result<Topic> {
    may_run(staff)?;
    let moderation = match action.trim() {
        "publish" => Moderation::Publish,
        "hide" => Moderation::Hide { reason: hiding_reason(reason.unwrap_or_default())? },
        _ => return Err(AppError::invalid("action", "应为 publish 或 hide", "expected publish or hide")),
    };
    Ok(platform.store.moderate_topic(&staff.actor(), id, &moderation, Utc::now()).await?)
}

pub async fn hide_proposal(platform: &Platform, staff: &User, id: Uuid, reason: &str) -> Result<Proposal> {
    may_run(staff)?;
    Ok(platform.store.hide_proposal(&staff.actor(), id, &hiding_reason(reason)?, Utc::now()).await?)
}

pub async fn hide_comment(platform: &Platform, staff: &User, id: Uuid, reason: &str) -> Result<Comment> {
    may_run(staff)?;
    Ok(platform.store.hide_comment(&staff.actor(), id, &hiding_reason(reason)?, Utc::now()).await?)
}

async fn published_topic(platform: &Platform, id: Uuid) -> Result<Topic> {
    let topic = platform.store.topic(id).await?.ok_or(AppError::NotFound)?;
    match topic.state {
        TopicState::Published => Ok(topic),
        TopicState::Pending | TopicState::Hidden => Err(AppError::NotFound),
    }
}

/// A resident of the topic's place proposes what to do.
pub async fn propose(
    platform: &Platform,
    resident: &Resident,
    topic: Uuid,
    title: &str,
    body: &str,
) -> Result<Proposal> {
    let t = published_topic(platform, topic).await?;
    may_take_part(platform, resident, &t).await?;
    let (title, body) = (public_text("title", title, TITLE_CHARS)?, public_text("body", body, BODY_CHARS)?);
    Ok(platform.store.add_proposal(topic, Author::Resident(resident.id), &title, &body, Utc::now()).await?)
}

/// A resident of the topic's place supports a proposal, once.
pub async fn support(platform: &Platform, resident: &Resident, proposal: Uuid) -> Result<(u32, bool)> {
    let p = platform.store.proposal(proposal).await?.ok_or(AppError::NotFound)?;
    let t = published_topic(platform, p.topic_id).await?;
    may_take_part(platform, resident, &t).await?;
    match platform.store.support_proposal(proposal, resident.id, Utc::now()).await? {
        Support::Counted { supports, on_agenda } => Ok((supports, on_agenda)),
        Support::Already => {
            Err(AppError::Conflict(Text::new("您已支持过这条建议", "you have supported this proposal")))
        }
    }
}

/// A comment on a topic or one of its proposals: by a resident of its place, or by staff who
/// moderate it (a reply of the 居委会).
pub async fn comment(
    platform: &Platform,
    author: Commenter<'_>,
    topic: Uuid,
    proposal: Option<Uuid>,
    body: &str,
) -> Result<Comment> {
    let t = published_topic(platform, topic).await?;
    let author = match author {
        Commenter::Resident(r) => {
            may_take_part(platform, r, &t).await?;
            Author::Resident(r.id)
        }
        Commenter::Staff(s) => {
            may_run(s)?;
            if !s.scope.reaches(&t.region_code) {
                return Err(AppError::NotFound);
            }
            Author::Staff(s.id)
        }
    };
    let body = public_text("body", body, COMMENT_CHARS)?;
    Ok(platform.store.add_comment(topic, proposal, author, &body, Utc::now()).await?)
}

/// Who comments.
pub enum Commenter<'a> {
    Resident(&'a Resident),
    Staff(&'a User),
}

/// Sets the supports that put a proposal of a place on its agenda.
pub async fn set_threshold(platform: &Platform, staff: &User, region: &str, threshold: i64) -> Result<u32> {
    may_run(staff)?;
    let region = space(platform, region)?;
    let threshold = check_threshold(threshold)?;
    if !staff.scope.covers_place(&region) {
        return Err(AppError::invalid("region", "该地不在您的范围内", "this place is outside your scope"));
    }
    platform.store.set_support_threshold(&staff.actor(), &region, threshold, Utc::now()).await?;
    Ok(threshold)
}

/// The resident's own topics and proposals, for their page.
pub async fn mine(platform: &Platform, resident: &Resident) -> Result<(Vec<Topic>, Vec<Proposal>)> {
    let me = Author::Resident(resident.id);
    Ok((platform.store.topics_by(me, LISTED).await?, platform.store.proposals_by(me, LISTED).await?))
}
