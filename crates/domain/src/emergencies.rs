//! 应急管理: an incident's kind, response level and area; the plan (预案) it activates, from the
//! shipped templates; the house-by-house check (逐户排查) with each household's status and the
//! progress of a grid; shelters and supplies that never go below nothing or past capacity; and
//! the after-action summary drawn from the log and the figures when it closes. A drill runs
//! the same flow without texting residents.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::reference::Unit;
use crate::text::trimmed;
use crate::{free_text, FieldError, RegionLevel};

coded_enum! {
    /// What happened.
    IncidentKind {
        Flood = "flood" / "暴雨洪涝" / "rainstorm and flood",
        Fire = "fire" / "火灾" / "fire",
        Gas = "gas" / "燃气泄漏" / "gas leak",
        PublicHealth = "public_health" / "公共卫生事件" / "public health",
        PowerCut = "power_cut" / "停电停水" / "power or water cut",
        ExtremeWeather = "extreme_weather" / "极端天气（寒潮、高温、大风）" / "extreme weather (cold, heat, wind)",
    }
}

coded_enum! {
    /// The response level (应急响应级别), lowest first (the order compares them).
    Severity {
        IV = "iv" / "Ⅳ级（一般，蓝色）" / "level IV (ordinary, blue)",
        III = "iii" / "Ⅲ级（较大，黄色）" / "level III (serious, yellow)",
        II = "ii" / "Ⅱ级（重大，橙色）" / "level II (major, orange)",
        I = "i" / "Ⅰ级（特别重大，红色）" / "level I (extraordinary, red)",
    }
}

coded_enum! {
    /// What the house-by-house check found of a household.
    HouseholdStatus {
        Safe = "safe" / "安全" / "safe",
        NeedsHelp = "needs_help" / "需要帮助" / "needs help",
        NotReached = "not_reached" / "未联系上" / "not reached",
        MovedOut = "moved_out" / "已搬离或不在家" / "moved out or away",
    }
}

coded_enum! {
    /// Who a task of a plan is for.
    Assignee {
        GridWorkers = "grid_workers" / "网格员" / "the grid workers",
        Community = "community" / "社区居委会" / "the community committee",
        StreetOffice = "street_office" / "街道办事处" / "the street office",
        Department = "department" / "区职能部门" / "the district's departments",
        CommandCentre = "command_centre" / "区指挥中心" / "the district's command centre",
    }
}

/// A task of a plan template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTask {
    pub kind: IncidentKind,
    pub assignee: Assignee,
    pub title: String,
}

/// The plan templates (预案) shipped with the platform: `kind,assignee,task` a line, checked
/// whole: a bad line names itself.
pub fn parse_plans(csv: &str) -> Result<Vec<PlanTask>, String> {
    let mut tasks = Vec::new();
    for (n, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut cells = line.splitn(3, ',');
        let (kind, assignee, title) = (cells.next(), cells.next(), cells.next());
        let bad = |why: &str| format!("line {}: {why}", n + 1);
        let kind = kind.and_then(|k| IncidentKind::parse(k.trim())).ok_or_else(|| bad("unknown incident kind"))?;
        let assignee = assignee.and_then(|a| Assignee::parse(a.trim())).ok_or_else(|| bad("unknown assignee"))?;
        let title = title.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| bad("no task"))?;
        tasks.push(PlanTask { kind, assignee, title: title.to_string() });
    }
    Ok(tasks)
}

/// The plans shipped in `data/emergency-plans.csv`.
pub fn builtin_plans() -> Vec<PlanTask> {
    parse_plans(include_str!("../../../data/emergency-plans.csv")).unwrap_or_default()
}

/// A task of an incident's plan, with the unit it falls to where the plan names a kind of unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    pub assignee: Assignee,
    pub unit_id: Option<String>,
    pub title: String,
}

/// The tasks of the plan of `kind` for an area of `grids`: a street office's once for each
/// street of the area, given to that street's office; the command centre's to the district's;
/// the others as the plan says them.
pub fn plan_for(plans: &[PlanTask], kind: IncidentKind, grids: &[String], units: &[Unit]) -> Vec<PlannedTask> {
    let mut streets: Vec<&str> = grids.iter().filter_map(|g| g.get(..RegionLevel::Township.digits())).collect();
    streets.dedup();
    let district = grids.first().and_then(|g| g.get(..RegionLevel::County.digits())).unwrap_or_default();
    let unit_of = |unit_kind: &str, region: &str| {
        units.iter().find(|u| u.kind == unit_kind && u.region_code == region).map(|u| u.id.clone())
    };
    let task =
        |t: &PlanTask, unit_id: Option<String>| PlannedTask { assignee: t.assignee, unit_id, title: t.title.clone() };
    plans
        .iter()
        .filter(|t| t.kind == kind)
        .flat_map(|t| match t.assignee {
            Assignee::StreetOffice => streets.iter().map(|s| task(t, unit_of("street_office", s))).collect(),
            Assignee::CommandCentre => vec![task(t, unit_of("command_centre", district))],
            Assignee::GridWorkers | Assignee::Community | Assignee::Department => vec![task(t, None)],
        })
        .collect()
}

/// The longest title of an incident, text of a notice or entry of the log.
pub const TEXT_CHARS: usize = 300;

/// A title, notice or log entry: 2 to 300 characters, without phone or ID numbers (notices go
/// to many phones; the log is read by all who command).
pub fn check_text(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let text = trimmed(raw);
    let chars = text.chars().count();
    if !(2..=TEXT_CHARS).contains(&chars) || !free_text::find(text).is_empty() {
        return Err(FieldError::new(
            field,
            format!("请填写2到{TEXT_CHARS}个字符，不写电话或证件号"),
            format!("write 2 to {TEXT_CHARS} characters, no phone or ID numbers"),
        ));
    }
    Ok(text.to_string())
}

/// The text of a notice as it is sent: who sends it, and a drill said to be one.
pub fn notice_text(text: &str, drill: bool) -> String {
    format!("【基层治理·应急{}】{text}", if drill { "演练" } else { "" })
}

/// The most corners an area drawn on the map may have.
pub const MAX_CORNERS: usize = 200;

/// Checks an area drawn on the map: 3 to 200 corners of longitude and latitude within
/// Beijing's bounds.
pub fn check_polygon(corners: &[(f64, f64)]) -> Result<(), FieldError> {
    let in_beijing = |(lng, lat): &(f64, f64)| (115.4..=117.6).contains(lng) && (39.4..=41.1).contains(lat);
    match (3..=MAX_CORNERS).contains(&corners.len()) && corners.iter().all(in_beijing) {
        true => Ok(()),
        false => Err(FieldError::new(
            "polygon",
            format!("区域应为北京市内3到{MAX_CORNERS}个点（经度,纬度）"),
            format!("the area is 3 to {MAX_CORNERS} corners (lng, lat) within Beijing"),
        )),
    }
}

/// Checks a shelter's capacity and how many it holds: never past capacity, never below none.
pub fn check_occupancy(capacity: i64, occupancy: i64) -> Result<(), FieldError> {
    match capacity > 0 && (0..=capacity).contains(&occupancy) {
        true => Ok(()),
        false => Err(FieldError::new(
            "occupancy",
            format!("安置人数应在0到容量{capacity}之间"),
            format!("those sheltered are between 0 and the capacity, {capacity}"),
        )),
    }
}

/// The stock a change of supplies leaves, or why it cannot be made: never below nothing.
pub fn stock_after(stock: i64, change: i64) -> Result<i64, FieldError> {
    match stock.checked_add(change).filter(|s| *s >= 0) {
        Some(after) => Ok(after),
        None => Err(FieldError::new(
            "change",
            format!("库存只有{stock}，不能减少{}", -change),
            format!("only {stock} in stock: cannot take {}", -change),
        )),
    }
}

/// A grid's (or a community's, or the area's) households and what the check found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub households: i64,
    pub safe: i64,
    pub needs_help: i64,
    pub not_reached: i64,
    pub moved_out: i64,
}

impl Progress {
    /// Households with a status.
    pub fn checked(&self) -> i64 {
        self.safe + self.needs_help + self.not_reached + self.moved_out
    }

    /// Checked of all, in whole percent (0 for none).
    pub fn percent(&self) -> i64 {
        match self.households {
            0 => 0,
            n => self.checked() * 100 / n,
        }
    }

    pub fn add(&mut self, other: &Progress) {
        self.households += other.households;
        self.safe += other.safe;
        self.needs_help += other.needs_help;
        self.not_reached += other.not_reached;
        self.moved_out += other.moved_out;
    }
}

/// What the after-action summary (复盘总结) is drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryFacts {
    pub kind: IncidentKind,
    pub severity: Severity,
    pub drill: bool,
    pub started_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
    pub grids: usize,
    pub progress: Progress,
    pub tasks: i64,
    pub tasks_done: i64,
    /// Texts queued, sent, failed.
    pub alerts: (i64, i64, i64),
    /// The most sheltered at once over all shelters, and their capacity.
    pub sheltered_peak: i64,
    pub shelter_capacity: i64,
    /// Supplies handed out: (item, unit, amount).
    pub supplies_used: Vec<(String, String, i64)>,
    pub log_entries: usize,
}

/// A line of the summary, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryLine {
    pub zh: String,
    pub en: String,
}

/// The after-action summary: what happened, for how long, what the check found, what was done
/// and what was left, from the figures alone (no judgement the platform cannot make).
pub fn summarise(f: &SummaryFacts) -> Vec<SummaryLine> {
    let line = |zh: String, en: String| SummaryLine { zh, en };
    let hours = (f.closed_at - f.started_at).num_minutes() as f64 / 60.0;
    let p = &f.progress;
    let mut lines = vec![
        line(
            format!(
                "{}{}，{}，响应{hours:.1}小时，涉及{}个网格{}户。",
                if f.drill { "【演练】" } else { "" },
                f.kind.label_zh(),
                f.severity.label_zh(),
                f.grids,
                p.households
            ),
            format!(
                "{}{}, {}, a response of {hours:.1} hours over {} grids and {} households.",
                if f.drill { "[Drill] " } else { "" },
                f.kind.label_en(),
                f.severity.label_en(),
                f.grids,
                p.households
            ),
        ),
        line(
            format!(
                "逐户排查{}户（{}%）：安全{}户，需要帮助{}户，未联系上{}户，已搬离或不在家{}户；未排查{}户。",
                p.checked(),
                p.percent(),
                p.safe,
                p.needs_help,
                p.not_reached,
                p.moved_out,
                p.households - p.checked()
            ),
            format!(
                "House by house, {} checked ({}%): {} safe, {} needing help, {} not reached, {} away; {} not checked.",
                p.checked(),
                p.percent(),
                p.safe,
                p.needs_help,
                p.not_reached,
                p.moved_out,
                p.households - p.checked()
            ),
        ),
        line(
            format!("任务{}项，完成{}项，未完成{}项。", f.tasks, f.tasks_done, f.tasks - f.tasks_done),
            format!("{} tasks, {} done, {} left open.", f.tasks, f.tasks_done, f.tasks - f.tasks_done),
        ),
        line(
            format!("通知短信{}条，已发送{}条，失败{}条。", f.alerts.0, f.alerts.1, f.alerts.2),
            format!("{} texts queued, {} sent, {} failed.", f.alerts.0, f.alerts.1, f.alerts.2),
        ),
    ];
    if f.shelter_capacity > 0 {
        lines.push(line(
            format!("避难场所最多安置{}人（容量{}人）。", f.sheltered_peak, f.shelter_capacity),
            format!("Shelters held at most {} people (capacity {}).", f.sheltered_peak, f.shelter_capacity),
        ));
    }
    if !f.supplies_used.is_empty() {
        let zh: Vec<String> = f.supplies_used.iter().map(|(item, unit, n)| format!("{item}{n}{unit}")).collect();
        let en: Vec<String> = f.supplies_used.iter().map(|(item, unit, n)| format!("{n} {unit} of {item}")).collect();
        lines.push(line(format!("发放物资：{}。", zh.join("、")), format!("Supplies handed out: {}.", en.join(", "))));
    }
    lines.push(line(
        format!("指挥日志{}条，见下。", f.log_entries),
        format!("{} entries in the log, below.", f.log_entries),
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_plans_have_tasks_for_every_kind() {
        let plans = builtin_plans();
        for kind in IncidentKind::ALL {
            assert!(plans.iter().any(|t| t.kind == *kind && t.assignee == Assignee::GridWorkers), "{kind:?}");
        }
        assert_eq!(parse_plans("kind,assignee,task\nflood,grid_workers,").unwrap_err(), "line 2: no task");
        assert_eq!(
            parse_plans("kind,assignee,task\nquake,grid_workers,x").unwrap_err(),
            "line 2: unknown incident kind"
        );
    }

    #[test]
    fn a_street_office_s_task_goes_to_each_street_s_office_and_the_command_centre_s_to_the_district_s() {
        let unit = |id: &str, kind: &str, region: &str| Unit {
            id: id.into(),
            name_zh: id.into(),
            name_en: id.into(),
            kind: kind.into(),
            region_code: region.into(),
        };
        let units = [
            unit("office-1", "street_office", "110101001"),
            unit("office-2", "street_office", "110101002"),
            unit("centre", "command_centre", "110101"),
        ];
        let grids = ["110101001001001".to_string(), "110101001002001".into(), "110101002001001".into()];
        let tasks = plan_for(&builtin_plans(), IncidentKind::Flood, &grids, &units);
        let offices: Vec<_> = tasks.iter().filter(|t| t.assignee == Assignee::StreetOffice).collect();
        assert_eq!(
            offices.iter().map(|t| t.unit_id.as_deref()).collect::<Vec<_>>(),
            [Some("office-1"), Some("office-2")]
        );
        let centre = tasks.iter().find(|t| t.assignee == Assignee::CommandCentre).unwrap();
        assert_eq!(centre.unit_id.as_deref(), Some("centre"));
        assert!(tasks.iter().filter(|t| t.assignee == Assignee::GridWorkers).all(|t| t.unit_id.is_none()));
    }

    #[test]
    fn shelters_and_supplies_stay_within_bounds() {
        assert!(check_occupancy(200, 200).is_ok());
        assert_eq!(check_occupancy(200, 201).unwrap_err().field, "occupancy");
        assert_eq!(check_occupancy(200, -1).unwrap_err().field, "occupancy");
        assert_eq!(stock_after(10, -4).unwrap(), 6);
        assert_eq!(stock_after(10, -11).unwrap_err().field, "change");
        assert!(Severity::I > Severity::IV);
    }

    #[test]
    fn texts_and_areas_are_checked() {
        assert_eq!(check_text("text", "请低洼院落居民立即转移").unwrap(), "请低洼院落居民立即转移");
        assert_eq!(check_text("text", "联系13800138000").unwrap_err().field, "text");
        assert_eq!(check_text("text", "a").unwrap_err().field, "text");
        let square = [(116.39, 39.90), (116.40, 39.90), (116.40, 39.91)];
        assert!(check_polygon(&square).is_ok());
        assert_eq!(check_polygon(&square[..2]).unwrap_err().field, "polygon");
        assert_eq!(check_polygon(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]).unwrap_err().field, "polygon");
    }

    #[test]
    fn progress_counts_what_was_checked() {
        let mut p = Progress { households: 8, safe: 3, needs_help: 1, not_reached: 1, moved_out: 1 };
        assert_eq!((p.checked(), p.percent()), (6, 75));
        p.add(&Progress { households: 2, safe: 2, ..Progress::default() });
        assert_eq!((p.households, p.checked(), p.percent()), (10, 8, 80));
        assert_eq!(Progress::default().percent(), 0);
    }

    #[test]
    fn the_summary_says_what_the_figures_say() {
        let start = DateTime::parse_from_rfc3339("2023-07-29T20:00:00+08:00").unwrap().with_timezone(&Utc);
        let facts = SummaryFacts {
            kind: IncidentKind::Flood,
            severity: Severity::I,
            drill: false,
            started_at: start,
            closed_at: start + chrono::Duration::hours(90),
            grids: 12,
            progress: Progress { households: 100, safe: 90, needs_help: 4, not_reached: 2, moved_out: 3 },
            tasks: 10,
            tasks_done: 9,
            alerts: (40, 38, 2),
            sheltered_peak: 120,
            shelter_capacity: 300,
            supplies_used: vec![("矿泉水".into(), "箱".into(), 50)],
            log_entries: 7,
        };
        let lines = summarise(&facts);
        assert!(
            lines[0].zh.contains("暴雨洪涝")
                && lines[0].zh.contains("90.0小时")
                && lines[0].zh.contains("12个网格100户")
        );
        assert!(lines[1].zh.contains("逐户排查99户（99%）") && lines[1].zh.contains("未排查1户"), "{}", lines[1].zh);
        assert!(lines[2].en.contains("1 left open"));
        assert!(lines.iter().any(|l| l.zh.contains("矿泉水50箱")));
        assert!(lines.iter().any(|l| l.en.contains("at most 120 people")));
        let drill = summarise(&SummaryFacts { drill: true, supplies_used: vec![], shelter_capacity: 0, ..facts });
        assert!(drill[0].zh.starts_with("【演练】") && drill.len() == 5);
    }
}
