//! Encrypting a plain register in place (`onemed register encrypt`): every
//! table copied into a new SQLCipher file, every picture sealed, all of it
//! checked with the key, and only then the plain database replaced and its
//! old bytes overwritten. Interrupted at any point, the register is whole
//! (plain, or encrypted and checked) and running the command again finishes.

use super::image_file;
use super::schema::{self, FileKind};
use super::store::DB_FILE;
use super::{sealed, Protection, RecordsError, RegisterKey};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// What the migration did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Encrypted {
    pub tables: usize,
    pub rows: u64,
    pub pictures_sealed: usize,
    /// Pictures found already sealed (an earlier, interrupted run).
    pub pictures_already: usize,
    /// False when the register was already encrypted (nothing to do).
    pub changed: bool,
}

impl std::fmt::Display for Encrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.changed {
            return write!(f, "The register is already encrypted; nothing to do.");
        }
        write!(
            f,
            "The register is encrypted: {} rows in {} tables, {} pictures sealed ({} were already). \
             The plain database was overwritten and removed.",
            self.rows, self.tables, self.pictures_sealed, self.pictures_already
        )
    }
}

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Encrypts the plain register in `data_dir` with `key`.
pub fn encrypt_register(data_dir: &Path, key: &RegisterKey) -> Result<Encrypted, RecordsError> {
    let db = data_dir.join(DB_FILE);
    let backup = sibling(&db, ".plain");
    let protection = Protection::Encrypted(key.clone());
    match schema::file_kind(&db)? {
        FileKind::New => {
            return Err(RecordsError::Invalid(format!(
                "there is no register at {}",
                data_dir.display()
            )))
        }
        FileKind::Encrypted => {
            // Checks the key opens it; finishes an interrupted run.
            drop(schema::open(&db, &protection)?);
            wipe(&backup)?;
            return Ok(Encrypted::default());
        }
        FileKind::Plain => {}
    }
    // The plain register at this build's schema, its log emptied into it.
    let plain = schema::open(&db, &Protection::Plain)?;
    if plain.read_only {
        return Err(RecordsError::ReadOnly);
    }
    let conn = plain.conn;
    let mut out = Encrypted {
        changed: true,
        ..Encrypted::default()
    };
    let pictures: Vec<(String, String)> = {
        let mut stmt = conn.prepare("SELECT image_file, image_sha256 FROM records")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;

    // The database first: a copy that fails leaves everything as it was.
    let next = sibling(&db, ".encrypting");
    wipe(&next)?;
    let copied = image_file::write_temp(&next, &[])
        .and_then(|()| copy_into(&conn, &next, &protection))
        .and_then(|(tables, rows)| {
            verify_rows(&next, &protection, rows)?;
            Ok((tables, rows))
        });
    let (tables, rows) = match copied {
        Ok(c) => c,
        Err(e) => {
            let _ = wipe(&next);
            return Err(e);
        }
    };
    out.tables = tables;
    out.rows = rows;
    drop(conn);
    // Then the pictures, each sealed in place; an interruption here leaves
    // the plain database in use, and running again seals the rest.
    for (rel, sha) in &pictures {
        if seal_picture(data_dir, key, rel, sha)? {
            out.pictures_sealed += 1;
        } else {
            out.pictures_already += 1;
        }
    }
    verify_pictures(&next, &protection, data_dir, key)?;

    // Swap: the plain file stays reachable as `.plain` until the encrypted
    // one has its name, then its bytes are overwritten.
    let wal = sibling(&db, "-wal");
    if std::fs::metadata(&wal)
        .map(|m| m.len() > 0)
        .unwrap_or(false)
    {
        return Err(RecordsError::Invalid(
            "the register is in use (its log is not empty): stop the kiosk first".into(),
        ));
    }
    for f in [wal, sibling(&db, "-shm")] {
        let _ = std::fs::remove_file(f);
    }
    wipe(&backup)?;
    std::fs::hard_link(&db, &backup).map_err(|e| RecordsError::io(&backup, e))?;
    std::fs::rename(&next, &db).map_err(|e| RecordsError::io(&db, e))?;
    image_file::sync_dir(data_dir)?;
    wipe(&backup)?;
    log::info!("{out}");
    Ok(out)
}

/// Seals one picture in place (sealed temp, then renamed over the plain
/// file, whose old bytes are overwritten); false when already sealed.
fn seal_picture(
    data_dir: &Path,
    key: &RegisterKey,
    rel: &str,
    sha: &str,
) -> Result<bool, RecordsError> {
    let path = data_dir.join(rel);
    let data = std::fs::read(&path).map_err(|e| RecordsError::io(&path, e))?;
    if sealed::is_sealed(&data) {
        sealed::open(key.images(), rel, sha, &data)?;
        return Ok(false);
    }
    if image_file::sha256_hex(&data) != sha {
        return Err(RecordsError::Corrupt(format!(
            "the picture {rel} no longer matches its recorded sha256; nothing was changed"
        )));
    }
    let sealed_bytes = sealed::seal(key.images(), sha, &data)?;
    let dir = path
        .parent()
        .ok_or_else(|| RecordsError::Invalid(format!("bad picture path {rel}")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".sealing-{name}"));
    let old = dir.join(format!(".plain-{name}"));
    wipe(&tmp)?;
    wipe(&old)?;
    image_file::write_temp(&tmp, &sealed_bytes)?;
    std::fs::hard_link(&path, &old).map_err(|e| RecordsError::io(&old, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| RecordsError::io(&path, e))?;
    image_file::sync_dir(dir)?;
    wipe(&old)?;
    Ok(true)
}

/// The database's own tables, in the order they were made.
fn table_names(conn: &Connection) -> Result<Vec<String>, RecordsError> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Copies every table of `conn` into a new encrypted database at `next`;
/// returns the tables and rows copied.
fn copy_into(
    conn: &Connection,
    next: &Path,
    protection: &Protection,
) -> Result<(usize, u64), RecordsError> {
    let tables = table_names(conn)?;
    let dest = schema::open(next, protection)?.conn;
    // A whole copy: the references hold once every table is in.
    dest.execute_batch("PRAGMA foreign_keys = OFF")?;
    let src_path = conn
        .path()
        .map(str::to_string)
        .ok_or_else(|| RecordsError::Invalid("the register has no file".into()))?;
    dest.execute("ATTACH DATABASE ?1 AS plain KEY ''", [&src_path])?;
    let mut rows = 0u64;
    dest.execute_batch("BEGIN IMMEDIATE")?;
    let copied = (|| -> Result<(), RecordsError> {
        for t in &tables {
            let quoted = t.replace('"', "\"\"");
            rows += dest.execute(
                &format!("INSERT INTO main.\"{quoted}\" SELECT * FROM plain.\"{quoted}\""),
                [],
            )? as u64;
        }
        Ok(())
    })();
    match copied {
        Ok(()) => dest.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = dest.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    dest.execute_batch("DETACH DATABASE plain")?;
    dest.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok((tables.len(), rows))
}

/// Reopens the new file with the key: SQLite's integrity check and the
/// same number of rows.
fn verify_rows(next: &Path, protection: &Protection, rows: u64) -> Result<(), RecordsError> {
    let conn = schema::open(next, protection)?.conn;
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(RecordsError::Corrupt(format!(
            "the encrypted copy failed its check ({check}); the plain register is unchanged"
        )));
    }
    let tables = table_names(&conn)?;
    let mut found = 0u64;
    for t in &tables {
        let quoted = t.replace('"', "\"\"");
        found += conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| {
            r.get::<_, i64>(0)
        })? as u64;
    }
    if found != rows {
        return Err(RecordsError::Corrupt(format!(
            "the encrypted copy holds {found} rows, not {rows}; the plain register is unchanged"
        )));
    }
    let fk: Option<String> = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .ok();
    if let Some(table) = fk {
        return Err(RecordsError::Corrupt(format!(
            "the encrypted copy has broken references in {table}; the plain register is unchanged"
        )));
    }
    Ok(())
}

/// Every picture opens with the key to its recorded sha256.
fn verify_pictures(
    next: &Path,
    protection: &Protection,
    data_dir: &Path,
    key: &RegisterKey,
) -> Result<(), RecordsError> {
    let conn = schema::open(next, protection)?.conn;
    let mut stmt = conn.prepare("SELECT image_file, image_sha256 FROM records")?;
    let pictures = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for p in pictures {
        let (rel, sha) = p?;
        let path = data_dir.join(&rel);
        let data = std::fs::read(&path).map_err(|e| RecordsError::io(&path, e))?;
        let plain = sealed::open(key.images(), &rel, &sha, &data)?;
        if image_file::sha256_hex(&plain) != sha {
            return Err(RecordsError::Corrupt(format!(
                "the picture {rel} did not verify"
            )));
        }
    }
    Ok(())
}

/// Overwrites a file with zeros, then removes it; nothing when absent.
fn wipe(path: &Path) -> Result<(), RecordsError> {
    if !path.exists() {
        return Ok(());
    }
    let (dir, name) = match (path.parent(), path.file_name()) {
        (Some(d), Some(n)) => (d, n.to_string_lossy().into_owned()),
        _ => return Ok(()),
    };
    image_file::remove(dir, &name).map(|_| ())
}
