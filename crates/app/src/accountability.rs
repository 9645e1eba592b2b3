//! 决议落实: a meeting's decisions and a vote's result carried out as tasks, followed in public
//! (公示) with their history; progress reported by staff of the place, with photos; overdue
//! tasks for supervisors. Called alike by the JSON API and the pages.

use chrono::{DateTime, Utc};
use grassroots_domain::accountability::{check_deadline, OwnerKind, MOST_MILESTONES};
use grassroots_domain::deliberation::{public_text, BODY_CHARS, TITLE_CHARS};
use grassroots_domain::Scope;
use grassroots_store::accountability::{NewTask, NewUpdate, Task};
use grassroots_store::{NewAttachment, PlaceFilter, User};
use uuid::Uuid;

use crate::fields::time;
use crate::{staff_places, AppError, Platform, Result};

const LISTED: i64 = 200;
const OWNER_CHARS: usize = 60;

use crate::may_run_participation as may_run;

/// A decision as staff write it down.
#[derive(Debug, Clone, Default)]
pub struct DecisionForm {
    pub title: String,
    /// `unit`, `committee` or `organisation`.
    pub owner_kind: String,
    pub owner: String,
    /// A day (`2026-12-31`, the end of it in Beijing) or an RFC 3339 time.
    pub deadline: String,
    /// Lines `2026-12-15 选址`: a due day and what is done by it.
    pub milestones: Vec<String>,
}

/// A decision checked into a task to set. A unit that carries it out is one of the platform's
/// (by id or name), so that its handlers report the progress.
pub(crate) fn decision(platform: &Platform, form: &DecisionForm, now: DateTime<Utc>) -> Result<NewTask> {
    let deadline = time("deadline", form.deadline.trim(), true)?;
    check_deadline(deadline, now)?;
    let milestones = form
        .milestones
        .iter()
        .filter(|m| !m.trim().is_empty())
        .map(|line| {
            let (day, title) = line.trim().split_once(char::is_whitespace).ok_or_else(|| {
                AppError::invalid(
                    "milestones",
                    "每行写“日期 节点”，如 2026-12-15 选址",
                    "one a line: a day and what, e.g. 2026-12-15 选址",
                )
            })?;
            Ok((public_text("milestones", title, TITLE_CHARS)?, time("milestones", day, true)?))
        })
        .collect::<Result<Vec<_>>>()?;
    if milestones.len() > MOST_MILESTONES {
        return Err(AppError::invalid(
            "milestones",
            format!("最多{MOST_MILESTONES}个节点"),
            format!("at most {MOST_MILESTONES} milestones"),
        ));
    }
    let owner_kind = OwnerKind::parse_field("owner_kind", &form.owner_kind)?;
    let (owner, owner_unit) = match owner_kind {
        OwnerKind::Unit => {
            let named = form.owner.trim();
            let reference = platform.reference();
            let by_id = reference.units.iter().find(|u| u.id == named);
            let by_name: Vec<_> = reference.units.iter().filter(|u| u.name_zh == named).collect();
            let unit = match (by_id, by_name.as_slice()) {
                (Some(unit), _) | (None, &[unit]) => unit,
                (None, []) => {
                    return Err(AppError::invalid(
                        "owner",
                        "没有这个单位，请从列表中选择",
                        "no such unit: choose one from the list",
                    ))
                }
                (None, _) => {
                    return Err(AppError::invalid(
                        "owner",
                        "有多个单位同名，请填写单位编号",
                        "several units have this name: give the unit's id",
                    ))
                }
            };
            (unit.name_zh.clone(), Some(unit.id.clone()))
        }
        OwnerKind::Committee | OwnerKind::Organisation => (public_text("owner", &form.owner, OWNER_CHARS)?, None),
    };
    Ok(NewTask {
        title: public_text("title", &form.title, TITLE_CHARS)?,
        owner_kind,
        owner,
        owner_unit,
        deadline,
        milestones,
    })
}

/// Sets a task carrying out a published vote's result.
pub async fn from_vote(platform: &Platform, staff: &User, vote: Uuid, form: &DecisionForm) -> Result<Task> {
    may_run(staff)?;
    let now = Utc::now();
    Ok(platform.store.add_vote_task(&staff.actor(), vote, &decision(platform, form, now)?, now).await?)
}

/// Every task (公示), nearest deadline first.
pub async fn public(platform: &Platform) -> Result<Vec<Task>> {
    Ok(platform.store.tasks(&PlaceFilter::Everywhere, LISTED).await?)
}

pub async fn get(platform: &Platform, id: Uuid) -> Result<Task> {
    platform.store.task(id).await?.ok_or(AppError::NotFound)
}

/// The tasks carrying out a meeting or a vote.
pub async fn of(platform: &Platform, source: Uuid) -> Result<Vec<Task>> {
    Ok(platform.store.tasks_of(source).await?)
}

/// The overdue tasks of the staff member's places, most overdue first (the supervisor's queue).
pub async fn overdue(platform: &Platform, staff: &User) -> Result<Vec<Task>> {
    may_run(staff)?;
    Ok(platform.store.overdue_tasks(&staff_places(staff), Utc::now(), LISTED).await?)
}

/// The tasks the staff member's unit owns and has not done (a handler's list); none for staff
/// of other scopes.
pub async fn owned(platform: &Platform, staff: &User) -> Result<Vec<Task>> {
    match &staff.scope {
        Scope::Unit { unit } => Ok(platform.store.tasks_owned_by(unit, LISTED).await?),
        Scope::All | Scope::Regions { .. } | Scope::Grids { .. } => Ok(Vec::new()),
    }
}

/// Whether the staff member reports this task's progress: staff of its place, or handlers of
/// the unit that owns it.
pub fn may_report(staff: &User, task: &Task) -> bool {
    task.done_at.is_none()
        && grassroots_domain::accountability::may_report(&staff.actor(), &task.region_code, task.owner_unit.as_deref())
}

/// How many of them there are, for the workbench.
pub async fn overdue_count(platform: &Platform, staff: &User) -> Result<u64> {
    may_run(staff)?;
    Ok(platform.store.count_overdue_tasks(&staff_places(staff), Utc::now()).await?)
}

/// Reports progress on a task, with a photo if taken: staff of its place, or handlers of the
/// unit that owns it (the store refuses anyone else as not found).
pub async fn report(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    note: &str,
    percent: i64,
    photo: Option<NewAttachment>,
) -> Result<Task> {
    let note = public_text("note", note, BODY_CHARS)?;
    let percent = u8::try_from(percent.clamp(-1, 101))
        .map_err(|_| AppError::invalid("percent", "完成比例应为0至100", "the share done is 0 to 100"))?;
    let update = NewUpdate { note, percent, photo };
    Ok(platform.store.report_progress(&staff.actor(), id, &update, Utc::now()).await?)
}

pub async fn complete_milestone(platform: &Platform, staff: &User, id: Uuid, position: usize) -> Result<Task> {
    Ok(platform.store.complete_milestone(&staff.actor(), id, position, Utc::now()).await?)
}

/// A progress photo, as anyone may see it (what the public sees of a decision carried out).
pub async fn photo(platform: &Platform, digest: &str) -> Result<(String, Vec<u8>)> {
    platform.store.task_photo(digest).await?.ok_or(AppError::NotFound)
}
