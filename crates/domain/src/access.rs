//! Roles and scopes (DESIGN §2). Scope is part of authorisation: the store filters every
//! query by it, so a case outside the caller's scope does not exist for them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::CaseRecord;
use crate::region::{RegionCode, RegionLevel};
use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    Dispatcher,
    Handler,
    #[serde(rename = "gridworker")]
    GridWorker,
    Supervisor,
    Leader,
    Admin,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Operator,
        Role::Dispatcher,
        Role::Handler,
        Role::GridWorker,
        Role::Supervisor,
        Role::Leader,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Dispatcher => "dispatcher",
            Self::Handler => "handler",
            Self::GridWorker => "gridworker",
            Self::Supervisor => "supervisor",
            Self::Leader => "leader",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Operator => "接诉员",
            Self::Dispatcher => "派单员",
            Self::Handler => "承办人",
            Self::GridWorker => "网格员",
            Self::Supervisor => "督办员",
            Self::Leader => "领导",
            Self::Admin => "管理员",
        }
    }

    /// Roles that may see a reporter's name and phone after stating a reason (administrators
    /// too, DESIGN §2: "personal data only through audited reveal"); leaders never do.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Dispatcher => "dispatcher",
            Self::Handler => "handler",
            Self::GridWorker => "grid worker",
            Self::Supervisor => "supervisor",
            Self::Leader => "leader",
            Self::Admin => "administrator",
        }
    }

    pub fn may_reveal_personal_data(self) -> bool {
        !matches!(self, Self::Leader)
    }
}

/// What part of the city a staff account works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// The whole platform (administrators).
    All,
    /// Cases located in any of these regions (district, street or community codes).
    Regions { codes: Vec<RegionCode> },
    /// Cases dispatched to this unit, as lead or co-handler.
    Unit { unit: String },
    /// Cases located in any of these grids.
    Grids { codes: Vec<String> },
}

impl Scope {
    /// Parses the command-line form: `all`, `region:110101[,110101001]`, `unit:ID`,
    /// `grid:110101001001001[,...]`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let bad = |why_zh: &str, why_en: &str| FieldError::new("scope", why_zh.to_string(), why_en.to_string());
        let s = s.trim();
        if s == "all" {
            return Ok(Self::All);
        }
        let (kind, rest) = s.split_once(':').ok_or_else(|| {
            bad(
                "格式应为 all、region:代码、unit:单位、grid:网格代码",
                "expected all, region:CODES, unit:ID or grid:CODES",
            )
        })?;
        let list = || rest.split(',').map(str::trim).filter(|c| !c.is_empty());
        match kind {
            "region" => {
                let codes = list().map(RegionCode::parse).collect::<Result<Vec<_>, _>>()?;
                if codes.is_empty() || codes.iter().any(|c| c.level() == RegionLevel::Grid) {
                    return Err(bad("需要至少一个区划代码（不含网格）", "needs at least one region code (not a grid)"));
                }
                Ok(Self::Regions { codes })
            }
            "unit" if !rest.trim().is_empty() => Ok(Self::Unit { unit: rest.trim().to_string() }),
            "grid" => {
                let codes: Vec<String> = list().map(str::to_string).collect();
                if codes.is_empty() || codes.iter().any(|c| c.len() != 15 || !c.bytes().all(|b| b.is_ascii_digit())) {
                    return Err(bad("网格代码应为15位数字", "grid codes have 15 digits"));
                }
                Ok(Self::Grids { codes })
            }
            _ => Err(bad("未知的范围类型", "unknown scope kind")),
        }
    }

    pub fn to_spec(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Regions { codes } => {
                format!("region:{}", codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","))
            }
            Self::Unit { unit } => format!("unit:{unit}"),
            Self::Grids { codes } => format!("grid:{}", codes.join(",")),
        }
    }

    /// Whether this kind of scope fits the role: handlers work for a unit, grid workers on
    /// grids, administrators everywhere, everybody else on regions.
    pub fn fits(&self, role: Role) -> bool {
        matches!(
            (role, self),
            (Role::Handler, Self::Unit { .. })
                | (Role::GridWorker, Self::Grids { .. })
                | (Role::Admin, Self::All)
                | (
                    Role::Operator | Role::Dispatcher | Role::Supervisor | Role::Leader,
                    Self::Regions { .. } | Self::All
                )
        )
    }

    /// Whether a grid (15-digit code) lies within this scope; a unit's scope holds no grids.
    pub fn covers_grid(&self, grid: &str) -> bool {
        match self {
            Self::All => true,
            Self::Regions { codes } => codes.iter().any(|c| grid.starts_with(c.as_str())),
            Self::Unit { .. } => false,
            Self::Grids { codes } => codes.iter().any(|c| c == grid),
        }
    }

    /// The same rule the store applies in SQL, for one case in memory.
    pub fn covers(&self, case: &CaseRecord) -> bool {
        match self {
            Self::All => true,
            Self::Regions { codes } => {
                let located = [&case.place.district_code, &case.place.street_code, &case.place.community_code];
                codes.iter().any(|code| located.iter().any(|c| c.as_deref() == Some(code.as_str())))
                    || codes.iter().any(|code| {
                        code.level() < RegionLevel::County
                            && case.place.district_code.as_deref().is_some_and(|d| d.starts_with(code.as_str()))
                    })
            }
            Self::Unit { unit } => case.lead_unit.as_deref() == Some(unit) || case.co_units.iter().any(|u| u == unit),
            Self::Grids { codes } => case.place.grid_code.as_ref().is_some_and(|g| codes.contains(g)),
        }
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff {
        user_id: Uuid,
        username: String,
        role: Role,
        scope: Scope,
    },
    /// A resident proving ownership with the tracking number and query code.
    Resident,
    /// The platform itself (deadline worker).
    System,
    /// Another system, reporting through an Open311 API key: it may take in requests, and make
    /// no move on a case.
    ApiKey {
        key_id: Uuid,
    },
}

impl Actor {
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Staff { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// The staff member's user id or the API key's id, as recorded in events and audit entries.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Self::Staff { user_id, .. } => Some(*user_id),
            Self::ApiKey { key_id } => Some(*key_id),
            Self::Resident | Self::System => None,
        }
    }

    /// "dispatcher", "resident", "system" or "api_key", as recorded in events and audit entries.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Staff { role, .. } => role.as_str(),
            Self::Resident => "resident",
            Self::System => "system",
            Self::ApiKey { .. } => "api_key",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_specs_round_trip() {
        for spec in ["all", "region:110101,110101001", "unit:street-110101001", "grid:110101001001001"] {
            assert_eq!(Scope::parse(spec).unwrap().to_spec(), spec);
        }
        assert!(Scope::parse("region:").is_err());
        assert!(Scope::parse("grid:123").is_err());
        assert!(Scope::parse("planet:earth").is_err());
    }

    #[test]
    fn scopes_fit_roles() {
        assert!(Scope::parse("unit:x").unwrap().fits(Role::Handler));
        assert!(!Scope::parse("unit:x").unwrap().fits(Role::Dispatcher));
        assert!(!Scope::All.fits(Role::Handler));
    }
}
