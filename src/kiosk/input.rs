//! What reaches the screens from outside their own buttons: the on-screen
//! keys, routed to the controller whose field they type into, and what the
//! serial devices (trigger, scanner, printer) say, routed by screen.

use super::app::Kiosk;
use super::ui::{Screen, TypingField};
use crate::serial::SerialEvent;

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
                self.home.device_status(device, connected, text);
                self.home.refresh_devices(self);
            }
            SerialEvent::Printed { job } => {
                if let Some((visit, text)) = self.visit.printed(self, job) {
                    self.history.after_print(self, visit, text);
                }
            }
            SerialEvent::PrintFailed { job, error } => self.visit.print_failed(self, job, &error),
        }
    }
}
