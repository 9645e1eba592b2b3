//! The classifier on the project's own data: trained on four fifths of each category of the
//! corpus (`data/requests-corpus.csv`) and evaluated on the fifth it never saw, and trained on
//! the whole corpus and evaluated on requests written apart from it
//! (`data/requests-independent.csv`). Run with `--nocapture` to read the figures; the same
//! figures, and the baseline's, come from `cargo bench -p grassroots-domain --bench classify`.

use grassroots_domain::classify::{builtin_corpus as corpus, evaluate, independent_requests, split_fifth, Model};

#[test]
fn the_corpus_covers_every_sub_category_of_the_taxonomy() {
    let corpus = corpus();
    let independent = independent_requests();
    for category in grassroots_domain::Taxonomy::builtin().iter().filter(|c| c.parent.is_some()) {
        let code = category.code.as_str();
        let n = corpus.iter().filter(|e| e.category == code).count();
        assert!(n >= 60, "{code} has {n} requests");
        let m = independent.iter().filter(|e| e.category == code).count();
        assert!(m >= 10, "{code} has {m} independent requests");
    }
    let texts: std::collections::HashSet<&str> = corpus.iter().map(|e| e.text.as_str()).collect();
    assert!(independent.iter().all(|e| !texts.contains(e.text.as_str())), "no independent request is in the corpus");
}

#[test]
fn requests_it_never_saw_are_classified_mostly_right() {
    let (train, held_out) = split_fifth(corpus());
    let model = Model::train(&train);
    let e = evaluate(&model, &held_out);
    println!(
        "{} held-out requests: top-level {:.3}, sub-category {:.3}, top-3 {:.3}",
        e.examples, e.top_level_accuracy, e.accuracy, e.top3
    );
    assert!(e.top_level_accuracy >= 0.85, "{e:?}");
    assert!(e.top3 >= 0.93, "{e:?}");
}

#[test]
fn requests_written_apart_from_the_corpus_are_classified_mostly_right() {
    let model = Model::train(&corpus());
    let e = evaluate(&model, &independent_requests());
    println!(
        "{} independent requests: top-level {:.3} (top-3 {:.3}), sub-category {:.3}, top-3 {:.3}",
        e.examples, e.top_level_accuracy, e.top_level_top3, e.accuracy, e.top3
    );
    assert!(e.top_level_accuracy >= 0.85, "{e:?}");
    assert!(e.top_level_top3 >= 0.95, "{e:?}");
}

#[test]
fn a_proposal_gives_the_words_that_decided_it() {
    let model = Model::train(&corpus());
    let proposals = model.propose("胡同口的路灯坏了好几天了，晚上黑乎乎的", 3);
    assert_eq!(proposals[0].category, "0301");
    let first = proposals[0].reasons.first().map(String::as_str).unwrap_or_default();
    assert!(first.contains("路灯"), "{:?}", proposals[0].reasons);
    let reasons = &proposals[0].reasons;
    for (i, a) in reasons.iter().enumerate() {
        for b in &reasons[i + 1..] {
            assert!(!a.chars().any(|c| b.contains(c)), "no character in two reasons: {reasons:?}");
        }
    }
}

#[test]
fn confidence_means_what_it_says() {
    // Calibration on the held-out fifth: among proposals made with confidence of at least 0.8,
    // at least that share are right.
    let (train, held_out) = split_fifth(corpus());
    let model = Model::train(&train);
    let confident: Vec<bool> = held_out
        .iter()
        .filter_map(|e| {
            let p = model.propose(&e.text, 1).into_iter().next()?;
            (p.confidence >= 0.8).then_some(p.category == e.category)
        })
        .collect();
    let right = confident.iter().filter(|r| **r).count() as f64 / confident.len().max(1) as f64;
    println!("{} proposals at 0.8 or more, {right:.3} right", confident.len());
    assert!(!confident.is_empty() && right >= 0.8, "{} confident, {right} right", confident.len());
}
