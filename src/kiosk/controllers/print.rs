//! Printing a visit's slip: the jobs sent to the printer, and what the
//! printer said. The register learns what was printed once the printer has
//! it (the history's reprint goes through here too).

use super::visit::{page, Visit};
use crate::i18n::{n_, tr, trf, Lang, Words};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::Screen;
use crate::records::VisitId;
use crate::serial::{escpos, DeviceKind, PrintLine};

impl Visit {
    /// "Print slip" on the visit summary.
    pub(super) fn print_slip(&self, k: &Kiosk) {
        let (visit, lines, lang, english) = {
            let st = self.state.borrow();
            let v = &st.visit;
            (v.id, v.slip.clone(), v.language, v.slip_en.clone())
        };
        if let Some(visit) = visit {
            self.print(k, visit, lines, lang, &english);
        }
    }

    /// Sends a slip to the printer; once the printer has it, the register
    /// learns what was printed, in English (`english`: the same slip's
    /// lines, or the lines themselves when they are English). With no
    /// printer, says why instead.
    pub fn print(
        &self,
        k: &Kiosk,
        visit: VisitId,
        lines: Vec<PrintLine>,
        lang: Lang,
        english: &[PrintLine],
    ) {
        if let Some(why) = no_printer(k) {
            return self.cannot_print(k, why);
        }
        let text = escpos::plain_text(english, k.slip_width());
        let job = {
            let mut st = self.state.borrow_mut();
            let job = st.next_print;
            st.next_print += 1;
            st.prints.insert(job, (visit, text));
            job
        };
        // A slip in an Indic script is printed as a picture in its own font.
        let picture = (lang != Lang::En).then(|| lang.font_stack());
        if k.serial.borrow().print(job, lines, picture) {
            self.show_print_status(k, Some(Words::new(|l| tr(l, "Printing…"))));
        } else {
            self.state.borrow_mut().prints.remove(&job);
            self.cannot_print(k, NOT_SET_UP);
        }
    }

    /// Why the slip cannot be printed (a msgid), on the summary and in the
    /// message bar.
    fn cannot_print(&self, k: &Kiosk, why: &'static str) {
        self.show_print_status(k, Some(Words::new(move |l| tr(l, why))));
        k.say_in(move |l| tr(l, why));
    }

    /// What became of the slip, under it on the summary (`None`: nothing
    /// yet), in the screen's language; kept to say it again in another.
    pub(super) fn show_print_status(&self, k: &Kiosk, status: Option<Words>) {
        let text = status
            .as_ref()
            .map(|w| w.in_lang(k.lang()))
            .unwrap_or_default();
        self.state.borrow_mut().visit.print_status = status;
        page(k).set_print_status(text.into());
    }

    /// The printer has taken job `job`: the register learns what was
    /// printed. Returns the visit and the slip's text, for the history.
    pub fn printed(&self, k: &Kiosk, job: u64) -> Option<(VisitId, String)> {
        let done = self.state.borrow_mut().prints.remove(&job);
        let (visit, text) = done?;
        let at = chrono::Local::now().format("%H:%M").to_string();
        let shown = at.clone();
        self.show_print_status(
            k,
            Some(Words::new(move |l| trf(l, "Printed at {}.", &[&shown]))),
        );
        if k.g().get_screen() == Screen::VisitDetail {
            k.say_in(move |l| trf(l, "Slip reprinted at {}.", &[&at]));
        }
        let stored = text.clone();
        k.register(
            Watch::Update,
            move |s| s.set_printed(visit, &stored),
            |k, done| k.end_not_saved(done),
        );
        Some((visit, text))
    }

    /// The printer could not print job `job`.
    pub fn print_failed(&self, k: &Kiosk, job: u64, error: &str) {
        self.state.borrow_mut().prints.remove(&job);
        let error = error.to_string();
        let words = Words::new(move |l| trf(l, "Could not print the slip: {}", &[&error]));
        self.show_print_status(k, Some(words.clone()));
        k.say_words(words);
    }
}

const NOT_SET_UP: &str = n_("No receipt printer is set up — set it up in Admin.");

/// Why a slip cannot be printed now (a msgid), if it cannot.
fn no_printer(k: &Kiosk) -> Option<&'static str> {
    if !k.serial.borrow().has(DeviceKind::Printer) {
        return Some(NOT_SET_UP);
    }
    let connected = k.home.device_connected(DeviceKind::Printer);
    (!connected).then_some(n_(
        "No receipt printer connected — plug it in, or set it up in Admin.",
    ))
}
