//! Capture-side visit work on the kiosk: the on-screen keys routed to the
//! field they type into, the eye being screened, saving each result to the
//! register *before* it is shown, and what the serial devices say.

use super::app::Kiosk;
use super::state::StoreReq;
use super::ui::{Screen, TypingField};
use crate::analysis::Analysis;
use crate::records::{self, Eye, ImageData, NewRecord, Shown};
use crate::screening::Screened;
use crate::screening::{flow, ResultKind};
use crate::serial::{DeviceKind, SerialEvent};
use std::time::Instant;

impl Kiosk {
    /// Which field the on-screen keys type into.
    pub(super) fn pick_field(&self, f: TypingField) {
        self.state.borrow_mut().typing = f;
        self.g().set_entry_field(f);
    }

    /// One on-screen key, for the field it types into.
    pub(super) fn key(&self, key: &str) {
        let field = self.state.borrow().typing;
        match field {
            TypingField::PatientId | TypingField::Age => self.visit.key(self, field, key),
            TypingField::HistorySearch => self.history.key(self, key),
            TypingField::Operator => self.admin.key(self, key),
            TypingField::None => {}
        }
    }

    pub(super) fn pick_eye(&self, left: bool) {
        if self.visit.eye().is_some() {
            self.visit
                .set_eye(Some(if left { Eye::Left } else { Eye::Right }));
            self.show_eye();
        }
    }

    /// The eye choice and "Now the left eye" on screen.
    pub(super) fn show_eye(&self) {
        let g = self.g();
        let eye = self.visit.eye();
        g.set_tool_has_eyes(eye.is_some());
        g.set_eye_left(eye == Some(Eye::Left));
        let tool = self.state.borrow().tool.as_ref().map(|t| t.id.clone());
        let next = tool
            .filter(|_| eye.is_some())
            .and_then(|t| self.visit.next_eye(&t))
            .filter(|n| Some(*n) != eye);
        g.set_next_eye_pending(next.is_some());
        g.set_next_eye_label(
            next.map(|e| e.label().to_lowercase())
                .unwrap_or_default()
                .into(),
        );
    }

    /// "Now the left eye": same tool, the other eye, fresh attempts.
    pub(super) fn other_eye(&self) {
        let tool = self.state.borrow().tool.as_ref().map(|t| t.id.clone());
        let next = tool.and_then(|t| self.visit.next_eye(&t));
        self.visit.set_eye(next.or(self.visit.eye()));
        {
            let mut st = self.state.borrow_mut();
            st.attempts.reset();
            st.still = None;
        }
        self.show_eye();
        let g = self.g();
        g.set_attempt(1);
        g.set_screen(Screen::Capture);
    }

    pub(super) fn another_tool(&self) {
        {
            let mut st = self.state.borrow_mut();
            st.tool = None;
            st.still = None;
            st.ct = Default::default();
        }
        self.visit.refresh_line(self);
        self.g().set_screen(Screen::Home);
    }

    /// An analysis of the review screen's picture came back: record it, and
    /// show it only once the register has it.
    pub(super) fn record_still(&self, result: Result<Analysis, String>, tapped: Instant) {
        let a = match result {
            Ok(a) => a,
            Err(e) => {
                let attempt = self.state.borrow().attempts.current();
                return self.apply_view(&flow::error_view(&e), attempt);
            }
        };
        let (visit_id, eye) = (self.visit.id(), self.visit.eye());
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
                &flow::error_view(
                    "There is no open visit to record this result in. Start the visit again.",
                ),
                attempt,
            );
        };
        self.g().set_busy_text("Saving…".into());
        let record = Box::new(record);
        self.store_job(
            StoreReq::SaveStill {
                view,
                attempts,
                screened,
                tapped,
            },
            |req| records::Job::Save { req, record },
        );
    }

    /// The register has the result: now it may be shown.
    pub(super) fn still_saved(&self, req: StoreReq, saved: Result<records::StoredRecord, String>) {
        let StoreReq::SaveStill {
            mut view,
            attempts,
            screened,
            tapped,
        } = req
        else {
            return;
        };
        match saved {
            Ok(rec) => {
                self.state.borrow_mut().attempts = attempts;
                let coverage = self.catalog.coverage(&screened.tool);
                self.visit.add(coverage, screened);
                view.trace = format!("{} · record {}", view.trace, rec.id);
                self.apply_view(&view, attempts.current());
                self.show_eye();
                self.visit.refresh_line(self);
                let ms = tapped.elapsed().as_secs_f64() * 1000.0;
                self.state.borrow_mut().latencies_ms.push(ms);
                log::info!(
                    "analyse tap to result on screen (saved as record {}): {ms:.1} ms",
                    rec.id
                );
            }
            Err(e) => {
                self.register_fault(&e);
                let attempt = self.state.borrow().attempts.current();
                self.apply_view(&not_recorded_view(&e), attempt);
            }
        }
    }

    /// A CT slice's analysis came back: record it before it counts.
    pub(super) fn record_slice(
        &self,
        index: usize,
        result: Result<Analysis, String>,
        file: Option<(Vec<u8>, String)>,
    ) {
        let a = match result {
            Ok(a) => a,
            Err(e) => return self.slice_done(index, Err(e)),
        };
        let visit = self.visit.id();
        let record = {
            let st = self.state.borrow();
            let name = st
                .ct
                .entries
                .get(index)
                .map(|e| e.name.clone())
                .unwrap_or_default();
            match (visit, file) {
                (Some(visit), Some(file)) => {
                    Some(NewRecord::imported(visit, None, &name, file, a.clone()))
                }
                _ => None,
            }
        };
        let Some(record) = record else {
            return self.slice_done(index, Err("Not recorded: no open visit".into()));
        };
        let record = Box::new(record);
        self.store_job(
            StoreReq::SaveSlice {
                index,
                analysis: Box::new(a),
            },
            |req| records::Job::Save { req, record },
        );
    }

    pub(super) fn slice_saved(&self, req: StoreReq, saved: Result<records::StoredRecord, String>) {
        let StoreReq::SaveSlice { index, analysis } = req else {
            return;
        };
        match saved {
            Ok(_) => {
                let view = flow::result_view(&analysis);
                let coverage = self.catalog.coverage(&analysis.tool);
                self.visit.add(
                    coverage,
                    Screened {
                        tool: analysis.tool.clone(),
                        eye: None,
                        kind: view.kind,
                        headline: view.headline,
                    },
                );
                self.visit.refresh_line(self);
                self.slice_done(index, Ok(*analysis))
            }
            Err(e) => {
                self.register_fault(&e);
                self.slice_done(index, Err(format!("Not recorded, so not shown: {e}")));
            }
        }
    }

    pub(super) fn slip_width(&self) -> u32 {
        self.settings
            .borrow()
            .serial
            .printer
            .as_ref()
            .map(|p| p.width)
            .unwrap_or(32)
    }

    /// What a serial device said.
    pub(super) fn on_serial(&self, e: SerialEvent) {
        let g = self.g();
        match e {
            SerialEvent::Trigger => match g.get_screen() {
                Screen::Capture => self.camera.borrow().capture(),
                other => log::info!("capture trigger ignored on the {other:?} screen"),
            },
            SerialEvent::Barcode(id) => match g.get_screen() {
                Screen::VisitStart => self.visit.scanned(self, id),
                Screen::Home if !g.get_in_visit() => self.visit.open_start(self, Some(id)),
                Screen::History | Screen::VisitDetail => self.history.scanned(self, id),
                other => log::info!("a scanned barcode was ignored on the {other:?} screen"),
            },
            SerialEvent::Status {
                device,
                connected,
                text,
            } => {
                log::info!("{}: {text}", device.label());
                self.state
                    .borrow_mut()
                    .devices
                    .insert(device, (connected, text));
                self.refresh_devices();
            }
            SerialEvent::Printed { job } => {
                if let Some((visit, text)) = self.visit.printed(self, job) {
                    self.history.after_print(self, visit, text);
                }
            }
            SerialEvent::PrintFailed { job, error } => self.visit.print_failed(self, job, &error),
        }
    }

    /// The status line's serial devices: "Scanner ● · Printer ○".
    pub(super) fn refresh_devices(&self) {
        let st = self.state.borrow();
        let serial = self.serial.borrow();
        let words: Vec<String> = [
            DeviceKind::Trigger,
            DeviceKind::Scanner,
            DeviceKind::Printer,
        ]
        .into_iter()
        .filter(|d| serial.has(*d))
        .map(|d| {
            let connected = st.devices.get(&d).map(|(c, _)| *c).unwrap_or(false);
            format!(
                "{} {}",
                d.label(),
                if connected {
                    "●"
                } else {
                    "○ not connected"
                }
            )
        })
        .collect();
        self.g().set_status_devices(words.join(" · ").into());
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
