//! The admin lock on disk: `admin-lock.toml` in the data folder (mode 0600,
//! written atomically and durably), so that a restart, a power cut or a
//! SIGKILL keeps the count. A damaged file reads as locked for the longest
//! delay — never as unlocked — and is replaced by that lock, with a log line.

use super::atomic::write_private;
use super::lock::Lock;
use super::AdminError;
use chrono::{DateTime, SecondsFormat, Utc};
use std::path::{Path, PathBuf};

/// The file's name in the data folder.
pub const FILE_NAME: &str = "admin-lock.toml";

/// `admin-lock.toml` in a data folder.
#[derive(Debug, Clone)]
pub struct LockFile {
    path: PathBuf,
}

impl LockFile {
    pub fn in_dir(data_dir: &Path) -> LockFile {
        LockFile {
            path: data_dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock as it stands at `now`. No file: no lock. A damaged file (or
    /// one that cannot be read): locked for the longest delay, saved as such.
    /// A clock found earlier than the lock's start: the full delay from now,
    /// saved as such.
    pub fn read(&self, now: DateTime<Utc>) -> Lock {
        let found = match std::fs::read_to_string(&self.path) {
            Ok(text) => parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lock::default()),
            Err(e) => Err(e.to_string()),
        };
        let lock = match found {
            Ok(l) => l,
            Err(why) => {
                log::error!(
                    "{} is damaged ({why}): admin is locked for the longest delay",
                    self.path.display()
                );
                let l = Lock::damaged(now);
                self.save_logged(&l);
                return l;
            }
        };
        let at = lock.at(now);
        if at != lock {
            log::warn!(
                "the clock reads earlier than the admin lock began: it is locked again for its full delay"
            );
            self.save_logged(&at);
        }
        at
    }

    fn save_logged(&self, l: &Lock) {
        if let Err(e) = self.save(l) {
            log::error!("{e}");
        }
    }

    /// Writes the lock atomically and durably (mode 0600).
    pub fn save(&self, l: &Lock) -> Result<(), AdminError> {
        write_private(&self.path, render(l).as_bytes()).map_err(|reason| AdminError::Write {
            path: self.path.display().to_string(),
            reason,
        })
    }
}

fn time(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The file's text: a comment and three keys.
fn render(l: &Lock) -> String {
    format!(
        "# The admin PIN lock (UTC). Written by the kiosk; cleared by `onemed admin reset-pin`.\n\
         failures = {}\nlocked_at = \"{}\"\nlocked_until = \"{}\"\n",
        l.failures,
        time(&l.locked_at),
        time(&l.locked_until)
    )
}

fn parse(text: &str) -> Result<Lock, String> {
    let t: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    if let Some(k) = t
        .keys()
        .find(|k| !["failures", "locked_at", "locked_until"].contains(&k.as_str()))
    {
        return Err(format!("unknown key {k}"));
    }
    let failures = t
        .get("failures")
        .and_then(|v| v.as_integer())
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("no count of wrong PINs")?;
    let when = |key: &str| -> Result<Option<DateTime<Utc>>, String> {
        match t.get(key).map(|v| v.as_str()) {
            Some(Some("")) => Ok(None),
            Some(Some(s)) => DateTime::parse_from_rfc3339(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|e| format!("{key}: {e}")),
            _ => Err(format!("no {key}")),
        }
    };
    let (locked_at, locked_until) = (when("locked_at")?, when("locked_until")?);
    if locked_at.is_some() != locked_until.is_some() {
        return Err("a lock with only one end".into());
    }
    Ok(Lock {
        failures,
        locked_at,
        locked_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::lock::Standing;
    use std::os::unix::fs::PermissionsExt;

    /// Now, in whole seconds (as the file keeps it).
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default()
    }

    #[test]
    fn round_trip_private_and_missing_is_open() {
        let d = tempfile::tempdir().unwrap();
        let f = LockFile::in_dir(d.path());
        let now = now();
        assert_eq!(f.read(now), Lock::default());
        assert!(!f.path().exists(), "reading creates nothing");
        let mut l = Lock::default();
        for _ in 0..5 {
            l = l.count_attempt(now);
        }
        f.save(&l).unwrap();
        let back = f.read(now);
        assert_eq!(back.failures, 5);
        assert!(matches!(back.standing(now), Standing::Locked { .. }));
        let mode = std::fs::metadata(f.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_damaged_file_locks_for_the_longest_delay_never_unlocks() {
        let now = now();
        for bad in [
            "failures = [",
            "failures = -1\nlocked_at = \"\"\nlocked_until = \"\"\n",
            "failures = 0\nlocked_at = \"yesterday\"\nlocked_until = \"\"\n",
            "failures = 0\nlocked_at = \"\"\nlocked_until = \"\"\nunlocked = true\n",
            "",
        ] {
            let d = tempfile::tempdir().unwrap();
            let f = LockFile::in_dir(d.path());
            std::fs::write(f.path(), bad).unwrap();
            assert_eq!(
                f.read(now).standing(now),
                Standing::Locked {
                    remaining: std::time::Duration::from_secs(3600)
                },
                "{bad:?}"
            );
            // Saved as that lock: reading again does not restart it.
            let later = now + chrono::Duration::minutes(10);
            assert!(matches!(
                f.read(later).standing(later),
                Standing::Locked { remaining } if remaining.as_secs() == 50 * 60
            ));
        }
    }

    #[test]
    fn a_clock_moved_back_is_saved_as_a_full_lock_from_then() {
        let d = tempfile::tempdir().unwrap();
        let f = LockFile::in_dir(d.path());
        let now = now();
        let mut l = Lock::default();
        for _ in 0..10 {
            l = l.count_attempt(now);
        }
        f.save(&l).unwrap();
        let back = now - chrono::Duration::days(1);
        let read = f.read(back);
        assert_eq!(
            read.locked_at.map(|t| t.timestamp()),
            Some(back.timestamp())
        );
        assert_eq!(f.read(back).failures, 10);
        assert!(matches!(
            f.read(back).standing(back),
            Standing::Locked { remaining } if remaining.as_secs() == 300
        ));
    }
}
