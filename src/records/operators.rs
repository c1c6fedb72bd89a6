//! The nurses who sign in on the kiosk (the `operators` table): each with her
//! own PIN (an argon2 PHC string made by the caller; the register never sees
//! a PIN), an active flag (a deactivated nurse is no longer offered, and the
//! records keep her name), and her wrong PINs in a row with the lock they
//! earned, kept in the register so that a restart or a power cut clears
//! nothing.
//!
//! A PIN attempt is counted *before* the PIN is checked
//! ([`Store::count_pin_attempt`]) and cleared when it was right
//! ([`Store::pin_accepted`]): a kiosk killed while checking has counted it.
//! How long a count locks is the caller's rule (`admin::lockout::delay_after`).

use super::{RecordsError, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use std::time::Duration;

/// A nurse's row ID.
pub type OperatorId = i64;

/// The longest nurse name.
pub const MAX_NAME: usize = 40;

/// A nurse as lists show her (never her PIN hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub id: OperatorId,
    pub name: String,
    pub active: bool,
    /// Wrong PINs since her last right one.
    pub failures: u32,
    /// Until when (UTC) her wrong PINs lock her out, if they do.
    pub locked_until: Option<DateTime<Utc>>,
}

/// What counting a PIN attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinAttempt {
    /// Still locked: nothing was counted, no PIN may be checked.
    Locked { until: DateTime<Utc> },
    /// Counted as wrong until the PIN is found right: check it against `pin_hash`.
    Counted {
        pin_hash: String,
        /// Wrong PINs in a row, this one included.
        failures: u32,
        /// The lock this attempt earns if the PIN is wrong.
        locks_until: Option<DateTime<Utc>>,
    },
    /// The register is on a read-only disk: nothing could be counted here,
    /// so the caller counts in memory; check the PIN against `pin_hash`.
    NotCounted { pin_hash: String },
    /// No such nurse, or she was deactivated.
    NotActive,
}

/// A nurse name as kept: trimmed, 1 to [`MAX_NAME`] characters.
pub fn clean_name(name: &str) -> Result<String, RecordsError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME {
        return Err(RecordsError::Invalid(format!(
            "a nurse's name must be 1 to {MAX_NAME} characters"
        )));
    }
    Ok(n.to_string())
}

fn text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse(t: Option<String>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Store {
    /// Adds a nurse; her name must be new (whatever its case).
    pub fn add_operator(&mut self, name: &str, pin_hash: &str) -> Result<OperatorId, RecordsError> {
        let name = clean_name(name)?;
        let conn = self.conn_for_write()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken: bool = tx.query_row(
            "SELECT count(*) > 0 FROM operators WHERE name = ?1",
            [&name],
            |r| r.get(0),
        )?;
        if taken {
            return Err(RecordsError::Invalid(format!(
                "there is already a nurse named {name}"
            )));
        }
        tx.execute(
            "INSERT INTO operators (name, pin_hash, created_utc) VALUES (?1, ?2, ?3)",
            params![name, pin_hash, text(&Utc::now())],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// The nurses by name; only those who may sign in unless `all`.
    pub fn operators(&self, all: bool) -> Result<Vec<Operator>, RecordsError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, name, active, failures, locked_until FROM operators
             WHERE active = 1 OR ?1 ORDER BY name, id",
        )?;
        let rows = stmt.query_map([all], |r| {
            Ok(Operator {
                id: r.get(0)?,
                name: r.get(1)?,
                active: r.get(2)?,
                failures: r.get(3)?,
                locked_until: parse(r.get(4)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn update_operator(
        &mut self,
        sql: &str,
        p: &[&dyn rusqlite::ToSql],
    ) -> Result<(), RecordsError> {
        let conn = self.conn_for_write()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(sql, p)?;
        tx.commit()?;
        if n == 0 {
            return Err(RecordsError::NotFound);
        }
        Ok(())
    }

    /// Deactivates (or reactivates) a nurse; her records keep her name.
    pub fn set_operator_active(
        &mut self,
        id: OperatorId,
        active: bool,
    ) -> Result<(), RecordsError> {
        self.update_operator(
            "UPDATE operators SET active = ?1 WHERE id = ?2",
            &[&active, &id],
        )
    }

    /// Gives a nurse a new PIN, clearing her wrong PINs and any lock.
    pub fn set_operator_pin(&mut self, id: OperatorId, pin_hash: &str) -> Result<(), RecordsError> {
        self.update_operator(
            "UPDATE operators SET pin_hash = ?1, failures = 0, locked_until = NULL WHERE id = ?2",
            &[&pin_hash, &id],
        )
    }

    /// Counts one PIN attempt as wrong before it is checked (see the module
    /// header); `lock_after(failures)` is how long that many wrong PINs lock.
    pub fn count_pin_attempt(
        &mut self,
        id: OperatorId,
        now: DateTime<Utc>,
        lock_after: fn(u32) -> Option<Duration>,
    ) -> Result<PinAttempt, RecordsError> {
        if self.is_read_only() {
            return self.pin_attempt_read_only(id, now);
        }
        let conn = self.conn_for_write()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, bool, u32, Option<String>)> = tx
            .query_row(
                "SELECT pin_hash, active, failures, locked_until FROM operators WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((pin_hash, true, failures, locked)) = row else {
            return Ok(PinAttempt::NotActive);
        };
        if let Some(until) = parse(locked).filter(|u| *u > now) {
            return Ok(PinAttempt::Locked { until });
        }
        let failures = failures.saturating_add(1);
        let locks_until = lock_after(failures)
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| now + d);
        tx.execute(
            "UPDATE operators SET failures = ?1, locked_until = ?2 WHERE id = ?3",
            params![failures, locks_until.as_ref().map(text), id],
        )?;
        tx.commit()?;
        Ok(PinAttempt::Counted {
            pin_hash,
            failures,
            locks_until,
        })
    }

    fn pin_attempt_read_only(
        &self,
        id: OperatorId,
        now: DateTime<Utc>,
    ) -> Result<PinAttempt, RecordsError> {
        let row: Option<(String, bool, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT pin_hash, active, locked_until FROM operators WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(match row {
            Some((pin_hash, true, locked)) => match parse(locked).filter(|u| *u > now) {
                Some(until) => PinAttempt::Locked { until },
                None => PinAttempt::NotCounted { pin_hash },
            },
            _ => PinAttempt::NotActive,
        })
    }

    /// The PIN was right: her wrong PINs and any lock are cleared.
    pub fn pin_accepted(&mut self, id: OperatorId) -> Result<(), RecordsError> {
        self.update_operator(
            "UPDATE operators SET failures = 0, locked_until = NULL WHERE id = ?1",
            &[&id],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_third(n: u32) -> Option<Duration> {
        (n % 3 == 0).then(|| Duration::from_secs(60))
    }

    #[test]
    fn nurses_are_added_listed_deactivated_and_given_new_pins() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(d.path(), &crate::records::Protection::Plain).unwrap();
        let asha = s.add_operator("  Asha  ", "h1").unwrap();
        let bina = s.add_operator("Bina", "h2").unwrap();
        assert!(matches!(
            s.add_operator("ASHA", "h3"),
            Err(RecordsError::Invalid(e)) if e.contains("already")
        ));
        assert!(s.add_operator(" ", "h").is_err());
        assert!(s.add_operator(&"n".repeat(41), "h").is_err());
        let names = |s: &Store, all| -> Vec<String> {
            s.operators(all)
                .unwrap()
                .into_iter()
                .map(|o| o.name)
                .collect()
        };
        assert_eq!(names(&s, false), ["Asha", "Bina"]);
        s.set_operator_active(bina, false).unwrap();
        assert_eq!(names(&s, false), ["Asha"]);
        assert_eq!(names(&s, true), ["Asha", "Bina"]);
        assert_eq!(
            s.count_pin_attempt(bina, Utc::now(), every_third).unwrap(),
            PinAttempt::NotActive
        );
        s.set_operator_pin(asha, "h9").unwrap();
        assert!(matches!(
            s.count_pin_attempt(asha, Utc::now(), every_third).unwrap(),
            PinAttempt::Counted { pin_hash, failures: 1, locks_until: None } if pin_hash == "h9"
        ));
        assert!(matches!(
            s.set_operator_active(999, false),
            Err(RecordsError::NotFound)
        ));
    }

    #[test]
    fn attempts_are_counted_before_checking_lock_and_survive_reopening() {
        let d = tempfile::tempdir().unwrap();
        let t0 = Utc::now();
        let id = {
            let mut s = Store::open(d.path(), &crate::records::Protection::Plain).unwrap();
            let id = s.add_operator("Asha", "h").unwrap();
            for n in 1..=2 {
                assert!(matches!(
                    s.count_pin_attempt(id, t0, every_third).unwrap(),
                    PinAttempt::Counted { failures, locks_until: None, .. } if failures == n
                ));
            }
            let lock = t0 + chrono::Duration::seconds(60);
            assert_eq!(
                s.count_pin_attempt(id, t0, every_third).unwrap(),
                PinAttempt::Counted {
                    pin_hash: "h".into(),
                    failures: 3,
                    locks_until: Some(lock)
                }
            );
            id
        };
        // Reopened (a restart): still locked, and nothing more is counted.
        let mut s = Store::open(d.path(), &crate::records::Protection::Plain).unwrap();
        let later = t0 + chrono::Duration::seconds(30);
        assert!(matches!(
            s.count_pin_attempt(id, later, every_third).unwrap(),
            PinAttempt::Locked { .. }
        ));
        assert_eq!(s.operators(false).unwrap()[0].failures, 3);
        // After the lock, counting goes on; a right PIN clears it all.
        let after = t0 + chrono::Duration::seconds(61);
        assert!(matches!(
            s.count_pin_attempt(id, after, every_third).unwrap(),
            PinAttempt::Counted { failures: 4, .. }
        ));
        s.pin_accepted(id).unwrap();
        let o = &s.operators(false).unwrap()[0];
        assert_eq!((o.failures, o.locked_until), (0, None));
    }
}
