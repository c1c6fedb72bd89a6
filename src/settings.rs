//! Site settings (`kiosk.toml`): where models and the runtime are, which device
//! to use, limits and per-tool gate margins.
//!
//! Read value by value, so one mistake costs only that value: an unknown key,
//! a wrong type or an out-of-range value is reported with its line and falls
//! back to its default; every other value is kept. Never the data folder: a
//! file that cannot be parsed at all, or a bad `data_dir`, leaves the register
//! unknown ([`Settings::fault`]), and the kiosk and the commands refuse to
//! open the default register in its place. The bad file is left where it is.

use crate::catalog::manifest::{MAX_GATE_MARGIN, MIN_GATE_MARGIN};
use crate::engine::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the settings file is looked for when none is named.
pub const SYSTEM_CONFIG: &str = "/etc/onemed/kiosk.toml";

/// Default number of unusable pictures before "Could not assess".
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The range `max_attempts` may take (as on the admin screen).
pub const MAX_ATTEMPTS_RANGE: std::ops::RangeInclusive<u32> = 1..=10;

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
    /// Who screens with `onemed screen` when it is not given `--operator`
    /// (the kiosk records the signed-in nurse instead).
    pub operator: String,
    /// Minutes without a touch before the kiosk locks to the sign-in screen.
    pub idle_lock_minutes: u32,
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
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            job_deadline_s: 60,
            data_dir: default_data_dir(),
            kiosk_id: default_kiosk_id(),
            operator: "nurse".into(),
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
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

impl Settings {
    /// Parses settings text value by value (see the module header). `Err`
    /// only when the text is not TOML at all.
    pub fn parse(path: &Path, text: &str) -> Result<Settings, SettingsError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|sp| text[..sp.start.min(text.len())].lines().count().max(1));
            SettingsError::Invalid {
                path: path.to_path_buf(),
                reason: match line {
                    Some(l) => format!("line {l}: {}", e.message()),
                    None => e.message().to_string(),
                },
            }
        })?;
        let mut s = Settings::default();
        let mut warn = |section: Option<&str>, key: &str, what: String| {
            let line = line_of(text, section, key)
                .map(|l| format!(" line {l}"))
                .unwrap_or_default();
            let name = section.map_or(key.to_string(), |sec| format!("{sec}.{key}"));
            let w = format!("{}{line}: {name} {what}", path.display());
            log::warn!("{w}");
            s.warnings.push(w);
        };
        let mut fault = None;
        for (key, value) in &table {
            let k = key.as_str();
            let r: Result<(), String> = match k {
                "models_dir" => get(value).map(|v| s.models_dir = Some(v)),
                "manifests_dir" => get(value).map(|v| s.manifests_dir = Some(v)),
                "openvino_runtime" => get(value).map(|v| s.openvino_runtime = Some(v)),
                "device" => get(value).map(|v| s.device = v),
                "cache_dir" => get(value).map(|v| s.cache_dir = Some(v)),
                "max_image_pixels" => get_in(value, 1..=u64::MAX).map(|v| s.max_image_pixels = v),
                "camera" => get(value).map(|v| s.camera = v),
                "import_paths" => get(value).map(|v| s.import_paths = v),
                "max_attempts" => get_in(value, MAX_ATTEMPTS_RANGE).map(|v| s.max_attempts = v),
                "job_deadline_s" => get_in(value, 1..=3600).map(|v| s.job_deadline_s = v),
                "kiosk_id" => get_text(value).map(|v| s.kiosk_id = v),
                "operator" => get_text(value).map(|v| s.operator = v),
                "idle_lock_minutes" => {
                    get_in(value, IDLE_LOCK_RANGE).map(|v| s.idle_lock_minutes = v)
                }
                "serial" => get(value).map(|v| s.serial = v),
                "unencrypted_register" => get(value).map(|v| s.unencrypted_register = v),
                "plain_export" => get(value).map(|v| s.plain_export = v),
                "export_recipients" => get::<Vec<String>>(value).and_then(|v| {
                    crate::export::check_recipients(&v).map(|()| s.export_recipients = v)
                }),
                "data_dir" => match get::<PathBuf>(value) {
                    Ok(d) if d.is_absolute() => {
                        s.data_dir = d;
                        Ok(())
                    }
                    Ok(d) => Err(format!("{} is not an absolute path", d.display())),
                    Err(e) => Err(e),
                },
                "gate_margin" => match value.as_table() {
                    Some(t) => {
                        for (tool, m) in t {
                            match get_in(m, MIN_GATE_MARGIN..=MAX_GATE_MARGIN) {
                                Ok(m) => {
                                    s.gate_margin.insert(tool.clone(), m);
                                }
                                Err(e) => warn(
                                    Some("gate_margin"),
                                    tool,
                                    format!("{e}; the tool's own margin is used"),
                                ),
                            }
                        }
                        Ok(())
                    }
                    None => Err("must be a table of tool = margin".into()),
                },
                _ => {
                    warn(None, k, "is not a setting: ignored".into());
                    continue;
                }
            };
            if let Err(e) = r {
                if k == "data_dir" {
                    fault = Some(format!(
                        "{}: data_dir {e}, so the register cannot be opened",
                        path.display()
                    ));
                }
                warn(None, k, format!("{e}; the default is used"));
            }
        }
        s.fault = fault;
        Ok(s)
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
                // Not even the data folder is known: nothing may be recorded.
                Err(e @ SettingsError::Invalid { .. }) => {
                    log::error!("{e}");
                    let s = Settings {
                        fault: Some(format!("{e}, so the register cannot be opened")),
                        ..Settings::default()
                    };
                    (s, Some(e))
                }
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

/// One value as its type, or why not.
fn get<T: serde::de::DeserializeOwned>(v: &toml::Value) -> Result<T, String> {
    v.clone()
        .try_into()
        .map_err(|e: toml::de::Error| format!("= {v}: {}", e.message().trim()))
}

/// A number in a range, or why not.
fn get_in<T>(v: &toml::Value, range: std::ops::RangeInclusive<T>) -> Result<T, String>
where
    T: serde::de::DeserializeOwned + PartialOrd + std::fmt::Display,
{
    let n: T = get(v)?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "= {n}: must lie between {} and {}",
            range.start(),
            range.end()
        ))
    }
}

/// A text that is not blank.
fn get_text(v: &toml::Value) -> Result<String, String> {
    let t: String = get(v)?;
    if t.trim().is_empty() {
        Err("is empty".into())
    } else {
        Ok(t)
    }
}

/// The 1-based line where `key` is set (in `[section]` when given).
fn line_of(text: &str, section: Option<&str>, key: &str) -> Option<usize> {
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(h) = l.strip_prefix('[') {
            current = Some(h.trim_end_matches(']').trim().to_string());
            continue;
        }
        let Some((k, _)) = l.split_once('=') else {
            continue;
        };
        let k = k.trim().trim_matches('"');
        if k == key && current.as_deref() == section {
            return Some(i + 1);
        }
    }
    None
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
    fn one_bad_value_costs_only_that_value_and_says_its_line() {
        let text = "kiosk_id = \"camp-7\"\ndevise = \"GPU\"\nmax_attempts = 4294967295\n\
                    operator = \"Asha\"\n[gate_margin]\nskin-lesion = 1.0\ncatarct = 0.6\n\
                    cataract = 0.1\n";
        let s = Settings::parse(Path::new("k.toml"), text).unwrap();
        // What was right is kept.
        assert_eq!(s.kiosk_id, "camp-7");
        assert_eq!(s.operator, "Asha");
        assert_eq!(s.fault, None, "the data folder is not touched");
        // What was wrong falls back, each with its line.
        assert_eq!(s.max_attempts, DEFAULT_MAX_ATTEMPTS);
        assert_eq!(s.device, Device::Cpu);
        assert!(
            !s.gate_margin.contains_key("skin-lesion"),
            "1.0 would never give a finding"
        );
        assert!(!s.gate_margin.contains_key("cataract"), "below the floor");
        // A misspelt tool name is kept for the catalogue to report; it disables nothing here.
        assert_eq!(s.gate_margin.get("catarct"), Some(&0.6));
        let w = s.warnings.join("\n");
        assert!(w.contains("k.toml line 2: devise is not a setting"), "{w}");
        assert!(
            w.contains("line 3: max_attempts = 4294967295: must lie between 1 and 10"),
            "{w}"
        );
        assert!(
            w.contains("line 6: gate_margin.skin-lesion = 1: must lie between 0.3 and 0.95"),
            "{w}"
        );
        assert!(w.contains("line 8: gate_margin.cataract"), "{w}");
        assert_eq!(s.warnings.len(), 4, "{w}");
    }

    #[test]
    fn idle_lock_minutes_is_read_and_an_out_of_range_value_falls_back_with_its_line() {
        let s = Settings::parse(Path::new("k.toml"), "idle_lock_minutes = 12\n").unwrap();
        assert_eq!(s.idle_lock_minutes, 12);
        assert!(s.warnings.is_empty());
        for bad in ["0", "61", "\"five\""] {
            let text = format!("kiosk_id = \"k\"\nidle_lock_minutes = {bad}\n");
            let s = Settings::parse(Path::new("k.toml"), &text).unwrap();
            assert_eq!(s.idle_lock_minutes, DEFAULT_IDLE_LOCK_MINUTES, "{bad}");
            assert_eq!(s.kiosk_id, "k");
            let w = s.warnings.join("\n");
            assert!(w.contains("k.toml line 2: idle_lock_minutes"), "{w}");
        }
    }

    #[test]
    fn a_bad_data_dir_is_a_fault_never_another_register() {
        for text in ["data_dir = 7", "data_dir = \"relative/onemed\""] {
            let s = Settings::parse(Path::new("k.toml"), text).unwrap();
            assert!(
                s.fault.as_deref().is_some_and(|f| f.contains("data_dir")),
                "{text}: {:?}",
                s.fault
            );
        }
        let s = Settings::parse(Path::new("k.toml"), "data_dir = \"/srv/onemed\"").unwrap();
        assert_eq!(s.data_dir, Path::new("/srv/onemed"));
        assert_eq!(s.fault, None);
    }

    #[test]
    fn a_file_that_is_not_toml_is_a_fault_and_is_kept() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("kiosk.toml");
        std::fs::write(&p, "device = \"CPU\"\ndata_dir = [\n").unwrap();
        let (s, warn) = Settings::load(Some(&p));
        let e = warn.unwrap().to_string();
        assert!(e.contains("line 2") || e.contains("line 3"), "{e}");
        assert!(s.fault.is_some(), "the register's folder is unknown");
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "device = \"CPU\"\ndata_dir = [\n"
        );
    }
}
