//! CT import on the kiosk: browsing a folder or USB stick, thumbnails made
//! off the UI thread, selecting slices, analysing them (each saved to the
//! register before it counts) and the study summary.

use super::app::{Kiosk, Msg};
use super::flow;
use super::inference::Input;
use super::state::Pending;
use super::ui::{self, Screen, SliceCard};
use crate::analysis::Analysis;
use crate::import;
use slint::{ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString, VecModel};
use std::path::{Path, PathBuf};
use std::time::Instant;

impl Kiosk {
    pub(super) fn open_import(&self, single: bool) {
        let roots = import::import_roots(&self.state.borrow().import_paths);
        self.state.borrow_mut().ct.single = single;
        let g = self.g();
        g.set_ct_single(single);
        let names: Vec<SharedString> = roots
            .iter()
            .map(|p| p.display().to_string().into())
            .collect();
        g.set_ct_roots(ModelRc::new(VecModel::from(names)));
        g.set_screen(Screen::CtImport);
        match roots.first() {
            Some(r) => self.open_folder(r),
            None => {
                g.set_ct_folder(SharedString::new());
                g.set_ct_slices(ModelRc::new(VecModel::from(Vec::<SliceCard>::new())));
            }
        }
    }

    /// Lists a folder for import; thumbnails are made on a worker thread.
    pub fn open_folder(&self, dir: &Path) {
        let listing = match import::list_slices(dir) {
            Ok(l) => l,
            Err(e) => return self.say(format!("Cannot open {}: {e}", dir.display())),
        };
        let entries = listing.entries;
        let n = entries.len();
        {
            let mut st = self.state.borrow_mut();
            st.ct.folder = dir.to_path_buf();
            st.ct.selected = entries.iter().map(|e| !e.is_dir && !st.ct.single).collect();
            st.ct.thumbs = vec![None; n];
            st.ct.results = vec![None; n];
            st.ct.entries = entries.clone();
            st.ct.outstanding = 0;
        }
        self.g().set_ct_folder(dir.display().to_string().into());
        self.refresh_slices();
        let (tx, waker, folder) = (self.tx.clone(), self.waker.clone(), dir.to_path_buf());
        let spawned = std::thread::Builder::new()
            .name("thumbnails".into())
            .spawn(move || {
                let mut thumbs = Vec::new();
                for (i, e) in entries.iter().enumerate() {
                    if e.is_dir {
                        continue;
                    }
                    match import::thumbnail(&e.path, 160) {
                        Ok(t) => thumbs.push((i, ui::display_buffer(&t, (160, 160)))),
                        Err(err) => log::warn!("thumbnail {}: {err}", e.path.display()),
                    }
                }
                let _ = tx.send(Msg::Thumbs { folder, thumbs });
                waker();
            });
        if let Err(e) = spawned {
            log::warn!("no thumbnails: {e}");
        }
    }

    pub(super) fn on_thumbs(
        &self,
        folder: &Path,
        thumbs: Vec<(usize, SharedPixelBuffer<Rgb8Pixel>)>,
    ) {
        {
            let mut st = self.state.borrow_mut();
            if st.ct.folder != folder {
                return;
            }
            for (i, t) in thumbs {
                if let Some(slot) = st.ct.thumbs.get_mut(i) {
                    *slot = Some(t);
                }
            }
        }
        self.refresh_slices();
    }

    pub(super) fn refresh_slices(&self) {
        let st = self.state.borrow();
        let ct = &st.ct;
        let cards: Vec<SliceCard> = ct
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (kind, outcome, done) = match ct.results.get(i).and_then(|r| r.as_ref()) {
                    Some(Ok(a)) => {
                        let v = flow::result_view(a);
                        (ui::outcome_kind(v.kind), v.headline, true)
                    }
                    Some(Err(err)) => (ui::OutcomeKind::Error, err.clone(), true),
                    None => (ui::OutcomeKind::Error, String::new(), false),
                };
                SliceCard {
                    name: e.name.clone().into(),
                    thumb: ct
                        .thumbs
                        .get(i)
                        .and_then(|t| t.clone())
                        .map(ui::image)
                        .unwrap_or_default(),
                    is_dir: e.is_dir,
                    selected: ct.selected.get(i).copied().unwrap_or(false),
                    done,
                    kind,
                    outcome: outcome.into(),
                }
            })
            .collect();
        let count = ct.selected.iter().filter(|s| **s).count();
        let g = self.g();
        g.set_ct_selected_count(count as i32);
        g.set_ct_slices(ModelRc::new(VecModel::from(cards)));
    }

    pub(super) fn toggle_slice(&self, i: usize) {
        let (entry, single) = {
            let st = self.state.borrow();
            (st.ct.entries.get(i).cloned(), st.ct.single)
        };
        let Some(entry) = entry else { return };
        if entry.is_dir {
            return self.open_folder(&entry.path);
        }
        if single {
            // One imported picture: analyse it as if it were captured.
            {
                let mut st = self.state.borrow_mut();
                st.still_source = format!("import:{}", entry.name);
                st.still_file = None;
            }
            if self.submit(
                Input::File(entry.path.clone()),
                Pending::Still {
                    tapped: Instant::now(),
                },
            ) {
                let g = self.g();
                g.set_busy_text("Analysing…".into());
                g.set_busy(true);
            }
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            if let Some(s) = st.ct.selected.get_mut(i) {
                *s = !*s;
            }
        }
        self.refresh_slices();
    }

    pub(super) fn analyse_slices(&self) {
        let g = self.g();
        if g.get_busy() {
            return;
        }
        let jobs: Vec<(usize, PathBuf)> = {
            let mut st = self.state.borrow_mut();
            let n = st.ct.entries.len();
            st.ct.results = vec![None; n];
            st.ct
                .entries
                .iter()
                .enumerate()
                .filter(|(i, e)| !e.is_dir && st.ct.selected.get(*i).copied().unwrap_or(false))
                .map(|(i, e)| (i, e.path.clone()))
                .collect()
        };
        if jobs.is_empty() {
            return self.say("Select the slices to analyse first.");
        }
        let total = jobs.len();
        let mut sent = 0;
        for (i, path) in jobs {
            if self.submit(Input::File(path), Pending::Slice(i)) {
                sent += 1;
            }
        }
        self.state.borrow_mut().ct.outstanding = sent;
        g.set_busy_text(format!("Analysing 0 of {total}…").into());
        g.set_busy(sent > 0);
    }

    pub(super) fn slice_done(&self, i: usize, result: Result<Analysis, String>) {
        let (left, total) = {
            let mut st = self.state.borrow_mut();
            if let Some(slot) = st.ct.results.get_mut(i) {
                *slot = Some(result);
            }
            st.ct.outstanding = st.ct.outstanding.saturating_sub(1);
            let total = st.ct.results.iter().filter(|r| r.is_some()).count() + st.ct.outstanding;
            (st.ct.outstanding, total)
        };
        let g = self.g();
        g.set_busy_text(format!("Analysing {} of {total}…", total - left).into());
        if left > 0 {
            return;
        }
        let summary = {
            let st = self.state.borrow();
            let done: Vec<Result<Analysis, String>> =
                st.ct.results.iter().flatten().cloned().collect();
            import::summarise(&done)
        };
        // Only the analysed slices are listed on the summary screen.
        {
            let mut st = self.state.borrow_mut();
            let keep: Vec<bool> = st.ct.results.iter().map(|r| r.is_some()).collect();
            let ct = &mut st.ct;
            let mut k = keep.iter();
            ct.entries.retain(|_| *k.next().unwrap_or(&false));
            let mut k = keep.iter();
            ct.thumbs.retain(|_| *k.next().unwrap_or(&false));
            ct.results.retain(|r| r.is_some());
            ct.selected = vec![true; ct.entries.len()];
        }
        self.refresh_slices();
        g.set_ct_summary(summary.sentence.clone().into());
        let kind = match summary.verdict {
            import::StudyVerdict::Refer => flow::ViewKind::Refer,
            import::StudyVerdict::NoFinding => flow::ViewKind::Clear,
            import::StudyVerdict::CouldNotAssess | import::StudyVerdict::Empty => {
                flow::ViewKind::CouldNotAssess
            }
        };
        g.set_ct_outcome(ui::outcome_kind(kind));
        self.study_done(kind, &summary.sentence);
        g.set_busy(false);
        g.set_screen(Screen::CtSummary);
    }
}
