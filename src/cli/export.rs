//! `onemed export [--since YYYY-MM-DD] [--data DIR] <DIR>`: writes the
//! register's records (CSV, JSON, images) into DIR as one file encrypted to
//! the settings' `export_recipients` (or, with `plain_export = true` and no
//! recipient, a plain folder), marks them exported, and prints what was
//! written. Exit 2 when nothing was exported.

use super::Fatal;
use crate::export::{export, local_day_start, Sealing};
use crate::settings::Settings;
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the records made on or after this local day (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    since: Option<String>,
    /// The data folder holding the register (default: the settings' data_dir).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Where to write the export folder (a USB stick's folder).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// The `--since` day as the UTC instant the local day starts.
fn parse_since(text: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Fatal(format!("--since {text:?}: expected a date like 2026-05-01")))?;
    Ok(local_day_start(day).ok_or_else(|| Fatal(format!("--since {text}: no such local day")))?)
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let data = super::data_dir(settings, args.data.as_deref())?;
    if !data.join(crate::records::DB_FILE).is_file() {
        return Err(Fatal(format!("no register at {}", data.display())).into());
    }
    let sealing = Sealing::from_settings(settings).map_err(|e| Fatal(e.to_string()))?;
    let mut store = super::open_store(settings, &data)?;
    let summary =
        export(&mut store, &args.dir, since, &sealing).map_err(|e| Fatal(e.to_string()))?;
    println!("{summary}");
    Ok(())
}
