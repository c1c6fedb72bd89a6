//! CT slice import on real folders: copies of the sample slices (PNG, JPEG,
//! DICOM with and without extensions) beside a text file, an empty file, hidden
//! files and nested folders; what is listed, in which order, the previews, and
//! the study summaries a nurse reads.

use crate::common;
use onemed::analysis::{Analysis, Outcome, Timings};
use onemed::decode::{DecodeError, ImageFormat};
use onemed::import::{list_slices, summarise, thumbnail, ImportError, StudyVerdict, MAX_LISTED};
use onemed::quality::Metrics;
use std::path::{Path, PathBuf};

fn sample(rel: &str) -> PathBuf {
    common::datasets_dir().join(rel)
}

fn copy(rel: &str, to: &Path) {
    std::fs::copy(sample(rel), to).unwrap_or_else(|e| panic!("{rel}: {e}"));
}

const COVID_PNG: &str = "covid-ct/covid/2020.01.24.919183-p27-133.png";
const NON_COVID_JPG: &str = "covid-ct/non-covid/0.jpg";

/// A study folder as a CT export on a USB stick might look.
fn study() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy("dicom/CT_small.dcm", &d.join("slice10"));
    copy("dicom/CT_small.dcm", &d.join("slice2"));
    copy("dicom/CT_small.dcm", &d.join("Slice1.dcm"));
    copy("dicom/MR_small.dcm", &d.join("IM0001"));
    copy(COVID_PNG, &d.join("scan 3.png"));
    // Content decides, not the name.
    copy(NON_COVID_JPG, &d.join("scan 20.PNG"));
    copy(COVID_PNG, &d.join(".hidden.png"));
    copy("dicom/CT_small.dcm", &d.join("DICOMDIR"));
    std::fs::write(d.join("notes.txt"), "Patient 12: CT chest, 3 slices\n").unwrap();
    std::fs::write(d.join("fake.png"), "not really a picture").unwrap();
    std::fs::write(d.join("empty.dcm"), b"").unwrap();
    std::os::unix::fs::symlink(d.join("gone.png"), d.join("dangling.png")).unwrap();
    for sub in ["series 10", "series 2"] {
        std::fs::create_dir(d.join(sub)).unwrap();
        copy("dicom/CT_small.dcm", &d.join(sub).join("CT000001"));
    }
    std::fs::create_dir(d.join(".Trashes")).unwrap();
    dir
}

#[test]
fn a_folder_lists_subfolders_then_slices_by_content_in_natural_order() {
    let dir = study();
    let listing = list_slices(dir.path()).unwrap();
    let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "series 2",
            "series 10",
            "IM0001",
            "scan 3.png",
            "scan 20.PNG",
            "Slice1.dcm",
            "slice2",
            "slice10",
        ]
    );
    let folders: Vec<&str> = listing.folders().map(|e| e.name.as_str()).collect();
    assert_eq!(folders, ["series 2", "series 10"]);
    assert!(listing.folders().all(|e| e.is_dir && e.format.is_none()));
    let formats: Vec<Option<ImageFormat>> = listing.slices().map(|e| e.format).collect();
    use ImageFormat::{Dicom, Jpeg, Png};
    assert_eq!(
        formats,
        [
            Some(Dicom),
            Some(Png),
            Some(Jpeg),
            Some(Dicom),
            Some(Dicom),
            Some(Dicom)
        ]
    );
    for e in listing.slices() {
        assert_eq!(e.path, dir.path().join(&e.name));
        assert_eq!(e.bytes, std::fs::metadata(&e.path).unwrap().len());
    }
    assert!(!listing.truncated);
    assert_eq!(listing.unreadable, 1, "the dangling link is skipped");

    // A subfolder browses the same way.
    let sub = list_slices(&dir.path().join("series 2")).unwrap();
    assert_eq!(sub.entries.len(), 1);
    assert_eq!(sub.entries[0].name, "CT000001");
}

#[test]
fn a_missing_folder_is_an_error_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("unplugged");
    let e = list_slices(&gone).unwrap_err();
    assert!(matches!(e, ImportError::Folder { .. }));
    assert!(e.to_string().starts_with("cannot open the folder"), "{e}");
    assert!(
        list_slices(&sample("dicom/CT_small.dcm")).is_err(),
        "a file is not a folder"
    );
}

#[test]
fn a_huge_folder_is_cut_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // The signature is all the listing reads.
    for i in 1..=MAX_LISTED + 5 {
        std::fs::write(dir.path().join(format!("s{i}.png")), b"\x89PNG\r\n\x1a\n").unwrap();
    }
    let listing = list_slices(dir.path()).unwrap();
    assert!(listing.truncated);
    assert_eq!(listing.slices().count(), MAX_LISTED);
    assert_eq!(listing.entries[0].name, "s1.png");
    assert_eq!(
        listing.entries[MAX_LISTED - 1].name,
        format!("s{MAX_LISTED}.png")
    );
}

#[test]
fn previews_are_small_and_keep_the_aspect() {
    let dir = study();
    let d = dir.path();
    let t = thumbnail(&d.join("slice2"), 64).unwrap();
    assert_eq!((t.width(), t.height()), (64, 64));
    // Not blank: the lung window shows the slice.
    let (lo, hi) = t
        .data()
        .iter()
        .fold((255, 0), |(l, h), &v| (v.min(l), v.max(h)));
    assert!(hi - lo > 100, "{lo}..{hi}");
    // A 128x128 slice is not enlarged.
    let t = thumbnail(&d.join("slice2"), 160).unwrap();
    assert_eq!((t.width(), t.height()), (128, 128));

    for name in ["scan 3.png", "scan 20.PNG"] {
        let (_, full) =
            onemed::decode::decode(&std::fs::read(d.join(name)).unwrap(), &Default::default())
                .unwrap();
        let t = thumbnail(&d.join(name), 160).unwrap();
        let (w, h) = (full.width() as f64, full.height() as f64);
        assert_eq!(t.width().max(t.height()), 160, "{name}");
        let (tw, th) = (t.width() as f64, t.height() as f64);
        assert!(
            ((tw / th) - (w / h)).abs() < 0.02,
            "{name}: {tw}x{th} from {w}x{h}"
        );
    }
}

#[test]
fn previews_of_unusable_files_say_why() {
    let dir = study();
    let d = dir.path();
    match thumbnail(&d.join("IM0001"), 64) {
        Err(ImportError::Slice { name, source }) => {
            assert_eq!(name, "IM0001");
            assert_eq!(
                source,
                DecodeError::NotCt {
                    modality: "MR".into()
                }
            );
        }
        other => panic!("{other:?}"),
    }
    let e = thumbnail(&d.join("notes.txt"), 64).unwrap_err();
    assert!(e.to_string().contains("not an image"), "{e}");
    let e = thumbnail(&d.join("empty.dcm"), 64).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    assert!(thumbnail(&d.join("gone.png"), 64).is_err());
    assert_eq!(
        thumbnail(&d.join("slice2"), 0).unwrap_err(),
        ImportError::PreviewSize
    );
}

#[test]
fn configured_folders_that_exist_are_offered_once() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().to_path_buf();
    let gone = here.join("gone");
    let bases = ["/media".into(), "/run/media".into()];
    let roots = onemed::sticks::import_roots(&bases, &[here.clone(), gone, here.clone()]);
    assert_eq!(roots.iter().filter(|r| **r == here).count(), 1);
    assert!(roots.iter().all(|r| r.is_dir()));
    // Mounted sticks (if any on this machine) come first.
    assert_eq!(roots.last(), Some(&here));
}

fn slice(outcome: Outcome, class: Option<&str>, refer: bool) -> Result<Analysis, String> {
    Ok(Analysis {
        tool: "covid-ct".into(),
        model_sha256: "0".repeat(64),
        model_version: "test".into(),
        device: "CPU".into(),
        precision: "f32".into(),
        probabilities: Vec::new(),
        outcome,
        class: class.map(String::from),
        refer,
        confidence: None,
        margin: None,
        reason_code: None,
        reason: None,
        headline: String::new(),
        advice: String::new(),
        input_sha256: String::new(),
        width: 224,
        height: 224,
        quality: Metrics::default(),
        timings_ms: Timings::default(),
        issue: None,
    })
}

fn covid() -> Result<Analysis, String> {
    slice(Outcome::Finding, Some("covid"), true)
}

fn clear() -> Result<Analysis, String> {
    slice(Outcome::Finding, Some("non-covid"), false)
}

fn unsure() -> Result<Analysis, String> {
    slice(Outcome::Inconclusive, None, false)
}

fn rejected() -> Result<Analysis, String> {
    slice(Outcome::Rejected, None, false)
}

fn failed() -> Result<Analysis, String> {
    Err("this DICOM file is an MR scan, not a CT slice".into())
}

#[test]
fn any_referring_slice_refers_the_study() {
    let s = summarise(
        &[
            covid(),
            covid(),
            clear(),
            covid(),
            unsure(),
            covid(),
            covid(),
            clear(),
        ],
        0,
    );
    assert_eq!(s.verdict, StudyVerdict::Refer);
    assert_eq!(
        s.sentence,
        "COVID pattern on 5 of 7 assessable slices; 1 file could not be assessed — refer to a doctor"
    );
    assert_eq!((s.total, s.refer, s.decided(), s.unusable()), (8, 5, 7, 1));
    assert_eq!(s.findings.get("covid"), Some(&5));
    assert_eq!(s.findings.get("non-covid"), Some(&2));
    // One is enough, whatever the rest.
    let s = summarise(&[covid(), rejected(), rejected(), failed()], 4);
    assert_eq!(s.verdict, StudyVerdict::Refer);
    assert_eq!(
        s.sentence,
        "COVID pattern on 1 of 1 assessable slice; 7 files could not be assessed — refer to a doctor"
    );
}

#[test]
fn clear_slices_give_no_finding() {
    let s = summarise(&vec![clear(); 8], 0);
    assert_eq!(s.verdict, StudyVerdict::NoFinding);
    assert_eq!(s.sentence, "No COVID pattern found on 8 assessable slices");
    let s = summarise(&[clear()], 0);
    assert_eq!(s.sentence, "No COVID pattern found on 1 assessable slice");
    // Half decided is enough, and the rest is counted in the sentence.
    let s = summarise(&[clear(), clear(), unsure(), failed()], 0);
    assert_eq!(s.verdict, StudyVerdict::NoFinding);
    assert_eq!(
        s.sentence,
        "No COVID pattern found on 2 assessable slices; 2 files could not be assessed"
    );
}

#[test]
fn mostly_unusable_slices_cannot_be_assessed() {
    let s = summarise(
        &[
            clear(),
            clear(),
            rejected(),
            rejected(),
            unsure(),
            unsure(),
            failed(),
            rejected(),
        ],
        0,
    );
    assert_eq!(s.verdict, StudyVerdict::CouldNotAssess);
    assert_eq!(
        s.sentence,
        "Could not assess: only 2 of 7 analysed slices assessable; 6 files could not be assessed — re-import clearer slices"
    );
    assert_eq!((s.inconclusive, s.rejected, s.failed), (2, 3, 1));
    let s = summarise(&[failed()], 0);
    assert_eq!(s.verdict, StudyVerdict::CouldNotAssess);
    assert_eq!(
        s.sentence,
        "Could not assess: no slice was clear enough; 1 file could not be assessed — re-import clearer slices"
    );
    let s = summarise(&[], 0);
    assert_eq!(s.verdict, StudyVerdict::Empty);
    assert!(
        s.sentence.starts_with("No slices analysed"),
        "{}",
        s.sentence
    );
}
