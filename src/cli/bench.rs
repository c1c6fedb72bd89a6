//! `onemed bench` (placeholder).
#[derive(Debug, clap::Args)]
pub struct Args {}
pub fn run(_s: &crate::settings::Settings, _a: &Args) -> anyhow::Result<()> {
    Ok(())
}
