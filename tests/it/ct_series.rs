//! CT series as a stick holds them (`import::find_series`,
//! `import::measure_and_choose`) on the CT phantom (`scripts/ct_phantom.py`):
//! two series of 100 slices (JPEG 2000 lossless and explicit VR little
//! endian) with a DICOMDIR, whose InstanceNumbers are partly out of spatial
//! order, and one multi-frame series. Found through the DICOMDIR, through a
//! walk of a copy without it (next to an MR file and a damaged slice), and
//! through a DICOMDIR whose files changed case as CD copies do; slices in
//! spatial order; the 8 slices chosen all in the phantom's lungs.
//!
//! Needs the bench venv (`make bench-venv`) and dcmtk (`make deps`), like
//! `dicom_syntaxes`; without them the tests fail saying so, never skip.

use onemed::decode::Limits;
use onemed::import::{find_series, measure_and_choose, Found, Series};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::{ct_phantom, datasets_dir};

const SLICES: usize = 100;
const SIZE: usize = 128;
/// ct_phantom.py's slice step (THICKNESS) and first z.
const STEP_MM: f64 = 2.5;
const FIRST_Z: f64 = -150.0;

/// The slices ct_phantom.py gives lungs: `0.2 n <= i < 0.8 n` (its
/// `has_lungs`, in the same floating point).
fn has_lungs(i: usize, n: usize) -> bool {
    0.2 * n as f64 <= i as f64 && (i as f64) < 0.8 * n as f64
}

struct Phantom {
    _dir: tempfile::TempDir,
    /// Two series and a DICOMDIR.
    stick: PathBuf,
    /// One multi-frame series, no DICOMDIR.
    multiframe: PathBuf,
}

fn phantom() -> &'static Phantom {
    static P: OnceLock<Phantom> = OnceLock::new();
    P.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (stick, multiframe) = (dir.path().join("stick"), dir.path().join("mf"));
        let (n, size) = (SLICES.to_string(), SIZE.to_string());
        let common = ["--slices", &n, "--size", &size];
        let two = ["--syntax", "jpeg2000", "--syntax", "explicit", "--dicomdir"];
        ct_phantom(&stick, &[&common[..], &two].concat());
        ct_phantom(
            &multiframe,
            &[&common[..], &["--syntax", "explicit", "--multiframe"]].concat(),
        );
        Phantom {
            _dir: dir,
            stick,
            multiframe,
        }
    })
}

/// Copies `from` into `to`, each name passed through `rename`; files for
/// which `keep` is false are left out.
fn copy_tree(
    from: &Path,
    to: &Path,
    keep: &dyn Fn(&Path) -> bool,
    rename: &dyn Fn(&str) -> String,
) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = rename(&p.file_name().unwrap().to_string_lossy());
        if p.is_dir() {
            copy_tree(&p, &to.join(name), keep, rename);
        } else if keep(&p) {
            std::fs::copy(&p, to.join(name)).unwrap();
        }
    }
}

/// The two phantom series, as every way of finding them must give them.
fn check_two_series(found: &Found, slices: [usize; 2]) {
    assert_eq!(found.series.len(), 2, "{found:#?}");
    // Same study and date: by series number (explicit is 1, JPEG 2000 is 7).
    let (explicit, j2k) = (&found.series[0], &found.series[1]);
    for (s, what, number, n) in [
        (explicit, "explicit VR little endian", 1, slices[0]),
        (j2k, "JPEG 2000 lossless", 7, slices[1]),
    ] {
        assert_eq!(s.study_description, "CHEST PHANTOM");
        assert_eq!(s.series_description, format!("CHEST PHANTOM {what}"));
        assert_eq!(s.series_number, Some(number));
        assert_eq!(s.study_date, "20260115");
        assert_eq!(s.date(), chrono::NaiveDate::from_ymd_opt(2026, 1, 15));
        assert_eq!(s.label(), format!("CHEST PHANTOM {what} (series {number})"));
        assert_eq!(s.slices.len(), n, "{}", s.label());
        assert!(!s.is_multiframe());
        assert_eq!(s.study_uid, explicit.study_uid);
    }
    assert_ne!(explicit.series_uid, j2k.series_uid);
}

/// Slices in spatial order: positions rising by the slice step, although the
/// InstanceNumbers (and so the file names, IM<number>) are not all in order.
fn check_spatial_order(s: &Series) {
    let positions: Vec<f64> = s.slices.iter().map(|x| x.position.unwrap()).collect();
    assert!(
        positions
            .windows(2)
            .all(|w| (w[1] - w[0] - STEP_MM).abs() < 1e-6),
        "{positions:?}"
    );
    assert!((positions[0] - FIRST_Z).abs() < 1e-6);
    let numbers: Vec<i64> = s.slices.iter().map(|x| x.instance.unwrap()).collect();
    assert!(
        numbers.windows(2).any(|w| w[1] < w[0]),
        "the phantom's InstanceNumbers should be partly shuffled: {numbers:?}"
    );
}

/// 8 slices chosen, all in the phantom's lungs, evenly spaced from the first
/// lung slice to the last.
fn check_choice(s: &Series) {
    let n = s.slices.len();
    let c = measure_and_choose(s, &Limits::default(), 8);
    assert_eq!(c.measured, n, "every slice measured");
    assert_eq!(c.fractions.len(), n);
    let lungs: Vec<usize> = (0..n).filter(|&i| has_lungs(i, n)).collect();
    assert_eq!(c.through_lungs, lungs.len(), "{:?}", c.fractions);
    assert_eq!(c.used.len(), 8, "{c:?}");
    assert!(c.used.iter().all(|&i| has_lungs(i, n)), "{:?}", c.used);
    assert_eq!(c.used[0], lungs[0]);
    assert_eq!(c.used[7], *lungs.last().unwrap());
    let gaps: Vec<usize> = c.used.windows(2).map(|w| w[1] - w[0]).collect();
    let (lo, hi) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
    assert!(hi - lo <= 1, "not evenly spaced: {:?}", c.used);
    // Neck and abdomen slices measure (next to) no lung at all.
    for i in (0..n).filter(|&i| !has_lungs(i, n)) {
        assert!(
            c.fractions[i].unwrap() < 0.02,
            "slice {i}: {:?}",
            c.fractions[i]
        );
    }
}

#[test]
fn a_dicomdir_gives_the_series_in_spatial_order() {
    let found = find_series(&phantom().stick);
    assert!(found.from_dicomdir);
    assert_eq!(
        (found.not_ct, found.unreadable, found.truncated),
        (0, 0, false)
    );
    check_two_series(&found, [SLICES, SLICES]);
    for s in &found.series {
        check_spatial_order(s);
    }
}

#[test]
fn eight_slices_through_the_lungs_are_chosen() {
    let found = find_series(&phantom().stick);
    for s in &found.series {
        let t = std::time::Instant::now();
        check_choice(s);
        eprintln!(
            "{}: {} slices of {SIZE}x{SIZE} measured in {:.2} s",
            s.label(),
            s.slices.len(),
            t.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn a_walk_without_dicomdir_finds_the_same_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let walked = dir.path().join("copy");
    copy_tree(
        &phantom().stick,
        &walked,
        &|p| !p.ends_with("DICOMDIR"),
        &|n| n.to_string(),
    );
    let with_dicomdir = find_series(&phantom().stick);
    // An MR file (not CT), a damaged slice of the explicit series (cut in
    // its pixel data), a text file, and a hidden folder with a slice.
    let extra = walked.join("EXTRA");
    std::fs::create_dir(&extra).unwrap();
    std::fs::copy(
        datasets_dir().join("dicom/MR_small.dcm"),
        extra.join("MRSMALL"),
    )
    .unwrap();
    let slice = std::fs::read(&with_dicomdir.series[0].slices[50].path).unwrap();
    std::fs::write(extra.join("BROKEN"), &slice[..slice.len() / 2]).unwrap();
    std::fs::write(extra.join("README.TXT"), "not DICOM").unwrap();
    let hidden = walked.join(".trash");
    std::fs::create_dir(&hidden).unwrap();
    std::fs::write(hidden.join("IM999999"), &slice).unwrap();

    let found = find_series(&walked);
    assert!(!found.from_dicomdir);
    assert_eq!(found.not_ct, 1, "MR_small.dcm");
    assert_eq!(found.unreadable, 1, "the damaged slice");
    assert!(!found.truncated);
    check_two_series(&found, [SLICES, SLICES]);
    for (a, b) in found.series.iter().zip(&with_dicomdir.series) {
        assert_eq!((&a.study_uid, &a.series_uid), (&b.study_uid, &b.series_uid));
        let names = |s: &Series| -> Vec<String> {
            s.slices
                .iter()
                .map(|x| x.path.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(a), names(b), "same slices in the same order");
    }
}

#[test]
fn a_dicomdir_finds_files_whose_names_changed_case() {
    // A CD copied by a system that lower-cases names and keeps ISO 9660
    // versions: J2KLL/IM000001 becomes j2kll/im000001;1. One file is lost.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("cd");
    copy_tree(
        &phantom().stick,
        &copy,
        &|p| !p.ends_with("EXPLIC/IM000042"),
        &|n| {
            if n == "DICOMDIR" || !n.starts_with("IM") {
                n.to_ascii_lowercase()
            } else {
                format!("{};1", n.to_ascii_lowercase())
            }
        },
    );
    assert!(copy.join("dicomdir").is_file() && copy.join("j2kll/im000001;1").is_file());
    let found = find_series(&copy);
    assert!(found.from_dicomdir);
    assert_eq!(found.unreadable, 1, "the lost file");
    check_two_series(&found, [SLICES - 1, SLICES]);
    check_spatial_order(&found.series[1]);
}

#[test]
fn a_multiframe_file_is_one_series_of_frames() {
    let found = find_series(&phantom().multiframe);
    assert!(!found.from_dicomdir);
    assert_eq!((found.not_ct, found.unreadable), (0, 0));
    assert_eq!(found.series.len(), 1, "{found:#?}");
    let s = &found.series[0];
    assert!(s.is_multiframe());
    assert_eq!(s.slices.len(), SLICES);
    assert!(s.slices.iter().all(|x| x.path == s.slices[0].path));
    let frames: Vec<u32> = s.slices.iter().map(|x| x.frame).collect();
    assert_eq!(frames, (0..SLICES as u32).collect::<Vec<_>>());
    assert!(s.series_description.ends_with("multi-frame"));
    let positions: Vec<f64> = s.slices.iter().map(|x| x.position.unwrap()).collect();
    assert!(
        positions
            .windows(2)
            .all(|w| (w[1] - w[0] - STEP_MM).abs() < 1e-6),
        "{positions:?}"
    );
    check_choice(s);
}
