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

use super::natural_cmp;
use crate::decode::dicom::{self, CtFile, Hounsfield, SeriesFacts};
use crate::decode::{read_file, DecodeError, Limits};
use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most DICOM files read for one scan of a folder.
pub const MAX_SERIES_FILES: usize = 5000;
/// The most files of any kind looked at (first 132 bytes) while walking.
pub const MAX_EXAMINED: usize = 4 * MAX_SERIES_FILES;
/// How deep below the chosen folder the walk goes.
pub const MAX_DEPTH: usize = 8;

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

/// The DICOMDIRs to read: the one in `root`, else those of its immediate
/// (non-hidden) subfolders.
fn dicomdirs(root: &Path) -> Vec<PathBuf> {
    let find = |dir: &Path| -> Option<PathBuf> {
        let mut names = entries(dir).ok()?;
        names.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        names
            .into_iter()
            .find(|(n, p)| n.eq_ignore_ascii_case("DICOMDIR") && p.is_file())
            .map(|(_, p)| p)
    };
    if let Some(d) = find(root) {
        return vec![d];
    }
    let mut subdirs: Vec<(String, PathBuf)> = entries(root)
        .unwrap_or_default()
        .into_iter()
        .filter(|(n, p)| !n.starts_with('.') && p.is_dir())
        .collect();
    subdirs.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    subdirs.iter().filter_map(|(_, p)| find(p)).collect()
}

/// A folder's entries (name, path).
fn entries(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        out.push((e.file_name().to_string_lossy().into_owned(), e.path()));
    }
    Ok(out)
}

/// The image files a DICOMDIR lists.
#[derive(Debug, Default)]
struct Listed {
    files: Vec<PathBuf>,
    /// Records whose file is not there (or whose ReferencedFileID is not a
    /// plain relative path).
    missing: usize,
}

fn dicomdir_files(path: &Path) -> Result<Listed, DecodeError> {
    let bytes = read_file(path)?;
    let obj = dicom::read_object(&bytes)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let records = match obj
        .element_opt(tags::DIRECTORY_RECORD_SEQUENCE)
        .ok()
        .flatten()
        .map(|e| e.value())
    {
        Some(Value::Sequence(seq)) => seq.items(),
        _ => &[],
    };
    let mut listed = Listed::default();
    let mut resolver = Resolver::default();
    let mut seen = HashSet::new();
    for record in records {
        if text(record, tags::DIRECTORY_RECORD_TYPE).as_deref() != Some("IMAGE") {
            continue;
        }
        let Some(components) = file_id(record) else {
            log::warn!("{}: an IMAGE record names no file", path.display());
            listed.missing += 1;
            continue;
        };
        match resolver.resolve(base, &components) {
            Some(file) => {
                if seen.insert(file.clone()) {
                    listed.files.push(file);
                }
            }
            None => {
                log::warn!(
                    "{}: listed file {} is missing",
                    path.display(),
                    components.join("\\")
                );
                listed.missing += 1;
            }
        }
    }
    Ok(listed)
}

fn text(obj: &InMemDicomObject, tag: dicom_object::Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok().flatten()?;
    Some(e.to_str().ok()?.trim_matches([' ', '\0']).to_string())
}

/// ReferencedFileID's components, when each is a plain file or folder name.
fn file_id(record: &InMemDicomObject) -> Option<Vec<String>> {
    let e = record
        .element_opt(tags::REFERENCED_FILE_ID)
        .ok()
        .flatten()?;
    let parts: Vec<String> = e
        .to_multi_str()
        .ok()?
        .iter()
        .map(|s| s.trim_matches([' ', '\0']).to_string())
        .collect();
    let plain =
        |s: &String| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', ':']);
    (!parts.is_empty() && parts.iter().all(plain)).then_some(parts)
}

/// Finds listed files whose names changed case (or gained an ISO 9660
/// `;1` version) when the CD was copied; folder listings are cached.
#[derive(Default)]
struct Resolver {
    listings: HashMap<PathBuf, Vec<(String, PathBuf)>>,
}

impl Resolver {
    fn resolve(&mut self, base: &Path, components: &[String]) -> Option<PathBuf> {
        let mut at = base.to_path_buf();
        for c in components {
            let exact = at.join(c);
            if exact.exists() {
                at = exact;
                continue;
            }
            let listing = self
                .listings
                .entry(at.clone())
                .or_insert_with(|| entries(&at).unwrap_or_default());
            let (_, p) = listing
                .iter()
                .find(|(name, _)| cd_name(name).eq_ignore_ascii_case(c))?;
            at = p.clone();
        }
        at.is_file().then_some(at)
    }
}

/// A name without an ISO 9660 version (`;1`) or a trailing dot.
fn cd_name(name: &str) -> &str {
    let name = match name.rsplit_once(';') {
        Some((stem, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => stem,
        _ => name,
    };
    name.strip_suffix('.').unwrap_or(name)
}

/// The recursive walk of a folder without DICOMDIR.
#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    /// Folders entered, by (device, inode): a symlink loop is entered once.
    entered: HashSet<(u64, u64)>,
    examined: usize,
    unreadable: usize,
    truncated: bool,
}

impl Walk {
    fn dir(&mut self, dir: &Path, depth: usize) {
        use std::os::unix::fs::MetadataExt;
        if depth > MAX_DEPTH || self.truncated {
            return;
        }
        match std::fs::metadata(dir) {
            Ok(m) if self.entered.insert((m.dev(), m.ino())) => {}
            Ok(_) => return,
            Err(e) => {
                log::warn!("{}: {e}", dir.display());
                self.unreadable += 1;
                return;
            }
        }
        let mut names = match entries(dir) {
            Ok(n) => n,
            Err(e) => {
                log::warn!("{}: {e}", dir.display());
                self.unreadable += 1;
                return;
            }
        };
        names.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        let mut subdirs = Vec::new();
        for (name, path) in names {
            if name.starts_with('.') || name.eq_ignore_ascii_case("DICOMDIR") {
                continue;
            }
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    log::warn!("{}: {e}", path.display());
                    self.unreadable += 1;
                    continue;
                }
            };
            if meta.is_dir() {
                subdirs.push(path);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            if self.files.len() >= MAX_SERIES_FILES || self.examined >= MAX_EXAMINED {
                self.truncated = true;
                return;
            }
            self.examined += 1;
            match head(&path) {
                Ok(h) if dicom::is_dicom(&h) => self.files.push(path),
                Ok(_) => {}
                Err(e) => {
                    log::warn!("{}: {e}", path.display());
                    self.unreadable += 1;
                }
            }
        }
        for sub in subdirs {
            self.dir(&sub, depth + 1);
        }
    }
}

/// The first 132 bytes (enough for DICOM's `DICM`).
fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut h = Vec::with_capacity(132);
    std::fs::File::open(path)?.take(132).read_to_end(&mut h)?;
    Ok(h)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(name: &str, instance: Option<i64>, position: Option<f64>) -> SliceRef {
        SliceRef {
            path: PathBuf::from(name),
            frame: 0,
            instance,
            position,
        }
    }

    fn names(slices: &[SliceRef]) -> Vec<String> {
        slices
            .iter()
            .map(|s| format!("{}#{}", s.path.display(), s.frame))
            .collect()
    }

    #[test]
    fn positions_order_slices_whatever_their_numbers() {
        // InstanceNumbers shuffled against space, file names too.
        let mut s = vec![
            slice("b", Some(1), Some(5.0)),
            slice("a", Some(3), Some(-2.5)),
            slice("c", Some(2), Some(0.0)),
            slice("d", Some(4), Some(2.5)),
        ];
        order_slices(&mut s);
        assert_eq!(names(&s), ["a#0", "c#0", "d#0", "b#0"]);
    }

    #[test]
    fn one_missing_position_falls_back_to_instance_numbers() {
        let mut s = vec![
            slice("x", Some(3), Some(0.0)),
            slice("y", Some(1), None),
            slice("z", Some(2), Some(-9.0)),
        ];
        order_slices(&mut s);
        assert_eq!(names(&s), ["y#0", "z#0", "x#0"]);
    }

    #[test]
    fn without_numbers_the_file_names_give_natural_order() {
        let mut s = vec![
            slice("d/IM10", Some(1), None),
            slice("d/IM2", None, Some(1.0)),
            slice("d/im1", Some(7), None),
        ];
        order_slices(&mut s);
        assert_eq!(names(&s), ["d/im1#0", "d/IM2#0", "d/IM10#0"]);
    }

    #[test]
    fn ties_go_by_path_then_frame() {
        let frame = |p: &str, f: u32| SliceRef {
            frame: f,
            ..slice(p, Some(1), Some(0.0))
        };
        let mut s = vec![frame("b", 0), frame("a", 1), frame("a", 0)];
        order_slices(&mut s);
        assert_eq!(names(&s), ["a#0", "a#1", "b#0"]);
    }

    #[test]
    fn positions_are_projected_on_the_slice_normal() {
        let axial = Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(project(Some([-175.0, -175.0, 12.5]), axial), Some(12.5));
        // Sagittal: rows along y, columns along -z; the normal is -x.
        let sagittal = Some([0.0, 1.0, 0.0, 0.0, 0.0, -1.0]);
        assert_eq!(project(Some([30.0, 7.0, 9.0]), sagittal), Some(-30.0));
        // Cosines not of unit length are normalised.
        let scaled = Some([2.0, 0.0, 0.0, 0.0, 2.0, 0.0]);
        assert_eq!(project(Some([0.0, 0.0, 4.0]), scaled), Some(4.0));
        assert_eq!(project(None, axial), None);
        assert_eq!(project(Some([0.0; 3]), None), None);
        let parallel = Some([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(project(Some([0.0, 0.0, 1.0]), parallel), None);
    }

    /// A 100 x 60 image: air (-1000) everywhere, a body (40 HU) in rows
    /// 10..50, columns 20..80, with lung (-850) in rows 20..40, columns
    /// 30..70 — and air-like noise (-700, in the lung range) outside the
    /// body, left, right, above and below it, that must not count.
    fn chest() -> Hounsfield {
        let (w, h) = (100, 60);
        let mut hu = vec![-1000.0; w * h];
        for y in 0..h {
            for x in 0..w {
                let v = &mut hu[y * w + x];
                if (10..50).contains(&y) && (20..80).contains(&x) {
                    *v = 40.0;
                    if (20..40).contains(&y) && (30..70).contains(&x) {
                        *v = -850.0;
                    }
                } else if (x + y) % 7 == 0 {
                    *v = -700.0;
                }
            }
        }
        Hounsfield {
            width: w,
            height: h,
            hu,
        }
    }

    #[test]
    fn lung_fraction_counts_lung_inside_the_body_only() {
        let f = lung_fraction(&chest());
        assert_eq!(f, (20.0 * 40.0) / (100.0 * 60.0));
    }

    #[test]
    fn lung_fraction_bounds_are_the_documented_ones() {
        let row = |values: Vec<f64>| Hounsfield {
            width: values.len(),
            height: 1,
            hu: values,
        };
        // Tissue at both ends; inside: -951 (free air), -950, -400 (both
        // lung), -399 (tissue).
        let f = lung_fraction(&row(vec![0.0, -951.0, -950.0, -400.0, -399.0, 0.0]));
        assert_eq!(f, 2.0 / 6.0);
        // No tissue in the row: nothing is inside a body.
        assert_eq!(lung_fraction(&row(vec![-800.0; 6])), 0.0);
        let empty = Hounsfield {
            width: 0,
            height: 0,
            hu: Vec::new(),
        };
        assert_eq!(lung_fraction(&empty), 0.0);
    }

    fn fractions(values: &[f64]) -> Vec<Option<f64>> {
        values.iter().map(|&v| Some(v)).collect()
    }

    #[test]
    fn lung_slices_need_two_percent_and_a_quarter_of_the_largest() {
        // Largest 0.4: threshold 0.1.
        let f = fractions(&[0.0, 0.05, 0.1, 0.4, 0.099, 0.2]);
        assert_eq!(lung_slices(&f), [2, 3, 5]);
        // Largest 0.04: threshold 0.02, not 0.01.
        let f = fractions(&[0.019, 0.02, 0.04, 0.011]);
        assert_eq!(lung_slices(&f), [1, 2]);
        // Nothing reaches 2 %.
        assert!(lung_slices(&fractions(&[0.0, 0.01, 0.019])).is_empty());
    }

    #[test]
    fn unmeasured_slices_are_never_chosen() {
        let f = vec![None, Some(0.3), None, Some(0.3), None];
        assert_eq!(choose_slices(&f, 8), [1, 3]);
        assert!(choose_slices(&[None, None], 8).is_empty());
        assert!(choose_slices(&[], 8).is_empty());
    }

    #[test]
    fn few_lung_slices_are_all_used() {
        let f = fractions(&[0.0, 0.3, 0.3, 0.3, 0.0]);
        assert_eq!(choose_slices(&f, 3), [1, 2, 3]);
        assert_eq!(choose_slices(&f, 8), [1, 2, 3]);
    }

    #[test]
    fn many_lung_slices_are_evenly_spaced_first_and_last_included() {
        // Lungs in slices 10..=19 of 30 (n = 10).
        let mut values = vec![0.0; 30];
        values[10..20].fill(0.3);
        let f = fractions(&values);
        // round(i * 9 / 3) = 0, 3, 6, 9.
        assert_eq!(choose_slices(&f, 4), [10, 13, 16, 19]);
        // round(i * 9 / 2) = 0, 4.5 -> 5, 9.
        assert_eq!(choose_slices(&f, 3), [10, 15, 19]);
        assert_eq!(choose_slices(&f, 2), [10, 19]);
    }

    #[test]
    fn one_slice_is_the_middle_of_the_lungs_and_zero_is_none() {
        let mut values = vec![0.0; 30];
        values[10..20].fill(0.3);
        let f = fractions(&values);
        assert_eq!(choose_slices(&f, 1), [15]);
        values[19] = 0.0;
        assert_eq!(choose_slices(&fractions(&values), 1), [14]);
        assert!(choose_slices(&f, 0).is_empty());
    }

    fn series(study: &str, series: &str, number: Option<i64>) -> Series {
        Series {
            study_uid: "1.2".into(),
            series_uid: "1.2.3".into(),
            study_description: study.into(),
            series_description: series.into(),
            study_date: "20260115".into(),
            series_number: number,
            slices: Vec::new(),
        }
    }

    #[test]
    fn labels_fall_back_when_descriptions_are_empty() {
        let label = |a, b, n| series(a, b, n).label();
        assert_eq!(
            label("CHEST PHANTOM", "AXIAL J2K", Some(3)),
            "CHEST PHANTOM · AXIAL J2K (series 3)"
        );
        assert_eq!(label("", "AXIAL J2K", Some(3)), "AXIAL J2K (series 3)");
        assert_eq!(label("CHEST", "", None), "CHEST");
        assert_eq!(label("CHEST", "chest", Some(1)), "CHEST (series 1)");
        assert_eq!(label(" ", "", Some(4)), "CT series 4");
        assert_eq!(label("", "", None), "CT series");
        // A series description that repeats the study's is shown alone.
        assert_eq!(
            label("CHEST PHANTOM", "CHEST PHANTOM JPEG 2000", Some(7)),
            "CHEST PHANTOM JPEG 2000 (series 7)"
        );
        // The few words of a label are said in the screen's language.
        let hi = series("", "", Some(4)).label_in(crate::i18n::Lang::Hi);
        assert!(hi.contains('4') && !hi.contains("series"), "{hi}");
    }

    #[test]
    fn dates_are_read_when_valid() {
        let mut s = series("", "", None);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 15);
        assert_eq!(s.date(), day);
        s.study_date = "2026.01.15".into();
        assert_eq!(s.date(), day);
        for bad in ["", "20261315", "2026011", "2026-01-15x"] {
            s.study_date = bad.into();
            assert_eq!(s.date(), None, "{bad}");
        }
    }

    #[test]
    fn series_sort_newest_study_first_then_by_number() {
        let mut a = series("", "", Some(2));
        let mut b = series("", "", Some(1));
        let mut c = series("", "", None);
        let mut d = series("", "", Some(9));
        d.study_date = "20250101".into();
        let mut e = series("", "", Some(1));
        e.study_date = String::new();
        for (s, uid) in [
            (&mut a, "a"),
            (&mut b, "b"),
            (&mut c, "c"),
            (&mut d, "d"),
            (&mut e, "e"),
        ] {
            s.series_uid = uid.into();
        }
        let mut v = [e, d, c, a, b];
        v.sort_by(series_cmp);
        let uids: Vec<&str> = v.iter().map(|s| s.series_uid.as_str()).collect();
        assert_eq!(uids, ["b", "a", "c", "d", "e"]);
    }

    #[test]
    fn multiframe_is_said_by_frames() {
        let mut s = series("", "", None);
        s.slices = vec![slice("a", None, None)];
        assert!(!s.is_multiframe());
        s.slices.push(SliceRef {
            frame: 1,
            ..slice("a", None, None)
        });
        assert!(s.is_multiframe());
    }

    #[test]
    fn cd_names_lose_their_version_and_trailing_dot() {
        assert_eq!(cd_name("IM000001;1"), "IM000001");
        assert_eq!(cd_name("IM000001.;1"), "IM000001");
        assert_eq!(cd_name("IM000001."), "IM000001");
        assert_eq!(cd_name("A;B"), "A;B");
    }
}
