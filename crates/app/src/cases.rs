//! Staff at work on cases: moves, the merge target found by tracking number, and the audited
//! reveal of a reporter's personal data, one case at a time or a page of an export at a time.

use chrono::Utc;
use grassroots_domain::{Capability, CaseRecord, Move, Scope};
use grassroots_store::export::ExportedCase;
use grassroots_store::{CaseFilter, NewAttachment, RevealedPersonalData, User};
use uuid::Uuid;

use crate::{AppError, Platform, Result};

/// Reads individual cases: everyone but leaders, who work with aggregates (DESIGN §2).
pub fn require_case_work(user: &User) -> Result<()> {
    if user.role.may(Capability::WorkOnCases) {
        Ok(())
    } else {
        Err(AppError::lacks(Capability::WorkOnCases))
    }
}

/// Makes a move on a case within the staff member's scope.
pub async fn act(platform: &Platform, user: &User, id: Uuid, mv: &Move) -> Result<CaseRecord> {
    act_with_photos(platform, user, id, mv, Vec::new()).await
}

/// Makes a move with the photos it brings: the result of handling, shown beside the
/// resident's photos at verification (required where the category says so).
#[tracing::instrument(skip_all, fields(user = %user.username, case = %id, action = %mv.kind(), photos = photos.len()))]
pub async fn act_with_photos(
    platform: &Platform,
    user: &User,
    id: Uuid,
    mv: &Move,
    photos: Vec<NewAttachment>,
) -> Result<CaseRecord> {
    require_case_work(user)?;
    let reference = platform.reference();
    let ctx = platform.move_context(&reference, Utc::now());
    Ok(platform.store.apply_move_with_photos(&user.actor(), id, mv, &ctx, &photos).await?)
}

/// Registers a case and dispatches it to `unit` in one step, as a dispatcher taking the
/// suggested unit does: two moves, the second made only if the first was.
pub async fn register_and_dispatch(
    platform: &Platform,
    user: &User,
    id: Uuid,
    note: Option<String>,
    unit: &str,
) -> Result<CaseRecord> {
    act(platform, user, id, &Move::Register { note: note.clone() }).await?;
    act(platform, user, id, &Move::Dispatch { unit: unit.to_string(), co_units: Vec::new(), note }).await
}

/// At most this many cases are dispatched in one go.
pub const MAX_BATCH: usize = 200;

/// Dispatches several cases to one unit, each its own move (one refused leaves the others
/// dispatched); what became of each, in the order given.
pub async fn dispatch_many(
    platform: &Platform,
    user: &User,
    ids: &[Uuid],
    unit: &str,
    note: Option<String>,
) -> Result<Vec<(Uuid, Result<CaseRecord>)>> {
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "请勾选要派遣的案件", "choose the cases to dispatch"));
    }
    if ids.len() > MAX_BATCH {
        return Err(AppError::invalid(
            "ids",
            format!("一次最多派遣{MAX_BATCH}件"),
            format!("at most {MAX_BATCH} cases at once"),
        ));
    }
    if platform.reference().unit(unit).is_none() {
        return Err(AppError::invalid("unit", "请选择承办单位", "choose the unit"));
    }
    let mut done = Vec::with_capacity(ids.len());
    for id in ids {
        let mv = Move::Dispatch { unit: unit.to_string(), co_units: Vec::new(), note: note.clone() };
        done.push((*id, act(platform, user, *id, &mv).await));
    }
    Ok(done)
}

/// The id of the case with this tracking number within the staff member's scope, as a merge
/// names its target; a number outside the scope is no case.
pub async fn id_by_tracking_no(platform: &Platform, user: &User, tracking_no: &str) -> Result<Uuid> {
    find_by_tracking_no(platform, &user.scope, tracking_no)
        .await?
        .ok_or_else(|| AppError::invalid("into", "没有这个受理编号的案件", "no case has this tracking number"))
}

/// The id of the case with this tracking number within `scope`, if there is one.
pub async fn find_by_tracking_no(platform: &Platform, scope: &Scope, tracking_no: &str) -> Result<Option<Uuid>> {
    let no = tracking_no.trim();
    let filter = CaseFilter { text: Some(no.to_string()), limit: 5, ..Default::default() };
    let page = platform.store.list_cases(scope, &filter).await?;
    Ok(page.cases.into_iter().find(|c| c.record.tracking_no == no).map(|c| c.record.id))
}

/// Why personal data is needed, as the audit records it: 2 to 500 characters.
pub fn reveal_reason(reason: Option<&str>) -> Result<String> {
    let reason = reason.map(grassroots_domain::text::trimmed).unwrap_or_default();
    if !(2..=500).contains(&reason.chars().count()) {
        return Err(AppError::invalid(
            "reason",
            "请说明查看原因（2到500个字符）",
            "state why you need it (2 to 500 characters)",
        ));
    }
    Ok(reason.to_string())
}

fn require_reveal(user: &User) -> Result<()> {
    require_case_work(user)?;
    if !user.role.may(Capability::RevealPersonalData) {
        return Err(AppError::lacks(Capability::RevealPersonalData));
    }
    Ok(())
}

/// A reporter's name and phone, for a role that may see them, with a reason; audited.
#[tracing::instrument(skip_all, fields(user = %user.username, case = %id))]
pub async fn reveal(platform: &Platform, user: &User, id: Uuid, reason: Option<&str>) -> Result<RevealedPersonalData> {
    require_reveal(user)?;
    let reason = reveal_reason(reason)?;
    Ok(platform.store.reveal(&user.actor(), id, &reason, Utc::now()).await?)
}

/// Permission to export reporters in full: checked before the first byte of an export, since
/// a refusal once streaming could only cut the file short.
#[derive(Debug, Clone)]
pub struct FullExport {
    user: User,
    reason: String,
}

impl FullExport {
    pub fn allow(user: &User, reason: Option<&str>) -> Result<Self> {
        require_reveal(user)?;
        let reason = reveal_reason(reason).map_err(|_| {
            AppError::invalid(
                "reason",
                "导出完整个人信息须说明原因（2到500个字符）",
                "state why the full personal data is exported (2 to 500 characters)",
            )
        })?;
        Ok(Self { user: user.clone(), reason })
    }

    /// Replaces the masked reporters and descriptions of a page by the full ones, each case's
    /// reveal audited as a reveal on its page would be.
    pub async fn reveal_page(&self, platform: &Platform, page: &mut [ExportedCase]) -> Result<()> {
        let (actor, now) = (self.user.actor(), Utc::now());
        for case in page.iter_mut() {
            // An anonymous report has nothing sealed but what was masked in its text; a `*`
            // there may be a mask (or a star someone typed: then the reveal finds nothing).
            let may_hold_masked_text = case.description.contains('*');
            if case.is_anonymous() && !may_hold_masked_text {
                continue;
            }
            let full = platform.store.reveal(&actor, case.id, &self.reason, now).await?;
            case.reporter_name = full.name;
            case.reporter_phone = full.phone;
            if let Some(original) = full.texts.into_iter().find(|t| t.seq == 1 && t.field == "description") {
                case.description = original.text;
            }
        }
        Ok(())
    }
}
