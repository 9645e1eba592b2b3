//! The text messages sent to residents and to staff on duty, newest first: what each said, to
//! whom and which (masked) number, through which channel, and how it went. Where no SMS provider is configured the
//! messages go to the development sink, and this is where they are read.

use grassroots_app::AppError;

use grassroots_domain::personal::mask_phone;

use super::{Layout, Line, Log};
use crate::error::ApiError;
use crate::pages::{beijing_minutes, Lang};
use crate::AppState;

/// The latest messages shown (the page searches and pages within them).
const SHOWN: i64 = 500;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    Layout {
        heading: t(
            "发给居民和值班人员的短信（未配置短信服务商时进入开发收件箱，不实际发出）",
            "Text messages to residents and staff on duty (without an SMS provider they go to the development sink and are not sent)",
        ),
        columns: vec![
            t("时间", "At"),
            t("案件", "Case"),
            t("收件人", "To"),
            t("手机", "Phone"),
            t("通知", "Notice"),
            t("状态", "State"),
            t("尝试", "Attempts"),
            t("通道", "Channel"),
            t("内容", "Text"),
            t("最近错误", "Last error"),
        ],
        form: Vec::new(),
    }
}

pub(super) async fn lines(state: &AppState, lang: Lang) -> Result<Vec<Line>, ApiError> {
    let lines = state.store.messages(None, SHOWN).await?.into_iter().map(|m| {
        let (notice_zh, notice_en) = m.notice.label();
        let (state_zh, state_en) = m.state.label();
        let (to_zh, to_en) = m.recipient.label();
        let channel = match m.provider.as_deref() {
            Some("sink") => lang.t("开发收件箱", "development sink").to_string(),
            Some("http") => lang.t("短信服务商", "SMS provider").to_string(),
            Some(other) => other.to_string(),
            None => "—".to_string(),
        };
        Line::new(vec![
            beijing_minutes(m.sent_at.unwrap_or(m.created_at)),
            m.tracking_no,
            lang.t(to_zh, to_en).to_string(),
            m.phone_masked.unwrap_or_default(),
            lang.t(notice_zh, notice_en).to_string(),
            lang.t(state_zh, state_en).to_string(),
            m.attempts.to_string(),
            channel,
            m.body.unwrap_or_default(),
            m.last_error.unwrap_or_default(),
        ])
    });
    Ok(lines.collect())
}

/// The texts this server sent at once into the development sink (residents' sign-in codes,
/// which the queue does not hold), newest first: with no SMS provider, how to sign in as a
/// resident. With a provider nothing goes there.
pub(super) fn sink_log(state: &AppState, lang: Lang) -> Log {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let lines = state
        .development_texts()
        .into_iter()
        .rev()
        .map(|text| Line::new(vec![beijing_minutes(text.at), mask_phone(&text.to), text.text]));
    Log {
        heading: t(
            "本服务器即时发出的短信（居民登录验证码；未配置短信服务商时进入开发收件箱，只保存在内存中，最近50条）",
            "Texts this server sent at once (residents' sign-in codes; without an SMS provider they go to the development sink, kept in memory only, the last 50)",
        ),
        columns: vec![t("时间", "At"), t("手机", "Phone"), t("内容", "Text")],
        lines: lines.collect(),
    }
}

/// The list has nothing to save: messages are written by the events they tell of.
pub(super) fn save() -> Result<super::Saved, AppError> {
    Err(AppError::invalid("section", "短信列表不能修改", "the list of messages cannot be changed"))
}
