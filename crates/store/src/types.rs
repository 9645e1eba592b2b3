//! What goes in and out of the store.

use chrono::{DateTime, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::workflow::CaseEvent;
use grassroots_domain::{CaseRecord, CaseState, Channel, Priority, RequestType, Role, Scope, Taxonomy, WorkCalendar};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A responsible unit (承办单位): a department, street office, utility or company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    /// The region it serves (a district for departments, a street for street offices).
    pub region_code: String,
}

/// What an import of regions changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RegionImport {
    /// Regions added or changed (name, level or parent).
    pub written: u64,
    /// Of those, regions whose name changed; the old name is kept in the history.
    pub renamed: u64,
}

/// One line of the responsibility matrix (派单目录): category × region → unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Responsibility {
    pub category_code: String,
    pub region_code: String,
    pub unit_id: String,
}

/// Reference data the rules need, loaded once and refreshed when it changes.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub taxonomy: Taxonomy,
    pub calendar: WorkCalendar,
    pub units: Vec<Unit>,
    pub responsibilities: Vec<Responsibility>,
}

impl Reference {
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// The unit responsible for `category_code` at the most specific region containing the
    /// place (community, then street, then district), falling back to the parent category.
    pub fn suggest_unit(&self, category_code: &str, place: &Place) -> Option<&Unit> {
        let regions = [&place.community_code, &place.street_code, &place.district_code];
        let mut category = Some(category_code.to_string());
        while let Some(code) = category {
            for region in regions.iter().filter_map(|r| r.as_deref()) {
                if let Some(r) =
                    self.responsibilities.iter().find(|r| r.category_code == code && r.region_code == region)
                {
                    return self.unit(&r.unit_id);
                }
            }
            category = self.taxonomy.get(&code).and_then(|c| c.parent.as_ref()).map(|p| p.as_str().to_string());
        }
        None
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
}

#[derive(Debug, Clone)]
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
}

/// A validated request, ready to become a case.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub category_code: String,
    pub request_type: RequestType,
    pub priority: Priority,
    pub channel: Channel,
    pub description: String,
    pub place: Place,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub anonymous: bool,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedCase {
    pub id: Uuid,
    pub tracking_no: String,
    /// Shown once to the reporter; stored only as a hash.
    pub query_code: String,
    pub status: CaseState,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
}

/// The reporter as staff see them by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaskedReporter {
    pub anonymous: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseDetail {
    pub record: CaseRecord,
    pub reporter: MaskedReporter,
    pub events: Vec<CaseEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSummary {
    pub record: CaseRecord,
    pub reporter: MaskedReporter,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CaseFilter {
    pub states: Vec<CaseState>,
    /// A top-level code matches its sub-categories too.
    pub category: Option<String>,
    pub unit: Option<String>,
    pub region: Option<grassroots_domain::RegionCode>,
    pub overdue: Option<bool>,
    pub text: Option<String>,
    /// Keyset cursor: the id of the last case of the previous page.
    pub after: Option<Uuid>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CasePage {
    pub cases: Vec<CaseSummary>,
    pub next_cursor: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevealedPersonalData {
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub case_id: Option<Uuid>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RateFilter {
    pub region: Option<grassroots_domain::RegionCode>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The moment whose view is counted (when response deadlines are judged); now if absent.
    pub as_of: Option<DateTime<Utc>>,
}

/// A case with its whole history, as loaded by the demo and by imports.
#[derive(Debug, Clone)]
pub struct HistoricCase {
    pub record: CaseRecord,
    pub events: Vec<CaseEvent>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub anonymous: bool,
    pub query_code: String,
}
