//! The duplicate rules (`duplicates::judge`) on labelled pairs of reports: the development set
//! they were tuned on (`data/duplicate-pairs-dev.csv`) and a set written apart from it
//! (`data/duplicate-pairs-independent.csv`), both full of near misses: the same words at another
//! building, the same place with another problem, the same problem months later. Run with
//! `--nocapture` for the figures and the pairs it gets wrong.

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::duplicates::{facets, judge, signals, Read, Report, Verdict, SIGNALS, WEIGHTS};

struct Pair {
    id: String,
    same: bool,
    kind: String,
    texts: [String; 2],
    categories: [String; 2],
    addresses: [String; 2],
    distance_m: Option<f64>,
    same_community: bool,
    hours_apart: f64,
    same_caller: bool,
}

fn read(csv_text: &str) -> Vec<Pair> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("a pair parses");
            Pair {
                id: r[0].to_string(),
                same: &r[1] == "1",
                kind: r[2].to_string(),
                texts: [r[3].to_string(), r[6].to_string()],
                categories: [r[4].to_string(), r[7].to_string()],
                addresses: [r[5].to_string(), r[8].to_string()],
                distance_m: r[9].parse().ok(),
                same_community: &r[10] == "1",
                hours_apart: r[11].parse().expect("hours apart"),
                same_caller: &r[12] == "1",
            }
        })
        .collect()
}

/// About 111 km per degree of latitude: B is put due north of A.
const METRES_PER_DEGREE: f64 = 111_195.0;

fn reports(p: &Pair) -> [Read<'_>; 2] {
    let start = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
    let here = (39.9149, 116.4109);
    let report = |i: usize| Report {
        text: &p.texts[i],
        category: &p.categories[i],
        point: match (i, p.distance_m) {
            (0, Some(_)) => Some(here),
            (_, Some(d)) => Some((here.0 + d / METRES_PER_DEGREE, here.1)),
            (_, None) => None,
        },
        // Without a point, a community not said to be the same is not known.
        community: match (i, p.same_community, p.distance_m) {
            (0, _, _) | (_, true, _) => Some("110101001001"),
            (_, false, Some(_)) => Some("110101001002"),
            (_, false, None) => None,
        },
        address: Some(&p.addresses[i]).filter(|a| !a.is_empty()).map(String::as_str),
        received_at: start + Duration::minutes(if i == 0 { 0 } else { (p.hours_apart * 60.0) as i64 }),
        caller: if i == 0 || p.same_caller { Some("caller-a") } else { Some("caller-b") },
    };
    [Read::of(report(1)), Read::of(report(0))]
}

fn verdict(p: &Pair) -> Verdict {
    let [a, b] = reports(p);
    judge(&a, &b)
}

/// (precision, recall, F1) of the rules on the pairs, printing the ones they get wrong.
fn figures(name: &str, pairs: &[Pair]) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for p in pairs {
        let v = verdict(p);
        let why = || v.reasons.iter().map(|r| r.zh.as_str()).collect::<Vec<_>>().join("，");
        match (v.same_matter, p.same) {
            (true, true) => tp += 1.0,
            (true, false) => {
                fp += 1.0;
                println!(
                    "  wrongly the same ({}, {}, {:.1}: {}): {} | {}",
                    p.id,
                    p.kind,
                    v.score,
                    why(),
                    p.texts[0],
                    p.texts[1]
                );
            }
            (false, true) => {
                fn_ += 1.0;
                println!("  missed ({}, {}, {:.1}: {}): {} | {}", p.id, p.kind, v.score, why(), p.texts[0], p.texts[1]);
            }
            (false, false) => {}
        }
    }
    let precision = tp / (tp + fp);
    let recall = tp / (tp + fn_);
    let f1 = 2.0 * precision * recall / (precision + recall);
    println!("{name}: {} pairs, precision {precision:.3}, recall {recall:.3}, F1 {f1:.3}", pairs.len());
    (precision, recall, f1)
}

#[test]
fn pairs_of_the_development_set_are_told_apart() {
    let (_, _, f1) = figures("development", &read(include_str!("../../../data/duplicate-pairs-dev.csv")));
    assert!(f1 >= 0.9, "F1 {f1}");
}

#[test]
fn pairs_written_apart_are_told_apart() {
    let (_, _, f1) = figures("independent", &read(include_str!("../../../data/duplicate-pairs-independent.csv")));
    assert!(f1 >= 0.9, "F1 {f1}");
}

/// Fits the weights of the signals on the development pairs by logistic regression (gradient
/// descent, a little L2 to keep them small) and prints them, for `duplicates::WEIGHTS`.
#[test]
#[ignore = "fits the weights; run by hand after changing the signals or the pairs"]
fn fit() {
    let pairs = read(include_str!("../../../data/duplicate-pairs-dev.csv"));
    let rows: Vec<([f64; SIGNALS], f64)> = pairs
        .iter()
        .map(|p| {
            let [a, b] = reports(p);
            let mut x = [0.0; SIGNALS];
            for g in signals(&facets(&a, &b)) {
                x[g.index] += g.value;
            }
            (x, if p.same { 1.0 } else { 0.0 })
        })
        .collect();
    let mut w = WEIGHTS;
    let (rate, l2) = (0.05, 0.002);
    for _ in 0..20_000 {
        let mut gradient = [0.0; SIGNALS];
        for (x, y) in &rows {
            let z: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
            let error = 1.0 / (1.0 + (-z).exp()) - y;
            for k in 0..SIGNALS {
                gradient[k] += error * x[k] / rows.len() as f64;
            }
        }
        for k in 0..SIGNALS {
            w[k] -= rate * (gradient[k] + l2 * w[k]);
        }
    }
    let shown: Vec<String> = w.iter().map(|v| format!("{v:.2}")).collect();
    println!("[{}]", shown.join(", "));
}
