//! The request category taxonomy: two levels, each category with a default responsible unit
//! and its deadlines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A 2-digit top-level or 4-digit sub-category code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryCode(pub String);

impl CategoryCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub code: CategoryCode,
    pub parent: Option<CategoryCode>,
    pub name_zh: String,
    pub name_en: String,
    /// The unit that acts by default, by name (e.g. 城市管理委员会); 街道办事处 means the
    /// street office of the case's street.
    pub default_unit: String,
    pub response_hours: u32,
    pub resolve_days: u32,
    /// Its cases tell something private of a person (health, income, family, benefits): never
    /// published, not even without the description.
    #[serde(default)]
    pub sensitive: bool,
    /// Days after a case is finished before its personal data (reporter, free text, photos)
    /// is erased; the facts stay for statistics.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// A unit reporting a case of this category handled must show the result in a photo (as
    /// 数字城管 requires for street-scene problems).
    #[serde(default)]
    pub photo_on_handling: bool,
    /// The classifier's confidence, in percent, at which a report that names no category is
    /// given this one without a person (智能分类); none: a person always decides.
    #[serde(default)]
    pub auto_percent: Option<u8>,
}

/// Three years, unless an administrator sets another period for the category.
pub const DEFAULT_RETENTION_DAYS: u32 = 1095;

fn default_retention_days() -> u32 {
    DEFAULT_RETENTION_DAYS
}

/// The name the taxonomy uses for "the street office of the case's street".
pub const STREET_OFFICE: &str = "街道办事处";

impl Category {
    pub fn goes_to_street_office(&self) -> bool {
        self.default_unit == STREET_OFFICE
    }
}

#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    by_code: BTreeMap<String, Category>,
}

impl Taxonomy {
    pub fn new(categories: impl IntoIterator<Item = Category>) -> Self {
        Self { by_code: categories.into_iter().map(|c| (c.code.0.clone(), c)).collect() }
    }

    /// The taxonomy shipped with the platform (`data/categories.csv`).
    pub fn builtin() -> Self {
        Self::new(parse_category_csv(include_str!("../../../data/categories.csv")).expect("shipped taxonomy parses"))
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.by_code.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.by_code.values()
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Validates a category code from user input.
    pub fn lookup(&self, code: &str) -> Result<&Category, FieldError> {
        self.get(code.trim()).ok_or_else(|| {
            FieldError::new(
                "category_code",
                format!("未知的类别代码“{}”", code.trim()),
                format!("unknown category code '{}'", code.trim()),
            )
        })
    }
}

/// Parses `code,parent_code,name_zh,name_en,default_department,response_hours,resolve_days`.
pub fn parse_category_csv(text: &str) -> Result<Vec<Category>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let c: Vec<&str> = line.split(',').collect();
        // The eighth column, `sensitive`, is optional: a taxonomy without it marks none.
        if !(7..=8).contains(&c.len()) {
            return Err(format!("line {}: expected 7 or 8 columns, found {}", i + 1, c.len()));
        }
        let sensitive = match c.get(7).map(|v| v.trim()) {
            None | Some("" | "no") => false,
            Some("yes") => true,
            Some(other) => return Err(format!("line {}: sensitive is 'yes' or empty, not '{other}'", i + 1)),
        };
        let num =
            |s: &str, what: &str| s.trim().parse::<u32>().map_err(|_| format!("line {}: bad {what} '{s}'", i + 1));
        out.push(Category {
            code: CategoryCode(c[0].to_string()),
            parent: (!c[1].is_empty()).then(|| CategoryCode(c[1].to_string())),
            name_zh: c[2].to_string(),
            name_en: c[3].to_string(),
            default_unit: c[4].to_string(),
            response_hours: num(c[5], "response_hours")?,
            resolve_days: num(c[6], "resolve_days")?,
            sensitive,
            retention_days: DEFAULT_RETENTION_DAYS,
            photo_on_handling: false,
            auto_percent: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_taxonomy_has_both_levels() {
        let t = Taxonomy::builtin();
        assert_eq!(t.iter().filter(|c| c.parent.is_none()).count(), 18);
        let lift = t.get("0501").unwrap();
        assert_eq!(lift.response_hours, 2);
        assert_eq!(lift.parent.as_ref().unwrap().as_str(), "05");
        assert!(t.get("0102").unwrap().goes_to_street_office());
        assert_eq!(t.lookup("9999").unwrap_err().field, "category_code");
        assert!(t.get("1602").unwrap().sensitive && t.get("1202").unwrap().sensitive, "family disputes, relief");
        assert!(!t.get("0301").unwrap().sensitive);
    }

    #[test]
    fn the_sensitive_column_is_optional_and_checked() {
        let head = "code,parent_code,name_zh,name_en,default_department,response_hours,resolve_days";
        let seven = parse_category_csv(&format!("{head}\n01,,市容,City,城管,24,7\n")).unwrap();
        assert!(!seven[0].sensitive);
        let eight = parse_category_csv(&format!("{head},sensitive\n01,,家庭,Family,司法局,24,7,yes\n")).unwrap();
        assert!(eight[0].sensitive);
        assert!(parse_category_csv(&format!("{head},sensitive\n01,,x,x,x,24,7,maybe\n"))
            .unwrap_err()
            .contains("sensitive"));
    }
}
