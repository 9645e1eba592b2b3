//! Cases written out for other systems: CSV or JSON lines, one case per row, personal data
//! masked. Rows are written page by page from a keyset walk, so an export of any size holds
//! one page in memory.

use chrono::{DateTime, Utc};
use grassroots_domain::calendar::beijing;
use grassroots_domain::Scope;
use uuid::Uuid;

use crate::{CaseFilter, Reference, Result, Store};

/// A case as an export writes it: the exported columns only, codes and texts as stored. A
/// page of them is read as one value (a JSON array the database builds), because the SQLite
/// driver hands rows over from its worker thread one by one, and a page of a thousand whole
/// case rows cost more in that hand-over and in conversions than in reading them.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ExportedCase {
    pub id: Uuid,
    pub tracking_no: String,
    pub state: String,
    pub category_code: String,
    pub request_type: String,
    pub priority: String,
    pub channel: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub received_at: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub response_due: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub resolve_due: DateTime<Utc>,
    pub district_code: Option<String>,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub lead_unit: Option<String>,
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    pub first_contact_at: Option<DateTime<Utc>>,
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    pub handled_at: Option<DateTime<Utc>>,
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    pub closed_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    /// The resident's evaluation: resolved (1) or not (0), and how satisfied.
    pub eval_resolved: Option<i64>,
    pub eval_satisfaction: Option<String>,
    /// 1 for an anonymous report.
    pub anonymous: i64,
    /// Masked as stored, until revealed.
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// Masked as stored, until revealed.
    pub description: String,
}

impl ExportedCase {
    /// The columns of cases (alias `c`) a page is built from, in the order of the fields.
    pub const COLUMNS: [&'static str; 28] = [
        "id",
        "tracking_no",
        "state",
        "category_code",
        "request_type",
        "priority",
        "channel",
        "received_at",
        "response_due",
        "resolve_due",
        "district_code",
        "street_code",
        "community_code",
        "grid_code",
        "address",
        "lat",
        "lng",
        "lead_unit",
        "first_contact_at",
        "handled_at",
        "closed_at",
        "result",
        "eval_resolved",
        "eval_satisfaction",
        "anonymous",
        "reporter_name_masked",
        "reporter_phone_masked",
        "description",
    ];

    pub fn is_anonymous(&self) -> bool {
        self.anonymous != 0
    }
}

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::JsonLines),
            _ => None,
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::JsonLines => "application/x-ndjson",
        }
    }
}

/// Whether the reporters of an export are masked or, for a stated reason, in full: the
/// column says which, so a file never calls full data masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporters {
    Masked,
    Revealed,
}

impl Reporters {
    fn column(self) -> &'static str {
        match self {
            Self::Masked => "reporter_masked",
            Self::Revealed => "reporter",
        }
    }
}

/// The columns, in order; the CSV header and the JSON keys. The reporter's column is named by
/// [`Reporters`].
const COLUMNS: [&str; 26] = [
    "tracking_no",
    "state",
    "category_code",
    "category_name",
    "request_type",
    "priority",
    "channel",
    "received_at",
    "response_due",
    "resolve_due",
    "district_code",
    "street_code",
    "community_code",
    "grid_code",
    "address",
    "lat",
    "lng",
    "lead_unit",
    "first_contact_at",
    "handled_at",
    "closed_at",
    "result",
    "evaluation_resolved",
    "evaluation_satisfaction",
    REPORTER_COLUMN,
    "description",
];

const REPORTER_COLUMN: &str = "reporter_masked";

fn columns(reporters: Reporters) -> [&'static str; 26] {
    COLUMNS.map(|c| if c == REPORTER_COLUMN { reporters.column() } else { c })
}

fn row(case: &ExportedCase, reference: &Reference) -> Vec<String> {
    let time = |t: DateTime<Utc>| t.with_timezone(&beijing()).to_rfc3339();
    let opt_time = |t: Option<DateTime<Utc>>| t.map(time).unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let reporter = if case.is_anonymous() {
        "匿名".to_string()
    } else {
        [case.reporter_name.clone(), case.reporter_phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ")
    };
    vec![
        case.tracking_no.clone(),
        case.state.clone(),
        case.category_code.clone(),
        reference.taxonomy.get(&case.category_code).map(|c| c.name_zh.clone()).unwrap_or_default(),
        case.request_type.clone(),
        case.priority.clone(),
        case.channel.clone(),
        time(case.received_at),
        time(case.response_due),
        time(case.resolve_due),
        text(&case.district_code),
        text(&case.street_code),
        text(&case.community_code),
        text(&case.grid_code),
        text(&case.address),
        case.lat.map(|v| v.to_string()).unwrap_or_default(),
        case.lng.map(|v| v.to_string()).unwrap_or_default(),
        text(&case.lead_unit),
        opt_time(case.first_contact_at),
        opt_time(case.handled_at),
        opt_time(case.closed_at),
        text(&case.result),
        case.eval_resolved.map(|r| (r != 0).to_string()).unwrap_or_default(),
        text(&case.eval_satisfaction),
        reporter,
        case.description.clone(),
    ]
}

/// The header of an export (CSV only; JSON lines have none).
pub fn header(format: ExportFormat, reporters: Reporters) -> Vec<u8> {
    match format {
        ExportFormat::Csv => csv_line(&columns(reporters).map(str::to_string)),
        ExportFormat::JsonLines => Vec::new(),
    }
}

/// A cell a spreadsheet would run as a formula is written as text (a leading `'`): residents'
/// and staff's words must not become commands on the desk that opens the file.
fn defused(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Lines of CSV, written by one writer into one buffer (a writer per line would allocate its
/// buffer for every case).
fn csv_lines<Line: AsRef<[String]>>(lines: impl IntoIterator<Item = Line>, out: &mut Vec<u8>) {
    let mut writer = csv::Writer::from_writer(out);
    // Writing to memory cannot fail.
    for fields in lines {
        for field in fields.as_ref() {
            let _ = writer.write_field(defused(field).as_bytes());
        }
        let _ = writer.write_record(None::<&[u8]>);
    }
    let _ = writer.flush();
}

fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    csv_lines([fields], &mut out);
    out
}

/// One page of cases as export bytes.
pub fn rows(format: ExportFormat, reporters: Reporters, cases: &[ExportedCase], reference: &Reference) -> Vec<u8> {
    let keys = columns(reporters);
    let mut out = Vec::with_capacity(cases.len() * 512);
    match format {
        ExportFormat::Csv => csv_lines(cases.iter().map(|case| row(case, reference)), &mut out),
        ExportFormat::JsonLines => {
            for case in cases {
                let fields = row(case, reference);
                let object: serde_json::Map<String, serde_json::Value> =
                    keys.iter().zip(fields).map(|(k, v)| (k.to_string(), serde_json::Value::from(v))).collect();
                out.extend(serde_json::Value::Object(object).to_string().into_bytes());
                out.push(b'\n');
            }
        }
    }
    out
}

/// Rows per page of the walk.
pub const PAGE: u32 = 1000;

/// A walk through the cases of a filter, latest received first, a page at a time, each page
/// taken up where the one before ended (time received and id), so a walk's time grows with
/// the cases it reads and its memory stays one page.
pub struct Walk {
    filter: CaseFilter,
    before: Option<(DateTime<Utc>, Uuid)>,
    done: bool,
}

impl Walk {
    pub fn new(filter: CaseFilter) -> Self {
        Self { filter, before: None, done: false }
    }

    /// The next page; `None` once every case has been read.
    pub async fn next(&mut self, store: &dyn Store, scope: &Scope) -> Result<Option<Vec<ExportedCase>>> {
        if self.done {
            return Ok(None);
        }
        let cases = store.export_page(scope, &self.filter, self.before, PAGE).await?;
        match cases.last() {
            Some(last) if cases.len() == PAGE as usize => self.before = Some((last.received_at, last.id)),
            _ => self.done = true,
        }
        Ok((!cases.is_empty()).then_some(cases))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_look_like_formulas_are_written_as_text() {
        let line =
            String::from_utf8(csv_line(&["=HYPERLINK(\"http://x\")".into(), "-1".into(), "路灯".into()])).unwrap();
        assert_eq!(line, "\"'=HYPERLINK(\"\"http://x\"\")\",'-1,路灯\n");
    }
}
