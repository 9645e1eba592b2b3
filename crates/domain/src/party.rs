//! 党建引领 (party organisation reaching every grid: 党组织覆盖到网格): the organisation tree
//! (党委 → 党总支 → 党支部 → 党小组) aligned with regions and grids, where each kind may be set
//! up and under which; members and their roles; 党员联户 (each member keeping contact with a
//! few households, their contacts recorded like visits) and its coverage; in-service members
//! registering with the community where they live (双报到) and their service; 主题党日 and other
//! activities with attendance.

use std::collections::HashSet;
use std::hash::Hash;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::{FieldError, RegionCode, RegionLevel};

/// The most households one member keeps contact with: 联户 is a few households each, close
/// enough to know them.
pub const MAX_LINKED_HOUSEHOLDS: usize = 30;

/// The most hours one service record may claim: a day's work.
pub const MAX_SERVICE_HOURS: f64 = 12.0;

coded_enum! {
    /// A party organisation's kind, the highest first (the order compares them).
    OrgKind {
        Committee = "committee" / "党委" / "party committee",
        GeneralBranch = "general_branch" / "党总支" / "general branch",
        Branch = "branch" / "党支部" / "branch",
        Group = "group" / "党小组" / "party group",
    }
}

impl OrgKind {
    /// Whether an organisation of this kind may have one of `child`'s under it: a committee
    /// holds general branches and branches, a general branch holds branches, a branch holds
    /// groups.
    pub fn may_hold(self, child: OrgKind) -> bool {
        match self {
            Self::Committee => matches!(child, Self::GeneralBranch | Self::Branch),
            Self::GeneralBranch => child == Self::Branch,
            Self::Branch => child == Self::Group,
            Self::Group => false,
        }
    }

    /// Whether one of this kind may stand at a place of `level`: committees at a district,
    /// street or large community (社区党委), general branches at a street or community,
    /// branches at a community or a grid (网格党支部), groups in a community or a grid (a
    /// building's group names its building).
    pub fn may_stand_at(self, level: RegionLevel) -> bool {
        use RegionLevel::{Community, County, Grid, Township};
        match self {
            Self::Committee => matches!(level, County | Township | Community),
            Self::GeneralBranch => matches!(level, Township | Community),
            Self::Branch | Self::Group => matches!(level, Community | Grid),
        }
    }

    /// Only branches and groups hold members directly: a committee's members are those of
    /// its branches.
    pub fn holds_members(self) -> bool {
        matches!(self, Self::Branch | Self::Group)
    }

    /// A grid counts as organised (党组织覆盖) when a branch or a group stands in it.
    pub fn organises_grid(self) -> bool {
        self.holds_members()
    }
}

/// Checks where a new organisation stands and under which: the kind may stand at its place,
/// the parent may hold it and the place lies within the parent's. The top of a tree (no parent)
/// is a committee or a general branch (a community's 党总支 answering to the street's 工委 kept
/// elsewhere).
pub fn check_placement(
    kind: OrgKind,
    place: &RegionCode,
    parent: Option<(OrgKind, &RegionCode)>,
) -> Result<(), FieldError> {
    if !kind.may_stand_at(place.level()) {
        let (zh, en) = match kind {
            OrgKind::Committee => ("区、街道或社区", "a district, street or community"),
            OrgKind::GeneralBranch => ("街道或社区", "a street or community"),
            OrgKind::Branch | OrgKind::Group => ("社区或网格", "a community or grid"),
        };
        return Err(FieldError::new(
            "place_code",
            format!("{}应设在{zh}", kind.label_zh()),
            format!("a {} stands at {en}", kind.label_en()),
        ));
    }
    match parent {
        None if matches!(kind, OrgKind::Committee | OrgKind::GeneralBranch) => Ok(()),
        None => Err(FieldError::new(
            "parent_id",
            "党支部、党小组应设在上级党组织之下",
            "a branch or group stands under a higher organisation",
        )),
        Some((above, _)) if !above.may_hold(kind) => Err(FieldError::new(
            "parent_id",
            format!("{}之下不能设{}", above.label_zh(), kind.label_zh()),
            format!("a {} does not hold a {}", above.label_en(), kind.label_en()),
        )),
        Some((_, above_place)) if !above_place.contains(place) => Err(FieldError::new(
            "place_code",
            "下级党组织应在上级党组织所在区域之内",
            "an organisation stands within its parent's place",
        )),
        Some(_) => Ok(()),
    }
}

coded_enum! {
    /// A member's role in their organisation.
    MemberRole {
        Secretary = "secretary" / "书记" / "secretary",
        DeputySecretary = "deputy_secretary" / "副书记" / "deputy secretary",
        CommitteeMember = "committee_member" / "委员" / "committee member",
        GroupLeader = "group_leader" / "党小组长" / "group leader",
        Member = "member" / "党员" / "member",
        Probationary = "probationary" / "预备党员" / "probationary member",
    }
}

impl MemberRole {
    /// A group is led by a group leader, a branch by a secretary and its committee.
    pub fn fits(self, org: OrgKind) -> bool {
        match self {
            Self::GroupLeader => org == OrgKind::Group,
            Self::Secretary | Self::DeputySecretary | Self::CommitteeMember => org != OrgKind::Group,
            Self::Member | Self::Probationary => true,
        }
    }
}

coded_enum! {
    /// How a member reached a linked household.
    ContactMeans {
        Visit = "visit" / "入户走访" / "a visit at home",
        Phone = "phone" / "电话联系" / "a phone call",
        Online = "online" / "微信联系" / "a message online",
        Meeting = "meeting" / "当面交流" / "met in person elsewhere",
    }
}

coded_enum! {
    /// A party activity (组织生活).
    ActivityKind {
        ThemeDay = "theme_day" / "主题党日" / "theme party day",
        BranchMeeting = "branch_meeting" / "支部党员大会" / "branch members' meeting",
        CommitteeMeeting = "committee_meeting" / "支委会" / "branch committee meeting",
        GroupMeeting = "group_meeting" / "党小组会" / "group meeting",
        Lecture = "lecture" / "党课" / "party lecture",
        Service = "service" / "志愿服务" / "volunteer service",
    }
}

coded_enum! {
    /// A member's attendance at an activity.
    Attendance {
        Present = "present" / "出席" / "present",
        Leave = "leave" / "请假" / "on leave",
        Absent = "absent" / "缺席" / "absent",
    }
}

/// The organisation `root` and every one under it, given each organisation's parent: an
/// activity of a branch expects the members of its groups too.
pub fn within_tree<T: Eq + Hash + Clone>(root: &T, parents: &[(T, Option<T>)]) -> HashSet<T> {
    let mut within = HashSet::from([root.clone()]);
    // The tree is a few levels deep: add children until nothing changes.
    loop {
        let before = within.len();
        for (id, parent) in parents {
            if parent.as_ref().is_some_and(|p| within.contains(p)) {
                within.insert(id.clone());
            }
        }
        if within.len() == before {
            return within;
        }
    }
}

/// Hours of service in half hours: a positive multiple of ½, at most a day's work.
pub fn check_hours(raw: &str) -> Result<u32, FieldError> {
    let error = || {
        FieldError::new(
            "hours",
            format!("时长应为0.5到{MAX_SERVICE_HOURS}小时，以半小时计"),
            format!("0.5 to {MAX_SERVICE_HOURS} hours, in half hours"),
        )
    };
    let hours: f64 = raw.trim().parse().map_err(|_| error())?;
    let halves = hours * 2.0;
    if !(0.5..=MAX_SERVICE_HOURS).contains(&hours) || halves.fract() != 0.0 {
        return Err(error());
    }
    Ok(halves as u32)
}

/// A day something was done: not after today, not more than a year back (a record made late,
/// but not history rewritten).
pub fn check_done_day(field: &'static str, day: NaiveDate, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    match day <= today && (today - day).num_days() <= 366 {
        true => Ok(day),
        false => {
            Err(FieldError::new(field, "日期应在一年之内且不晚于今天", "a day within the last year, not after today"))
        }
    }
}

/// The coverage of 党员联户 in a grid (or summed over many): households on the grid's
/// register, those linked to a member, and those a contact reached in the last 30 and 90 days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkCoverage {
    pub households: i64,
    pub linked: i64,
    pub reached_30_days: i64,
    pub reached_90_days: i64,
}

impl LinkCoverage {
    pub fn add(&mut self, other: &LinkCoverage) {
        self.households += other.households;
        self.linked += other.linked;
        self.reached_30_days += other.reached_30_days;
        self.reached_90_days += other.reached_90_days;
    }

    /// Linked of the households on the register.
    pub fn linked_share(&self) -> Option<f64> {
        share(self.linked, self.households)
    }

    /// Reached in the last 30 days, of those linked.
    pub fn reached_share(&self) -> Option<f64> {
        share(self.reached_30_days, self.linked)
    }
}

/// Present of those expected at an activity (on leave counts as expected: 请假 is excused,
/// not attended).
pub fn attendance_rate(present: i64, expected: i64) -> Option<f64> {
    share(present, expected)
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> RegionCode {
        RegionCode::parse(c).unwrap()
    }

    #[test]
    fn the_tree_goes_committee_branch_group() {
        let street = code("110101001");
        let community = code("110101001001");
        let grid = code("110101001001001");
        assert!(check_placement(OrgKind::Committee, &street, None).is_ok());
        assert!(check_placement(OrgKind::Branch, &community, Some((OrgKind::Committee, &street))).is_ok());
        assert!(check_placement(OrgKind::Group, &grid, Some((OrgKind::Branch, &community))).is_ok());
        assert!(check_placement(OrgKind::Branch, &grid, Some((OrgKind::GeneralBranch, &community))).is_ok());
        // A group under a committee, a branch with no parent, a committee in a grid.
        let e = check_placement(OrgKind::Group, &community, Some((OrgKind::Committee, &street))).unwrap_err();
        assert_eq!(e.field, "parent_id");
        assert_eq!(check_placement(OrgKind::Branch, &community, None).unwrap_err().field, "parent_id");
        assert_eq!(check_placement(OrgKind::Committee, &grid, None).unwrap_err().field, "place_code");
        // A branch outside its parent's street.
        let elsewhere = code("110101002001");
        let e = check_placement(OrgKind::Branch, &elsewhere, Some((OrgKind::Committee, &street))).unwrap_err();
        assert_eq!(e.field, "place_code");
    }

    #[test]
    fn roles_fit_their_organisation() {
        assert!(MemberRole::GroupLeader.fits(OrgKind::Group));
        assert!(!MemberRole::GroupLeader.fits(OrgKind::Branch));
        assert!(!MemberRole::Secretary.fits(OrgKind::Group));
        assert!(MemberRole::Member.fits(OrgKind::Group) && MemberRole::Probationary.fits(OrgKind::Branch));
        assert!(OrgKind::Branch.holds_members() && !OrgKind::Committee.holds_members());
    }

    #[test]
    fn a_tree_holds_what_hangs_below_its_root() {
        let parents = [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(2)), (5, None), (6, Some(5))];
        assert_eq!(within_tree(&2, &parents), HashSet::from([2, 3, 4]));
        assert_eq!(within_tree(&1, &parents), HashSet::from([1, 2, 3, 4]));
        assert_eq!(within_tree(&3, &parents), HashSet::from([3]));
    }

    #[test]
    fn hours_are_half_hours_within_a_day() {
        assert_eq!(check_hours("2").unwrap(), 4);
        assert_eq!(check_hours(" 1.5 ").unwrap(), 3);
        for bad in ["0", "0.25", "13", "-1", "两小时", "NaN", "inf"] {
            assert_eq!(check_hours(bad).unwrap_err().field, "hours", "{bad}");
        }
    }

    #[test]
    fn done_days_lie_in_the_last_year() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert!(check_done_day("on", today, today).is_ok());
        assert!(check_done_day("on", today.pred_opt().unwrap(), today).is_ok());
        assert!(check_done_day("on", today.succ_opt().unwrap(), today).is_err());
        assert!(check_done_day("on", NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(), today).is_err());
    }

    #[test]
    fn coverage_adds_and_shares() {
        let mut all = LinkCoverage::default();
        assert_eq!(all.linked_share(), None);
        all.add(&LinkCoverage { households: 40, linked: 20, reached_30_days: 5, reached_90_days: 15 });
        all.add(&LinkCoverage { households: 60, linked: 30, reached_30_days: 20, reached_90_days: 25 });
        assert_eq!(all, LinkCoverage { households: 100, linked: 50, reached_30_days: 25, reached_90_days: 40 });
        assert_eq!(all.linked_share(), Some(0.5));
        assert_eq!(all.reached_share(), Some(0.5));
        assert_eq!(attendance_rate(9, 12), Some(0.75));
    }
}
