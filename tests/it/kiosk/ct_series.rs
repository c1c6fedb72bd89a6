//! A CT study as a hospital exports it: a JPEG 2000 series of 100 slices and
//! a second series, in a folder with a `DICOMDIR` (the synthetic chest
//! phantom of `scripts/ct_phantom.py`, written at test time). The import
//! screen lists the series, not loose files; the nurse picks one; the kiosk
//! analyses the slices through the lungs, evenly spaced, and the study
//! result says which it used.

use super::*;

const SLICES: usize = 100;

/// The phantom: a lossless JPEG 2000 and an explicit little-endian series,
/// with a DICOMDIR over both (or one multi-frame JPEG 2000 file).
fn phantom(multiframe: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let n = SLICES.to_string();
    let size = ["--slices", &n, "--size", "256"];
    let syntaxes: &[(&str, bool)] = if multiframe {
        &[("jpeg2000", true)]
    } else {
        &[("explicit", false), ("jpeg2000", true)]
    };
    for &(syntax, dicomdir) in syntaxes {
        let mut args = vec!["--syntax", syntax];
        args.extend(size);
        if dicomdir {
            args.push("--dicomdir");
        }
        if multiframe {
            args.push("--multiframe");
        }
        common::ct_phantom(dir.path(), &args);
    }
    assert!(dir.path().join("DICOMDIR").exists());
    dir
}

fn series_cards(k: &Kiosk) -> Vec<onemed::kiosk::ui::SeriesCard> {
    let m = ct_page(k).get_ct_series();
    (0..slint::Model::row_count(&m))
        .filter_map(|i| slint::Model::row_data(&m, i))
        .collect()
}

#[test]
fn a_jpeg2000_ct_series_from_a_dicomdir_goes_to_a_study_result() {
    let study = phantom(false);
    let s = settings(
        "none",
        vec![study.path().to_path_buf()],
        common::models_dir(),
    );
    let k = start_signed_in(&s);
    begin_visit(&k, "COVID CT", "PAT-0077");
    assert_eq!(g(&k).get_screen(), Screen::CtImport);
    wait(&k, "the two series listed", |k| series_cards(k).len() == 2);
    let cards = series_cards(&k);
    for c in &cards {
        assert!(c.title.contains("CHEST PHANTOM"), "{}", c.title);
        assert!(
            c.detail.contains(&format!("{SLICES} slices")),
            "{}",
            c.detail
        );
    }
    let j2k = cards
        .iter()
        .position(|c| c.title.contains("JPEG 2000"))
        .expect("the JPEG 2000 series is listed");
    // Series, not loose files: no file tiles, no "Analyse n slices".
    assert!(on_screen(&k, "Analyse this series"));
    assert!(
        !on_screen(&k, "Select all CT slices"),
        "the loose-file buttons are hidden"
    );
    shot(&k, "08b-ct-series");
    // The files are one tap away, and the series one tap back.
    tap(&k, "Show the files");
    assert!(on_screen(&k, "Select all CT slices"));
    assert!(!on_screen(&k, "Analyse this series"));
    tap(&k, "Show the CT series");
    assert!(!on_screen(&k, "Select all CT slices"));
    // The JPEG 2000 row's button, as a touch would press it.
    let buttons: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(k.window(), "Analyse this series")
            .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
            .collect();
    assert_eq!(buttons.len(), 2, "one button per series");
    buttons[j2k].invoke_accessible_default_action();
    wait(&k, "the study result", |k| {
        g(k).get_screen() == Screen::CtSummary
    });
    // The slices analysed: as many as the setting allows, all through the
    // lungs (the phantom has lungs in slices 20..80 of 100, 0-based), evenly
    // spaced, each with its outcome.
    let analysed = ct_cards(&k);
    let want = Settings::default().ct_series_slices as usize;
    assert_eq!(analysed.len(), want);
    let numbers: Vec<usize> = analysed
        .iter()
        .map(|c| {
            let n = c.name.trim_start_matches("Slice ");
            n.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    for (n, card) in numbers.iter().zip(&analysed) {
        assert!(
            (SLICES / 5..SLICES * 4 / 5).contains(&(n - 1)),
            "slice {n} is outside the lungs: {numbers:?}"
        );
        assert!(!card.outcome.is_empty(), "{}: no outcome", card.name);
        assert!(card.thumb.size().width > 0, "{}: no picture", card.name);
    }
    let steps: Vec<usize> = numbers.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        steps.iter().max().unwrap() - steps.iter().min().unwrap() <= 1,
        "evenly spaced: {numbers:?}"
    );
    let used = ct_page(&k).get_ct_used().to_string();
    let listed: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
    assert!(used.contains(&listed.join(", ")), "{used}");
    assert!(used.contains(&format!("of its {SLICES} slices")), "{used}");
    assert!(used.contains("JPEG 2000"), "the series tapped: {used}");
    let summary = ct_page(&k).get_ct_summary().to_string();
    assert!(summary.contains("slice"), "{summary}");
    shot(&k, "09b-ct-series-result");
    // The slices are named in the screen's language; the register keeps English.
    k.set_language(onemed::i18n::Lang::Hi);
    k.pump();
    let hindi = ct_cards(&k);
    assert!(
        hindi.iter().all(|c| !c.name.starts_with("Slice ")),
        "{:?}",
        hindi.iter().map(|c| c.name.to_string()).collect::<Vec<_>>()
    );
    k.set_language(onemed::i18n::Lang::En);
    k.pump();
    // Each analysed slice is in the register, named by its place in the series.
    let store = common::open_store(&s.data_dir);
    let records = store.records_since(None).unwrap();
    assert_eq!(records.len(), want);
    for (r, n) in records.iter().zip(&numbers) {
        assert_eq!(r.source, format!("import:Slice {n} of {SLICES}"));
        assert_eq!(r.tool, "covid-ct");
    }
}

/// The slices' numbers ("Slice 21 of 100" → 21) on the study result.
fn slice_numbers(k: &Kiosk) -> Vec<usize> {
    ct_cards(k)
        .iter()
        .filter_map(|c| {
            c.name
                .trim_start_matches("Slice ")
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn a_multi_frame_series_is_analysed_frame_by_frame_and_each_frame_kept() {
    let study = phantom(true);
    let s = settings(
        "none",
        vec![study.path().to_path_buf()],
        common::models_dir(),
    );
    let k = start_signed_in(&s);
    begin_visit(&k, "COVID CT", "PAT-0078");
    wait(&k, "the series listed", |k| series_cards(k).len() == 1);
    assert!(series_cards(&k)[0].title.contains("multi-frame"));
    tap(&k, "Analyse this series");
    wait(&k, "the study result", |k| {
        g(k).get_screen() == Screen::CtSummary
    });
    let numbers = slice_numbers(&k);
    assert_eq!(numbers.len(), Settings::default().ct_series_slices as usize);
    assert!(
        numbers
            .iter()
            .all(|n| (SLICES / 5..SLICES * 4 / 5).contains(&(n - 1))),
        "{numbers:?}"
    );
    // The register keeps each frame the model saw (a PNG), not the whole
    // volume once per slice.
    let store = common::open_store(&s.data_dir);
    let records = store.records_since(None).unwrap();
    assert_eq!(records.len(), numbers.len());
    for r in &records {
        assert!(r.image_file.ends_with(".png"), "{}", r.image_file);
        assert!(r.image_bytes < 1_000_000, "{} bytes", r.image_bytes);
        let png = store.read_image(r).unwrap();
        let (_, frame) = onemed::decode::decode(&png, &onemed::decode::Limits::default()).unwrap();
        assert_eq!((frame.width(), frame.height()), (256, 256));
        let fitted = onemed::preprocess::fit(&frame, 224, 224).unwrap();
        assert_eq!(
            onemed::preprocess::input_sha256(&fitted),
            r.input_sha256,
            "the kept frame is exactly what the model saw"
        );
    }
}
