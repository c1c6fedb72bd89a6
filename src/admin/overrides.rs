//! The admin screen's settings file, `admin.toml` in the data folder: only
//! what an admin may change on the kiosk (PIN hash, device, camera, operator,
//! serial ports, default language, gate margins), layered over the site's `kiosk.toml`.
//!
//! Written atomically (temp file, fsync, rename; mode 0600). A damaged file is
//! ignored with a warning and left in place, like a damaged `kiosk.toml`.

use super::AdminError;
use crate::catalog::manifest::MIN_GATE_MARGIN;
use crate::engine::Device;
use crate::settings::{SerialSettings, Settings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file's name in the data folder.
pub const FILE_NAME: &str = "admin.toml";
pub use crate::catalog::manifest::MAX_GATE_MARGIN;

/// What the admin changed; `None` keeps the site's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub gate_margin: BTreeMap<String, f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<SerialSettings>,
    /// The screens' default language (kiosk.toml's `language`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<crate::i18n::Lang>,
}

impl Overrides {
    /// Refuses values the kiosk must never run with.
    pub fn validate(&self) -> Result<(), AdminError> {
        for (tool, m) in &self.gate_margin {
            if !(MIN_GATE_MARGIN..=MAX_GATE_MARGIN).contains(m) {
                return Err(AdminError::Invalid(format!(
                    "gate margin for {tool} must lie between {MIN_GATE_MARGIN} and {MAX_GATE_MARGIN}, not {m}"
                )));
            }
        }
        if let Some(op) = &self.operator {
            if op.trim().is_empty() || op.chars().count() > 40 {
                return Err(AdminError::Invalid(
                    "the operator name must be 1 to 40 characters".into(),
                ));
            }
        }
        Ok(())
    }

    /// The settings with these changes applied.
    pub fn apply(&self, s: &mut Settings) {
        if let Some(d) = self.device {
            s.device = d;
        }
        if let Some(c) = &self.camera {
            s.camera = c.clone();
        }
        if let Some(o) = &self.operator {
            s.operator = o.clone();
        }
        for (tool, m) in &self.gate_margin {
            s.gate_margin.insert(tool.clone(), *m);
        }
        if let Some(serial) = &self.serial {
            s.serial = serial.clone();
        }
        if let Some(l) = self.language {
            s.language = l;
        }
    }
}

/// `admin.toml` in a data folder.
#[derive(Debug, Clone)]
pub struct AdminFile {
    path: PathBuf,
}

impl AdminFile {
    pub fn in_dir(data_dir: &Path) -> AdminFile {
        AdminFile {
            path: data_dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The overrides; none when the file does not exist.
    pub fn load(&self) -> Result<Overrides, AdminError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Overrides::default()),
            Err(e) => return Err(self.read_error(e.to_string())),
        };
        let o: Overrides =
            toml::from_str(&text).map_err(|e| self.read_error(e.message().to_string()))?;
        o.validate().map_err(|e| self.read_error(e.to_string()))?;
        Ok(o)
    }

    fn read_error(&self, reason: String) -> AdminError {
        AdminError::Read {
            path: self.path.display().to_string(),
            reason,
        }
    }

    /// Writes the overrides atomically (mode 0600).
    pub fn save(&self, o: &Overrides) -> Result<(), AdminError> {
        o.validate()?;
        let write_err = |reason: String| AdminError::Write {
            path: self.path.display().to_string(),
            reason,
        };
        let text = toml::to_string_pretty(o).map_err(|e| write_err(e.to_string()))?;
        let bytes = [
            &b"# Written by the kiosk's admin screen. Overrides /etc/onemed/kiosk.toml.\n"[..],
            text.as_bytes(),
        ]
        .concat();
        super::atomic::write_private(&self.path, &bytes).map_err(write_err)?;
        Ok(())
    }
}

/// The settings a command runs with: the settings file (a damaged one gives
/// the defaults and a warning, and is left in place), then `admin.toml`.
pub fn load_settings(named: Option<&Path>) -> Settings {
    let (mut s, warning) = Settings::load(named);
    if let Some(w) = warning {
        s.warnings.push(format!(
            "The settings file could not be used: {w}. Nothing can be recorded until it is mended."
        ));
    }
    apply_file(&mut s);
    s
}

/// Applies `admin.toml` from the settings' data folder; a damaged file adds a
/// warning to the settings and changes nothing.
pub fn apply_file(s: &mut Settings) {
    if s.fault.is_some() {
        // The data folder is not known: another folder's admin file must not apply.
        return;
    }
    match AdminFile::in_dir(&s.data_dir).load() {
        Ok(o) => o.apply(s),
        Err(e) => {
            log::warn!("{e}; using the site settings");
            s.warnings.push(format!(
                "The admin settings could not be read, so the site settings are used: {e}"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::PortSettings;

    #[test]
    fn round_trip_and_apply() {
        let d = tempfile::tempdir().unwrap();
        let f = AdminFile::in_dir(d.path());
        assert_eq!(f.load().unwrap(), Overrides::default());
        let mut o = Overrides {
            device: Some(Device::Auto),
            operator: Some("Nurse Asha".into()),
            ..Default::default()
        };
        o.gate_margin.insert("cataract".into(), 0.6);
        o.serial = Some(SerialSettings {
            scanner: Some(PortSettings {
                port: "/dev/ttyACM0".into(),
                baud: 9600,
            }),
            ..Default::default()
        });
        f.save(&o).unwrap();
        assert_eq!(f.load().unwrap(), o);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(f.path()).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        let mut s = Settings::default();
        o.apply(&mut s);
        assert_eq!(s.device, Device::Auto);
        assert_eq!(s.operator, "Nurse Asha");
        assert_eq!(s.gate_margin.get("cataract"), Some(&0.6));
        assert!(s.serial.scanner.is_some());
    }

    #[test]
    fn margins_below_the_floor_are_refused_on_save_and_on_load() {
        let d = tempfile::tempdir().unwrap();
        let f = AdminFile::in_dir(d.path());
        let mut o = Overrides::default();
        o.gate_margin.insert("skin-lesion".into(), 0.2);
        assert!(matches!(f.save(&o), Err(AdminError::Invalid(_))));
        assert!(!f.path().exists());
        std::fs::write(f.path(), "[gate_margin]\nskin-lesion = 0.1\n").unwrap();
        assert!(matches!(f.load(), Err(AdminError::Read { .. })));
    }

    #[test]
    fn a_damaged_file_warns_and_is_kept() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(FILE_NAME), "device = [").unwrap();
        let mut s = Settings {
            data_dir: d.path().to_path_buf(),
            ..Default::default()
        };
        apply_file(&mut s);
        assert_eq!(s.device, Device::Cpu);
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert_eq!(
            std::fs::read_to_string(d.path().join(FILE_NAME)).unwrap(),
            "device = ["
        );
    }
}
