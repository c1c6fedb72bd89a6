//! Who may open Admin, decided off the UI thread: what `admin.toml` says
//! about the PIN, whether a first PIN may be chosen (only on an empty
//! register), and one PIN attempt — refused while locked, otherwise counted
//! on disk first, then checked, and cleared when right, so that killing the
//! process mid-check leaves the attempt counted.

use super::lock::{Lock, Standing};
use super::lockfile::LockFile;
use super::overrides::AdminFile;
use super::pin;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// What `admin.toml` holds about the PIN.
#[derive(Debug, Clone, PartialEq)]
pub enum PinFile {
    /// The PIN's hash.
    Set(String),
    /// No file, or a file without a PIN.
    Missing,
    /// A file that cannot be read or used; kept as it is.
    Damaged(String),
}

impl PinFile {
    pub fn read(file: &AdminFile) -> PinFile {
        if !file.path().exists() {
            return PinFile::Missing;
        }
        match file.load() {
            Ok(o) => o.pin_hash.map(PinFile::Set).unwrap_or(PinFile::Missing),
            Err(e) => {
                log::error!("admin: {e}");
                PinFile::Damaged(e.to_string())
            }
        }
    }
}

/// What the admin PIN pad offers when there is no usable PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoPin {
    /// A fresh install (empty register): choose the first PIN.
    ChooseFirst,
    /// Locked until the console command resets the PIN.
    Locked { damaged: bool },
}

/// Whether a kiosk without a usable PIN may offer to choose one: only when
/// its register holds no visit and no record. A register that cannot be
/// asked counts as used.
pub fn without_pin(file: &PinFile, register_empty: Result<bool, String>) -> Option<NoPin> {
    let damaged = match file {
        PinFile::Set(_) => return None,
        PinFile::Missing => false,
        PinFile::Damaged(_) => true,
    };
    Some(match register_empty {
        Ok(true) => NoPin::ChooseFirst,
        Ok(false) | Err(_) => NoPin::Locked { damaged },
    })
}

/// The answer to one PIN attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Right; `must_change` when it is shorter than a new PIN may be.
    Right { must_change: bool },
    /// Wrong; where the lock stands now.
    Wrong(Standing),
    /// Not checked: locked for this much longer.
    Locked(Duration),
    /// Not checked: the attempt could not be counted on disk.
    NotCounted,
}

/// Where the lock stands now (for the PIN pad as it opens).
pub fn standing(lock: &LockFile, now: DateTime<Utc>) -> Standing {
    lock.read(now).standing(now)
}

/// One attempt at the PIN whose hash is `stored`. Slow (argon2): never on
/// the UI thread. `now` is asked before and after the check.
pub fn attempt(
    lock: &LockFile,
    stored: &str,
    entered: &str,
    now: impl Fn() -> DateTime<Utc>,
) -> Verdict {
    let t = now();
    let current = lock.read(t);
    if let Standing::Locked { remaining } = current.standing(t) {
        return Verdict::Locked(remaining);
    }
    let counted = current.count_attempt(t);
    if let Err(e) = lock.save(&counted) {
        log::error!("admin: the PIN was not checked, the attempt could not be counted: {e}");
        return Verdict::NotCounted;
    }
    if !pin::verify(entered, stored) {
        log::warn!(
            "admin: wrong PIN ({} since the last right one)",
            counted.failures
        );
        return Verdict::Wrong(counted.standing(now()));
    }
    if let Err(e) = lock.save(&Lock::default()) {
        log::error!("admin: the right PIN could not clear the count: {e}");
    }
    Verdict::Right {
        must_change: pin::must_change(entered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::Overrides;

    fn with_pin(d: &std::path::Path, p: &str) -> String {
        let h = pin::hash(p).unwrap();
        let o = Overrides {
            pin_hash: Some(h.clone()),
            ..Default::default()
        };
        AdminFile::in_dir(d).save(&o).unwrap();
        h
    }

    #[test]
    fn only_an_empty_register_may_choose_a_first_pin() {
        let damaged = PinFile::Damaged("unknown field".into());
        assert_eq!(without_pin(&PinFile::Set("h".into()), Ok(true)), None);
        assert_eq!(
            without_pin(&PinFile::Missing, Ok(true)),
            Some(NoPin::ChooseFirst)
        );
        assert_eq!(without_pin(&damaged, Ok(true)), Some(NoPin::ChooseFirst));
        assert_eq!(
            without_pin(&PinFile::Missing, Ok(false)),
            Some(NoPin::Locked { damaged: false })
        );
        assert_eq!(
            without_pin(&damaged, Ok(false)),
            Some(NoPin::Locked { damaged: true })
        );
        assert_eq!(
            without_pin(&PinFile::Missing, Err("no register".into())),
            Some(NoPin::Locked { damaged: false })
        );
    }

    #[test]
    fn the_pin_file_says_set_missing_or_damaged() {
        let d = tempfile::tempdir().unwrap();
        let f = AdminFile::in_dir(d.path());
        assert_eq!(PinFile::read(&f), PinFile::Missing);
        std::fs::write(f.path(), "operator = \"Nurse Asha\"\n").unwrap();
        assert_eq!(PinFile::read(&f), PinFile::Missing);
        std::fs::write(f.path(), "operator = \"Nurse Asha\"\ncolour = 1\n").unwrap();
        assert!(matches!(PinFile::read(&f), PinFile::Damaged(_)));
    }

    #[test]
    fn attempts_are_counted_before_the_check_and_the_right_pin_clears_them() {
        let d = tempfile::tempdir().unwrap();
        let h = with_pin(d.path(), "135790");
        let lock = LockFile::in_dir(d.path());
        let now = Utc::now;
        assert_eq!(
            attempt(&lock, &h, "000000", now),
            Verdict::Wrong(Standing::Open { left: 4 })
        );
        assert_eq!(lock.read(now()).failures, 1);
        assert_eq!(
            attempt(&lock, &h, "135790", now),
            Verdict::Right { must_change: false }
        );
        assert_eq!(lock.read(now()), Lock::default());
        for _ in 0..4 {
            attempt(&lock, &h, "000000", now);
        }
        assert!(matches!(
            attempt(&lock, &h, "000000", now),
            Verdict::Wrong(Standing::Locked { .. })
        ));
        // Locked: even the right PIN is not checked, and not counted.
        assert!(matches!(
            attempt(&lock, &h, "135790", now),
            Verdict::Locked(_)
        ));
        assert_eq!(lock.read(now()).failures, 5);
    }

    #[test]
    fn an_attempt_that_cannot_be_counted_is_not_checked() {
        let d = tempfile::tempdir().unwrap();
        let h = with_pin(d.path(), "135790");
        // A folder where nothing can be created (even by root).
        let lock = LockFile::in_dir(std::path::Path::new("/proc/self"));
        assert_eq!(attempt(&lock, &h, "135790", Utc::now), Verdict::NotCounted);
    }
}
