//! Finishing a visit: the "not everything was screened" question (screen a
//! part now, mark it "cannot be screened" with a reason, or finish and
//! refer), then the summary with the screening core's one decision, the
//! slip, and the decision saved to the register as a code with its parts.
//! The question has its own Slint global, `FinishCheck`; the summary is on
//! `VisitPage`.

use super::on;
use super::visit::{page, Visit};
use crate::i18n::{tr, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::{self, FinishCheck, FinishRow, Screen, VisitLine};
use crate::screening::slip::{slip, SlipInfo};
use crate::screening::{words, CannotScreen, Part, PartState};
use crate::serial::escpos;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::rc::Rc;

impl Visit {
    /// Wires the `FinishCheck` global's callbacks.
    pub(super) fn wire_finish(k: &Rc<Kiosk>) {
        let f = k.window().global::<FinishCheck>();
        on!(k, f, on_screen_now, |k, i| k
            .visit
            .finish_screen_now(&k, i.max(0) as usize));
        on!(k, f, on_cannot_screen, |k, i| k
            .visit
            .finish_choose_reason(&k, i.max(0) as usize));
        on!(k, f, on_pick_reason, |k, i, r| k.visit.finish_mark(
            &k,
            i.max(0) as usize,
            r.max(0) as usize
        ));
        on!(k, f, on_finish_and_refer, |k| k.visit.close(&k));
    }

    /// "Finish visit": asks first when a part was left unfinished.
    pub fn finish(&self, k: &Kiosk) {
        let unfinished = self.state.borrow().visit.screened.unfinished();
        if unfinished.is_empty() {
            return self.close(k);
        }
        {
            let mut st = self.state.borrow_mut();
            st.finish.rows = unfinished;
            st.finish.choosing = None;
        }
        self.refresh_finish_check(k);
        k.show(Screen::FinishCheck);
    }

    /// The question's rows: each part still unfinished or marked, in words.
    pub(super) fn refresh_finish_check(&self, k: &Kiosk) {
        let st = self.state.borrow();
        let parts = st.visit.screened.parts();
        let rows: Vec<FinishRow> = st
            .finish
            .rows
            .iter()
            .filter_map(|row| parts.iter().find(|p| &p.part == row))
            .map(|p| {
                let (marked, reason) = match &p.state {
                    PartState::CannotScreen { reason } => (true, reason.clone()),
                    _ => (false, String::new()),
                };
                FinishRow {
                    tool: words::tool_name(&k.catalog, &p.part.tool, k.lang()).into(),
                    line: words::unfinished_line(&k.catalog, p, k.lang()).into(),
                    marked,
                    reason: tr(k.lang(), &reason).into(),
                }
            })
            .collect();
        let f = k.window().global::<FinishCheck>();
        let all_marked = rows.iter().all(|r| r.marked);
        f.set_all_marked(all_marked);
        f.set_rows(ModelRc::new(VecModel::from(rows)));
        let choosing = st.finish.choosing;
        f.set_choosing(choosing.map_or(-1, |i| i as i32));
        let eye = choosing
            .and_then(|i| st.finish.rows.get(i))
            .is_some_and(|p| p.eye.is_some());
        let reasons: Vec<SharedString> = words::cannot_screen_reasons(eye)
            .iter()
            .map(|r| tr(k.lang(), r).into())
            .collect();
        f.set_reasons(ModelRc::new(VecModel::from(reasons)));
    }

    fn finish_row(&self, i: usize) -> Option<Part> {
        self.state.borrow().finish.rows.get(i).cloned()
    }

    /// "Screen now": the tool, on that eye.
    fn finish_screen_now(&self, k: &Kiosk, i: usize) {
        let Some(part) = self.finish_row(i) else {
            return;
        };
        k.select_tool(&part.tool);
        if part.eye.is_some() && self.eye().is_some() {
            self.set_eye(part.eye);
            k.capture.show_eye(k);
        }
    }

    /// "Cannot be screened": show the reasons for that row.
    fn finish_choose_reason(&self, k: &Kiosk, i: usize) {
        self.state.borrow_mut().finish.choosing = Some(i);
        self.refresh_finish_check(k);
    }

    /// A reason picked: the part is marked, and the visit will refer.
    fn finish_mark(&self, k: &Kiosk, i: usize, r: usize) {
        let Some(part) = self.finish_row(i) else {
            return;
        };
        let Some(reason) = words::cannot_screen_reasons(part.eye.is_some()).get(r) else {
            return;
        };
        {
            let mut st = self.state.borrow_mut();
            let coverage = k.catalog.coverage(&part.tool);
            st.visit.screened.mark_cannot_screen(
                coverage,
                CannotScreen {
                    tool: part.tool.clone(),
                    eye: part.eye,
                    reason: (*reason).to_string(),
                },
            );
            st.finish.choosing = None;
        }
        log::info!("{part:?} marked cannot be screened: {reason}");
        self.refresh_finish_check(k);
    }

    /// Ends the visit: one decision across every part, the slip, the
    /// summary screen; the decision goes to the register.
    fn close(&self, k: &Kiosk) {
        let (visit_id, decision, line) = {
            let st = self.state.borrow();
            let v = &st.visit;
            let decision = v.screened.decide();
            // The register keeps the English words (and the decision's codes).
            let line = words::decision_line(&k.catalog, &decision, Lang::En);
            (v.id, decision, line)
        };
        let Some(visit_id) = visit_id else {
            return k.next_patient();
        };
        self.show_summary(k);
        self.show_print_status(k, None);
        k.show(Screen::VisitSummary);
        log::info!("visit {visit_id} finished: {}", decision.decision.code());
        k.register(
            Watch::Update,
            move |s| s.finish_visit(visit_id, &decision, &line),
            |k, done| k.end_not_saved(done),
        );
    }

    /// The visit summary in the screen's language, and the slip in the
    /// patient's (with its English copy for the register).
    pub(super) fn show_summary(&self, k: &Kiosk) {
        let (lines, lines_en, decision, summary, line) = {
            let st = self.state.borrow();
            let v = &st.visit;
            let parts = v.screened.parts();
            let decision = v.screened.decide();
            let kiosk = k.settings.borrow().kiosk_id.clone();
            let info = |lang| SlipInfo {
                kiosk_id: &kiosk,
                when: &v.started,
                patient_id: &v.patient_id,
                parts: &parts,
                decision: &decision,
                catalog: &k.catalog,
                width: k.slip_width() as usize,
                lang,
            };
            let (lines, lines_en) = (slip(&info(v.language)), slip(&info(Lang::En)));
            let lang = k.lang();
            let summary: Vec<VisitLine> = parts
                .iter()
                .map(|p| VisitLine {
                    label: words::part_label(&k.catalog, &p.part, lang).into(),
                    kind: ui::outcome_kind(p.kind()),
                    headline: words::state_words(p, lang).into(),
                })
                .collect();
            let line = words::decision_line(&k.catalog, &decision, lang);
            (lines, lines_en, decision, summary, line)
        };
        // A text slip as the printer prints it; a picture slip (Indic) in its
        // own script (plain_text would reduce it to the printer's ASCII).
        let text = match lines == lines_en {
            true => escpos::plain_text(&lines, k.slip_width()),
            false => lines
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        };
        {
            let mut st = self.state.borrow_mut();
            st.visit.slip = lines;
            st.visit.slip_en = lines_en;
        }
        let p = page(k);
        p.set_visit_lines(ModelRc::new(VecModel::from(summary)));
        p.set_referral_line(line.into());
        p.set_referral_kind(ui::decision_kind(decision.decision));
        p.set_slip_text(text.into());
    }
}
