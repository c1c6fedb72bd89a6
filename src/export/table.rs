//! The export's tables: the stable CSV columns and one row per record or
//! visit, as text. Pure: records in, CSV bytes out.

use crate::records::{self, StoredRecord, VisitDetail, VisitSummary};
use crate::screening::Part;

/// The columns of `records.csv`, one row per analysis (stable names).
pub const CSV_COLUMNS: &[&str] = &[
    "record_id",
    "visit_id",
    "time_utc",
    "time_local",
    "kiosk_id",
    "operator",
    "patient_id",
    "age",
    "sex",
    "tool",
    "eye",
    "source",
    "image_file",
    "image_sha256",
    "image_bytes",
    "model_id",
    "model_version",
    "model_sha256",
    "device",
    "precision",
    "probabilities",
    "outcome",
    "class",
    "refer",
    "confidence",
    "margin",
    "reason_code",
    "reason",
    "shown_kind",
    "headline",
    "advice",
    "input_sha256",
    "width",
    "height",
    "quality_mean_luma",
    "quality_std_luma",
    "quality_dark_fraction",
    "quality_saturated_fraction",
    "quality_laplacian_var",
    "quality_colour_fraction",
    "quality_corner_dark_fraction",
    "quality_centre_red_ratio",
    "quality_red_fraction",
    "quality_blue_green_ratio",
    "decode_ms",
    "preprocess_ms",
    "quality_ms",
    "infer_ms",
    "total_ms",
];

/// The columns of `visits.csv`, one row per visit.
pub const VISIT_CSV_COLUMNS: &[&str] = &[
    "visit_id",
    "started_utc",
    "started_local",
    "kiosk_id",
    "operator",
    "patient_id",
    "age",
    "sex",
    "decision",
    "refer",
    "not_screened",
    "not_assessed",
    "referral",
    "record_count",
    "printed_count",
    "printed_text",
    "language",
];

/// A part as a code: `diabetic-retinopathy:left`, `skin-lesion`.
fn part_code(p: &Part) -> String {
    match p.eye {
        Some(e) => format!("{}:{}", p.tool, e.as_str()),
        None => p.tool.clone(),
    }
}

/// Parts joined by "; " (empty when the visit has no decision yet).
fn parts_cell(parts: Option<impl Iterator<Item = String>>) -> String {
    parts
        .map(|i| i.collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// One `records.csv` row, in [`CSV_COLUMNS`] order.
pub fn record_row(r: &StoredRecord, v: &VisitSummary) -> Vec<String> {
    let q = &r.quality;
    let t = &r.timings_ms;
    let probs: Vec<String> = r.probabilities.iter().map(f32::to_string).collect();
    vec![
        r.id.to_string(),
        r.visit.to_string(),
        r.time_utc.clone(),
        r.time_local.clone(),
        r.kiosk_id.clone(),
        r.operator.clone(),
        r.patient_id.clone(),
        opt(&v.age),
        opt(&v.sex.map(|s| s.as_str())),
        r.tool.clone(),
        opt(&r.eye.map(|e| e.as_str())),
        r.source.clone(),
        r.image_file.clone(),
        r.image_sha256.clone(),
        r.image_bytes.to_string(),
        r.model_id.clone(),
        r.model_version.clone(),
        r.model_sha256.clone(),
        r.device.clone(),
        r.precision.clone(),
        probs.join(";"),
        records::outcome_text(r.outcome).to_string(),
        opt(&r.class),
        r.refer.to_string(),
        opt(&r.confidence),
        opt(&r.margin),
        opt(&r.reason_code),
        opt(&r.reason),
        r.shown_kind.code().to_string(),
        r.headline.clone(),
        r.advice.clone(),
        r.input_sha256.clone(),
        r.width.to_string(),
        r.height.to_string(),
        q.mean_luma.to_string(),
        q.std_luma.to_string(),
        q.dark_fraction.to_string(),
        q.saturated_fraction.to_string(),
        q.laplacian_var.to_string(),
        q.colour_fraction.to_string(),
        q.corner_dark_fraction.to_string(),
        q.centre_red_ratio.to_string(),
        q.red_fraction.to_string(),
        q.blue_green_ratio.to_string(),
        t.decode.to_string(),
        t.preprocess.to_string(),
        t.quality.to_string(),
        t.infer.to_string(),
        t.total.to_string(),
    ]
}

fn csv_bytes(
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    w.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

pub fn records_csv(visits: &[VisitDetail]) -> Result<Vec<u8>, csv::Error> {
    let rows = visits
        .iter()
        .flat_map(|v| v.records.iter().map(move |r| record_row(r, &v.visit)));
    csv_bytes(CSV_COLUMNS, rows)
}

pub fn visits_csv(visits: &[VisitDetail]) -> Result<Vec<u8>, csv::Error> {
    let rows = visits.iter().map(|d| {
        let v = &d.visit;
        vec![
            v.id.to_string(),
            v.started_utc.clone(),
            v.started_local.clone(),
            v.kiosk_id.clone(),
            v.operator.clone(),
            v.patient_id.clone(),
            opt(&v.age),
            opt(&v.sex.map(|s| s.as_str())),
            opt(&v.decision.as_ref().map(|d| d.decision.code())),
            parts_cell(v.decision.as_ref().map(|d| d.refer.iter().map(part_code))),
            parts_cell(v.decision.as_ref().map(|d| {
                d.not_screened.iter().map(|n| {
                    let code = part_code(&Part::new(&n.tool, n.eye));
                    match &n.reason {
                        Some(r) => format!("{code} ({r})"),
                        None => code,
                    }
                })
            })),
            parts_cell(
                v.decision
                    .as_ref()
                    .map(|d| d.not_assessed.iter().map(part_code)),
            ),
            opt(&v.referral),
            v.record_count.to_string(),
            v.printed_count.to_string(),
            opt(&v.printed_text),
            v.language.code().to_string(),
        ]
    });
    csv_bytes(VISIT_CSV_COLUMNS, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tables_still_have_their_header() {
        let text = String::from_utf8(records_csv(&[]).unwrap()).unwrap();
        assert_eq!(text.trim_end(), CSV_COLUMNS.join(","));
        let text = String::from_utf8(visits_csv(&[]).unwrap()).unwrap();
        assert_eq!(text.trim_end(), VISIT_CSV_COLUMNS.join(","));
    }
}
