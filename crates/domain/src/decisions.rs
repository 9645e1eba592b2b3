//! What the machine decides about a case, and whether people kept it (against 技术决定论).
//!
//! Every automated decision is recorded with its reasons when it is made; whether it was kept
//! or overridden is read later from what people did to the case (a reclassification, a return,
//! a redispatch), so nothing has to remember to mark it.

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::classify::Proposal;
use crate::CaseState;

coded_enum! {
    /// A kind of automated decision.
    DecisionKind {
        CategoryApplied = "category_applied" / "自动分类" / "category applied",
        CategoryProposed = "category_proposed" / "建议分类" / "category proposed",
        Dispatched = "dispatched" / "自动派遣" / "automatic dispatch",
        MergeSuggested = "merge_suggested" / "疑似重复" / "possible duplicate",
    }
}

coded_enum! {
    /// What became of a decision.
    Outcome {
        Pending = "pending" / "待人确认" / "awaiting a person",
        Kept = "kept" / "被采纳" / "kept",
        Overridden = "overridden" / "被改正" / "overridden",
    }
}

/// A decision as made: what, for which category (and unit, for a dispatch), how sure, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub kind: DecisionKind,
    pub category_code: String,
    pub unit_id: Option<String>,
    /// The model's confidence; none for a dispatch by the matrix's rule.
    pub confidence: Option<f64>,
    /// The words that decided a category, or the matrix line's reason for a dispatch.
    pub reasons: Vec<String>,
    /// The model's version; none for the model trained on the project's corpus alone.
    pub model_version: Option<i64>,
    /// The case a report may repeat, for a suggested merge.
    pub target_case: Option<uuid::Uuid>,
}

/// Whether a proposed category is applied: only where the administrator set a threshold (in
/// percent) for that category and the model is at least that confident.
pub fn applies(proposal: &Proposal, percent: Option<u8>) -> bool {
    percent.is_some_and(|p| proposal.confidence * 100.0 >= f64::from(p))
}

/// The decision made on a proposal, with the threshold of its category.
pub fn on_proposal(proposal: &Proposal, percent: Option<u8>, model_version: Option<i64>) -> Decision {
    Decision {
        kind: if applies(proposal, percent) { DecisionKind::CategoryApplied } else { DecisionKind::CategoryProposed },
        category_code: proposal.category.clone(),
        unit_id: None,
        confidence: Some(proposal.confidence),
        reasons: proposal.reasons.clone(),
        model_version,
        target_case: None,
    }
}

/// What a case shows now of the people's view of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseNow<'a> {
    pub state: CaseState,
    pub category_code: &'a str,
    pub lead_unit: Option<&'a str>,
    /// Times a unit sent it back.
    pub return_count: i64,
    pub merged_into: Option<uuid::Uuid>,
}

/// The category intake gives a case when nobody chose one and the machine was not sure.
pub const UNSORTED: &str = "18";

/// What became of a decision, read from the case as it is now.
pub fn outcome(decision: &Decision, case: CaseNow<'_>) -> Outcome {
    let finished = case.state.is_terminal() || matches!(case.state, CaseState::Handled | CaseState::Verifying);
    match decision.kind {
        // Only people change a category after intake; closing confirms it.
        DecisionKind::CategoryApplied if case.category_code != decision.category_code => Outcome::Overridden,
        DecisionKind::CategoryApplied if finished => Outcome::Kept,
        DecisionKind::CategoryApplied => Outcome::Pending,
        // Left as 其他 until a person sorts it: then it was their choice against the machine's.
        DecisionKind::CategoryProposed if case.category_code == decision.category_code => Outcome::Kept,
        DecisionKind::CategoryProposed if case.category_code != UNSORTED || finished => Outcome::Overridden,
        DecisionKind::CategoryProposed => Outcome::Pending,
        DecisionKind::Dispatched if case.return_count > 0 || case.lead_unit != decision.unit_id.as_deref() => {
            Outcome::Overridden
        }
        DecisionKind::Dispatched if finished => Outcome::Kept,
        DecisionKind::Dispatched => Outcome::Pending,
        // Merged as suggested, or taken on as a matter of its own (or merged elsewhere).
        DecisionKind::MergeSuggested if case.merged_into.is_some() && case.merged_into == decision.target_case => {
            Outcome::Kept
        }
        DecisionKind::MergeSuggested
            if case.merged_into.is_some() || !matches!(case.state, CaseState::Received | CaseState::Registered) =>
        {
            Outcome::Overridden
        }
        DecisionKind::MergeSuggested => Outcome::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(kind: DecisionKind, category: &str, unit: Option<&str>) -> Decision {
        Decision {
            kind,
            category_code: category.into(),
            unit_id: unit.map(Into::into),
            confidence: Some(0.9),
            reasons: vec!["路灯".into()],
            model_version: None,
            target_case: None,
        }
    }

    fn case<'a>(state: CaseState, category: &'a str, unit: Option<&'a str>, returns: i64) -> CaseNow<'a> {
        CaseNow { state, category_code: category, lead_unit: unit, return_count: returns, merged_into: None }
    }

    #[test]
    fn a_category_is_applied_only_above_the_threshold_set_for_it() {
        let proposal = Proposal { category: "0301".into(), confidence: 0.82, reasons: vec![] };
        assert!(!applies(&proposal, None), "no threshold: never automatic");
        assert!(applies(&proposal, Some(80)));
        assert!(!applies(&proposal, Some(90)));
        assert_eq!(on_proposal(&proposal, Some(90), Some(3)).kind, DecisionKind::CategoryProposed);
        assert_eq!(on_proposal(&proposal, Some(80), Some(3)).kind, DecisionKind::CategoryApplied);
    }

    #[test]
    fn an_applied_category_is_kept_at_the_end_and_overridden_by_a_reclassification() {
        let d = decision(DecisionKind::CategoryApplied, "0301", None);
        assert_eq!(outcome(&d, case(CaseState::Dispatched, "0301", None, 0)), Outcome::Pending);
        assert_eq!(outcome(&d, case(CaseState::Closed, "0301", None, 0)), Outcome::Kept);
        assert_eq!(outcome(&d, case(CaseState::Dispatched, "0302", None, 0)), Outcome::Overridden);
    }

    #[test]
    fn a_proposal_waits_for_a_person_and_is_judged_by_their_choice() {
        let d = decision(DecisionKind::CategoryProposed, "0301", None);
        assert_eq!(outcome(&d, case(CaseState::Received, UNSORTED, None, 0)), Outcome::Pending);
        assert_eq!(outcome(&d, case(CaseState::Dispatched, "0301", None, 0)), Outcome::Kept);
        assert_eq!(outcome(&d, case(CaseState::Dispatched, "0303", None, 0)), Outcome::Overridden);
        assert_eq!(outcome(&d, case(CaseState::Rejected, UNSORTED, None, 0)), Outcome::Overridden);
    }

    #[test]
    fn a_suggested_merge_is_kept_when_made_and_overridden_when_the_case_goes_on_alone() {
        let target = uuid::Uuid::now_v7();
        let d = Decision { target_case: Some(target), ..decision(DecisionKind::MergeSuggested, "0301", None) };
        let merged = |into| CaseNow { merged_into: Some(into), ..case(CaseState::Merged, "0301", None, 0) };
        assert_eq!(outcome(&d, case(CaseState::Received, "0301", None, 0)), Outcome::Pending);
        assert_eq!(outcome(&d, merged(target)), Outcome::Kept);
        assert_eq!(outcome(&d, merged(uuid::Uuid::now_v7())), Outcome::Overridden);
        assert_eq!(outcome(&d, case(CaseState::Dispatched, "0301", Some("u"), 0)), Outcome::Overridden);
    }

    #[test]
    fn an_automatic_dispatch_is_overridden_by_a_return_or_another_unit() {
        let d = decision(DecisionKind::Dispatched, "0301", Some("street-lights"));
        assert_eq!(outcome(&d, case(CaseState::InProgress, "0301", Some("street-lights"), 0)), Outcome::Pending);
        assert_eq!(outcome(&d, case(CaseState::Closed, "0301", Some("street-lights"), 0)), Outcome::Kept);
        assert_eq!(outcome(&d, case(CaseState::Dispatched, "0301", Some("street-lights"), 1)), Outcome::Overridden);
        assert_eq!(outcome(&d, case(CaseState::Dispatched, "0301", Some("other"), 0)), Outcome::Overridden);
    }
}
