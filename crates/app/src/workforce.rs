//! 队伍建设: supervisors keep the profiles of their places' community staff, their training and
//! the yearly appraisal against stated indicators, with each person's work as the platform
//! recorded it shown beside (cases handled and on time, residents' satisfaction, visits,
//! patrol reports, work outside working hours); the district sets its staffing standard and
//! everyone who reads statistics sees posts needed and filled, vacancies, turnover and tenure;
//! cadres sent down from agencies are recorded with their work. The rules are
//! `grassroots_domain::workforce`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use grassroots_domain::workforce::{
    after_hours, appraise, check_birth_year, years_between, AgeBand, Post, SecondmentKind, StaffingStandard,
    WorkerQualification,
};
use grassroots_domain::{Capability, RegionCode, RegionLevel};
use grassroots_store::workforce::{
    Appraisal, CommunityStaffing, NewProfile, NewSecondment, Secondment, StaffProfile, Training, TrainingAttended,
    WorkRecord,
};
use grassroots_store::{PlaceFilter, StoreError, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::{require, AppError, Platform, Result};

/// A profile as a form sets it.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub community_code: String,
    pub post: String,
    pub started_on: String,
    pub birth_year: String,
    pub qualification: String,
}

/// One person's work over a period, with what the figures are made of.
#[derive(Debug, Clone)]
pub struct PersonWork {
    pub profile: StaffProfile,
    pub age_band: AgeBand,
    pub tenure_years: f64,
    pub work: WorkRecord,
    /// Moves made outside working hours.
    pub after_hours: i64,
}

/// A team's work over a period.
#[derive(Debug, Clone)]
pub struct TeamWork {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub people: Vec<PersonWork>,
    pub total: WorkRecord,
    pub after_hours: i64,
}

/// One person's page: their work, training and appraisals.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub work: PersonWork,
    pub trainings: Vec<TrainingAttended>,
    pub appraisals: Vec<Appraisal>,
}

/// A community's staffing against the standard.
#[derive(Debug, Clone)]
pub struct StaffingLine {
    pub counts: CommunityStaffing,
    pub needed_workers: i64,
    pub needed_grid_workers: i64,
    pub vacancies: i64,
}

/// The staffing of the reader's places.
#[derive(Debug, Clone)]
pub struct StaffingView {
    pub standard: StaffingStandard,
    pub district: String,
    pub lines: Vec<StaffingLine>,
    /// Staff who left in the last year, of those in post now and those who left.
    pub turnover: Option<f64>,
    pub mean_tenure_years: Option<f64>,
}

fn may_manage(staff: &User) -> Result<()> {
    require(staff, Capability::ManageWorkforce)
}

fn day(field: &'static str, raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "日期格式应为YYYY-MM-DD", "expected a date YYYY-MM-DD"))
}

fn half_hours(raw: &str) -> Result<u32> {
    Ok(grassroots_domain::party::check_hours(raw)?)
}

/// The staff account named (404 when there is none).
async fn account(platform: &Platform, username: &str) -> Result<User> {
    let found = platform.store.user_by_username(username.trim()).await?.ok_or(AppError::NotFound)?;
    Ok(found.user)
}

/// Sets the profile of a staff member working in a community the manager holds.
pub async fn set_profile(platform: &Platform, staff: &User, username: &str, form: ProfileForm) -> Result<StaffProfile> {
    may_manage(staff)?;
    let person = account(platform, username).await?;
    let community = RegionCode::parse(&form.community_code)
        .ok()
        .filter(|c| c.level() == RegionLevel::Community)
        .ok_or_else(|| AppError::invalid("community_code", "请选择社区", "choose a community"))?;
    let today = crate::care::today();
    let started_on = day("started_on", &form.started_on)?;
    if started_on > today {
        return Err(AppError::invalid("started_on", "入职日期不能晚于今天", "a start not after today"));
    }
    let birth_year = form
        .birth_year
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::invalid("birth_year", "请填写出生年份", "the year of birth"))?;
    let new = NewProfile {
        community_code: community.as_str().to_string(),
        post: Post::parse_field("post", &form.post)?,
        started_on,
        birth_year: check_birth_year(birth_year, today)?,
        qualification: WorkerQualification::parse_field("qualification", &form.qualification)?,
    };
    match platform.store.set_profile(&staff.actor(), person.id, &new, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("community_code", "只能管理您负责社区的人员", "staff of your own communities"))
        }
        set => Ok(set?),
    }
}

/// Records that a staff member left their post.
pub async fn leave(platform: &Platform, staff: &User, username: &str, on: &str, reason: &str) -> Result<()> {
    may_manage(staff)?;
    let person = account(platform, username).await?;
    let on = day("left_on", on)?;
    let reason = short_text("reason", reason, 200)?;
    Ok(platform.store.staff_leaves(&staff.actor(), person.id, on, &reason, Utc::now()).await?)
}

/// The period asked for: the last 30 days by default, at most a year.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => crate::fields::time("to", t, true)?,
        None => crate::fields::time("to", &crate::care::today().to_string(), true)?,
    };
    let from = match from.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => crate::fields::time("from", f, false)?,
        None => to - Duration::days(30),
    };
    if from >= to || to - from > Duration::days(366) {
        return Err(AppError::invalid("from", "时段应在一年之内", "a period of at most a year"));
    }
    Ok((from, to))
}

async fn person_work(
    platform: &Platform,
    profile: StaffProfile,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<PersonWork> {
    let work = platform.store.work_record(profile.user_id, from, to).await?;
    let calendar = &platform.reference().calendar;
    let after = work.move_times.iter().filter(|t| after_hours(**t, calendar)).count();
    let today = crate::care::today();
    Ok(PersonWork {
        age_band: AgeBand::of(profile.birth_year, today.year()),
        tenure_years: years_between(profile.started_on, profile.left_on.unwrap_or(today)),
        after_hours: i64::try_from(after).unwrap_or(i64::MAX),
        work,
        profile,
    })
}

/// The work of the manager's places' staff in post over a period, each and in all.
pub async fn team(platform: &Platform, staff: &User, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<TeamWork> {
    may_manage(staff)?;
    let profiles = platform.store.profiles(&crate::staff_places(staff)).await?;
    let mut people = Vec::new();
    let (mut total, mut after) = (WorkRecord::default(), 0);
    for profile in profiles.into_iter().filter(|p| p.left_on.is_none()) {
        let person = person_work(platform, profile, from, to).await?;
        let w = &person.work;
        total.moves += w.moves;
        total.handled += w.handled;
        total.handled_on_time += w.handled_on_time;
        total.evaluated += w.evaluated;
        total.satisfied += w.satisfied;
        total.patrol_reports += w.patrol_reports;
        total.visits += w.visits;
        total.households_visited += w.households_visited;
        after += person.after_hours;
        people.push(person);
    }
    Ok(TeamWork { from, to, people, total, after_hours: after })
}

/// One person of the manager's places: their work, training and appraisals.
pub async fn person(
    platform: &Platform,
    staff: &User,
    username: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<PersonView> {
    may_manage(staff)?;
    let account = account(platform, username).await?;
    let profile = platform.store.profile(account.id).await?;
    let profile = profile.filter(|p| staff.scope.covers_place(&p.community_code)).ok_or(AppError::NotFound)?;
    let (trainings, appraisals) =
        tokio::try_join!(platform.store.trainings_of(account.id), platform.store.appraisals_of(account.id))?;
    Ok(PersonView { work: person_work(platform, profile, from, to).await?, trainings, appraisals })
}

/// The year's appraisal of a person of the manager's places: a score per indicator, the
/// weighted total and grade from the domain's rule, and the comment.
pub async fn appraise_person(
    platform: &Platform,
    staff: &User,
    username: &str,
    year: &str,
    scores: &[String],
    comment: &str,
) -> Result<Appraisal> {
    may_manage(staff)?;
    let account = account(platform, username).await?;
    let today = crate::care::today();
    let year = year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (today.year() - 1..=today.year()).contains(y))
        .ok_or_else(|| AppError::invalid("year", "考核年度应为今年或去年", "this year or last"))?;
    let scores = scores
        .iter()
        .map(|s| s.trim().parse::<u32>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| AppError::invalid("scores", "分数应为0至100的整数", "whole numbers 0 to 100"))?;
    let (total_tenths, grade) = appraise(&scores)?;
    let appraisal = Appraisal {
        user_id: account.id,
        year,
        scores,
        total_tenths,
        grade,
        comment: short_text("comment", comment, 500)?,
        appraised_at: Utc::now(),
    };
    Ok(platform.store.keep_appraisal(&staff.actor(), &appraisal, Utc::now()).await?)
}

/// A training held in a place the manager holds.
pub async fn add_training(
    platform: &Platform,
    staff: &User,
    region: &str,
    title: &str,
    held_on: &str,
    hours: &str,
) -> Result<Training> {
    may_manage(staff)?;
    let region = RegionCode::parse(region).map_err(|e| grassroots_domain::FieldError { field: "region_code", ..e })?;
    let held_on = day("held_on", held_on)?;
    let (title, hours) = (short_text("title", title, 100)?, half_hours(hours)?);
    match platform.store.add_training(&staff.actor(), region.as_str(), &title, held_on, hours, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("region_code", "只能为您负责的地区组织培训", "your own places"))
        }
        added => Ok(added?),
    }
}

/// The trainings of the manager's places.
pub async fn trainings(platform: &Platform, staff: &User) -> Result<Vec<Training>> {
    may_manage(staff)?;
    Ok(platform.store.trainings(&crate::staff_places(staff), 200).await?)
}

/// Records that a person of the manager's places attended a training of their places.
pub async fn attend(
    platform: &Platform,
    staff: &User,
    training: Uuid,
    username: &str,
    certificate: Option<&str>,
) -> Result<()> {
    may_manage(staff)?;
    let held = trainings(platform, staff).await?;
    if !held.iter().any(|t| t.id == training) {
        return Err(AppError::NotFound);
    }
    let account = account(platform, username).await?;
    let profile = platform.store.profile(account.id).await?;
    if !profile.is_some_and(|p| staff.scope.covers_place(&p.community_code)) {
        return Err(AppError::invalid("username", "只能登记您负责社区的人员", "staff of your own communities"));
    }
    let certificate =
        certificate.map(str::trim).filter(|c| !c.is_empty()).map(|c| short_text("certificate", c, 60)).transpose()?;
    Ok(platform.store.record_attendance(training, account.id, certificate.as_deref()).await?)
}

/// Sets the staffing standard of a district the manager holds.
pub async fn set_standard(
    platform: &Platform,
    staff: &User,
    district: &str,
    households: &str,
    per_grid: &str,
) -> Result<StaffingStandard> {
    may_manage(staff)?;
    let district = RegionCode::parse(district)
        .ok()
        .filter(|d| d.level() == RegionLevel::County)
        .ok_or_else(|| AppError::invalid("district_code", "请选择区", "choose a district"))?;
    let number = |field: &'static str, raw: &str| {
        raw.trim().parse::<i64>().map_err(|_| AppError::invalid(field, "请填写整数", "a whole number"))
    };
    let standard = StaffingStandard {
        households_per_worker: number("households_per_worker", households)?,
        workers_per_grid: number("workers_per_grid", per_grid)?,
    }
    .check()?;
    match platform.store.set_staffing_standard(&staff.actor(), district.as_str(), standard, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("district_code", "只有区级可以设定编制标准", "the district sets it"))
        }
        done => {
            done?;
            Ok(standard)
        }
    }
}

/// The staffing of the reader's places against their district's standard (the common one when
/// it set none): posts needed and filled, vacancies, turnover and tenure. Leaders read it.
pub async fn staffing(platform: &Platform, staff: &User) -> Result<StaffingView> {
    require(staff, Capability::ViewStatistics)?;
    let places = crate::staff_places(staff);
    let district = match &places {
        PlaceFilter::Within(p) | PlaceFilter::Of(p) => {
            p.first().and_then(|c| c.get(..6)).unwrap_or_default().to_string()
        }
        PlaceFilter::Everywhere => {
            platform.atlas().served_districts().next().map(|d| d.code.as_str().to_string()).unwrap_or_default()
        }
    };
    let today = crate::care::today();
    let (standard, counts, profiles) = tokio::try_join!(
        platform.store.staffing_standard(&district),
        platform.store.staffing(&places, today),
        platform.store.profiles(&places),
    )?;
    let standard = standard.unwrap_or(StaffingStandard::DEFAULT);
    let lines: Vec<StaffingLine> = counts
        .into_iter()
        .map(|c| {
            let (needed_workers, needed_grid_workers) = standard.needed(c.households, c.grids);
            let vacancies = (needed_workers - c.workers).max(0) + (needed_grid_workers - c.grid_workers).max(0);
            StaffingLine { needed_workers, needed_grid_workers, vacancies, counts: c }
        })
        .collect();
    let in_post = profiles.iter().filter(|p| p.left_on.is_none()).count();
    let left: i64 = lines.iter().map(|l| l.counts.left_last_year).sum();
    let base = in_post as i64 + left;
    let tenures: Vec<f64> =
        profiles.iter().filter(|p| p.left_on.is_none()).map(|p| years_between(p.started_on, today)).collect();
    Ok(StaffingView {
        standard,
        district,
        lines,
        turnover: (base > 0).then(|| left as f64 / base as f64),
        mean_tenure_years: (!tenures.is_empty()).then(|| tenures.iter().sum::<f64>() / tenures.len() as f64),
    })
}

/// A cadre as a form records them.
#[derive(Debug, Clone, Default)]
pub struct SecondmentForm {
    pub community_code: String,
    pub name: String,
    pub home_unit: String,
    /// `sent` or `attached`.
    pub kind: String,
    pub from_on: String,
    pub to_on: String,
}

/// A cadre sent down from an agency, or attached, serving in a community the manager holds.
pub async fn add_secondment(platform: &Platform, staff: &User, form: SecondmentForm) -> Result<Secondment> {
    may_manage(staff)?;
    let community = RegionCode::parse(&form.community_code)
        .ok()
        .filter(|c| c.level() == RegionLevel::Community)
        .ok_or_else(|| AppError::invalid("community_code", "请选择社区", "choose a community"))?;
    let (from_on, to_on) = (day("from_on", &form.from_on)?, day("to_on", &form.to_on)?);
    if to_on < from_on {
        return Err(AppError::invalid("to_on", "结束日期应不早于开始日期", "the end falls on or after the start"));
    }
    let new = NewSecondment {
        community_code: community.as_str().to_string(),
        name: short_text("name", &form.name, 30)?,
        home_unit: short_text("home_unit", &form.home_unit, 60)?,
        kind: SecondmentKind::parse_field("kind", &form.kind)?,
        from_on,
        to_on,
    };
    match platform.store.add_secondment(&staff.actor(), &new, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("community_code", "只能登记您负责的社区", "your own communities"))
        }
        added => Ok(added?),
    }
}

/// What a cadre did in the community, on a day of their period.
pub async fn record_work(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    on: &str,
    what: &str,
    hours: &str,
) -> Result<Secondment> {
    may_manage(staff)?;
    let (on, what, hours) = (day("done_on", on)?, short_text("what", what, 200)?, half_hours(hours)?);
    Ok(platform.store.record_secondment_work(&staff.actor(), id, on, &what, hours).await?)
}

/// The cadres serving in the manager's places.
pub async fn secondments(platform: &Platform, staff: &User) -> Result<Vec<Secondment>> {
    may_manage(staff)?;
    Ok(platform.store.secondments(&crate::staff_places(staff)).await?)
}
