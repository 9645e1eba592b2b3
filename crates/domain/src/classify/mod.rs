//! Reading what residents write (智能分类): a category proposed from a request's text, with a
//! confidence and the words that decided it.
//!
//! The model is linear: a request's features (features.rs) weighted by TF-IDF (sublinear term
//! frequency, unit length), scored against each category by a support vector machine trained
//! one category against the rest (linear.rs). Scores become confidences through a softmax
//! whose temperature is fitted on examples held out of training, so that "0.8" means right
//! about four times in five. It trains in about a second on thousands of examples, answers in
//! microseconds, and every proposal is explained by the features that weighed most for it.

mod encoding;
mod evaluation;
mod features;
mod linear;

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

pub use encoding::DecodeError;
pub use evaluation::{evaluate, CategoryFigures, Confusion, Evaluation};
use features::each_feature;
pub use features::features;

/// The regularisation constant of the support vector machines (scikit-learn's default; on the
/// corpus's held-out fifth 0.3 to 4 did no better).
const C: f64 = 1.0;

/// The temperatures tried when calibrating confidences.
const TEMPERATURES: [f64; 12] = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 13.0, 16.0];

/// A labelled example: a category code and a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub category: String,
    pub text: String,
}

/// The project's own corpus (`data/requests-corpus.csv`): requests as residents write them,
/// for each sub-category, the model's starting point before the store has labelled cases.
pub fn builtin_corpus() -> Vec<Example> {
    read_corpus(include_str!("../../../../data/requests-corpus.csv"))
}

/// Requests written apart from the corpus, by other hands, to measure the model on
/// (`data/requests-independent.csv`); never trained on.
pub fn independent_requests() -> Vec<Example> {
    read_corpus(include_str!("../../../../data/requests-independent.csv"))
}

fn read_corpus(csv_text: &str) -> Vec<Example> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter(|r| r.len() == 2)
        .map(|r| Example { category: r[0].to_string(), text: r[1].to_string() })
        .collect()
}

/// A category proposed for a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub category: String,
    /// The model's confidence, 0 to 1, over the categories it knows.
    pub confidence: f64,
    /// The features of the text that weighed most for this category over the others, strongest
    /// first (runs of characters as written; no character in two of them).
    pub reasons: Vec<String>,
}

/// A trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    categories: Vec<String>,
    vocabulary: FxHashMap<String, u32>,
    /// The features by their index in the vocabulary, to name them as reasons.
    names: Vec<String>,
    /// Each feature's inverse document frequency.
    idf: Vec<f32>,
    /// The separating weights, feature by feature, each feature's categories side by side (a
    /// text's score adds whole rows); the last row is the bias.
    weights: Vec<f32>,
    /// Each feature's mean weight over the categories, what a reason is measured from.
    mean_weights: Vec<f32>,
    /// Scores are multiplied by this before the softmax.
    temperature: f64,
}

impl Model {
    /// Trains on labelled examples; categories are those the examples name. The confidence's
    /// temperature is fitted on every fifth example of each category, held out of a first
    /// training; the model is then trained on all of them.
    pub fn train(examples: &[Example]) -> Self {
        let (fit, check) = split_fifth(examples.to_vec());
        let temperature =
            if check.is_empty() || fit.is_empty() { 1.0 } else { Self::fit(&fit, 1.0).best_temperature(&check) };
        Self::fit(examples, temperature)
    }

    fn fit(examples: &[Example], temperature: f64) -> Self {
        let mut categories: Vec<String> = examples.iter().map(|e| e.category.clone()).collect();
        categories.sort();
        categories.dedup();
        let index: HashMap<&str, usize> = categories.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut vocabulary: FxHashMap<String, u32> = FxHashMap::default();
        let mut documents: Vec<u32> = Vec::new();
        let mut counted: Vec<HashMap<u32, u32>> = Vec::with_capacity(examples.len());
        for example in examples {
            let mut counts = HashMap::new();
            each_feature(&example.text, |f| {
                let next = vocabulary.len() as u32;
                let i = *vocabulary.entry(f.to_string()).or_insert(next);
                *counts.entry(i).or_insert(0) += 1;
            });
            documents.resize(vocabulary.len(), 0);
            for &i in counts.keys() {
                documents[i as usize] += 1;
            }
            counted.push(counts);
        }
        let n = vocabulary.len();
        let total = examples.len() as f64;
        // Smoothed as scikit-learn's: a feature in every text still counts a little.
        let idf: Vec<f32> =
            documents.iter().map(|&d| (((1.0 + total) / (1.0 + f64::from(d))).ln() + 1.0) as f32).collect();
        let texts: Vec<Vec<(u32, f32)>> = counted
            .iter()
            .map(|counts| {
                let mut x = weigh(counts.iter().map(|(&i, &tf)| (i, tf)), &idf);
                x.push((n as u32, 1.0));
                x
            })
            .collect();
        let labels: Vec<usize> = examples.iter().map(|e| index[e.category.as_str()]).collect();
        let width = categories.len();
        let solved = solve_each(&texts, &labels, width, n + 1);
        let mut weights = vec![0.0f32; (n + 1) * width];
        for (k, w) in solved.iter().enumerate() {
            for (f, v) in w.iter().enumerate() {
                weights[f * width + k] = *v as f32;
            }
        }
        let mean_weights = row_means(&weights, width);
        let mut names = vec![String::new(); n];
        for (feature, &i) in &vocabulary {
            names[i as usize] = feature.clone();
        }
        Self { categories, vocabulary, names, idf, weights, mean_weights, temperature }
    }

    /// The temperature that makes the confidences on held-out examples most likely.
    fn best_temperature(&self, held_out: &[Example]) -> f64 {
        let scored: Vec<(Vec<f64>, Option<usize>)> = held_out
            .iter()
            .map(|e| (self.scores(&self.read(&e.text)), self.categories.iter().position(|c| *c == e.category)))
            .collect();
        let loss = |t: f64| -> f64 {
            scored
                .iter()
                .filter_map(|(s, k)| k.map(|k| (s, k)))
                .map(|(s, k)| {
                    let best = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let sum: f64 = s.iter().map(|v| ((v - best) * t).exp()).sum();
                    sum.ln() - (s[k] - best) * t
                })
                .sum()
        };
        TEMPERATURES.into_iter().min_by(|a, b| loss(*a).total_cmp(&loss(*b))).unwrap_or(1.0)
    }

    /// A text's known features with their TF-IDF weights, at unit length.
    fn read(&self, text: &str) -> Vec<(u32, f32)> {
        let mut known: Vec<u32> = Vec::new();
        each_feature(text, |f| known.extend(self.vocabulary.get(f)));
        known.sort_unstable();
        let mut counts: Vec<(u32, u32)> = Vec::with_capacity(known.len());
        for i in known {
            match counts.last_mut() {
                Some((j, n)) if *j == i => *n += 1,
                _ => counts.push((i, 1)),
            }
        }
        weigh(counts.into_iter(), &self.idf)
    }

    fn scores(&self, x: &[(u32, f32)]) -> Vec<f64> {
        let width = self.categories.len();
        let bias = self.idf.len() * width;
        let mut scores: Vec<f64> = self.weights[bias..bias + width].iter().map(|&b| f64::from(b)).collect();
        for &(f, v) in x {
            let row = &self.weights[f as usize * width..(f as usize + 1) * width];
            for (score, w) in scores.iter_mut().zip(row) {
                *score += f64::from(v * w);
            }
        }
        scores
    }

    /// The categories the model knows.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// The `top` most likely categories for a text, most likely first, each with up to three
    /// reasons. An empty text, or one with no known feature, is scored by the biases alone.
    pub fn propose(&self, text: &str, top: usize) -> Vec<Proposal> {
        let x = self.read(text);
        let scores = self.scores(&x);
        let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = scores.iter().map(|s| ((s - best) * self.temperature).exp()).collect();
        let sum: f64 = weights.iter().sum();
        let mut ranked: Vec<usize> = (0..self.categories.len()).collect();
        ranked.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
        ranked
            .into_iter()
            .take(top)
            .map(|k| Proposal {
                category: self.categories[k].clone(),
                confidence: weights[k] / sum,
                reasons: self.reasons(k, &x),
            })
            .collect()
    }

    /// The text's features that favour category `k` most over the average category.
    fn reasons(&self, k: usize, x: &[(u32, f32)]) -> Vec<String> {
        let width = self.categories.len();
        let mut lifts: Vec<(&str, f32, usize)> = x
            .iter()
            .map(|&(f, v)| {
                let w = self.weights[f as usize * width + k];
                let name = self.names[f as usize].as_str();
                (name, v * (w - self.mean_weights[f as usize]), name.chars().count())
            })
            .filter(|(_, lift, _)| *lift > 0.0)
            .collect();
        // On equal weight the longer feature first: a pair says more than its characters.
        lifts.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)));
        let mut reasons: Vec<String> = Vec::new();
        let overlaps = |a: &str, b: &str| a.chars().any(|c| b.contains(c));
        for (feature, _, length) in &lifts {
            if reasons.iter().any(|r| overlaps(r, feature)) {
                continue;
            }
            // A character is shown in the pair it came in, where that pair also counts for the
            // category: 路灯 rather than 灯.
            let shown = lifts
                .iter()
                .find(|(pair, _, longer)| longer > length && pair.contains(feature))
                .map_or(*feature, |(pair, _, _)| *pair);
            if reasons.iter().any(|r| overlaps(r, shown)) {
                continue;
            }
            reasons.push(shown.to_string());
            if reasons.len() == 3 {
                break;
            }
        }
        reasons
    }
}

/// Each feature's mean weight over the categories.
fn row_means(weights: &[f32], width: usize) -> Vec<f32> {
    weights.chunks(width.max(1)).map(|row| row.iter().sum::<f32>() / width.max(1) as f32).collect()
}

/// Term frequencies to sublinear TF-IDF weights at unit length.
fn weigh(counts: impl Iterator<Item = (u32, u32)>, idf: &[f32]) -> Vec<(u32, f32)> {
    let mut x: Vec<(u32, f32)> = counts.map(|(i, tf)| (i, (1.0 + (tf as f32).ln()) * idf[i as usize])).collect();
    let norm = x.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in &mut x {
            *v /= norm;
        }
    }
    x.sort_unstable_by_key(|(i, _)| *i);
    x
}

/// One machine per category, spread over the machine's cores.
fn solve_each(texts: &[Vec<(u32, f32)>], labels: &[usize], width: usize, dimensions: usize) -> Vec<Vec<f64>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(width.max(1));
    let mut solved: Vec<Vec<f64>> = vec![Vec::new(); width];
    std::thread::scope(|scope| {
        let chunks: Vec<_> = solved
            .chunks_mut(width.div_ceil(threads).max(1))
            .enumerate()
            .map(|(c, chunk)| {
                let first = c * width.div_ceil(threads).max(1);
                scope.spawn(move || {
                    for (j, slot) in chunk.iter_mut().enumerate() {
                        let positive: Vec<bool> = labels.iter().map(|&l| l == first + j).collect();
                        *slot = linear::one_against_rest(texts, &positive, dimensions, C);
                    }
                })
            })
            .collect();
        for chunk in chunks {
            if let Err(panic) = chunk.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    solved
}

/// The examples split for an honest evaluation: every fifth of each category held out, the
/// rest to train on. Returns (train, held out).
pub fn split_fifth(examples: Vec<Example>) -> (Vec<Example>, Vec<Example>) {
    let mut seen = HashMap::<String, usize>::new();
    examples.into_iter().partition(|e| {
        let n = seen.entry(e.category.clone()).or_default();
        *n += 1;
        !n.is_multiple_of(5)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(category: &str, text: &str) -> Example {
        Example { category: category.into(), text: text.into() }
    }

    #[test]
    fn the_words_that_decide_are_given_as_reasons() {
        let examples = [
            example("0301", "路灯不亮"),
            example("0301", "小区路灯坏了"),
            example("0301", "路灯一闪一闪"),
            example("0501", "电梯坏了"),
            example("0501", "电梯停运"),
            example("0501", "电梯困人"),
        ];
        let model = Model::train(&examples);
        let proposals = model.propose("门口的路灯坏了好几天", 2);
        assert_eq!(proposals[0].category, "0301");
        assert!(proposals[0].confidence > 0.5 && proposals[0].confidence <= 1.0);
        assert!(proposals[0].reasons.iter().any(|r| r.contains("路灯")), "{:?}", proposals[0].reasons);
        let sum: f64 = model.propose("电梯", 2).iter().map(|p| p.confidence).sum();
        assert!((sum - 1.0).abs() < 1e-9, "two categories, all the probability");
        assert_eq!(model.propose("电梯又停了", 1)[0].category, "0501");
    }

    #[test]
    fn a_request_is_read_as_its_features_are() {
        let model = Model::train(&builtin_corpus());
        for text in ["5号楼，ＡＢＣ电梯坏了！", "胡同口的路灯坏了好几天了", "wifi信号差 2024年"]
        {
            let mut known: Vec<&str> =
                model.read(text).iter().map(|&(i, _)| model.names[i as usize].as_str()).collect();
            let mut expected: Vec<String> =
                features(text).into_iter().filter(|f| model.vocabulary.contains_key(f)).collect();
            known.sort_unstable();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(known, expected, "{text}");
        }
    }

    #[test]
    fn a_text_is_weighed_at_unit_length() {
        let model = Model::train(&builtin_corpus());
        let x = model.read("路灯坏了路灯坏了");
        let norm: f32 = x.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        assert!(model.read("").is_empty());
    }
}
