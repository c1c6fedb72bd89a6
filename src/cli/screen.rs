//! `onemed screen`: the kiosk's visit without the touchscreen. The first form
//! adds results to the patient's open visit (opening one when needed), saving
//! each record as the kiosk does (the same register, image files, hashes); it
//! prints one JSON line per file. `--finish` closes the visit with the
//! screening core's decision and prints it as one JSON object.
//!
//! ```text
//! onemed screen --data DIR --patient ID --tool T [--eye right|left] [--operator NAME] FILE...
//! onemed screen --data DIR --patient ID --finish [--cannot-screen TOOL:EYE:REASON]...
//! ```
//!
//! Exit 0 only when every file was recorded; 1 when some were not (each has
//! its error line); 2 when nothing could run.

use super::analyze::analyzer_for;
use super::{Fatal, PartialFailure};
use crate::analysis::{Analysis, Outcome};
use crate::catalog::{Catalog, Coverage};
use crate::decode;
use crate::records::{file_ext, NewRecord, NewVisit, Store, StoredRecord, VisitSummary};
use crate::screening::{words, CannotScreen, Eye, ResultKind, Visit, VisitDecision};
use crate::settings::Settings;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data folder holding the register (default: the settings' data_dir).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The patient's ID (as the kiosk takes it: letters, digits, - _ / .).
    #[arg(long)]
    patient: String,
    /// The screening tool for FILE... (cataract, diabetic-retinopathy, …).
    #[arg(long, required_unless_present = "finish", conflicts_with = "finish")]
    tool: Option<String>,
    /// Who screens, recorded on a visit this opens (default: the settings'
    /// `operator`; the kiosk records its signed-in nurse instead).
    #[arg(long, value_name = "NAME", conflicts_with = "finish")]
    operator: Option<String>,
    /// The eye the pictures show (eye tools only).
    #[arg(long, value_parser = parse_eye)]
    eye: Option<Eye>,
    /// Close the patient's open visit and print its decision.
    #[arg(long)]
    finish: bool,
    /// With --finish: a part that cannot be screened, and why
    /// (`cataract:left:Patient refused`; `skin-lesion::Patient left`).
    #[arg(
        long = "cannot-screen",
        value_name = "TOOL:EYE:REASON",
        requires = "finish"
    )]
    cannot_screen: Vec<String>,
    /// The pictures (JPEG, PNG, BMP, TIFF, WebP, GIF; DICOM for CT).
    #[arg(conflicts_with = "finish")]
    files: Vec<PathBuf>,
}

fn parse_eye(s: &str) -> Result<Eye, String> {
    Eye::parse(s).ok_or_else(|| format!("{s:?}: the eye is right or left"))
}

/// One file's line: the analysis and its record, or the error.
#[derive(Serialize)]
struct FileLine<'a> {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    record_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visit_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shown: Option<ResultKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    analysis: Option<&'a Analysis>,
}

/// The finished visit.
#[derive(Serialize)]
struct Finished<'a> {
    patient: &'a str,
    visit_id: i64,
    #[serde(flatten)]
    decision: &'a VisitDecision,
    records: usize,
    /// The decision in English, as the kiosk shows it.
    line: String,
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    let patient = crate::serial::scanner::patient_id(&args.patient)
        .map_err(|e| Fatal(format!("--patient: {e}")))?;
    let catalog = match &settings.manifests_dir {
        Some(d) => Catalog::from_dir(d),
        None => Catalog::builtin(),
    }
    .map_err(|e| Fatal(e.to_string()))?;
    let data = super::data_dir(settings, args.data.as_deref())?;
    if args.finish {
        return finish(settings, &catalog, &data, &patient, &args.cannot_screen);
    }
    let tool = args.tool.as_deref().unwrap_or_default();
    let coverage = catalog
        .tool(tool)
        .map_err(|e| Fatal(e.to_string()))?
        .coverage;
    match (coverage, args.eye) {
        (Coverage::BothEyes, None) => {
            return Err(Fatal(format!(
                "{tool} screens each eye: say which with --eye right|left"
            ))
            .into())
        }
        (Coverage::OneImage | Coverage::CtStudy, Some(_)) => {
            return Err(Fatal(format!("{tool} is not an eye tool: leave out --eye")).into())
        }
        _ => {}
    }
    if args.files.is_empty() {
        return Err(Fatal("name the pictures to screen".into()).into());
    }
    let operator = match &args.operator {
        Some(o) => crate::records::clean_name(o)
            .map_err(|_| Fatal("--operator: a name of 1 to 40 characters".into()))?,
        None => settings.operator.clone(),
    };
    let mut analyzer = analyzer_for(settings, tool)?;
    let mut store = super::open_store(settings, &data)?;
    let visit = open_visit(&mut store, settings, &patient, &operator)?;
    let mut failed = 0;
    for path in &args.files {
        let file = path.display().to_string();
        let line = match screen_file(
            &mut analyzer,
            &mut store,
            tool,
            coverage,
            args.eye,
            visit.id,
            path,
        ) {
            Ok((a, record_id, shown)) => serde_json::to_string(&FileLine {
                file,
                record_id: Some(record_id),
                visit_id: Some(visit.id),
                shown: Some(shown),
                error: None,
                analysis: Some(&a),
            })?,
            Err(e) => {
                failed += 1;
                eprintln!("onemed: {file}: {e}");
                serde_json::to_string(&FileLine {
                    file,
                    record_id: None,
                    visit_id: None,
                    shown: None,
                    error: Some(e),
                    analysis: None,
                })?
            }
        };
        writeln!(std::io::stdout().lock(), "{line}")?;
    }
    if failed > 0 {
        return Err(PartialFailure(failed, args.files.len()).into());
    }
    Ok(())
}

/// The patient's open visit, or a new one.
fn open_visit(
    store: &mut Store,
    settings: &Settings,
    patient: &str,
    operator: &str,
) -> anyhow::Result<VisitSummary> {
    let fatal = |e: crate::records::RecordsError| Fatal(e.to_string());
    if let Some(v) = store.open_visit_of(patient).map_err(fatal)? {
        return Ok(v);
    }
    let id = store
        .start_visit(&NewVisit {
            kiosk_id: settings.kiosk_id.clone(),
            operator: operator.to_string(),
            patient_id: patient.to_string(),
            age: None,
            sex: None,
            language: crate::i18n::Lang::En,
        })
        .map_err(fatal)?;
    log::info!("visit {id} opened");
    store
        .visit_summary(id)
        .map_err(fatal)?
        .ok_or_else(|| Fatal(format!("visit {id} vanished")).into())
}

/// Analyses one file and records it as the kiosk does; returns the analysis,
/// the record and what was shown. A CT file the checks refuse is not
/// recorded (the kiosk never offers it for analysis).
fn screen_file(
    analyzer: &mut crate::analysis::Analyzer,
    store: &mut Store,
    tool: &str,
    coverage: Coverage,
    eye: Option<Eye>,
    visit: i64,
    path: &Path,
) -> Result<(Analysis, i64, ResultKind), String> {
    let bytes = decode::read_file(path).map_err(|e| e.to_string())?;
    let a = analyzer
        .analyze_bytes(tool, &bytes)
        .map_err(|e| e.to_string())?;
    if coverage == Coverage::CtStudy && a.outcome == Outcome::Rejected {
        return Err(format!(
            "not a CT slice the tool can assess, so not recorded: {}",
            a.reason.as_deref().unwrap_or("refused")
        ));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let record = NewRecord::imported(visit, eye, &name, (bytes, file_ext(path)), a);
    let saved = store
        .save(&record)
        .map_err(|e| format!("not recorded: {e}"))?;
    let kind = record.shown.kind;
    Ok((record.analysis, saved.id, kind))
}

/// `TOOL:EYE:REASON` (EYE empty for a tool without eyes).
fn parse_mark(catalog: &Catalog, text: &str) -> anyhow::Result<(Coverage, CannotScreen)> {
    let bad = |why: &str| Fatal(format!("--cannot-screen {text:?}: {why}"));
    let mut it = text.splitn(3, ':');
    let (tool, eye, reason) = match (it.next(), it.next(), it.next()) {
        (Some(t), Some(e), Some(r)) => (t.trim(), e.trim(), r.trim()),
        _ => return Err(bad("expected TOOL:EYE:REASON").into()),
    };
    let coverage = catalog
        .tool(tool)
        .map_err(|e| bad(&e.to_string()))?
        .coverage;
    let eye = match (coverage, eye) {
        (Coverage::BothEyes, e) => {
            Some(Eye::parse(e).ok_or_else(|| bad("this tool needs the eye: right or left"))?)
        }
        (_, "") => None,
        _ => return Err(bad("this tool has no eyes: leave EYE empty").into()),
    };
    if reason.is_empty() {
        return Err(bad("say why it cannot be screened").into());
    }
    Ok((
        coverage,
        CannotScreen {
            tool: tool.to_string(),
            eye,
            reason: reason.to_string(),
        },
    ))
}

/// Closes the patient's open visit with the core's decision.
fn finish(
    settings: &Settings,
    catalog: &Catalog,
    data: &Path,
    patient: &str,
    marks: &[String],
) -> anyhow::Result<()> {
    let marks = marks
        .iter()
        .map(|m| parse_mark(catalog, m))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !data.join(crate::records::DB_FILE).is_file() {
        return Err(Fatal(format!("no register at {}", data.display())).into());
    }
    let fatal = |e: crate::records::RecordsError| Fatal(e.to_string());
    let mut store = super::open_store(settings, data)?;
    let visit = store
        .open_visit_of(patient)
        .map_err(fatal)?
        .ok_or_else(|| Fatal(format!("patient {patient} has no open visit")))?;
    let detail = store
        .visit(visit.id)
        .map_err(fatal)?
        .ok_or_else(|| Fatal(format!("visit {} vanished", visit.id)))?;
    let results = detail.records.iter().map(StoredRecord::screened);
    let mut v = Visit::rebuild(catalog, results, None);
    for (coverage, mark) in marks {
        v.mark_cannot_screen(coverage, mark);
    }
    let decision = v.decide();
    let line = words::decision_line(catalog, &decision, crate::i18n::Lang::En);
    store
        .finish_visit(visit.id, &decision, &line)
        .map_err(fatal)?;
    let out = Finished {
        patient,
        visit_id: visit.id,
        decision: &decision,
        records: detail.records.len(),
        line,
    };
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
