//! 智能分类: the classifier's versions with their figures on held-out cases, retraining on
//! demand, and how often people overrode each kind of automated decision, per category
//! (against 技术决定论: the machine reviewed by the people it serves).

use chrono::{Duration, Utc};
use grassroots_app::{classify, AppError};
use grassroots_domain::classify::Evaluation;

use super::{choice, Layout, Line, Log, Saved};
use crate::error::ApiError;
use crate::pages::{beijing_minutes, category_name, Lang, Typed};
use crate::AppState;

/// The period the override rates cover.
const REVIEWED_DAYS: i64 = 90;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    Layout {
        heading: t(
            "智能分类模型：各版本在留出案件和独立测试集上的成绩（成绩不如在用版本的不投入使用）",
            "The classifier: each version's figures on held-out cases and the independent requests (one that does worse than the version in service is not put into service)",
        ),
        columns: vec![
            t("版本", "Version"),
            t("训练时间", "Trained"),
            t("学习的已标注案件", "Labelled cases learned"),
            t("留出案件", "Cases held out"),
            t("大类准确率", "Top-level accuracy"),
            t("小类准确率", "Sub-category accuracy"),
            t("前三命中", "Top 3"),
            t("当时在用版本的小类准确率", "The version then in service"),
            t("状态", "State"),
        ],
        form: vec![choice(
            "action",
            t(
                "用语料和已结案、已改类的案件重新训练（服务器每天自动训练一次）",
                "Retrain on the corpus and the cases closed or reclassified (the server retrains daily)",
            ),
            vec![("train".into(), t("立即重新训练", "Retrain now"))],
        )],
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub(super) async fn lines(state: &AppState, lang: Lang) -> Result<Vec<Line>, ApiError> {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let mut lines: Vec<Line> = state
        .store
        .models()
        .await?
        .into_iter()
        .map(|m| {
            let e: Option<Evaluation> = serde_json::from_str(&m.evaluation).ok();
            let was: Option<Evaluation> = serde_json::from_str(&m.compared).ok();
            let figure = |f: fn(&Evaluation) -> f64| e.as_ref().map(f).map(percent).unwrap_or_default();
            Line::new(vec![
                m.version.to_string(),
                beijing_minutes(m.trained_at),
                m.examples.to_string(),
                m.held_out.to_string(),
                figure(|e| e.top_level_accuracy),
                figure(|e| e.accuracy),
                figure(|e| e.top3),
                was.map(|w| percent(w.accuracy)).unwrap_or_default(),
                if m.in_service { t("在用", "in service") } else { t("未投入使用", "not in service") },
            ])
        })
        .collect();
    let corpus_in_service = state.classifier_version().is_none();
    lines.push(Line::new(vec![
        t("语料", "corpus"),
        String::new(),
        "0".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        if corpus_in_service { t("在用", "in service") } else { t("未投入使用", "not in service") },
    ]));
    Ok(lines)
}

/// How often people overrode each kind of decision in the last 90 days.
pub(super) async fn log(state: &AppState, lang: Lang) -> Result<Log, ApiError> {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let reference = state.reference();
    let now = Utc::now();
    let rates = classify::override_rates(state, now - Duration::days(REVIEWED_DAYS), now).await?;
    // Warnings too: acting on one keeps it, dismissing it overrides the rule that raised it.
    let warnings = state.store.warning_tallies().await?.into_iter().map(|w| {
        let settled = w.acted + w.dismissed;
        Line::new(vec![
            format!("{}{}", t("预警：", "Warning: "), lang.t(w.kind.label_zh(), w.kind.label_en())),
            t("全部", "all"),
            w.raised.to_string(),
            (w.raised - settled).to_string(),
            w.acted.to_string(),
            w.dismissed.to_string(),
            if settled > 0 { percent(w.dismissed as f64 / settled as f64) } else { "—".into() },
        ])
    });
    Ok(Log {
        heading: t(
            "自动决定被人工改正的比例（近90天；以已确认的决定计；预警为全部时间，排除即为改正）",
            "Automated decisions overridden by people (last 90 days; of those settled; warnings over all time, a dismissal overriding)",
        ),
        columns: vec![
            t("决定", "Decision"),
            t("类别", "Category"),
            t("作出", "Made"),
            t("待人确认", "Awaiting a person"),
            t("被采纳", "Kept"),
            t("被改正", "Overridden"),
            t("改正率", "Override rate"),
        ],
        lines: rates
            .into_iter()
            .map(|r| {
                Line::new(vec![
                    lang.t(r.kind.label_zh(), r.kind.label_en()).to_string(),
                    r.category_code
                        .as_deref()
                        .map_or_else(|| t("全部", "all"), |c| format!("{c} {}", category_name(&reference, c, &lang))),
                    r.made.to_string(),
                    r.pending.to_string(),
                    r.kept.to_string(),
                    r.overridden.to_string(),
                    r.rate().map(percent).unwrap_or_else(|| "—".into()),
                ])
            })
            .chain(warnings)
            .collect(),
    })
}

pub(super) async fn save(state: &AppState, typed: &Typed) -> Result<Saved, AppError> {
    match typed.get("action") {
        "train" => {
            classify::train(state, Utc::now()).await?;
            Ok(Saved::Done)
        }
        _ => Err(AppError::invalid("action", "请选择操作", "choose what to do")),
    }
}
