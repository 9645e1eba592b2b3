//! Intake (受理): a report from a resident, from staff on someone's behalf, or from another
//! system becomes a case — checked whole, placed, given its deadlines, stored durably, and
//! then, where the responsibility matrix says so, registered and dispatched at once (自动派遣).
//! Every channel comes through [`submit`], so none can forget a rule or auto-dispatch.

use chrono::Utc;
use grassroots_domain::calendar::deadlines;
use grassroots_domain::case::{LocatedBy, Place};
use grassroots_domain::decisions::{Decision, DecisionKind};
use grassroots_domain::personal::{normalize_phone, validate_name};
use grassroots_domain::{Actor, Capability, Channel, Move, Priority, RegionCode, RequestType, Scope};
use grassroots_geo::placement::{place_in, Unplaced};
use grassroots_store::{ApiKey, CreatedCase, IntakeKey, NewAttachment, NewCase, User};

use crate::{AppError, Platform, Result, Text};

/// Who a report comes from; the channel and what they may set follow from it.
#[derive(Debug, Clone, Copy)]
pub enum Reporter<'a> {
    /// A resident, on the web or the mobile app.
    Resident,
    /// Staff taking a request in for someone: an operator on the phone, a grid worker on patrol.
    Staff(&'a User),
    /// Another system, through its API key (Open311).
    System(&'a ApiKey),
}

/// A report as given: each field as typed; [`submit`] checks them all.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub description: String,
    /// A category code; when none is chosen, the classifier's if the administrator lets it
    /// decide for that category and it is sure enough, else 其他.
    pub category_code: Option<String>,
    pub request_type: Option<String>,
    /// Staff only.
    pub priority: Option<String>,
    pub channel: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub anonymous: bool,
    /// The reporter asks for text messages as the case moves on (needs their phone).
    pub notify: bool,
    /// Where it is, when the caller knows better than coordinates (the grid being visited).
    pub place: Option<Place>,
    pub photos: Vec<NewAttachment>,
    /// The client's idempotency key (幂等键, the `Idempotency-Key` header or a form's hidden
    /// field): the same report sent again with it is answered with the case it made.
    pub key: Option<String>,
}

/// The longest description and address a report may carry.
const MAX_DESCRIPTION: usize = 4000;
const MAX_ADDRESS: usize = 200;
/// How long an idempotency key is kept: a client retrying later than this makes a new case.
pub const KEY_KEPT: chrono::Duration = chrono::Duration::hours(24);
/// The lengths an idempotency key may have: long enough to be drawn at random (a UUID is 36).
const KEY_LENGTH: std::ops::RangeInclusive<usize> = 16..=128;

/// Takes a report in: checks it, places it, stores the case (durable on return), and
/// dispatches it automatically where the matrix says so.
#[tracing::instrument(skip_all, fields(reporter = reporter.kind()))]
pub async fn submit(platform: &Platform, reporter: Reporter<'_>, report: Report) -> Result<CreatedCase> {
    let key = intake_key(reporter, &report)?;
    let mut new = check(platform, reporter, report)?;
    // Whether the key was given before is asked of the store's writer, which reads every
    // batch's keys in one statement: a reading per report here would cost every first
    // sending a round trip for the rare retry.
    new.key = key;
    let danger = crate::warnings::mark_danger(platform, &mut new);
    // A report that likely repeats an open case waits for a dispatcher to merge it or send it:
    // it is not dispatched a second time automatically.
    let repeat = repeats(platform, &new).await;
    // The matrix line is known from the report itself: nothing is read back after the write.
    let reference = platform.reference();
    let line = reference.suggest(&new.category_code, &new.place).filter(|s| s.auto_dispatch && repeat.is_none());
    if let Some(line) = &line {
        new.decisions.push(Decision {
            kind: DecisionKind::Dispatched,
            category_code: new.category_code.clone(),
            unit_id: Some(line.unit.id.clone()),
            confidence: None,
            reasons: vec![line.why_zh.clone()],
            model_version: None,
            target_case: None,
        });
    }
    let repeats = repeat.as_ref().and_then(|d| d.target_case).map(|target| (target, new.received_at));
    new.decisions.extend(repeat);
    // Registered and dispatched in the report's own transaction: no commit of its own.
    new.then = line.map(|l| {
        let note = format!("自动派遣 / auto-dispatch: {}", l.why_zh);
        platform.follow_up(vec![
            Move::Register { note: Some(note.clone()) },
            Move::Dispatch { unit: l.unit.id.clone(), co_units: Vec::new(), note: Some(note) },
        ])
    });
    let created = platform.store.create_case(new, &reporter.actor()).await?;
    if created.replayed {
        // Warned of, if at all, when it was first sent.
        return Ok(created);
    }
    if let Some(danger) = &danger {
        crate::warnings::warn_of_danger(platform, danger, created.id, &created.tracking_no).await;
    }
    if let Some((target, at)) = repeats {
        crate::warnings::warn_of_group(platform, target, &created, at);
    }
    Ok(created)
}

/// The answer given to this report when it was first sent under its idempotency key, if it
/// was: a form asks nothing more of a report it has already taken.
pub async fn sent_before(platform: &Platform, reporter: Reporter<'_>, report: &Report) -> Result<Option<CreatedCase>> {
    let Some(key) = intake_key(reporter, report)? else { return Ok(None) };
    match platform.store.keyed_case(&key.client, &key.key).await? {
        Some(kept) => Ok(Some(kept.answer(&key.fingerprint)?)),
        None => Ok(None),
    }
}

/// The report's idempotency key as the store keeps it: checked, the client's, and the
/// report's fingerprint.
fn intake_key(reporter: Reporter<'_>, report: &Report) -> Result<Option<IntakeKey>> {
    let Some(key) = report.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) else { return Ok(None) };
    if !KEY_LENGTH.contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "幂等键应为16到128个可见ASCII字符（如UUID）",
            "must be 16 to 128 visible ASCII characters (a UUID, say)",
        ));
    }
    let client = match reporter {
        Reporter::Resident => "resident".to_string(),
        Reporter::Staff(user) => format!("user:{}", user.id),
        Reporter::System(api_key) => format!("api_key:{}", api_key.id),
    };
    Ok(Some(IntakeKey { client, key: key.to_string(), fingerprint: report.fingerprint() }))
}

impl Report {
    /// A digest of everything the report says, each field with its length so that no two
    /// reports share one by their fields' boundaries.
    fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut digest = Sha256::new();
        let mut field = |bytes: &[u8]| {
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(bytes);
        };
        fn text(v: &Option<String>) -> &[u8] {
            v.as_deref().map_or(b"\0none", str::as_bytes)
        }
        let number = |v: Option<f64>| v.map_or([0xff; 8], f64::to_le_bytes);
        field(self.description.as_bytes());
        for v in [&self.category_code, &self.request_type, &self.priority, &self.channel, &self.address] {
            field(text(v));
        }
        for v in [&self.reporter_name, &self.reporter_phone] {
            field(text(v));
        }
        field(&number(self.lat));
        field(&number(self.lng));
        field(&[u8::from(self.anonymous), u8::from(self.notify)]);
        field(format!("{:?}", self.place).as_bytes());
        for photo in &self.photos {
            field(photo.media_type.as_bytes());
            field(&photo.bytes);
        }
        digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Forgets the idempotency keys older than [`KEY_KEPT`]; how many.
pub async fn forget_old_keys(platform: &Platform) -> Result<u64> {
    Ok(platform.store.forget_intake_keys(Utc::now() - KEY_KEPT).await?)
}

/// The open case a new report most likely repeats, as a suggested merge.
async fn repeats(platform: &Platform, new: &NewCase) -> Option<Decision> {
    let caller = new.reporter_phone.as_deref().map(|p| platform.store.caller_tag(p));
    let reported = crate::duplicates::Reported {
        description: &new.description,
        category: &new.category_code,
        place: &new.place,
        received_at: new.received_at,
        caller: caller.as_deref(),
    };
    crate::duplicates::suspected(platform, &reported).await
}

/// Takes a report in without dispatching it: only for a grid worker who closes it on the spot.
pub(crate) async fn take_in(platform: &Platform, reporter: Reporter<'_>, report: Report) -> Result<CreatedCase> {
    let new = check(platform, reporter, report)?;
    Ok(platform.store.create_case(new, &reporter.actor()).await?)
}

impl Reporter<'_> {
    pub fn actor(&self) -> Actor {
        match self {
            Self::Resident => Actor::Resident,
            Self::Staff(user) => user.actor(),
            Self::System(key) => Actor::ApiKey { key_id: key.id },
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::Staff(user) => user.role.as_str(),
            Self::System(_) => "api_key",
        }
    }

    /// The channel a report comes through: what a resident or staff member says (a resident
    /// only the web or the app), else what the reporter implies.
    fn channel(&self, given: Option<&str>) -> Result<Channel> {
        let given = given.map(|c| Channel::parse_field("channel", c)).transpose()?;
        match (self, given) {
            (Self::Resident, None) => Ok(Channel::Web),
            (Self::Resident, Some(c @ (Channel::Web | Channel::Mobile))) => Ok(c),
            (Self::Resident, Some(_)) => Err(AppError::invalid(
                "channel",
                "群众只能通过网站或移动端提交",
                "residents report through web or mobile",
            )),
            (Self::Staff(_), Some(c)) => Ok(c),
            (Self::Staff(user), None) if user.role.may(Capability::ReportOnPatrol) => Ok(Channel::GridPatrol),
            (Self::Staff(_), None) => Ok(Channel::Phone),
            (Self::System(_), None) => Ok(Channel::Open311),
            (Self::System(_), Some(_)) => Err(AppError::invalid(
                "channel",
                "其他系统的诉求渠道由平台确定",
                "the platform sets the channel of other systems",
            )),
        }
    }
}

/// The case a report makes, every field checked; nothing is stored.
fn check(platform: &Platform, reporter: Reporter<'_>, report: Report) -> Result<NewCase> {
    match reporter {
        Reporter::Staff(user) if !user.role.may(Capability::TakeInRequests) => {
            return Err(AppError::lacks(Capability::TakeInRequests))
        }
        Reporter::System(key) if !key.may_post => {
            return Err(AppError::Forbidden(Text::new(
                "该密钥只能查看诉求",
                "this key may read requests but not post them",
            )))
        }
        _ => {}
    }
    let reference = platform.reference();
    let description = grassroots_domain::text::trimmed(&report.description);
    if description.is_empty() || description.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::invalid(
            "description",
            "请描述问题（1到4000个字符）",
            "describe the problem in 1 to 4000 characters",
        ));
    }
    let (category_code, decisions) = category_of(platform, &report, description);
    let category = reference.taxonomy.lookup(&category_code)?;
    let request_type = match &report.request_type {
        Some(t) => RequestType::parse_field("request_type", t)?,
        None => RequestType::Complaint,
    };
    let priority = match (&report.priority, reporter) {
        (None, _) => Priority::Normal,
        (Some(p), Reporter::Staff(_)) => Priority::parse_field("priority", p)?,
        (Some(_), _) => {
            return Err(AppError::invalid("priority", "紧急程度由工作人员确定", "priority is set by staff"))
        }
    };
    let channel = reporter.channel(report.channel.as_deref())?;
    if report.address.as_deref().is_some_and(|a| a.trim().chars().count() > MAX_ADDRESS) {
        return Err(AppError::invalid("address", "地址不能超过200个字符", "must be at most 200 characters"));
    }
    let place = match report.place.clone() {
        Some(p) => p,
        None => locate(platform, report.lat, report.lng, report.address.as_deref())?,
    };
    let place = match reporter {
        Reporter::Staff(user) => on_patrol(&user.scope, place)?,
        Reporter::System(key) if !key.covers(&place) => {
            let region = key.region.as_deref().unwrap_or_default();
            return Err(AppError::Forbidden(Text::new(
                format!("该密钥只能提交区域{region}内的诉求"),
                format!("this key may post only requests within region {region}"),
            )));
        }
        _ => place,
    };
    let (reporter_name, reporter_phone) = reporter_of(&report)?;
    if report.notify && !reporter_phone.as_deref().is_some_and(grassroots_domain::personal::is_mobile) {
        return Err(AppError::invalid(
            "notify",
            "接收短信通知需要留下手机号码（11位）",
            "text messages need a mobile number (11 digits) to go to",
        ));
    }
    let now = Utc::now();
    let due = deadlines(&reference.calendar, category, priority, now);
    Ok(NewCase {
        category_code: category.code.0.clone(),
        request_type,
        priority,
        channel,
        description: description.to_string(),
        place,
        anonymous: reporter_name.is_none() && reporter_phone.is_none(),
        reporter_name,
        reporter_phone,
        notify_reporter: report.notify,
        response_due: due.response_due,
        resolve_due: due.resolve_due,
        received_at: now,
        attachments: report.photos,
        decisions,
        then: None,
        key: None,
    })
}

/// The category the reporter chose or, where they chose none, the one the classifier gives
/// (其他 when it is not sure enough), with its decision to keep.
fn category_of(platform: &Platform, report: &Report, description: &str) -> (String, Vec<Decision>) {
    match report.category_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(chosen) => (chosen.to_string(), Vec::new()),
        None => {
            let (category, decision) = crate::classify::categorise(platform, description);
            (category, vec![decision])
        }
    }
}

/// A grid worker on patrol reports from their grids: a point in a grid places the case there;
/// otherwise it goes to their grid in the named community, else their first.
fn on_patrol(scope: &Scope, place: Place) -> Result<Place> {
    let Scope::Grids { codes } = scope else { return Ok(place) };
    if place.grid_code.is_some() {
        return Ok(place);
    }
    let in_community = place.community_code.as_ref().and_then(|c| codes.iter().find(|g| g.starts_with(c.as_str())));
    let Some(grid) = in_community.or(codes.first()) else { return Ok(place) };
    let grid = RegionCode::parse(grid)?;
    Ok(Place {
        lat: place.lat,
        lng: place.lng,
        address: place.address,
        located_by: Some(LocatedBy::Patrol),
        ..place_in(&grid)
    })
}

/// The reporter's name and phone, checked; none when the report is anonymous.
fn reporter_of(report: &Report) -> Result<(Option<String>, Option<String>)> {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    if report.anonymous {
        if given(&report.reporter_name).is_some() || given(&report.reporter_phone).is_some() {
            return Err(AppError::invalid(
                "anonymous",
                "匿名反映时不能填写姓名和电话",
                "an anonymous report cannot carry a name or phone",
            ));
        }
        return Ok((None, None));
    }
    let name = given(&report.reporter_name).map(validate_name).transpose()?;
    let phone = given(&report.reporter_phone).map(normalize_phone).transpose()?;
    Ok((name, phone))
}

/// Places a report by its coordinates (which must fall in a served district) and, failing a
/// grid, by the region names in its address.
pub fn locate(platform: &Platform, lat: Option<f64>, lng: Option<f64>, address: Option<&str>) -> Result<Place> {
    let address = address.map(str::trim).filter(|a| !a.is_empty());
    let point = match (lat, lng) {
        (Some(lat), Some(lng)) => {
            if !(-90.0..=90.0).contains(&lat) {
                return Err(AppError::invalid("lat", "纬度应在-90到90之间", "latitude must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&lng) {
                return Err(AppError::invalid(
                    "lng",
                    "经度应在-180到180之间",
                    "longitude must be between -180 and 180",
                ));
            }
            Some((lng, lat))
        }
        (Some(_), None) => return Err(AppError::invalid("lng", "请同时提供经度和纬度", "give lng together with lat")),
        (None, Some(_)) => return Err(AppError::invalid("lat", "请同时提供经度和纬度", "give lat together with lng")),
        (None, None) if address.is_none() => {
            return Err(AppError::invalid(
                "address",
                "请在地图上选择位置或填写地址",
                "give coordinates (lat, lng) or an address",
            ))
        }
        (None, None) => None,
    };
    platform.placer().place(point, address).map_err(|e| match e {
        Unplaced::OutsideServiceArea => {
            AppError::invalid("lat", "坐标不在本平台服务范围内", "the coordinates are outside the service area")
        }
        Unplaced::Unknown => AppError::invalid(
            "address",
            "无法确定位置：请在地图上选择，或写明街道、社区",
            "cannot tell where this is: pick the place on the map or name the street and community",
        ),
    })
}
