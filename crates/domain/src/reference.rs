//! Reference data the rules work with: the responsible units (承办单位), the responsibility
//! matrix (派单目录) that says which unit takes which category where, and the dispatch
//! suggestion drawn from it.

use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarDay, WorkCalendar};
use crate::case::{LocatedBy, Place};
use crate::category::Taxonomy;
use crate::FieldError;

/// A responsible unit (承办单位): a department, street office, utility or company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    /// The region it serves (a district for departments, a street for street offices).
    pub region_code: String,
}

impl Unit {
    /// Whether cases may be dispatched to it ([`takes_cases`]).
    pub fn takes_cases(&self) -> bool {
        takes_cases(&self.kind)
    }
}

/// The kinds of unit the platform knows: departments, street offices, the district command
/// centre that takes what no other is responsible for, discipline units (纪工委, 纪委监委) that
/// receive reports of staff misconduct, and others (utilities, companies).
pub const UNIT_KINDS: [&str; 5] = ["department", "street_office", COMMAND_CENTRE, DISCIPLINE, "other"];

/// The kind of unit that handles reports of misconduct: a street's 纪工委, a district's 纪委监委.
pub const DISCIPLINE: &str = "discipline";

/// Whether units of this kind take cases: discipline units receive reports of misconduct
/// only, so no case is dispatched to them and no matrix line names them.
pub fn takes_cases(kind: &str) -> bool {
    kind != DISCIPLINE
}

/// Refuses, as `field`, a unit of a kind that takes no cases.
pub fn check_takes_cases(field: &'static str, kind: &str) -> Result<(), FieldError> {
    if takes_cases(kind) {
        return Ok(());
    }
    Err(FieldError::new(
        field,
        "纪检监察机构只受理对工作人员的举报，不承办群众诉求",
        "a discipline unit receives reports of misconduct only and takes no cases",
    ))
}

/// A kind of unit in words (Chinese, English).
pub fn unit_kind_name(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "department" => ("职能部门", "departments"),
        "street_office" => ("街道办事处", "street offices"),
        COMMAND_CENTRE => ("区指挥中心", "command centre"),
        DISCIPLINE => ("纪检监察机构", "discipline units"),
        _ => ("其他单位", "other units"),
    }
}

/// A department the taxonomy names as a default unit (`data/departments.csv`): its name, a
/// slug for unit ids, its English name and kind of unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Department {
    pub name_zh: &'static str,
    pub slug: &'static str,
    pub name_en: &'static str,
    pub kind: &'static str,
}

/// The departments of the shipped taxonomy.
pub fn departments() -> Vec<Department> {
    include_str!("../../../data/departments.csv")
        .lines()
        .skip(1)
        .filter_map(|line| match line.split(',').collect::<Vec<_>>()[..] {
            [name_zh, slug, name_en, kind] => Some(Department { name_zh, slug, name_en, kind }),
            _ => None,
        })
        .collect()
}

/// A default unit as the taxonomy names it, in English: the department's English name, or for
/// 街道办事处 the street office of the case's street.
pub fn default_unit_in_english(name_zh: &str) -> Option<&'static str> {
    if name_zh == "街道办事处" {
        return Some("the street office of the case's street");
    }
    departments().into_iter().find(|d| d.name_zh == name_zh).map(|d| d.name_en)
}

/// One line of the responsibility matrix (派单目录): category × region → unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Responsibility {
    pub category_code: String,
    pub region_code: String,
    pub unit_id: String,
    /// Cases this line matches are registered and dispatched by the platform on arrival.
    pub auto_dispatch: bool,
}

/// Reference data the rules need, loaded once and refreshed when it changes.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub taxonomy: Taxonomy,
    pub calendar: WorkCalendar,
    /// The days the calendar is made of, with their names (for its administration).
    pub calendar_days: Vec<CalendarDay>,
    pub units: Vec<Unit>,
    pub responsibilities: Vec<Responsibility>,
}

impl Reference {
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// The unit responsible for `category_code` at the place, with the reason (see `suggest`).
    pub fn suggest_unit(&self, category_code: &str, place: &Place) -> Option<&Unit> {
        self.suggest(category_code, place).map(|s| s.unit)
    }

    /// Who should act on a case, and why. A case outside every grid goes to its district's
    /// command centre; otherwise the responsibility matrix decides, the most specific line
    /// winning: grid, then community, street, district; a sub-category before its parent.
    pub fn suggest(&self, category_code: &str, place: &Place) -> Option<Suggestion<'_>> {
        if place.located_by == Some(LocatedBy::OutsideGrids) {
            let district = place.district_code.as_deref()?;
            let unit = self.units.iter().find(|u| u.kind == COMMAND_CENTRE && u.region_code == district)?;
            return Some(Suggestion {
                unit,
                why_zh: "不在任何网格内，由区指挥中心处置".into(),
                why_en: "outside every grid: the district command centre takes it".into(),
                // Where a case is matters here, and nobody has looked yet.
                auto_dispatch: false,
            });
        }
        let regions = [&place.grid_code, &place.community_code, &place.street_code, &place.district_code];
        let mut category = Some(category_code.to_string());
        while let Some(code) = category {
            for region in regions.iter().filter_map(|r| r.as_deref()) {
                if let Some(r) =
                    self.responsibilities.iter().find(|r| r.category_code == code && r.region_code == region)
                {
                    let unit = self.unit(&r.unit_id)?;
                    return Some(Suggestion {
                        unit,
                        why_zh: format!("派单目录：类别{code}在区划{region}由{}承办", unit.name_zh),
                        why_en: format!(
                            "responsibility matrix: category {code} in region {region} goes to {}",
                            unit.name_en
                        ),
                        auto_dispatch: r.auto_dispatch,
                    });
                }
            }
            category = self.taxonomy.get(&code).and_then(|c| c.parent.as_ref()).map(|p| p.as_str().to_string());
        }
        None
    }
}

/// The kind of unit that takes what no other is responsible for (区指挥中心).
pub const COMMAND_CENTRE: &str = "command_centre";

/// A unit suggested for dispatch, with the reason in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion<'a> {
    pub unit: &'a Unit,
    pub why_zh: String,
    pub why_en: String,
    /// The matrix line says to dispatch without waiting for a dispatcher.
    pub auto_dispatch: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_discipline_units_take_no_cases() {
        for kind in UNIT_KINDS {
            assert_eq!(takes_cases(kind), kind != DISCIPLINE, "{kind}");
        }
        assert_eq!(check_takes_cases("unit", DISCIPLINE).map_err(|e| e.field), Err("unit"));
        assert!(check_takes_cases("unit", "department").is_ok());
    }

    #[test]
    fn every_default_unit_of_the_taxonomy_has_an_english_name() {
        for category in Taxonomy::builtin().iter() {
            assert!(
                default_unit_in_english(&category.default_unit).is_some(),
                "{} names {}, which has no English name",
                category.code.as_str(),
                category.default_unit
            );
        }
        assert_eq!(default_unit_in_english("城市管理委员会"), Some("Urban Management Commission"));
        assert_eq!(default_unit_in_english("不存在的局"), None);
    }
}
