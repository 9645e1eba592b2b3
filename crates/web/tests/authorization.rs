//! The authorization matrix of the API: every operation of the served OpenAPI document (which
//! is generated from the router, so a new route is in it) × nobody, every role, and a bearer
//! token that names no session. Each operation has a rule here; one without fails the test, so
//! no route is added without saying who may use it. The rule and the roles' capabilities
//! (`Role::capabilities`) give the expected answer: 401 without a session, 403 without the
//! capability, anything else (200, 404, 422, …) for those who may. Reading a case is also
//! tried inside and outside each role's scope.

mod support;

use grassroots_domain::{Capability, Role};
use serde_json::json;
use support::*;

/// Who may use an operation.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, without a session.
    Public,
    /// Anyone without a session; staff with a session need the capability.
    PublicOrStaffWith(Capability),
    /// Any staff member with a session.
    Staff,
    /// Staff whose role has every one of these capabilities.
    Can(&'static [Capability]),
    /// Staff whose role has one of these capabilities at least.
    CanAny(&'static [Capability]),
    /// A signed-in resident (居民账号) only: no staff session opens it.
    Resident,
}

fn rule(method: &str, path: &str) -> Rule {
    use Capability::*;
    match (method, path) {
        ("post", "/api/v1/auth/login")
        | ("get", "/api/v1/track/{tracking_no}")
        | ("post", "/api/v1/track/{tracking_no}/evaluation")
        | ("get", "/api/v1/reports/nearby")
        | ("post", "/api/v1/reports/{tracking_no}/supporters")
        | ("post", "/api/v1/residents/codes" | "/api/v1/residents/sessions")
        | (
            "get",
            "/api/v1/votes"
            | "/api/v1/votes/{id}"
            | "/api/v1/topics"
            | "/api/v1/topics/{id}"
            | "/api/v1/meetings"
            | "/api/v1/meetings/{id}"
            | "/api/v1/decisions"
            | "/api/v1/decisions/{id}"
            | "/api/v1/surveys"
            | "/api/v1/surveys/{id}"
            | "/api/v1/funds"
            | "/api/v1/funds/{id}"
            | "/api/v1/helpers/ranking"
            | "/api/v1/services"
            | "/api/v1/services/{code}"
            | "/api/v1/service-slots"
            | "/api/v1/projects"
            | "/api/v1/projects/{id}"
            | "/api/v1/compounds"
            | "/api/v1/compounds/{id}",
        ) => Rule::Public,
        (
            "get",
            "/api/v1/residents/me"
            | "/api/v1/residents/me/household"
            | "/api/v1/residents/me/votes"
            | "/api/v1/residents/me/participation"
            | "/api/v1/residents/me/surveys"
            | "/api/v1/residents/me/helper"
            | "/api/v1/residents/me/needs"
            | "/api/v1/residents/me/applications"
            | "/api/v1/residents/me/alerts",
        )
        | ("put", "/api/v1/residents/me/household" | "/api/v1/residents/me/alerts")
        | (
            "post",
            "/api/v1/votes/{id}/ballots"
            | "/api/v1/residents/me/topics"
            | "/api/v1/topics/{id}/proposals"
            | "/api/v1/topics/{id}/comments"
            | "/api/v1/proposals/{id}/supporters"
            | "/api/v1/surveys/{id}/responses"
            | "/api/v1/residents/me/helper"
            | "/api/v1/residents/me/needs"
            | "/api/v1/residents/me/applications"
            | "/api/v1/residents/me/appointments"
            | "/api/v1/compounds/{id}/ratings",
        )
        | (
            "delete",
            "/api/v1/residents/me" | "/api/v1/residents/sessions/current" | "/api/v1/residents/me/appointments/{id}",
        ) => Rule::Resident,
        // An application is read and moved by the centre's staff, or by the resident who applied
        // (their sessions are resident sessions, checked in tests/services.rs).
        ("get", "/api/v1/applications" | "/api/v1/applications/{id}" | "/api/v1/applications/{id}/files/{digest}")
        | ("get", "/api/v1/appointments")
        | ("post", "/api/v1/applications/{id}/moves") => Rule::Can(&[HandleApplications]),
        // A need is read and moved by staff who match help in its place, or by its helper or the
        // resident who asked (their sessions are resident sessions, checked in tests/help.rs).
        ("get", "/api/v1/needs/{id}" | "/api/v1/needs/{id}/photos/{digest}") | ("post", "/api/v1/needs/{id}/moves") => {
            Rule::Can(&[CoordinateHelp])
        }
        ("get", "/api/v1/helpers" | "/api/v1/helpers/{id}" | "/api/v1/needs" | "/api/v1/needs/{id}/suggestions")
        | (
            "post",
            "/api/v1/helpers" | "/api/v1/helpers/{id}/state" | "/api/v1/helpers/{id}/redemptions" | "/api/v1/needs",
        ) => Rule::Can(&[CoordinateHelp]),
        ("post", "/api/v1/helpers/{id}/commitments" | "/api/v1/helpers/{id}/commitments/{n}/deliveries") => {
            Rule::Can(&[CoordinateHelp])
        }
        (
            "post",
            "/api/v1/projects"
            | "/api/v1/projects/{id}/reports"
            | "/api/v1/projects/{id}/milestones/{n}"
            | "/api/v1/projects/{id}/evaluation",
        ) => Rule::Can(&[CoordinateHelp]),
        (
            "get",
            "/api/v1/households/links"
            | "/api/v1/votes/{id}/paper-counts"
            | "/api/v1/moderation/topics"
            | "/api/v1/overdue-decisions"
            | "/api/v1/surveys/{id}/results",
        )
        | ("put", "/api/v1/spaces/{code}/threshold")
        | (
            "post",
            "/api/v1/households/links"
            | "/api/v1/households/links/{id}"
            | "/api/v1/votes"
            | "/api/v1/votes/{id}/paper-voters"
            | "/api/v1/votes/{id}/paper-counts"
            | "/api/v1/votes/{id}/publication"
            | "/api/v1/votes/{id}/withdrawal"
            | "/api/v1/surveys/{id}/withdrawal"
            | "/api/v1/topics"
            | "/api/v1/topics/{id}/moderation"
            | "/api/v1/topics/{id}/replies"
            | "/api/v1/proposals/{id}/hiding"
            | "/api/v1/comments/{id}/hiding"
            | "/api/v1/funds"
            | "/api/v1/funds/{id}/entries"
            | "/api/v1/compounds",
        ) => Rule::Can(&[RunParticipation]),
        (
            "post",
            "/api/v1/topics/from-cases" | "/api/v1/meetings" | "/api/v1/meetings/{id}/minutes" | "/api/v1/surveys",
        )
        | ("post", "/api/v1/votes/{id}/decision") => Rule::Can(&[RunParticipation]),
        // Staff of the place or the owning unit's handlers: the store decides which task.
        ("get", "/api/v1/owned-decisions")
        | ("post", "/api/v1/decisions/{id}/progress" | "/api/v1/decisions/{id}/milestones") => {
            Rule::Can(&[WorkOnCases])
        }
        ("post", "/api/v1/cases") => Rule::PublicOrStaffWith(TakeInRequests),
        (
            "get",
            "/api/v1/auth/me"
            | "/api/v1/grids"
            | "/api/v1/grids/{code}"
            | "/api/v1/stats/coverage"
            | "/api/v1/reference",
        )
        | ("post", "/api/v1/auth/logout" | "/api/v1/classify") => Rule::Staff,
        (
            "get",
            "/api/v1/cases"
            | "/api/v1/queues"
            | "/api/v1/cases/{id}"
            | "/api/v1/export/cases"
            | "/api/v1/grids/{code}/visits"
            | "/api/v1/cases/{id}/attachments"
            | "/api/v1/cases/{id}/attachments/{attachment}",
        )
        | ("post", "/api/v1/cases/{id}/actions") => Rule::Can(&[WorkOnCases]),
        ("get", "/api/v1/search" | "/api/v1/warnings") | ("post", "/api/v1/warnings/{id}") => Rule::Can(&[WorkOnCases]),
        ("get" | "put", "/api/v1/warnings/words") => Rule::Can(&[Administer]),
        ("get", "/api/v1/duty" | "/api/v1/compounds/{id}/cases") => Rule::Can(&[WorkOnCases]),
        ("post", "/api/v1/duty") | ("delete", "/api/v1/duty/{id}") => Rule::Can(&[PlanDuty]),
        ("post", "/api/v1/cases/{id}/reveal" | "/api/v1/export/cases") => Rule::Can(&[WorkOnCases, RevealPersonalData]),
        ("post", "/api/v1/grids/{code}/visits") => Rule::Can(&[RecordVisits]),
        (
            "get",
            "/api/v1/care/due" | "/api/v1/care/grids" | "/api/v1/care/members/{id}" | "/api/v1/care/households/{id}",
        )
        | ("post", "/api/v1/care/members" | "/api/v1/care/members/{id}/flags" | "/api/v1/care/members/{id}/end") => {
            Rule::Can(&[CareForResidents])
        }
        ("post", "/api/v1/care/members/{id}/reveal") => Rule::Can(&[CareForResidents, RevealPersonalData]),
        ("get", "/api/v1/disputes" | "/api/v1/disputes/{id}" | "/api/v1/mediators")
        | (
            "post",
            "/api/v1/disputes" | "/api/v1/disputes/{id}/moves" | "/api/v1/disputes/{id}/grade" | "/api/v1/mediators",
        ) => Rule::Can(&[MediateDisputes]),
        ("post", "/api/v1/disputes/{id}/parties" | "/api/v1/cases/{id}/dispute") => {
            Rule::Can(&[MediateDisputes, RevealPersonalData])
        }
        ("get", "/api/v1/disputes/figures") => Rule::Can(&[ViewStatistics]),
        ("get", "/api/v1/incidents" | "/api/v1/incidents/{id}/households")
        | (
            "post",
            "/api/v1/incidents/{id}/checks"
            | "/api/v1/incidents/{id}/tasks/{task}"
            | "/api/v1/incidents/{id}/households",
        ) => Rule::CanAny(&[CommandEmergencies, RecordVisits]),
        ("get", "/api/v1/incidents/{id}" | "/api/v1/incidents/{id}/progress")
        | (
            "post",
            "/api/v1/incidents"
            | "/api/v1/incidents/{id}/notices"
            | "/api/v1/incidents/{id}/shelters"
            | "/api/v1/incidents/{id}/shelters/{shelter}"
            | "/api/v1/incidents/{id}/supplies"
            | "/api/v1/incidents/{id}/supplies/{supply}"
            | "/api/v1/incidents/{id}/log"
            | "/api/v1/incidents/{id}/closure",
        ) => Rule::Can(&[CommandEmergencies]),
        (
            "get",
            "/api/v1/party/orgs"
            | "/api/v1/party/members"
            | "/api/v1/party/members/{id}"
            | "/api/v1/party/contacts"
            | "/api/v1/party/registrations"
            | "/api/v1/party/registrations/{id}"
            | "/api/v1/party/activities",
        )
        | (
            "post",
            "/api/v1/party/orgs"
            | "/api/v1/party/orgs/{id}/rename"
            | "/api/v1/party/members"
            | "/api/v1/party/members/{id}/households"
            | "/api/v1/party/members/{id}/contacts"
            | "/api/v1/party/members/{id}/leave"
            | "/api/v1/party/members/{id}/transfer"
            | "/api/v1/party/registrations"
            | "/api/v1/party/registrations/{id}/services"
            | "/api/v1/party/activities",
        )
        | ("delete", "/api/v1/party/members/{id}/households/{household}" | "/api/v1/party/orgs/{id}") => {
            Rule::Can(&[OrganiseParty])
        }
        ("post", "/api/v1/party/members/{id}/reveal") => Rule::Can(&[OrganiseParty, RevealPersonalData]),
        ("get", "/api/v1/party/figures") => Rule::Can(&[ViewStatistics]),
        (
            "get",
            "/api/v1/bulletins"
            | "/api/v1/bulletins/{id}"
            | "/api/v1/bulletins/{id}/pdf"
            | "/api/v1/bulletins/{id}/xlsx",
        )
        | ("post", "/api/v1/bulletins") => Rule::Can(&[ViewStatistics]),
        ("get", "/api/v1/burden/list")
        | ("post", "/api/v1/burden/list" | "/api/v1/burden/list/{id}/withdraw" | "/api/v1/burden") => {
            Rule::Can(&[ReduceBurden])
        }
        ("get", "/api/v1/burden") => Rule::CanAny(&[ReduceBurden, ViewStatistics]),
        ("get", "/api/v1/powers" | "/api/v1/disclosures" | "/api/v1/disclosures/{id}/history")
        | ("post", "/api/v1/misconduct" | "/api/v1/misconduct/track") => Rule::Public,
        ("post", "/api/v1/powers" | "/api/v1/disclosures") | ("get", "/api/v1/disclosures/overdue") => {
            Rule::Can(&[RunParticipation])
        }
        ("get", "/api/v1/misconduct" | "/api/v1/misconduct/{id}") | ("post", "/api/v1/misconduct/{id}/moves") => {
            Rule::Can(&[InvestigateMisconduct])
        }
        (
            "get",
            "/api/v1/workforce/team"
            | "/api/v1/workforce/staff/{username}"
            | "/api/v1/workforce/trainings"
            | "/api/v1/workforce/secondments",
        )
        | (
            "post",
            "/api/v1/workforce/staff/{username}/leave"
            | "/api/v1/workforce/staff/{username}/appraisals"
            | "/api/v1/workforce/trainings"
            | "/api/v1/workforce/trainings/{id}/attendance"
            | "/api/v1/workforce/secondments"
            | "/api/v1/workforce/secondments/{id}/work",
        )
        | ("put", "/api/v1/workforce/staff/{username}/profile" | "/api/v1/workforce/staffing/standard") => {
            Rule::Can(&[ManageWorkforce])
        }
        ("get", "/api/v1/workforce/staffing") => Rule::Can(&[ViewStatistics]),
        ("post", "/api/v1/patrol") => Rule::Can(&[ReportOnPatrol]),
        ("get", "/api/v1/stats/rates") => Rule::Can(&[ViewStatistics]),
        ("get", "/api/v1/audit" | "/api/v1/audit/export")
        | ("post", "/api/v1/audit/verify" | "/api/v1/privacy/requests") => Rule::Can(&[Administer]),
        (method, path) => panic!("{method} {path} has no rule in the authorization matrix: say who may use it"),
    }
}

/// The account of each role in the test world.
const ROLES: [(&str, Role); 7] = [
    ("operator", Role::Operator),
    ("dispatcher", Role::Dispatcher),
    ("handler-a", Role::Handler),
    ("gridworker", Role::GridWorker),
    ("supervisor", Role::Supervisor),
    ("leader", Role::Leader),
    ("admin", Role::Admin),
];

fn refused(status: u16) -> bool {
    status == 401 || status == 403
}

async fn every_operation_answers_each_role_as_its_rule_says(app: TestApp) {
    // The public endpoints' per-address limit would answer 429 before the rules are reached.
    let unlimited = grassroots_web::RateLimit { per_minute: 1_000_000, burst: 1_000_000 };
    let app = app.with_config(grassroots_web::Config { public_rate: unlimited, ..Default::default() }).await;
    let case = app.grid_case(GRID).await;
    let doc = app.get("/api/docs").send().await.json();
    let mut operations: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .filter(|(method, _)| ["get", "post", "put", "patch", "delete"].contains(&method.as_str()))
        .collect();
    // Logging out would end the sessions the matrix uses: it goes last.
    operations.sort_by_key(|(method, path)| (path == "/api/v1/auth/logout", method.clone(), path.clone()));
    let mut tokens = Vec::new();
    for (username, role) in ROLES {
        tokens.push((username, role, app.login(username).await));
    }
    let mut checked = 0;
    for (method, path) in &operations {
        let rule = rule(method, path);
        let concrete = path
            .replace("{id}", &case.id.to_string())
            .replace("{attachment}", &uuid::Uuid::nil().to_string())
            .replace("{tracking_no}", &case.tracking_no)
            .replace("{code}", GRID);
        // A report that intake accepts, so that its answer turns on who sends it; elsewhere an
        // empty body, refused as a body only after the rule let the caller through.
        let body = if path == "/api/v1/cases" {
            json!({ "description": "路灯不亮", "address": "东华门街道多福巷社区" })
        } else {
            json!({})
        };
        let send = |token: Option<&str>| {
            let req = match method.as_str() {
                "get" => app.get(&concrete),
                "put" => app.put(&concrete).json(&body),
                "delete" => app.delete(&concrete),
                _ => app.post(&concrete).json(&body),
            };
            match token {
                Some(t) => req.bearer(t).send(),
                None => req.send(),
            }
        };
        let nobody = send(None).await.status;
        match rule {
            Rule::Public | Rule::PublicOrStaffWith(_) => {
                assert!(!refused(nobody), "{method} {path}: nobody got {nobody}")
            }
            Rule::Staff | Rule::Can(_) | Rule::CanAny(_) | Rule::Resident => {
                assert_eq!(nobody, 401, "{method} {path}: nobody")
            }
        }
        if !matches!(rule, Rule::Public) {
            let forged = send(Some("no-such-session-token")).await.status;
            assert_eq!(forged, 401, "{method} {path}: a token that names no session");
        }
        for (username, role, token) in &tokens {
            let status = send(Some(token)).await.status;
            let may = match rule {
                Rule::Public | Rule::Staff => true,
                Rule::PublicOrStaffWith(capability) => role.may(capability),
                Rule::Can(capabilities) => capabilities.iter().all(|c| role.may(*c)),
                Rule::CanAny(capabilities) => capabilities.iter().any(|c| role.may(*c)),
                Rule::Resident => {
                    assert_eq!(status, 401, "{method} {path}: {username}'s staff session is no resident's");
                    checked += 1;
                    continue;
                }
            };
            if may {
                assert!(!refused(status), "{method} {path}: {username} may, got {status}");
            } else {
                assert_eq!(status, 403, "{method} {path}: {username} may not");
            }
            checked += 1;
        }
    }
    assert!(checked >= 7 * 26, "{checked} checks");
}

/// The staff pages, by the rule of each: nobody is sent to log in, a role without the
/// capability gets a 403 page, the others the page (or, for a leader's workbench, the map;
/// outside their scope, not found).
/// Pages are not in the generated document, so this list is kept by hand beside the router.
async fn every_staff_page_answers_each_role_as_its_rule_says(app: TestApp) {
    use Capability::*;
    let case = app.grid_case(GRID).await;
    let case_page = format!("/cases/{}", case.id);
    let grid_page = format!("/grids/{GRID}");
    let pages: [(&str, Rule); 30] = [
        ("/map", Rule::Staff),
        ("/work", Rule::Staff),
        (&grid_page, Rule::Staff),
        ("/dashboard", Rule::Can(&[ViewStatistics])),
        ("/intake", Rule::Can(&[AnswerCalls])),
        ("/patrol", Rule::Can(&[ReportOnPatrol])),
        (&case_page, Rule::Can(&[WorkOnCases])),
        ("/search", Rule::Can(&[WorkOnCases])),
        ("/warnings", Rule::Can(&[WorkOnCases])),
        ("/duty", Rule::Can(&[WorkOnCases])),
        ("/households", Rule::Can(&[RunParticipation])),
        ("/care", Rule::Can(&[CareForResidents])),
        ("/needs", Rule::Can(&[CoordinateHelp])),
        ("/helpers", Rule::Can(&[CoordinateHelp])),
        ("/applications", Rule::Can(&[HandleApplications])),
        ("/disputes", Rule::Can(&[MediateDisputes])),
        ("/mediators", Rule::Can(&[MediateDisputes])),
        ("/disputes/figures", Rule::Can(&[ViewStatistics])),
        ("/incidents", Rule::CanAny(&[CommandEmergencies, RecordVisits])),
        ("/party", Rule::Can(&[OrganiseParty])),
        ("/party/figures", Rule::Can(&[ViewStatistics])),
        ("/bulletins", Rule::Can(&[ViewStatistics])),
        ("/burden", Rule::CanAny(&[ReduceBurden, ViewStatistics])),
        ("/oversight", Rule::CanAny(&[RunParticipation, InvestigateMisconduct])),
        ("/workforce", Rule::Can(&[ManageWorkforce])),
        ("/workforce/staffing", Rule::Can(&[ViewStatistics])),
        ("/dashboard/forecast", Rule::Can(&[ViewStatistics])),
        ("/admin/users", Rule::Can(&[Administer])),
        ("/admin/audit", Rule::Can(&[Administer])),
        ("/admin/privacy", Rule::Can(&[Administer])),
    ];
    let mut cookies = Vec::new();
    for (username, role) in ROLES {
        cookies.push((username, role, format!("grassroots_session={}", app.login(username).await)));
    }
    for (path, rule) in pages {
        let nobody = app.get(path).send().await;
        assert_eq!(nobody.status, 303, "{path}: nobody is sent to log in");
        assert!(nobody.header("location").is_some_and(|l| l.starts_with("/login")), "{path}");
        for (username, role, cookie) in &cookies {
            let res = app.get(path).header("cookie", cookie).send().await;
            let status = res.status;
            let to_login = res.header("location").is_some_and(|l| l.starts_with("/login"));
            let may = match rule {
                Rule::Public | Rule::Staff => true,
                Rule::PublicOrStaffWith(capability) => role.may(capability),
                Rule::Can(capabilities) => capabilities.iter().all(|c| role.may(*c)),
                Rule::CanAny(capabilities) => capabilities.iter().any(|c| role.may(*c)),
                Rule::Resident => panic!("{path}: a resident's page is not a staff page"),
            };
            // Allowed by the rule, a page may still be outside the reader's scope (404).
            if may {
                assert!(!refused(status) && !to_login, "{path}: {username} may, got {status}");
            } else {
                assert_eq!(status, 403, "{path}: {username} may not");
            }
        }
    }
}

/// A case is read inside the scope, and is not found outside it: by role and by scope.
async fn a_case_is_found_only_within_the_reader_s_scope(app: TestApp) {
    let case = app.grid_case(GRID).await;
    let path = format!("/api/v1/cases/{}", case.id);
    for (username, inside) in [
        ("dispatcher", true),
        ("supervisor", true),
        ("admin", true),
        ("gridworker", true),
        ("gridworker-other", false),
        ("handler-a", false),
        ("handler-b", false),
    ] {
        let token = app.login(username).await;
        let status = app.get(&path).bearer(&token).send().await.status;
        assert_eq!(status, if inside { 200 } else { 404 }, "{username}");
    }
}

api_tests!(
    every_operation_answers_each_role_as_its_rule_says,
    every_staff_page_answers_each_role_as_its_rule_says,
    a_case_is_found_only_within_the_reader_s_scope,
);
