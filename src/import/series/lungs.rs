//! Which slices of a series go through the lungs: each slice's lung fraction
//! from its Hounsfield units, and at most N of the lung slices, evenly spaced.

use super::Series;
use crate::decode::dicom::{CtFile, Hounsfield};
use crate::decode::{read_file, Limits};
use std::collections::HashMap;
use std::path::Path;

/// Lung: from -950 HU (below it is free air: trachea, bowel gas, air
/// outside the body, emphysema) to -400 HU (aerated lung is about -900 to
/// -500; up to -400 keeps most ground-glass lung, and above it is soft
/// tissue and dense consolidation).
pub const LUNG_HU: (f64, f64) = (-950.0, -400.0);
/// Body tissue (fat is about -100 HU, skin and muscle above 0): a row's body
/// runs from its first to its last pixel above this.
pub const TISSUE_HU: f64 = -400.0;
/// A slice goes through the lungs when its lung fraction is at least this...
pub const MIN_LUNG_FRACTION: f64 = 0.02;
/// ...and at least this share of the series' largest lung fraction.
pub const LUNG_SHARE_OF_MAX: f64 = 0.25;

/// The share of the image that is lung: pixels from -950 to -400 HU
/// ([`LUNG_HU`]) inside the body, that is, in each row between its first and
/// last pixel above -400 HU ([`TISSUE_HU`]). Air outside the body, beside it
/// or in rows above and below it never counts, however noisy; a row with no
/// tissue counts nothing. 0 for an empty image.
pub fn lung_fraction(hu: &Hounsfield) -> f64 {
    let total = hu.hu.len();
    if total == 0 || hu.width == 0 {
        return 0.0;
    }
    let (low, high) = LUNG_HU;
    let mut lung = 0usize;
    for row in hu.hu.chunks(hu.width) {
        let first = row.iter().position(|&v| v > TISSUE_HU);
        let last = row.iter().rposition(|&v| v > TISSUE_HU);
        if let (Some(a), Some(b)) = (first, last) {
            lung += row[a..=b]
                .iter()
                .filter(|&&v| (low..=high).contains(&v))
                .count();
        }
    }
    lung as f64 / total as f64
}

/// The slices that go through the lungs: a lung fraction of at least
/// [`MIN_LUNG_FRACTION`] and of [`LUNG_SHARE_OF_MAX`] of the series' largest
/// (`None`, not measured, never is), in order.
pub fn lung_slices(fractions: &[Option<f64>]) -> Vec<usize> {
    let largest = fractions
        .iter()
        .flatten()
        .copied()
        .filter(|f| f.is_finite())
        .fold(0.0_f64, f64::max);
    let threshold = MIN_LUNG_FRACTION.max(LUNG_SHARE_OF_MAX * largest);
    fractions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_some_and(|f| f >= threshold))
        .map(|(i, _)| i)
        .collect()
}

/// At most `max` of the [`lung_slices`], evenly spaced: all of them when
/// there are no more than `max`; else index `round(i·(n−1)/(max−1))` of the
/// n for i in 0..max (first and last included); `max` = 1: the middle one;
/// 0: none. Indices into `fractions` (the series' slices), ascending.
pub fn choose_slices(fractions: &[Option<f64>], max: usize) -> Vec<usize> {
    let lung = lung_slices(fractions);
    let n = lung.len();
    if max == 0 || n == 0 {
        return Vec::new();
    }
    if n <= max {
        return lung;
    }
    if max == 1 {
        return vec![lung[n / 2]];
    }
    // round(i (n-1) / (max-1)) in integers, halves up.
    let step = |i: usize| (2 * i * (n - 1) + (max - 1)) / (2 * (max - 1));
    (0..max).map(|i| lung[step(i)]).collect()
}

/// What [`measure_and_choose`] measured and chose.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choice {
    /// Indices into the series' slices, ascending.
    pub used: Vec<usize>,
    /// Slices that go through the lungs ([`lung_slices`]).
    pub through_lungs: usize,
    /// Slices measured (decoded).
    pub measured: usize,
    /// Each slice's [`lung_fraction`]; `None` when not measured or unreadable.
    pub fractions: Vec<Option<f64>>,
}

/// Measures the lung fraction of every slice of `series` (each file read and
/// opened once, whatever its number of frames) and chooses at most `max`
/// through the lungs ([`choose_slices`]). A slice that cannot be decoded is
/// logged and never chosen.
pub fn measure_and_choose(series: &Series, limits: &Limits, max: usize) -> Choice {
    let mut fractions = vec![None; series.slices.len()];
    let mut by_file: Vec<(&Path, Vec<usize>)> = Vec::new();
    let mut index: HashMap<&Path, usize> = HashMap::new();
    for (i, s) in series.slices.iter().enumerate() {
        let k = *index.entry(&s.path).or_insert_with(|| {
            by_file.push((&s.path, Vec::new()));
            by_file.len() - 1
        });
        by_file[k].1.push(i);
    }
    for (path, slices) in by_file {
        let file = match read_file(path).and_then(|b| CtFile::open(&b, limits)) {
            Ok(f) => f,
            Err(e) => {
                log::warn!("{}: {e}", path.display());
                continue;
            }
        };
        for i in slices {
            match file.hounsfield(series.slices[i].frame) {
                Ok(hu) => fractions[i] = Some(lung_fraction(&hu)),
                Err(e) => log::warn!(
                    "{} frame {}: {e}",
                    path.display(),
                    series.slices[i].frame + 1
                ),
            }
        }
    }
    Choice {
        used: choose_slices(&fractions, max),
        through_lungs: lung_slices(&fractions).len(),
        measured: fractions.iter().flatten().count(),
        fractions,
    }
}
