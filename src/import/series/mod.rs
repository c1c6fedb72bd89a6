//! CT series as a stick or CD copy holds them: which studies and series a
//! folder holds ([`find_series`]: from its DICOMDIR when there is one, else
//! by walking it), each series' slices in anatomical order, and which slices
//! go through the lungs ([`measure_and_choose`]: at most N of them, evenly
//! spaced, measured from the Hounsfield units).
//!
//! Finding: a `DICOMDIR` (any case) in the folder, or else in its immediate
//! subfolders, is read and exactly the files its IMAGE records reference are
//! used (ReferencedFileID components relative to the DICOMDIR's folder,
//! matched case-insensitively and without an ISO 9660 `;1` version when the
//! exact name is missing, as CD copies change them). Without one (or when it
//! lists no image, or cannot be read), the folder is walked: depth at most
//! [`MAX_DEPTH`], hidden folders skipped, every folder entered once (symlink
//! loops), DICOM recognised by content (`DICM` at byte 128), at most
//! [`MAX_SERIES_FILES`] DICOM files (and [`MAX_EXAMINED`] files looked at).
//! Each DICOM file is read whole ([`crate::decode::read_file`], at most
//! 256 MB) for [`dicom::series_facts`], which parses the header only but
//! checks every declared length against the file first, the pixel data's
//! included — a prefix of the file would be refused as truncated. A file is
//! read once and dropped before the next.
//!
//! Ordering, per series: the slice normal is the cross product of the row and
//! column cosines of ImageOrientationPatient (the first slice's that has
//! one); a slice's position is its ImagePositionPatient projected on that
//! normal (a multi-frame file: each frame's own position). Slices are sorted
//! by position when every slice has one, else by InstanceNumber when every
//! slice has one, else in natural path order; ties by path, then frame.
//!
//! Choosing: see [`lung_fraction`] and [`choose_slices`].
//!
//! Submodules: `dicomdir` (reading a DICOMDIR), `walk` (the folder walk
//! without one), `lungs` (measuring and choosing the slices through the lungs).

mod dicomdir;
mod lungs;
#[cfg(test)]
mod tests;
mod walk;

use super::natural_cmp;
use crate::decode::dicom::{self, SeriesFacts};
use crate::decode::read_file;
use dicomdir::{dicomdir_files, dicomdirs};
pub use lungs::{choose_slices, lung_fraction, lung_slices, measure_and_choose, Choice};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use walk::Walk;

/// The most DICOM files read for one scan of a folder.
pub const MAX_SERIES_FILES: usize = 5000;
/// The most files of any kind looked at (first 132 bytes) while walking.
pub const MAX_EXAMINED: usize = 4 * MAX_SERIES_FILES;
/// How deep below the chosen folder the walk goes.
pub const MAX_DEPTH: usize = 8;

/// One slice of a series: a file, and the frame in it (0 for a single-slice file).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceRef {
    pub path: PathBuf,
    pub frame: u32,
    /// InstanceNumber.
    pub instance: Option<i64>,
    /// Millimetres along the slice normal (ImagePositionPatient projected).
    pub position: Option<f64>,
}

/// One CT series, its slices in anatomical order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub study_uid: String,
    pub series_uid: String,
    pub study_description: String,
    pub series_description: String,
    /// StudyDate as stored, `YYYYMMDD` or empty.
    pub study_date: String,
    pub series_number: Option<i64>,
    pub slices: Vec<SliceRef>,
}

impl Series {
    /// What a nurse reads: "CHEST PHANTOM · AXIAL J2K (series 3)"; an empty
    /// description is left out (and a series description equal to the
    /// study's said once); with neither, "CT series 3" (or "CT series").
    pub fn label(&self) -> String {
        self.label_in(crate::i18n::Lang::En)
    }

    /// [`Series::label`] with its few words in `lang`. A series description
    /// that repeats the study's ("CHEST" · "CHEST AXIAL") is shown alone.
    pub fn label_in(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::trf;
        let study = self.study_description.trim();
        let series = self.series_description.trim();
        let same = series.eq_ignore_ascii_case(study);
        let repeats = !study.is_empty()
            && series.len() > study.len()
            && series
                .get(..study.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(study));
        let mut parts: Vec<&str> = Vec::new();
        if !study.is_empty() && !repeats {
            parts.push(study);
        }
        if !series.is_empty() && !same {
            parts.push(series);
        }
        let n = self.series_number.map(|n| n.to_string());
        match (parts.is_empty(), n) {
            (true, Some(n)) => trf(lang, "CT series {}", &[&n]),
            (true, None) => crate::i18n::tr(lang, "CT series"),
            (false, Some(n)) => trf(lang, "{} (series {})", &[&parts.join(" · "), &n]),
            (false, None) => parts.join(" · "),
        }
    }

    /// The study date, when it is stored as a valid `YYYYMMDD` (the old
    /// `YYYY.MM.DD` form is read too).
    pub fn date(&self) -> Option<chrono::NaiveDate> {
        let digits: String = self.study_date.trim().replace('.', "");
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        chrono::NaiveDate::parse_from_str(&digits, "%Y%m%d").ok()
    }

    /// Whether the slices are frames of multi-frame files.
    pub fn is_multiframe(&self) -> bool {
        self.slices.iter().any(|s| s.frame > 0)
    }
}

/// What [`find_series`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// Sorted: study date, newest first; then study; then series number.
    pub series: Vec<Series>,
    /// The files came from a DICOMDIR (not from walking the folder).
    pub from_dicomdir: bool,
    /// DICOM files of another modality (not listed).
    pub not_ct: usize,
    /// Files (and folders) that could not be read, each logged as a warning.
    pub unreadable: usize,
    /// More files than [`MAX_SERIES_FILES`] (or [`MAX_EXAMINED`]): the scan was cut.
    pub truncated: bool,
}

/// The CT series under `root` (a folder or a stick); see the module header.
pub fn find_series(root: &Path) -> Found {
    let mut found = Found::default();
    let mut files = Vec::new();
    for dicomdir in dicomdirs(root) {
        match dicomdir_files(&dicomdir) {
            Ok(listed) => {
                found.from_dicomdir = true;
                found.unreadable += listed.missing;
                files.extend(listed.files);
            }
            Err(e) => {
                log::warn!("{}: {e}; the folder is walked instead", dicomdir.display());
            }
        }
    }
    if files.is_empty() {
        // No DICOMDIR, or none that lists a file that is there.
        found = Found::default();
        let mut walk = Walk::default();
        walk.dir(root, 0);
        found.unreadable += walk.unreadable;
        found.truncated = walk.truncated;
        files = walk.files;
    }
    if files.len() > MAX_SERIES_FILES {
        files.truncate(MAX_SERIES_FILES);
        found.truncated = true;
    }
    let mut groups: BTreeMap<(String, String, String), Vec<(PathBuf, SeriesFacts)>> =
        BTreeMap::new();
    for path in files {
        match read_file(&path).and_then(|bytes| dicom::series_facts(&bytes)) {
            Ok(facts) if facts.modality != "CT" => found.not_ct += 1,
            Ok(facts) => {
                // Files that name no series are grouped by folder.
                let folder = if facts.series_instance_uid.is_empty() {
                    path.parent().unwrap_or(Path::new("")).display().to_string()
                } else {
                    String::new()
                };
                let key = (
                    facts.study_instance_uid.clone(),
                    facts.series_instance_uid.clone(),
                    folder,
                );
                groups.entry(key).or_default().push((path, facts));
            }
            Err(e) => {
                log::warn!("{}: {e}", path.display());
                found.unreadable += 1;
            }
        }
    }
    found.series = groups.into_values().map(series_of).collect();
    found.series.sort_by(series_cmp);
    found
}

/// Newest study first, then study, then series number (none last).
fn series_cmp(a: &Series, b: &Series) -> Ordering {
    b.study_date
        .cmp(&a.study_date)
        .then_with(|| a.study_uid.cmp(&b.study_uid))
        .then_with(|| match (a.series_number, b.series_number) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.series_uid.cmp(&b.series_uid))
}

/// One series from its files (in the order found; at least one).
fn series_of(files: Vec<(PathBuf, SeriesFacts)>) -> Series {
    let first_text = |f: fn(&SeriesFacts) -> &String| {
        files
            .iter()
            .map(|(_, facts)| f(facts).trim())
            .find(|s| !s.is_empty())
            .unwrap_or_default()
            .to_string()
    };
    let orientation = files.iter().find_map(|(_, f)| f.image_orientation);
    let mut series = Series {
        study_uid: first_text(|f| &f.study_instance_uid),
        series_uid: first_text(|f| &f.series_instance_uid),
        study_description: first_text(|f| &f.study_description),
        series_description: first_text(|f| &f.series_description),
        study_date: first_text(|f| &f.study_date),
        series_number: files.iter().find_map(|(_, f)| f.series_number),
        slices: Vec::new(),
    };
    for (path, facts) in files {
        for frame in 0..facts.frames.max(1) {
            let ipp = if facts.frame_positions.len() == facts.frames as usize {
                facts.frame_positions.get(frame as usize).copied()
            } else if frame == 0 && facts.frames <= 1 {
                facts.image_position
            } else {
                None
            };
            series.slices.push(SliceRef {
                path: path.clone(),
                frame,
                instance: facts.instance_number,
                position: project(ipp, orientation),
            });
        }
    }
    order_slices(&mut series.slices);
    series
}

/// ImagePositionPatient projected on the slice normal (row × column cosines
/// of ImageOrientationPatient), in mm; `None` when either is missing or the
/// cosines are degenerate (parallel or zero).
pub fn project(position: Option<[f64; 3]>, orientation: Option<[f64; 6]>) -> Option<f64> {
    let (p, o) = (position?, orientation?);
    let n = [
        o[1] * o[5] - o[2] * o[4],
        o[2] * o[3] - o[0] * o[5],
        o[0] * o[4] - o[1] * o[3],
    ];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len.is_nan() || len <= 1e-6 {
        return None;
    }
    let d = (p[0] * n[0] + p[1] * n[1] + p[2] * n[2]) / len;
    d.is_finite().then_some(d)
}

/// Anatomical order: by position when every slice has one, else by
/// InstanceNumber when every slice has one, else natural path order; ties
/// by path, then frame.
pub fn order_slices(slices: &mut [SliceRef]) {
    let tie = |a: &SliceRef, b: &SliceRef| a.path.cmp(&b.path).then(a.frame.cmp(&b.frame));
    if slices.iter().all(|s| s.position.is_some()) {
        slices.sort_by(|a, b| {
            let (x, y) = (a.position.unwrap_or(0.0), b.position.unwrap_or(0.0));
            x.total_cmp(&y).then_with(|| tie(a, b))
        });
    } else if slices.iter().all(|s| s.instance.is_some()) {
        slices.sort_by(|a, b| a.instance.cmp(&b.instance).then_with(|| tie(a, b)));
    } else {
        slices.sort_by(|a, b| {
            natural_cmp(&a.path.to_string_lossy(), &b.path.to_string_lossy())
                .then_with(|| tie(a, b))
        });
    }
}
