//! The kiosk's camera as a nurse meets it, with a replay camera: a still is
//! kept as the camera sent it — an MJPEG camera's JPEG byte for byte, whose
//! decode is what was analysed (the record's input hash is that of a fresh
//! analysis of the stored file), an uncompressed camera's losslessly —
//! through the encrypted register, the history screen and an export.

use crate::common;
use crate::common::kiosk::*;
use onemed::analysis::Analyzer;
use onemed::kiosk::ui::Screen;
use onemed::kiosk::Kiosk;
use onemed::records::{sealed, Store, StoredRecord};
use onemed::settings::Settings;
use slint::Model;
use std::path::Path;

/// Captures from the live preview, analyses and waits for the saved result.
fn capture_and_analyse(k: &Kiosk) {
    wait_live_preview(k);
    tap(k, "Capture");
    wait(k, "review", |k| g(k).get_screen() == Screen::Review);
    tap(k, "Analyse");
    wait(k, "result", |k| g(k).get_screen() == Screen::Result);
    assert!(
        capture_page(k).get_trace().contains("record 1"),
        "{}",
        capture_page(k).get_trace()
    );
}

/// The record the kiosk saved, and its picture as the register gives it back.
fn saved(s: &Settings) -> (StoredRecord, Vec<u8>) {
    let store = Store::open(&s.data_dir, &common::protection()).unwrap();
    let rec = store.record(1).unwrap().expect("record 1");
    let bytes = store.read_image(&rec).unwrap();
    // Encrypted at rest: the file on disk is sealed, not the picture.
    let on_disk = std::fs::read(store.image_path(&rec)).unwrap();
    assert!(sealed::is_sealed(&on_disk), "{}", rec.image_file);
    assert_ne!(on_disk, bytes);
    (rec, bytes)
}

/// What the analysis core computes afresh from the stored file.
fn fresh_analysis(tool: &str, stored: &[u8]) -> onemed::analysis::Analysis {
    let mut core = Analyzer::new(
        &Settings {
            models_dir: Some(common::models_dir()),
            ..Settings::default()
        },
        &[tool],
    )
    .unwrap();
    core.analyze_bytes(tool, stored).unwrap()
}

/// The record's picture is on the history screen and in an export, as stored.
fn shown_in_history_and_exported(k: &Kiosk, s: &Settings, rec: &StoredRecord, picture: &[u8]) {
    tap(k, "Finish visit");
    tap(k, "Finish and refer");
    tap(k, "Next patient");
    tap(k, "History");
    wait(k, "today's visit", |k| {
        history_page(k).get_history_rows().row_count() == 1
    });
    let row = history_page(k).get_history_rows().row_data(0).unwrap();
    tap(k, &format!("Visit {} {}", rec.patient_id, row.time));
    wait(k, "the visit", |k| g(k).get_screen() == Screen::VisitDetail);
    wait(k, "the saved picture", |k| {
        history_page(k).get_detail_image().size().width > 0
    });

    let mut store = Store::open(&s.data_dir, &common::protection()).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let programme = common::Programme::new();
    let summary = onemed::export::export(&mut store, dest.path(), None, &programme.sealing())
        .expect("export");
    assert_eq!(summary.images, 1);
    let opened = programme.open(&summary.path);
    let exported = std::fs::read(opened.join(&rec.image_file)).unwrap();
    assert!(exported == picture, "the export holds the stored picture");
}

#[test]
fn an_mjpeg_still_is_stored_as_the_camera_sent_it_and_its_trace_is_that_file() {
    // A JPEG replayed stands for an MJPEG camera's frame (the demo camera's).
    let fundus = "eye/diabetic-retinopathy/02_dr.JPG";
    let replay = folder_of(&[fundus]);
    let s = settings(
        &format!("replay:{}?fps=30", replay.path().display()),
        vec![],
        common::models_dir(),
    );
    let k = start_signed_in(&s);
    begin_visit(&k, "Diabetic retinopathy", "PAT-0302");
    capture_and_analyse(&k);

    let camera_jpeg = std::fs::read(common::datasets_dir().join(fundus)).unwrap();
    let (rec, stored) = saved(&s);
    assert!(rec.image_file.ends_with(".jpg"), "{}", rec.image_file);
    assert!(
        stored == camera_jpeg,
        "stored byte for byte as the camera sent it"
    );
    assert_eq!(rec.image_bytes, camera_jpeg.len() as u64);
    assert_eq!(rec.source, "camera");

    // The trace holds: a fresh decode and analysis of the stored file gives
    // the input the model saw, and the same answer.
    let fresh = fresh_analysis("diabetic-retinopathy", &stored);
    assert_eq!(rec.input_sha256, fresh.input_sha256);
    assert_eq!(rec.probabilities, fresh.probabilities);
    assert_eq!((rec.width, rec.height), (fresh.width, fresh.height));
    assert!(capture_page(&k)
        .get_trace()
        .contains(&fresh.input_sha256[..12]));

    shown_in_history_and_exported(&k, &s, &rec, &stored);
}

#[test]
fn an_uncompressed_still_is_stored_losslessly_and_decodes_to_the_same_picture() {
    // A PNG replayed stands for an uncompressed (YUYV) camera's frame.
    let big = common::datasets_dir().join("eye/no-diabetic-retinopathy/01_h.jpg");
    let (_, frame) = onemed::decode::decode(
        &std::fs::read(big).unwrap(),
        &onemed::decode::Limits::default(),
    )
    .unwrap();
    let frame = onemed::preprocess::fit(&frame, 1600, 1066).unwrap();
    let replay = tempfile::tempdir().unwrap();
    write_png(&replay.path().join("frame.png"), &frame);
    let s = settings(
        &format!("replay:{}?fps=30", replay.path().display()),
        vec![],
        common::models_dir(),
    );
    let k = start_signed_in(&s);
    begin_visit(&k, "Diabetic retinopathy", "PAT-0303");
    capture_and_analyse(&k);

    let (rec, stored) = saved(&s);
    assert!(rec.image_file.ends_with(".webp"), "{}", rec.image_file);
    let (_, back) = onemed::decode::decode(&stored, &onemed::decode::Limits::default()).unwrap();
    assert!(
        back == frame,
        "the stored picture is the camera's frame, exactly"
    );
    assert!(
        stored.len() < frame.data().len() / 2,
        "{} bytes for {} of pixels",
        stored.len(),
        frame.data().len()
    );
    let fresh = fresh_analysis("diabetic-retinopathy", &stored);
    assert_eq!(rec.input_sha256, fresh.input_sha256);
    assert_eq!(rec.probabilities, fresh.probabilities);

    shown_in_history_and_exported(&k, &s, &rec, &stored);
}

fn write_png(path: &Path, f: &onemed::frame::RgbFrame) {
    image::RgbImage::from_raw(f.width() as u32, f.height() as u32, f.data().to_vec())
        .unwrap()
        .save(path)
        .unwrap();
}
