//! 队伍建设: a professional, stable grassroots workforce. Staff profiles (post, start, age band,
//! qualification), training, the appraisal a supervisor completes against stated indicators
//! (the platform shows its figures beside, it does not invent the mark), staffing against the
//! district's standard (合理设岗、科学定编), turnover and tenure, and what counts as work outside
//! working hours.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{beijing, WorkCalendar};
use crate::case::coded_enum;
use crate::FieldError;

coded_enum! {
    /// A community post.
    Post {
        PartySecretary = "party_secretary" / "社区党组织书记" / "party secretary",
        Director = "director" / "居委会主任" / "committee director",
        CommunityWorker = "community_worker" / "社区专职工作者" / "community worker",
        GridWorker = "grid_worker" / "专职网格员" / "grid worker",
        SocialWorker = "social_worker" / "社会工作者" / "social worker",
    }
}

coded_enum! {
    /// The national social-work qualification (社会工作者职业资格).
    WorkerQualification {
        None = "none" / "无" / "none",
        Assistant = "assistant" / "助理社会工作师" / "assistant social worker",
        Social = "social" / "社会工作师" / "social worker",
        Senior = "senior" / "高级社会工作师" / "senior social worker",
    }
}

coded_enum! {
    /// An age band: staff figures show bands, never birth years.
    AgeBand {
        Under30 = "under_30" / "30岁以下" / "under 30",
        Thirties = "30s" / "30至39岁" / "30 to 39",
        Forties = "40s" / "40至49岁" / "40 to 49",
        Over50 = "50_plus" / "50岁及以上" / "50 and over",
    }
}

impl AgeBand {
    pub fn of(birth_year: i32, year: i32) -> Self {
        match year - birth_year {
            ..30 => Self::Under30,
            30..40 => Self::Thirties,
            40..50 => Self::Forties,
            _ => Self::Over50,
        }
    }
}

coded_enum! {
    /// How a cadre of an agency serves in a community.
    SecondmentKind {
        Sent = "sent" / "机关干部下沉" / "sent down from an agency",
        Attached = "attached" / "挂职锻炼" / "attached for training",
    }
}

/// A birth year of someone of working age.
pub fn check_birth_year(year: i32, today: NaiveDate) -> Result<i32, FieldError> {
    match (16..=75).contains(&(today.year() - year)) {
        true => Ok(year),
        false => Err(FieldError::new("birth_year", "出生年份应使年龄在16至75岁之间", "an age of 16 to 75")),
    }
}

/// The appraisal's indicators (考核指标) with their weights in percent: what the supervisor
/// scores, each 0 to 100.
pub const INDICATORS: [(&str, &str, &str, u32); 4] = [
    ("conduct", "职业道德与工作作风", "conduct", 20),
    ("results", "工作实绩（参考平台办件、走访和巡查数据）", "results (the platform's figures shown beside)", 40),
    ("residents", "群众满意度（参考评价数据）", "residents' satisfaction (evaluations shown beside)", 30),
    ("learning", "学习培训", "training", 10),
];

coded_enum! {
    /// The appraisal's grade from its weighted total.
    AppraisalGrade {
        Excellent = "excellent" / "优秀" / "excellent",
        Competent = "competent" / "称职" / "competent",
        Basic = "basic" / "基本称职" / "basically competent",
        Incompetent = "incompetent" / "不称职" / "not competent",
    }
}

/// The weighted total of the supervisor's scores, in tenths, and its grade. Scores are whole
/// numbers 0 to 100, one per indicator.
pub fn appraise(scores: &[u32]) -> Result<(u32, AppraisalGrade), FieldError> {
    if scores.len() != INDICATORS.len() || scores.iter().any(|s| *s > 100) {
        return Err(FieldError::new(
            "scores",
            format!("请为{}项指标各打0至100分", INDICATORS.len()),
            format!("score each of the {} indicators 0 to 100", INDICATORS.len()),
        ));
    }
    let tenths: u32 = scores.iter().zip(INDICATORS).map(|(s, (_, _, _, w))| s * w).sum::<u32>() / 10;
    let grade = match tenths {
        900.. => AppraisalGrade::Excellent,
        700..900 => AppraisalGrade::Competent,
        600..700 => AppraisalGrade::Basic,
        _ => AppraisalGrade::Incompetent,
    };
    Ok((tenths, grade))
}

/// The district's staffing standard (定编标准): households per community worker, and workers
/// per grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffingStandard {
    pub households_per_worker: i64,
    pub workers_per_grid: i64,
}

impl StaffingStandard {
    /// Beijing's common practice: a community worker per 300 households, a grid worker per grid.
    pub const DEFAULT: Self = Self { households_per_worker: 300, workers_per_grid: 1 };

    pub fn check(self) -> Result<Self, FieldError> {
        match (50..=2000).contains(&self.households_per_worker) && (1..=5).contains(&self.workers_per_grid) {
            true => Ok(self),
            false => Err(FieldError::new(
                "standard",
                "每名社区工作者服务50至2000户，每个网格1至5名网格员",
                "50 to 2000 households a worker, 1 to 5 workers a grid",
            )),
        }
    }

    /// The posts a community needs: its community workers by households and its grid workers by
    /// grids.
    pub fn needed(self, households: i64, grids: i64) -> (i64, i64) {
        let workers = (households + self.households_per_worker - 1) / self.households_per_worker;
        (workers, grids * self.workers_per_grid)
    }
}

/// Work outside working hours as the calendar knows them: a day off, or before 9:00 or from
/// 18:00 on a working day (Beijing time).
pub fn after_hours(at: DateTime<Utc>, calendar: &WorkCalendar) -> bool {
    let local = at.with_timezone(&beijing());
    !calendar.is_working_day(local.date_naive()) || local.hour() < 9 || local.hour() >= 18
}

/// Whole years from `from` to `to`.
pub fn years_between(from: NaiveDate, to: NaiveDate) -> f64 {
    ((to - from).num_days().max(0) as f64 / 365.25 * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_and_birth_years() {
        assert_eq!(AgeBand::of(1997, 2026), AgeBand::Under30);
        assert_eq!(AgeBand::of(1996, 2026), AgeBand::Thirties);
        assert_eq!(AgeBand::of(1976, 2026), AgeBand::Over50);
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert!(check_birth_year(1980, today).is_ok());
        assert_eq!(check_birth_year(2015, today).unwrap_err().field, "birth_year");
    }

    #[test]
    fn the_appraisal_weighs_the_supervisor_s_scores() {
        assert_eq!(appraise(&[90, 90, 90, 90]).unwrap(), (900, AppraisalGrade::Excellent));
        assert_eq!(appraise(&[80, 70, 60, 100]).unwrap(), (720, AppraisalGrade::Competent));
        assert_eq!(appraise(&[50, 50, 50, 50]).unwrap().1, AppraisalGrade::Incompetent);
        assert_eq!(appraise(&[90, 90, 90]).unwrap_err().field, "scores");
        assert_eq!(appraise(&[90, 90, 90, 101]).unwrap_err().field, "scores");
        assert_eq!(INDICATORS.iter().map(|i| i.3).sum::<u32>(), 100);
    }

    #[test]
    fn staffing_follows_the_standard() {
        let standard = StaffingStandard::DEFAULT.check().unwrap();
        assert_eq!(standard.needed(1250, 6), (5, 6));
        assert_eq!(standard.needed(0, 0), (0, 0));
        assert!(StaffingStandard { households_per_worker: 10, workers_per_grid: 1 }.check().is_err());
    }

    #[test]
    fn after_hours_follows_the_calendar() {
        let calendar = WorkCalendar::new(WorkCalendar::builtin_days());
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!after_hours(at("2026-12-02T10:00:00+08:00"), &calendar), "a Wednesday morning");
        assert!(after_hours(at("2026-12-02T19:30:00+08:00"), &calendar), "a Wednesday evening");
        assert!(after_hours(at("2026-12-05T10:00:00+08:00"), &calendar), "a Saturday");
        assert_eq!(
            years_between(NaiveDate::from_ymd_opt(2020, 12, 5).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()),
            6.0
        );
    }
}
