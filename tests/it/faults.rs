//! Faults the kiosk survives, each seen on the real kiosk (testing backend,
//! software renderer, real models): a corrupt model file at start, another
//! model's weights swapped in, a GPU asked for but absent, and a damaged
//! settings file. (A missing model and a missing
//! runtime are in tests/kiosk.rs; a camera unplugged and back in
//! tests/camera.rs; a full or read-only data disk in tests/visit.rs.)

use crate::common;
use crate::common::kiosk::*;
use onemed::admin::overrides::load_settings;
use onemed::engine::Device;
use onemed::kiosk::ui::Screen;
use std::path::Path;

#[test]
fn a_corrupt_model_file_makes_only_that_tool_unavailable() {
    let models = common::models_copy(Path::new("(none)"));
    // Half a weights file, as a pulled USB stick or a bad copy leaves it.
    let bin = models.path().join("redness/model.bin");
    let bytes = std::fs::read(&bin).unwrap();
    std::fs::write(&bin, &bytes[..bytes.len() / 2]).unwrap();
    let k = start_with("none", vec![], models.path().to_path_buf());
    assert_eq!(home_page(&k).get_status_models(), "4 of 5 tools ready");
    assert!(
        !enabled(&k, "Eye redness (uveitis)"),
        "the broken tool is off"
    );
    assert!(
        enabled(&k, "Cataract") && enabled(&k, "Skin lesion"),
        "the others work"
    );
    begin_visit(&k, "Skin lesion", "PAT-0060");
    assert_eq!(g(&k).get_screen(), Screen::Capture);
}

#[test]
fn swapped_weights_make_that_tool_unavailable_with_the_reason() {
    // The cataract weights fit the skin model's graph exactly; unchecked, they
    // ran under the skin tool's name.
    let models = common::models_copy(Path::new("(none)"));
    std::fs::copy(
        models.path().join("cataract/model.bin"),
        models.path().join("skin-lesion/model.bin"),
    )
    .unwrap();
    let k = start_with("none", vec![], models.path().to_path_buf());
    assert_eq!(home_page(&k).get_status_models(), "4 of 5 tools ready");
    let skin = button(&k, "Skin lesion");
    assert_eq!(skin.accessible_enabled(), Some(false));
    let note = skin.accessible_description().unwrap_or_default();
    assert!(note.contains("reinstall"), "{note}");
    shot(&k, "30-home-model-altered");
    assert!(enabled(&k, "Cataract"), "the other tools work");
    begin_visit(&k, "Cataract", "PAT-0061");
    assert_eq!(g(&k).get_screen(), Screen::Capture);
}

#[test]
fn a_gpu_asked_for_but_absent_falls_back_to_the_cpu_and_says_so() {
    let s = onemed::settings::Settings {
        device: Device::Gpu,
        ..settings("none", vec![], common::models_dir())
    };
    let k = start_settings(&s);
    let msg = g(&k).get_message().to_string();
    assert!(msg.contains("GPU") && msg.contains("CPU"), "{msg}");
    assert!(
        home_page(&k).get_status_device().starts_with("CPU"),
        "{}",
        home_page(&k).get_status_device()
    );
    assert_eq!(home_page(&k).get_status_models(), "5 of 5 tools ready");
}

#[test]
fn a_damaged_settings_file_gives_defaults_a_visible_warning_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.toml");
    std::fs::write(&path, "device = \"GPU\"\ncamera = [broken\n").unwrap();
    let loaded = load_settings(Some(&path));
    assert_eq!(loaded.device, Device::Cpu, "defaults");
    let s = onemed::settings::Settings {
        warnings: loaded.warnings.clone(),
        ..settings("none", vec![], common::models_dir())
    };
    let k = start_settings(&s);
    let msg = g(&k).get_message().to_string();
    assert!(
        msg.contains("could not be used") && msg.contains(&path.display().to_string()),
        "{msg}"
    );
    shot(&k, "25-warning-damaged-settings");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "device = \"GPU\"\ncamera = [broken\n",
        "the bad file is left for someone to look at"
    );
}
