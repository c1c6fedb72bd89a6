//! Reading `kiosk.toml` value by value (see the settings module header):
//! each bad value is reported with its line and falls back to its default.

use super::{
    Settings, SettingsError, CT_SERIES_SLICES_RANGE, IDLE_LOCK_RANGE, MAX_ATTEMPTS_RANGE,
    SYSTEM_CONFIG,
};
use crate::catalog::manifest::{MAX_GATE_MARGIN, MIN_GATE_MARGIN};
use std::path::{Path, PathBuf};

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
                "usb_mounts" => match get::<Vec<PathBuf>>(value) {
                    Ok(v) if v.iter().all(|p| p.is_absolute()) => {
                        s.usb_mounts = v;
                        Ok(())
                    }
                    Ok(_) => Err("must list absolute paths".into()),
                    Err(e) => Err(e),
                },
                "usb_write_command" => match get::<Vec<String>>(value) {
                    Ok(v) if v.first().is_some_and(|c| Path::new(c).is_absolute()) => {
                        s.usb_write_command = v;
                        Ok(())
                    }
                    Ok(v) if v.is_empty() => {
                        s.usb_write_command = v;
                        Ok(())
                    }
                    Ok(_) => Err("must start with the command's absolute path".into()),
                    Err(e) => Err(e),
                },
                "max_attempts" => get_in(value, MAX_ATTEMPTS_RANGE).map(|v| s.max_attempts = v),
                "ct_series_slices" => {
                    get_in(value, CT_SERIES_SLICES_RANGE).map(|v| s.ct_series_slices = v)
                }
                "job_deadline_s" => get_in(value, 1..=3600).map(|v| s.job_deadline_s = v),
                "kiosk_id" => get_text(value).map(|v| s.kiosk_id = v),
                "language" => {
                    get_text(value).and_then(|v| match crate::i18n::Lang::from_code(&v) {
                        Some(l) => {
                            s.language = l;
                            Ok(())
                        }
                        None => Err(format!(
                            "{v:?} is not a language of the kiosk (en, hi, bn, ta)"
                        )),
                    })
                }
                "operator" => get_text(value).map(|v| s.operator = v),
                "idle_lock_minutes" => {
                    get_in(value, IDLE_LOCK_RANGE).map(|v| s.idle_lock_minutes = v)
                }
                "serial" => get(value).map(|v| s.serial = v),
                "unencrypted_register" => get(value).map(|v| s.unencrypted_register = v),
                "plain_export" => get(value).map(|v| s.plain_export = v),
                "export_recipients" => get::<Vec<String>>(value)
                    .and_then(|v| super::recipients::check(&v).map(|()| s.export_recipients = v)),
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
