//! A result is saved to the register *before* it is shown: the analysis of
//! the review screen's picture becomes a record, and only the register's
//! answer puts the outcome (or "Not recorded") on the result screen.

use super::capture::page;
use super::capture::Capture;
use crate::analysis::Analysis;
use crate::i18n::{n_, tr, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::records::{self, ImageData, NewRecord, RecordId, Shown};
use crate::screening::flow::{self, ResultView, Step};
use crate::screening::{ResultKind, Screened};
use std::time::Instant;

/// What the result screen shows, kept so that it can be worded again in
/// another language.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A saved analysis at its step of the retake loop.
    Saved {
        analysis: Box<Analysis>,
        step: Step,
        record: RecordId,
    },
    /// The analysis could not run (the error's own words).
    Failed(String),
    /// The register could not save it: no result is shown.
    NotRecorded(String),
}

impl Outcome {
    /// The screen's view of it in `lang`.
    fn view(&self, lang: Lang) -> ResultView {
        match self {
            Outcome::Saved {
                analysis,
                step,
                record,
            } => {
                let mut view = flow::step_view(analysis, *step, lang);
                view.trace = format!("{} · record {record}", view.trace);
                view
            }
            Outcome::Failed(e) => flow::error_view(&tr(lang, e), lang),
            Outcome::NotRecorded(e) => ResultView {
                kind: ResultKind::Error,
                headline: tr(lang, "Not recorded — result not shown"),
                // The register's fault, in the screen's language when it is
                // one of the catalogue's sentences (a full disk).
                advice: tr(lang, e),
                confidence: None,
                trace: String::new(),
            },
        }
    }
}

/// A saved result again in the patient's language (the slip's), when it is
/// not the screen's: what the nurse reads out or shows her.
fn show_for_patient(k: &Kiosk, outcome: &Outcome) {
    let p = page(k);
    let patient = k.visit.patient_language().filter(|l| *l != k.lang());
    match (patient, outcome) {
        (Some(lang), Outcome::Saved { .. }) => {
            let v = outcome.view(lang);
            let words = match v.advice.is_empty() {
                true => v.headline,
                false => format!("{}\n{}", v.headline, v.advice),
            };
            p.set_patient_words(words.into());
            p.set_patient_language(lang.native_name().into());
        }
        _ => {
            p.set_patient_words(Default::default());
            p.set_patient_language(Default::default());
        }
    }
}

impl Capture {
    /// Shows `outcome` on the result screen, and keeps it.
    fn show_outcome(&self, k: &Kiosk, outcome: Outcome) {
        let attempt = self.state.borrow().attempts.current();
        self.apply_view(k, &outcome.view(k.lang()), attempt);
        show_for_patient(k, &outcome);
        self.state.borrow_mut().outcome = Some(outcome);
    }

    /// The result on screen, worded again in the screen's language.
    pub fn reword_result(&self, k: &Kiosk) {
        let outcome = self.state.borrow().outcome.clone();
        if let Some(o) = outcome {
            let p = page(k);
            let v = o.view(k.lang());
            p.set_headline(v.headline.into());
            p.set_advice(v.advice.into());
            p.set_trace(v.trace.into());
            show_for_patient(k, &o);
        }
    }

    /// An analysis of the review screen's picture came back: record it, and
    /// show it only once the register has it.
    pub fn record_still(&self, k: &Kiosk, result: Result<Analysis, String>, tapped: Instant) {
        let a = match result {
            Ok(a) => a,
            Err(e) => return self.show_outcome(k, Outcome::Failed(e)),
        };
        let (visit_id, eye) = (k.visit.id(), k.visit.eye());
        let prepared = {
            let st = self.state.borrow();
            let mut attempts = st.attempts;
            let step = attempts.record(&a);
            // The register keeps the English words; the screen shows its own.
            let view = flow::step_view(&a, step, Lang::En);
            let screened = Screened {
                tool: a.tool.clone(),
                eye,
                kind: view.kind,
                headline: view.headline.clone(),
            };
            let image = match (&st.still_file, &st.still_lossless, &st.still) {
                (Some((bytes, ext)), _, _) | (None, Some((bytes, ext)), Some(_)) => {
                    Some(ImageData::Encoded {
                        bytes: bytes.clone(),
                        ext: ext.clone(),
                    })
                }
                (None, None, Some(f)) => Some(ImageData::Frame(f.clone())),
                (None, _, None) => None,
            };
            visit_id.zip(image).map(|(visit, image)| {
                let record = NewRecord {
                    visit,
                    eye,
                    source: st.still_source.clone(),
                    image,
                    analysis: a.clone(),
                    shown: Shown::of(&view),
                };
                (record, step, attempts, screened)
            })
        };
        let Some((record, step, attempts, screened)) = prepared else {
            return self.show_outcome(
                k,
                Outcome::Failed(
                    n_("There is no open visit to record this result in. Start the visit again.")
                        .into(),
                ),
            );
        };
        k.g().set_busy_text(tr(k.lang(), "Saving…").into());
        let analysis = Box::new(a);
        k.register(
            Watch::Save,
            move |s| s.save(&record),
            move |k, saved| {
                let kept = Kept {
                    analysis,
                    step,
                    attempts,
                    screened,
                    tapped,
                };
                k.capture.still_saved(k, saved, kept)
            },
        );
    }

    /// The register has the result: now it may be shown.
    fn still_saved(&self, k: &Kiosk, saved: Result<records::StoredRecord, String>, kept: Kept) {
        let Kept {
            analysis,
            step,
            attempts,
            screened,
            tapped,
        } = kept;
        match saved {
            Ok(rec) => {
                k.home.register_recovered(k);
                self.state.borrow_mut().attempts = attempts;
                let coverage = k.catalog.coverage(&screened.tool);
                k.visit.add(coverage, screened);
                self.show_outcome(
                    k,
                    Outcome::Saved {
                        analysis,
                        step,
                        record: rec.id,
                    },
                );
                self.show_eye(k);
                k.visit.refresh_line(k);
                let ms = tapped.elapsed().as_secs_f64() * 1000.0;
                self.state.borrow_mut().latencies_ms.push(ms);
                log::info!(
                    "analyse tap to result on screen (saved as record {}): {ms:.1} ms",
                    rec.id
                );
            }
            Err(e) => {
                k.register_fault(&e);
                self.show_outcome(k, Outcome::NotRecorded(e));
            }
        }
    }
}

/// What waits with a save for the register's answer.
struct Kept {
    analysis: Box<Analysis>,
    step: Step,
    attempts: flow::Attempts,
    screened: Screened,
    tapped: Instant,
}
