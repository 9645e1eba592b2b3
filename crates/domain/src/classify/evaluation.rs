//! How a model did on examples it was not trained on: accuracy, top-3, the top level, and per
//! category precision, recall and what it was taken for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Example, Model};

/// How a model did on held-out examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub examples: usize,
    /// The first proposal was the example's category.
    pub accuracy: f64,
    /// The example's category was among the first three.
    pub top3: f64,
    /// The first proposal's top-level category (its first two digits) was the example's.
    pub top_level_accuracy: f64,
    /// The example's top-level category was that of one of the first three proposals.
    pub top_level_top3: f64,
    /// Category by category, in code order.
    pub categories: Vec<CategoryFigures>,
    /// The most frequent mistakes, most frequent first.
    pub confusions: Vec<Confusion>,
}

impl Evaluation {
    /// Whether a model with these figures may replace one with `current`'s, both measured on
    /// the same requests: not if it gets fewer of them right. On a tie the newer one, which
    /// learned from more, serves.
    pub fn may_replace(&self, current: &Evaluation) -> bool {
        self.examples == current.examples && self.accuracy >= current.accuracy
    }
}

/// One category's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryFigures {
    pub category: String,
    /// Held-out examples of this category.
    pub examples: usize,
    /// Of the examples proposed first as this category, the share that were.
    pub precision: f64,
    /// Of the examples of this category, the share proposed first as it.
    pub recall: f64,
}

/// Examples of one category proposed first as another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    pub actual: String,
    pub proposed: String,
    pub count: usize,
}

/// The most confusions an evaluation lists.
const CONFUSIONS_LISTED: usize = 10;

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn top_level(code: &str) -> &str {
    code.get(..2).unwrap_or(code)
}

/// Evaluates a model on examples it was not trained on.
pub fn evaluate(model: &Model, held_out: &[Example]) -> Evaluation {
    let (mut first, mut three, mut level, mut level_three) = (0usize, 0usize, 0usize, 0usize);
    // (examples, proposed as, right) per category
    let mut per: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut mistakes: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for example in held_out {
        let proposals = model.propose(&example.text, 3);
        let Some(best) = proposals.first() else { continue };
        let actual = example.category.as_str();
        per.entry(actual).or_default().0 += 1;
        if let Some(known) = model.categories().iter().find(|c| **c == best.category) {
            per.entry(known.as_str()).or_default().1 += 1;
        }
        if best.category == actual {
            first += 1;
            per.entry(actual).or_default().2 += 1;
        } else {
            *mistakes.entry((actual, best.category.clone())).or_default() += 1;
        }
        three += usize::from(proposals.iter().any(|p| p.category == actual));
        level += usize::from(top_level(&best.category) == top_level(actual));
        level_three += usize::from(proposals.iter().any(|p| top_level(&p.category) == top_level(actual)));
    }
    let n = held_out.len();
    let mut confusions: Vec<Confusion> = mistakes
        .into_iter()
        .map(|((actual, proposed), count)| Confusion { actual: actual.to_string(), proposed, count })
        .collect();
    confusions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.actual.cmp(&b.actual)));
    confusions.truncate(CONFUSIONS_LISTED);
    Evaluation {
        examples: n,
        accuracy: share(first, n),
        top3: share(three, n),
        top_level_accuracy: share(level, n),
        top_level_top3: share(level_three, n),
        categories: per
            .into_iter()
            .map(|(category, (examples, proposed, right))| CategoryFigures {
                category: category.to_string(),
                examples,
                precision: share(right, proposed),
                recall: share(right, examples),
            })
            .collect(),
        confusions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(examples: usize, accuracy: f64) -> Evaluation {
        Evaluation {
            examples,
            accuracy,
            top3: accuracy,
            top_level_accuracy: accuracy,
            top_level_top3: accuracy,
            categories: Vec::new(),
            confusions: Vec::new(),
        }
    }

    #[test]
    fn a_model_that_does_worse_does_not_replace_the_one_in_service() {
        assert!(scored(700, 0.91).may_replace(&scored(700, 0.90)));
        assert!(scored(700, 0.90).may_replace(&scored(700, 0.90)), "a tie goes to the newer");
        assert!(!scored(700, 0.89).may_replace(&scored(700, 0.90)));
        assert!(!scored(650, 0.95).may_replace(&scored(700, 0.90)), "figures on other requests do not compare");
    }

    fn example(category: &str, text: &str) -> Example {
        Example { category: category.into(), text: text.into() }
    }

    #[test]
    fn evaluation_counts_first_top_three_top_level_and_each_category() {
        let model = Model::train(&[
            example("0301", "路灯坏了"),
            example("0301", "路灯不亮"),
            example("0302", "井盖丢了"),
            example("0302", "井盖松动"),
            example("0501", "电梯坏了"),
            example("0501", "电梯困人"),
        ]);
        let held_out = [example("0301", "路灯不亮了"), example("0302", "井盖没了"), example("0303", "路灯和井盖")];
        let e = evaluate(&model, &held_out);
        assert_eq!(e.examples, 3);
        assert!((e.accuracy - 2.0 / 3.0).abs() < 1e-9, "{e:?}");
        assert!((e.top_level_accuracy - 1.0).abs() < 1e-9, "0303 is in 03 too: {e:?}");
        let unknown = e.categories.iter().find(|c| c.category == "0303").expect("0303 listed");
        assert_eq!((unknown.examples, unknown.recall), (1, 0.0));
        assert_eq!(e.confusions.len(), 1, "{e:?}");
        assert_eq!(e.confusions[0].actual, "0303");
    }
}
