//! CT import on the kiosk (and the single-picture import of camera tools):
//! browsing a folder or USB stick; each file checked off the UI thread as
//! the analysis would check it (only CT slices can be selected, the others
//! are greyed with their reason); the selected slices analysed, each saved to
//! the register before it counts; the study summary. A single imported
//! picture goes to the Review screen like a camera still.

use super::app::{Kiosk, Msg};
use super::inference::Input;
use super::state::{Candidate, Pending};
use super::ui::{self, Screen, SliceCard};
use crate::analysis::{Analysis, Outcome};
use crate::frame::RgbFrame;
use crate::import;
use crate::screening::{flow, ResultKind};
use slint::{ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString, VecModel};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One checked file, sent from the checking thread.
pub struct CheckedFile {
    pub index: usize,
    pub preview: Option<SharedPixelBuffer<Rgb8Pixel>>,
    pub verdict: Result<(), String>,
}

/// An imported picture read and decoded for the Review screen.
pub struct ImportedStill {
    pub name: String,
    pub bytes: Vec<u8>,
    pub ext: String,
    pub frame: Arc<RgbFrame>,
}

/// How many checked files are sent to the UI at a time.
const CHECK_BATCH: usize = 6;

impl Kiosk {
    pub(super) fn open_import(&self, single: bool) {
        let roots = import::import_roots(&self.state.borrow().import_paths);
        {
            let mut st = self.state.borrow_mut();
            st.ct.single = single;
            st.ct.roots = roots.clone();
        }
        let g = self.g();
        g.set_ct_single(single);
        let names: Vec<SharedString> = roots.iter().map(|p| folder_name(p).into()).collect();
        g.set_ct_roots(ModelRc::new(VecModel::from(names)));
        g.set_screen(Screen::CtImport);
        match roots.first() {
            Some(r) => self.open_folder(r),
            None => {
                g.set_ct_folder(SharedString::new());
                g.set_ct_slices(ModelRc::new(VecModel::from(Vec::<SliceCard>::new())));
                g.set_ct_candidate_count(0);
                g.set_ct_selected_count(0);
            }
        }
    }

    /// A stick or folder chosen by its place in the list.
    pub(super) fn open_root(&self, i: usize) {
        let root = self.state.borrow().ct.roots.get(i).cloned();
        if let Some(r) = root {
            self.open_folder(&r);
        }
    }

    /// Lists a folder for import; each file is checked (and previewed) on a
    /// worker thread. Nothing is selected until it is known to be a slice.
    pub fn open_folder(&self, dir: &Path) {
        let listing = match import::list_slices(dir) {
            Ok(l) => l,
            Err(e) => return self.say(format!("Cannot open {}: {e}", folder_name(dir))),
        };
        let entries = listing.entries;
        let n = entries.len();
        let tool = {
            let mut st = self.state.borrow_mut();
            st.ct.folder = dir.to_path_buf();
            st.ct.selected = vec![false; n];
            st.ct.candidates = entries
                .iter()
                .map(|e| {
                    if e.is_dir {
                        Candidate::Slice
                    } else {
                        Candidate::Checking
                    }
                })
                .collect();
            st.ct.thumbs = vec![None; n];
            st.ct.results = vec![None; n];
            st.ct.entries = entries.clone();
            st.ct.outstanding = 0;
            st.ct.refused = 0;
            self.capture.tool()
        };
        self.g().set_ct_folder(folder_name(dir).into());
        self.refresh_slices();
        let Some(tool) = tool else {
            return;
        };
        let limits = self.settings.borrow().limits();
        let (tx, waker, folder) = (self.tx.clone(), self.waker.clone(), dir.to_path_buf());
        let spawned = std::thread::Builder::new()
            .name("import-check".into())
            .spawn(move || {
                let mut batch = Vec::new();
                let files = entries.iter().enumerate().filter(|(_, e)| !e.is_dir);
                for (index, e) in files {
                    let c = import::check_file(&e.path, &tool, &limits, 160);
                    if let Err(why) = &c.verdict {
                        log::info!("{}: not offered: {why}", e.name);
                    }
                    batch.push(CheckedFile {
                        index,
                        preview: c.preview.map(|f| ui::display_buffer(&f, (160, 160))),
                        verdict: c.verdict,
                    });
                    if batch.len() == CHECK_BATCH {
                        let checked = std::mem::take(&mut batch);
                        let folder = folder.clone();
                        if tx.send(Msg::Checked { folder, checked }).is_err() {
                            return;
                        }
                        waker();
                    }
                }
                let _ = tx.send(Msg::Checked {
                    folder,
                    checked: batch,
                });
                waker();
            });
        if let Err(e) = spawned {
            log::warn!("no import check: {e}");
        }
    }

    /// Checked files arrive: previews shown, slices pre-selected (CT only),
    /// the others greyed with their reason.
    pub(super) fn on_checked(&self, folder: &Path, checked: Vec<CheckedFile>) {
        {
            let mut st = self.state.borrow_mut();
            if st.ct.folder != folder {
                return;
            }
            let select = !st.ct.single;
            for c in checked {
                if let Some(slot) = st.ct.thumbs.get_mut(c.index) {
                    *slot = c.preview;
                }
                let candidate = match c.verdict {
                    Ok(()) => Candidate::Slice,
                    Err(why) => Candidate::Refused(why),
                };
                if let Some(sel) = st.ct.selected.get_mut(c.index) {
                    *sel = select && candidate == Candidate::Slice;
                }
                if let Some(slot) = st.ct.candidates.get_mut(c.index) {
                    *slot = candidate;
                }
            }
            st.ct.refused = st
                .ct
                .candidates
                .iter()
                .filter(|c| matches!(c, Candidate::Refused(_)))
                .count();
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
                        (ui::outcome_kind(v.kind), slice_words(a, &v.headline), true)
                    }
                    Some(Err(err)) => (ui::OutcomeKind::Error, err.clone(), true),
                    None => (ui::OutcomeKind::Error, String::new(), false),
                };
                // The tile shows what is wrong; the full sentence (with
                // what to do) comes on a tap and is the tile's description.
                let reason = match ct.candidates.get(i) {
                    Some(Candidate::Refused(why)) => Some(short_reason(why)),
                    _ => None,
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
                    refused: reason.is_some(),
                    reason: reason.unwrap_or_default().into(),
                    done,
                    kind,
                    outcome: outcome.into(),
                }
            })
            .collect();
        let count = ct.selected.iter().filter(|s| **s).count();
        let candidates = ct
            .entries
            .iter()
            .zip(&ct.candidates)
            .filter(|(e, c)| !e.is_dir && **c == Candidate::Slice)
            .count();
        let g = self.g();
        g.set_ct_selected_count(count as i32);
        g.set_ct_candidate_count(candidates as i32);
        g.set_ct_slices(ModelRc::new(VecModel::from(cards)));
    }

    pub(super) fn toggle_slice(&self, i: usize) {
        let (entry, candidate, single) = {
            let st = self.state.borrow();
            (
                st.ct.entries.get(i).cloned(),
                st.ct.candidates.get(i).cloned(),
                st.ct.single,
            )
        };
        let Some(entry) = entry else { return };
        if entry.is_dir {
            return self.open_folder(&entry.path);
        }
        match candidate {
            Some(Candidate::Refused(why)) => {
                return self.say(format!("{} cannot be analysed: {why}", entry.name));
            }
            Some(Candidate::Checking) | None => {
                return self.say("Still checking this file — a moment.");
            }
            Some(Candidate::Slice) => {}
        }
        if single {
            return self.import_for_review(entry.path.clone(), entry.name.clone());
        }
        {
            let mut st = self.state.borrow_mut();
            if let Some(s) = st.ct.selected.get_mut(i) {
                *s = !*s;
            }
        }
        self.refresh_slices();
    }

    /// "Select all CT slices": every file that is a slice, nothing else.
    pub(super) fn select_all_slices(&self) {
        {
            let mut st = self.state.borrow_mut();
            let ct = &mut st.ct;
            for (i, sel) in ct.selected.iter_mut().enumerate() {
                let slice = ct.candidates.get(i) == Some(&Candidate::Slice);
                let file = ct.entries.get(i).is_some_and(|e| !e.is_dir);
                *sel = slice && file;
            }
        }
        self.refresh_slices();
    }

    /// One imported picture: read and decoded off the UI thread, then shown
    /// on the Review screen; nothing is analysed until the nurse taps Analyse.
    fn import_for_review(&self, path: PathBuf, name: String) {
        let (tx, waker) = (self.tx.clone(), self.waker.clone());
        let limits = self.settings.borrow().limits();
        let ext = crate::records::file_ext(&path);
        let g = self.g();
        g.set_busy_text("Opening…".into());
        g.set_busy(true);
        let spawned = std::thread::Builder::new()
            .name("import-still".into())
            .spawn(move || {
                let read = crate::decode::read_file(&path)
                    .and_then(|b| crate::decode::decode(&b, &limits).map(|(_, f)| (b, f)));
                let msg = match read {
                    Ok((bytes, frame)) => Ok(ImportedStill {
                        name,
                        bytes,
                        ext,
                        frame: Arc::new(frame),
                    }),
                    Err(e) => Err(format!("{name} cannot be opened: {e}")),
                };
                let _ = tx.send(Msg::ImportStill(msg));
                waker();
            });
        if let Err(e) = spawned {
            g.set_busy(false);
            self.say(format!("Cannot open the picture: {e}"));
        }
    }

    /// The imported picture is ready: review it as if it were captured.
    pub(super) fn on_import_still(&self, still: Result<ImportedStill, String>) {
        let g = self.g();
        g.set_busy(false);
        if g.get_screen() != Screen::CtImport {
            return;
        }
        let s = match still {
            Ok(s) => s,
            Err(e) => return self.say(e),
        };
        self.capture
            .imported(self, s.frame, &s.name, (s.bytes, s.ext));
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
                .filter(|(i, e)| {
                    !e.is_dir
                        && st.ct.selected.get(*i).copied().unwrap_or(false)
                        && st.ct.candidates.get(*i) == Some(&Candidate::Slice)
                })
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
            import::summarise(&done, st.ct.refused)
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
            ct.candidates = vec![Candidate::Slice; ct.entries.len()];
            ct.selected = vec![true; ct.entries.len()];
        }
        self.refresh_slices();
        g.set_ct_summary(summary.sentence.clone().into());
        let kind = match summary.verdict {
            import::StudyVerdict::Refer => ResultKind::Refer,
            import::StudyVerdict::NoFinding => ResultKind::Clear,
            import::StudyVerdict::CouldNotAssess | import::StudyVerdict::Empty => {
                ResultKind::CouldNotAssess
            }
        };
        g.set_ct_outcome(ui::outcome_kind(kind));
        g.set_busy(false);
        g.set_screen(Screen::CtSummary);
    }
}

/// A slice's row on the summary: the finding, or why it could not be
/// assessed (the reason already known, not just "retake").
fn slice_words(a: &Analysis, headline: &str) -> String {
    match a.outcome {
        Outcome::Finding => headline.to_string(),
        Outcome::Inconclusive => "Not assessed: the model was not sure on this slice".into(),
        Outcome::Rejected => format!(
            "Not assessed: {}",
            a.reason.as_deref().unwrap_or("the picture is not usable")
        ),
    }
}

/// "This looks like a colour photo, not a CT slice — import the CT slices"
/// → what is wrong, without what to do.
fn short_reason(why: &str) -> String {
    why.split(" — ").next().unwrap_or(why).to_string()
}

/// A folder as a nurse reads it: its own name, not a path.
fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}
