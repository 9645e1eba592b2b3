//! 物业管理: the residential compounds (小区) of a community with the company that manages each,
//! rated by their residents (one rating each a year, a later one replacing it), and the cases
//! about them: property cases (category 05, 物业管理) of the community that name the compound.

use crate::helpers::check_credit_code;
use crate::text::trimmed;
use crate::FieldError;

/// The category whose cases are property management's (物业管理 and its sub-categories).
pub const PROPERTY_CATEGORY: &str = "05";

/// A compound as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compound {
    pub name: String,
    pub company: String,
    pub company_code: Option<String>,
}

impl Compound {
    /// Checks a compound: its name as residents say it, the company, the company's unified
    /// social credit code if given.
    pub fn check(name: &str, company: &str, company_code: Option<&str>) -> Result<Self, FieldError> {
        let name = trimmed(name);
        if name.chars().count() < 2 || name.chars().count() > 40 {
            return Err(FieldError::new(
                "name",
                "小区名称应为2到40个字符",
                "the compound's name has 2 to 40 characters",
            ));
        }
        let company = trimmed(company);
        if company.chars().count() < 2 || company.chars().count() > 60 {
            return Err(FieldError::new(
                "company",
                "请填写物业服务企业（2到60个字符）",
                "name the company (2 to 60 characters)",
            ));
        }
        let company_code = match company_code.map(trimmed).filter(|c| !c.is_empty()) {
            None => None,
            Some(code) => Some(check_credit_code(code).map_err(|e| FieldError { field: "company_code", ..e })?),
        };
        Ok(Self { name: name.to_string(), company: company.to_string(), company_code })
    }
}

/// Whether a case is about a compound: a property case whose address or words name it.
pub fn is_about(category_code: &str, address: Option<&str>, description: &str, compound: &str) -> bool {
    category_code.starts_with(PROPERTY_CATEGORY)
        && (address.is_some_and(|a| a.contains(compound)) || description.contains(compound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compound_is_named_with_its_company_and_a_code_that_checks() {
        let c = Compound::check(" 和平里小区 ", "北京某物业管理有限公司", Some("91110000802100433B")).unwrap();
        assert_eq!((c.name.as_str(), c.company_code.as_deref()), ("和平里小区", Some("91110000802100433B")));
        assert_eq!(Compound::check("和", "某物业", None).unwrap_err().field, "name");
        assert_eq!(Compound::check("和平里小区", "", None).unwrap_err().field, "company");
        assert_eq!(
            Compound::check("和平里小区", "某物业公司", Some("91110000802100433C")).unwrap_err().field,
            "company_code"
        );
    }

    #[test]
    fn a_case_is_about_a_compound_when_a_property_case_names_it() {
        assert!(is_about("0502", Some("东华门街道和平里小区3号楼"), "电梯坏了", "和平里小区"));
        assert!(is_about("0504", None, "和平里小区物业乱收费", "和平里小区"));
        assert!(!is_about("0302", Some("和平里小区"), "井盖丢失", "和平里小区"), "not a property case");
        assert!(!is_about("0502", Some("南池子小区"), "电梯坏了", "和平里小区"));
    }
}
