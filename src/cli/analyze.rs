//! `onemed analyze --tool <tool> [--json] <image>...`: one gated result per
//! image, as a plain line or a JSON object per line. Bad files get a one-line
//! error on stderr and the others are still analysed.

use super::{Fatal, PartialFailure};
use crate::analysis::{Analysis, Analyzer, Outcome};
use crate::decode;
use crate::settings::Settings;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Tool ID: cataract, diabetic-retinopathy, redness, skin-lesion, covid-ct.
    #[arg(long)]
    tool: String,
    /// One JSON object per line instead of plain text.
    #[arg(long)]
    json: bool,
    /// Image files (JPEG, PNG, BMP, TIFF, WebP, GIF).
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    file: String,
    #[serde(flatten)]
    analysis: &'a Analysis,
}

/// The plain-text line for one result.
pub fn plain_line(file: &str, a: &Analysis) -> String {
    match a.outcome {
        Outcome::Finding => format!(
            "{file}: {} — {} (p={:.3}{})",
            a.headline,
            a.advice,
            a.confidence.unwrap_or_default(),
            if a.refer { ", REFER" } else { "" }
        ),
        Outcome::Inconclusive | Outcome::Rejected => format!(
            "{file}: {} — {}",
            a.outcome_word(),
            a.reason.as_deref().unwrap_or("")
        ),
    }
}

/// Sets up an analyser for one tool, or fails with a message that says why.
pub fn analyzer_for(settings: &Settings, tool: &str) -> anyhow::Result<Analyzer> {
    let analyzer = Analyzer::new(settings, &[tool]).map_err(|e| Fatal(e.to_string()))?;
    if let Some(reason) = analyzer.unavailable().get(tool) {
        return Err(Fatal(format!("{tool} is unavailable: {reason}")).into());
    }
    Ok(analyzer)
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    let mut analyzer = analyzer_for(settings, &args.tool)?;
    let mut failed = 0;
    let stdout = std::io::stdout();
    for path in &args.images {
        let file = path.display().to_string();
        let result = decode::read_file(path)
            .map_err(crate::preprocess::PrepareError::from)
            .map_err(crate::analysis::AnalyzeError::from)
            .and_then(|bytes| analyzer.analyze_bytes(&args.tool, &bytes));
        match result {
            Ok(a) => {
                let line = if args.json {
                    serde_json::to_string(&JsonLine {
                        file: file.clone(),
                        analysis: &a,
                    })?
                } else {
                    plain_line(&file, &a)
                };
                log::info!(
                    "{file}: {:?} {:?} in {:.1} ms",
                    a.outcome,
                    a.class,
                    a.timings_ms.total
                );
                writeln!(stdout.lock(), "{line}")?;
            }
            Err(e) => {
                failed += 1;
                log::info!("{file}: {e}");
                eprintln!("onemed: {file}: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(PartialFailure(failed, args.images.len()).into());
    }
    Ok(())
}
