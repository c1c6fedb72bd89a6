//! Rows to types and back: the column lists the queries select, and the
//! conversions of a row into a [`StoredRecord`] or a [`VisitSummary`]. Text
//! the register does not understand is a conversion error, never a panic.

use super::{Eye, Sex, StoredRecord, VisitSummary};
use crate::analysis::Outcome;
use crate::screening::{ResultKind, VisitDecision};
use rusqlite::types::Type;
use rusqlite::Row;

/// The columns [`record_from_row`] reads, in order (table alias `r`).
pub const RECORD_COLUMNS: &str = "r.id, r.visit, r.time_utc, r.time_local, r.kiosk_id, \
    r.operator, r.patient_id, r.tool, r.eye, r.source, r.image_file, r.image_sha256, \
    r.image_bytes, r.model_id, r.model_version, r.model_sha256, r.device, r.precision, \
    r.probabilities, r.outcome, r.class, r.refer, r.confidence, r.margin, r.reason_code, \
    r.reason, r.shown_kind, r.headline, r.advice, r.input_sha256, r.width, r.height, \
    r.quality, r.timings_ms, r.exported_at";

/// The columns [`visit_from_row`] reads, in order (table alias `v`).
pub const VISIT_COLUMNS: &str = "v.id, v.started_utc, v.started_local, v.kiosk_id, \
    v.operator, v.patient_id, v.age, v.sex, v.referral, \
    (SELECT count(*) FROM records c WHERE c.visit = v.id), v.printed_text, v.printed_count, \
    v.decision, v.decision_parts, v.language";

fn bad(col: usize, what: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, what.into().into())
}

fn json<T: serde::de::DeserializeOwned>(row: &Row, col: usize) -> rusqlite::Result<T> {
    let text: String = row.get(col)?;
    serde_json::from_str(&text).map_err(|e| bad(col, e.to_string()))
}

fn opt_f32(row: &Row, col: usize) -> rusqlite::Result<Option<f32>> {
    Ok(row.get::<_, Option<f64>>(col)?.map(|v| v as f32))
}

fn count(row: &Row, col: usize) -> rusqlite::Result<u32> {
    let n: i64 = row.get(col)?;
    u32::try_from(n).map_err(|_| bad(col, format!("bad count {n}")))
}

/// The database text of an outcome.
pub fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Finding => "finding",
        Outcome::Inconclusive => "inconclusive",
        Outcome::Rejected => "rejected",
    }
}

fn parse_outcome(s: &str) -> Option<Outcome> {
    match s {
        "finding" => Some(Outcome::Finding),
        "inconclusive" => Some(Outcome::Inconclusive),
        "rejected" => Some(Outcome::Rejected),
        _ => None,
    }
}

/// One record row, selected with [`RECORD_COLUMNS`].
pub fn record_from_row(row: &Row) -> rusqlite::Result<StoredRecord> {
    let eye = match row.get::<_, Option<String>>(8)? {
        None => None,
        Some(s) => Some(Eye::parse(&s).ok_or_else(|| bad(8, format!("bad eye {s:?}")))?),
    };
    let outcome: String = row.get(19)?;
    let size = |col: usize| -> rusqlite::Result<usize> {
        let n: i64 = row.get(col)?;
        usize::try_from(n).map_err(|_| bad(col, format!("bad size {n}")))
    };
    let image_bytes: i64 = row.get(12)?;
    Ok(StoredRecord {
        id: row.get(0)?,
        visit: row.get(1)?,
        time_utc: row.get(2)?,
        time_local: row.get(3)?,
        kiosk_id: row.get(4)?,
        operator: row.get(5)?,
        patient_id: row.get(6)?,
        tool: row.get(7)?,
        eye,
        source: row.get(9)?,
        image_file: row.get(10)?,
        image_sha256: row.get(11)?,
        image_bytes: u64::try_from(image_bytes).map_err(|_| bad(12, "negative size"))?,
        model_id: row.get(13)?,
        model_version: row.get(14)?,
        model_sha256: row.get(15)?,
        device: row.get(16)?,
        precision: row.get(17)?,
        probabilities: json(row, 18)?,
        outcome: parse_outcome(&outcome)
            .ok_or_else(|| bad(19, format!("bad outcome {outcome:?}")))?,
        class: row.get(20)?,
        refer: row.get(21)?,
        confidence: opt_f32(row, 22)?,
        margin: opt_f32(row, 23)?,
        reason_code: row.get(24)?,
        reason: row.get(25)?,
        shown_kind: ResultKind::from_code(&row.get::<_, String>(26)?),
        headline: row.get(27)?,
        advice: row.get(28)?,
        input_sha256: row.get(29)?,
        width: size(30)?,
        height: size(31)?,
        quality: json(row, 32)?,
        timings_ms: json(row, 33)?,
        exported_at: row.get(34)?,
    })
}

/// The stored decision: its code and its parts (both or neither).
fn decision(row: &Row, code: usize, parts: usize) -> rusqlite::Result<Option<VisitDecision>> {
    match (
        row.get::<_, Option<String>>(code)?,
        row.get::<_, Option<String>>(parts)?,
    ) {
        (None, _) => Ok(None),
        (Some(c), p) => VisitDecision::from_stored(&c, p.as_deref().unwrap_or("{}"))
            .map(Some)
            .ok_or_else(|| bad(code, format!("bad decision {c:?}"))),
    }
}

/// One visit row, selected with [`VISIT_COLUMNS`].
pub fn visit_from_row(row: &Row) -> rusqlite::Result<VisitSummary> {
    let sex = match row.get::<_, Option<String>>(7)? {
        None => None,
        Some(s) => Some(Sex::parse(&s).ok_or_else(|| bad(7, format!("bad sex {s:?}")))?),
    };
    let age = match row.get::<_, Option<i64>>(6)? {
        None => None,
        Some(a) => Some(u32::try_from(a).map_err(|_| bad(6, format!("bad age {a}")))?),
    };
    Ok(VisitSummary {
        id: row.get(0)?,
        started_utc: row.get(1)?,
        started_local: row.get(2)?,
        kiosk_id: row.get(3)?,
        operator: row.get(4)?,
        patient_id: row.get(5)?,
        age,
        sex,
        referral: row.get(8)?,
        record_count: count(row, 9)?,
        printed_text: row.get(10)?,
        printed_count: count(row, 11)?,
        decision: decision(row, 12, 13)?,
        // A code this build does not know (a newer kiosk's) reads as English.
        language: row
            .get::<_, Option<String>>(14)?
            .and_then(|c| crate::i18n::Lang::from_code(&c))
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_match_serde() {
        for o in [Outcome::Finding, Outcome::Inconclusive, Outcome::Rejected] {
            assert_eq!(parse_outcome(outcome_text(o)), Some(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", outcome_text(o))
            );
        }
        assert_eq!(parse_outcome("maybe"), None);
    }

    #[test]
    fn column_lists_match_the_readers() {
        assert_eq!(RECORD_COLUMNS.split(", ").count(), 35);
        assert_eq!(VISIT_COLUMNS.matches("v.").count(), 15);
    }
}
