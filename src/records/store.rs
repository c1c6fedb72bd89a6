//! [`Store`]: the register's one connection and the operations the kiosk and
//! the export make on it. `save` writes the image file durably first, then
//! commits the row; it returns only once both are on disk, and removes the
//! file again when the row cannot be written.

use super::image_file::{self, IMAGES_DIR, STALE_AFTER};
use super::rows::{outcome_text, visit_from_row, VISIT_COLUMNS};
use super::schema;
use super::sealed;
use super::{
    NewRecord, NewVisit, Protection, RecordId, RecordsError, StoredRecord, VisitId, VisitSummary,
};
use crate::screening::VisitDecision;
use chrono::{DateTime, Local, SecondsFormat, Utc};
use rusqlite::{params, Connection, TransactionBehavior};
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The database file inside the data folder.
pub const DB_FILE: &str = "register.sqlite3";
/// The most visits a patient search returns.
pub const SEARCH_LIMIT: u32 = 100;

/// The register: one SQLite connection and the data folder it lives in.
pub struct Store {
    pub(super) conn: Connection,
    pub(super) data_dir: PathBuf,
    pub(super) read_only: bool,
    pub(super) protection: Protection,
}

/// Now, as the UTC and local RFC 3339 texts the register stores.
pub(super) fn now() -> (DateTime<Utc>, DateTime<Local>, String, String) {
    let utc = Utc::now();
    let local = utc.with_timezone(&Local);
    let u = utc.to_rfc3339_opts(SecondsFormat::Micros, true);
    let l = local.to_rfc3339_opts(SecondsFormat::Micros, false);
    (utc, local, u, l)
}

/// A UTC time as the register's sortable text.
pub fn utc_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    /// Opens the register in `data_dir` (created with mode 0700 when missing),
    /// migrating it to this build's schema and cleaning a crash's leftovers.
    /// A read-only disk holding a register opens it read-only: history can be
    /// viewed, and `save` answers `ReadOnly`. With a key the database is
    /// SQLCipher and the pictures are sealed; a register that does not match
    /// its protection (plain with a key, encrypted without) is refused
    /// untouched.
    pub fn open(data_dir: &Path, protection: &Protection) -> Result<Store, RecordsError> {
        if !data_dir.is_dir() {
            image_file::create_dir_durably(data_dir)?;
        }
        let db = data_dir.join(DB_FILE);
        // Private whatever the umask: the folder 0700, the database 0600
        // before SQLite first opens it (its WAL and shared-memory files take
        // the database file's mode).
        image_file::make_private(data_dir, &db);
        let opened = schema::open(&db, protection)?;
        let store = Store {
            conn: opened.conn,
            data_dir: data_dir.to_path_buf(),
            read_only: opened.read_only,
            protection: protection.clone(),
        };
        if !store.read_only {
            image_file::create_dir_durably(&data_dir.join(IMAGES_DIR))?;
            store.clean_leftovers()?;
        }
        Ok(store)
    }

    fn clean_leftovers(&self) -> Result<(), RecordsError> {
        let mut stmt = self.conn.prepare("SELECT image_file FROM records")?;
        let recorded: HashSet<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<_, _>>()?;
        image_file::clean_leftovers(&self.data_dir, &|rel| recorded.contains(rel), STALE_AFTER);
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// True when the register is encrypted at rest.
    pub fn is_encrypted(&self) -> bool {
        self.protection.is_encrypted()
    }

    /// True when the disk refused writes at open: history only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub(super) fn writable(&self) -> Result<(), RecordsError> {
        if self.read_only {
            Err(RecordsError::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Starts a visit and returns its ID.
    pub fn start_visit(&mut self, v: &NewVisit) -> Result<VisitId, RecordsError> {
        self.writable()?;
        let (_, local, utc_s, local_s) = now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO visits (started_utc, started_local, local_date, kiosk_id, operator,
                patient_id, age, sex, language) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                utc_s,
                local_s,
                local.date_naive().to_string(),
                v.kiosk_id,
                v.operator,
                v.patient_id,
                v.age,
                v.sex.map(|s| s.as_str()),
                v.language.code(),
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Records one analysis: the image file (fsynced), then the row
    /// (committed). Returns only once both are durable; on failure nothing
    /// of it is left.
    pub fn save(&mut self, r: &NewRecord) -> Result<StoredRecord, RecordsError> {
        self.writable()?;
        let visit = self.visit_summary(r.visit)?.ok_or(RecordsError::NotFound)?;
        let t0 = Instant::now();
        let (bytes, ext) = image_file::encode(&r.image)?;
        let sha = image_file::sha256_hex(&bytes);
        let (_, local, time_utc, time_local) = now();
        let wanted = image_file::relative_path(&local, r.visit, &sha, &ext);
        let on_disk = match &self.protection {
            Protection::Encrypted(key) => Cow::Owned(sealed::seal(key.images(), &sha, &bytes)?),
            Protection::Plain => Cow::Borrowed(bytes.as_ref()),
        };
        let t_encoded = t0.elapsed();
        let rel = image_file::write_new(&self.data_dir, &wanted, &on_disk)?;
        let t_written = t0.elapsed();
        let a = &r.analysis;
        let record = StoredRecord {
            id: 0,
            visit: r.visit,
            time_utc,
            time_local,
            kiosk_id: visit.kiosk_id,
            operator: visit.operator,
            patient_id: visit.patient_id,
            tool: a.tool.clone(),
            eye: r.eye,
            source: r.source.clone(),
            image_file: rel,
            image_sha256: sha,
            image_bytes: bytes.len() as u64,
            model_id: a.tool.clone(),
            model_version: a.model_version.clone(),
            model_sha256: a.model_sha256.clone(),
            device: a.device.clone(),
            precision: a.precision.clone(),
            probabilities: a.probabilities.clone(),
            outcome: a.outcome,
            class: a.class.clone(),
            refer: a.refer,
            confidence: a.confidence,
            margin: a.margin,
            reason_code: a.reason_code.clone(),
            reason: a.reason.clone(),
            shown_kind: r.shown.kind,
            headline: r.shown.headline.clone(),
            advice: r.shown.advice.clone(),
            input_sha256: a.input_sha256.clone(),
            width: a.width,
            height: a.height,
            quality: a.quality,
            timings_ms: a.timings_ms,
            exported_at: None,
        };
        match self.insert(&record) {
            Ok(id) => {
                let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
                log::debug!(
                    "record {id} saved: encode+hash {:.1} ms, image file {:.1} ms, commit {:.1} ms",
                    ms(t_encoded),
                    ms(t_written - t_encoded),
                    ms(t0.elapsed() - t_written)
                );
                Ok(StoredRecord { id, ..record })
            }
            Err(e) => {
                if let Err(rm) = image_file::remove(&self.data_dir, &record.image_file) {
                    log::error!(
                        "cannot remove {} after a failed save: {rm}",
                        record.image_file
                    );
                }
                Err(e)
            }
        }
    }

    fn insert(&mut self, r: &StoredRecord) -> Result<RecordId, RecordsError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO records (visit, time_utc, time_local, kiosk_id, operator, patient_id,
                tool, eye, source, image_file, image_sha256, image_bytes, model_id,
                model_version, model_sha256, device, precision, probabilities, outcome, class,
                refer, confidence, margin, reason_code, reason, shown_kind, headline, advice,
                input_sha256, width, height, quality, timings_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31,
                ?32, ?33)",
            params![
                r.visit,
                r.time_utc,
                r.time_local,
                r.kiosk_id,
                r.operator,
                r.patient_id,
                r.tool,
                r.eye.map(|e| e.as_str()),
                r.source,
                r.image_file,
                r.image_sha256,
                r.image_bytes as i64,
                r.model_id,
                r.model_version,
                r.model_sha256,
                r.device,
                r.precision,
                to_json(&r.probabilities)?,
                outcome_text(r.outcome),
                r.class,
                r.refer,
                r.confidence.map(f64::from),
                r.margin.map(f64::from),
                r.reason_code,
                r.reason,
                r.shown_kind.code(),
                r.headline,
                r.advice,
                r.input_sha256,
                r.width as i64,
                r.height as i64,
                to_json(&r.quality)?,
                to_json(&r.timings_ms)?,
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    fn update_visit(&mut self, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<(), RecordsError> {
        self.writable()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(sql, p)?;
        tx.commit()?;
        if n == 0 {
            return Err(RecordsError::NotFound);
        }
        Ok(())
    }

    /// Records the visit's decision (its code and parts, and the line as
    /// shown in English) and when it ended.
    pub fn finish_visit(
        &mut self,
        visit: VisitId,
        decision: &VisitDecision,
        line: &str,
    ) -> Result<(), RecordsError> {
        let (_, _, utc_s, _) = now();
        self.update_visit(
            "UPDATE visits SET referral = ?1, decision = ?2, decision_parts = ?3,
                finished_utc = ?4 WHERE id = ?5",
            &[
                &line,
                &decision.decision.code(),
                &decision.parts_json(),
                &utc_s,
                &visit,
            ],
        )
    }

    /// The patient's latest visit that has not been finished, if any.
    pub fn open_visit_of(&self, patient_id: &str) -> Result<Option<VisitSummary>, RecordsError> {
        Ok(self
            .visits_where(
                "WHERE v.patient_id = ?1 AND v.finished_utc IS NULL
                 ORDER BY v.id DESC LIMIT 1",
                &[&patient_id],
            )?
            .into_iter()
            .next())
    }

    /// Records what was printed on the visit's slip, counting the prints.
    pub fn set_printed(&mut self, visit: VisitId, slip_text: &str) -> Result<(), RecordsError> {
        let (_, _, utc_s, _) = now();
        self.update_visit(
            "UPDATE visits SET printed_text = ?1, printed_count = printed_count + 1,
                printed_utc = ?2 WHERE id = ?3",
            &[&slip_text, &utc_s, &visit],
        )
    }

    pub(super) fn visits_where(
        &self,
        clause: &str,
        p: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<VisitSummary>, RecordsError> {
        let sql = format!("SELECT {VISIT_COLUMNS} FROM visits v {clause}");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(p, visit_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Where a record's image file is.
    pub fn image_path(&self, r: &StoredRecord) -> PathBuf {
        self.data_dir.join(&r.image_file)
    }

    /// A record's picture as it was taken (opened when sealed), checked
    /// against the sha256 in its record.
    pub fn read_image(&self, r: &StoredRecord) -> Result<Vec<u8>, RecordsError> {
        let path = self.image_path(r);
        let data = std::fs::read(&path).map_err(|e| RecordsError::io(&path, e))?;
        let plain = match &self.protection {
            Protection::Encrypted(key) => {
                sealed::open(key.images(), &r.image_file, &r.image_sha256, &data)?
            }
            Protection::Plain if sealed::is_sealed(&data) => {
                return Err(RecordsError::EncryptedNoKey)
            }
            Protection::Plain => data,
        };
        if image_file::sha256_hex(&plain) != r.image_sha256 {
            return Err(RecordsError::Corrupt(format!(
                "the picture {} no longer matches its recorded sha256",
                r.image_file
            )));
        }
        Ok(plain)
    }

    /// The connection, for the register's other tables (`operators`).
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection for a write; `ReadOnly` when the disk refused writes.
    pub(super) fn conn_for_write(&mut self) -> Result<&mut Connection, RecordsError> {
        self.writable()?;
        Ok(&mut self.conn)
    }

    /// SQLite's own check of the whole database.
    pub fn integrity_check(&self) -> Result<(), RecordsError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if lines.len() == 1 && lines[0] == "ok" {
            Ok(())
        } else {
            Err(RecordsError::Corrupt(lines.join("; ")))
        }
    }
}

/// JSON text of a record's structured column.
pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, RecordsError> {
    serde_json::to_string(v).map_err(|e| RecordsError::Invalid(e.to_string()))
}
