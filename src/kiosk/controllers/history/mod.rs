//! History on the kiosk: today's visits or a patient-ID search, a visit's
//! records (saved picture, result, trace) and its printed slip, and reprint
//! (always headed "COPY (reprint)"; the list and the visit show the new
//! print as soon as the printer has it). Its Slint global is `HistoryPage`.

mod slip;

use super::{id_char, on, type_key, MAX_TYPED};
use crate::i18n::{tr, trf, trn};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::{self, HistoryPage, RecordRow, Screen, TypingField, VisitRow};
use crate::records::{RecordId, StoredRecord, VisitDetail, VisitId, VisitSummary};
use crate::screening::words;
use slint::{ComponentHandle, ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString, VecModel};
use slip::{printed_note, show_printed};
use std::cell::RefCell;
use std::rc::Rc;

/// What the history screens are showing.
#[derive(Default)]
struct HistoryState {
    /// The patient ID being searched for (empty: today's visits).
    query: String,
    detail: Option<VisitDetail>,
    index: usize,
    shown_record: Option<RecordId>,
}

/// The history screens' controller.
#[derive(Default)]
pub struct History {
    state: RefCell<HistoryState>,
}

fn page(k: &Kiosk) -> HistoryPage<'_> {
    k.window().global::<HistoryPage>()
}

impl History {
    /// Wires the `HistoryPage` global's callbacks.
    pub fn wire(k: &Rc<Kiosk>) {
        let p = page(k);
        on!(k, p, on_open_history, |k| k.history.open(&k));
        on!(k, p, on_open_visit, |k, id| k
            .history
            .open_visit(&k, id as i64));
        on!(k, p, on_open_record, |k, i| k
            .history
            .open_record(&k, i.max(0) as usize));
        on!(k, p, on_reprint, |k| k.history.reprint(&k));
    }

    pub fn open(&self, k: &Kiosk) {
        // The history names patients: only for a signed-in nurse.
        if !k.signin.ready(k, super::signin::After::History) {
            return;
        }
        self.state.borrow_mut().query.clear();
        page(k).set_history_query(SharedString::new());
        k.pick_field(TypingField::None);
        k.show(Screen::History);
        self.search(k);
    }

    /// One on-screen key typed into the patient-ID search.
    pub fn key(&self, k: &Kiosk, key: &str) {
        let query = {
            let mut st = self.state.borrow_mut();
            type_key(&mut st.query, key, MAX_TYPED, id_char);
            st.query.clone()
        };
        page(k).set_history_query(query.into());
        self.search(k);
    }

    /// A scanned patient ID on a history screen: searched for.
    pub fn scanned(&self, k: &Kiosk, id: String) {
        self.state.borrow_mut().query = id.clone();
        page(k).set_history_query(id.into());
        k.show(Screen::History);
        self.search(k);
    }

    /// The history screens again in the screen's language: the list is read
    /// again, the open visit shown again from what was read.
    pub fn reword(&self, k: &Kiosk) {
        match k.g().get_screen() {
            Screen::History => self.search(k),
            Screen::VisitDetail => {
                let (detail, index) = {
                    let st = self.state.borrow();
                    (st.detail.clone(), st.index)
                };
                // Words only: the picture on screen stays.
                if let Some(d) = detail {
                    visit_words(k, &d);
                    if let Some(rec) = d.records.get(index) {
                        record_words(k, rec);
                    }
                }
            }
            _ => {}
        }
    }

    /// The search is forgotten (the idle lock).
    pub fn forget_query(&self, k: &Kiosk) {
        self.state.borrow_mut().query.clear();
        page(k).set_history_query(SharedString::new());
    }

    /// Today's visits, or those whose patient ID contains the query.
    fn search(&self, k: &Kiosk) {
        let query = self.state.borrow().query.clone();
        k.register(
            Watch::Search,
            move |s| match query.is_empty() {
                true => s.visits_on(chrono::Local::now().date_naive()),
                false => s.search_patient(&query),
            },
            |k, visits| match visits {
                Ok(v) => k.history.show_list(k, v),
                Err(e) => k.say_in(move |l| trf(l, "The history cannot be read: {}", &[&e])),
            },
        );
    }

    /// The register's answer to a search.
    fn show_list(&self, k: &Kiosk, visits: Vec<VisitSummary>) {
        let query = self.state.borrow().query.clone();
        let n = visits.len();
        let rows: Vec<VisitRow> = visits
            .iter()
            .map(|v| VisitRow {
                id: v.id as i32,
                time: short_time(&v.started_local, !query.is_empty()).into(),
                patient: v.patient_id.clone().into(),
                kind: decision_kind(v),
                referral: decision_words(k, v).into(),
                count: v.record_count as i32,
            })
            .collect();
        let lang = k.lang();
        let title = if query.is_empty() {
            trn(lang, "{n} visit today", "{n} visits today", n as u64, &[])
        } else {
            trn(
                lang,
                "{n} visit with a patient ID containing “{}”",
                "{n} visits with a patient ID containing “{}”",
                n as u64,
                &[&query],
            )
        };
        let printed: Vec<SharedString> = visits
            .iter()
            .map(|v| printed_note(v.printed_count, lang).into())
            .collect();
        let p = page(k);
        p.set_history_title(title.into());
        ui::update_rows(p.get_row_printed(), printed, |m| p.set_row_printed(m));
        ui::update_rows(p.get_history_rows(), rows, |m| p.set_history_rows(m));
    }

    fn open_visit(&self, k: &Kiosk, visit: i64) {
        k.register(
            Watch::Search,
            move |s| {
                s.visit(visit)?
                    .ok_or(crate::records::RecordsError::NotFound)
            },
            |k, detail| match detail {
                Ok(d) => k.history.show_visit(k, d),
                Err(e) => k.say_in(move |l| trf(l, "That visit cannot be read: {}", &[&e])),
            },
        );
    }

    /// The register's answer: one visit with its records.
    fn show_visit(&self, k: &Kiosk, d: VisitDetail) {
        let p = page(k);
        visit_words(k, &d);
        let empty = d.records.is_empty();
        {
            let mut st = self.state.borrow_mut();
            st.detail = Some(d);
            st.index = 0;
        }
        k.show(Screen::VisitDetail);
        if empty {
            p.set_detail_headline(tr(k.lang(), "No results in this visit").into());
            p.set_detail_advice(SharedString::new());
            p.set_detail_trace(SharedString::new());
            p.set_detail_image(Default::default());
        } else {
            self.open_record(k, 0);
        }
    }

    /// After a slip was printed (its register update is already queued):
    /// the open visit shows the new count and text, as the register now
    /// holds them, and the list is read again (after that update).
    pub fn after_print(&self, k: &Kiosk, visit: VisitId, text: String) {
        let open = {
            let mut st = self.state.borrow_mut();
            match st.detail.as_mut() {
                Some(d) if d.visit.id == visit => {
                    d.visit.printed_text = Some(text);
                    d.visit.printed_count += 1;
                    Some(d.clone())
                }
                _ => None,
            }
        };
        if let Some(v) = open {
            show_printed(k, &v);
        }
        if matches!(k.g().get_screen(), Screen::History | Screen::VisitDetail) {
            self.search(k);
        }
    }

    /// Shows record `i` of the open visit; its picture is read off the UI thread.
    fn open_record(&self, k: &Kiosk, i: usize) {
        let rec = {
            let mut st = self.state.borrow_mut();
            let Some(r) = st.detail.as_ref().and_then(|d| d.records.get(i)).cloned() else {
                return;
            };
            st.index = i;
            st.shown_record = Some(r.id);
            r
        };
        let p = page(k);
        p.set_detail_index(i as i32);
        record_words(k, &rec);
        p.set_detail_image(Default::default());
        // The register reads (and opens) the picture; it is decoded beside.
        let id = rec.id;
        k.register(
            Watch::Search,
            move |s| s.read_image(&rec),
            move |k, bytes| k.history.on_detail_bytes(k, id, bytes),
        );
    }

    /// The saved picture's bytes arrived from the register: decoded off the
    /// UI thread, then shown if that record is still on screen.
    fn on_detail_bytes(&self, k: &Kiosk, record: i64, bytes: Result<Vec<u8>, String>) {
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => return self.on_detail_image(k, record, Err(e)),
        };
        let limits = k.settings.borrow().limits();
        let _ = k.background(
            "history-image",
            move || {
                crate::decode::decode(&bytes, &limits)
                    .map(|(_, f)| ui::display_buffer(&f, (800, 800)))
                    .map_err(|e| e.to_string())
            },
            move |k, image| k.history.on_detail_image(k, record, image),
        );
    }

    pub fn on_detail_image(
        &self,
        k: &Kiosk,
        record: i64,
        image: Result<SharedPixelBuffer<Rgb8Pixel>, String>,
    ) {
        if self.state.borrow().shown_record != Some(record) {
            return;
        }
        match image {
            Ok(buf) => page(k).set_detail_image(ui::image(buf)),
            Err(e) => k.say_in(move |l| trf(l, "The saved picture cannot be shown: {}", &[&e])),
        }
    }
}

/// The open visit's words: its title, decision, slip and record rows.
fn visit_words(k: &Kiosk, d: &VisitDetail) {
    let p = page(k);
    p.set_detail_title(
        trf(
            k.lang(),
            "Patient {} · {}",
            &[
                &d.visit.patient_id,
                &short_time(&d.visit.started_local, true),
            ],
        )
        .into(),
    );
    p.set_detail_referral(decision_words(k, &d.visit).into());
    show_printed(k, d);
    let rows: Vec<RecordRow> = d
        .records
        .iter()
        .map(|r| RecordRow {
            id: r.id as i32,
            time: short_time(&r.time_local, false).into(),
            label: record_label(k, r).into(),
            kind: ui::outcome_kind(r.shown_kind),
            headline: tr(k.lang(), &r.headline).into(),
        })
        .collect();
    p.set_detail_records(ModelRc::new(VecModel::from(rows)));
}

/// One record's words: its outcome, advice and trace.
fn record_words(k: &Kiosk, rec: &StoredRecord) {
    let p = page(k);
    p.set_detail_kind(ui::outcome_kind(rec.shown_kind));
    // The register's English words, in the screen's language where the
    // catalogue has them (a fixed sentence); otherwise as recorded.
    p.set_detail_headline(tr(k.lang(), &rec.headline).into());
    p.set_detail_advice(tr(k.lang(), &rec.advice).into());
    p.set_detail_trace(
        trf(
            k.lang(),
            "Record {0} · {1} · model {2} {3} sha256 {4} · {5} {6} · picture sha256 {7} · {8}",
            &[
                &rec.id.to_string(),
                &rec.time_local,
                &rec.model_id,
                &rec.model_version,
                rec.model_sha256.get(..12).unwrap_or(&rec.model_sha256),
                &rec.device,
                &rec.precision,
                rec.image_sha256.get(..12).unwrap_or(&rec.image_sha256),
                &rec.operator,
            ],
        )
        .into(),
    );
}

/// A visit's decision in words, from its code and parts.
fn decision_words(k: &Kiosk, v: &VisitSummary) -> String {
    match &v.decision {
        Some(d) => words::decision_line(&k.catalog, d, k.lang()),
        // Finished before decisions were stored as codes: its words as shown then.
        None => v
            .referral
            .clone()
            .unwrap_or_else(|| tr(k.lang(), "Visit not finished")),
    }
}

fn record_label(k: &Kiosk, r: &StoredRecord) -> String {
    let name = words::tool_name(&k.catalog, &r.tool, k.lang());
    match (r.eye, r.source.strip_prefix("import:")) {
        (None, Some(file)) => format!("{name} ({file})"),
        (eye, _) => words::label(&name, eye, k.lang()),
    }
}

/// "2026-11-27T09:42:10.123+01:00" → "09:42", or "2026-11-27 09:42" with the date.
fn short_time(rfc3339: &str, with_date: bool) -> String {
    let date = rfc3339.get(..10).unwrap_or(rfc3339);
    let time = rfc3339.get(11..16).unwrap_or("");
    if with_date {
        format!("{date} {time}")
    } else {
        time.to_string()
    }
}

/// How a visit's decision is coloured: from its code; a visit without one
/// (not finished) is grey.
fn decision_kind(v: &VisitSummary) -> ui::OutcomeKind {
    v.decision
        .as_ref()
        .map(|d| ui::decision_kind(d.decision))
        .unwrap_or(ui::OutcomeKind::CouldNotAssess)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_kinds_read_back_from_the_register() {
        assert_eq!(short_time("2026-11-27T09:42:10.123+01:00", false), "09:42");
        assert_eq!(
            short_time("2026-11-27T09:42:10.123+01:00", true),
            "2026-11-27 09:42"
        );
    }
}
