//! `onemed models`: the tools, their model files and hashes, the device and
//! precision each was compiled for, and the devices OpenVINO reports.

use crate::analysis::Analyzer;
use crate::settings::Settings;

pub fn run(settings: &Settings) -> anyhow::Result<()> {
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
