//! The screening register: visits and analysis records in SQLite, with the
//! original images as files beside it. A result that is not recorded did not
//! happen, so the kiosk saves every analysis (image file fsynced, row
//! committed) before it shows the result.
//!
//! Layout of the data folder (mode 0700):
//!
//! ```text
//! register.sqlite3                      WAL, synchronous=FULL, versioned schema
//! images/YYYY/MM/DD/<time>-v<visit>-<sha256 first 12>.<ext>   mode 0600
//! ```
//!
//! [`Store`] is the register itself (one connection, one owner);
//! `workers::store::StoreWorker` is the thread that owns it in the kiosk.

pub mod encrypt;
mod error;
mod exported;
mod image_file;
pub mod key;
mod operators;
mod queries;
mod rows;
pub mod schema;
pub mod sealed;
mod store;

pub use error::RecordsError;
pub use image_file::{encode_lossless, png as encode_png, Lossless, STILL_LOSSLESS};
pub use key::{Protection, RegisterKey};
pub use operators::{clean_name, Operator, OperatorId, PinAttempt, MAX_NAME as MAX_NURSE_NAME};
pub use rows::outcome_text;
pub use store::{utc_text, Store, DB_FILE, SEARCH_LIMIT};

pub use crate::screening::Eye;

use crate::analysis::{Analysis, Outcome, Timings};
use crate::quality::Metrics;
use crate::screening::{ResultKind, VisitDecision};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A visit's row ID.
pub type VisitId = i64;
/// An analysis record's row ID.
pub type RecordId = i64;

/// The patient's sex, as the nurse entered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
    Other,
}

impl Sex {
    /// The database text: "female" / "male" / "other".
    pub fn as_str(self) -> &'static str {
        match self {
            // Stored as these codes; the screen words them (`n_`: for the catalogue).
            Sex::Female => crate::i18n::n_("female"),
            Sex::Male => crate::i18n::n_("male"),
            Sex::Other => crate::i18n::n_("other"),
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        match s {
            "female" => Some(Sex::Female),
            "male" => Some(Sex::Male),
            "other" => Some(Sex::Other),
            _ => None,
        }
    }
}

/// A visit about to start: who screens whom.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub kiosk_id: String,
    pub operator: String,
    pub patient_id: String,
    pub age: Option<u32>,
    pub sex: Option<Sex>,
    /// The patient's language: her slip is printed in it.
    pub language: crate::i18n::Lang,
}

/// The original image of an analysis.
#[derive(Debug, Clone)]
pub enum ImageData {
    /// An imported file's bytes as they were, with its extension ("jpg", "dcm").
    Encoded { bytes: Vec<u8>, ext: String },
    /// An uncompressed camera still; saved losslessly (`encode_lossless`).
    Frame(Arc<crate::frame::RgbFrame>),
}

/// What the screen showed for a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shown {
    /// Stored as its code (`refer`, `clear`, `retake`, `could-not-assess`).
    pub kind: ResultKind,
    pub headline: String,
    pub advice: String,
}

impl Shown {
    /// What a result screen shows, as the register keeps it.
    pub fn of(view: &crate::screening::flow::ResultView) -> Shown {
        Shown {
            kind: view.kind,
            headline: view.headline.clone(),
            advice: view.advice.clone(),
        }
    }
}

/// One analysis to record.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub visit: VisitId,
    pub eye: Option<Eye>,
    /// `camera` or `import:<file name>`.
    pub source: String,
    pub image: ImageData,
    pub analysis: Analysis,
    pub shown: Shown,
}

impl NewRecord {
    /// An imported file's analysis: its original bytes are the record's image.
    pub fn imported(
        visit: VisitId,
        eye: Option<Eye>,
        name: &str,
        (bytes, ext): (Vec<u8>, String),
        analysis: Analysis,
    ) -> NewRecord {
        let shown = Shown::of(&crate::screening::flow::result_view(&analysis));
        NewRecord {
            visit,
            eye,
            source: format!("import:{name}"),
            image: ImageData::Encoded { bytes, ext },
            analysis,
            shown,
        }
    }
}

/// A file's extension as the register names its image ("jpg", "dcm"; "bin"
/// when it has none).
pub fn file_ext(path: &std::path::Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_else(|| "bin".into())
}

/// One analysis as the register holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRecord {
    pub id: RecordId,
    pub visit: VisitId,
    /// RFC 3339, UTC, microseconds (sorts as text).
    pub time_utc: String,
    /// RFC 3339 with the kiosk's UTC offset.
    pub time_local: String,
    pub kiosk_id: String,
    pub operator: String,
    pub patient_id: String,
    pub tool: String,
    pub eye: Option<Eye>,
    pub source: String,
    /// Relative to the data folder (`images/YYYY/MM/DD/...`).
    pub image_file: String,
    pub image_sha256: String,
    pub image_bytes: u64,
    /// The model's identity: the tool it serves (one model per tool).
    pub model_id: String,
    pub model_version: String,
    pub model_sha256: String,
    pub device: String,
    pub precision: String,
    pub probabilities: Vec<f32>,
    pub outcome: Outcome,
    pub class: Option<String>,
    pub refer: bool,
    pub confidence: Option<f32>,
    pub margin: Option<f32>,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub shown_kind: ResultKind,
    pub headline: String,
    pub advice: String,
    pub input_sha256: String,
    pub width: usize,
    pub height: usize,
    pub quality: Metrics,
    pub timings_ms: Timings,
    /// RFC 3339 UTC time of the export that took it, if any.
    pub exported_at: Option<String>,
}

impl StoredRecord {
    /// The record as a result of its visit, for the screening core.
    pub fn screened(&self) -> crate::screening::Screened {
        crate::screening::Screened {
            tool: self.tool.clone(),
            eye: self.eye,
            kind: self.shown_kind,
            headline: self.headline.clone(),
        }
    }
}

/// A visit as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitSummary {
    pub id: VisitId,
    pub started_utc: String,
    pub started_local: String,
    pub kiosk_id: String,
    pub operator: String,
    pub patient_id: String,
    pub age: Option<u32>,
    pub sex: Option<Sex>,
    /// The visit's referral decision as first shown, in English (kept for
    /// people reading exports; nothing reads a decision back from it).
    pub referral: Option<String>,
    /// The visit's decision with its parts, once finished.
    pub decision: Option<VisitDecision>,
    pub record_count: u32,
    /// The last slip printed for it.
    pub printed_text: Option<String>,
    pub printed_count: u32,
    /// The patient's language (English for visits before languages).
    pub language: crate::i18n::Lang,
}

/// A visit with its records, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitDetail {
    pub visit: VisitSummary,
    pub records: Vec<StoredRecord>,
}

/// What [`Store::purge_exported`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeSummary {
    pub records: u64,
    pub visits: u64,
    pub images: u64,
    pub bytes: u64,
}

impl std::fmt::Display for PurgeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Removed {} exported records, {} visits and {} images ({}).",
            self.records,
            self.visits,
            self.images,
            human_bytes(self.bytes)
        )
    }
}

/// "12.3 MB", "640 kB", "12 bytes" (decimal units, as file managers show).
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.1} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.0} kB", f / 1e3)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_their_database_text() {
        for e in [Eye::Left, Eye::Right] {
            assert_eq!(Eye::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_string(&e).unwrap(),
                format!("\"{}\"", e.as_str())
            );
        }
        for s in [Sex::Female, Sex::Male, Sex::Other] {
            assert_eq!(Sex::parse(s.as_str()), Some(s));
        }
        assert_eq!(Eye::Left.label(), "Left eye");
        assert_eq!(Eye::parse("both"), None);
    }

    #[test]
    fn a_visit_keeps_the_patients_language_as_its_code() {
        let d = tempfile::tempdir().unwrap();
        let mut store = Store::open(d.path(), &Protection::Plain).unwrap();
        let id = store
            .start_visit(&NewVisit {
                kiosk_id: "k".into(),
                operator: "o".into(),
                patient_id: "P2".into(),
                age: None,
                sex: None,
                language: crate::i18n::Lang::Ta,
            })
            .unwrap();
        let v = store.visit_summary(id).unwrap().unwrap();
        assert_eq!(v.language, crate::i18n::Lang::Ta);
        let code: String = store
            .conn
            .query_row("SELECT language FROM visits WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(code, "ta", "a code, never a word");
    }

    #[test]
    fn a_register_is_empty_until_its_first_visit() {
        let d = tempfile::tempdir().unwrap();
        let mut store = Store::open(d.path(), &Protection::Plain).unwrap();
        assert!(store.is_empty().unwrap());
        store
            .start_visit(&NewVisit {
                kiosk_id: "k".into(),
                operator: "o".into(),
                patient_id: "P1".into(),
                age: None,
                sex: None,
                language: crate::i18n::Lang::En,
            })
            .unwrap();
        assert!(!store.is_empty().unwrap());
    }

    #[test]
    fn a_register_with_nurses_is_not_empty_even_with_no_visit() {
        let d = tempfile::tempdir().unwrap();
        let mut store = Store::open(d.path(), &Protection::Plain).unwrap();
        // The register keeps the hash as text; hashing is the admin module's.
        store
            .add_operator("Asha Devi", "$argon2id$v=19$m=65536,t=12,p=1$c2FsdA$aGFzaA")
            .unwrap();
        assert!(!store.is_empty().unwrap());
    }

    #[test]
    fn bytes_read_as_people_say_them() {
        assert_eq!(human_bytes(12_300_000), "12.3 MB");
        assert_eq!(human_bytes(640_000), "640 kB");
        assert_eq!(human_bytes(12), "12 bytes");
    }
}
