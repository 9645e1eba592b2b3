//! 矛盾纠纷调处: staff register disputes found in their places (a case converted in one move,
//! a grid worker's screening during a visit, a walk-in), the register grades their risk by the
//! domain's stated rules and logs each change; mediators from the rosters hold sessions, record
//! an agreement and visit to check it is kept; a dispute is escalated community → street →
//! district, or handed to the court or arbitration. Leaders read the figures. Called alike by
//! the JSON API and the pages; the rules are `grassroots_domain::disputes`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use grassroots_domain::disputes::{
    check_follow_up_day, check_past_day, check_text, grade, success_rate, DisputeKind, DisputeLevel, DisputeMove,
    DisputeOrigin, MediatorKind, PartySide, ReferredTo, RiskFactors, MAX_NAMED_PARTIES,
};
use grassroots_domain::personal::normalize_phone;
use grassroots_domain::{Capability, FieldError, RegionCode, RegionLevel};
use grassroots_store::disputes::{
    DisputeParty, DisputeRecord, DisputeSelection, DisputeStep, DisputeTally, Mediator, NewDispute,
};
use grassroots_store::{StoreError, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::{require, AppError, Platform, Result};

const LISTED: i64 = 500;

/// A party as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct PartyForm {
    pub name: String,
    pub phone: Option<String>,
    /// `applicant` or `respondent`.
    pub side: String,
    pub vulnerable: bool,
}

/// What the risk grade is decided on, as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct FactorsForm {
    /// How many parties in all (a group dispute names its representatives only); at least the
    /// parties named.
    pub parties: Option<String>,
    pub threat_of_violence: bool,
    pub threat_of_self_harm: bool,
    pub earlier_reports: Option<String>,
    pub petitioned_higher: bool,
}

/// A dispute as a form registers it.
#[derive(Debug, Clone, Default)]
pub struct DisputeForm {
    /// `screening` or `walk_in`; a case is converted by `convert`.
    pub origin: String,
    pub community_code: String,
    /// The grid where a grid worker found it.
    pub grid_code: Option<String>,
    pub kind: String,
    pub summary: String,
    pub place: String,
    pub parties: Vec<PartyForm>,
    pub factors: FactorsForm,
}

/// A move as a form sends it.
#[derive(Debug, Clone, Default)]
pub struct DisputeMoveForm {
    pub action: String,
    pub mediators: Vec<String>,
    /// `YYYY-MM-DD`: the session, the signing, the follow-up.
    pub on: Option<String>,
    /// The parties present at a session, by their place in the list (from 0).
    pub present: Vec<String>,
    pub terms: Option<String>,
    pub follow_up_on: Option<String>,
    /// For a follow-up: `kept` or `broken`.
    pub outcome: Option<String>,
    /// For a hand-over: `court` or `arbitration`.
    pub referred_to: Option<String>,
    pub note: Option<String>,
}

/// A dispute as staff read it.
#[derive(Debug, Clone)]
pub struct DisputeView {
    pub dispute: DisputeRecord,
    /// The moves the reader may make now (none if it is at a level above theirs).
    pub moves: Vec<DisputeMove>,
    /// The mediators it may be assigned: its community's, street's and district's rosters.
    pub roster: Vec<Mediator>,
    /// Whether the reader may change its risk factors.
    pub may_regrade: bool,
}

/// The figures of disputes for a place and period.
#[derive(Debug, Clone)]
pub struct DisputeFigures {
    pub tally: DisputeTally,
    /// Agreed of those mediation finished with.
    pub success_rate: Option<f64>,
    /// Mean days from registration to agreement.
    pub mean_days_to_agreement: Option<f64>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn may_mediate(staff: &User) -> Result<()> {
    require(staff, Capability::MediateDisputes)
}

fn trimmed(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn count(field: &'static str, raw: Option<&str>, at_least: u32) -> Result<u32> {
    let Some(raw) = trimmed(raw) else { return Ok(at_least) };
    match raw.parse::<u32>() {
        Ok(n) if n >= at_least && n <= 100_000 => Ok(n),
        _ => Err(AppError::invalid(
            field,
            format!("请填写不小于{at_least}的整数"),
            format!("a whole number, at least {at_least}"),
        )),
    }
}

fn parties(forms: &[PartyForm]) -> Result<Vec<DisputeParty>> {
    let named: Vec<&PartyForm> = forms.iter().filter(|p| !p.name.trim().is_empty()).collect();
    if named.is_empty() || named.len() > MAX_NAMED_PARTIES {
        return Err(AppError::invalid(
            "parties",
            format!("请填写当事人（1到{MAX_NAMED_PARTIES}方）"),
            format!("name the parties (1 to {MAX_NAMED_PARTIES})"),
        ));
    }
    named
        .into_iter()
        .map(|p| {
            let phone = match trimmed(p.phone.as_deref()) {
                None => None,
                Some(raw) => Some(normalize_phone(raw).map_err(|e| FieldError { field: "parties", ..e })?),
            };
            Ok(DisputeParty {
                name: short_text("parties", &p.name, 30)?,
                phone,
                side: PartySide::parse_field("parties", &p.side)?,
                vulnerable: p.vulnerable,
            })
        })
        .collect()
}

/// The factors a form gives, for a dispute naming `named` parties, `vulnerable` if one is.
fn factors(form: &FactorsForm, named: usize, vulnerable: bool) -> Result<RiskFactors> {
    Ok(RiskFactors {
        threat_of_violence: form.threat_of_violence,
        threat_of_self_harm: form.threat_of_self_harm,
        parties: count("party_count", form.parties.as_deref(), u32::try_from(named).unwrap_or(u32::MAX))?,
        earlier_reports: count("earlier_reports", form.earlier_reports.as_deref(), 0)?,
        petitioned_higher: form.petitioned_higher,
        vulnerable_party: vulnerable,
    })
}

fn factors_of(form: &FactorsForm, parties: &[DisputeParty]) -> Result<RiskFactors> {
    factors(form, parties.len(), parties.iter().any(|p| p.vulnerable))
}

fn community(raw: &str) -> Result<String> {
    RegionCode::parse(raw.trim())
        .ok()
        .filter(|c| c.level() == RegionLevel::Community)
        .map(|c| c.as_str().to_string())
        .ok_or_else(|| AppError::invalid("community_code", "请选择社区", "choose a community"))
}

fn outside_places() -> AppError {
    AppError::invalid("community_code", "只能登记您负责社区的纠纷", "register disputes of your own places")
}

async fn keep(platform: &Platform, staff: &User, new: NewDispute) -> Result<DisputeRecord> {
    match platform.store.create_dispute(&staff.actor(), &new, Utc::now()).await {
        Err(StoreError::NotFound) => Err(outside_places()),
        created => Ok(created?),
    }
}

/// Registers a dispute found by a grid worker's screening (in one of their grids) or brought
/// by a walk-in, graded by the register's rules.
pub async fn register(platform: &Platform, staff: &User, form: DisputeForm) -> Result<DisputeRecord> {
    may_mediate(staff)?;
    let origin = match DisputeOrigin::parse_field("origin", &form.origin)? {
        DisputeOrigin::Case => {
            return Err(AppError::invalid("origin", "工单在案件页面转为纠纷", "a case is converted from its page"))
        }
        o @ (DisputeOrigin::Screening | DisputeOrigin::WalkIn) => o,
    };
    let community = community(&form.community_code)?;
    let grid = match (origin, trimmed(form.grid_code.as_deref())) {
        (DisputeOrigin::Screening, Some(g)) if g.starts_with(&community) && staff.scope.reaches(g) => {
            Some(g.to_string())
        }
        (DisputeOrigin::Screening, _) => {
            return Err(AppError::invalid(
                "grid_code",
                "请选择排查发现纠纷的网格",
                "choose the grid where it was found",
            ))
        }
        (_, None) => None,
        (_, Some(g)) if g.starts_with(&community) && g.len() == RegionLevel::Grid.digits() => Some(g.to_string()),
        (_, Some(_)) => {
            return Err(AppError::invalid("grid_code", "网格应在所选社区内", "the grid lies in the community"))
        }
    };
    if !staff.scope.reaches(&community) {
        return Err(outside_places());
    }
    let parties = parties(&form.parties)?;
    let factors = factors_of(&form.factors, &parties)?;
    let (grade, reasons) = grade(&factors);
    let new = NewDispute {
        community_code: community,
        grid_code: grid,
        kind: DisputeKind::parse_field("kind", &form.kind)?,
        origin,
        case_id: None,
        summary: check_text("summary", &form.summary, 4)?,
        place: short_text("place", &form.place, 100)?,
        parties,
        factors,
        grade,
        reasons,
    };
    keep(platform, staff, new).await
}

/// Converts a case in the caller's scope into a dispute in one move: its place and words
/// carried over, its reporter (revealed, audited) the first applicant unless anonymous, and
/// their earlier cases counted as earlier reports. The case keeps its own loop; each links to
/// the other.
pub async fn convert(platform: &Platform, staff: &User, case_id: Uuid, form: DisputeForm) -> Result<DisputeRecord> {
    may_mediate(staff)?;
    require(staff, Capability::RevealPersonalData)?;
    let detail = platform.store.case_detail(&staff.scope, case_id).await?.ok_or(AppError::NotFound)?;
    let case = detail.record;
    let community = case.place.community_code.clone().ok_or_else(|| {
        AppError::invalid(
            "case",
            "案件没有落到社区，不能转为纠纷",
            "the case lies in no community: it cannot be converted",
        )
    })?;
    let mut named = Vec::new();
    let mut earlier = 0;
    if !detail.reporter.anonymous {
        let reason = "转为矛盾纠纷调处 / converted to a dispute";
        let reporter = platform.store.reveal(&staff.actor(), case_id, reason, Utc::now()).await?;
        if let Some(phone) = &reporter.phone {
            let cases = platform.store.cases_of_phone(phone).await?;
            earlier = u32::try_from(cases.into_iter().filter(|c| *c != case_id).count()).unwrap_or(u32::MAX);
        }
        named.push(PartyForm {
            name: reporter.name.unwrap_or_else(|| "来电人".to_string()),
            phone: reporter.phone,
            side: PartySide::Applicant.as_str().to_string(),
            vulnerable: false,
        });
    }
    named.extend(form.parties.iter().cloned());
    let parties = parties(&named)?;
    let mut factors = factors_of(&form.factors, &parties)?;
    // The reporter's earlier cases are earlier reports, whatever the form says.
    factors.earlier_reports = factors.earlier_reports.max(earlier);
    let summary = match trimmed(Some(&form.summary)) {
        Some(s) => s.to_string(),
        None => case.description.chars().take(grassroots_domain::disputes::TEXT_CHARS).collect(),
    };
    // Where it arose: as the form says, else the case's address, else its grid or community.
    let atlas = platform.atlas();
    let named = |code: &Option<String>| code.as_deref().and_then(|c| atlas.outline(c)).map(|o| o.name.clone());
    let place = trimmed(Some(&form.place))
        .map(str::to_string)
        .or_else(|| case.place.address.clone())
        .or_else(|| named(&case.place.grid_code))
        .unwrap_or_else(|| named(&Some(community.clone())).unwrap_or_else(|| community.clone()));
    let (grade, reasons) = grade(&factors);
    let new = NewDispute {
        community_code: community,
        grid_code: case.place.grid_code.clone(),
        kind: DisputeKind::parse_field("kind", &form.kind)?,
        origin: DisputeOrigin::Case,
        case_id: Some(case_id),
        summary: check_text("summary", &summary, 4)?,
        place: short_text("place", &place, 100)?,
        parties,
        factors,
        grade,
        reasons,
    };
    keep(platform, staff, new).await
}

/// Disputes of the caller's places: open, the high-risk queue, being followed up, or all.
pub async fn list(platform: &Platform, staff: &User, selection: DisputeSelection) -> Result<Vec<DisputeRecord>> {
    may_mediate(staff)?;
    Ok(platform.store.disputes(&crate::staff_places(staff), selection, LISTED).await?)
}

fn may_act_at(staff: &User, dispute: &DisputeRecord) -> bool {
    match dispute.level {
        DisputeLevel::Community => staff.scope.reaches(&dispute.community_code),
        DisputeLevel::Street | DisputeLevel::District => {
            staff.scope.covers_place(dispute.level.region_of(&dispute.community_code))
        }
    }
}

/// A dispute for staff whose places it lies in (404 for anyone else), with the moves they may
/// make at its level.
pub async fn view(platform: &Platform, staff: &User, id: Uuid) -> Result<DisputeView> {
    may_mediate(staff)?;
    let dispute = platform.store.dispute(id).await?.ok_or(AppError::NotFound)?;
    if !staff.scope.reaches(&dispute.community_code) {
        return Err(AppError::NotFound);
    }
    let acts = may_act_at(staff, &dispute);
    let moves = DisputeMove::ALL
        .iter()
        .copied()
        .filter(|m| acts && m.made_from().contains(&dispute.state))
        .filter(|m| *m != DisputeMove::Escalate || dispute.level.above().is_some())
        .collect();
    let roster = platform.store.mediators_for(&dispute.community_code).await?;
    Ok(DisputeView { may_regrade: acts && dispute.state.is_open(), moves, roster, dispute })
}

fn day(field: &'static str, raw: Option<&str>) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw.unwrap_or_default().trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "日期格式应为YYYY-MM-DD", "expected a date YYYY-MM-DD"))
}

fn step(kind: DisputeMove, form: DisputeMoveForm, dispute: &DisputeRecord) -> Result<DisputeStep> {
    let today = crate::care::today();
    let registered = grassroots_domain::calendar::beijing_day(dispute.created_at);
    let note = |min: usize| check_text("note", form.note.as_deref().unwrap_or_default(), min);
    Ok(match kind {
        DisputeMove::Assign => {
            let mediators = form
                .mediators
                .iter()
                .filter(|m| !m.trim().is_empty())
                .map(|m| Uuid::parse_str(m.trim()))
                .collect::<std::result::Result<Vec<_>, _>>()
                .ok()
                .filter(|m| !m.is_empty())
                .ok_or_else(|| AppError::invalid("mediators", "请选择调解员", "choose the mediators"))?;
            DisputeStep::Assign { mediators }
        }
        DisputeMove::Session => {
            let named = dispute.parties.len();
            let present = form
                .present
                .iter()
                .map(|p| p.trim().parse::<u32>().ok().filter(|i| (*i as usize) < named))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| AppError::invalid("present", "请勾选到场的当事人", "tick the parties present"))?;
            DisputeStep::Session {
                on: check_past_day("on", day("on", form.on.as_deref())?, registered, today)?,
                present,
                note: note(4)?,
            }
        }
        DisputeMove::Agree => {
            let on = check_past_day("on", day("on", form.on.as_deref())?, registered, today)?;
            let follow_up_on = match trimmed(form.follow_up_on.as_deref()) {
                Some(_) => check_follow_up_day(on, day("follow_up_on", form.follow_up_on.as_deref())?)?,
                // A fortnight, the common first return visit.
                None => on + Duration::days(14),
            };
            DisputeStep::Agree {
                on,
                terms: check_text("terms", form.terms.as_deref().unwrap_or_default(), 4)?,
                follow_up_on,
            }
        }
        DisputeMove::FollowUp => {
            let kept = match trimmed(form.outcome.as_deref()) {
                Some("kept") => true,
                Some("broken") => false,
                _ => {
                    return Err(AppError::invalid("outcome", "请选择协议是否履行", "say whether the agreement is kept"))
                }
            };
            let note = match kept {
                true => trimmed(form.note.as_deref()).map(|n| check_text("note", n, 0)).transpose()?,
                false => Some(note(4)?),
            };
            DisputeStep::FollowUp {
                on: check_past_day("on", day("on", form.on.as_deref())?, registered, today)?,
                kept,
                note,
            }
        }
        DisputeMove::Escalate => DisputeStep::Escalate { note: note(4)? },
        DisputeMove::Refer => DisputeStep::Refer {
            to: ReferredTo::parse_field("referred_to", form.referred_to.as_deref().unwrap_or_default())?,
            note: note(4)?,
        },
        DisputeMove::Fail => DisputeStep::Fail { note: note(4)? },
        DisputeMove::Withdraw => DisputeStep::Withdraw { note: note(4)? },
    })
}

/// Makes a move on a dispute at the caller's level.
pub async fn act(platform: &Platform, staff: &User, id: Uuid, form: DisputeMoveForm) -> Result<DisputeRecord> {
    let view = view(platform, staff, id).await?;
    let kind = DisputeMove::parse_field("move", &form.action)?;
    if !view.moves.contains(&kind) {
        kind.to(view.dispute.state, true)?;
        return Err(AppError::Forbidden(crate::Text::new(
            format!("纠纷由{}调处，您不能{}", view.dispute.level.label_zh(), kind.label_zh()),
            format!(
                "the dispute is handled at the {} level: you may not {}",
                view.dispute.level.label_en(),
                kind.label_en()
            ),
        )));
    }
    let step = step(kind, form, &view.dispute)?;
    let from = (view.dispute.state, view.dispute.level);
    Ok(platform.store.move_dispute(&staff.actor(), id, from, &step, Utc::now()).await?)
}

/// New risk factors for an open dispute (a threat made, a petition sent), graded again by the
/// rules and logged with the note saying what changed.
pub async fn regrade(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    form: FactorsForm,
    vulnerable: bool,
    note: &str,
) -> Result<DisputeRecord> {
    let view = view(platform, staff, id).await?;
    if !view.may_regrade {
        return Err(AppError::Forbidden(crate::Text::new(
            "只有正在调处该纠纷的一级可以调整风险因素",
            "only the level handling an open dispute changes its risk factors",
        )));
    }
    let note = check_text("note", note, 4)?;
    let factors = factors(&form, view.dispute.parties.len(), vulnerable)?;
    let (grade, reasons) = grade(&factors);
    Ok(platform.store.regrade_dispute(&staff.actor(), id, &factors, grade, &reasons, &note, Utc::now()).await?)
}

/// The parties in full, for staff of the dispute's places who may see personal data, with
/// their reason (audited).
pub async fn reveal(platform: &Platform, staff: &User, id: Uuid, reason: Option<&str>) -> Result<Vec<DisputeParty>> {
    view(platform, staff, id).await?;
    require(staff, Capability::RevealPersonalData)?;
    let reason = check_text("reason", reason.unwrap_or_default(), 2)?;
    match platform.store.reveal_dispute_parties(&staff.actor(), id, &reason, Utc::now()).await {
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        revealed => Ok(revealed?),
    }
}

/// Adds someone to the roster of a community, street or district the caller holds.
pub async fn add_mediator(platform: &Platform, staff: &User, region: &str, kind: &str, name: &str) -> Result<Mediator> {
    may_mediate(staff)?;
    let region = RegionCode::parse(region.trim())
        .ok()
        .filter(|c| matches!(c.level(), RegionLevel::Community | RegionLevel::Township | RegionLevel::County))
        .ok_or_else(|| {
            AppError::invalid("region_code", "请选择社区、街道或区", "choose a community, street or district")
        })?;
    let kind = MediatorKind::parse_field("kind", kind)?;
    let name = short_text("name", name, 30)?;
    match platform.store.add_mediator(&staff.actor(), region.as_str(), kind, &name, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("region_code", "只能为您负责的地区登记调解员", "add mediators to your own places"))
        }
        added => Ok(added?),
    }
}

/// The rosters of the caller's places.
pub async fn roster(platform: &Platform, staff: &User) -> Result<Vec<Mediator>> {
    may_mediate(staff)?;
    Ok(platform.store.mediators(&crate::staff_places(staff)).await?)
}

/// The disputes of the caller's places registered between two days (`YYYY-MM-DD`, both
/// included; by default the year up to now): counts by kind and grade, the success rate, the
/// time to agree, recurrences. Leaders read them too (aggregates only).
pub async fn figures(
    platform: &Platform,
    staff: &User,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<DisputeFigures> {
    require(staff, Capability::ViewStatistics)?;
    let to = match trimmed(to) {
        Some(day) => crate::fields::time("to", day, true)?,
        None => Utc::now(),
    };
    let from = match trimmed(from) {
        Some(day) => crate::fields::time("from", day, false)?,
        None => to - Duration::days(365),
    };
    if to <= from {
        return Err(AppError::invalid("to", "结束日期应晚于开始日期", "the end falls after the start"));
    }
    let tally = platform.store.dispute_tally(&crate::staff_places(staff), from, to).await?;
    #[allow(clippy::cast_precision_loss)]
    let mean_days_to_agreement =
        (tally.timed_agreements > 0).then(|| tally.days_to_agreement as f64 / tally.timed_agreements as f64);
    Ok(DisputeFigures {
        success_rate: success_rate(tally.agreed, tally.referred, tally.failed),
        mean_days_to_agreement,
        tally,
        from,
        to,
    })
}
