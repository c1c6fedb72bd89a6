//! Export of the register for the camp's paperwork: CSV, JSON and images,
//! written atomically to a USB stick or a folder.
//!
//! Encrypted (the default): one file `<dir>/onemed-<kiosk>-<YYYYmmdd-HHMMSS>.tar.age`,
//! a tar of the export folder encrypted to the programme's `age` recipients;
//! the head office reads it with `age -d -i key.txt FILE | tar x`. Nothing
//! readable ever touches the stick. Plain (only with `plain_export = true`):
//! the folder itself. Either is first written under a hidden temp name,
//! fsynced, then renamed; on any failure the temp is removed, so a stick
//! never holds half an export. Each picture is read back through the
//! register (opened when sealed) and must match the sha256 in its record.
//! Only then are the records marked exported.

mod sink;
mod table;

pub use sink::Sealing;

pub use table::{record_row, CSV_COLUMNS, VISIT_CSV_COLUMNS};

use crate::records::{self, RecordsError, Store, StoredRecord, VisitDetail, VisitId};
use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// The export: a `.tar.age` file, or a folder when plain.
    pub path: PathBuf,
    /// The number of `age` recipients it is encrypted to; 0 when plain.
    pub recipients: usize,
    pub records: usize,
    pub visits: usize,
    pub images: usize,
    /// Bytes written (CSV, JSON and images).
    pub bytes: u64,
}

impl ExportSummary {
    /// The summary naming where it went in `to` (the kiosk's one line says
    /// "the USB stick" where the path would not fit).
    pub fn said_to(&self, to: &str) -> String {
        let sealed = match self.recipients {
            0 => ", NOT encrypted: anyone with the stick can read it.".to_string(),
            1 => ", encrypted to the programme's key.".to_string(),
            n => format!(", encrypted to {n} programme keys."),
        };
        format!(
            "Exported {} records from {} visits ({}) to {to}{sealed}",
            self.records,
            self.visits,
            records::human_bytes(self.bytes),
        )
    }
}

impl std::fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.said_to(&self.path.display().to_string()))
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
    #[error("Could not export: no export key is set, and exports are never written unencrypted. Nothing was written. Ask the admin to set the programme's age key (export_recipients in kiosk.toml).")]
    NoRecipients,
    #[error("Could not export: the export key {0:?} is not an age public key (age1…). Nothing was written. Ask the admin to correct export_recipients in kiosk.toml.")]
    BadRecipient(String),
    #[error("Could not export: encryption failed ({0}). Nothing was written. Call support.")]
    Encrypt(String),
    #[error("Could not export: the export would be larger than {}, the most one file can be on this USB stick (FAT32). Nothing was written. Use a stick formatted exFAT, or export fewer days (onemed export --since).", records::human_bytes(*limit))]
    TooLargeForStick { limit: u64 },
    #[error("Could not export: the USB stick was taken out too soon. No record was marked exported; export again.")]
    StickGone,
    #[error("Could not export: {0}. Nothing was written. Take the stick out, put it back and try again.")]
    Stick(#[from] crate::sticks::StickError),
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
/// `.tar.age` file (or plain folder) in `dir`, then marks them exported.
pub fn export(
    store: &mut Store,
    dir: &Path,
    since: Option<DateTime<Utc>>,
    sealing: &Sealing,
) -> Result<ExportSummary, ExportError> {
    if !dir.is_dir() {
        return Err(ExportError::NotADirectory(dir.to_path_buf()));
    }
    let mount = crate::sticks::mount_holding(dir);
    remove_unfinished(dir);
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
    let base = format!(
        "onemed-{}-{}",
        safe_name(&kiosk),
        now.with_timezone(&Local).format("%Y%m%d-%H%M%S")
    );
    let tmp = dir.join(format!(
        ".onemed-export-{}-{}.tmp",
        std::process::id(),
        now.timestamp_nanos_opt().unwrap_or_default()
    ));
    let written = sink::Sink::create(sealing, &tmp, &base, crate::sticks::fat_limit(dir))
        .and_then(|mut out| {
            let bytes = write_all(store, &mut out, &visits, &kiosk, now, since)?;
            out.finish()?;
            Ok(bytes)
        })
        .and_then(|bytes| Ok((bytes, publish(&tmp, dir, &base, sealing.suffix())?)));
    let (bytes, out) = match written {
        Ok(w) => w,
        Err(e) => {
            remove_any(&tmp);
            // Taken out half-way: say that, not the I/O error it caused.
            return Err(match &mount {
                Some(m) if !crate::sticks::still_mounted(m) => {
                    log::error!("export: {e}, and {} was unmounted", m.0.display());
                    ExportError::StickGone
                }
                _ => e,
            });
        }
    };
    // A stick pulled out while the export was written (its mount gone from
    // the table: the files went nowhere a nurse can take away) does not
    // count, however well the writes went.
    if let Some(m) = &mount {
        if !crate::sticks::still_mounted(m) {
            log::error!("export: {} was unmounted during the export", m.0.display());
            return Err(ExportError::StickGone);
        }
    }
    let ids: Vec<_> = visits
        .iter()
        .flat_map(|v| v.records.iter().map(|r| r.id))
        .collect();
    if let Err(e) = store.mark_exported(&ids, now) {
        // Keep the two in step: an export that is not marked is not kept.
        remove_any(&out);
        let _ = sync_dir(dir);
        return Err(e.into());
    }
    let summary = ExportSummary {
        path: out,
        recipients: sealing.recipients(),
        records: ids.len(),
        visits: visits.len(),
        images: ids.len(),
        bytes,
    };
    log::info!("{summary}");
    Ok(summary)
}

/// Removes what an export cut short left (a stick pulled out half-way
/// keeps its temp file): a stick never holds half an export for long.
fn remove_unfinished(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".onemed-export-") && name.ends_with(".tmp") {
            log::warn!("export: removing {name}, left by an export cut short");
            remove_any(&e.path());
        }
    }
}

/// Removes an unfinished or unwanted export, file or folder.
fn remove_any(p: &Path) {
    let r = if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    };
    match r {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => log::error!("cannot remove the unfinished export {}: {e}", p.display()),
    }
}

/// Renames the finished temp file or folder to its final, unused name.
fn publish(tmp: &Path, dir: &Path, base: &str, suffix: &str) -> Result<PathBuf, ExportError> {
    for n in 1..100 {
        let name = if n == 1 {
            format!("{base}{suffix}")
        } else {
            format!("{base}-{n}{suffix}")
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

/// Writes every file into the sink; returns the bytes written.
fn write_all(
    store: &Store,
    out: &mut sink::Sink,
    visits: &[VisitDetail],
    kiosk: &str,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
) -> Result<u64, ExportError> {
    let mut bytes = 0;
    bytes += out.file("records.csv", &table::records_csv(visits).map_err(csv_err)?)?;
    bytes += out.file("visits.csv", &table::visits_csv(visits).map_err(csv_err)?)?;
    let json = JsonExport {
        format: "onemed-export-1",
        kiosk_id: kiosk,
        exported_utc: records::utc_text(&now),
        since_utc: since.as_ref().map(records::utc_text),
        visits,
    };
    let text = serde_json::to_vec_pretty(&json).map_err(|e| ExportError::Io {
        path: PathBuf::from("records.json"),
        source: std::io::Error::other(e),
    })?;
    bytes += out.file("records.json", &text)?;
    for r in visits.iter().flat_map(|v| &v.records) {
        let rel = safe_relative(&r.image_file).ok_or_else(|| ExportError::ImageMismatch {
            file: r.image_file.clone(),
        })?;
        let image = store.read_image(r).map_err(|e| match e {
            RecordsError::Corrupt(_) => ExportError::ImageMismatch {
                file: r.image_file.clone(),
            },
            e => e.into(),
        })?;
        bytes += out.file(&rel.to_string_lossy(), &image)?;
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

fn sync_dir(d: &Path) -> Result<(), ExportError> {
    match File::open(d).and_then(|f| f.sync_all()) {
        Ok(()) => Ok(()),
        // Some stick file systems cannot fsync a folder; the files are synced.
        Err(e) if e.raw_os_error() == Some(22) => Ok(()),
        Err(e) => Err(io_err(d, e)),
    }
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
            path: PathBuf::from("/media/usb/onemed-k-20260101-101010.tar.age"),
            recipients: 1,
            records: 42,
            visits: 17,
            images: 42,
            bytes: 12_300_000,
        };
        assert_eq!(
            s.to_string(),
            "Exported 42 records from 17 visits (12.3 MB) to /media/usb/onemed-k-20260101-101010.tar.age, encrypted to the programme's key."
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
