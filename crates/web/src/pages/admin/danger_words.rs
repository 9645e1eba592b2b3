//! 预警词: the words of danger that make a report urgent at once, warn its street's dispatchers
//! and text the one on duty; each with the kind of danger it signals, added, changed or removed
//! one at a time. A word the text denies close before it (没有煤气味) does not count.

use grassroots_app::{warnings, AppError};
use grassroots_domain::warnings::DangerKind;

use super::{choice, input, Layout, Line, Saved};
use crate::pages::{Lang, Typed};
use crate::session::Staff;
use crate::AppState;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let kinds =
        DangerKind::ALL.iter().map(|k| (k.as_str().to_string(), lang.t(k.label_zh(), k.label_en()).to_string()));
    Layout {
        heading: t(
            "预警词：诉求含有这些词即列为紧急、生成风险预警并短信告知街道当班人员（紧前有“没、无、未、非”否定的不算）",
            "Words of danger: a report holding one is made urgent, warned of and texted to its street's dispatcher on duty (not when 没, 无, 未 or 非 just before denies it)",
        ),
        columns: vec![t("词", "Word"), t("类型", "Kind")],
        form: vec![
            input("word", t("词（2到20个字；已有的词则改其类型）", "Word (2 to 20 characters; an existing one changes kind)")),
            choice("kind", t("类型", "Kind"), kinds.collect()),
        ],
    }
}

pub(super) fn lines(state: &AppState, lang: Lang) -> Vec<Line> {
    state
        .danger_words()
        .iter()
        .map(|w| {
            Line::new(vec![w.word.clone(), lang.t(w.kind.label_zh(), w.kind.label_en()).to_string()]).with_action(
                lang.t("删除", "Remove").to_string(),
                vec![("do", "remove".to_string()), ("word", w.word.clone())],
            )
        })
        .collect()
}

/// Adds or changes a word; with `do=remove`, removes it.
pub(super) async fn save(state: &AppState, staff: &Staff, typed: &Typed) -> Result<Saved, AppError> {
    if typed.is("do", "remove") {
        warnings::remove_danger_word(state, &staff.user, typed.get("word")).await?;
    } else {
        warnings::put_danger_word(state, &staff.user, typed.get("word"), typed.get("kind")).await?;
    }
    Ok(Saved::Done)
}
