//! Each analysed CT slice is saved to the register before it counts; when
//! the last is back, the study's summary (one sentence, one outcome).

use super::ct::{page, Candidate, Ct};
use crate::analysis::Analysis;
use crate::i18n::{tr, trf};
use crate::import;
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::{self, Screen};
use crate::records::NewRecord;
use crate::screening::{flow, ResultKind, Screened};

impl Ct {
    /// A CT slice's analysis came back: record it before it counts.
    pub fn record_slice(
        &self,
        k: &Kiosk,
        index: usize,
        result: Result<Analysis, String>,
        file: Option<(Vec<u8>, String)>,
    ) {
        let a = match result {
            Ok(a) => a,
            Err(e) => return self.slice_done(k, index, Err(e)),
        };
        let name = self.entry_name(index);
        let record = match (k.visit.id(), file) {
            (Some(visit), Some(file)) => {
                Some(NewRecord::imported(visit, None, &name, file, a.clone()))
            }
            _ => None,
        };
        let Some(record) = record else {
            let why = tr(k.lang(), "Not recorded: no open visit");
            return self.slice_done(k, index, Err(why));
        };
        k.register(
            Watch::Save,
            move |s| s.save(&record),
            move |k, saved| k.ct.slice_saved(k, index, a, saved.map(drop)),
        );
    }

    fn slice_saved(&self, k: &Kiosk, index: usize, analysis: Analysis, saved: Result<(), String>) {
        match saved {
            Ok(()) => {
                k.home.register_recovered(k);
                let view = flow::result_view(&analysis);
                let coverage = k.catalog.coverage(&analysis.tool);
                k.visit.add(
                    coverage,
                    Screened {
                        tool: analysis.tool.clone(),
                        eye: None,
                        kind: view.kind,
                        headline: view.headline,
                    },
                );
                k.visit.refresh_line(k);
                self.slice_done(k, index, Ok(analysis))
            }
            Err(e) => {
                k.register_fault(&e);
                let why = trf(k.lang(), "Not recorded, so not shown: {}", &[&e]);
                self.slice_done(k, index, Err(why));
            }
        }
    }

    pub fn slice_done(&self, k: &Kiosk, i: usize, result: Result<Analysis, String>) {
        let (left, total) = {
            let mut st = self.state.borrow_mut();
            if let Some(slot) = st.results.get_mut(i) {
                *slot = Some(result);
            }
            st.outstanding = st.outstanding.saturating_sub(1);
            let total = st.results.iter().filter(|r| r.is_some()).count() + st.outstanding;
            (st.outstanding, total)
        };
        let g = k.g();
        let p = page(k);
        g.set_busy_text(
            trf(
                k.lang(),
                "Analysing {} of {}…",
                &[&(total - left).to_string(), &total.to_string()],
            )
            .into(),
        );
        if left > 0 {
            return;
        }
        let summary = {
            let st = self.state.borrow();
            let done: Vec<Result<Analysis, String>> =
                st.results.iter().flatten().cloned().collect();
            import::summarise(&done, st.refused)
        };
        // Only the analysed slices are listed on the summary screen.
        {
            let mut st = self.state.borrow_mut();
            let keep: Vec<bool> = st.results.iter().map(|r| r.is_some()).collect();
            let ct = &mut *st;
            let mut it = keep.iter();
            ct.entries.retain(|_| *it.next().unwrap_or(&false));
            let mut it = keep.iter();
            ct.thumbs.retain(|_| *it.next().unwrap_or(&false));
            let mut it = keep.iter();
            ct.places.retain(|_| *it.next().unwrap_or(&false));
            ct.results.retain(|r| r.is_some());
            ct.candidates = vec![Candidate::Slice; ct.entries.len()];
            ct.selected = vec![true; ct.entries.len()];
        }
        self.refresh_slices(k);
        p.set_ct_summary(summary.sentence_in(k.lang()).into());
        let verdict = summary.verdict;
        self.state.borrow_mut().summary = Some(summary);
        let kind = match verdict {
            import::StudyVerdict::Refer => ResultKind::Refer,
            import::StudyVerdict::NoFinding => ResultKind::Clear,
            import::StudyVerdict::CouldNotAssess | import::StudyVerdict::Empty => {
                ResultKind::CouldNotAssess
            }
        };
        p.set_ct_outcome(ui::outcome_kind(kind));
        g.set_busy(false);
        k.show(Screen::CtSummary);
    }
}
