//! A category proposed from a request's words (智能分类), the unit the responsibility matrix
//! gives for it where the place is known, and the model behind it: trained on the project's
//! corpus, retrained from the cases people labelled, versioned in the store, and put into
//! service only when it does at least as well as the one in service on cases neither saw.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::classify::{builtin_corpus, evaluate, independent_requests, Evaluation, Example, Model};
use grassroots_domain::decisions::Outcome;
use grassroots_domain::decisions::{self, CaseNow, Decision, DecisionKind};
use grassroots_store::models::{DecisionOnCase, LabelledCase, NewModel};
use grassroots_store::StoreError;

use crate::{AppError, Platform, Result};

/// The model in service, with its version in the store (none: the corpus's own).
#[derive(Debug)]
pub struct Classifier {
    pub version: Option<i64>,
    pub model: Arc<Model>,
}

/// The model trained on the project's corpus: once per process (a fraction of a second), when
/// first needed, shared by every platform the process opens.
pub(crate) fn builtin() -> Arc<Classifier> {
    static MODEL: OnceLock<Arc<Classifier>> = OnceLock::new();
    MODEL
        .get_or_init(|| Arc::new(Classifier { version: None, model: Arc::new(Model::train(&builtin_corpus())) }))
        .clone()
}

/// The most categories proposed at once.
const MAX_PROPOSALS: usize = 5;
/// Labelled cases read from the store at a time.
const PAGE: usize = 5000;

/// A proposed category, with the unit the matrix gives for it at the place.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposed {
    pub category_code: String,
    pub confidence: f64,
    /// The words of the request that decided it.
    pub reasons: Vec<String>,
    /// The unit the matrix gives, and why; none without a place.
    pub unit: Option<(String, String, String)>,
}

fn check_description(description: &str) -> Result<&str> {
    let description = grassroots_domain::text::trimmed(description);
    if description.is_empty() || description.chars().count() > 4000 {
        return Err(AppError::invalid(
            "description",
            "请提供诉求内容（1到4000个字符）",
            "give the request's words, 1 to 4000 characters",
        ));
    }
    Ok(description)
}

/// The categories the words suggest, most likely first, for a place if one is given. Anyone
/// may ask (a resident choosing a category as much as staff): the answer tells nothing of any
/// case.
pub fn propose(platform: &Platform, description: &str, place: Option<&Place>) -> Result<Vec<Proposed>> {
    let description = check_description(description)?;
    let reference = platform.reference();
    Ok(platform
        .classifier()
        .model
        .propose(description, MAX_PROPOSALS)
        .into_iter()
        .map(|p| Proposed {
            unit: place
                .and_then(|place| reference.suggest(&p.category, place))
                .map(|s| (s.unit.id.clone(), s.why_zh, s.why_en)),
            category_code: p.category,
            confidence: p.confidence,
            reasons: p.reasons,
        })
        .collect())
}

/// The category intake (and an import) gives a report that names none: the proposal where the
/// administrator let the machine decide for that category and it is sure enough, else 其他 for
/// a person to sort. Either way the decision is returned, to be kept with the case.
pub fn categorise(platform: &Platform, description: &str) -> (String, Decision) {
    let classifier = platform.classifier();
    let reference = platform.reference();
    let proposal = classifier.model.propose(description, 1).into_iter().next();
    let decision = match proposal {
        Some(p) => {
            let percent = reference.taxonomy.get(&p.category).and_then(|c| c.auto_percent);
            decisions::on_proposal(&p, percent, classifier.version)
        }
        // A model without categories proposes nothing: a person decides.
        None => Decision {
            kind: DecisionKind::CategoryProposed,
            category_code: decisions::UNSORTED.to_string(),
            unit_id: None,
            confidence: None,
            reasons: Vec::new(),
            model_version: classifier.version,
            target_case: None,
        },
    };
    let category = match decision.kind {
        DecisionKind::CategoryApplied => decision.category_code.clone(),
        DecisionKind::CategoryProposed | DecisionKind::Dispatched | DecisionKind::MergeSuggested => {
            decisions::UNSORTED.to_string()
        }
    };
    (category, decision)
}

/// Loads the model in service if it is not the one this process holds; a model that does not
/// decode is reported and the one held is kept. Returns whether it changed.
pub async fn follow(platform: &Platform) -> Result<bool, StoreError> {
    let version = platform.store.version_in_service().await?;
    if version == platform.classifier_version() {
        return Ok(false);
    }
    let loaded = match platform.store.model_in_service().await? {
        None => None,
        Some((version, bytes)) => match Model::decode(&bytes) {
            Ok(model) => Some(Arc::new(Classifier { version: Some(version), model: Arc::new(model) })),
            Err(e) => {
                tracing::error!(version, error = %e, "the classifier in service does not decode; keeping the one held");
                return Ok(false);
            }
        },
    };
    platform.set_classifier(loaded);
    Ok(true)
}

/// What a training produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    pub version: i64,
    /// Labelled cases learned from, and held out.
    pub examples: usize,
    pub held_out: usize,
    pub evaluation: Evaluation,
    /// The model that was in service, on the same held-out requests.
    pub compared: Evaluation,
    pub in_service: bool,
}

/// Whether a labelled case is held out of training, for good: every fifth by its id, so that
/// no version ever learns from the cases every version is measured on.
fn held_out(case: &LabelledCase) -> bool {
    case.id.as_u128().is_multiple_of(5)
}

/// Trains a model on the corpus and the cases people labelled, evaluates it and the model in
/// service on the labelled cases held out and the independent requests, keeps it as the next
/// version, and puts it into service unless it does worse than the one in service.
#[tracing::instrument(skip_all)]
pub async fn train(platform: &Platform, now: DateTime<Utc>) -> Result<Trained> {
    let reference = platform.reference();
    // Only a sub-category says what a case is about: 其他 and top-level codes teach nothing.
    let useful = |c: &LabelledCase| reference.taxonomy.get(&c.category_code).is_some_and(|c| c.parent.is_some());
    let (mut learn, mut check) = (builtin_corpus(), independent_requests());
    let (mut examples, mut held) = (0, 0);
    let mut after = None;
    loop {
        let page = platform.store.labelled_cases(after, PAGE).await?;
        after = page.last().map(|c| c.id);
        for case in page.iter().filter(|c| useful(c)) {
            let example = Example { category: case.category_code.clone(), text: case.description.clone() };
            if held_out(case) {
                held += 1;
                check.push(example);
            } else {
                examples += 1;
                learn.push(example);
            }
        }
        if page.len() < PAGE {
            break;
        }
    }
    let current = platform.classifier();
    let (model, evaluation, compared) = tokio::task::spawn_blocking(move || {
        let model = Model::train(&learn);
        let evaluation = evaluate(&model, &check);
        let compared = evaluate(&current.model, &check);
        (model, evaluation, compared)
    })
    .await
    .map_err(|e| AppError::Internal(format!("training stopped: {e}")))?;
    let in_service = evaluation.may_replace(&compared);
    let as_json = |e: &Evaluation| serde_json::to_string(e).unwrap_or_default();
    let bytes = model.encode();
    let version = platform
        .store
        .add_model(&NewModel {
            trained_at: now,
            examples: examples as i64,
            held_out: held as i64,
            evaluation: as_json(&evaluation),
            compared: as_json(&compared),
            in_service,
            bytes,
        })
        .await?;
    if in_service {
        platform.set_classifier(Some(Arc::new(Classifier { version: Some(version), model: Arc::new(model) })));
    }
    tracing::info!(
        version,
        examples,
        held,
        accuracy = evaluation.accuracy,
        was = compared.accuracy,
        in_service,
        "classifier trained"
    );
    Ok(Trained { version, examples, held_out: held, evaluation, compared, in_service })
}

/// What became of a decision, read from its case as it is now.
pub fn outcome_of(d: &DecisionOnCase) -> Outcome {
    let now = CaseNow {
        state: d.state,
        category_code: &d.category_code,
        lead_unit: d.lead_unit.as_deref(),
        return_count: d.return_count,
        merged_into: d.merged_into,
    };
    decisions::outcome(&d.decision, now)
}

/// The decisions the platform made about a case, each with what became of it. The caller has
/// checked that the case is within the reader's scope.
pub async fn decisions_on(platform: &Platform, case_id: uuid::Uuid) -> Result<Vec<(DecisionOnCase, Outcome)>> {
    let decisions = platform.store.case_decisions(case_id).await?;
    Ok(decisions
        .into_iter()
        .map(|d| {
            let outcome = outcome_of(&d);
            (d, outcome)
        })
        .collect())
}

/// How often people kept or overrode one kind of decision, in one category or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRate {
    pub kind: DecisionKind,
    /// None: every category.
    pub category_code: Option<String>,
    pub made: usize,
    pub pending: usize,
    pub kept: usize,
    pub overridden: usize,
}

impl OverrideRate {
    /// The share of settled decisions that people overrode; none while none is settled.
    pub fn rate(&self) -> Option<f64> {
        let settled = self.kept + self.overridden;
        (settled > 0).then(|| self.overridden as f64 / settled as f64)
    }
}

/// The override rates of the decisions made in a period, per kind (all categories first, then
/// each category), for administrators to review the machine by.
pub async fn override_rates(platform: &Platform, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<OverrideRate>> {
    let decisions = platform.store.decisions_between(from, to).await?;
    let mut rates: std::collections::BTreeMap<(&str, Option<String>), OverrideRate> = Default::default();
    for d in &decisions {
        let outcome = outcome_of(d);
        let kind = d.decision.kind;
        for category in [None, Some(d.decision.category_code.clone())] {
            let rate = rates.entry((kind.as_str(), category.clone())).or_insert_with(|| OverrideRate {
                kind,
                category_code: category,
                made: 0,
                pending: 0,
                kept: 0,
                overridden: 0,
            });
            rate.made += 1;
            match outcome {
                Outcome::Pending => rate.pending += 1,
                Outcome::Kept => rate.kept += 1,
                Outcome::Overridden => rate.overridden += 1,
            }
        }
    }
    Ok(rates.into_values().collect())
}
