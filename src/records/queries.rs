//! Reading the register: visits by day and by patient, a visit with its
//! records, records since a time, whether it is empty.

use super::rows::{record_from_row, RECORD_COLUMNS};
use super::store::{utc_text, SEARCH_LIMIT};
use super::{RecordId, RecordsError, Store, StoredRecord, VisitDetail, VisitId, VisitSummary};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::OptionalExtension;

impl Store {
    /// The visits started on a local calendar day, newest first.
    pub fn visits_on(&self, day: NaiveDate) -> Result<Vec<VisitSummary>, RecordsError> {
        self.visits_where(
            "WHERE v.local_date = ?1 ORDER BY v.started_utc DESC, v.id DESC",
            &[&day.to_string()],
        )
    }

    /// Visits whose patient ID contains `query` (ignoring ASCII case), newest
    /// first, at most [`SEARCH_LIMIT`].
    pub fn search_patient(&self, query: &str) -> Result<Vec<VisitSummary>, RecordsError> {
        self.visits_where(
            "WHERE instr(lower(v.patient_id), lower(?1)) > 0
             ORDER BY v.started_utc DESC, v.id DESC LIMIT ?2",
            &[&query.trim(), &SEARCH_LIMIT],
        )
    }

    /// One visit's summary.
    pub fn visit_summary(&self, id: VisitId) -> Result<Option<VisitSummary>, RecordsError> {
        Ok(self
            .visits_where("WHERE v.id = ?1", &[&id])?
            .into_iter()
            .next())
    }

    /// One visit with its records, oldest first.
    pub fn visit(&self, id: VisitId) -> Result<Option<VisitDetail>, RecordsError> {
        let Some(visit) = self.visit_summary(id)? else {
            return Ok(None);
        };
        let records = self.records_where("WHERE r.visit = ?1 ORDER BY r.id", &[&id])?;
        Ok(Some(VisitDetail { visit, records }))
    }

    fn records_where(
        &self,
        clause: &str,
        p: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<StoredRecord>, RecordsError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM records r {clause}");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(p, record_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn record(&self, id: RecordId) -> Result<Option<StoredRecord>, RecordsError> {
        Ok(self
            .records_where("WHERE r.id = ?1", &[&id])?
            .into_iter()
            .next())
    }

    /// Records made at or after `since` (all when `None`), oldest first.
    pub fn records_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredRecord>, RecordsError> {
        match since {
            None => self.records_where("ORDER BY r.id", &[]),
            Some(t) => self.records_where("WHERE r.time_utc >= ?1 ORDER BY r.id", &[&utc_text(&t)]),
        }
    }

    /// True when the register holds no visit, no record and no nurse
    /// account (a fresh install): only then may the kiosk offer to choose a
    /// first admin PIN. Nurse accounts outlive a purge, so a used kiosk
    /// never looks fresh again.
    pub fn is_empty(&self) -> Result<bool, RecordsError> {
        Ok(self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM visits) AND NOT EXISTS (SELECT 1 FROM records)
                AND NOT EXISTS (SELECT 1 FROM operators)",
            [],
            |r| r.get(0),
        )?)
    }

    /// The kiosk ID of the latest visit (names exports), if any.
    pub fn latest_kiosk_id(&self) -> Result<Option<String>, RecordsError> {
        Ok(self
            .conn
            .query_row(
                "SELECT kiosk_id FROM visits ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }
}
