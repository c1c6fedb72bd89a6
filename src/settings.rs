//! Site settings (`kiosk.toml`): where models and the runtime are, which device
//! to use, limits and per-tool gate margins.
//!
//! Two stages, as helix does it: a raw serde struct that rejects unknown keys,
//! then [`Settings`] with every default filled in. A file that cannot be read or
//! parsed never stops the kiosk: it runs on defaults and reports a warning,
//! and the bad file is left where it is for someone to look at.

use crate::catalog::manifest::MIN_GATE_MARGIN;
use crate::engine::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the settings file is looked for when none is named.
pub const SYSTEM_CONFIG: &str = "/etc/onemed/kiosk.toml";

/// Default number of unusable pictures before "Could not assess".
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    models_dir: Option<PathBuf>,
    manifests_dir: Option<PathBuf>,
    openvino_runtime: Option<PathBuf>,
    device: Option<Device>,
    cache_dir: Option<PathBuf>,
    max_image_pixels: Option<u64>,
    #[serde(default)]
    gate_margin: BTreeMap<String, f32>,
    camera: Option<String>,
    #[serde(default)]
    import_paths: Vec<PathBuf>,
    max_attempts: Option<u32>,
    job_deadline_s: Option<u64>,
    data_dir: Option<PathBuf>,
    kiosk_id: Option<String>,
    operator: Option<String>,
    #[serde(default)]
    serial: SerialSettings,
}

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
    /// Folders offered for import besides USB sticks under /media, /run/media.
    pub import_paths: Vec<PathBuf>,
    /// Unusable pictures before "Could not assess — refer".
    pub max_attempts: u32,
    /// Seconds an analysis or a save may run before its worker counts as
    /// hung: the watchdog then stops, and systemd restarts the kiosk.
    pub job_deadline_s: u64,
    /// Where the register (SQLite) and the saved images live.
    pub data_dir: PathBuf,
    /// This kiosk's name on records, slips and exports.
    pub kiosk_id: String,
    /// Who is operating the kiosk (recorded with each analysis).
    pub operator: String,
    pub serial: SerialSettings,
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
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            job_deadline_s: 60,
            data_dir: default_data_dir(),
            kiosk_id: default_kiosk_id(),
            operator: "nurse".into(),
            serial: SerialSettings::default(),
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
    #[error("settings {path} are invalid, using defaults: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl Settings {
    /// Parses settings text.
    pub fn parse(path: &Path, text: &str) -> Result<Settings, SettingsError> {
        let invalid = |reason: String| SettingsError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let raw: RawSettings =
            toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
        let d = Settings::default();
        for (tool, m) in &raw.gate_margin {
            if !(MIN_GATE_MARGIN..=1.0).contains(m) {
                return Err(invalid(format!(
                    "gate_margin.{tool} = {m}: must lie between {MIN_GATE_MARGIN} and 1"
                )));
            }
        }
        if raw.max_attempts == Some(0) {
            return Err(invalid("max_attempts must be at least 1".into()));
        }
        if raw.job_deadline_s == Some(0) {
            return Err(invalid("job_deadline_s must be at least 1".into()));
        }
        if raw.max_image_pixels == Some(0) {
            return Err(invalid("max_image_pixels must be positive".into()));
        }
        Ok(Settings {
            models_dir: raw.models_dir,
            manifests_dir: raw.manifests_dir,
            openvino_runtime: raw.openvino_runtime,
            device: raw.device.unwrap_or(d.device),
            cache_dir: raw.cache_dir.or(d.cache_dir),
            max_image_pixels: raw.max_image_pixels.unwrap_or(d.max_image_pixels),
            gate_margin: raw.gate_margin,
            camera: raw.camera.unwrap_or(d.camera),
            import_paths: raw.import_paths,
            max_attempts: raw.max_attempts.unwrap_or(d.max_attempts),
            job_deadline_s: raw.job_deadline_s.unwrap_or(d.job_deadline_s),
            data_dir: raw.data_dir.unwrap_or(d.data_dir),
            kiosk_id: raw.kiosk_id.unwrap_or(d.kiosk_id),
            operator: raw.operator.unwrap_or(d.operator),
            serial: raw.serial,
            warnings: Vec::new(),
        })
    }

    /// Reads a settings file.
    pub fn read(path: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Settings::parse(path, &text)
    }

    /// The settings to run with: the named file, else `ONEMED_CONFIG`, else
    /// `/etc/onemed/kiosk.toml` when present, else defaults. A broken file
    /// gives defaults plus the warning to show.
    pub fn load(named: Option<&Path>) -> (Settings, Option<SettingsError>) {
        let path = named
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("ONEMED_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from(SYSTEM_CONFIG)).filter(|p| p.exists()));
        match path {
            None => (Settings::default(), None),
            Some(p) => match Settings::read(&p) {
                Ok(s) => (s, None),
                Err(e) => {
                    log::warn!("{e}");
                    (Settings::default(), Some(e))
                }
            },
        }
    }

    /// Decoder limits from these settings.
    pub fn limits(&self) -> crate::decode::Limits {
        crate::decode::Limits {
            max_pixels: self.max_image_pixels,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let s = Settings::parse(Path::new("k.toml"), "").unwrap();
        assert_eq!(s.device, Device::Cpu);
        assert_eq!(s.max_image_pixels, 50_000_000);
    }

    #[test]
    fn values_are_read() {
        let s = Settings::parse(
            Path::new("k.toml"),
            "device = \"GPU\"\nmodels_dir = \"/m\"\n[gate_margin]\ncataract = 0.6\n",
        )
        .unwrap();
        assert_eq!(s.device, Device::Gpu);
        assert_eq!(s.models_dir.as_deref(), Some(Path::new("/m")));
        assert_eq!(s.gate_margin.get("cataract"), Some(&0.6));
    }

    #[test]
    fn unknown_keys_and_low_margins_are_refused() {
        assert!(Settings::parse(Path::new("k"), "devise = \"CPU\"").is_err());
        assert!(Settings::parse(Path::new("k"), "[gate_margin]\nskin-lesion = 0.1").is_err());
        assert!(Settings::parse(Path::new("k"), "not toml at all [").is_err());
    }

    #[test]
    fn broken_file_falls_back_to_defaults_with_a_warning_and_is_kept() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("kiosk.toml");
        std::fs::write(&p, "device = 42").unwrap();
        let (s, warn) = Settings::load(Some(&p));
        assert_eq!(s, Settings::default());
        assert!(warn.is_some());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "device = 42");
    }
}
