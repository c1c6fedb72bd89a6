//! CT import on the kiosk (and the single-picture import of camera tools):
//! browsing a folder or USB stick; each file checked off the UI thread as
//! the analysis would check it (only CT slices can be selected, the others
//! are greyed with their reason); the selected slices analysed, each saved to
//! the register before it counts; the study summary. A single imported
//! picture goes to the Review screen like a camera still (`ct_still`). Its
//! Slint global is `CtPage`; its sticks and folders are `ct_roots`, saving
//! each slice is `ct_result`, CT series
//! `ct_series`.

use super::on;
use crate::analysis::{Analysis, Outcome};
use crate::i18n::{tr, trf, Lang};
use crate::import::{self, Refusal};
use crate::kiosk::app::{Kiosk, Msg};
use crate::kiosk::inference::Input;
use crate::kiosk::state::Pending;
use crate::kiosk::ui::{self, CtPage, Screen, SliceCard};
use crate::screening::flow;
use slint::{ComponentHandle, Rgb8Pixel, SharedPixelBuffer};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One checked file, sent from the checking thread.
pub struct CheckedFile {
    pub index: usize,
    pub preview: Option<SharedPixelBuffer<Rgb8Pixel>>,
    pub verdict: Result<(), Refusal>,
}

/// How many checked files are sent to the UI at a time.
const CHECK_BATCH: usize = 6;

/// A file's standing on the CT import screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Candidate {
    /// Not checked yet (the check runs beside the thumbnails).
    #[default]
    Checking,
    /// A CT slice the tool can analyse.
    Slice,
    /// Refused before analysis, with the reason.
    Refused(Refusal),
}

/// The import screen's folder, its files and what became of them.
#[derive(Default)]
pub(super) struct CtState {
    /// The sticks and folders offered, in the order shown.
    pub roots: Vec<PathBuf>,
    pub folder: PathBuf,
    pub entries: Vec<import::SliceEntry>,
    /// Whether each entry is a CT slice the tool can analyse.
    pub candidates: Vec<Candidate>,
    pub selected: Vec<bool>,
    pub thumbs: Vec<Option<SharedPixelBuffer<Rgb8Pixel>>>,
    /// A series slice's place ("slice 21 of 100"), said in the screen's
    /// language; the entry's own name (its record's) stays English.
    pub places: Vec<Option<(usize, usize)>>,
    /// Each slice's analysis, or why there is none (in the screen's language).
    pub results: Vec<Option<Result<Analysis, String>>>,
    pub outstanding: usize,
    pub single: bool,
    /// Files of the folder refused before analysis (counted in the headline).
    pub refused: usize,
    /// The study's summary, once every selected slice is analysed.
    pub summary: Option<import::StudySummary>,
    /// The CT series found in the folder (listed instead of loose files).
    pub series: Vec<import::Series>,
    /// Which slices of a series were analysed (for the summary).
    pub series_use: Option<super::ct_series::SeriesUse>,
}

/// The CT import screens' controller.
#[derive(Default)]
pub struct Ct {
    pub(super) state: RefCell<CtState>,
}

pub(crate) fn page(k: &Kiosk) -> CtPage<'_> {
    k.window().global::<CtPage>()
}

impl Ct {
    /// Wires the `CtPage` global's callbacks.
    pub fn wire(k: &Rc<Kiosk>) {
        let p = page(k);
        on!(k, p, on_open_root, |k, i| k
            .ct
            .open_root(&k, i.max(0) as usize));
        on!(k, p, on_toggle_slice, |k, i| k
            .ct
            .toggle_slice(&k, i.max(0) as usize));
        on!(k, p, on_analyse_slices, |k| k.ct.analyse_slices(&k));
        on!(k, p, on_select_all_slices, |k| k.ct.select_all_slices(&k));
        on!(k, p, on_reimport, |k| k.ct.open_import(&k, false));
        on!(k, p, on_analyse_series, |k, i| k
            .ct
            .analyse_series(&k, i.max(0) as usize));
    }

    /// Nothing imported (another tool, the next patient).
    pub fn reset(&self) {
        *self.state.borrow_mut() = CtState::default();
    }

    /// Whether the import screen picks one picture for a camera tool.
    pub fn single(&self) -> bool {
        self.state.borrow().single
    }

    /// The name of entry `index`, for its record.
    pub fn entry_name(&self, index: usize) -> String {
        self.state
            .borrow()
            .entries
            .get(index)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    }

    /// Lists a folder for import; each file is checked (and previewed) on a
    /// worker thread. Nothing is selected until it is known to be a slice.
    pub fn open_folder(&self, k: &Kiosk, dir: &Path) {
        let listing = match import::list_slices(dir) {
            Ok(l) => l,
            Err(e) => {
                let (name, e) = (folder_name(dir), e.to_string());
                return k.say_in(move |l| trf(l, "Cannot open {}: {}", &[&name, &e]));
            }
        };
        let entries = listing.entries;
        let n = entries.len();
        let tool = {
            let mut st = self.state.borrow_mut();
            st.folder = dir.to_path_buf();
            st.selected = vec![false; n];
            st.candidates = entries
                .iter()
                .map(|e| {
                    if e.is_dir {
                        Candidate::Slice
                    } else {
                        Candidate::Checking
                    }
                })
                .collect();
            st.thumbs = vec![None; n];
            st.places = vec![None; n];
            st.results = vec![None; n];
            st.entries = entries.clone();
            st.outstanding = 0;
            st.refused = 0;
            st.summary = None;
            k.capture.tool()
        };
        page(k).set_ct_folder(folder_name(dir).into());
        self.refresh_slices(k);
        if !self.single() {
            self.scan_series(k, dir);
        }
        let Some(tool) = tool else {
            return;
        };
        let limits = k.settings.borrow().limits();
        let (tx, waker, folder) = (k.tx.clone(), k.waker.clone(), dir.to_path_buf());
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
    pub fn on_checked(&self, k: &Kiosk, folder: &Path, checked: Vec<CheckedFile>) {
        {
            let mut st = self.state.borrow_mut();
            if st.folder != folder {
                return;
            }
            let select = !st.single;
            for c in checked {
                if let Some(slot) = st.thumbs.get_mut(c.index) {
                    *slot = c.preview;
                }
                let candidate = match c.verdict {
                    Ok(()) => Candidate::Slice,
                    Err(why) => Candidate::Refused(why),
                };
                if let Some(sel) = st.selected.get_mut(c.index) {
                    *sel = select && candidate == Candidate::Slice;
                }
                if let Some(slot) = st.candidates.get_mut(c.index) {
                    *slot = candidate;
                }
            }
            st.refused = st
                .candidates
                .iter()
                .filter(|c| matches!(c, Candidate::Refused(_)))
                .count();
        }
        self.refresh_slices(k);
    }

    /// The import screen's slices, or the study's summary and its slices,
    /// again in the screen's language.
    pub fn reword(&self, k: &Kiosk) {
        match k.g().get_screen() {
            Screen::CtImport => {
                self.refresh_slices(k);
                self.refresh_series(k);
            }
            Screen::CtSummary => {
                self.refresh_slices(k);
                self.refresh_series(k);
                let sentence = self
                    .state
                    .borrow()
                    .summary
                    .as_ref()
                    .map(|s| s.sentence_in(k.lang()));
                if let Some(sentence) = sentence {
                    page(k).set_ct_summary(sentence.into());
                }
            }
            _ => {}
        }
    }

    pub fn refresh_slices(&self, k: &Kiosk) {
        let (st, lang) = (self.state.borrow(), k.lang());
        let ct = &*st;
        let cards: Vec<SliceCard> = ct
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (kind, outcome, done) = match ct.results.get(i).and_then(|r| r.as_ref()) {
                    Some(Ok(a)) => {
                        let v = flow::step_view(a, flow::Step::AsIs, lang);
                        (
                            ui::outcome_kind(v.kind),
                            slice_words(a, &v.headline, lang),
                            true,
                        )
                    }
                    Some(Err(err)) => (ui::OutcomeKind::Error, err.clone(), true),
                    None => (ui::OutcomeKind::Error, String::new(), false),
                };
                // The tile shows what is wrong; the full sentence (with
                // what to do) comes on a tap and is the tile's description.
                let reason = match ct.candidates.get(i) {
                    Some(Candidate::Refused(why)) => Some(short_reason(&why.reason_in(lang))),
                    _ => None,
                };
                SliceCard {
                    name: match ct.places.get(i) {
                        Some(Some((n, of))) => {
                            trf(lang, "Slice {} of {}", &[&n.to_string(), &of.to_string()])
                        }
                        _ => e.name.clone(),
                    }
                    .into(),
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
        let p = page(k);
        p.set_ct_selected_count(count as i32);
        p.set_ct_candidate_count(candidates as i32);
        ui::update_rows(p.get_ct_slices(), cards, |m| p.set_ct_slices(m));
    }

    pub fn toggle_slice(&self, k: &Kiosk, i: usize) {
        let (entry, candidate, single) = {
            let st = self.state.borrow();
            (
                st.entries.get(i).cloned(),
                st.candidates.get(i).cloned(),
                st.single,
            )
        };
        let Some(entry) = entry else { return };
        if entry.is_dir {
            return self.open_folder(k, &entry.path);
        }
        match candidate {
            Some(Candidate::Refused(why)) => {
                let name = entry.name;
                return k.say_in(move |l| {
                    trf(l, "{} cannot be analysed: {}", &[&name, &why.reason_in(l)])
                });
            }
            Some(Candidate::Checking) | None => {
                return k.say_in(|l| tr(l, "Still checking this file — a moment."));
            }
            Some(Candidate::Slice) => {}
        }
        if single {
            return self.import_for_review(k, entry.path.clone(), entry.name.clone());
        }
        {
            let mut st = self.state.borrow_mut();
            if let Some(s) = st.selected.get_mut(i) {
                *s = !*s;
            }
        }
        self.refresh_slices(k);
    }

    /// "Select all CT slices": every file that is a slice, nothing else.
    pub fn select_all_slices(&self, k: &Kiosk) {
        {
            let mut st = self.state.borrow_mut();
            let ct = &mut *st;
            for (i, sel) in ct.selected.iter_mut().enumerate() {
                let slice = ct.candidates.get(i) == Some(&Candidate::Slice);
                let file = ct.entries.get(i).is_some_and(|e| !e.is_dir);
                *sel = slice && file;
            }
        }
        self.refresh_slices(k);
    }

    pub fn analyse_slices(&self, k: &Kiosk) {
        let g = k.g();
        if g.get_busy() {
            return;
        }
        let jobs: Vec<(usize, PathBuf)> = {
            let mut st = self.state.borrow_mut();
            let n = st.entries.len();
            st.results = vec![None; n];
            st.entries
                .iter()
                .enumerate()
                .filter(|(i, e)| {
                    !e.is_dir
                        && st.selected.get(*i).copied().unwrap_or(false)
                        && st.candidates.get(*i) == Some(&Candidate::Slice)
                })
                .map(|(i, e)| (i, e.path.clone()))
                .collect()
        };
        if jobs.is_empty() {
            return k.say_in(|l| tr(l, "Select the slices to analyse first."));
        }
        let jobs = jobs
            .into_iter()
            .map(|(i, path)| (i, Input::File(path)))
            .collect();
        self.submit_slices(k, jobs);
    }

    /// Sends each slice (its entry's index and what to analyse) to the
    /// inference worker; the screen is busy until the last is back.
    pub(super) fn submit_slices(&self, k: &Kiosk, jobs: Vec<(usize, Input)>) {
        let total = jobs.len();
        let mut sent = 0;
        for (i, input) in jobs {
            if k.submit(input, Pending::Slice(i)) {
                sent += 1;
            }
        }
        self.state.borrow_mut().outstanding = sent;
        let g = k.g();
        g.set_busy_text(trf(k.lang(), "Analysing {} of {}…", &["0", &total.to_string()]).into());
        g.set_busy(sent > 0);
    }
}

/// A slice's row on the summary, in `lang`: the finding (its `headline`),
/// or why it could not be assessed (the reason already known, not just
/// "retake").
fn slice_words(a: &Analysis, headline: &str, lang: Lang) -> String {
    match a.outcome {
        Outcome::Finding => headline.to_string(),
        Outcome::Inconclusive => tr(lang, "Not assessed: the model was not sure on this slice"),
        Outcome::Rejected => {
            let why = match (&a.issue, &a.reason) {
                (Some(issue), _) => issue.reason_in(lang),
                (None, Some(reason)) => tr(lang, reason),
                (None, None) => tr(lang, "the picture is not usable"),
            };
            trf(lang, "Not assessed: {}", &[&why])
        }
    }
}

/// "This looks like a colour photo, not a CT slice — import the CT slices"
/// → what is wrong, without what to do.
fn short_reason(why: &str) -> String {
    why.split(" — ").next().unwrap_or(why).to_string()
}

/// A folder as a nurse reads it: its own name, not a path.
pub(super) fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}
