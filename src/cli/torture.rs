//! `onemed records-torture` (hidden): the durability test's worker. It opens
//! the register, starts a visit and saves records in a loop, printing
//! `SAVED <id> <sha256>` (flushed) after each save returns, the moment the
//! kiosk would show the result. The test kills it at random points and checks
//! that every printed record is intact.

use super::Fatal;
use crate::analysis::Analysis;
use crate::records::{ImageData, NewRecord, NewVisit, Shown};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data folder holding the register.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// An analysis as `onemed analyze --json` prints it.
    #[arg(long, value_name = "FILE")]
    analysis: PathBuf,
    /// The image to save with each record.
    #[arg(long, value_name = "FILE")]
    image: PathBuf,
    /// How many records to save (default: until killed).
    #[arg(long)]
    count: Option<u64>,
}

pub fn run(settings: &crate::settings::Settings, args: &Args) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.analysis)
        .map_err(|e| Fatal(format!("{}: {e}", args.analysis.display())))?;
    let analysis: Analysis = serde_json::from_str(&text)
        .map_err(|e| Fatal(format!("{}: not an analysis: {e}", args.analysis.display())))?;
    let bytes =
        std::fs::read(&args.image).map_err(|e| Fatal(format!("{}: {e}", args.image.display())))?;
    let ext = args
        .image
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bin".into());
    let mut store = super::open_store(settings, &args.data)?;
    let visit = store
        .start_visit(&NewVisit {
            kiosk_id: "torture".into(),
            operator: "test".into(),
            patient_id: format!("TORTURE-{}", std::process::id()),
            age: None,
            sex: None,
        })
        .map_err(|e| Fatal(e.to_string()))?;
    let record = NewRecord {
        visit,
        eye: None,
        source: format!(
            "import:{}",
            args.image.file_name().unwrap_or_default().to_string_lossy()
        ),
        image: ImageData::Encoded { bytes, ext },
        shown: Shown {
            kind: "retake".into(),
            headline: analysis.headline.clone(),
            advice: analysis.advice.clone(),
        },
        analysis,
    };
    let stdout = std::io::stdout();
    let mut n = 0u64;
    while args.count.map_or(true, |c| n < c) {
        let saved = store.save(&record).map_err(|e| Fatal(e.to_string()))?;
        let mut out = stdout.lock();
        writeln!(out, "SAVED {} {}", saved.id, saved.image_sha256)?;
        out.flush()?;
        n += 1;
    }
    Ok(())
}
