//! The patient visit on the kiosk: who the patient is (keys or scanner), the
//! eye being screened, saving each result to the register *before* it is
//! shown, the visit summary with its one referral decision, and the slip.

use super::app::Kiosk;
use super::controllers::{id_char, type_key, MAX_TYPED};
use super::state::StoreReq;
use super::ui::{Screen, TypingField};
use crate::analysis::Analysis;
use crate::records::{self, Eye, ImageData, NewRecord, NewVisit, Sex, Shown};
use crate::screening::Screened;
use crate::screening::{flow, ResultKind};
use crate::serial::{escpos, scanner, DeviceKind, SerialEvent};
use slint::SharedString;
use std::time::Instant;

impl Kiosk {
    /// The "who is the patient" screen, optionally with a scanned ID.
    pub(super) fn open_visit_start(&self, scanned: Option<String>) {
        if !self.nurse_ready(super::signin::After::VisitStart(scanned.clone())) {
            return;
        }
        let next_name = {
            let mut st = self.state.borrow_mut();
            st.entry.id = scanned.unwrap_or_default();
            st.entry.age.clear();
            st.entry.field = TypingField::PatientId;
            let next = st.visit.next_tool.clone();
            next.and_then(|id| self.catalog.tool(&id).ok().map(|t| t.name.clone()))
        };
        let g = self.g();
        g.set_entry_id(self.state.borrow().entry.id.clone().into());
        g.set_entry_age(SharedString::new());
        g.set_entry_sex(0);
        g.set_entry_field(TypingField::PatientId);
        g.set_entry_next_tool(
            next_name
                .unwrap_or_else(|| "choose a screening".into())
                .into(),
        );
        g.set_screen(Screen::VisitStart);
    }

    /// Which field the on-screen keys type into.
    pub(super) fn pick_field(&self, f: TypingField) {
        self.state.borrow_mut().entry.field = f;
        self.g().set_entry_field(f);
    }

    /// One on-screen key, for the field it types into.
    pub(super) fn key(&self, key: &str) {
        let field = self.state.borrow().entry.field;
        let g = self.g();
        match field {
            TypingField::PatientId => {
                let id = {
                    let mut st = self.state.borrow_mut();
                    type_key(&mut st.entry.id, key, MAX_TYPED, id_char);
                    st.entry.id.clone()
                };
                g.set_entry_id(id.into());
            }
            TypingField::Age => {
                let age = {
                    let mut st = self.state.borrow_mut();
                    type_key(&mut st.entry.age, key, 3, |c| c.is_ascii_digit());
                    st.entry.age.clone()
                };
                g.set_entry_age(age.into());
                if key == "OK" {
                    self.pick_field(TypingField::PatientId);
                }
            }
            TypingField::HistorySearch => self.history.key(self, key),
            TypingField::Operator => self.admin.key(self, key),
            TypingField::None => {}
        }
    }

    /// "Start screening": the visit is opened in the register first.
    pub(super) fn start_visit(&self) {
        let g = self.g();
        let (id, age) = {
            let st = self.state.borrow();
            (st.entry.id.clone(), st.entry.age.clone())
        };
        let patient_id = match scanner::patient_id(&id) {
            Ok(p) => p,
            Err(e) => return self.say(format!("Check the patient ID: {e}")),
        };
        let age = match age.trim() {
            "" => None,
            a => match a.parse::<u32>() {
                Ok(n) if n <= 130 => Some(n),
                _ => return self.say("Check the age: it must be a number from 0 to 130."),
            },
        };
        let sex = match g.get_entry_sex() {
            1 => Some(Sex::Female),
            2 => Some(Sex::Male),
            3 => Some(Sex::Other),
            _ => None,
        };
        // The signed-in nurse screens (the idle lock may have signed her out).
        let Some(operator) = self.nurse_name() else {
            self.nurse_ready(super::signin::After::Home);
            return;
        };
        let visit = {
            let s = self.settings.borrow();
            NewVisit {
                kiosk_id: s.kiosk_id.clone(),
                operator,
                patient_id: patient_id.clone(),
                age,
                sex,
            }
        };
        {
            let mut st = self.state.borrow_mut();
            st.visit.patient_id = patient_id;
            st.visit.age = age;
            st.visit.sex = sex;
        }
        self.store_job(StoreReq::StartVisit, |req| records::Job::StartVisit {
            req,
            visit,
        });
    }

    /// The register opened the visit: screening can begin.
    pub(super) fn visit_started(&self, id: records::VisitId) {
        let next = {
            let mut st = self.state.borrow_mut();
            st.visit.id = Some(id);
            st.visit.started = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
            st.visit.next_tool.take()
        };
        let g = self.g();
        g.set_in_visit(true);
        g.set_visit_patient(self.state.borrow().visit.patient_id.clone().into());
        self.refresh_visit_line();
        match next {
            Some(tool) => self.select_tool(&tool),
            None => g.set_screen(Screen::Home),
        }
    }

    /// "Age 54 · female · 2 results".
    pub(super) fn refresh_visit_line(&self) {
        let st = self.state.borrow();
        let v = &st.visit;
        let mut parts = Vec::new();
        if let Some(a) = v.age {
            parts.push(format!("Age {a}"));
        }
        if let Some(s) = v.sex {
            parts.push(s.as_str().to_string());
        }
        let n = v.screened.result_count();
        parts.push(match n {
            0 => "no results yet".into(),
            1 => "1 result".into(),
            n => format!("{n} results"),
        });
        self.g().set_visit_detail_line(parts.join(" · ").into());
    }

    pub(super) fn pick_eye(&self, left: bool) {
        let is_eye_tool = self.state.borrow().visit.eye.is_some();
        if is_eye_tool {
            self.state.borrow_mut().visit.eye = Some(if left { Eye::Left } else { Eye::Right });
            self.show_eye();
        }
    }

    /// The eye choice and "Now the left eye" on screen.
    pub(super) fn show_eye(&self) {
        let st = self.state.borrow();
        let g = self.g();
        let eye = st.visit.eye;
        g.set_tool_has_eyes(eye.is_some());
        g.set_eye_left(eye == Some(Eye::Left));
        let next = st
            .tool
            .as_ref()
            .filter(|_| eye.is_some())
            .and_then(|t| st.visit.screened.next_eye(&t.id))
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
        let next = {
            let st = self.state.borrow();
            st.tool
                .as_ref()
                .and_then(|t| st.visit.screened.next_eye(&t.id))
        };
        {
            let mut st = self.state.borrow_mut();
            st.visit.eye = next.or(st.visit.eye);
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
        self.refresh_visit_line();
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
        let prepared = {
            let st = self.state.borrow();
            let mut attempts = st.attempts;
            let view = attempts.record(&a);
            let screened = Screened {
                tool: a.tool.clone(),
                eye: st.visit.eye,
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
            st.visit.id.zip(image).map(|(visit, image)| {
                let record = NewRecord {
                    visit,
                    eye: st.visit.eye,
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
                {
                    let mut st = self.state.borrow_mut();
                    st.attempts = attempts;
                    let coverage = self.catalog.coverage(&screened.tool);
                    st.visit.screened.add(coverage, screened);
                }
                view.trace = format!("{} · record {}", view.trace, rec.id);
                self.apply_view(&view, attempts.current());
                self.show_eye();
                self.refresh_visit_line();
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
        let record = {
            let st = self.state.borrow();
            let name = st
                .ct
                .entries
                .get(index)
                .map(|e| e.name.clone())
                .unwrap_or_default();
            match (st.visit.id, file) {
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
                {
                    let mut st = self.state.borrow_mut();
                    let coverage = self.catalog.coverage(&analysis.tool);
                    st.visit.screened.add(
                        coverage,
                        Screened {
                            tool: analysis.tool.clone(),
                            eye: None,
                            kind: view.kind,
                            headline: view.headline,
                        },
                    );
                }
                self.refresh_visit_line();
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

    /// "Print slip" on the visit summary.
    pub(super) fn print_slip(&self) {
        let (visit, lines) = {
            let st = self.state.borrow();
            (st.visit.id, st.visit.slip.clone())
        };
        if let Some(visit) = visit {
            self.print(visit, lines);
        }
    }

    /// Sends a slip to the printer; the register learns what was printed
    /// once the printer has it. With no printer, says why instead.
    pub(super) fn print(&self, visit: records::VisitId, lines: Vec<crate::serial::PrintLine>) {
        let g = self.g();
        if let Some(why) = self.no_printer() {
            g.set_print_status(why.into());
            return self.say(why);
        }
        let text = escpos::plain_text(&lines, self.slip_width());
        let job = {
            let mut st = self.state.borrow_mut();
            let job = st.next_print;
            st.next_print += 1;
            st.prints.insert(job, (visit, text));
            job
        };
        if self.serial.borrow().print(job, lines) {
            g.set_print_status("Printing…".into());
        } else {
            self.state.borrow_mut().prints.remove(&job);
            let why = "No receipt printer is set up — set it up in Admin.";
            g.set_print_status(why.into());
            self.say(why);
        }
    }

    /// Why a slip cannot be printed now, if it cannot.
    fn no_printer(&self) -> Option<&'static str> {
        if !self.serial.borrow().has(DeviceKind::Printer) {
            return Some("No receipt printer is set up — set it up in Admin.");
        }
        let connected = self
            .state
            .borrow()
            .devices
            .get(&DeviceKind::Printer)
            .is_some_and(|(c, _)| *c);
        (!connected).then_some("No receipt printer connected — plug it in, or set it up in Admin.")
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
                Screen::VisitStart => {
                    self.state.borrow_mut().entry.id = id.clone();
                    g.set_entry_id(id.into());
                }
                Screen::Home if !g.get_in_visit() => self.open_visit_start(Some(id)),
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
                let done = self.state.borrow_mut().prints.remove(&job);
                if let Some((visit, text)) = done {
                    let at = chrono::Local::now().format("%H:%M").to_string();
                    g.set_print_status(format!("Printed at {at}.").into());
                    if g.get_screen() == Screen::VisitDetail {
                        self.say(format!("Slip reprinted at {at}."));
                    }
                    self.store_job(StoreReq::SetPrinted, |req| records::Job::SetPrinted {
                        req,
                        visit,
                        text,
                    });
                }
            }
            SerialEvent::PrintFailed { job, error } => {
                self.state.borrow_mut().prints.remove(&job);
                let text = format!("Could not print the slip: {error}");
                g.set_print_status(text.clone().into());
                self.say(text);
            }
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
