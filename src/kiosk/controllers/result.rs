//! A result is saved to the register *before* it is shown: the analysis of
//! the review screen's picture becomes a record, and only the register's
//! answer puts the outcome (or "Not recorded") on the result screen.

use super::capture::Capture;
use crate::analysis::Analysis;
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::records::{self, ImageData, NewRecord, Shown};
use crate::screening::{flow, ResultKind, Screened};
use std::time::Instant;

impl Capture {
    /// An analysis of the review screen's picture came back: record it, and
    /// show it only once the register has it.
    pub fn record_still(&self, k: &Kiosk, result: Result<Analysis, String>, tapped: Instant) {
        let a = match result {
            Ok(a) => a,
            Err(e) => {
                let attempt = self.state.borrow().attempts.current();
                return self.apply_view(k, &flow::error_view(&e), attempt);
            }
        };
        let (visit_id, eye) = (k.visit.id(), k.visit.eye());
        let prepared = {
            let st = self.state.borrow();
            let mut attempts = st.attempts;
            let view = attempts.record(&a);
            let screened = Screened {
                tool: a.tool.clone(),
                eye,
                kind: view.kind,
                headline: view.headline.clone(),
            };
            let image = match (&st.still_file, &st.still_png, &st.still) {
                (Some((bytes, ext)), _, _) => Some(ImageData::Encoded {
                    bytes: bytes.clone(),
                    ext: ext.clone(),
                }),
                (None, Some(png), Some(_)) => Some(ImageData::Encoded {
                    bytes: png.clone(),
                    ext: "png".into(),
                }),
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
                (record, view, attempts, screened)
            })
        };
        let Some((record, view, attempts, screened)) = prepared else {
            let attempt = self.state.borrow().attempts.current();
            return self.apply_view(
                k,
                &flow::error_view(
                    "There is no open visit to record this result in. Start the visit again.",
                ),
                attempt,
            );
        };
        k.g().set_busy_text("Saving…".into());
        k.register(
            Watch::Save,
            move |s| s.save(&record),
            move |k, saved| {
                k.capture
                    .still_saved(k, saved, view, attempts, screened, tapped)
            },
        );
    }

    /// The register has the result: now it may be shown.
    fn still_saved(
        &self,
        k: &Kiosk,
        saved: Result<records::StoredRecord, String>,
        mut view: flow::ResultView,
        attempts: flow::Attempts,
        screened: Screened,
        tapped: Instant,
    ) {
        match saved {
            Ok(rec) => {
                k.home.register_recovered(k);
                self.state.borrow_mut().attempts = attempts;
                let coverage = k.catalog.coverage(&screened.tool);
                k.visit.add(coverage, screened);
                view.trace = format!("{} · record {}", view.trace, rec.id);
                self.apply_view(k, &view, attempts.current());
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
                let attempt = self.state.borrow().attempts.current();
                self.apply_view(k, &not_recorded_view(&e), attempt);
            }
        }
    }
}

/// The result screen when the register could not save: no result is shown.
fn not_recorded_view(error: &str) -> flow::ResultView {
    flow::ResultView {
        kind: ResultKind::Error,
        headline: "Not recorded — result not shown".into(),
        advice: error.to_string(),
        confidence: None,
        trace: String::new(),
    }
}
