//! `grassroots model`: the classifier that sorts reports by their words (智能分类), retrained
//! from the cases people labelled, and the versions kept.

use chrono::Utc;
use clap::Subcommand;
use grassroots_app::classify;
use grassroots_app::Platform;
use grassroots_domain::classify::Evaluation;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Retrain on the corpus and every case whose category a person confirmed (closed) or
    /// corrected (reclassified); evaluate it and the model in service on the cases held out and
    /// the independent requests; keep it as the next version and put it into service unless it
    /// does worse. Running servers take it up within a minute.
    Train,
    /// The versions kept, newest first, with their figures.
    List,
}

pub async fn run(platform: &Platform, command: ModelCommand) -> anyhow::Result<()> {
    match command {
        ModelCommand::Train => {
            let trained = classify::train(platform, Utc::now()).await.map_err(crate::refused)?;
            println!(
                "version {}: learned from {} labelled cases besides the corpus; evaluated on {} held-out requests ({} held-out cases and the independent requests)",
                trained.version, trained.examples, trained.evaluation.examples, trained.held_out
            );
            print_evaluation(&trained.evaluation, platform);
            println!(
                "the model in service before: top-level {:.3}, sub-category {:.3}, top-3 {:.3}",
                trained.compared.top_level_accuracy, trained.compared.accuracy, trained.compared.top3
            );
            if trained.in_service {
                println!("version {} is in service", trained.version);
            } else {
                println!(
                    "version {} does worse than the model in service: kept, not put into service",
                    trained.version
                );
            }
        }
        ModelCommand::List => {
            let in_service = platform.classifier_version();
            if in_service.is_none() {
                println!("in service: the model trained on the project's corpus");
            }
            for m in platform.store.models().await? {
                let e: Option<Evaluation> = serde_json::from_str(&m.evaluation).ok();
                println!(
                    "version {}{}: trained {}, {} labelled cases, {} held out, sub-category accuracy {}, {}",
                    m.version,
                    if m.in_service { " (in service)" } else { "" },
                    m.trained_at.format("%Y-%m-%d %H:%M UTC"),
                    m.examples,
                    m.held_out,
                    e.map_or_else(|| "?".to_string(), |e| format!("{:.3}", e.accuracy)),
                    match m.size_bytes {
                        0 => "weights dropped (figures kept)".to_string(),
                        size => format!("{} KB", size / 1024),
                    }
                );
            }
        }
    }
    Ok(())
}

fn print_evaluation(e: &Evaluation, platform: &Platform) {
    let reference = platform.reference();
    let name = |code: &str| reference.taxonomy.get(code).map_or(code.to_string(), |c| c.name_zh.clone());
    println!(
        "accuracy: top-level {:.3} (top-3 {:.3}), sub-category {:.3} (top-3 {:.3})",
        e.top_level_accuracy, e.top_level_top3, e.accuracy, e.top3
    );
    println!("per category (held-out examples, precision, recall):");
    for c in &e.categories {
        println!("  {} {:<10} {:>4}  {:.2}  {:.2}", c.category, name(&c.category), c.examples, c.precision, c.recall);
    }
    if !e.confusions.is_empty() {
        println!("most frequent confusions (actual → proposed):");
        for c in &e.confusions {
            println!("  {} {} → {} {}: {}", c.actual, name(&c.actual), c.proposed, name(&c.proposed), c.count);
        }
    }
}
