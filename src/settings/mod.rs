//! Site settings (`kiosk.toml`): where models and the runtime are, which device
//! to use, limits and per-tool gate margins.
//!
//! Read value by value, so one mistake costs only that value: an unknown key,
//! a wrong type or an out-of-range value is reported with its line and falls
//! back to its default; every other value is kept. Never the data folder: a
//! file that cannot be parsed at all, or a bad `data_dir`, leaves the register
//! unknown ([`Settings::fault`]), and the kiosk and the commands refuse to
//! open the default register in its place. The bad file is left where it is.

use crate::engine::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where the settings file is looked for when none is named.
pub const SYSTEM_CONFIG: &str = "/etc/onemed/kiosk.toml";

/// Default number of unusable pictures before "Could not assess".
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The range `max_attempts` may take (as on the admin screen).
pub const MAX_ATTEMPTS_RANGE: std::ops::RangeInclusive<u32> = 1..=10;

/// Default number of slices of a CT series analysed (through the lungs, evenly spaced).
pub const DEFAULT_CT_SERIES_SLICES: u32 = 8;
/// The range `ct_series_slices` may take.
pub const CT_SERIES_SLICES_RANGE: std::ops::RangeInclusive<u32> = 1..=64;

/// Default idle minutes before the kiosk locks to the sign-in screen.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 5;
/// The range `idle_lock_minutes` may take.
pub const IDLE_LOCK_RANGE: std::ops::RangeInclusive<u32> = 1..=60;

/// The serial devices a kiosk may have; each is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SerialSettings {
    /// A foot pedal or shutter button: capture on the capture screen.
    pub trigger: Option<TriggerSettings>,
    /// A barcode scanner: each line is a patient ID.
    pub scanner: Option<PortSettings>,
    /// An ESC/POS receipt printer for the visit slip.
    pub printer: Option<PrinterSettings>,
}

/// A serial port: its path and baud rate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PortSettings {
    pub port: PathBuf,
    #[serde(default = "default_baud")]
    pub baud: u32,
}

/// The capture trigger's port and what it sends: `byte:0x20` (one byte) or
/// `line:SNAP` (a line of text).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerSettings {
    pub port: PathBuf,
    #[serde(default = "default_baud")]
    pub baud: u32,
    #[serde(default = "default_trigger", rename = "match")]
    pub matches: String,
}

/// The receipt printer's port and paper width in characters.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSettings {
    pub port: PathBuf,
    #[serde(default = "default_baud")]
    pub baud: u32,
    #[serde(default = "default_width")]
    pub width: u32,
    /// Dots across the paper for slips printed as a picture (Hindi, Bengali,
    /// Tamil): 384 for 58 mm paper, 576 for 80 mm; unset: from `width`.
    #[serde(default)]
    pub dots: Option<u32>,
}

impl PrinterSettings {
    /// Dots across the paper: as set, else 384 for a 32-column (58 mm)
    /// printer and 576 for a wider (80 mm) one.
    pub fn dots(&self) -> u32 {
        self.dots
            .filter(|d| (128..=1024).contains(d))
            .unwrap_or(if self.width <= 32 { 384 } else { 576 })
    }
}

fn default_baud() -> u32 {
    9600
}

fn default_trigger() -> String {
    "byte:0x20".into()
}

fn default_width() -> u32 {
    32
}

/// Validated settings with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The models folder; `None` resolves `ONEMED_MODELS`, then `../shared/models`.
    pub models_dir: Option<PathBuf>,
    /// A folder of tool manifests replacing the built-in ones.
    pub manifests_dir: Option<PathBuf>,
    /// The OpenVINO C library or its folder; `None` searches.
    pub openvino_runtime: Option<PathBuf>,
    pub device: Device,
    /// OpenVINO's compiled-model cache.
    pub cache_dir: Option<PathBuf>,
    pub max_image_pixels: u64,
    /// Per-tool gate margins overriding the manifests (never below 0.3).
    pub gate_margin: BTreeMap<String, f32>,
    /// The camera: `auto`, `none`, `replay:<dir>[?fps=N]`, `v4l:<index>`.
    pub camera: String,
    /// Folders offered for import besides USB sticks.
    pub import_paths: Vec<PathBuf>,
    /// Where USB sticks are mounted: every mount point below one of these is
    /// a stick, offered for import and export (`/media`, `/run/media`).
    pub usb_mounts: Vec<PathBuf>,
    /// Run as `<command...> rw <mount point>` before an export writes to a
    /// stick and `<command...> ro <mount point>` after it, so that sticks
    /// stay read-only otherwise (`make install` sets it; empty: the stick is
    /// written as it is mounted).
    pub usb_write_command: Vec<String>,
    /// Unusable pictures before "Could not assess — refer".
    pub max_attempts: u32,
    /// Most slices of a CT series analysed: those through the lungs, evenly spaced.
    pub ct_series_slices: u32,
    /// Seconds an analysis or a save may run before its worker counts as
    /// hung: the watchdog then stops, and systemd restarts the kiosk.
    pub job_deadline_s: u64,
    /// Where the register (SQLite) and the saved images live.
    pub data_dir: PathBuf,
    /// This kiosk's name on records, slips and exports.
    pub kiosk_id: String,
    /// Who screens with `onemed screen` when it is not given `--operator`
    /// (the kiosk records the signed-in nurse instead).
    pub operator: String,
    /// Minutes without a touch before the kiosk locks to the sign-in screen.
    pub idle_lock_minutes: u32,
    /// The screen's language until a nurse picks another (`language = "hi"`).
    pub language: crate::i18n::Lang,
    pub serial: SerialSettings,
    /// Development only: allow a plain (unencrypted) register when there is
    /// no `register-key` credential. The home screen then says so.
    pub unencrypted_register: bool,
    /// The programme's `age` public keys (`age1…`): every export is encrypted
    /// to them, and only their holders can read it.
    pub export_recipients: Vec<String>,
    /// Allow a plain export when no recipient is set (said on screen).
    pub plain_export: bool,
    /// Where the `register-key` credential is: `$CREDENTIALS_DIRECTORY`
    /// (systemd sets it), never the settings file.
    pub credentials_dir: Option<PathBuf>,
    /// Set when the register's folder is not known for sure (the settings
    /// file could not be parsed, or its `data_dir` is bad): nothing may be
    /// recorded, rather than into another register.
    pub fault: Option<String>,
    /// What went wrong loading the settings (shown on the kiosk's screen).
    pub warnings: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            models_dir: None,
            manifests_dir: None,
            openvino_runtime: None,
            device: Device::Cpu,
            cache_dir: default_cache_dir(),
            max_image_pixels: crate::decode::Limits::default().max_pixels,
            gate_margin: BTreeMap::new(),
            camera: "auto".into(),
            import_paths: Vec::new(),
            usb_mounts: vec!["/media".into(), "/run/media".into()],
            usb_write_command: Vec::new(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            ct_series_slices: DEFAULT_CT_SERIES_SLICES,
            job_deadline_s: 60,
            data_dir: default_data_dir(),
            kiosk_id: default_kiosk_id(),
            operator: "nurse".into(),
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
            language: crate::i18n::Lang::En,
            serial: SerialSettings::default(),
            unencrypted_register: false,
            export_recipients: Vec::new(),
            plain_export: false,
            credentials_dir: std::env::var_os("CREDENTIALS_DIRECTORY")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            fault: None,
            warnings: Vec::new(),
        }
    }
}

/// `$STATE_DIRECTORY` (systemd: `/var/lib/onemed`), else
/// `$XDG_DATA_HOME/onemed`, else `~/.local/share/onemed`, else `./onemed-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("STATE_DIRECTORY") {
        // systemd may list several, separated by ':'; the first is ours.
        let first = d
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or("")
            .to_string();
        if !first.is_empty() {
            return PathBuf::from(first);
        }
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map(|b| b.join("onemed"))
        .unwrap_or_else(|| PathBuf::from("onemed-data"))
}

/// The machine's host name, else "kiosk".
fn default_kiosk_id() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "kiosk".into())
}

/// `$CACHE_DIRECTORY` (systemd), else `$XDG_CACHE_HOME/onemed/openvino`, else
/// `~/.cache/onemed/openvino`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CACHE_DIRECTORY") {
        return Some(PathBuf::from(d).join("openvino"));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("onemed/openvino"))
}

/// Why a settings file was not used (the kiosk then runs on defaults).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("settings {path} cannot be parsed ({reason})")]
    Invalid { path: PathBuf, reason: String },
}

mod parse;
pub mod recipients;

#[cfg(test)]
mod tests;
