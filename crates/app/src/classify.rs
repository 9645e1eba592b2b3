//! A category proposed from a request's words (智能分类), and the unit the responsibility
//! matrix gives for it where the place is known: for staff checking or choosing a category.

use std::sync::{Arc, OnceLock};

use grassroots_domain::case::Place;
use grassroots_domain::classify::{builtin_corpus, Model};

use crate::{AppError, Platform, Result};

/// The model trained on the project's corpus: once per process (tens of milliseconds), shared
/// by every platform the process opens.
pub(crate) fn builtin_model() -> Arc<Model> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    MODEL.get_or_init(|| Arc::new(Model::train(&builtin_corpus()))).clone()
}

/// The most categories proposed at once.
const MAX_PROPOSALS: usize = 5;

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

/// The categories the words suggest, most likely first, for a place if one is given. Any staff
/// member may ask: the answer tells nothing of any case.
pub fn propose(platform: &Platform, description: &str, place: Option<&Place>) -> Result<Vec<Proposed>> {
    let description = grassroots_domain::text::trimmed(description);
    if description.is_empty() || description.chars().count() > 4000 {
        return Err(AppError::invalid(
            "description",
            "请提供诉求内容（1到4000个字符）",
            "give the request's words, 1 to 4000 characters",
        ));
    }
    let reference = platform.reference();
    Ok(platform
        .classifier
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
