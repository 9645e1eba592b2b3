//! Roles and scopes (DESIGN §2). Scope is part of authorisation: the store filters every
//! query by it, so a case outside the caller's scope does not exist for them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::CaseRecord;
use crate::region::{RegionCode, RegionLevel};
use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    /// What this role may do: one row per role, so a new role is one line.
    pub fn capabilities(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Self::Operator => &[TakeInRequests, AnswerCalls, WorkOnCases, RevealPersonalData, HandleApplications],
            Self::Dispatcher => &[WorkOnCases, RevealPersonalData, ViewStatistics, CommandEmergencies],
            Self::Handler => &[WorkOnCases, RevealPersonalData, ViewStatistics, InvestigateMisconduct],
            Self::GridWorker => &[
                TakeInRequests,
                ReportOnPatrol,
                RecordVisits,
                WorkOnCases,
                RevealPersonalData,
                ViewStatistics,
                RunParticipation,
                CareForResidents,
                CoordinateHelp,
                MediateDisputes,
                OrganiseParty,
                ReduceBurden,
            ],
            Self::Supervisor => &[
                WorkOnCases,
                RevealPersonalData,
                ViewStatistics,
                PlanDuty,
                RunParticipation,
                CareForResidents,
                CoordinateHelp,
                HandleApplications,
                MediateDisputes,
                CommandEmergencies,
                OrganiseParty,
                ReduceBurden,
                ManageWorkforce,
            ],
            // Leaders work with aggregates (DESIGN §2): no case, no reporter, only figures.
            Self::Leader => &[ViewStatistics],
            // Administrators see personal data only through the audited reveal (DESIGN §2).
            Self::Admin => &[
                WorkOnCases,
                RevealPersonalData,
                ViewStatistics,
                PlanDuty,
                RunParticipation,
                CareForResidents,
                CoordinateHelp,
                HandleApplications,
                MediateDisputes,
                CommandEmergencies,
                OrganiseParty,
                ReduceBurden,
                ManageWorkforce,
                Administer,
            ],
        }
    }

    pub fn may(self, capability: Capability) -> bool {
        self.capabilities().contains(&capability)
    }
}

/// What a staff member may do beyond the moves of the closed loop (which `workflow`'s rule
/// table governs per case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Record a request on someone's behalf (a caller, a problem seen on patrol), setting its
    /// priority; not limited by the public rate limit.
    TakeInRequests,
    /// The operator's form for phone calls.
    AnswerCalls,
    /// Report a problem found on patrol, with photos, and resolve it on the spot.
    ReportOnPatrol,
    /// Log household visits in one's grids.
    RecordVisits,
    /// Read individual cases (lists, pages, photos, exports, points on maps) and act on them.
    WorkOnCases,
    /// See a reporter's name and phone after stating why (audited).
    RevealPersonalData,
    /// The three rates, dashboards and other figures.
    ViewStatistics,
    /// Plan who is on duty (值班) in one's streets: the dispatchers texted when a report
    /// holds words of danger.
    PlanDuty,
    /// Run residents' participation in one's places: link residents to their households, hold
    /// votes, enter paper ballots and publish results, keep the 小微权力清单 and publish the
    /// community's affairs and finances (居务、财务公开).
    RunParticipation,
    /// Keep the care flags of households in one's grids or regions (关爱服务: the elderly living
    /// alone, the disabled, …) and follow their visits; the names behind them are revealed
    /// only with a reason, audited. Never leaders: the flags are sensitive.
    CareForResidents,
    /// Register and verify the helpers of one's places (social organisations, social workers,
    /// volunteers: 五社联动), match residents' needs to them, keep their hours and points, and
    /// keep the service projects their places buy from organisations (政府购买服务).
    CoordinateHelp,
    /// Handle residents' applications for services at a street's service centre (为民服务中心:
    /// accept, ask once for missing materials, approve or refuse, complete) and see its
    /// appointments: the centre's window staff, as operators are the hotline's.
    HandleApplications,
    /// Register disputes found in one's places (矛盾纠纷排查), grade their risk, keep the
    /// roster of mediators, and mediate, escalate or hand over those at one's level; the
    /// parties' names are sealed like reporters'.
    MediateDisputes,
    /// Command the response to an incident in one's places (应急管理): open it with its plan,
    /// send notices to the area, keep shelters, supplies and the log, follow the
    /// house-by-house check, close it with its summary. Grid workers check their households
    /// without it.
    CommandEmergencies,
    /// Keep the party organisations of one's places (党建引领): the tree of committees,
    /// branches and groups, their members (names sealed like reporters'), the households each
    /// member keeps contact with and the contacts, in-service members registered with the
    /// community (双报到) and their service, activities and attendance. Grid workers keep those
    /// of their grids.
    OrganiseParty,
    /// 减负: register what upper levels impose on one's communities (tasks, meetings,
    /// inspections, forms) with the time it took, and, holding a district, keep its 准入清单 of
    /// what may be imposed.
    ReduceBurden,
    /// Handle residents' reports of staff misconduct routed to one's unit (a discipline
    /// unit's handlers: 纪工委, 纪委监委): read what they say, accept or decline, conclude with
    /// the finding and the reply. Only the unit a report is routed to reads it.
    InvestigateMisconduct,
    /// Keep the community staff of one's places (队伍建设): their profiles, training, the
    /// yearly appraisal with their work as the platform recorded it, the district's staffing
    /// standard, cadres sent down from agencies.
    ManageWorkforce,
    /// Accounts, units, categories, the matrix, the calendar, keys and webhooks.
    Administer,
}

impl Capability {
    pub const ALL: [Capability; 19] = [
        Self::TakeInRequests,
        Self::AnswerCalls,
        Self::ReportOnPatrol,
        Self::RecordVisits,
        Self::WorkOnCases,
        Self::RevealPersonalData,
        Self::ViewStatistics,
        Self::PlanDuty,
        Self::RunParticipation,
        Self::CareForResidents,
        Self::CoordinateHelp,
        Self::HandleApplications,
        Self::MediateDisputes,
        Self::CommandEmergencies,
        Self::OrganiseParty,
        Self::ReduceBurden,
        Self::InvestigateMisconduct,
        Self::ManageWorkforce,
        Self::Administer,
    ];

    /// Why a role without it is refused, in Chinese and English.
    pub fn refusal(self) -> (&'static str, &'static str) {
        match self {
            Self::TakeInRequests => ("该角色不能登记诉求", "this role cannot take in requests"),
            Self::AnswerCalls => ("只有接诉员可以登记来电", "only operators take calls"),
            Self::ReportOnPatrol => ("只有网格员可以巡查上报", "only grid workers report on patrol"),
            Self::RecordVisits => ("只有网格员可以记录走访", "only grid workers record visits"),
            Self::WorkOnCases => ("领导查看统计汇总，不查看单个案件", "leaders see aggregates, not individual cases"),
            Self::RevealPersonalData => ("该角色不能查看个人信息", "this role may not see personal data"),
            Self::ViewStatistics => ("接诉员不查看统计", "operators have no statistics"),
            Self::PlanDuty => ("只有督办员和管理员可以排班", "only supervisors and administrators plan duty"),
            Self::RunParticipation => (
                "只有网格员、督办员和管理员可以组织居民参与",
                "only grid workers, supervisors and administrators run residents' participation",
            ),
            Self::CareForResidents => (
                "只有网格员、督办员和管理员可以查看关爱对象",
                "only grid workers, supervisors and administrators see who receives care",
            ),
            Self::CoordinateHelp => (
                "只有网格员、督办员和管理员可以对接志愿服务",
                "only grid workers, supervisors and administrators match needs to helpers",
            ),
            Self::HandleApplications => (
                "只有接诉员（窗口）、督办员和管理员可以办理服务申请",
                "only operators (the window), supervisors and administrators handle applications",
            ),
            Self::MediateDisputes => (
                "只有网格员、督办员和管理员可以调处矛盾纠纷",
                "only grid workers, supervisors and administrators mediate disputes",
            ),
            Self::CommandEmergencies => (
                "只有派单员（指挥中心）、督办员和管理员可以指挥应急处置",
                "only dispatchers (the command centre), supervisors and administrators command emergencies",
            ),
            Self::OrganiseParty => (
                "只有网格员、督办员和管理员可以管理党组织和党员联户",
                "only grid workers, supervisors and administrators keep party organisations and their contacts",
            ),
            Self::InvestigateMisconduct => (
                "只有纪检监察机构的办理人员可以办理干部作风问题反映",
                "only the handlers of a discipline unit handle reports of misconduct",
            ),
            Self::ManageWorkforce => (
                "只有督办员和管理员可以管理社区工作者队伍",
                "only supervisors and administrators keep the community workforce",
            ),
            Self::ReduceBurden => (
                "只有网格员、督办员和管理员可以登记和维护减负事项",
                "only grid workers, supervisors and administrators register what is imposed on communities",
            ),
            Self::Administer => ("只有管理员可以进行系统管理", "administration is for administrators"),
        }
    }
}

/// What part of the city a staff account works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    /// One scope from several chosen together on a form (`all`, `region:CODE`, `unit:ID`,
    /// `grid:CODE` each): regions with regions, grids with grids, one unit, or everywhere.
    pub fn from_choices<S: AsRef<str>>(choices: &[S]) -> Result<Self, FieldError> {
        let bad = |zh: &str, en: &str| FieldError::new("scope", zh.to_string(), en.to_string());
        let chosen: Vec<&str> = choices.iter().map(|c| c.as_ref().trim()).filter(|c| !c.is_empty()).collect();
        let kind = |c: &str| c.split_once(':').map_or(c, |(k, _)| k).to_string();
        let Some(first) = chosen.first() else {
            return Err(bad("请选择范围", "choose a scope"));
        };
        if chosen.iter().any(|c| kind(c) != kind(first)) {
            return Err(bad(
                "范围只能是同一类：全部、若干区划、若干网格或一个单位",
                "choose one kind: everywhere, regions, grids, or one unit",
            ));
        }
        match kind(first).as_str() {
            "all" => Ok(Self::All),
            "unit" if chosen.len() > 1 => Err(bad("只能选择一个单位", "choose one unit")),
            "region" | "grid" => {
                let codes: Vec<&str> = chosen.iter().filter_map(|c| c.split_once(':')).map(|(_, code)| code).collect();
                Self::parse(&format!("{}:{}", kind(first), codes.join(",")))
            }
            _ => Self::parse(first),
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

    /// Whether a grid (15-digit code), or a street or community (a space of participation),
    /// lies within this scope: a region holds what its code begins, a grid worker's scope only
    /// their grids, a unit's scope no place.
    pub fn covers_place(&self, place: &str) -> bool {
        match self {
            Self::All => true,
            Self::Regions { codes } => codes.iter().any(|c| place.starts_with(c.as_str())),
            Self::Unit { .. } => false,
            Self::Grids { codes } => codes.iter().any(|c| c == place),
        }
    }

    /// Whether the scope reaches into a place (a community, say): holds it, or holds one of
    /// the grids within it, as a grid worker does their community.
    pub fn reaches(&self, place: &str) -> bool {
        match self {
            Self::Grids { codes } => codes.iter().any(|g| g.starts_with(place)),
            Self::All | Self::Regions { .. } | Self::Unit { .. } => self.covers_place(place),
        }
    }

    /// How the codes of the places this scope reaches begin (a grid worker's: their grids'
    /// communities), for lists of what happens there; `None` for everywhere.
    pub fn place_prefixes(&self) -> Option<Vec<String>> {
        match self {
            Self::All => None,
            Self::Regions { codes } => Some(codes.iter().map(|c| c.as_str().to_string()).collect()),
            Self::Unit { .. } => Some(Vec::new()),
            Self::Grids { codes } => {
                let mut communities: Vec<String> =
                    codes.iter().filter_map(|g| g.get(..RegionLevel::Community.digits())).map(str::to_string).collect();
                communities.sort();
                communities.dedup();
                Some(communities)
            }
        }
    }

    /// Whether a region (a district, street or community code) lies within this scope: a
    /// region scope covers what its codes contain. Units and grids hold no region.
    pub fn covers_region(&self, region: &RegionCode) -> bool {
        match self {
            Self::All => true,
            Self::Regions { codes } => codes.iter().any(|c| region.as_str().starts_with(c.as_str())),
            Self::Unit { .. } | Self::Grids { .. } => false,
        }
    }

    /// Whether two scopes share some region: one's region holds the other's, or either is
    /// everywhere. Units and grids share no region.
    pub fn shares_region_with(&self, other: &Scope) -> bool {
        match (self, other) {
            (Self::All, Self::All | Self::Regions { .. }) | (Self::Regions { .. }, Self::All) => true,
            (Self::Regions { codes: mine }, Self::Regions { codes: theirs }) => mine.iter().any(|a| {
                theirs.iter().any(|b| a.as_str().starts_with(b.as_str()) || b.as_str().starts_with(a.as_str()))
            }),
            (Self::Unit { .. } | Self::Grids { .. }, _) | (_, Self::Unit { .. } | Self::Grids { .. }) => false,
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

    #[test]
    fn scopes_chosen_together_make_one_of_one_kind() {
        let scope = |c: &[&str]| Scope::from_choices(c).map(|s| s.to_spec());
        assert_eq!(scope(&["region:110101001", "region:110101002"]).unwrap(), "region:110101001,110101002");
        assert_eq!(
            scope(&["grid:110101001001001", "grid:110101001001002"]).unwrap(),
            "grid:110101001001001,110101001001002"
        );
        assert_eq!(scope(&["unit:cgw"]).unwrap(), "unit:cgw");
        assert_eq!(scope(&["all"]).unwrap(), "all");
        assert_eq!(scope(&[]).unwrap_err().field, "scope");
        assert!(scope(&["unit:a", "unit:b"]).is_err(), "one unit");
        assert!(scope(&["region:110101", "grid:110101001001001"]).is_err(), "not a mix");
        assert!(scope(&["all", "region:110101"]).is_err(), "everywhere is everywhere");
        assert!(scope(&["region:nonsense"]).is_err(), "each code is checked");
    }

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
    fn each_role_may_do_exactly_its_row() {
        use Capability::*;
        // (role, [TakeInRequests, AnswerCalls, ReportOnPatrol, RecordVisits, WorkOnCases,
        //  RevealPersonalData, ViewStatistics, PlanDuty, RunParticipation, CareForResidents,
        //  CoordinateHelp, HandleApplications, MediateDisputes, CommandEmergencies, OrganiseParty,
        //  ReduceBurden, InvestigateMisconduct, ManageWorkforce, Administer])
        let (t, f) = (true, false);
        let table: [(Role, [bool; 19]); 7] = [
            (Role::Operator, [t, t, f, f, t, t, f, f, f, f, f, t, f, f, f, f, f, f, f]),
            (Role::Dispatcher, [f, f, f, f, t, t, t, f, f, f, f, f, f, t, f, f, f, f, f]),
            (Role::Handler, [f, f, f, f, t, t, t, f, f, f, f, f, f, f, f, f, t, f, f]),
            (Role::GridWorker, [t, f, t, t, t, t, t, f, t, t, t, f, t, f, t, t, f, f, f]),
            (Role::Supervisor, [f, f, f, f, t, t, t, t, t, t, t, t, t, t, t, t, f, t, f]),
            (Role::Leader, [f, f, f, f, f, f, t, f, f, f, f, f, f, f, f, f, f, f, f]),
            (Role::Admin, [f, f, f, f, t, t, t, t, t, t, t, t, t, t, t, t, f, t, t]),
        ];
        assert_eq!(table.len(), Role::ALL.len());
        let order = [
            TakeInRequests,
            AnswerCalls,
            ReportOnPatrol,
            RecordVisits,
            WorkOnCases,
            RevealPersonalData,
            ViewStatistics,
            PlanDuty,
            RunParticipation,
            CareForResidents,
            CoordinateHelp,
            HandleApplications,
            MediateDisputes,
            CommandEmergencies,
            OrganiseParty,
            ReduceBurden,
            InvestigateMisconduct,
            ManageWorkforce,
            Administer,
        ];
        assert_eq!(order, Capability::ALL);
        for (role, row) in table {
            for (capability, expected) in order.iter().zip(row) {
                assert_eq!(role.may(*capability), expected, "{} {capability:?}", role.as_str());
            }
        }
    }

    #[test]
    fn a_grid_worker_reaches_into_their_community_and_holds_only_their_grids() {
        let worker = Scope::parse("grid:110101001001001,110101001002003").unwrap();
        assert!(worker.reaches("110101001001") && worker.reaches("110101001"));
        assert!(!worker.covers_place("110101001001"), "a community vote is not a grid worker's to hold");
        assert!(worker.covers_place("110101001001001") && !worker.reaches("110101001003"));
        assert_eq!(worker.place_prefixes(), Some(vec!["110101001001".to_string(), "110101001002".to_string()]));
        assert_eq!(Scope::All.place_prefixes(), None);
        assert_eq!(Scope::Unit { unit: "u".into() }.place_prefixes(), Some(vec![]));
    }

    #[test]
    fn a_region_scope_covers_what_its_codes_contain() {
        let street = RegionCode::parse("110101001").unwrap();
        let next_street = RegionCode::parse("110101002").unwrap();
        let district = Scope::parse("region:110101").unwrap();
        assert!(district.covers_region(&street) && district.covers_region(&next_street));
        let one = Scope::parse("region:110101001").unwrap();
        assert!(one.covers_region(&street));
        assert!(!one.covers_region(&next_street));
        assert!(!one.covers_region(&RegionCode::parse("110101").unwrap()), "a street does not cover its district");
        assert!(!Scope::parse("grid:110101001001001").unwrap().covers_region(&street));
        assert!(Scope::All.covers_region(&street));
    }

    #[test]
    fn scopes_share_a_region_when_one_holds_the_other() {
        let district = Scope::parse("region:110101").unwrap();
        let street = Scope::parse("region:110101001").unwrap();
        let next_street = Scope::parse("region:110101002").unwrap();
        assert!(district.shares_region_with(&street) && street.shares_region_with(&district));
        assert!(!street.shares_region_with(&next_street));
        assert!(Scope::All.shares_region_with(&street));
        assert!(!Scope::All.shares_region_with(&Scope::parse("unit:x").unwrap()));
    }

    #[test]
    fn scopes_fit_roles() {
        assert!(Scope::parse("unit:x").unwrap().fits(Role::Handler));
        assert!(!Scope::parse("unit:x").unwrap().fits(Role::Dispatcher));
        assert!(!Scope::All.fits(Role::Handler));
    }
}
