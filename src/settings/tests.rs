//! The settings reader, value by value.

use super::*;
use std::path::Path;

#[test]
fn empty_file_gives_defaults() {
    let s = Settings::parse(Path::new("k.toml"), "").unwrap();
    assert_eq!(s.device, Device::Cpu);
    assert_eq!(s.max_image_pixels, 50_000_000);
}

#[test]
fn values_are_read() {
    let s = Settings::parse(
        Path::new("k.toml"),
        "device = \"GPU\"\nmodels_dir = \"/m\"\n[gate_margin]\ncataract = 0.6\n",
    )
    .unwrap();
    assert_eq!(s.device, Device::Gpu);
    assert_eq!(s.models_dir.as_deref(), Some(Path::new("/m")));
    assert_eq!(s.gate_margin.get("cataract"), Some(&0.6));
}

#[test]
fn one_bad_value_costs_only_that_value_and_says_its_line() {
    let text = "kiosk_id = \"camp-7\"\ndevise = \"GPU\"\nmax_attempts = 4294967295\n\
                operator = \"Asha\"\n[gate_margin]\nskin-lesion = 1.0\ncatarct = 0.6\n\
                cataract = 0.1\n";
    let s = Settings::parse(Path::new("k.toml"), text).unwrap();
    // What was right is kept.
    assert_eq!(s.kiosk_id, "camp-7");
    assert_eq!(s.operator, "Asha");
    assert_eq!(s.fault, None, "the data folder is not touched");
    // What was wrong falls back, each with its line.
    assert_eq!(s.max_attempts, DEFAULT_MAX_ATTEMPTS);
    assert_eq!(s.device, Device::Cpu);
    assert!(
        !s.gate_margin.contains_key("skin-lesion"),
        "1.0 would never give a finding"
    );
    assert!(!s.gate_margin.contains_key("cataract"), "below the floor");
    // A misspelt tool name is kept for the catalogue to report; it disables nothing here.
    assert_eq!(s.gate_margin.get("catarct"), Some(&0.6));
    let w = s.warnings.join("\n");
    assert!(w.contains("k.toml line 2: devise is not a setting"), "{w}");
    assert!(
        w.contains("line 3: max_attempts = 4294967295: must lie between 1 and 10"),
        "{w}"
    );
    assert!(
        w.contains("line 6: gate_margin.skin-lesion = 1: must lie between 0.3 and 0.95"),
        "{w}"
    );
    assert!(w.contains("line 8: gate_margin.cataract"), "{w}");
    assert_eq!(s.warnings.len(), 4, "{w}");
}

#[test]
fn idle_lock_minutes_is_read_and_an_out_of_range_value_falls_back_with_its_line() {
    let s = Settings::parse(Path::new("k.toml"), "idle_lock_minutes = 12\n").unwrap();
    assert_eq!(s.idle_lock_minutes, 12);
    assert!(s.warnings.is_empty());
    for bad in ["0", "61", "\"five\""] {
        let text = format!("kiosk_id = \"k\"\nidle_lock_minutes = {bad}\n");
        let s = Settings::parse(Path::new("k.toml"), &text).unwrap();
        assert_eq!(s.idle_lock_minutes, DEFAULT_IDLE_LOCK_MINUTES, "{bad}");
        assert_eq!(s.kiosk_id, "k");
        let w = s.warnings.join("\n");
        assert!(w.contains("k.toml line 2: idle_lock_minutes"), "{w}");
    }
}

#[test]
fn a_bad_data_dir_is_a_fault_never_another_register() {
    for text in ["data_dir = 7", "data_dir = \"relative/onemed\""] {
        let s = Settings::parse(Path::new("k.toml"), text).unwrap();
        assert!(
            s.fault.as_deref().is_some_and(|f| f.contains("data_dir")),
            "{text}: {:?}",
            s.fault
        );
    }
    let s = Settings::parse(Path::new("k.toml"), "data_dir = \"/srv/onemed\"").unwrap();
    assert_eq!(s.data_dir, Path::new("/srv/onemed"));
    assert_eq!(s.fault, None);
}

#[test]
fn a_file_that_is_not_toml_is_a_fault_and_is_kept() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("kiosk.toml");
    std::fs::write(&p, "device = \"CPU\"\ndata_dir = [\n").unwrap();
    let (s, warn) = Settings::load(Some(&p));
    let e = warn.unwrap().to_string();
    assert!(e.contains("line 2") || e.contains("line 3"), "{e}");
    assert!(s.fault.is_some(), "the register's folder is unknown");
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "device = \"CPU\"\ndata_dir = [\n"
    );
}

#[test]
fn the_default_language_is_read_and_an_unknown_one_falls_back_with_its_line() {
    let s = Settings::parse(Path::new("k.toml"), "language = \"ta\"\n").unwrap();
    assert_eq!(s.language, crate::i18n::Lang::Ta);
    let s = Settings::parse(Path::new("k.toml"), "kiosk_id = \"k\"\nlanguage = \"fr\"\n").unwrap();
    assert_eq!(s.language, crate::i18n::Lang::En);
    assert!(s.warnings[0].contains("line 2"), "{:?}", s.warnings);
    assert!(s.warnings[0].contains("not a language"), "{:?}", s.warnings);
}
