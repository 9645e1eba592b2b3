//! 减负: the 准入清单 — the tasks, meetings, inspections and forms that upper levels may impose
//! on communities, set by the district — and each imposition a community registers with who
//! imposed it and the time it took; one not on the list is flagged, and one asking for what the
//! platform already holds is shown as a duplicate with where the platform shows it.

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;

coded_enum! {
    /// What an upper level imposes.
    BurdenKind {
        Task = "task" / "工作事项" / "a task",
        Meeting = "meeting" / "会议" / "a meeting",
        Inspection = "inspection" / "检查考核" / "an inspection or assessment",
        Form = "form" / "报表台账" / "a form or ledger",
    }
}

coded_enum! {
    /// What the platform already holds, which a form or ledger may ask for again.
    PlatformData {
        Households = "households" / "住户和走访台账" / "households and visits",
        Cases = "cases" / "群众诉求办理情况" / "residents' requests and their handling",
        Care = "care" / "关爱对象名册" / "those in care",
        Party = "party" / "党员和联户情况" / "party members and their households",
        Disputes = "disputes" / "矛盾纠纷排查台账" / "disputes screened",
        Emergencies = "emergencies" / "应急排查情况" / "emergency checks",
        Participation = "participation" / "议事协商记录" / "deliberation and votes",
        Helpers = "helpers" / "志愿者和社会组织名册" / "volunteers and organisations",
    }
}

impl PlatformData {
    /// Where the platform shows it, for whoever asks for it again.
    pub fn page(self) -> &'static str {
        match self {
            Self::Households => "/map?shade=coverage",
            Self::Cases => "/dashboard",
            Self::Care => "/care",
            Self::Party => "/party/figures",
            Self::Disputes => "/disputes/figures",
            Self::Emergencies => "/incidents",
            Self::Participation => "/topics",
            Self::Helpers => "/helpers",
        }
    }
}

coded_enum! {
    /// Why an imposition is shown.
    BurdenFlag {
        NotListed = "not_listed" / "不在准入清单" / "not on the list",
        Duplicate = "duplicate" / "重复填报：平台已有" / "asks for what the platform holds",
    }
}

/// Why an imposition is flagged: not matched to an entry of the list, and asking for what the
/// platform holds.
pub fn flags(listed: bool, asks: &[PlatformData]) -> Vec<BurdenFlag> {
    let mut flags = Vec::new();
    if !listed {
        flags.push(BurdenFlag::NotListed);
    }
    if !asks.is_empty() {
        flags.push(BurdenFlag::Duplicate);
    }
    flags
}

/// The most hours one imposition may be said to have taken: a fortnight of days.
pub const MAX_HOURS: f64 = 120.0;

/// What one community's impositions came to over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BurdenTotals {
    pub impositions: i64,
    pub half_hours: i64,
    pub not_listed: i64,
    pub not_listed_half_hours: i64,
    pub duplicates: i64,
}

impl BurdenTotals {
    pub fn add(&mut self, o: &BurdenTotals) {
        self.impositions += o.impositions;
        self.half_hours += o.half_hours;
        self.not_listed += o.not_listed;
        self.not_listed_half_hours += o.not_listed_half_hours;
        self.duplicates += o.duplicates;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_and_repeated_asks_are_flagged() {
        assert!(flags(true, &[]).is_empty());
        assert_eq!(flags(false, &[]), [BurdenFlag::NotListed]);
        assert_eq!(flags(true, &[PlatformData::Care]), [BurdenFlag::Duplicate]);
        assert_eq!(
            flags(false, &[PlatformData::Cases, PlatformData::Party]),
            [BurdenFlag::NotListed, BurdenFlag::Duplicate]
        );
        assert!(PlatformData::ALL.iter().all(|d| d.page().starts_with('/')));
    }
}
