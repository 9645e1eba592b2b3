//! `grassroots import cases`: historical cases from another hotline system, as CSV or JSON
//! lines, with a mapping file that says which column holds which field.
//!
//! The file is read twice. The first pass checks every row and reports each bad one (row,
//! field, column, reason); unless `--skip-invalid` is given, one bad row stops the import
//! before anything is written. The second pass writes the cases in batches, each batch one
//! transaction that records every case's external id, so a rerun (or a run after a crash)
//! skips what is already in and creates nothing twice. A large import sets the cases table's
//! secondary indexes aside while it writes and builds them again at the end (`Indexes`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Utc};
use grassroots_domain::calendar::{beijing, deadlines};
use grassroots_domain::case::{tracking_no, Place};
use grassroots_domain::personal::normalize_phone;
use grassroots_domain::workflow::{due_status_change, evolve};
use grassroots_domain::{CaseEvent, Category, Channel, EventKind, Priority, RegionCode, RequestType, Satisfaction};
use grassroots_geo::placement::{place_in, Placer, Unplaced};
use grassroots_store::{bulk_import_ttl, HistoricCase, ImportBatch, ImportedCase, Reference, Store, BULK_IMPORT_LEASE};

use crate::demo::id_at;
use rand::Rng;
use serde::Deserialize;

/// Cases written per transaction.
const BATCH: usize = 10_000;
const MAX_TEXT: usize = 4000;

pub struct Options {
    pub file: PathBuf,
    pub mapping: PathBuf,
    /// csv or jsonl; by default from the file's extension.
    pub format: Option<String>,
    pub skip_invalid: bool,
    pub indexes: Indexes,
}

/// What the import does with the cases table's secondary indexes (queues, rates, deadlines)
/// while it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Indexes {
    /// Set them aside when the file brings at least 100,000 cases, and at least half as many
    /// as are stored.
    Auto,
    /// Set them aside, and build them again at the end.
    Rebuild,
    /// Keep them up to date case by case: slower, but the platform's lists stay fast.
    Keep,
}

impl Indexes {
    /// Building an index again reads every stored case; keeping it up to date costs about
    /// three times as much per new case (measured at a million cases: 2.5 µs against 7.7 µs a
    /// case for each index), so it pays once the new cases are half as many as the stored.
    fn set_aside(self, new: u64, stored: i64) -> bool {
        match self {
            Indexes::Auto => new >= 100_000 && new.saturating_mul(2) >= u64::try_from(stored).unwrap_or(0),
            Indexes::Rebuild => true,
            Indexes::Keep => false,
        }
    }
}

/// The fields a row can give, in the order a row's values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Field {
    ExternalId,
    ReceivedAt,
    Category,
    Description,
    RequestType,
    Priority,
    Channel,
    Lat,
    Lng,
    Region,
    Address,
    ReporterName,
    ReporterPhone,
    Unit,
    RespondedAt,
    ClosedAt,
    Result,
    Resolved,
    Satisfaction,
}

const FIELDS: [(Field, &str); 19] = [
    (Field::ExternalId, "external_id"),
    (Field::ReceivedAt, "received_at"),
    (Field::Category, "category"),
    (Field::Description, "description"),
    (Field::RequestType, "request_type"),
    (Field::Priority, "priority"),
    (Field::Channel, "channel"),
    (Field::Lat, "lat"),
    (Field::Lng, "lng"),
    (Field::Region, "region"),
    (Field::Address, "address"),
    (Field::ReporterName, "reporter_name"),
    (Field::ReporterPhone, "reporter_phone"),
    (Field::Unit, "unit"),
    (Field::RespondedAt, "responded_at"),
    (Field::ClosedAt, "closed_at"),
    (Field::Result, "result"),
    (Field::Resolved, "resolved"),
    (Field::Satisfaction, "satisfaction"),
];

/// A row without a category is given the classifier's, as intake gives a report naming none.
const REQUIRED: [Field; 3] = [Field::ExternalId, Field::ReceivedAt, Field::Description];

impl Field {
    fn name(self) -> &'static str {
        FIELDS[self as usize].1
    }

    fn by_name(name: &str) -> Option<Field> {
        FIELDS.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }
}

/// The mapping file, JSON: `{"source": "…", "columns": {"field": "column", …},
/// "values": {"field": {"their value": "ours", …}}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    source: String,
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// Which column holds each field, and how the source's values translate into ours.
#[derive(Debug)]
pub struct Mapping {
    source: String,
    columns: Vec<(Field, String)>,
    values: HashMap<Field, HashMap<String, String>>,
}

impl Mapping {
    pub fn parse(text: &str) -> anyhow::Result<Mapping> {
        let file: MappingFile = serde_json::from_str(text).context("the mapping file is not valid")?;
        let source = file.source.trim().to_string();
        if source.is_empty() || source.chars().count() > 100 {
            bail!("source: name the system the cases come from, in at most 100 characters");
        }
        let mut columns = Vec::new();
        for (field, column) in file.columns {
            let Some(f) = Field::by_name(&field) else {
                bail!("columns: unknown field '{field}'; the fields are {}", field_list());
            };
            if column.trim().is_empty() {
                bail!("columns.{field}: the column name is empty");
            }
            columns.push((f, column));
        }
        if let Some(missing) = REQUIRED.iter().find(|r| !columns.iter().any(|(f, _)| f == *r)) {
            bail!("columns: the mapping must name the column of {}", missing.name());
        }
        let mut values = HashMap::new();
        for (field, table) in file.values {
            let Some(f) = Field::by_name(&field) else {
                bail!("values: unknown field '{field}'; the fields are {}", field_list());
            };
            values.insert(f, table.into_iter().collect());
        }
        Ok(Mapping { source, columns, values })
    }

    fn column(&self, field: Field) -> &str {
        self.columns.iter().find(|(f, _)| *f == field).map_or("", |(_, c)| c.as_str())
    }
}

fn field_list() -> String {
    FIELDS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
}

/// One row's mapped values, by field.
struct Row {
    values: Vec<Option<String>>,
}

impl Row {
    fn get(&self, field: Field) -> Option<&str> {
        self.values[field as usize].as_deref()
    }
}

/// A bad row: what is wrong with which field.
#[derive(Debug)]
struct Problem {
    field: Option<Field>,
    zh: String,
    en: String,
}

fn problem(field: Field, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { field: Some(field), zh: zh.into(), en: en.into() }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

/// Reads rows from either format into mapped values, counting the bytes read for the bar.
enum Rows {
    Csv {
        reader: csv::Reader<CountingReader>,
        at: Vec<(Field, usize)>,
        number: u64,
        broken: bool,
    },
    JsonLines {
        lines: std::io::Lines<BufReader<CountingReader>>,
        columns: Vec<(Field, String)>,
        number: u64,
        /// Set after a read error other than a line that is not UTF-8: the file ends there.
        broken: bool,
    },
}

struct CountingReader {
    inner: File,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl Rows {
    fn open(
        path: &Path,
        format: Format,
        mapping: &Mapping,
        read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> anyhow::Result<Rows> {
        let inner = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let counting = CountingReader { inner, read };
        match format {
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(counting);
                let header = reader.headers().context("row 1: the header")?.clone();
                let mut at = Vec::new();
                for (field, column) in &mapping.columns {
                    let Some(i) = header.iter().position(|h| h.trim_start_matches('\u{feff}') == column) else {
                        bail!("row 1: the header has no column '{column}' (mapped to {})", field.name());
                    };
                    at.push((*field, i));
                }
                Ok(Rows::Csv { reader, at, number: 1, broken: false })
            }
            Format::JsonLines => Ok(Rows::JsonLines {
                lines: BufReader::with_capacity(1 << 16, counting).lines(),
                columns: mapping.columns.clone(),
                number: 0,
                broken: false,
            }),
        }
    }

    /// The next row and its number (a CSV file's header is row 1), or a problem with the row as
    /// a whole (unreadable, not an object).
    fn next_row(&mut self) -> Option<(u64, Result<Row, Problem>)> {
        let blank = || vec![None; FIELDS.len()];
        let present = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
        match self {
            Rows::Csv { reader, at, number, broken } => {
                if *broken {
                    return None;
                }
                let mut record = csv::StringRecord::new();
                *number += 1;
                let n = *number;
                match reader.read_record(&mut record) {
                    Ok(false) => None,
                    Err(e) => {
                        // A record that is not UTF-8 is skipped; a file that fails to read ends.
                        *broken = e.is_io_error();
                        Some((
                            n,
                            Err(Problem {
                                field: None, zh: format!("无法读取：{e}"), en: format!("unreadable: {e}")
                            }),
                        ))
                    }
                    Ok(true) => {
                        let mut values = blank();
                        for (field, i) in at.iter() {
                            values[*field as usize] = record.get(*i).and_then(present);
                        }
                        Some((n, Ok(Row { values })))
                    }
                }
            }
            Rows::JsonLines { lines, columns, number, broken } => loop {
                if *broken {
                    return None;
                }
                *number += 1;
                let n = *number;
                let line = match lines.next()? {
                    Ok(line) => line,
                    Err(e) => {
                        *broken = e.kind() != std::io::ErrorKind::InvalidData;
                        return Some((
                            n,
                            Err(Problem {
                                field: None, zh: format!("无法读取：{e}"), en: format!("unreadable: {e}")
                            }),
                        ));
                    }
                };
                if line.trim().is_empty() {
                    continue;
                }
                let object = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&line) {
                    Ok(o) => o,
                    Err(e) => {
                        return Some((
                            n,
                            Err(Problem {
                                field: None,
                                zh: format!("不是JSON对象：{e}"),
                                en: format!("not a JSON object: {e}"),
                            }),
                        ))
                    }
                };
                let mut values = blank();
                for (field, column) in columns.iter() {
                    values[*field as usize] = match object.get(column) {
                        None | Some(serde_json::Value::Null) => None,
                        Some(serde_json::Value::String(s)) => present(s),
                        // Whole numbers past 20 digits arrive rounded to a float: two such ids
                        // could become one.
                        Some(serde_json::Value::Number(x)) if *field == Field::ExternalId && x.is_f64() => {
                            let zh = "数字编号应为不超过20位的整数，更长的请写成文本";
                            let en =
                                "a numeric id must be a whole number of at most 20 digits: give longer ids as text";
                            return Some((n, Err(problem(Field::ExternalId, zh, en))));
                        }
                        Some(other) => Some(other.to_string()),
                    };
                }
                return Some((n, Ok(Row { values })));
            },
        }
    }
}

/// Turns mapped rows into cases, with the platform's reference data and classifier.
pub struct Converter<'a> {
    pub mapping: &'a Mapping,
    pub platform: &'a grassroots_app::Platform,
    pub reference: &'a Reference,
    pub placer: &'a Placer,
    pub now: DateTime<Utc>,
}

impl Converter<'_> {
    /// The row's value of `field`, through the mapping's value table if it has one.
    fn value<'r>(&'r self, row: &'r Row, field: Field) -> Option<&'r str> {
        let raw = row.get(field)?;
        Some(self.mapping.values.get(&field).and_then(|t| t.get(raw)).map_or(raw, String::as_str))
    }

    fn convert(&self, row: &Row) -> Result<ImportedCase, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut note = |p: Problem| problems.push(p);
        for (field, _) in FIELDS {
            if row.get(field).is_some_and(|v| v.contains('\0')) {
                note(problem(field, "含有空字符（\\0）", "contains a NUL character"));
            }
        }
        for field in REQUIRED {
            if self.value(row, field).is_none() {
                note(problem(field, "必填，不能为空", "required, but empty"));
            }
        }
        let external_id = self.value(row, Field::ExternalId).unwrap_or_default().to_string();
        if external_id.chars().count() > 100 {
            note(problem(Field::ExternalId, "不能超过100个字符", "at most 100 characters"));
        }
        let received_at = self.time(row, Field::ReceivedAt, None).map_err(&mut note).ok().flatten();
        let category = self.value(row, Field::Category).and_then(|v| {
            self.category(v).or_else(|| {
                note(problem(Field::Category, format!("未知的分类“{v}”"), format!("unknown category '{v}'")));
                None
            })
        });
        let description = self.text(row, Field::Description).map_err(&mut note).ok().flatten();
        let request_type = self.coded(row, Field::RequestType, RequestType::parse_code_or_label, RequestType::CODES);
        let priority = self.coded(row, Field::Priority, Priority::parse_code_or_label, Priority::CODES);
        let channel = self.coded(row, Field::Channel, Channel::parse_code_or_label, Channel::CODES);
        let satisfaction = self.coded(row, Field::Satisfaction, Satisfaction::parse_code_or_label, Satisfaction::CODES);
        let (request_type, priority, channel, satisfaction) = match (request_type, priority, channel, satisfaction) {
            (Ok(r), Ok(p), Ok(c), Ok(s)) => (r, p, c, s),
            (r, p, c, s) => {
                [r.err(), p.err(), c.err(), s.err()].into_iter().flatten().for_each(&mut note);
                (None, None, None, None)
            }
        };
        let place = self.place(row).map_err(&mut note).ok().flatten();
        let unit = self.value(row, Field::Unit).and_then(|v| {
            let unit = self.reference.units.iter().find(|u| u.id == v || u.name_zh == v).map(|u| u.id.clone());
            if unit.is_none() {
                note(problem(Field::Unit, format!("未知的单位“{v}”"), format!("unknown unit '{v}'")));
            }
            unit
        });
        let responded_at = self.time(row, Field::RespondedAt, received_at).map_err(&mut note).ok().flatten();
        let closed_at = self.time(row, Field::ClosedAt, received_at).map_err(&mut note).ok().flatten();
        let result = self.text(row, Field::Result).map_err(&mut note).ok().flatten();
        let resolved = self.value(row, Field::Resolved).and_then(|v| {
            let parsed = parse_yes_no(v);
            if parsed.is_none() {
                note(problem(Field::Resolved, format!("“{v}”应为是或否"), format!("'{v}' is not yes or no")));
            }
            parsed
        });
        let reporter_name = self.short(row, Field::ReporterName, 50).map_err(&mut note).ok().flatten();
        let reporter_phone = self.value(row, Field::ReporterPhone).and_then(|v| {
            normalize_phone(v).map_err(|e| note(problem(Field::ReporterPhone, e.reason_zh, e.reason_en))).ok()
        });
        let closed = closed_at.is_some() || row.get(Field::ClosedAt).is_some();
        if !closed {
            if row.get(Field::Result).is_some() {
                note(problem(
                    Field::Result,
                    "未办结的诉求不能有办理结果",
                    "an open case has no result: give closed_at",
                ));
            }
            if row.get(Field::Satisfaction).is_some() || row.get(Field::Resolved).is_some() {
                let field = if row.get(Field::Satisfaction).is_some() { Field::Satisfaction } else { Field::Resolved };
                note(problem(field, "未办结的诉求不能有评价", "an open case has no evaluation: give closed_at"));
            }
        } else if row.get(Field::Satisfaction).is_some() != row.get(Field::Resolved).is_some() {
            let missing = if row.get(Field::Satisfaction).is_some() { Field::Resolved } else { Field::Satisfaction };
            note(problem(
                missing,
                "评价需同时给出是否解决和满意度",
                "an evaluation needs both resolved and satisfaction",
            ));
        }
        let (Some(received_at), Some(description), Some(place)) = (received_at, description, place) else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        // No category given: the classifier's where the administrator lets it decide and it is
        // sure enough, else 其他 for a person; its decision is kept with the case either way.
        let (category, decisions) = match category {
            Some(category) => (category, Vec::new()),
            // An unknown category was reported above.
            None => {
                let (code, decision) = grassroots_app::classify::categorise(self.platform, &description);
                let category = self.reference.taxonomy.get(&code).ok_or_else(|| {
                    vec![problem(Field::Category, format!("未知的分类“{code}”"), format!("unknown category '{code}'"))]
                })?;
                (category, vec![decision])
            }
        };
        let priority = priority.unwrap_or(Priority::Normal);
        let due = deadlines(&self.reference.calendar, category, priority, received_at);
        let id = id_at(received_at);
        let mut rng = rand::thread_rng();
        let received = CaseEvent {
            id: id_at(received_at),
            case_id: id,
            seq: 1,
            at: received_at,
            actor_kind: "system".into(),
            actor_id: None,
            kind: EventKind::Received {
                tracking_no: tracking_no(received_at, rng.gen_range(0..100_000_000)),
                category_code: category.code.0.clone(),
                request_type: request_type.unwrap_or(RequestType::Help),
                priority,
                channel: channel.unwrap_or(Channel::Import),
                description,
                place,
                response_due: due.response_due,
                resolve_due: due.resolve_due,
            },
        };
        let last = [Some(received_at), responded_at, closed_at].into_iter().flatten().max().unwrap_or(received_at);
        let imported = CaseEvent {
            id: id_at(last),
            case_id: id,
            seq: 2,
            at: last,
            actor_kind: "system".into(),
            actor_id: None,
            kind: EventKind::Imported {
                source: self.mapping.source.clone(),
                external_id: external_id.clone(),
                unit,
                responded_at,
                closed_at,
                result,
            },
        };
        let mut events = vec![received, imported];
        if let (Some(closed_at), Some(satisfaction), Some(resolved)) = (closed_at, satisfaction, resolved) {
            events.push(CaseEvent {
                id: id_at(closed_at),
                case_id: id,
                seq: 3,
                at: closed_at,
                actor_kind: "system".into(),
                actor_id: None,
                kind: EventKind::Evaluated { resolved, satisfaction, comment: None },
            });
        }
        // An open case is marked as due now, as the deadline worker would: with its mark in the
        // history, the worker finds nothing to change, and writes no outbox row, for it.
        let mut record = None;
        for event in &events {
            record = Some(evolve(record, event).map_err(|e| vec![Problem { field: None, zh: e.clone(), en: e }])?);
        }
        let mut record = record.expect("a received event makes a case");
        if let Some(kind) = due_status_change(&record, self.now) {
            let marked = CaseEvent {
                id: id_at(self.now),
                case_id: id,
                seq: record.version + 1,
                at: self.now,
                actor_kind: "system".into(),
                actor_id: None,
                kind,
            };
            record = evolve(Some(record), &marked).map_err(|e| vec![Problem { field: None, zh: e.clone(), en: e }])?;
            events.push(marked);
        }
        let anonymous = reporter_name.is_none() && reporter_phone.is_none();
        let query_code = grassroots_domain::case::query_code(rng.gen());
        Ok(ImportedCase {
            external_id,
            case: HistoricCase { record, events, reporter_name, reporter_phone, anonymous, query_code, decisions },
        })
    }

    fn category(&self, v: &str) -> Option<&Category> {
        self.reference.taxonomy.get(v).or_else(|| {
            let mut named = self.reference.taxonomy.iter().filter(|c| c.name_zh == v);
            match (named.next(), named.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        })
    }

    /// A coded value, by its code or its Chinese label.
    fn coded<T>(
        &self,
        row: &Row,
        field: Field,
        parse: fn(&str) -> Option<T>,
        codes: &[&str],
    ) -> Result<Option<T>, Problem> {
        let Some(v) = self.value(row, field) else { return Ok(None) };
        parse(v).map(Some).ok_or_else(|| {
            let allowed = codes.join(", ");
            problem(
                field,
                format!("无效的取值“{v}”，可选：{allowed}"),
                format!("invalid value '{v}', expected one of: {allowed}"),
            )
        })
    }

    fn text(&self, row: &Row, field: Field) -> Result<Option<String>, Problem> {
        self.short(row, field, MAX_TEXT)
    }

    fn short(&self, row: &Row, field: Field, max: usize) -> Result<Option<String>, Problem> {
        match self.value(row, field) {
            Some(v) if v.chars().count() > max => {
                Err(problem(field, format!("不能超过{max}个字符"), format!("at most {max} characters")))
            }
            v => Ok(v.map(str::to_string)),
        }
    }

    /// A time in the file: with its offset, or Beijing time; not before `after`, not in the future.
    fn time(&self, row: &Row, field: Field, after: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>, Problem> {
        let Some(v) = self.value(row, field) else { return Ok(None) };
        let Some(t) = parse_time(v) else {
            return Err(problem(
                field,
                format!("无法识别的时间“{v}”，应如 2024-05-01 08:30:00"),
                format!("unrecognised time '{v}', expected like 2024-05-01 08:30:00"),
            ));
        };
        if t > self.now {
            return Err(problem(field, "时间不能晚于现在", "the time is in the future"));
        }
        if t.year() < 2000 {
            return Err(problem(field, "时间不能早于2000年", "the time is before 2000"));
        }
        if after.is_some_and(|a| t < a) {
            return Err(problem(field, "不能早于受理时间", "earlier than received_at"));
        }
        Ok(Some(t))
    }

    /// The case's place: its point in a grid, else its region code, else the names in its address.
    fn place(&self, row: &Row) -> Result<Option<Place>, Problem> {
        let address = self.value(row, Field::Address);
        if address.is_some_and(|a| a.chars().count() > 500) {
            return Err(problem(Field::Address, "不能超过500个字符", "at most 500 characters"));
        }
        let number = |field: Field, range: std::ops::RangeInclusive<f64>| -> Result<Option<f64>, Problem> {
            let Some(v) = self.value(row, field) else { return Ok(None) };
            match v.parse::<f64>() {
                Ok(x) if range.contains(&x) => Ok(Some(x)),
                _ => Err(problem(
                    field,
                    format!("“{v}”不是{}到{}之间的数", range.start(), range.end()),
                    format!("'{v}' is not a number from {} to {}", range.start(), range.end()),
                )),
            }
        };
        let point = match (number(Field::Lat, -90.0..=90.0)?, number(Field::Lng, -180.0..=180.0)?) {
            (Some(lat), Some(lng)) => Some((lng, lat)),
            (Some(_), None) => return Err(problem(Field::Lng, "请同时提供经度和纬度", "give lng together with lat")),
            (None, Some(_)) => return Err(problem(Field::Lat, "请同时提供经度和纬度", "give lat together with lng")),
            (None, None) => None,
        };
        if point.is_none() {
            if let Some(v) = self.value(row, Field::Region) {
                let region = RegionCode::parse(v)
                    .ok()
                    .filter(|r| {
                        self.placer.districts().iter().any(|d| RegionCode::parse(&d.code).is_ok_and(|d| d.contains(r)))
                    })
                    .ok_or_else(|| {
                        problem(
                            Field::Region,
                            format!("“{v}”不是本平台服务范围内的区划代码"),
                            format!("'{v}' is not the code of a region this platform serves"),
                        )
                    })?;
                return Ok(Some(Place { address: address.map(str::to_string), ..place_in(&region) }));
            }
            if address.is_none() {
                return Err(problem(
                    Field::Lat,
                    "需要坐标、区划代码或地址",
                    "give lat and lng, a region or an address",
                ));
            }
        }
        self.placer.place(point, address).map(Some).map_err(|e| match e {
            Unplaced::OutsideServiceArea => {
                problem(Field::Lat, "坐标不在本平台服务范围内", "the point is outside the service area")
            }
            Unplaced::Unknown => {
                problem(Field::Address, "无法从地址确定所在区域", "the address names no region this platform serves")
            }
        })
    }
}

fn parse_yes_no(v: &str) -> Option<bool> {
    match v.to_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "是" | "已解决" => Some(true),
        "0" | "false" | "no" | "n" | "否" | "未解决" => Some(false),
        _ => None,
    }
}

/// RFC 3339 with an offset, or a Beijing wall-clock time in the common spreadsheet forms.
fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    const FORMS: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ];
    let local = FORMS.iter().find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())?;
    beijing().from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc))
}

fn report(row: u64, p: &Problem, mapping: &Mapping) {
    match p.field {
        Some(f) => eprintln!("row {row}: {} (column {}): {} / {}", f.name(), mapping.column(f), p.zh, p.en),
        None => eprintln!("row {row}: {} / {}", p.zh, p.en),
    }
}

fn format_of(o: &Options) -> anyhow::Result<Format> {
    let named = o.format.clone().or_else(|| o.file.extension().map(|e| e.to_string_lossy().to_lowercase()));
    match named.as_deref() {
        Some("csv") => Ok(Format::Csv),
        Some("jsonl" | "ndjson" | "json") => Ok(Format::JsonLines),
        _ => bail!("--format: csv or jsonl (the file's extension does not say which)"),
    }
}

fn bar(len: u64, what: &str) -> indicatif::ProgressBar {
    indicatif::ProgressBar::new(len).with_style(
        indicatif::ProgressStyle::with_template(&format!("{what} {{bar:40}} {{percent}}%  {{msg}}  eta {{eta}}"))
            .expect("a valid template"),
    )
}

pub async fn cases(store: std::sync::Arc<dyn Store>, o: Options) -> anyhow::Result<()> {
    let mapping_text =
        std::fs::read_to_string(&o.mapping).with_context(|| format!("reading {}", o.mapping.display()))?;
    let mapping = Mapping::parse(&mapping_text).with_context(|| format!("{}", o.mapping.display()))?;
    let format = format_of(&o)?;
    let size = std::fs::metadata(&o.file).with_context(|| format!("reading {}", o.file.display()))?.len();
    let platform = grassroots_app::Platform::new(store.clone(), grassroots_app::Settings::default()).await?;
    let (reference, placer) = (platform.reference(), platform.placer());
    let converter =
        Converter { mapping: &mapping, platform: &platform, reference: &reference, placer: &placer, now: Utc::now() };

    // First pass: check every row; keep the row of each external id to catch repeats.
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rows = Rows::open(&o.file, format, &mapping, read.clone())?;
    let checking = bar(size, "checking ");
    let mut first_row_of: HashMap<String, u64> = HashMap::new();
    let (mut good, mut bad) = (0u64, 0u64);
    while let Some((number, row)) = rows.next_row() {
        let converted = row.map_err(|p| vec![p]).and_then(|row| converter.convert(&row));
        match converted {
            Ok(case) => match first_row_of.get(&case.external_id) {
                Some(first) => {
                    bad += 1;
                    let p = problem(
                        Field::ExternalId,
                        format!("与第{first}行重复"),
                        format!("the same external id as row {first}"),
                    );
                    checking.suspend(|| report(number, &p, &mapping));
                }
                None => {
                    first_row_of.insert(case.external_id, number);
                    good += 1;
                }
            },
            Err(problems) => {
                bad += 1;
                checking.suspend(|| problems.iter().for_each(|p| report(number, p, &mapping)));
            }
        }
        if number % 4096 == 0 {
            checking.set_position(read.load(std::sync::atomic::Ordering::Relaxed));
            checking.set_message(format!("{good} good, {bad} bad rows"));
        }
    }
    checking.finish_and_clear();
    if bad > 0 && !o.skip_invalid {
        bail!("{bad} bad rows (listed above), {good} good: nothing imported; fix them, or import the good rows with --skip-invalid");
    }

    // Cases imported before are skipped, so they count as stored, not as new.
    let imported_before = u64::try_from(store.count_imported(&mapping.source).await?).unwrap_or(0);
    let holder = format!("import-{}-{}", std::process::id(), uuid::Uuid::now_v7());
    let set_aside = if o.indexes.set_aside(good.saturating_sub(imported_before), store.count_cases().await?) {
        store.set_aside_case_indexes(&holder, Utc::now()).await?
    } else {
        0
    };
    if set_aside > 0 {
        println!(
            "{set_aside} indexes of the cases table set aside until the cases are written (lists are slower meanwhile)"
        );
    }

    // Second pass: write the good rows in batches. Each batch is written by a task of its own
    // while this one reads and converts the next; two may be on their way at once, the later
    // one getting its statements ready while the earlier one writes (on PostgreSQL both may
    // write at once).
    read.store(0, std::sync::atomic::Ordering::Relaxed);
    let importing = bar(size, "importing");
    let mut writing: VecDeque<tokio::task::JoinHandle<grassroots_store::Result<ImportBatch>>> = VecDeque::new();
    let written: anyhow::Result<ImportBatch> = async {
        let mut rows = Rows::open(&o.file, format, &mapping, read.clone())?;
        let mut total = ImportBatch::default();
        loop {
            let mut batch = Vec::with_capacity(BATCH);
            while batch.len() < BATCH {
                let Some((number, row)) = rows.next_row() else { break };
                let Ok(case) = row.map_err(|p| vec![p]).and_then(|row| converter.convert(&row)) else { continue };
                if first_row_of.get(&case.external_id) == Some(&number) {
                    batch.push(case);
                }
            }
            let done = batch.len() < BATCH;
            if !batch.is_empty() {
                let (store, source) = (store.clone(), mapping.source.clone());
                writing.push_back(tokio::spawn(async move { store.import_cases(&source, batch, Utc::now()).await }));
            }
            while writing.len() > usize::from(!done) {
                let Some(earliest) = writing.pop_front() else { break };
                let written = earliest.await?.map_err(|e| anyhow::anyhow!("writing cases: {e}"))?;
                total.added += written.added;
                total.already_imported += written.already_imported;
                importing.set_position(read.load(std::sync::atomic::Ordering::Relaxed));
                importing.set_message(format!("{} imported", total.added));
                if set_aside > 0 {
                    store.claim_lease(BULK_IMPORT_LEASE, &holder, Utc::now(), bulk_import_ttl()).await?;
                }
            }
            if done {
                return Ok(total);
            }
        }
    }
    .await;
    // After a failed write, the batch still on its way ends before the indexes are rebuilt.
    for left in writing {
        let _ = left.await;
    }
    importing.finish_and_clear();
    if set_aside > 0 {
        // Also after a failed write: the cases written so far are committed and need them.
        let building =
            indicatif::ProgressBar::new_spinner().with_message(format!("building {set_aside} indexes again"));
        building.enable_steady_tick(std::time::Duration::from_millis(200));
        let built = store.restore_case_indexes(&holder, Utc::now()).await;
        building.finish_and_clear();
        if let Err(e) = built {
            let why = "building the case indexes again failed (the next start of grassroots builds them)";
            return Err(match written {
                Ok(_) => anyhow::anyhow!("{why}: {e}"),
                Err(w) => w.context(format!("{why}: {e}")),
            });
        }
    }
    let total = written?;
    if total.added > 0 {
        store.gather_statistics().await.context("gathering the planner's statistics after the import")?;
    }
    println!(
        "{} cases imported from {}, {} imported before and left as they were, {bad} bad rows skipped",
        total.added, mapping.source, total.already_imported
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_imports_set_the_indexes_aside() {
        assert!(Indexes::Auto.set_aside(1_000_000, 3_000));
        assert!(Indexes::Auto.set_aside(500_000, 1_000_000), "half as many as are stored");
        assert!(!Indexes::Auto.set_aside(400_000, 1_000_000), "rebuilding would cost more than it saves");
        assert!(!Indexes::Auto.set_aside(99_999, 0), "small files keep them");
        assert!(Indexes::Rebuild.set_aside(1, 1_000_000) && !Indexes::Keep.set_aside(1_000_000, 0));
    }
}
