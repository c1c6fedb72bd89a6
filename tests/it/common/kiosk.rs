//! Driving the kiosk in tests: Slint's testing backend with the software
//! renderer, taps on accessible elements (as a touch would hit them), waits
//! with deadlines, and screenshots when `ONEMED_SCREENSHOTS` is set.
#![allow(dead_code)]

use i_slint_backend_testing::{
    AccessibleRole, ElementHandle, TestingBackend, TestingBackendOptions,
};
use onemed::kiosk::ui::{
    AdminPage, CapturePage, CtPage, HistoryPage, HomePage, Kiosk as G, Screen, SignIn, VisitPage,
};
use onemed::kiosk::Kiosk;
use onemed::settings::Settings;
use slint::ComponentHandle;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A data folder of its own for each kiosk a test starts.
pub fn data_dir() -> PathBuf {
    tempfile::tempdir().unwrap().keep()
}

/// Settings for a test kiosk: the shared models, a private data folder.
pub fn settings(camera: &str, import: Vec<PathBuf>, models: PathBuf) -> Settings {
    Settings {
        models_dir: Some(models),
        camera: camera.to_string(),
        import_paths: import,
        cache_dir: Some(std::env::temp_dir().join("onemed-test-cache")),
        data_dir: data_dir(),
        kiosk_id: "test-kiosk".into(),
        credentials_dir: Some(super::credentials()),
        ..Settings::default()
    }
}

/// The nurse every test kiosk started by [`start`] has, and her PIN.
pub const NURSE: &str = "Asha Devi";
pub const NURSE_PIN: &str = "482913";

/// A kiosk with [`NURSE`] in its register, signed in on its home screen.
pub fn start(camera: &str, import: Vec<PathBuf>) -> Rc<Kiosk> {
    start_with(camera, import, super::models_dir())
}

pub fn start_with(camera: &str, import: Vec<PathBuf>, models: PathBuf) -> Rc<Kiosk> {
    start_signed_in(&settings(camera, import, models))
}

/// Adds a nurse to the register in `data_dir` (as Admin → Nurses does),
/// unless one of that name is there already.
pub fn add_nurse(data_dir: &Path, name: &str, pin: &str) {
    let mut store =
        onemed::records::Store::open(data_dir, &super::protection()).expect("the register opens");
    let there = store
        .operators(true)
        .unwrap()
        .iter()
        .any(|o| o.name == name);
    if !there {
        let hash = onemed::admin::pin::hash(pin).unwrap();
        store.add_operator(name, &hash).unwrap();
    }
}

/// Starts a kiosk with these settings, [`NURSE`] in its register, and signs
/// her in from the home screen.
pub fn start_signed_in(settings: &Settings) -> Rc<Kiosk> {
    add_nurse(&settings.data_dir, NURSE, NURSE_PIN);
    let k = start_settings(settings);
    tap(&k, "Sign in");
    sign_in(&k, NURSE, NURSE_PIN);
    assert_eq!(g(&k).get_screen(), Screen::Home);
    k
}

pub fn signin(k: &Kiosk) -> SignIn<'_> {
    k.window().global::<SignIn>()
}

/// On the sign-in screen: taps her name, types her PIN, and waits until
/// she is signed in.
pub fn sign_in(k: &Kiosk, name: &str, pin: &str) {
    assert_eq!(g(k).get_screen(), Screen::SignIn, "the sign-in screen");
    tap(k, name);
    type_keys(k, pin);
    tap(k, "OK");
    wait(k, "the nurse signed in", |k| signin(k).get_nurse() == name);
}

/// Types a PIN on the sign-in screen's pad and waits for its answer (a
/// wrong PIN's note).
pub fn wrong_pin(k: &Kiosk, pin: &str) -> String {
    signin(k).set_note("".into());
    type_keys(k, pin);
    tap(k, "OK");
    wait(k, "the PIN's answer", |k| !signin(k).get_note().is_empty());
    signin(k).get_note().to_string()
}

/// Starts a kiosk with these settings and waits for the models.
pub fn start_settings(settings: &Settings) -> Rc<Kiosk> {
    let _ = slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: false,
        threading: false,
        renderer_name: Some("software".into()),
    })));
    // Tests drain the workers' messages themselves (pump), so the waker does nothing.
    let k = Kiosk::new(settings, Arc::new(|| {})).expect("kiosk window");
    k.window()
        .window()
        .set_size(slint::PhysicalSize::new(1280, 800));
    k.window().show().expect("window shows");
    if !k.is_ready() {
        shot(&k, "00-home-getting-ready");
    }
    wait(&k, "models loaded", |k| k.is_ready());
    // The register has said who may sign in (or why it cannot open).
    wait(&k, "the nurses", |k| {
        k.nurses_known() || !home_page(k).get_register_ok()
    });
    k
}

pub fn wait(k: &Kiosk, what: &str, cond: impl Fn(&Kiosk) -> bool) {
    wait_within(k, what, Duration::from_secs(60), cond);
}

/// Pumps the kiosk until `cond` holds and returns how long that took;
/// fails past `limit`.
pub fn wait_within(
    k: &Kiosk,
    what: &str,
    limit: Duration,
    cond: impl Fn(&Kiosk) -> bool,
) -> Duration {
    let t0 = Instant::now();
    while !cond(k) {
        k.pump();
        assert!(
            t0.elapsed() < limit,
            "timed out waiting for {what} ({limit:?})"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    t0.elapsed()
}

pub fn g(k: &Kiosk) -> G<'_> {
    k.window().global::<G>()
}

/// The admin screens' global (PIN pad and settings).
pub fn admin_page(k: &Kiosk) -> AdminPage<'_> {
    k.window().global::<AdminPage>()
}

/// The capture, review and result screens' global.
pub fn capture_page(k: &Kiosk) -> CapturePage<'_> {
    k.window().global::<CapturePage>()
}

/// The CT import and summary screens' global.
pub fn ct_page(k: &Kiosk) -> CtPage<'_> {
    k.window().global::<CtPage>()
}

/// The home screen's global (tools and status line).
pub fn home_page(k: &Kiosk) -> HomePage<'_> {
    k.window().global::<HomePage>()
}

/// The visit screens' global (visit start, summary, slip).
pub fn visit_page(k: &Kiosk) -> VisitPage<'_> {
    k.window().global::<VisitPage>()
}

/// The history screens' global.
pub fn history_page(k: &Kiosk) -> HistoryPage<'_> {
    k.window().global::<HistoryPage>()
}

/// Taps the element with this accessible label (as a touch would).
pub fn tap(k: &Kiosk, label: &str) {
    k.pump();
    // Only what can be touched: buttons and tiles, not a heading with the same words.
    let found: Vec<_> = ElementHandle::find_by_accessible_label(k.window(), label)
        .filter(|e| {
            matches!(
                e.accessible_role(),
                Some(AccessibleRole::Button | AccessibleRole::Checkbox | AccessibleRole::TextInput)
            )
        })
        .collect();
    assert!(
        !found.is_empty(),
        "no button labelled {label:?} on screen {:?}",
        g(k).get_screen()
    );
    found[0].invoke_accessible_default_action();
}

/// The button (a tool card, a key) with this accessible label.
pub fn button(k: &Kiosk, label: &str) -> ElementHandle {
    ElementHandle::find_by_accessible_label(k.window(), label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"))
}

pub fn enabled(k: &Kiosk, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(k.window(), label)
        .next()
        .and_then(|e| e.accessible_enabled())
        .unwrap_or(false)
}

/// The screen as it is, in every language: the kiosk is switched to each
/// and back, as a nurse would tap the language buttons, and every text on
/// screen must fit its box in each (`layout::overflows`); with
/// `ONEMED_SCREENSHOTS` naming a folder, each is saved as
/// `<dir>/<lang>/<name>.png` for en, hi, bn, ta.
pub fn shot(k: &Kiosk, name: &str) {
    let dir = std::env::var_os("ONEMED_SCREENSHOTS");
    let was = k.lang();
    let mut overflows = Vec::new();
    for lang in onemed::i18n::Lang::ALL {
        k.set_language(lang);
        k.pump();
        for o in super::layout::overflows(k, lang) {
            overflows.push(format!("{}/{name}: {o}", lang.code()));
        }
        let Some(dir) = &dir else {
            continue;
        };
        let snap = k.window().window().take_snapshot().expect("snapshot");
        let img = image::RgbaImage::from_raw(snap.width(), snap.height(), snap.as_bytes().to_vec())
            .expect("rgba");
        let path = Path::new(dir).join(lang.code()).join(format!("{name}.png"));
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(dir))).unwrap();
        img.save(path).unwrap();
    }
    k.set_language(was);
    k.pump();
    assert!(
        overflows.is_empty(),
        "words that do not fit:\n{}",
        overflows.join("\n")
    );
}

/// A folder holding copies of these sample images.
pub fn folder_of(files: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in files {
        let src = super::datasets_dir().join(f);
        let name = src.file_name().unwrap().to_owned();
        std::fs::copy(&src, d.path().join(name)).unwrap();
    }
    d
}

/// Types on the on-screen keys.
pub fn type_keys(k: &Kiosk, text: &str) {
    for c in text.chars() {
        tap(k, &c.to_string());
    }
}

/// Taps a tool; on the patient screen types the ID, then starts the visit.
pub fn begin_visit(k: &Kiosk, tool: &str, patient: &str) {
    tap(k, tool);
    assert_eq!(g(k).get_screen(), Screen::VisitStart);
    type_keys(k, patient);
    assert_eq!(visit_page(k).get_entry_id(), patient);
    tap(k, "Start screening");
    wait(k, "the visit to start", |k| g(k).get_in_visit());
}

/// Waits until the capture screen's preview is live, so Capture can be
/// tapped: the camera rests off the capture screens and takes a moment to
/// open again (the Capture button is enabled only then, as here).
pub fn wait_live_preview(k: &Kiosk) {
    wait(k, "the live preview", |k| {
        capture_page(k).get_camera_connected() && capture_page(k).get_preview().size().width > 0
    });
}

/// The first accessible text on screen containing `needle` (a label read as
/// a screen reader would), if any.
pub fn says(k: &Kiosk, needle: &str) -> Option<String> {
    k.pump();
    let needle = needle.to_string();
    i_slint_backend_testing::ElementQuery::from_root(k.window())
        .match_descendants()
        .match_predicate(move |e| {
            e.accessible_label()
                .is_some_and(|l| l.as_str().contains(needle.as_str()))
        })
        .find_first()
        .and_then(|e| e.accessible_label())
        .map(|l| l.to_string())
}

/// Waits until the screen says `needle`; returns the whole text.
pub fn wait_says(k: &Kiosk, needle: &str) -> String {
    wait(k, &format!("the screen to say {needle:?}"), |k| {
        says(k, needle).is_some()
    });
    says(k, needle).unwrap_or_default()
}

/// On a kiosk with no PIN yet: choose one, confirm it, reach the admin screen.
pub fn set_first_pin(k: &Kiosk, pin: &str) {
    wait(k, "the offer to choose a PIN", |k| {
        admin_page(k).get_pin_prompt() == "Choose a new admin PIN"
    });
    type_keys(k, pin);
    assert_eq!(
        admin_page(k).get_pin_dots().chars().count(),
        pin.len(),
        "the PIN shows as dots only"
    );
    tap(k, "OK");
    assert_eq!(admin_page(k).get_pin_prompt(), "Enter the new PIN again");
    type_keys(k, pin);
    tap(k, "OK");
    wait(k, "the admin screen", |k| {
        g(k).get_screen() == Screen::Admin
    });
}

/// The data folder of a test kiosk (from its settings, via the admin screen's text).
pub fn k_data(k: &Kiosk) -> PathBuf {
    // In any language: the first absolute path, without the sentence's stop.
    let text = admin_page(k).get_admin_register().to_string();
    let path = text
        .split_whitespace()
        .find(|w| w.starts_with('/'))
        .map(|w| w.trim_end_matches(['.', '।']))
        .expect("the admin screen names the data folder");
    PathBuf::from(path)
}
