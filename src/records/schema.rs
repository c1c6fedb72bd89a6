//! The register's schema and its versioned migrations, and opening the
//! database: read-write with WAL and full sync, or read-only when the disk is,
//! and never touching a database written by a newer OneMed.
//!
//! `PRAGMA user_version` is the number of steps of [`MIGRATIONS`] applied;
//! each step runs in its own transaction together with the version bump, so
//! a crash leaves the schema at one version or the next, never between.

use super::{Protection, RecordsError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// The ordered schema steps; step `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: visits and the analysis records.
    "CREATE TABLE visits (
        id            INTEGER PRIMARY KEY,
        started_utc   TEXT NOT NULL,
        started_local TEXT NOT NULL,
        local_date    TEXT NOT NULL,
        kiosk_id      TEXT NOT NULL,
        operator      TEXT NOT NULL,
        patient_id    TEXT NOT NULL,
        age           INTEGER,
        sex           TEXT CHECK (sex IN ('female', 'male', 'other')),
        referral      TEXT,
        finished_utc  TEXT,
        printed_text  TEXT,
        printed_count INTEGER NOT NULL DEFAULT 0,
        printed_utc   TEXT
    ) STRICT;
    CREATE TABLE records (
        id            INTEGER PRIMARY KEY,
        visit         INTEGER NOT NULL REFERENCES visits(id),
        time_utc      TEXT NOT NULL,
        time_local    TEXT NOT NULL,
        kiosk_id      TEXT NOT NULL,
        operator      TEXT NOT NULL,
        patient_id    TEXT NOT NULL,
        tool          TEXT NOT NULL,
        eye           TEXT CHECK (eye IN ('left', 'right')),
        source        TEXT NOT NULL,
        image_file    TEXT NOT NULL UNIQUE,
        image_sha256  TEXT NOT NULL,
        image_bytes   INTEGER NOT NULL,
        model_id      TEXT NOT NULL,
        model_version TEXT NOT NULL,
        model_sha256  TEXT NOT NULL,
        device        TEXT NOT NULL,
        precision     TEXT NOT NULL,
        probabilities TEXT NOT NULL,
        outcome       TEXT NOT NULL CHECK (outcome IN ('finding', 'inconclusive', 'rejected')),
        class         TEXT,
        refer         INTEGER NOT NULL,
        confidence    REAL,
        margin        REAL,
        reason_code   TEXT,
        reason        TEXT,
        shown_kind    TEXT NOT NULL,
        headline      TEXT NOT NULL,
        advice        TEXT NOT NULL,
        input_sha256  TEXT NOT NULL,
        width         INTEGER NOT NULL,
        height        INTEGER NOT NULL,
        quality       TEXT NOT NULL,
        timings_ms    TEXT NOT NULL,
        exported_at   TEXT
    ) STRICT;",
    // 2: the lookups the screens make (a day's visits, a patient, a visit's
    // records, what is not exported yet).
    "CREATE INDEX visits_by_day ON visits(local_date);
    CREATE INDEX visits_by_patient ON visits(patient_id);
    CREATE INDEX records_by_visit ON records(visit);
    CREATE INDEX records_by_time ON records(time_utc);",
    // 3: the visit decision as a code, with the parts behind it as JSON
    // (refer, not screened with the nurse's reason, not assessed).
    "ALTER TABLE visits ADD COLUMN decision TEXT
        CHECK (decision IN ('refer', 'refer-incomplete', 'no-referral'));
    ALTER TABLE visits ADD COLUMN decision_parts TEXT;",
    // 4: the nurses who sign in: a name (unique whatever its case), her own
    // PIN as an argon2 PHC string, whether she may still sign in, and her
    // wrong PINs in a row with the lock they earned (kept across restarts).
    "CREATE TABLE operators (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL COLLATE NOCASE UNIQUE
                     CHECK (length(trim(name)) BETWEEN 1 AND 40),
        pin_hash     TEXT NOT NULL,
        created_utc  TEXT NOT NULL,
        active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
        locked_until TEXT
    ) STRICT;",
    // 5: the patient's language (its code, "hi"), which her slip was
    // printed in; NULL for visits before languages (English slips).
    "ALTER TABLE visits ADD COLUMN language TEXT
        CHECK (language IS NULL OR length(language) BETWEEN 2 AND 8);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another (the CLI export beside the kiosk).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open database and whether it can be written.
pub struct Opened {
    pub conn: Connection,
    pub read_only: bool,
}

/// The first bytes of a plain SQLite database file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What the database file on disk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// No file yet, or an empty one.
    New,
    /// A plain SQLite database.
    Plain,
    /// Anything else: SQLCipher (or damage; the key check tells).
    Encrypted,
}

/// Looks at the first bytes of the database file.
pub fn file_kind(db: &Path) -> Result<FileKind, RecordsError> {
    use std::io::Read;
    let mut f = match std::fs::File::open(db) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::New),
        Err(e) => return Err(RecordsError::io(db, e)),
    };
    let mut head = Vec::with_capacity(16);
    f.by_ref()
        .take(16)
        .read_to_end(&mut head)
        .map_err(|e| RecordsError::io(db, e))?;
    Ok(if head.is_empty() {
        FileKind::New
    } else if head.as_slice() == PLAIN_HEADER {
        FileKind::Plain
    } else {
        FileKind::Encrypted
    })
}

/// Refuses a register that does not match its protection: a plain file
/// with a key, an encrypted one without.
fn check_kind(db: &Path, protection: &Protection) -> Result<(), RecordsError> {
    match (file_kind(db)?, protection) {
        (FileKind::Plain, Protection::Encrypted(_)) => Err(RecordsError::NotEncrypted(
            db.parent().map(Path::to_path_buf).unwrap_or_default(),
        )),
        (FileKind::Encrypted, Protection::Plain) => Err(RecordsError::EncryptedNoKey),
        _ => Ok(()),
    }
}

/// Gives the connection its key (first, before anything reads the file) and
/// checks that the key opens the database. Also turns on secure delete:
/// deleted rows are overwritten, not just unlinked.
pub fn unlock(conn: &Connection, protection: &Protection) -> Result<(), RecordsError> {
    if let Protection::Encrypted(key) = protection {
        // Our own message says what a wrong key means; SQLCipher's page
        // errors on stderr would only add noise.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        let pragma = key.sqlcipher_pragma();
        let sql = zeroize::Zeroizing::new(format!("PRAGMA key = \"{}\";", pragma.as_str()));
        conn.execute_batch(&sql)?;
    }
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {}
        Err(e)
            if protection.is_encrypted()
                && e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) =>
        {
            return Err(RecordsError::WrongKey)
        }
        Err(e) => return Err(e.into()),
    }
    conn.execute_batch("PRAGMA secure_delete = ON;")?;
    Ok(())
}

/// Opens (creating when needed) and migrates the register read-write; when the
/// disk refuses writes but the database exists, opens it read-only instead.
pub fn open(db: &Path, protection: &Protection) -> Result<Opened, RecordsError> {
    check_kind(db, protection)?;
    match open_read_write(db, protection) {
        Ok(conn) => Ok(Opened {
            conn,
            read_only: false,
        }),
        Err(RecordsError::ReadOnly) if db.exists() => {
            log::warn!(
                "{}: the disk refuses writes, opening read-only",
                db.display()
            );
            let conn = open_read_only(db, protection)?;
            Ok(Opened {
                conn,
                read_only: true,
            })
        }
        Err(e) => Err(e),
    }
}

fn open_read_write(db: &Path, protection: &Protection) -> Result<Connection, RecordsError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    unlock(&conn, protection)?;
    // Refuse a newer database before anything writes to it (WAL mode does).
    check_version(&conn)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(RecordsError::ReadOnly);
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    migrate(&conn)?;
    Ok(conn)
}

fn open_read_only(db: &Path, protection: &Protection) -> Result<Connection, RecordsError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let plain = Connection::open_with_flags(db, flags)
        .map_err(RecordsError::from)
        .and_then(|c| unlock(&c, protection).map(|()| c))
        .and_then(|c| check_version(&c).map(|v| (c, v)));
    let (conn, found) = match plain {
        Ok(cv) => cv,
        // A WAL database whose -shm file cannot be created (a read-only
        // mount after a clean close): nothing can change it, so open it as
        // immutable.
        Err(RecordsError::ReadOnly) => {
            log::warn!("{}: opening as immutable (read-only disk)", db.display());
            let conn =
                Connection::open_with_flags(immutable_uri(db), flags | OpenFlags::SQLITE_OPEN_URI)?;
            unlock(&conn, protection)?;
            let v = check_version(&conn)?;
            (conn, v)
        }
        Err(e) => return Err(e),
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if found < SCHEMA_VERSION {
        // An old schema cannot be upgraded on a read-only disk.
        return Err(RecordsError::ReadOnly);
    }
    Ok(conn)
}

/// `file:<path>?immutable=1`, the path percent-encoded where URIs need it.
fn immutable_uri(db: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in db.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// The database's schema version; `TooNew` when it is newer than this build.
pub fn check_version(conn: &Connection) -> Result<i64, RecordsError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(RecordsError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Applies the missing steps in order, each in one transaction with its
/// version bump. Another process migrating at the same time is waited for.
pub fn migrate(conn: &Connection) -> Result<(), RecordsError> {
    loop {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let step = check_version(conn).and_then(|v| {
            let Some(sql) = MIGRATIONS.get(v as usize) else {
                return Ok(false);
            };
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!("PRAGMA user_version = {}", v + 1))?;
            log::info!("register schema migrated to version {}", v + 1);
            Ok(true)
        });
        match step {
            Ok(more) => {
                conn.execute_batch(if more { "COMMIT" } else { "ROLLBACK" })?;
                if !more {
                    return Ok(());
                }
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_applies_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        assert_eq!(check_version(&conn).unwrap(), SCHEMA_VERSION);
        // Idempotent: nothing left to do.
        migrate(&conn).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'records_by_%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn step_4_adds_the_nurses_to_a_register_that_has_visits() {
        let conn = Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS[..3].iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO visits (started_utc, started_local, local_date, kiosk_id, operator,
                patient_id) VALUES ('t', 't', '2026-12-01', 'k', 'Nurse Asha', 'PAT-1')",
        )
        .unwrap();
        migrate(&conn).unwrap();
        assert_eq!(check_version(&conn).unwrap(), SCHEMA_VERSION);
        let (op, lang): (String, Option<String>) = conn
            .query_row("SELECT operator, language FROM visits", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(op, "Nurse Asha", "the visits are kept");
        // Step 5: a visit from before languages has none (its slip was English).
        assert_eq!(lang, None);
        let add = |name: &str| {
            conn.execute(
                "INSERT INTO operators (name, pin_hash, created_utc) VALUES (?1, 'h', 't')",
                [name],
            )
        };
        add("Asha").unwrap();
        assert!(add("ASHA").is_err(), "names are unique whatever their case");
        assert!(add("  ").is_err(), "a blank name is refused");
        assert!(add(&"x".repeat(41)).is_err(), "at most 40 characters");
        let (active, failures): (i64, i64) = conn
            .query_row("SELECT active, failures FROM operators", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((active, failures), (1, 0));
    }

    #[test]
    fn immutable_uris_escape_the_path() {
        assert_eq!(
            immutable_uri(Path::new("/data/a b?#%.db")),
            "file:/data/a%20b%3F%23%25.db?immutable=1"
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
            .unwrap();
        assert!(matches!(
            migrate(&conn),
            Err(RecordsError::TooNew { found, known }) if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION
        ));
    }
}
