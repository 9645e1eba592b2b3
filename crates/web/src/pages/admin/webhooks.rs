//! Other systems' subscriptions to case events: subscribed (the signing secret shown once),
//! stopped; with the log of every delivery attempt.

use grassroots_app::{webhooks, AppError};

use super::{input, Layout, Line, Log, Saved};
use crate::error::ApiError;
use crate::pages::{beijing_minutes, Lang, Typed};
use crate::AppState;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    Layout {
        heading: t("向其他系统推送工单事件（Webhook）", "Case events pushed to other systems (webhooks)"),
        columns: vec![
            t("编号", "Id"),
            t("名称", "Name"),
            t("地址", "URL"),
            t("事件", "Events"),
            t("状态", "State"),
            t("待投递", "Waiting"),
        ],
        form: vec![
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
    }
}

pub(super) async fn lines(state: &AppState, lang: Lang) -> Result<Vec<Line>, ApiError> {
    let mut lines = Vec::new();
    for hook in state.store.webhooks().await? {
        let waiting = state.store.undelivered(&hook.id.to_string()).await?;
        let topics = if hook.topics.is_empty() { lang.t("全部", "all").to_string() } else { hook.topics.join(", ") };
        let state = match hook.disabled_at {
            Some(t) => format!("{} {}", lang.t("已停用", "stopped"), beijing_minutes(t)),
            None => lang.t("启用", "active").to_string(),
        };
        lines.push(Line::new(vec![hook.id.to_string(), hook.name, hook.url, topics, state, waiting.to_string()]));
    }
    Ok(lines)
}

/// The delivery log under the webhooks: each subscription's latest attempts.
pub(super) async fn log(state: &AppState, lang: Lang) -> Result<Log, ApiError> {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let mut lines = Vec::new();
    for hook in state.store.webhooks().await? {
        for a in state.store.delivery_attempts(&hook.id.to_string(), 50).await? {
            let outcome = match a.error {
                Some(e) => format!("{}：{e}", t("失败，将重试", "failed, will retry")),
                None => t("已送达", "delivered"),
            };
            let status = a.status.map_or_else(|| "—".to_string(), |s| s.to_string());
            let cells = vec![
                beijing_minutes(a.at),
                hook.name.clone(),
                a.topic,
                a.event_id.to_string(),
                status,
                outcome,
                format!("{} ms", a.duration_ms),
            ];
            lines.push(Line::new(cells));
        }
    }
    Ok(Log {
        heading: t("投递记录（每个订阅最近50次）", "Delivery log (the latest 50 per subscription)"),
        columns: vec![
            t("时间", "At"),
            t("订阅", "Subscription"),
            t("事件", "Event"),
            t("事件编号", "Event id"),
            t("状态码", "Status"),
            t("结果", "Outcome"),
            t("耗时", "Took"),
        ],
        lines,
    })
}

/// Subscribes a receiver (its signing secret shown once on the page that answers) or stops one.
pub(super) async fn save(state: &AppState, typed: &Typed, lang: Lang) -> Result<Saved, AppError> {
    match (typed.get("disable").trim(), typed.get("name").trim()) {
        ("", "") => Err(AppError::invalid(
            "name",
            "请填写新订阅的名称，或要停用的订阅编号",
            "name a new subscription, or give the id of one to stop",
        )),
        ("", name) => {
            let done = webhooks::subscribe(state, name, typed.get("url"), typed.get("topics")).await?;
            let what = lang.t(
                "签名密钥（只显示这一次；接收方用它校验 X-Grassroots-Signature）",
                "The signing secret (shown only this once; the receiver checks X-Grassroots-Signature with it)",
            );
            Ok(Saved::ShowOnce { what: what.into(), secret: done.secret })
        }
        (id, _) => {
            let id = uuid::Uuid::parse_str(id)
                .map_err(|_| AppError::invalid("disable", "订阅编号无效", "not a subscription id"))?;
            webhooks::stop(state, id).await?;
            Ok(Saved::Done)
        }
    }
}
