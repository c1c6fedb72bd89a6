//! CT series on the import screen: a folder or stick (with or without a
//! `DICOMDIR`) is searched for CT series off the UI thread; when it holds
//! any, the screen lists them (study, series, date, slice count) instead of
//! loose files. The nurse picks one; the kiosk measures each slice's lung
//! area, takes those through the lungs, at most `ct_series_slices` evenly
//! spaced, and analyses them like imported slices (`ct_result` saves each);
//! the summary says which slices it used.

use super::ct::{page, Candidate, Ct};
use crate::i18n::{tr, trf, trn, Lang};
use crate::import::{self, Series};
use crate::kiosk::app::Kiosk;
use crate::kiosk::inference::Input;
use crate::kiosk::ui::SeriesCard;
use slint::{ModelRc, VecModel};
use std::path::Path;

/// Fewer slices than this are loose files, not a series to list: a folder
/// with one CT slice among PNG slices is imported file by file. A series a
/// `DICOMDIR` names is listed whatever its size.
const MIN_SERIES_SLICES: usize = 10;

/// Which slices of a series were analysed, for the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesUse {
    /// The series (its slices left out), to name it in any language.
    pub series: Series,
    pub total: usize,
    /// Slices whose lung area put them through the lungs.
    pub through_lungs: usize,
    /// The analysed slices' numbers (1-based, in anatomical order).
    pub used: Vec<usize>,
}

impl SeriesUse {
    /// "Series CHEST · AXIAL: 64 of its 120 slices go through the lungs;
    /// these 8, evenly spaced, were analysed: 31, 38, …"
    pub fn sentence_in(&self, lang: Lang) -> String {
        let numbers: Vec<String> = self.used.iter().map(|n| n.to_string()).collect();
        trf(
            lang,
            "Series {}: {} of its {} slices go through the lungs; slices {} were analysed.",
            &[
                &self.series.label_in(lang),
                &self.through_lungs.to_string(),
                &self.total.to_string(),
                &numbers.join(", "),
            ],
        )
    }
}

/// A series as its card reads, in `lang`.
fn card(s: &Series, lang: Lang) -> SeriesCard {
    let n = s.slices.len();
    let count = trn(lang, "{n} slice", "{n} slices", n as u64, &[]);
    let detail = match s.date() {
        Some(d) => format!("{} · {count}", d.format("%Y-%m-%d")),
        None => count,
    };
    SeriesCard {
        title: s.label_in(lang).into(),
        detail: detail.into(),
    }
}

impl Ct {
    /// Searches the folder just opened for CT series (off the UI thread).
    pub(super) fn scan_series(&self, k: &Kiosk, dir: &Path) {
        {
            let mut st = self.state.borrow_mut();
            st.series.clear();
            st.series_use = None;
        }
        let p = page(k);
        p.set_ct_series(ModelRc::new(VecModel::from(Vec::<SeriesCard>::new())));
        p.set_ct_series_searching(true);
        p.set_ct_show_files(false);
        let folder = dir.to_path_buf();
        let spawned = k.background(
            "ct-series",
            move || (folder.clone(), import::find_series(&folder)),
            |k, (folder, found)| k.ct.on_series_found(k, &folder, found),
        );
        if spawned.is_err() {
            p.set_ct_series_searching(false);
        }
    }

    /// The folder's series are known: listed when there are any.
    pub fn on_series_found(&self, k: &Kiosk, folder: &Path, found: import::Found) {
        if self.state.borrow().folder != folder {
            return;
        }
        log::info!(
            "{}: {} CT series{} ({} not CT, {} unreadable{})",
            folder.display(),
            found.series.len(),
            if found.from_dicomdir {
                " from its DICOMDIR"
            } else {
                ""
            },
            found.not_ct,
            found.unreadable,
            if found.truncated { ", search cut" } else { "" }
        );
        let listed = found
            .series
            .into_iter()
            .filter(|s| found.from_dicomdir || s.slices.len() >= MIN_SERIES_SLICES)
            .collect();
        self.state.borrow_mut().series = listed;
        page(k).set_ct_series_searching(false);
        self.refresh_series(k);
    }

    /// The series cards, in the screen's language.
    pub(super) fn refresh_series(&self, k: &Kiosk) {
        let lang = k.lang();
        let cards: Vec<SeriesCard> = self
            .state
            .borrow()
            .series
            .iter()
            .map(|s| card(s, lang))
            .collect();
        page(k).set_ct_series(ModelRc::new(VecModel::from(cards)));
        let used = self.state.borrow().series_use.clone();
        page(k).set_ct_used(used.map(|u| u.sentence_in(lang)).unwrap_or_default().into());
    }

    /// "Analyse this series": its slices through the lungs are chosen (each
    /// slice read once, off the UI thread), then analysed.
    pub fn analyse_series(&self, k: &Kiosk, i: usize) {
        let g = k.g();
        if g.get_busy() {
            return;
        }
        let Some(series) = self.state.borrow().series.get(i).cloned() else {
            return;
        };
        let limits = k.settings.borrow().limits();
        let max = k.settings.borrow().ct_series_slices as usize;
        g.set_busy_text(tr(k.lang(), "Finding the slices through the lungs…").into());
        g.set_busy(true);
        let spawned = k.background(
            "ct-series-choose",
            move || {
                let choice = import::measure_and_choose(&series, &limits, max);
                (series, choice)
            },
            |k, (series, choice)| k.ct.on_series_chosen(k, series, choice),
        );
        if spawned.is_err() {
            g.set_busy(false);
        }
    }

    /// A series slice has no preview until it is analysed: the picture the
    /// model saw becomes its thumbnail.
    pub fn thumb_if_missing(&self, i: usize, decoded: Option<&crate::frame::RgbFrame>) {
        let mut st = self.state.borrow_mut();
        if let (Some(slot @ None), Some(frame)) = (st.thumbs.get_mut(i), decoded) {
            *slot = Some(crate::kiosk::ui::display_buffer(frame, (160, 160)));
        }
    }

    /// The slices are chosen: analysed like imported slices, one job each.
    pub fn on_series_chosen(&self, k: &Kiosk, series: Series, choice: import::Choice) {
        let g = k.g();
        let total = series.slices.len();
        if choice.used.is_empty() {
            g.set_busy(false);
            return k.say_in(move |l| {
                trf(
                    l,
                    "No slice of {} shows the lungs, so it cannot be screened for COVID; \
                     choose the chest series, or refer to a doctor.",
                    &[&series.label_in(l)],
                )
            });
        }
        let multiframe = series.is_multiframe();
        let jobs: Vec<(usize, &Path, Input)> = choice
            .used
            .iter()
            .filter_map(|&i| series.slices.get(i).map(|s| (i, s)))
            .map(|(i, s)| {
                let input = if multiframe {
                    Input::DicomFrame {
                        path: s.path.clone(),
                        frame: s.frame,
                    }
                } else {
                    Input::File(s.path.clone())
                };
                (i + 1, s.path.as_path(), input)
            })
            .collect();
        {
            let mut st = self.state.borrow_mut();
            let n = jobs.len();
            st.entries = jobs
                .iter()
                .map(|&(n, path, _)| slice_entry(n, total, path))
                .collect();
            st.places = jobs.iter().map(|(n, _, _)| Some((*n, total))).collect();
            st.candidates = vec![Candidate::Slice; n];
            st.selected = vec![true; n];
            st.thumbs = vec![None; n];
            st.results = vec![None; n];
            st.refused = 0;
            st.summary = None;
            st.series_use = Some(SeriesUse {
                series: Series {
                    slices: Vec::new(),
                    ..series.clone()
                },
                total,
                through_lungs: choice.through_lungs,
                used: choice.used.iter().map(|i| i + 1).collect(),
            });
        }
        self.refresh_series(k);
        let jobs = jobs
            .into_iter()
            .enumerate()
            .map(|(i, (_, _, input))| (i, input))
            .collect();
        self.submit_slices(k, jobs);
    }
}

/// The entry slice `n` of `total` stands as. Its name is its record's, in
/// English as the register keeps it; the screen says it in its language
/// (`places`).
fn slice_entry(n: usize, total: usize, path: &Path) -> import::SliceEntry {
    import::SliceEntry {
        path: path.to_path_buf(),
        name: format!("Slice {n} of {total}"),
        is_dir: false,
        format: Some(crate::decode::ImageFormat::Dicom),
        bytes: 0,
    }
}
