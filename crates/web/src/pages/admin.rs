//! Administration (系统管理), for administrators: staff accounts with their roles and scopes,
//! units, categories and their deadlines, the responsibility matrix, and the working-day
//! calendar. Every form is checked whole before anything is written; running servers pick
//! up reference data at once (this one) or within a minute (others).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use grassroots_app::accounts::{self, AccountForm};
use grassroots_app::keys::{self, KeyRequest};
use grassroots_app::reference::{self, DayChange};
use grassroots_app::{webhooks, AppError};
use grassroots_domain::calendar::DayKind;
use grassroots_domain::reference::UNIT_KINDS;
use grassroots_domain::Role;
use grassroots_store::{Responsibility, Unit};

use super::{beijing_minutes, check_same_origin, form_error, see_other, Chrome, FormError, Lang, Typed};
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, Staff};
use crate::AppState;

/// The sections of administration, as the tabs show them.
const SECTIONS: [(&str, &str, &str); 7] = [
    ("users", "人员与权限", "Staff"),
    ("units", "承办单位", "Units"),
    ("categories", "类别与时限", "Categories"),
    ("matrix", "派单目录", "Responsibility matrix"),
    ("calendar", "工作日历", "Calendar"),
    ("apikeys", "接口密钥", "API keys"),
    ("webhooks", "事件推送", "Webhooks"),
];

fn bad(field: &'static str, zh: &str, en: &str) -> AppError {
    AppError::invalid(field, zh, en)
}

/// A row of one of the administration tables.
pub struct Line {
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    lang: Lang,
    chrome: Chrome,
    section: &'static str,
    tabs: Vec<(String, String, bool)>,
    heading: String,
    columns: Vec<String>,
    lines: Vec<Line>,
    form: Vec<Input>,
    typed: Typed,
    error: Option<FormError>,
    saved: bool,
    /// Shown once: a key or secret just issued, with what it is.
    new_key: Option<(String, String)>,
    /// A second table under the form: its heading, columns and lines (the delivery log).
    log: Option<(String, Vec<String>, Vec<Line>)>,
}

impl AdminPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }

    fn general_error(&self) -> Option<&str> {
        self.error.as_ref().filter(|e| !self.form.iter().any(|i| i.name == e.field)).map(|e| e.message.as_str())
    }
}

/// A field of a section's form.
pub struct Input {
    pub name: &'static str,
    pub label: String,
    /// Choices for a select; free text when empty.
    pub options: Vec<(String, String)>,
    pub secret: bool,
}

fn input(name: &'static str, label: String) -> Input {
    Input { name, label, options: Vec::new(), secret: false }
}

fn page(state: &AppState, staff: &Staff, lang: Lang, uri: &Uri, section: &'static str) -> Result<AdminPage, ApiError> {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let reference = state.reference();
    let (heading, columns, lines, form): (String, Vec<String>, Vec<Line>, Vec<Input>) = match section {
        "users" => (
            t("人员与权限", "Staff and their access"),
            vec![t("用户名", "Username"), t("姓名", "Name"), t("角色", "Role"), t("范围", "Scope"), t("状态", "State")],
            Vec::new(),
            vec![
                input("username", t("用户名", "Username")),
                input("display_name", t("姓名", "Name")),
                Input {
                    options: Role::ALL
                        .iter()
                        .map(|r| (r.as_str().to_string(), lang.t(r.label_zh(), r.label_en()).to_string()))
                        .collect(),
                    ..input("role", t("角色", "Role"))
                },
                input(
                    "scope",
                    t(
                        "范围（all / region:110101 / unit:ID / grid:编码）",
                        "Scope (all / region:110101 / unit:ID / grid:CODE)",
                    ),
                ),
                Input {
                    secret: true,
                    ..input(
                        "password",
                        t(
                            "密码（新账号必填，至少8位；留空则不改）",
                            "Password (new accounts; 8+ characters; blank keeps it)",
                        ),
                    )
                },
            ],
        ),
        "units" => (
            t("承办单位", "Units"),
            vec![
                t("编号", "Id"),
                t("名称", "Name"),
                t("英文名", "English name"),
                t("类型", "Kind"),
                t("区划", "Region"),
            ],
            reference
                .units
                .iter()
                .map(|u| Line {
                    cells: vec![
                        u.id.clone(),
                        u.name_zh.clone(),
                        u.name_en.clone(),
                        u.kind.clone(),
                        u.region_code.clone(),
                    ],
                })
                .collect(),
            vec![
                input("id", t("编号（小写字母、数字、-）", "Id (lower-case letters, digits, -)")),
                input("name_zh", t("名称", "Name")),
                input("name_en", t("英文名", "English name")),
                Input {
                    options: UNIT_KINDS.iter().map(|k| (k.to_string(), k.to_string())).collect(),
                    ..input("kind", t("类型", "Kind"))
                },
                input("region_code", t("服务区划代码", "Region served (code)")),
            ],
        ),
        "categories" => (
            t("类别与时限", "Categories and their deadlines"),
            vec![
                t("代码", "Code"),
                t("名称", "Name"),
                t("响应时限（小时）", "Respond within (hours)"),
                t("办结时限（工作日）", "Resolve within (working days)"),
                t("默认承办", "Default unit"),
            ],
            reference
                .taxonomy
                .iter()
                .map(|c| Line {
                    cells: vec![
                        c.code.as_str().to_string(),
                        lang.t(&c.name_zh, &c.name_en).to_string(),
                        c.response_hours.to_string(),
                        c.resolve_days.to_string(),
                        c.default_unit.clone(),
                    ],
                })
                .collect(),
            vec![
                Input {
                    options: reference
                        .taxonomy
                        .iter()
                        .map(|c| {
                            (
                                c.code.as_str().to_string(),
                                format!("{} {}", c.code.as_str(), lang.t(&c.name_zh, &c.name_en)),
                            )
                        })
                        .collect(),
                    ..input("code", t("类别", "Category"))
                },
                input("response_hours", t("响应时限（小时，1–720）", "Respond within (hours, 1–720)")),
                input("resolve_days", t("办结时限（工作日，1–365）", "Resolve within (working days, 1–365)")),
            ],
        ),
        "matrix" => (
            t("派单目录", "Responsibility matrix"),
            vec![
                t("类别", "Category"),
                t("区划/网格", "Region or grid"),
                t("承办单位", "Unit"),
                t("自动派遣", "Auto-dispatch"),
            ],
            reference
                .responsibilities
                .iter()
                .map(|r| Line {
                    cells: vec![
                        r.category_code.clone(),
                        r.region_code.clone(),
                        reference
                            .unit(&r.unit_id)
                            .map_or(r.unit_id.clone(), |u| lang.t(&u.name_zh, &u.name_en).to_string()),
                        if r.auto_dispatch { t("是", "yes") } else { String::new() },
                    ],
                })
                .collect(),
            vec![
                input("category_code", t("类别代码", "Category code")),
                input(
                    "region_code",
                    t("区划或网格代码（越具体越优先）", "Region or grid code (the most specific wins)"),
                ),
                Input {
                    options: reference
                        .units
                        .iter()
                        .map(|u| (u.id.clone(), lang.t(&u.name_zh, &u.name_en).to_string()))
                        .collect(),
                    ..input("unit_id", t("承办单位", "Unit"))
                },
                Input {
                    options: vec![
                        ("no".into(), t("否", "no")),
                        ("yes".into(), t("是：到达即派遣", "yes: dispatch on arrival")),
                    ],
                    ..input("auto_dispatch", t("自动派遣", "Auto-dispatch"))
                },
            ],
        ),
        "webhooks" => (
            t("向其他系统推送工单事件（Webhook）", "Case events pushed to other systems (webhooks)"),
            vec![
                t("编号", "Id"),
                t("名称", "Name"),
                t("地址", "URL"),
                t("事件", "Events"),
                t("状态", "State"),
                t("待投递", "Waiting"),
            ],
            Vec::new(),
            vec![
                input("name", t("新订阅的名称", "Name of a new subscription")),
                input("url", t("接收地址（http:// 或 https://）", "Receiving URL (http:// or https://)")),
                input(
                    "topics",
                    t(
                        "事件（逗号分隔，如 case.dispatched,case.closed；留空为全部）",
                        "Events (comma-separated, e.g. case.dispatched,case.closed; blank: all)",
                    ),
                ),
                input("disable", t("停用的订阅编号（停用时填写）", "Id of a subscription to stop (to stop one)")),
            ],
        ),
        "apikeys" => (
            t("其他系统的接口密钥（Open311等）", "Keys of other systems (Open311 and others)"),
            vec![
                t("编号", "Id"),
                t("名称", "Name"),
                t("权限", "May"),
                t("区域", "Region"),
                t("签发", "Issued"),
                t("状态", "State"),
            ],
            Vec::new(),
            vec![
                input("name", t("新密钥的名称（签发新密钥时填写）", "Name of a new key (to issue one)")),
                Input {
                    options: vec![
                        ("post".into(), t("提交并完整查看诉求", "post requests and read them in full")),
                        ("read".into(), t("只完整查看诉求", "only read requests in full")),
                    ],
                    ..input("may", t("权限", "May"))
                },
                input(
                    "region",
                    t(
                        "区域代码（只能提交、完整查看此区域的诉求；留空为全部）",
                        "Region code (posts and reads in full only there; blank: everywhere)",
                    ),
                ),
                Input {
                    options: Vec::new(),
                    ..input("revoke", t("吊销的密钥编号（吊销时填写）", "Id of a key to revoke (to revoke one)"))
                },
            ],
        ),
        _ => (
            t("工作日历", "Working-day calendar"),
            vec![t("日期", "Date"), t("类型", "Kind"), t("名称", "Name")],
            reference
                .calendar_days
                .iter()
                .map(|d| Line {
                    cells: vec![
                        d.date.to_string(),
                        match d.kind {
                            DayKind::Holiday => t("节假日", "holiday"),
                            DayKind::Workday => t("调休上班", "working weekend day"),
                        },
                        d.name.clone(),
                    ],
                })
                .collect(),
            vec![
                input("date", t("日期（YYYY-MM-DD）", "Date (YYYY-MM-DD)")),
                Input {
                    options: vec![
                        ("holiday".into(), t("节假日", "holiday")),
                        ("workday".into(), t("调休上班", "working weekend day")),
                        ("remove".into(), t("删除此日", "remove this day")),
                    ],
                    ..input("kind", t("类型", "Kind"))
                },
                input("name", t("名称（如 春节）", "Name (e.g. Spring Festival)")),
            ],
        ),
    };
    Ok(AdminPage {
        section,
        tabs: SECTIONS
            .iter()
            .map(|(key, zh, en)| (format!("/admin/{key}"), lang.t(zh, en).to_string(), *key == section))
            .collect(),
        heading,
        columns,
        lines,
        form,
        typed: Typed::default(),
        error: None,
        saved: false,
        new_key: None,
        log: None,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

fn section_of(name: &str) -> Result<&'static str, ApiError> {
    SECTIONS.iter().map(|(key, _, _)| *key).find(|key| *key == name).ok_or_else(ApiError::not_found)
}

#[derive(serde::Deserialize)]
pub struct ShowParams {
    saved: Option<String>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::Administer>,
    lang: Lang,
    uri: Uri,
    Path(section): Path<String>,
    crate::extract::ApiQuery(p): crate::extract::ApiQuery<ShowParams>,
) -> Result<Html<String>, ApiError> {
    let section = section_of(&section)?;
    let mut page = page(&state, &staff, lang, &uri, section)?;
    page.lines = section_lines(&state, &lang, section).await?.unwrap_or(page.lines);
    page.log = section_log(&state, &lang, section).await?;
    page.saved = p.saved.is_some();
    Ok(Html(page.render()?))
}

/// The lines of the sections read from the store rather than the reference data.
async fn section_lines(state: &AppState, lang: &Lang, section: &str) -> Result<Option<Vec<Line>>, ApiError> {
    Ok(match section {
        "users" => Some(users_lines(state, lang).await?),
        "webhooks" => Some(webhook_lines(state, lang).await?),
        "apikeys" => Some(
            state
                .store
                .api_keys()
                .await?
                .into_iter()
                .map(|k| Line {
                    cells: vec![
                        k.id.to_string(),
                        k.name,
                        if k.may_post {
                            lang.t("提交与查看", "post and read")
                        } else {
                            lang.t("只查看", "read only")
                        }
                        .to_string(),
                        k.region.unwrap_or_else(|| lang.t("全部", "everywhere").to_string()),
                        beijing_minutes(k.created_at),
                        match k.revoked_at {
                            Some(_) => lang.t("已吊销", "revoked").to_string(),
                            None => lang.t("有效", "active").to_string(),
                        },
                    ],
                })
                .collect(),
        ),
        _ => None,
    })
}

async fn webhook_lines(state: &AppState, lang: &Lang) -> Result<Vec<Line>, ApiError> {
    let mut lines = Vec::new();
    for hook in state.store.webhooks().await? {
        let waiting = state.store.undelivered(&hook.id.to_string()).await?;
        lines.push(Line {
            cells: vec![
                hook.id.to_string(),
                hook.name,
                hook.url,
                if hook.topics.is_empty() { lang.t("全部", "all").to_string() } else { hook.topics.join(", ") },
                match hook.disabled_at {
                    Some(t) => format!("{} {}", lang.t("已停用", "stopped"), beijing_minutes(t)),
                    None => lang.t("启用", "active").to_string(),
                },
                waiting.to_string(),
            ],
        });
    }
    Ok(lines)
}

/// The delivery log under the webhooks: each subscription's latest attempts.
async fn section_log(
    state: &AppState,
    lang: &Lang,
    section: &str,
) -> Result<Option<(String, Vec<String>, Vec<Line>)>, ApiError> {
    if section != "webhooks" {
        return Ok(None);
    }
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let mut lines = Vec::new();
    for hook in state.store.webhooks().await? {
        for a in state.store.delivery_attempts(&hook.id.to_string(), 50).await? {
            lines.push(Line {
                cells: vec![
                    beijing_minutes(a.at),
                    hook.name.clone(),
                    a.topic,
                    a.event_id.to_string(),
                    a.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
                    match a.error {
                        Some(e) => format!("{}：{e}", t("失败，将重试", "failed, will retry")),
                        None => t("已送达", "delivered"),
                    },
                    format!("{} ms", a.duration_ms),
                ],
            });
        }
    }
    let columns = vec![
        t("时间", "At"),
        t("订阅", "Subscription"),
        t("事件", "Event"),
        t("事件编号", "Event id"),
        t("状态码", "Status"),
        t("结果", "Outcome"),
        t("耗时", "Took"),
    ];
    Ok(Some((t("投递记录（每个订阅最近50次）", "Delivery log (the latest 50 per subscription)"), columns, lines)))
}

async fn users_lines(state: &AppState, lang: &Lang) -> Result<Vec<Line>, ApiError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .map(|a| Line {
            cells: vec![
                a.user.username,
                a.user.display_name,
                lang.t(a.user.role.label_zh(), a.user.role.label_en()).to_string(),
                a.user.scope.to_spec(),
                if a.disabled { lang.t("已停用", "disabled") } else { lang.t("启用", "active") }.to_string(),
            ],
        })
        .collect())
}

/// Saves a section's form; back to the section, or the form again with its error.
pub async fn save(
    State(state): State<Arc<AppState>>,
    staff: Can<need::Administer>,
    lang: Lang,
    uri: Uri,
    headers: HeaderMap,
    Path(section): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    check_same_origin(&headers)?;
    let section = section_of(&section)?;
    let typed = Typed(fields);
    if section == "apikeys" {
        return save_api_key(&state, &staff, lang, &uri, typed).await;
    }
    if section == "webhooks" {
        return save_webhook(&state, &staff, lang, &uri, typed).await;
    }
    let saved = match section {
        "users" => save_user(&state, &staff, &typed).await,
        "units" => save_unit(&state, &typed).await,
        "categories" => save_category(&state, &typed).await,
        "matrix" => save_line(&state, &typed).await,
        "calendar" => save_day(&state, &typed).await,
        _ => Err(AppError::NotFound),
    };
    match saved {
        Ok(()) => Ok(see_other(&format!("/admin/{section}?saved=1"), None)),
        Err(e) => {
            let mut page = page(&state, &staff, lang, &uri, section)?;
            page.lines = section_lines(&state, &lang, section).await?.unwrap_or(page.lines);
            page.error = Some(form_error(e.into(), &lang)?);
            // Passwords are never written back into a page.
            page.typed = Typed(typed.0.into_iter().filter(|(k, _)| k != "password").collect());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// Issues a key (shown once on the page that answers, never again) or revokes one.
async fn save_api_key(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    typed: Typed,
) -> Result<Response, ApiError> {
    let mut page = page(state, staff, lang, uri, "apikeys")?;
    let outcome = match (typed.get("revoke").trim(), typed.get("name").trim()) {
        ("", "") => Err(bad(
            "name",
            "请填写新密钥的名称，或要吊销的密钥编号",
            "name a new key, or give the id of one to revoke",
        )),
        ("", name) => {
            let request = KeyRequest {
                name: name.to_string(),
                read_only: typed.is("may", "read"),
                region: Some(typed.get("region").to_string()),
            };
            keys::issue(state, request).await.map(|issued| {
                let what =
                    lang.t("新密钥（只显示这一次，请妥善保存）", "The new key (shown only this once; keep it safe)");
                page.new_key = Some((what.into(), issued.secret));
            })
        }
        (id, _) => match uuid::Uuid::parse_str(id) {
            Ok(id) => keys::revoke(state, id).await,
            Err(_) => Err(AppError::invalid("revoke", "密钥编号无效", "not a key id")),
        },
    };
    answer_once(state, lang, page, outcome, typed).await
}

/// Subscribes a receiver (its signing secret shown once on the page that answers) or stops one.
async fn save_webhook(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    typed: Typed,
) -> Result<Response, ApiError> {
    let mut page = page(state, staff, lang, uri, "webhooks")?;
    let outcome = match (typed.get("disable").trim(), typed.get("name").trim()) {
        ("", "") => Err(bad(
            "name",
            "请填写新订阅的名称，或要停用的订阅编号",
            "name a new subscription, or give the id of one to stop",
        )),
        ("", name) => webhooks::subscribe(state, name, typed.get("url"), typed.get("topics")).await.map(|done| {
            let what = lang.t(
                "签名密钥（只显示这一次；接收方用它校验 X-Grassroots-Signature）",
                "The signing secret (shown only this once; the receiver checks X-Grassroots-Signature with it)",
            );
            page.new_key = Some((what.into(), done.secret));
        }),
        (id, _) => match uuid::Uuid::parse_str(id) {
            Ok(id) => webhooks::stop(state, id).await,
            Err(_) => Err(AppError::invalid("disable", "订阅编号无效", "not a subscription id")),
        },
    };
    answer_once(state, lang, page, outcome, typed).await
}

/// The page again after a form that may have made a secret to show this once: saved, or the
/// error at its field; never cached.
async fn answer_once(
    state: &AppState,
    lang: Lang,
    mut page: AdminPage,
    outcome: Result<(), AppError>,
    typed: Typed,
) -> Result<Response, ApiError> {
    let status = match outcome {
        Ok(()) => {
            page.saved = true;
            StatusCode::OK
        }
        Err(e) => {
            page.error = Some(form_error(e.into(), &lang)?);
            page.typed = typed;
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    page.lines = section_lines(state, &lang, page.section).await?.unwrap_or_default();
    page.log = section_log(state, &lang, page.section).await?;
    let mut response = (status, Html(page.render()?)).into_response();
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn save_user(state: &AppState, staff: &Staff, typed: &Typed) -> Result<(), AppError> {
    let form = AccountForm {
        username: typed.get("username").to_string(),
        display_name: Some(typed.get("display_name").to_string()),
        role: typed.get("role").to_string(),
        scope: typed.get("scope").to_string(),
        password: Some(typed.get("password").to_string()),
        // The stored state is kept unless the form changes it.
        disabled: match typed.get("state") {
            "disabled" => Some(true),
            "active" => Some(false),
            _ => None,
        },
    };
    accounts::save(state, Some(&staff.user), form).await.map(|_| ())
}

async fn save_unit(state: &AppState, typed: &Typed) -> Result<(), AppError> {
    let unit = Unit {
        id: typed.get("id").to_string(),
        name_zh: typed.get("name_zh").to_string(),
        name_en: typed.get("name_en").to_string(),
        kind: typed.get("kind").to_string(),
        region_code: typed.get("region_code").to_string(),
    };
    reference::save_unit(state, unit).await
}

async fn save_category(state: &AppState, typed: &Typed) -> Result<(), AppError> {
    let number = |field: &'static str| {
        typed.get(field).trim().parse::<u32>().map_err(|_| AppError::invalid(field, "应为整数", "a whole number"))
    };
    reference::save_deadlines(state, typed.get("code"), number("response_hours")?, number("resolve_days")?).await
}

async fn save_line(state: &AppState, typed: &Typed) -> Result<(), AppError> {
    let (category_code, region_code) = (typed.get("category_code"), typed.get("region_code"));
    if typed.is("do", "remove") {
        return reference::remove_matrix_line(state, category_code, region_code).await;
    }
    let line = Responsibility {
        category_code: category_code.to_string(),
        region_code: region_code.to_string(),
        unit_id: typed.get("unit_id").to_string(),
        auto_dispatch: typed.is("auto_dispatch", "yes"),
    };
    reference::save_matrix_lines(state, vec![line]).await.map(|_| ()).map_err(|(_, e)| e)
}

async fn save_day(state: &AppState, typed: &Typed) -> Result<(), AppError> {
    let date = NaiveDate::parse_from_str(typed.get("date").trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("date", "日期格式应为YYYY-MM-DD", "a date YYYY-MM-DD"))?;
    let change = match typed.get("kind").trim() {
        "remove" => DayChange::Remove,
        kind => DayChange::Set {
            kind: DayKind::parse(kind).ok_or_else(|| AppError::invalid("kind", "请选择类型", "choose a kind"))?,
            name: typed.get("name").to_string(),
        },
    };
    reference::set_calendar_day(state, date, change).await
}
