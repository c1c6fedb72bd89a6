//! Export of the register for the camp's paperwork: CSV, JSON and images,
//! written atomically to a USB stick or a folder.
//!
//! Everything goes into a hidden temp folder `<dir>/.onemed-export-….tmp`,
//! each file and folder fsynced, then the folder is renamed to
//! `<dir>/onemed-<kiosk>-<YYYYmmdd-HHMMSS>`; on any failure the temp folder is
//! removed, so a stick never holds half an export. Image copies are hashed
//! while copying and must match the sha256 in the register. Only then are the
//! records marked exported.

mod table;

pub use table::{record_row, CSV_COLUMNS, VISIT_CSV_COLUMNS};

use crate::records::{self, RecordsError, Store, StoredRecord, VisitDetail, VisitId};
use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// The export folder.
    pub dir: PathBuf,
    pub records: usize,
    pub visits: usize,
    pub images: usize,
    /// Bytes written (CSV, JSON and images).
    pub bytes: u64,
}

impl std::fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Exported {} records from {} visits ({}) to {}.",
            self.records,
            self.visits,
            records::human_bytes(self.bytes),
            self.dir.display()
        )
    }
}

/// Why nothing was exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("Could not export: the destination is full. Nothing was written. Use a larger USB stick or free space on it.")]
    NoSpace,
    #[error("Could not export: the destination is read-only. Nothing was written. Use another USB stick or unlock it.")]
    ReadOnly,
    #[error("Could not export: {0} is not a folder.")]
    NotADirectory(PathBuf),
    #[error("Could not export: the image {file} no longer matches its recorded sha256 (the data disk may be failing). Nothing was written. Call support.")]
    ImageMismatch { file: String },
    #[error(transparent)]
    Records(#[from] RecordsError),
    #[error("Could not export: {path}: {source}. Nothing was written.")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// An I/O error at the destination, with a full or read-only one recognised.
fn io_err(path: &Path, source: std::io::Error) -> ExportError {
    match source.raw_os_error() {
        Some(28 | 122) => ExportError::NoSpace,     // ENOSPC, EDQUOT
        Some(30 | 13 | 1) => ExportError::ReadOnly, // EROFS, EACCES, EPERM
        _ => ExportError::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn csv_err(e: csv::Error) -> ExportError {
    ExportError::Io {
        path: PathBuf::from("CSV"),
        source: std::io::Error::other(e),
    }
}

/// The start of a local calendar day, in UTC (for `--since`).
pub fn local_day_start(day: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    Some(
        Local
            .from_local_datetime(&midnight)
            .earliest()?
            .with_timezone(&Utc),
    )
}

/// Exports the records made since `since` (all when `None`) into a new
/// folder in `dir`, then marks them exported.
pub fn export(
    store: &mut Store,
    dir: &Path,
    since: Option<DateTime<Utc>>,
) -> Result<ExportSummary, ExportError> {
    if !dir.is_dir() {
        return Err(ExportError::NotADirectory(dir.to_path_buf()));
    }
    let records = store.records_since(since)?;
    let mut by_visit: BTreeMap<VisitId, Vec<StoredRecord>> = BTreeMap::new();
    for r in records {
        by_visit.entry(r.visit).or_default().push(r);
    }
    let mut visits = Vec::with_capacity(by_visit.len());
    for (id, records) in by_visit {
        let visit = store.visit_summary(id)?.ok_or(RecordsError::NotFound)?;
        visits.push(VisitDetail { visit, records });
    }
    let kiosk = store.latest_kiosk_id()?.unwrap_or_else(|| "kiosk".into());
    let now = Utc::now();
    let tmp = dir.join(format!(
        ".onemed-export-{}-{}.tmp",
        std::process::id(),
        now.timestamp_nanos_opt().unwrap_or_default()
    ));
    let written = write_all(store, &tmp, &visits, &kiosk, now, since)
        .and_then(|bytes| Ok((bytes, publish(&tmp, dir, &kiosk, now)?)));
    let (bytes, out) = match written {
        Ok(w) => w,
        Err(e) => {
            if tmp.exists() {
                if let Err(rm) = std::fs::remove_dir_all(&tmp) {
                    log::error!(
                        "cannot remove the unfinished export {}: {rm}",
                        tmp.display()
                    );
                }
            }
            return Err(e);
        }
    };
    let ids: Vec<_> = visits
        .iter()
        .flat_map(|v| v.records.iter().map(|r| r.id))
        .collect();
    if let Err(e) = store.mark_exported(&ids, now) {
        // Keep the two in step: an export that is not marked is not kept.
        let _ = std::fs::remove_dir_all(&out);
        let _ = sync_dir(dir);
        return Err(e.into());
    }
    let summary = ExportSummary {
        dir: out,
        records: ids.len(),
        visits: visits.len(),
        images: ids.len(),
        bytes,
    };
    log::info!("{summary}");
    Ok(summary)
}

/// Renames the finished temp folder to its final, unused name.
fn publish(
    tmp: &Path,
    dir: &Path,
    kiosk: &str,
    now: DateTime<Utc>,
) -> Result<PathBuf, ExportError> {
    let base = format!(
        "onemed-{}-{}",
        safe_name(kiosk),
        now.with_timezone(&Local).format("%Y%m%d-%H%M%S")
    );
    for n in 1..100 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let out = dir.join(name);
        if out.exists() {
            continue;
        }
        std::fs::rename(tmp, &out).map_err(|e| io_err(&out, e))?;
        sync_dir(dir)?;
        return Ok(out);
    }
    Err(ExportError::Io {
        path: dir.join(base),
        source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    })
}

/// A kiosk ID fit for a file name on any stick (FAT too).
fn safe_name(s: &str) -> String {
    let n: String = s
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if n.is_empty() {
        "kiosk".into()
    } else {
        n
    }
}

#[derive(Serialize)]
struct JsonExport<'a> {
    format: &'static str,
    kiosk_id: &'a str,
    exported_utc: String,
    since_utc: Option<String>,
    visits: &'a [VisitDetail],
}

/// Writes every file into `tmp`; returns the bytes written.
fn write_all(
    store: &Store,
    tmp: &Path,
    visits: &[VisitDetail],
    kiosk: &str,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
) -> Result<u64, ExportError> {
    make_dir(tmp)?;
    let mut bytes = 0;
    bytes += write_file(
        &tmp.join("records.csv"),
        &table::records_csv(visits).map_err(csv_err)?,
    )?;
    bytes += write_file(
        &tmp.join("visits.csv"),
        &table::visits_csv(visits).map_err(csv_err)?,
    )?;
    let json = JsonExport {
        format: "onemed-export-1",
        kiosk_id: kiosk,
        exported_utc: records::utc_text(&now),
        since_utc: since.as_ref().map(records::utc_text),
        visits,
    };
    let text = serde_json::to_vec_pretty(&json).map_err(|e| ExportError::Io {
        path: tmp.join("records.json"),
        source: std::io::Error::other(e),
    })?;
    bytes += write_file(&tmp.join("records.json"), &text)?;
    let mut dirs = vec![tmp.to_path_buf()];
    for r in visits.iter().flat_map(|v| &v.records) {
        let rel = safe_relative(&r.image_file).ok_or_else(|| ExportError::ImageMismatch {
            file: r.image_file.clone(),
        })?;
        let dst = tmp.join(rel);
        if let Some(parent) = dst.parent() {
            if !parent.is_dir() {
                make_dir(parent)?;
                let mut p = parent;
                while p != tmp {
                    dirs.push(p.to_path_buf());
                    p = p.parent().unwrap_or(tmp);
                }
            }
        }
        bytes += copy_verified(&store.image_path(r), &dst, &r.image_sha256, &r.image_file)?;
    }
    // Deepest folders first, the export folder last.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    dirs.dedup();
    for d in &dirs {
        sync_dir(d)?;
    }
    Ok(bytes)
}

/// A stored relative image path, refused when it could leave the export folder.
fn safe_relative(rel: &str) -> Option<&Path> {
    let p = Path::new(rel);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(p)
}

fn make_dir(d: &Path) -> Result<(), ExportError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(d)
        .map_err(|e| io_err(d, e))
}

fn sync_dir(d: &Path) -> Result<(), ExportError> {
    match File::open(d).and_then(|f| f.sync_all()) {
        Ok(()) => Ok(()),
        // Some stick file systems cannot fsync a folder; the files are synced.
        Err(e) if e.raw_os_error() == Some(22) => Ok(()),
        Err(e) => Err(io_err(d, e)),
    }
}

fn create(path: &Path) -> Result<File, ExportError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io_err(path, e))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<u64, ExportError> {
    let mut f = create(path)?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_err(path, e))?;
    Ok(bytes.len() as u64)
}

/// Copies an image, hashing what is read; a hash that differs from the
/// register's is an error.
fn copy_verified(src: &Path, dst: &Path, sha256: &str, rel: &str) -> Result<u64, ExportError> {
    let mut input = File::open(src).map_err(|e| ExportError::Io {
        path: src.to_path_buf(),
        source: e,
    })?;
    let mut out = create(dst)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(|e| ExportError::Io {
            path: src.to_path_buf(),
            source: e,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(|e| io_err(dst, e))?;
        total += n as u64;
    }
    out.sync_all().map_err(|e| io_err(dst, e))?;
    let got: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if got != sha256 {
        return Err(ExportError::ImageMismatch { file: rel.into() });
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosk_names_are_safe_for_any_stick() {
        assert_eq!(safe_name("camp 3/A:1"), "camp_3_A_1");
        assert_eq!(safe_name(""), "kiosk");
    }

    #[test]
    fn stored_paths_cannot_leave_the_export() {
        assert!(safe_relative("images/2026/01/01/a.jpg").is_some());
        assert!(safe_relative("../etc/passwd").is_none());
        assert!(safe_relative("/etc/passwd").is_none());
    }

    #[test]
    fn destination_errors_read_as_full_or_read_only() {
        let p = Path::new("/x");
        assert!(matches!(
            io_err(p, std::io::Error::from_raw_os_error(28)),
            ExportError::NoSpace
        ));
        assert!(matches!(
            io_err(p, std::io::Error::from_raw_os_error(30)),
            ExportError::ReadOnly
        ));
        assert!(matches!(
            io_err(p, std::io::Error::from_raw_os_error(5)),
            ExportError::Io { .. }
        ));
    }

    #[test]
    fn the_summary_reads_as_a_sentence() {
        let s = ExportSummary {
            dir: PathBuf::from("/media/usb/onemed-k-20260101-101010"),
            records: 42,
            visits: 17,
            images: 42,
            bytes: 12_300_000,
        };
        assert_eq!(
            s.to_string(),
            "Exported 42 records from 17 visits (12.3 MB) to /media/usb/onemed-k-20260101-101010."
        );
    }

    #[test]
    fn a_local_day_starts_at_local_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let t = local_day_start(d).unwrap().with_timezone(&Local);
        assert_eq!(t.date_naive(), d);
        assert_eq!(t.format("%H:%M:%S").to_string(), "00:00:00");
    }
}
