//! Unit tests of the series module: slice order, projection, lung
//! fractions and choice, labels, dates, series order and CD names.

use super::dicomdir::cd_name;
use super::*;
use crate::decode::dicom::Hounsfield;

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
