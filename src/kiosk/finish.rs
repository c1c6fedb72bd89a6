//! Finishing a visit: the "not everything was screened" question (screen a
//! part now, mark it "cannot be screened" with a reason, or finish and
//! refer), then the summary with the screening core's one decision, the
//! slip, and the decision saved to the register as a code with its parts.
//! The question has its own Slint global, `FinishCheck`.

use super::app::Kiosk;
use super::state::StoreReq;
use super::ui::{self, FinishCheck, FinishRow, Screen, VisitLine};
use crate::records;
use crate::screening::slip::{slip, SlipInfo};
use crate::screening::{words, CannotScreen, Part, PartState};
use crate::serial::escpos;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::rc::Rc;

impl Kiosk {
    /// Wires the `FinishCheck` global's callbacks.
    pub(super) fn wire_finish(self: &Rc<Self>) {
        let f = self.window.global::<FinishCheck>();
        let w = Rc::downgrade(self);
        f.on_screen_now(move |i| {
            if let Some(k) = w.upgrade() {
                k.finish_screen_now(i.max(0) as usize);
            }
        });
        let w = Rc::downgrade(self);
        f.on_cannot_screen(move |i| {
            if let Some(k) = w.upgrade() {
                k.finish_choose_reason(i.max(0) as usize);
            }
        });
        let w = Rc::downgrade(self);
        f.on_pick_reason(move |i, r| {
            if let Some(k) = w.upgrade() {
                k.finish_mark(i.max(0) as usize, r.max(0) as usize);
            }
        });
        let w = Rc::downgrade(self);
        f.on_finish_and_refer(move || {
            if let Some(k) = w.upgrade() {
                k.close_visit();
            }
        });
    }

    /// "Finish visit": asks first when a part was left unfinished.
    pub(super) fn finish_visit(&self) {
        let unfinished = self.state.borrow().visit.screened.unfinished();
        if unfinished.is_empty() {
            return self.close_visit();
        }
        {
            let mut st = self.state.borrow_mut();
            st.finish.rows = unfinished;
            st.finish.choosing = None;
        }
        self.refresh_finish_check();
        self.g().set_screen(Screen::FinishCheck);
    }

    /// The question's rows: each part still unfinished or marked, in words.
    fn refresh_finish_check(&self) {
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
                    tool: words::tool_name(&self.catalog, &p.part.tool).into(),
                    line: words::unfinished_line(&self.catalog, p).into(),
                    marked,
                    reason: reason.into(),
                }
            })
            .collect();
        let f = self.window.global::<FinishCheck>();
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
            .map(|r| (*r).into())
            .collect();
        f.set_reasons(ModelRc::new(VecModel::from(reasons)));
    }

    fn finish_row(&self, i: usize) -> Option<Part> {
        self.state.borrow().finish.rows.get(i).cloned()
    }

    /// "Screen now": the tool, on that eye.
    fn finish_screen_now(&self, i: usize) {
        let Some(part) = self.finish_row(i) else {
            return;
        };
        self.select_tool(&part.tool);
        if part.eye.is_some() && self.state.borrow().visit.eye.is_some() {
            self.state.borrow_mut().visit.eye = part.eye;
            self.show_eye();
        }
    }

    /// "Cannot be screened": show the reasons for that row.
    fn finish_choose_reason(&self, i: usize) {
        self.state.borrow_mut().finish.choosing = Some(i);
        self.refresh_finish_check();
    }

    /// A reason picked: the part is marked, and the visit will refer.
    fn finish_mark(&self, i: usize, r: usize) {
        let Some(part) = self.finish_row(i) else {
            return;
        };
        let Some(reason) = words::cannot_screen_reasons(part.eye.is_some()).get(r) else {
            return;
        };
        {
            let mut st = self.state.borrow_mut();
            let coverage = self.catalog.coverage(&part.tool);
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
        self.refresh_finish_check();
    }

    /// Ends the visit: one decision across every part, the slip, the
    /// summary screen; the decision goes to the register.
    pub(super) fn close_visit(&self) {
        let (visit_id, lines, decision, line, summary) = {
            let st = self.state.borrow();
            let v = &st.visit;
            let parts = v.screened.parts();
            let decision = v.screened.decide();
            let kiosk = self.settings.borrow().kiosk_id.clone();
            let lines = slip(&SlipInfo {
                kiosk_id: &kiosk,
                when: &v.started,
                patient_id: &v.patient_id,
                parts: &parts,
                decision: &decision,
                catalog: &self.catalog,
                width: self.slip_width() as usize,
            });
            let summary: Vec<VisitLine> = parts
                .iter()
                .map(|p| VisitLine {
                    label: words::part_label(&self.catalog, &p.part).into(),
                    kind: ui::outcome_kind(p.kind()),
                    headline: words::state_words(p).into(),
                })
                .collect();
            let line = words::decision_line(&self.catalog, &decision);
            (v.id, lines, decision, line, summary)
        };
        let Some(visit_id) = visit_id else {
            return self.next_patient();
        };
        let text = escpos::plain_text(&lines, self.slip_width());
        self.state.borrow_mut().visit.slip = lines;
        let g = self.g();
        g.set_visit_lines(ModelRc::new(VecModel::from(summary)));
        g.set_referral_line(line.clone().into());
        g.set_referral_kind(ui::decision_kind(decision.decision));
        g.set_slip_text(text.into());
        g.set_print_status(SharedString::new());
        g.set_screen(Screen::VisitSummary);
        log::info!("visit {visit_id} finished: {}", decision.decision.code());
        let decision = Box::new(decision);
        self.store_job(StoreReq::FinishVisit, |req| records::Job::FinishVisit {
            req,
            visit: visit_id,
            decision,
            line,
        });
    }
}
