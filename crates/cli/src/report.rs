//! `grassroots report`: a bulletin (通报) of a district, street or unit for a whole week or
//! month, made from the store by the same function the schedule and the pages call, kept, and
//! written as PDF, workbook or JSON.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use grassroots_app::{bulletins, Platform};

#[derive(Args)]
pub struct ReportArgs {
    /// `district`, `street` or `unit`.
    #[arg(long)]
    subject: String,
    /// The district's or street's code, or the unit's id.
    #[arg(long)]
    code: String,
    /// `week` or `month`.
    #[arg(long, default_value = "month")]
    period: String,
    /// A month (YYYY-MM) or any day of a week; the last whole one when absent.
    #[arg(long)]
    of: Option<String>,
    /// `pdf`, `xlsx` or `json`.
    #[arg(long, default_value = "pdf")]
    format: String,
    /// Where to write it; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub async fn run(platform: &Platform, args: ReportArgs) -> anyhow::Result<()> {
    let subject = bulletins::subject(platform, &args.subject, &args.code)?;
    let (period, span) = bulletins::period_and_span(&args.period, args.of.as_deref())?;
    let kept = bulletins::generate(platform, subject, period, span, "command line").await?;
    let bytes = match args.format.as_str() {
        "pdf" => bulletins::pdf(&kept.bulletin),
        "xlsx" => bulletins::xlsx(&kept.bulletin).context("writing the workbook")?,
        "json" => serde_json::to_vec_pretty(&kept.bulletin)?,
        other => anyhow::bail!("--format: '{other}' is not one of pdf, xlsx, json"),
    };
    match args.out {
        Some(path) => {
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("{} ({} bytes) → {}", kept.bulletin.title(), bytes.len(), path.display());
        }
        None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
    }
    Ok(())
}
