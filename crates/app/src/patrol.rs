//! 巡查上报: a grid worker reports a problem found on patrol, with its position and photos;
//! with a result it is closed at once (就地解决). The case is durable before the closing move
//! is tried, so a refused closing never loses the report.

use chrono::Utc;
use grassroots_domain::case::{LocatedBy, Place};
use grassroots_domain::{Capability, CaseRecord, Move, RegionCode};
use grassroots_geo::placement::place_in;
use grassroots_store::{CreatedCase, User};

use crate::intake::{self, Report, Reporter};
use crate::{AppError, Platform, Result};

/// A patrol report: the problem, and optionally the grid it is in and what was done on the spot.
#[derive(Debug, Clone, Default)]
pub struct PatrolReport {
    pub report: Report,
    /// One of the worker's grids, for a report without coordinates.
    pub grid: Option<String>,
    pub resolved_on_spot: bool,
    /// What was done, when resolved on the spot.
    pub result: Option<String>,
}

/// A patrol report taken in: its case, how many photos it carries, and — resolved on the
/// spot — the closed case.
#[derive(Debug)]
pub struct Patrolled {
    pub created: CreatedCase,
    pub photos: usize,
    pub closed: Option<CaseRecord>,
}

/// The longest result a move accepts (the workflow's limit, checked before the case exists).
const MAX_RESULT_CHARS: usize = 4000;

#[tracing::instrument(skip_all, fields(worker = %worker.username))]
pub async fn report(platform: &Platform, worker: &User, patrol: PatrolReport) -> Result<Patrolled> {
    if !worker.role.may(Capability::ReportOnPatrol) {
        return Err(AppError::lacks(Capability::ReportOnPatrol));
    }
    let result = on_spot_result(&patrol)?;
    let mut report = patrol.report;
    report.channel = Some(grassroots_domain::Channel::GridPatrol.as_str().into());
    // Checked before the case exists: a worker closes on the spot only in their own grids.
    if let (Some(_), Some(lat), Some(lng)) = (&result, report.lat, report.lng) {
        let grid = platform.placer().place(Some((lng, lat)), None).ok().and_then(|p| p.grid_code);
        if grid.is_some_and(|g| !worker.scope.covers_place(&g)) {
            return Err(AppError::invalid(
                "resolved_on_spot",
                "该位置在他人负责的网格内，请上报而不要就地解决",
                "the place lies in another worker's grid: report it without resolving on the spot",
            ));
        }
    }
    report.place = match patrol.grid.filter(|_| report.lat.is_none()) {
        Some(code) if worker.scope.covers_place(&code) => Some(Place {
            located_by: Some(LocatedBy::Patrol),
            address: report.address.clone(),
            ..place_in(&RegionCode::parse(&code)?)
        }),
        Some(_) => return Err(AppError::invalid("grid", "不是您负责的网格", "not one of your grids")),
        None => None,
    };
    let photos = report.photos.len();
    let Some(result) = result else {
        let created = intake::submit(platform, Reporter::Staff(worker), report).await?;
        return Ok(Patrolled { created, photos, closed: None });
    };
    // Fixed already: closed at once, never dispatched.
    let created = intake::take_in(platform, Reporter::Staff(worker), report).await?;
    let reference = platform.reference();
    let ctx = platform.move_context(&reference, Utc::now());
    let mv = Move::ResolveOnSpot { result };
    let closed = platform.store.apply_move(&worker.actor(), created.id, &mv, &ctx).await?;
    Ok(Patrolled { created, photos, closed: Some(closed) })
}

/// What was done on the spot: required when resolving there, ignored otherwise.
fn on_spot_result(patrol: &PatrolReport) -> Result<Option<String>> {
    match (patrol.resolved_on_spot, patrol.result.as_deref().map(str::trim)) {
        (true, None | Some("")) => {
            Err(AppError::invalid("result", "就地解决时请说明处置结果", "say what was done when resolving on the spot"))
        }
        (true, Some(r)) if r.chars().count() > MAX_RESULT_CHARS => {
            Err(AppError::invalid("result", "处置结果不能超过4000个字符", "must be at most 4000 characters"))
        }
        (true, Some(r)) => Ok(Some(r.to_string())),
        (false, _) => Ok(None),
    }
}
