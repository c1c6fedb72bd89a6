//! Capture-side visit work on the kiosk: the on-screen keys routed to the
//! field they type into, the eye being screened, saving each result to the
//! register *before* it is shown, and what the serial devices say.

use super::app::Kiosk;
use super::state::StoreReq;
use super::ui::{Screen, TypingField};
use crate::analysis::Analysis;
use crate::records::{self, NewRecord};
use crate::screening::flow;
use crate::screening::Screened;
use crate::serial::{DeviceKind, SerialEvent};

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

    pub(super) fn another_tool(&self) {
        self.capture.close(self, false);
        self.state.borrow_mut().ct = Default::default();
        self.visit.refresh_line(self);
        self.g().set_screen(Screen::Home);
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
