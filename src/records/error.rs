//! What can go wrong with the register, in the words a nurse reads, and the
//! map from operating-system and SQLite errors to those few cases: a full
//! disk, a read-only disk, a register from a newer OneMed, anything else.

use std::path::{Path, PathBuf};

/// Linux errno values (the kiosk runs on Linux; `libc` is not a dependency).
const EPERM: i32 = 1;
const EACCES: i32 = 13;
const ENOSPC: i32 = 28;
const EROFS: i32 = 30;
const EDQUOT: i32 = 122;

// The faults a nurse meets on a field kiosk are whole sentences of the
// catalogue: the screens show them in their language (`tr` of the text).
const NO_SPACE: &str = crate::i18n::n_(
    "Could not save the record: the data disk is full. The result is not shown. \
     Free space or call support.",
);
const READ_ONLY: &str = crate::i18n::n_(
    "Could not save the record: the data disk is read-only. The result is not shown. \
     Call support.",
);

/// Why the register could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("{}", NO_SPACE)]
    NoSpace,
    #[error("{}", READ_ONLY)]
    ReadOnly,
    #[error(
        "The register was written by a newer OneMed (schema {found}; this one knows up to \
         {known}). It was left untouched. Update OneMed or call support."
    )]
    TooNew { found: i64, known: i64 },
    #[error("The register's files cannot be used ({path}: {source}). Call support.")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("The register database failed ({0}). Call support.")]
    Sqlite(rusqlite::Error),
    #[error("The register is damaged ({0}). Call support.")]
    Corrupt(String),
    #[error("No such visit or record in the register.")]
    NotFound,
    #[error(
        "The register key is missing: nothing can be recorded. The kiosk needs the \
         'register-key' credential (see systemd/README.md). Call support."
    )]
    NoKey,
    #[error("The register key cannot be used: {0}. Call support.")]
    BadKey(String),
    #[error(
        "The register is encrypted and this kiosk has no key for it: nothing can be \
         shown or recorded. Call support."
    )]
    EncryptedNoKey,
    #[error(
        "The register key does not open this register (another kiosk's key, or the \
         register is damaged). It was left untouched. Call support."
    )]
    WrongKey,
    #[error(
        "The register is not encrypted yet. It was left untouched. Run \
         'onemed register encrypt --data {0}' to encrypt it, or call support."
    )]
    NotEncrypted(PathBuf),
    #[error("Could not save the record: {0}")]
    Invalid(String),
}

impl RecordsError {
    /// True when the disk or the database is at fault (not the request): the
    /// kiosk shows a storage warning and stops screening until it is fixed.
    pub fn is_storage_fault(&self) -> bool {
        !matches!(self, RecordsError::NotFound | RecordsError::Invalid(_))
    }

    /// An I/O error on `path`, with a full or read-only disk recognised.
    pub fn io(path: &Path, source: std::io::Error) -> RecordsError {
        match source.raw_os_error() {
            Some(ENOSPC | EDQUOT) => RecordsError::NoSpace,
            Some(EROFS | EACCES | EPERM) => RecordsError::ReadOnly,
            _ => RecordsError::Io {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

impl From<rusqlite::Error> for RecordsError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DiskFull) => RecordsError::NoSpace,
            Some(C::ReadOnly | C::CannotOpen | C::PermissionDenied) => RecordsError::ReadOnly,
            Some(C::DatabaseCorrupt | C::NotADatabase) => RecordsError::Corrupt(e.to_string()),
            _ => RecordsError::Sqlite(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_map_to_the_nurse_cases() {
        let p = Path::new("/x");
        let e = |n| RecordsError::io(p, std::io::Error::from_raw_os_error(n));
        assert!(matches!(e(ENOSPC), RecordsError::NoSpace));
        assert!(matches!(e(EROFS), RecordsError::ReadOnly));
        assert!(matches!(e(EACCES), RecordsError::ReadOnly));
        assert!(matches!(e(5), RecordsError::Io { .. }));
        assert!(e(ENOSPC).to_string().contains("disk is full"));
        assert!(e(ENOSPC).is_storage_fault());
        assert!(!RecordsError::NotFound.is_storage_fault());
    }

    #[test]
    fn sqlite_codes_map_to_the_nurse_cases() {
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(13), None);
        assert!(matches!(RecordsError::from(full), RecordsError::NoSpace));
        let ro = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(8), None);
        assert!(matches!(RecordsError::from(ro), RecordsError::ReadOnly));
        let busy = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(5), None);
        assert!(matches!(RecordsError::from(busy), RecordsError::Sqlite(_)));
    }

    #[test]
    fn a_full_or_read_only_disk_reads_in_every_language() {
        use crate::i18n::{tr, Lang};
        for e in [RecordsError::NoSpace, RecordsError::ReadOnly] {
            let english = e.to_string();
            for l in [Lang::Hi, Lang::Bn, Lang::Ta] {
                let said = tr(l, &english);
                assert_ne!(said, english, "{l:?}: {english}");
                assert!(!said.contains('{'), "{said}");
            }
        }
    }
}
