//! A whole visit in the nurse's language, switched midway: the result on
//! screen follows the screen's language at once, the summary too, while the
//! slip stays in the patient's language and is printed as a raster picture
//! (`GS v 0`) that is exactly the slip's lines drawn by the slip renderer; the
//! register keeps English words and codes only.

use crate::common::kiosk::*;
use onemed::i18n::{tr, trf, trn, Lang};
use std::ops::RangeInclusive;

const DEVANAGARI: RangeInclusive<char> = '\u{0900}'..='\u{097f}';
const TAMIL: RangeInclusive<char> = '\u{0b80}'..='\u{0bff}';

/// Whether `text` has a letter of this script's Unicode block.
fn in_script(text: &str, block: RangeInclusive<char>) -> bool {
    text.chars().any(|c| block.contains(&c))
}

/// A pty pair for the printer: the kiosk opens `dev`, the test reads `peer`.
fn printer_pty(
    dir: &std::path::Path,
) -> (
    std::process::Child,
    std::path::PathBuf,
    Box<dyn serialport::SerialPort>,
) {
    let dev = dir.join("printer-dev");
    let peer = dir.join("printer-peer");
    let child = crate::common::pty_pair(&dev, &peer);
    let port = serialport::new(peer.to_string_lossy(), 9600)
        .timeout(std::time::Duration::from_millis(100))
        .open()
        .expect("peer opens");
    (child, dev, port)
}

/// Reads what the kiosk prints until the cut, pumping the UI.
fn read_slip(k: &onemed::kiosk::Kiosk, port: &mut dyn serialport::SerialPort) -> Vec<u8> {
    let (mut got, mut buf) = (Vec::new(), [0u8; 8192]);
    let t0 = std::time::Instant::now();
    while !got.ends_with(&[0x1d, b'V', 66, 0]) {
        k.pump();
        match port.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("printer peer: {e}"),
        }
        assert!(
            t0.elapsed().as_secs() < 30,
            "only {} bytes printed",
            got.len()
        );
    }
    got
}

#[test]
fn a_visit_in_hindi_switched_to_tamil_midway_prints_the_slip_in_the_patients_language() {
    use onemed::kiosk::ui::Screen;
    use onemed::serial::raster;
    let ptys = tempfile::tempdir().unwrap();
    let (mut child, dev, mut printer) = printer_pty(ptys.path());
    let skin = folder_of(&["skin-lesion/malignant/6.jpg"]);
    let mut settings = settings(
        &format!("replay:{}?fps=30", skin.path().display()),
        vec![],
        crate::common::models_dir(),
    );
    settings.serial.printer = Some(onemed::settings::PrinterSettings {
        port: dev,
        baud: 9600,
        width: 32,
        dots: None,
    });
    let k = start_signed_in(&settings);
    tap(&k, Lang::Hi.native_name());
    let hi = |s: &str| tr(Lang::Hi, s);
    let ta = |s: &str| tr(Lang::Ta, s);

    // The patient comes in Hindi: the patient's language is the screen's.
    tap(&k, &hi("Skin lesion"));
    assert_eq!(g(&k).get_screen(), Screen::VisitStart);
    assert_eq!(
        visit_page(&k).get_entry_language(),
        onemed::kiosk::ui::Language::Hi
    );
    // The patient's language can differ from the screen's; here she reads Hindi.
    tap(&k, Lang::Bn.native_name());
    assert_eq!(
        visit_page(&k).get_entry_language(),
        onemed::kiosk::ui::Language::Bn
    );
    tap(&k, Lang::Hi.native_name());
    type_keys(&k, "PAT-7");
    tap(&k, &hi("Start screening"));
    wait(&k, "the visit", |k| g(k).get_in_visit());
    wait_live_preview(&k);
    assert_eq!(capture_page(&k).get_tool_name(), hi("Skin lesion"));
    tap(&k, &hi("Capture"));
    wait(&k, "the review", |k| g(k).get_screen() == Screen::Review);
    tap(&k, &hi("Analyse"));
    wait(&k, "the result", |k| g(k).get_screen() == Screen::Result);
    let english = capture_page(&k).get_trace().to_string();
    assert!(english.contains("record"), "saved before shown");
    let headline_hi = capture_page(&k).get_headline().to_string();
    assert!(
        in_script(&headline_hi, DEVANAGARI),
        "a Hindi result: {headline_hi}"
    );
    // Screen and patient share Hindi: the result is said once.
    assert_eq!(capture_page(&k).get_patient_words(), "");
    shot(&k, "40-result-before-the-switch");

    // The nurse switches the screen to Tamil in the middle of the visit:
    // the result on screen follows at once, the same result.
    k.set_language(Lang::Ta);
    let headline_ta = capture_page(&k).get_headline().to_string();
    assert!(
        in_script(&headline_ta, TAMIL),
        "a Tamil result: {headline_ta}"
    );
    assert_eq!(capture_page(&k).get_trace().to_string(), english);
    // The screen is no longer the patient's language: the result is shown
    // again for her, in Hindi, the headline the Hindi screen showed.
    let for_her = capture_page(&k).get_patient_words().to_string();
    assert!(for_her.starts_with(&headline_hi), "{for_her}");
    assert_eq!(
        capture_page(&k).get_patient_language(),
        Lang::Hi.native_name()
    );
    shot(&k, "40-result-after-the-switch");

    tap(&k, &ta("Finish visit"));
    wait(&k, "the summary", |k| {
        g(k).get_screen() == Screen::VisitSummary
    });
    let lines = visit_page(&k).get_visit_lines();
    let first = slint::Model::row_data(&lines, 0).unwrap();
    assert_eq!(first.label, ta("Skin lesion"), "the summary in Tamil");
    shot(&k, "41-visit-summary-after-the-switch");

    // The slip stays in the patient's language, Hindi, printed as a picture.
    let (slip, lang) = k.patient_slip();
    assert_eq!(lang, Lang::Hi);
    let texts: Vec<&str> = slip.iter().map(|l| l.text.as_str()).collect();
    assert!(
        texts.contains(&trf(Lang::Hi, "Patient: {}", &["PAT-7"]).as_str()),
        "{texts:?}"
    );
    assert!(texts.contains(&hi("Assistive screening, not a diagnosis.").as_str()));
    tap(&k, &ta("Print slip"));
    let bytes = read_slip(&k, printer.as_mut());
    let printed = raster::decode(&bytes).expect("a raster slip");
    assert_eq!(printed.width(), 384, "58 mm paper");
    // The golden rendering: the same lines drawn by the same renderer.
    let golden = raster::SlipRaster::default().render(&slip, 384, &Lang::Hi.font_stack());
    assert_eq!(
        bytes,
        raster::encode(&golden),
        "the printed picture is the Hindi slip"
    );
    let ink = printed.pixels().filter(|p| p.0[0] == 0).count();
    assert!(ink > 2000, "text on the slip: {ink} black dots");
    if let Some(dir) = std::env::var_os("ONEMED_SCREENSHOTS") {
        let path = std::path::Path::new(&dir).join("hi/42-slip-printed-hindi.png");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        printed.save(path).unwrap();
    }
    wait(&k, "printed", |k| {
        !visit_page(k).get_print_status().is_empty()
            && !visit_page(k).get_print_status().contains('…')
    });

    // The register keeps codes and English words, never the translations.
    let store =
        onemed::records::Store::open(&settings.data_dir, &crate::common::protection()).unwrap();
    let v = &store.search_patient("PAT-7").unwrap()[0];
    let printed_text = v.printed_text.clone().expect("the printed slip's copy");
    assert!(printed_text.contains("Patient: PAT-7"), "{printed_text}");
    assert!(
        printed_text.is_ascii(),
        "English in the register: {printed_text}"
    );
    let referral = v.referral.clone().unwrap_or_default();
    assert!(
        referral.starts_with("REFER") || referral.starts_with("No referral"),
        "{referral}"
    );
    // …and the patient's language as its code.
    assert_eq!(v.language, Lang::Hi);
    drop(store);

    // History (in Tamil, the screen's language): the slip shows in the
    // patient's script, and a reprint is her Hindi slip again, headed
    // "COPY (reprint)" in Hindi, while the register keeps its English copy.
    tap(&k, &ta("Next patient"));
    tap(&k, &ta("History"));
    wait(&k, "today's visits", |k| {
        slint::Model::row_count(&history_page(k).get_history_rows()) == 1
    });
    let row = slint::Model::row_data(&history_page(&k).get_history_rows(), 0).unwrap();
    history_page(&k).invoke_open_visit(row.id);
    wait(&k, "the visit", |k| {
        g(k).get_screen() == Screen::VisitDetail
    });
    let shown = history_page(&k).get_detail_slip().to_string();
    assert!(
        shown.contains(&trf(Lang::Hi, "Patient: {}", &["PAT-7"])),
        "{shown}"
    );
    tap(&k, &ta("Reprint slip"));
    let copy = read_slip(&k, printer.as_mut());
    let reprinted = raster::decode(&copy).expect("the reprint is a picture too");
    assert_eq!(reprinted.width(), 384);
    let mut headed = vec![onemed::serial::PrintLine {
        text: hi("COPY (reprint)"),
        bold: true,
        double: false,
        center: true,
    }];
    headed.extend(slip.iter().cloned());
    // The slip made again from the register is the one printed first
    // (only its time can differ, when the visit began a minute later).
    let golden = raster::SlipRaster::default().render(&headed, 384, &Lang::Hi.font_stack());
    assert_eq!(reprinted.height(), golden.height(), "one heading line more");
    let ink = reprinted.pixels().filter(|p| p.0[0] == 0).count();
    assert!(ink > 2000, "text on the reprint: {ink} black dots");
    wait(&k, "the reprint in the register", |k| {
        history_page(k).get_printed_note() == trn_ta_printed(2)
    });
    let store =
        onemed::records::Store::open(&settings.data_dir, &crate::common::protection()).unwrap();
    let v = &store.search_patient("PAT-7").unwrap()[0];
    let text = v.printed_text.clone().unwrap_or_default();
    assert!(
        text.trim_start().starts_with("COPY (reprint)") && text.contains("Patient: PAT-7"),
        "the English copy: {text}"
    );
    assert_eq!(v.printed_count, 2);
    let _ = child.kill();
    let _ = child.wait();
}

/// History's "printed N times" in Tamil.
fn trn_ta_printed(n: u64) -> String {
    trn(Lang::Ta, "printed once", "printed {n} times", n, &[])
}
