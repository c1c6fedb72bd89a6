//! `onemed eval --tool <tool> <dir>`: runs a tool over a labelled folder (the
//! sub-folder names are the true classes) and reports, per class, how many
//! images were found correctly, inconclusive, rejected or wrong, with the
//! sensitivity and specificity of the referral decision.

use super::analyze::analyzer_for;
use crate::analysis::Outcome;
use crate::decode;
use crate::settings::Settings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    tool: String,
    /// A folder of `<true-class>/<image>` files.
    dir: PathBuf,
}

/// Outcome counts for one true class.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub n: usize,
    pub correct: usize,
    pub inconclusive: usize,
    pub rejected: usize,
    pub wrong: usize,
    pub errors: usize,
}

fn images_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                matches!(
                    x.to_ascii_lowercase().as_str(),
                    "jpg" | "jpeg" | "png" | "bmp" | "tif" | "tiff" | "webp" | "gif"
                )
            }) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "n/a".into()
    } else {
        format!("{:.0}% ({a}/{b})", 100.0 * a as f64 / b as f64)
    }
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    let mut analyzer = analyzer_for(settings, &args.tool)?;
    let tool = analyzer.catalog().tool(&args.tool)?.clone();
    let files = images_under(&args.dir);
    if files.is_empty() {
        return Err(super::Fatal(format!("no images under {}", args.dir.display())).into());
    }
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for f in &files {
        let truth = f
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let t = tallies.entry(truth.clone()).or_default();
        t.n += 1;
        let result = decode::read_file(f)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                analyzer
                    .analyze_bytes(&tool.id, &b)
                    .map_err(|e| e.to_string())
            });
        match result {
            Err(e) => {
                t.errors += 1;
                eprintln!("onemed: {}: {e}", f.display());
            }
            Ok(a) => match a.outcome {
                Outcome::Inconclusive => t.inconclusive += 1,
                Outcome::Rejected => t.rejected += 1,
                Outcome::Finding if a.class.as_deref() == Some(truth.as_str()) => t.correct += 1,
                Outcome::Finding => t.wrong += 1,
            },
        }
    }
    println!(
        "tool {} on {} ({} images)",
        tool.id,
        args.dir.display(),
        files.len()
    );
    println!(
        "{:<26} {:>4} {:>8} {:>13} {:>9} {:>6} {:>7}",
        "true class", "n", "correct", "inconclusive", "rejected", "wrong", "errors"
    );
    for (class, t) in &tallies {
        let known = tool.classes.iter().any(|c| &c.id == class);
        println!(
            "{:<26} {:>4} {:>8} {:>13} {:>9} {:>6} {:>7}{}",
            class,
            t.n,
            t.correct,
            t.inconclusive,
            t.rejected,
            t.wrong,
            t.errors,
            if known {
                ""
            } else {
                "  (not a class of this tool)"
            }
        );
    }
    let sum = |refer: bool| {
        tool.classes
            .iter()
            .filter(|c| c.refer == refer)
            .filter_map(|c| tallies.get(&c.id))
            .fold(Tally::default(), |a, t| Tally {
                n: a.n + t.n,
                correct: a.correct + t.correct,
                inconclusive: a.inconclusive + t.inconclusive,
                rejected: a.rejected + t.rejected,
                wrong: a.wrong + t.wrong,
                errors: a.errors + t.errors,
            })
    };
    let (pos, neg) = (sum(true), sum(false));
    println!();
    println!(
        "sensitivity (refer classes): {} of all, {} of decided",
        pct(pos.correct, pos.n),
        pct(pos.correct, pos.correct + pos.wrong)
    );
    println!(
        "specificity (other classes): {} of all, {} of decided",
        pct(neg.correct, neg.n),
        pct(neg.correct, neg.correct + neg.wrong)
    );
    println!("(\"of all\" counts inconclusive and rejected images as missed; \"of decided\" only findings)");
    Ok(())
}
