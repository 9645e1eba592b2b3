//! The classifier on the project's data: training time, accuracy on the corpus's held-out
//! fifth and on the independent requests (trained on the whole corpus), and time per request,
//! one at a time as a server answers them. With CLASSIFY_BASELINE_PYTHON naming a Python that
//! has scikit-learn, the same run trains and times a TF-IDF + linear SVM baseline on the same
//! data, in its own process (benches/classify_baseline.py).
//!
//! `cargo bench -p grassroots-domain --bench classify`

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use grassroots_domain::classify::{builtin_corpus, evaluate, independent_requests, split_fifth, Evaluation, Model};

/// Rounds over the held-out requests when timing.
const ROUNDS: usize = 200;

fn figures(e: &Evaluation) -> String {
    format!(
        "top-level {:.3} (top-3 {:.3}), sub-category {:.3} (top-3 {:.3})",
        e.top_level_accuracy, e.top_level_top3, e.accuracy, e.top3
    )
}

fn main() {
    let corpus = builtin_corpus();
    let independent = independent_requests();
    let (train, held_out) = split_fifth(corpus.clone());
    let mut trainings = Vec::new();
    let mut model = Model::train(&train);
    for _ in 0..3 {
        let started = Instant::now();
        model = black_box(Model::train(&train));
        trainings.push(started.elapsed().as_secs_f64() * 1e3);
    }
    trainings.sort_by(f64::total_cmp);
    let fifth = evaluate(&model, &held_out);
    let started = Instant::now();
    for _ in 0..ROUNDS {
        for example in &held_out {
            black_box(model.propose(black_box(&example.text), 3));
        }
    }
    let per_request_us = started.elapsed().as_secs_f64() * 1e6 / (ROUNDS * held_out.len()) as f64;
    let whole = Model::train(&corpus);
    let apart = evaluate(&whole, &independent);
    println!(
        "{} training and {} held-out requests; {} independent requests",
        train.len(),
        held_out.len(),
        independent.len()
    );
    println!("ours (linear SVM over TF-IDF of characters and pairs, calibrated):");
    println!("  held-out fifth: {}", figures(&fifth));
    println!("  independent:    {}", figures(&apart));
    println!("  training {:.0} ms (median of 3); {per_request_us:.1} µs per request", trainings[1]);
    let Ok(python) = std::env::var("CLASSIFY_BASELINE_PYTHON") else {
        println!("(set CLASSIFY_BASELINE_PYTHON to a Python with scikit-learn to compare with TF-IDF + linear SVM)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/classify_baseline.py");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");
    let out = Command::new(python)
        .args([script, &format!("{data}/requests-corpus.csv"), &format!("{data}/requests-independent.csv")])
        .output()
        .expect("the baseline runs");
    let baseline = String::from_utf8_lossy(&out.stdout);
    print!("{baseline}");
    let theirs: Option<f64> =
        baseline.split("µs per request").next().and_then(|head| head.rsplit(' ').nth(1)).and_then(|v| v.parse().ok());
    if let Some(theirs) = theirs {
        println!("ours is {:.0}× faster per request", theirs / per_request_us);
    }
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
}
