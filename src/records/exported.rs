//! After an export: marking its records exported, and purging the exported
//! records (rows, pictures overwritten, emptied visits) to free the disk.

use super::image_file::{self};
use super::store::utc_text;
use super::{PurgeSummary, RecordId, RecordsError, Store, VisitId};
use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};

impl Store {
    /// Marks records as exported at `at`, all in one transaction.
    pub fn mark_exported(
        &mut self,
        ids: &[RecordId],
        at: DateTime<Utc>,
    ) -> Result<(), RecordsError> {
        self.writable()?;
        let at = utc_text(&at);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare("UPDATE records SET exported_at = ?1 WHERE id = ?2")?;
            for id in ids {
                if stmt.execute(params![at, id])? == 0 {
                    return Err(RecordsError::NotFound);
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes the exported records' rows and image files, and the visits
    /// this leaves without records. Rows go first (one transaction); a file
    /// that cannot be removed then is cleaned at a later open.
    pub fn purge_exported(&mut self) -> Result<PurgeSummary, RecordsError> {
        self.writable()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let purged: Vec<(VisitId, String)> = {
            let mut stmt =
                tx.prepare("SELECT visit, image_file FROM records WHERE exported_at IS NOT NULL")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let records = tx.execute("DELETE FROM records WHERE exported_at IS NOT NULL", [])?;
        let touched: std::collections::BTreeSet<VisitId> = purged.iter().map(|p| p.0).collect();
        let mut visits = 0;
        for v in touched {
            visits += tx.execute(
                "DELETE FROM visits WHERE id = ?1
                    AND NOT EXISTS (SELECT 1 FROM records r WHERE r.visit = ?1)",
                [v],
            )?;
        }
        tx.commit()?;
        // Secure delete has overwritten the rows in the pages; move those
        // pages into the database and empty the write-ahead log, so no copy
        // of a purged row stays in any file.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let mut summary = PurgeSummary {
            records: records as u64,
            visits: visits as u64,
            ..PurgeSummary::default()
        };
        for (_, f) in &purged {
            match image_file::remove(&self.data_dir, f) {
                Ok(n) => {
                    summary.images += 1;
                    summary.bytes += n;
                }
                Err(e) => log::warn!("cannot remove purged image {f}: {e}"),
            }
        }
        log::info!("{summary}");
        Ok(summary)
    }
}
