//! `onemed models`: the tools, their model files and hashes, the device and
//! precision each was compiled for, and the devices OpenVINO reports.
//! `onemed models --pin DIR/model.xml` prints the `[model]` lines that pin a
//! new model's files in its manifest (no runtime needed).

use crate::analysis::Analyzer;
use crate::settings::Settings;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the manifest lines pinning this model.xml and the model.bin beside it.
    #[arg(long, value_name = "MODEL.XML")]
    pin: Vec<PathBuf>,
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    if !args.pin.is_empty() {
        return pin(&args.pin);
    }
    let a = Analyzer::new(settings, &[]).map_err(|e| super::Fatal(e.to_string()))?;
    let e = a.engine();
    println!("runtime: {}", e.runtime_path().display());
    println!("devices: {}", e.available_devices().join(", "));
    println!(
        "device:  {}{}",
        e.device(),
        e.device_note()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    println!();
    for t in a.catalog().tools() {
        match (e.info(&t.id), a.unavailable().get(&t.id)) {
            (Some(i), _) => println!(
                "{:<22} {:<10} {} {} {:.0} ms\n{:<22} {}\n{:<22} sha256 {}\n",
                t.id,
                t.group,
                i.device,
                i.precision,
                i.load_ms,
                "",
                i.xml.display(),
                "",
                i.sha256
            ),
            (None, reason) => println!(
                "{:<22} {:<10} UNAVAILABLE: {}\n",
                t.id,
                t.group,
                reason.map(String::as_str).unwrap_or("not loaded")
            ),
        }
    }
    Ok(())
}

fn pin(xmls: &[PathBuf]) -> anyhow::Result<()> {
    for (i, xml) in xmls.iter().enumerate() {
        let lines = crate::engine::pinned::pin_lines(xml)
            .map_err(|e| super::Fatal(format!("cannot pin {}: {e}", xml.display())))?;
        if i > 0 {
            println!();
        }
        print!("{lines}");
    }
    Ok(())
}
