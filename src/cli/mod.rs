//! The `onemed` command line: argument parsing, logging set-up, and the map
//! from `anyhow` errors to exit codes. Each subcommand lives in its own file.
//!
//! Exit codes: 0 every image analysed (whatever the outcome); 1 some files
//! could not be analysed (the others were); 2 the command could not run at
//! all (bad arguments, no runtime, unknown or unavailable tool).

mod admin;
mod analyze;
mod bench;
mod bench_stills;
mod eval;
mod export;
mod models;
mod register;
mod screen;

use crate::settings::Settings;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "onemed",
    version,
    about = "OneMed Kiosk: offline assistive medical screening"
)]
pub struct Cli {
    /// Settings file (default: $ONEMED_CONFIG, else /etc/onemed/kiosk.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Folder holding the models (overrides the settings and $ONEMED_MODELS).
    #[arg(long, global = true, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Inference device: CPU, GPU or AUTO (overrides the settings).
    #[arg(long, global = true)]
    device: Option<crate::engine::Device>,
    /// The OpenVINO C library or its folder (overrides the settings).
    #[arg(long, global = true, value_name = "PATH")]
    runtime: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse images with one tool and print a gated result per image.
    Analyze(analyze::Args),
    /// Evaluate a tool on a folder whose sub-folder names are the true classes.
    Eval(eval::Args),
    /// Measure each stage's speed, side by side with the original Python pipeline.
    Bench(bench::Args),
    /// List the tools, their model files, hashes and the devices OpenVINO sees;
    /// or, with --pin, print the manifest lines pinning a new model's files.
    Models(models::Args),
    /// Run the touchscreen kiosk.
    Kiosk(KioskArgs),
    /// Export the register (CSV, JSON, images) into a new folder in DIR.
    Export(export::Args),
    /// Screen a patient without the touchscreen: record pictures in the
    /// patient's open visit, or finish it with its referral decision.
    Screen(screen::Args),
    /// Look after the register itself: `register encrypt` encrypts a plain one.
    Register(register::Args),
    /// Admin from the console: `onemed admin reset-pin --data DIR` sets a
    /// new admin PIN (root only) when it is lost or admin.toml is damaged.
    Admin(admin::Args),
}

#[derive(Debug, clap::Args)]
struct KioskArgs {
    /// Camera: auto, none, replay:<dir>[?fps=N], v4l:<index> (overrides the settings).
    #[arg(long)]
    camera: Option<String>,
    /// Camera to use when `auto` finds none (e.g. replay:<dir> for demos).
    #[arg(long)]
    fallback_camera: Option<String>,
    /// Fill the screen (on the kiosk itself).
    #[arg(long)]
    fullscreen: bool,
}

/// A failure that means the command could not run at all (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

/// Some inputs failed, the rest were done (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0} of {1} files could not be analysed")]
pub struct PartialFailure(pub usize, pub usize);

impl Cli {
    /// Settings from the file, with command-line overrides applied.
    fn settings(&self) -> Settings {
        let mut s = crate::admin::overrides::load_settings(self.config.as_deref());
        for w in &s.warnings {
            eprintln!("onemed: warning: {w}");
        }
        if let Some(m) = &self.models {
            s.models_dir = Some(m.clone());
        }
        if let Some(d) = self.device {
            s.device = d;
        }
        if let Some(r) = &self.runtime {
            s.openvino_runtime = Some(r.clone());
        }
        s
    }
}

/// The register's folder: `--data`, else the settings' — unless the settings
/// could not say it for sure (then nothing is opened in its place).
fn data_dir(settings: &Settings, named: Option<&std::path::Path>) -> anyhow::Result<PathBuf> {
    match (named, &settings.fault) {
        (Some(d), _) => Ok(d.to_path_buf()),
        (None, Some(fault)) => Err(Fatal(format!(
            "{fault}; mend it, or name the register with --data"
        ))
        .into()),
        (None, None) => Ok(settings.data_dir.clone()),
    }
}

/// Opens the register in `data` with the key from `$CREDENTIALS_DIRECTORY`
/// (plain only when the settings allow an unencrypted register).
fn open_store(
    settings: &Settings,
    data: &std::path::Path,
) -> anyhow::Result<crate::records::Store> {
    let protection =
        crate::records::Protection::from_settings(settings).map_err(|e| Fatal(e.to_string()))?;
    Ok(crate::records::Store::open(data, &protection).map_err(|e| Fatal(e.to_string()))?)
}

/// Runs the command line; returns `Err` for the caller to report.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings();
    match &cli.command {
        Command::Analyze(a) => analyze::run(&settings, a),
        Command::Eval(a) => eval::run(&settings, a),
        Command::Bench(a) => bench::run(&settings, a),
        Command::Models(a) => models::run(&settings, a),
        Command::Export(a) => export::run(&settings, a),
        Command::Screen(a) => screen::run(&settings, a),
        Command::Register(a) => register::run(&settings, a),
        Command::Admin(a) => admin::run(&settings, a),
        Command::Kiosk(k) => {
            let mut settings = settings;
            if let Some(c) = &k.camera {
                settings.camera = c.clone();
            }
            let no_camera = crate::camera::list_cameras().is_empty();
            if let (Some(f), true, true) =
                (&k.fallback_camera, settings.camera == "auto", no_camera)
            {
                log::info!("no camera attached: using {f}");
                settings.camera = f.clone();
            }
            crate::kiosk::run(&settings, k.fullscreen)
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let kiosk = std::env::args().any(|a| a == "kiosk");
    let level = if kiosk { "info" } else { "warn" };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp_millis()
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<PartialFailure>() => {
            eprintln!("onemed: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("onemed: {e:#}");
            ExitCode::from(2)
        }
    }
}
