//! Setting an admin PIN over whatever `admin.toml` holds (the console's
//! `onemed admin reset-pin`, and the kiosk's first PIN): a damaged file is
//! kept as `admin.toml.damaged-<UTC time>` (never deleted), every override
//! that can still be read is carried into the new file, and the lock is
//! cleared.

use super::lock::Lock;
use super::lockfile::LockFile;
use super::overrides::{AdminFile, Overrides};
use super::AdminError;
use std::path::PathBuf;

/// What setting the PIN did, for the log and the console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replaced {
    /// Where the damaged file was kept.
    pub damaged_kept: Option<PathBuf>,
    /// The overrides carried over from the old file (its keys).
    pub kept: Vec<String>,
    /// What of a damaged file could not be read, by key (or the whole file).
    pub dropped: Vec<String>,
}

/// Saves `hash` as the PIN in `admin.toml`, keeping everything else it can,
/// and clears the lock file beside it.
pub fn replace_pin(file: &AdminFile, hash: String) -> Result<Replaced, AdminError> {
    let mut done = Replaced::default();
    let mut o = match file.load() {
        Ok(o) => o,
        Err(AdminError::Read { .. }) => {
            let (o, dropped) = salvage(&std::fs::read_to_string(file.path()).unwrap_or_default());
            done.dropped = dropped;
            done.damaged_kept = Some(keep_damaged(file)?);
            o
        }
        Err(e) => return Err(e),
    };
    done.kept = keys(&o);
    o.pin_hash = Some(hash);
    file.save(&o)?;
    let dir = file.path().parent().map(PathBuf::from).unwrap_or_default();
    LockFile::in_dir(&dir).save(&Lock::default())?;
    Ok(done)
}

/// Renames the damaged file aside, under the time it was found.
fn keep_damaged(file: &AdminFile) -> Result<PathBuf, AdminError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut to = file
        .path()
        .with_file_name(format!("{}.damaged-{stamp}", super::overrides::FILE_NAME));
    let mut n = 1;
    while to.exists() {
        n += 1;
        to = to.with_file_name(format!(
            "{}.damaged-{stamp}-{n}",
            super::overrides::FILE_NAME
        ));
    }
    std::fs::rename(file.path(), &to).map_err(|e| AdminError::Write {
        path: to.display().to_string(),
        reason: e.to_string(),
    })?;
    if let Some(dir) = to.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = dir.sync_all();
    }
    Ok(to)
}

/// The overrides of a damaged file that can still be read one by one (not
/// its PIN hash), and the keys that could not.
fn salvage(text: &str) -> (Overrides, Vec<String>) {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return (
            Overrides::default(),
            vec!["the whole file (not TOML)".into()],
        );
    };
    let mut good = toml::Table::new();
    let mut dropped = Vec::new();
    for (k, v) in table {
        if k == "pin_hash" {
            continue;
        }
        let mut one = toml::Table::new();
        one.insert(k.clone(), v.clone());
        let usable = toml::Value::Table(one)
            .try_into::<Overrides>()
            .is_ok_and(|o| o.validate().is_ok());
        if usable {
            good.insert(k, v);
        } else {
            dropped.push(k);
        }
    }
    let o = toml::Value::Table(good).try_into().unwrap_or_default();
    (o, dropped)
}

/// The names of the overrides set (besides the PIN).
fn keys(o: &Overrides) -> Vec<String> {
    let mut k = Vec::new();
    let mut add = |set: bool, name: &str| {
        if set {
            k.push(name.to_string());
        }
    };
    add(o.device.is_some(), "device");
    add(o.camera.is_some(), "camera");
    add(o.operator.is_some(), "operator");
    add(!o.gate_margin.is_empty(), "gate_margin");
    add(o.serial.is_some(), "serial");
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_file_is_kept_and_what_is_readable_carried_over() {
        let d = tempfile::tempdir().unwrap();
        let f = AdminFile::in_dir(d.path());
        let bad = "operator = \"Nurse Asha\"\ncolour = \"blue\"\ndevice = \"TPU\"\n\
                   [gate_margin]\ncataract = 0.6\n";
        std::fs::write(f.path(), bad).unwrap();
        LockFile::in_dir(d.path())
            .save(&Lock::damaged(chrono::Utc::now()))
            .unwrap();
        let done = replace_pin(&f, "$argon2id$fake".into()).unwrap();
        let kept = done.damaged_kept.clone().unwrap();
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), bad);
        assert_eq!(done.kept, ["operator", "gate_margin"]);
        assert_eq!(done.dropped, ["colour", "device"]);
        let o = f.load().unwrap();
        assert_eq!(o.pin_hash.as_deref(), Some("$argon2id$fake"));
        assert_eq!(o.operator.as_deref(), Some("Nurse Asha"));
        assert_eq!(o.gate_margin.get("cataract"), Some(&0.6));
        assert_eq!(
            LockFile::in_dir(d.path()).read(chrono::Utc::now()),
            Lock::default()
        );
    }

    #[test]
    fn a_sound_file_keeps_everything_and_not_toml_keeps_only_the_pin() {
        let d = tempfile::tempdir().unwrap();
        let f = AdminFile::in_dir(d.path());
        let o = Overrides {
            camera: Some("none".into()),
            pin_hash: Some("old".into()),
            ..Default::default()
        };
        f.save(&o).unwrap();
        let done = replace_pin(&f, "new".into()).unwrap();
        assert_eq!(done.damaged_kept, None);
        assert_eq!(done.kept, ["camera"]);
        assert_eq!(f.load().unwrap().camera.as_deref(), Some("none"));

        std::fs::write(f.path(), "device = [").unwrap();
        let done = replace_pin(&f, "newer".into()).unwrap();
        assert!(done.damaged_kept.is_some() && done.kept.is_empty());
        assert_eq!(
            f.load().unwrap(),
            Overrides {
                pin_hash: Some("newer".into()),
                ..Default::default()
            }
        );
    }
}
