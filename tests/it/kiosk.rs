//! The kiosk as a nurse uses it, driven through Slint's testing backend with
//! the real software renderer, the real models, real OpenVINO and a replay
//! camera: taps go to the same accessible elements a touch would hit.
//!
//! With `ONEMED_SCREENSHOTS=<dir>` every screen is also saved as a 1280x800
//! PNG (`make screenshots`). Nurse sign-in has its own module (`kiosk/signin.rs`).

use crate::common;
mod admin;
mod language;
mod visit_language;
mod shaping;
mod signin;
mod ct_series;
mod sticks;
mod camera;

use crate::common::kiosk::*;
use i_slint_backend_testing::{
    AccessibleRole, ElementHandle, ElementQuery, TestingBackend, TestingBackendOptions,
};
use onemed::analysis::Analyzer;
use onemed::kiosk::ui::{HomeStatus, OutcomeKind, Screen};
use onemed::kiosk::Kiosk;
use onemed::settings::Settings;
use slint::ComponentHandle;
use std::path::Path;
use std::sync::Arc;

#[test]
fn capture_analyse_and_read_the_finding() {
    let fundus = "eye/diabetic-retinopathy/02_dr.JPG";
    let replay = folder_of(&[fundus]);
    let k = start(
        &format!("replay:{}?fps=30", replay.path().display()),
        vec![],
    );
    assert_eq!(g(&k).get_screen(), Screen::Home);
    assert_eq!(home_page(&k).get_status_models(), "5 of 5 tools ready");
    shot(&k, "01-home");
    k.window()
        .window()
        .set_size(slint::PhysicalSize::new(1920, 1080));
    shot(&k, "01-home-1920x1080");
    k.window()
        .window()
        .set_size(slint::PhysicalSize::new(1280, 800));

    tap(&k, "Diabetic retinopathy");
    assert_eq!(
        g(&k).get_screen(),
        Screen::VisitStart,
        "who is the patient, first"
    );
    type_keys(&k, "PAT-0042");
    tap(&k, "Female");
    tap(&k, "Age");
    type_keys(&k, "54");
    shot(&k, "13-visit-start");
    tap(&k, "Start screening");
    wait(&k, "the visit to start", |k| g(k).get_in_visit());
    assert_eq!(g(&k).get_screen(), Screen::Capture);
    assert!(
        capture_page(&k).get_tool_has_eyes() && !capture_page(&k).get_eye_left(),
        "right eye first"
    );
    wait(&k, "camera connected", |k| {
        capture_page(k).get_camera_connected()
    });
    wait(&k, "a preview frame", |k| {
        capture_page(k).get_preview().size().width > 0
    });
    shot(&k, "02-capture");

    tap(&k, "Capture");
    wait(&k, "the review screen", |k| {
        g(k).get_screen() == Screen::Review
    });
    assert!(capture_page(&k).get_still().size().width > 0);
    shot(&k, "03-review");

    tap(&k, "Analyse");
    wait(&k, "the result", |k| g(k).get_screen() == Screen::Result);
    shot(&k, "04-result-finding");

    // The screen shows what the analysis core computes for that image.
    let mut core = Analyzer::new(
        &Settings {
            models_dir: Some(common::models_dir()),
            ..Settings::default()
        },
        &["diabetic-retinopathy"],
    )
    .unwrap();
    let expected = core
        .analyze_bytes(
            "diabetic-retinopathy",
            &std::fs::read(common::datasets_dir().join(fundus)).unwrap(),
        )
        .unwrap();
    assert_eq!(capture_page(&k).get_headline(), expected.headline.as_str());
    assert_eq!(capture_page(&k).get_advice(), expected.advice.as_str());
    assert_eq!(
        capture_page(&k).get_outcome(),
        if expected.refer {
            OutcomeKind::Refer
        } else {
            OutcomeKind::Clear
        }
    );
    assert!((capture_page(&k).get_confidence() - expected.confidence.unwrap()).abs() < 1e-6);
    assert!(capture_page(&k)
        .get_trace()
        .contains(&expected.model_sha256[..12]));
    assert!(
        capture_page(&k)
            .get_trace()
            .contains(&expected.input_sha256[..12]),
        "the still is the replayed image, exactly"
    );
    assert!(!k.latencies_ms().is_empty());
    assert!(
        capture_page(&k).get_trace().contains("record 1"),
        "saved before shown: {}",
        capture_page(&k).get_trace()
    );
    assert!(
        capture_page(&k).get_next_eye_pending(),
        "the left eye is offered next"
    );

    // The left eye was not screened: the kiosk asks before finishing.
    tap(&k, "Finish visit");
    assert_eq!(g(&k).get_screen(), Screen::FinishCheck);
    let rows = finish_rows(&k);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].line, "Left eye not screened");
    shot(&k, "25-finish-check");
    tap(&k, "Finish and refer");
    assert_eq!(g(&k).get_screen(), Screen::VisitSummary);
    let line = visit_page(&k).get_referral_line().to_string();
    if expected.refer {
        assert!(
            line.starts_with("REFER to a doctor: Diabetic retinopathy, right eye"),
            "{line}"
        );
        assert_eq!(visit_page(&k).get_referral_kind(), OutcomeKind::Refer);
    } else {
        // Never "no referral" for what was not screened.
        assert!(line.starts_with("REFER — not fully screened"), "{line}");
        assert_eq!(visit_page(&k).get_referral_kind(), OutcomeKind::Refer);
    }
    assert!(line.contains("left eye not screened"), "{line}");
    let slip = visit_page(&k).get_slip_text().to_string();
    assert!(slip.contains("Patient: PAT-0042"), "{slip}");
    assert!(slip.contains("Diabetic retinopathy, left eye:"), "{slip}");
    assert!(slip.contains("Not screened"), "{slip}");
    assert!(!slip.contains("No referral"), "{slip}");
    shot(&k, "14-visit-summary");
    // No printer: the button says why instead of going grey.
    assert!(enabled(&k, "Print slip"));
    tap(&k, "Print slip");
    assert!(
        g(&k).get_message().contains("No receipt printer"),
        "{}",
        g(&k).get_message()
    );
    assert!(visit_page(&k).get_print_status().contains("Admin"));
    shot(&k, "29-no-printer");
    tap(&k, "OK");
    tap(&k, "Next patient");
    assert_eq!(g(&k).get_screen(), Screen::Home);
    assert!(!g(&k).get_in_visit());
}

#[test]
fn unusable_pictures_end_in_could_not_assess_never_a_guess() {
    // Fundus photos given to the cataract tool (external eye photos) are refused each time.
    let replay = folder_of(&["eye/no-diabetic-retinopathy/01_h.jpg"]);
    let k = start(
        &format!("replay:{}?fps=30", replay.path().display()),
        vec![],
    );
    begin_visit(&k, "Cataract", "PAT-0043");
    wait(&k, "camera connected", |k| {
        capture_page(k).get_camera_connected()
    });
    for attempt in 1..=3 {
        wait_live_preview(&k);
        tap(&k, "Capture");
        wait(&k, "review", |k| g(k).get_screen() == Screen::Review);
        tap(&k, "Analyse");
        wait(&k, "result", |k| g(k).get_screen() == Screen::Result);
        if attempt < 3 {
            assert_eq!(
                capture_page(&k).get_outcome(),
                OutcomeKind::Retake,
                "attempt {attempt}"
            );
            assert!(
                capture_page(&k).get_advice().contains("external eye photo"),
                "{}",
                capture_page(&k).get_advice()
            );
            if attempt == 1 {
                shot(&k, "05-result-retake");
            }
            tap(&k, "Retake");
            assert_eq!(g(&k).get_screen(), Screen::Capture);
            assert_eq!(
                capture_page(&k).get_attempt(),
                attempt + 1,
                "the next picture is attempt {}",
                attempt + 1
            );
        }
    }
    assert_eq!(capture_page(&k).get_outcome(), OutcomeKind::CouldNotAssess);
    assert!(capture_page(&k).get_headline().contains("Could not assess"));
    assert!(!capture_page(&k).get_show_confidence());
    shot(&k, "06-result-could-not-assess");
}

#[test]
fn no_camera_shows_it_and_offers_import() {
    let imports = folder_of(&["skin-lesion/malignant/6.jpg", "skin-lesion/benign/25.jpg"]);
    let k = start("none", vec![imports.path().to_path_buf()]);
    begin_visit(&k, "Skin lesion", "PAT-0044");
    assert_eq!(g(&k).get_screen(), Screen::Capture);
    wait(&k, "no-camera status", |k| {
        capture_page(k).get_status_camera().contains("No camera")
    });
    assert!(!capture_page(&k).get_camera_connected());
    assert!(
        !enabled(&k, "Capture"),
        "capture is disabled without a camera"
    );
    shot(&k, "07-capture-no-camera");
    // A capture asked for anyway (e.g. by a foot pedal) is answered in words.
    capture_page(&k).invoke_capture();
    wait(&k, "a message", |k| !g(k).get_message().is_empty());
    assert!(
        g(&k).get_message().contains("No camera"),
        "{}",
        g(&k).get_message()
    );
    shot(&k, "10-error-message");
    tap(&k, "OK");
    assert!(g(&k).get_message().is_empty());

    tap(&k, "Import image");
    assert_eq!(g(&k).get_screen(), Screen::CtImport);
    tap(&k, &imports.path().file_name().unwrap().to_string_lossy());
    wait(&k, "the files", |k| {
        slint::Model::row_count(&ct_page(k).get_ct_slices()) == 2
    });
    wait(&k, "both files checked", |k| {
        ct_page(k).get_ct_candidate_count() == 2
    });
    tap(&k, "6.jpg");
    // Reviewed like a camera still: nothing is analysed or saved yet.
    wait(&k, "the review screen", |k| {
        g(k).get_screen() == Screen::Review
    });
    assert!(capture_page(&k).get_review_imported());
    assert!(
        k.latencies_ms().is_empty(),
        "nothing analysed on the first tap"
    );
    shot(&k, "28-import-review");
    tap(&k, "Choose another");
    assert_eq!(g(&k).get_screen(), Screen::CtImport);
    tap(&k, "6.jpg");
    wait(&k, "the review screen", |k| {
        g(k).get_screen() == Screen::Review
    });
    tap(&k, "Analyse");
    wait(&k, "result", |k| g(k).get_screen() == Screen::Result);
    assert!(
        capture_page(&k).get_trace().contains("record 1"),
        "{}",
        capture_page(&k).get_trace()
    );
    assert_eq!(
        capture_page(&k).get_outcome(),
        OutcomeKind::Refer,
        "{}",
        capture_page(&k).get_headline()
    );
    assert!(
        capture_page(&k).get_still().size().width > 0,
        "the imported image is shown"
    );
}

#[test]
fn ct_import_offers_only_ct_slices_and_says_why_the_others_are_left_out() {
    let slices = folder_of(&[
        "covid-ct/covid/2020.01.24.919183-p27-132.png",
        "covid-ct/covid/2020.01.24.919183-p27-133.png",
        "covid-ct/non-covid/0.jpg",
        "dicom/CT_small.dcm",
        "dicom/MR_small.dcm",
        "eye/cataract/C_(1).jpg",
    ]);
    let k = start("none", vec![slices.path().to_path_buf()]);
    begin_visit(&k, "COVID CT", "PAT-0045");
    assert_eq!(g(&k).get_screen(), Screen::CtImport);
    wait(&k, "six files listed", |k| {
        slint::Model::row_count(&ct_page(k).get_ct_slices()) == 6
    });
    assert_eq!(
        ct_page(&k).get_ct_selected_count(),
        0,
        "nothing selected before it is checked"
    );
    wait(&k, "every file checked", |k| {
        let cards = ct_cards(k);
        cards.iter().filter(|c| c.refused).count() as i32 + ct_page(k).get_ct_candidate_count() == 6
    });
    let cards = ct_cards(&k);
    // What is refused is what the analysis itself would refuse, with its reason.
    let ct = onemed::catalog::Catalog::builtin()
        .unwrap()
        .tool("covid-ct")
        .unwrap()
        .clone();
    for c in &cards {
        let checked = onemed::import::check_file(
            &slices.path().join(c.name.as_str()),
            &ct,
            &onemed::decode::Limits::default(),
            16,
        );
        assert_eq!(c.refused, checked.verdict.is_err(), "{}", c.name);
        assert_eq!(
            c.selected, !c.refused,
            "{}: only slices are pre-selected",
            c.name
        );
    }
    let card = |name: &str| cards.iter().find(|c| c.name == name).unwrap().clone();
    let mr = card("MR_small.dcm");
    assert!(mr.refused);
    assert!(
        mr.reason.contains("an MRI scan (MR), not CT"),
        "{}",
        mr.reason
    );
    let eye = card("C_(1).jpg");
    assert!(eye.refused);
    assert!(eye.reason.contains("not a CT slice"), "{}", eye.reason);
    for name in [
        "2020.01.24.919183-p27-132.png",
        "2020.01.24.919183-p27-133.png",
        "0.jpg",
    ] {
        assert!(!card(name).refused, "{name}: {}", card(name).reason);
    }
    let candidates = ct_page(&k).get_ct_candidate_count();
    assert_eq!(ct_page(&k).get_ct_selected_count(), candidates);
    shot(&k, "08-ct-import");
    // A refused file cannot be selected; a slice can be left out and put back.
    tap(&k, "MR_small.dcm");
    assert!(
        g(&k).get_message().contains("cannot be analysed"),
        "{}",
        g(&k).get_message()
    );
    tap(&k, "OK");
    assert_eq!(ct_page(&k).get_ct_selected_count(), candidates);
    tap(&k, "0.jpg");
    assert_eq!(ct_page(&k).get_ct_selected_count(), candidates - 1);
    tap(&k, "Select all CT slices");
    assert_eq!(ct_page(&k).get_ct_selected_count(), candidates);
    tap(&k, &format!("Analyse {candidates} slices"));
    wait(&k, "the study summary", |k| {
        g(k).get_screen() == Screen::CtSummary
    });
    shot(&k, "09-ct-summary");
    let summary = ct_page(&k).get_ct_summary().to_string();
    assert!(summary.contains("assessable slice"), "{summary}");
    let refused = cards.iter().filter(|c| c.refused).count();
    assert!(
        summary.contains("could not be assessed"),
        "{refused} files were refused: {summary}"
    );
    assert_eq!(
        ct_page(&k).get_ct_outcome(),
        OutcomeKind::Refer,
        "{summary}"
    );
    // Only analysed slices are listed, each with its outcome in words.
    let analysed = ct_cards(&k);
    assert_eq!(analysed.len() as i32, candidates);
    assert!(analysed.iter().all(|c| !c.outcome.is_empty()));
    // Import more from the result screen.
    tap(&k, "Import more slices");
    assert_eq!(g(&k).get_screen(), Screen::CtImport);
    tap(&k, "‹ Back");
    tap(&k, "Finish visit");
    assert_eq!(
        g(&k).get_screen(),
        Screen::VisitSummary,
        "a CT study with an assessable slice is complete"
    );
    assert!(visit_page(&k)
        .get_referral_line()
        .starts_with("REFER to a doctor: COVID CT"));
}

/// The CT import screen's cards.
fn ct_cards(k: &Kiosk) -> Vec<onemed::kiosk::ui::SliceCard> {
    let m = ct_page(k).get_ct_slices();
    (0..slint::Model::row_count(&m))
        .filter_map(|i| slint::Model::row_data(&m, i))
        .collect()
}

/// The "not everything was screened" rows.
fn finish_rows(k: &Kiosk) -> Vec<onemed::kiosk::ui::FinishRow> {
    let m = k
        .window()
        .global::<onemed::kiosk::ui::FinishCheck>()
        .get_rows();
    (0..slint::Model::row_count(&m))
        .filter_map(|i| slint::Model::row_data(&m, i))
        .collect()
}

#[test]
fn a_missing_model_makes_only_that_tool_unavailable() {
    let models = common::models_copy(Path::new("skin-lesion/model.bin"));
    let k = start_with("none", vec![], models.path().to_path_buf());
    assert_eq!(home_page(&k).get_status_models(), "4 of 5 tools ready");
    let skin = button(&k, "Skin lesion");
    assert_eq!(skin.accessible_enabled(), Some(false));
    assert!(skin
        .accessible_description()
        .unwrap_or_default()
        .contains("missing"));
    shot(&k, "11-home-tool-unavailable");
    assert!(enabled(&k, "Cataract"), "the other tools work");
    begin_visit(&k, "Cataract", "PAT-0046");
    assert_eq!(g(&k).get_screen(), Screen::Capture);
}

#[test]
fn a_missing_runtime_says_what_to_install_and_no_tool_can_be_used() {
    let _ = slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: false,
        threading: false,
        renderer_name: Some("software".into()),
    })));
    let empty = tempfile::tempdir().unwrap();
    let settings = Settings {
        openvino_runtime: Some(empty.path().to_path_buf()),
        ..settings("none", vec![], common::models_dir())
    };
    let k = Kiosk::new(&settings, Arc::new(|| {})).expect("kiosk window");
    k.window()
        .window()
        .set_size(slint::PhysicalSize::new(1280, 800));
    k.window().show().unwrap();
    wait(&k, "the engine's answer", |k| k.is_ready());
    // The register has said who may sign in, so the shot shows one home screen.
    wait(&k, "the nurses", |k| {
        k.nurses_known() || !home_page(k).get_register_ok()
    });
    let msg = g(&k).get_message().to_string();
    assert!(
        msg.contains("OpenVINO runtime not found") && msg.contains("make venv"),
        "{msg}"
    );
    assert!(
        !enabled(&k, "Cataract"),
        "no tool can be started without the engine"
    );
    shot(&k, "12-error-no-runtime");
}

#[test]
fn an_eye_that_cannot_be_screened_is_recorded_with_its_reason_and_the_visit_refers() {
    let replay = folder_of(&["eye/no-diabetic-retinopathy/01_h.jpg"]);
    let s = settings(
        &format!("replay:{}?fps=30", replay.path().display()),
        vec![],
        common::models_dir(),
    );
    let k = start_signed_in(&s);
    begin_visit(&k, "Diabetic retinopathy", "PAT-0046");
    wait_live_preview(&k);
    tap(&k, "Capture");
    wait(&k, "review", |k| g(k).get_screen() == Screen::Review);
    tap(&k, "Analyse");
    wait(&k, "result", |k| g(k).get_screen() == Screen::Result);
    let right = capture_page(&k).get_outcome();

    tap(&k, "Finish visit");
    assert_eq!(g(&k).get_screen(), Screen::FinishCheck);
    // "Screen now" goes to that eye; back again to the question.
    tap(&k, "Screen now");
    assert_eq!(g(&k).get_screen(), Screen::Capture);
    assert!(capture_page(&k).get_eye_left(), "the missing eye is chosen");
    tap(&k, "‹ Back");
    tap(&k, "Finish visit");
    assert_eq!(g(&k).get_screen(), Screen::FinishCheck);
    tap(&k, "Cannot be screened");
    tap(&k, "Prosthetic or no eye");
    let rows = finish_rows(&k);
    assert!(
        rows[0].marked && rows[0].reason == "Prosthetic or no eye",
        "{rows:?}"
    );
    shot(&k, "26-finish-check-marked");
    tap(&k, "Finish visit");
    assert_eq!(g(&k).get_screen(), Screen::VisitSummary);
    let line = visit_page(&k).get_referral_line().to_string();
    assert!(
        line.contains("Diabetic retinopathy, left eye cannot be screened (prosthetic or no eye)"),
        "{line}"
    );
    if right != OutcomeKind::Refer {
        assert!(line.starts_with("REFER — not fully screened"), "{line}");
    }
    // The slip wraps at its width: compare its words.
    let slip = visit_page(&k).get_slip_text().to_string();
    let words = slip.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("Cannot be screened: Prosthetic or no eye"),
        "{slip}"
    );
    shot(&k, "27-visit-summary-incomplete");

    // The register holds the decision as a code with its parts.
    wait(&k, "the decision saved", |_| {
        let store =
            onemed::records::Store::open(&s.data_dir, &crate::common::protection()).unwrap();
        let v = store.search_patient("PAT-0046").unwrap();
        v.first().is_some_and(|v| v.decision.is_some())
    });
    let store = onemed::records::Store::open(&s.data_dir, &crate::common::protection()).unwrap();
    let v = store.search_patient("PAT-0046").unwrap().remove(0);
    let d = v.decision.unwrap();
    assert_eq!(
        d.not_screened,
        vec![onemed::screening::NotScreened {
            tool: "diabetic-retinopathy".into(),
            eye: Some(onemed::records::Eye::Left),
            reason: Some("Prosthetic or no eye".into()),
        }]
    );
    assert!(d.decision.refers());
}

/// Everything on the screen a finger can touch (buttons, keys, tiles,
/// choices, fields) that is less than 72 px tall or not wholly on the
/// 1280x800 screen, as "label: height".
fn small_targets(k: &Kiosk) -> (usize, Vec<String>) {
    k.pump();
    let targets = ElementQuery::from_root(k.window())
        .match_descendants()
        .match_predicate(|e| {
            matches!(
                e.accessible_role(),
                Some(AccessibleRole::Button | AccessibleRole::Checkbox | AccessibleRole::TextInput)
            )
        })
        .find_all();
    let small = targets
        .iter()
        .filter(|e| {
            let (at, size) = (e.absolute_position(), e.size());
            size.height < 72.0 || at.y + size.height > 800.5 || at.x + size.width > 1280.5
        })
        .map(|e| {
            format!(
                "{:?} ({:?}): {} px tall at y {}",
                e.accessible_label().unwrap_or_default(),
                e.accessible_role(),
                e.size().height,
                e.absolute_position().y
            )
        })
        .collect();
    (targets.len(), small)
}

fn assert_touch_targets(k: &Kiosk, screen: &str) {
    let (n, small) = small_targets(k);
    assert!(n > 0, "nothing to touch on the {screen} screen?");
    assert!(
        small.is_empty(),
        "on the {screen} screen, touch targets under 72 px or off the screen: {small:#?}"
    );
}

#[test]
fn every_touch_target_is_at_least_72_px_tall() {
    // The README's promise, on each screen a nurse goes through.
    let replay = folder_of(&["eye/diabetic-retinopathy/02_dr.JPG"]);
    let k = start(
        &format!("replay:{}?fps=30", replay.path().display()),
        vec![],
    );
    wait(&k, "camera connected", |k| {
        capture_page(k).get_camera_connected()
    });
    assert_touch_targets(&k, "home");
    // The status line: short items; the details in words, with no path.
    let status = k.window().global::<HomeStatus>();
    let items: Vec<String> = slint::Model::iter(&status.get_items())
        .map(|i| i.text.to_string())
        .collect();
    assert_eq!(items, ["✓ 5/5 tools", "● Camera", "CPU"], "{items:?}");
    let details: Vec<String> = slint::Model::iter(&status.get_details())
        .map(|d| d.to_string())
        .collect();
    assert!(
        details.contains(&"Camera: Demo camera".to_string()),
        "{details:?}"
    );
    assert!(
        details.iter().all(|d| !d.contains('/')),
        "no file path on a nurse's screen: {details:?}"
    );
    tap(&k, "Status details");
    shot(&k, "01-home-status-details");
    assert_touch_targets(&k, "home, status details");
    tap(&k, "Close");

    tap(&k, "Diabetic retinopathy");
    assert_eq!(g(&k).get_screen(), Screen::VisitStart);
    assert_touch_targets(&k, "new patient");
    // Tapping Age keeps every key where it was (no pad swapped in).
    let five = |k: &Kiosk| {
        ElementHandle::find_by_accessible_label(k.window(), "5")
            .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
            .map(|e| (e.absolute_position(), e.size()))
            .expect("the 5 key")
    };
    let before = five(&k);
    tap(&k, "Age");
    assert_eq!(five(&k), before, "the keys stay under the finger");
    assert!(!enabled(&k, "Q"), "letters are dimmed for the age");
    shot(&k, "13-visit-start-age");
    assert_touch_targets(&k, "new patient, age");
    type_keys(&k, "61");
    assert_eq!(visit_page(&k).get_entry_age(), "61");
    tap(&k, "Patient ID");
    type_keys(&k, "PAT-0050");
    tap(&k, "Start screening");
    wait(&k, "the visit to start", |k| g(k).get_in_visit());
    wait_live_preview(&k);
    assert_touch_targets(&k, "capture");

    tap(&k, "Capture");
    wait(&k, "the review screen", |k| {
        g(k).get_screen() == Screen::Review
    });
    assert_touch_targets(&k, "review");
    tap(&k, "Analyse");
    wait(&k, "the result", |k| g(k).get_screen() == Screen::Result);
    assert_touch_targets(&k, "result");
    tap(&k, "Finish visit");
    assert_eq!(g(&k).get_screen(), Screen::FinishCheck);
    assert_touch_targets(&k, "not everything was screened");
    tap(&k, "Cannot be screened");
    assert_touch_targets(&k, "not everything was screened, reasons");
    tap(&k, "Patient refused");
    tap(&k, "Finish visit");
    assert_eq!(g(&k).get_screen(), Screen::VisitSummary);
    assert_touch_targets(&k, "visit summary");
    tap(&k, "Next patient");

    tap(&k, "History");
    wait(&k, "today's visit", |k| {
        slint::Model::row_count(&history_page(k).get_history_rows()) == 1
    });
    assert_touch_targets(&k, "history");
    tap(&k, "Patient ID");
    assert_touch_targets(&k, "history search");
    let row = slint::Model::row_data(&history_page(&k).get_history_rows(), 0).unwrap();
    tap(&k, &format!("Visit PAT-0050 {}", row.time));
    wait(&k, "the visit", |k| {
        g(k).get_screen() == Screen::VisitDetail
    });
    assert_touch_targets(&k, "visit detail");
}

#[test]
fn damaged_settings_open_no_register_and_no_visit_can_start() {
    let mut s = settings("none", vec![], common::models_dir());
    s.fault = Some("kiosk.toml line 3: data_dir = 7: invalid type".into());
    let k = start_settings(&s);
    wait(&k, "the register fault on the home screen", |k| {
        !home_page(k).get_register_ok()
    });
    let status = home_page(&k).get_status_register().to_string();
    assert!(status.contains("settings are damaged"), "{status}");
    assert!(status.contains("data_dir"), "{status}");
    shot(&k, "30-home-settings-damaged");
    begin_visit_refused(&k);
    assert!(
        std::fs::read_dir(&s.data_dir).unwrap().next().is_none(),
        "nothing was written to the default data folder"
    );
}

/// Taps a tool and sees screening refused in words (with no register, no
/// nurse can sign in, so it stops there).
fn begin_visit_refused(k: &Kiosk) {
    tap(k, "Skin lesion");
    wait(k, "the refusal", |k| !g(k).get_message().is_empty());
    assert!(
        g(k).get_message().contains("could not be started"),
        "{}",
        g(k).get_message()
    );
    assert!(!g(k).get_in_visit());
}

#[test]
fn without_the_register_key_nothing_is_recorded_and_the_screen_says_why() {
    let mut s = settings("none", vec![], common::models_dir());
    s.credentials_dir = None;
    let k = start_settings(&s);
    wait(&k, "the register fault on the home screen", |k| {
        !home_page(k).get_register_ok()
    });
    let status = home_page(&k).get_status_register().to_string();
    assert!(status.contains("register key is missing"), "{status}");
    shot(&k, "31-home-no-register-key");
    begin_visit_refused(&k);
    assert!(
        !s.data_dir.join("register.sqlite3").exists(),
        "no register was made without a key"
    );
}

#[test]
fn a_plain_register_is_allowed_only_by_setting_and_the_home_screen_says_so() {
    let mut s = settings("none", vec![], common::models_dir());
    s.credentials_dir = None;
    s.unencrypted_register = true;
    let k = start_settings(&s);
    wait(&k, "the register opened", |k| {
        home_page(k).get_status_register().contains("NOT encrypted")
    });
    assert!(home_page(&k).get_register_ok() && home_page(&k).get_register_plain());
    let said = home_page(&k).get_status_register().to_string();
    assert!(said.contains("Do not use with real patients"), "{said}");
    assert!(
        on_screen(&k, &said),
        "the home screen does not say the register is plain"
    );
    shot(&k, "32-home-register-not-encrypted");
    let db = std::fs::read(s.data_dir.join("register.sqlite3")).unwrap();
    assert!(db.starts_with(b"SQLite format 3"));
    // With the key, the same kiosk's register says it is encrypted.
    drop(k);
    let k = start_settings(&settings("none", vec![], common::models_dir()));
    wait(&k, "the register opened", |k| {
        home_page(k).get_status_register() == "Register ready (encrypted)"
    });
    assert!(!home_page(&k).get_register_plain());
    assert!(!on_screen(&k, &said));
}

/// Whether an element labelled exactly `label` is on screen.
fn on_screen(k: &Kiosk, label: &str) -> bool {
    i_slint_backend_testing::ElementHandle::find_by_accessible_label(k.window(), label)
        .next()
        .is_some()
}
