//! Nurse sign-in, driven like the rest of the kiosk (real register, real
//! argon2, the rendered UI on Slint's testing backend): screening and
//! History need a signed-in nurse; wrong PINs are counted in the register and
//! their lock survives a restart; every record names the signed-in nurse; the
//! idle lock clears typed text and the same nurse returns to where she was;
//! Admin → Nurses adds, deactivates and resets nurses.

use super::assert_touch_targets;
use crate::common::kiosk::*;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use onemed::kiosk::ui::{NurseAdmin, Screen};
use onemed::kiosk::Kiosk;
use onemed::records::Store;
use slint::ComponentHandle;
use std::time::{Duration, Instant};

const IDLE: Duration = Duration::from_secs(5 * 60);

/// Whether a button with this label is on screen.
fn offered(k: &Kiosk, label: &str) -> bool {
    k.pump();
    ElementHandle::find_by_accessible_label(k.window(), label)
        .any(|e| e.accessible_role() == Some(AccessibleRole::Button))
}

#[test]
fn screening_and_history_need_a_signed_in_nurse() {
    // No nurse accounts at all: home says so, and nothing can start.
    let k = start_settings(&settings("none", vec![], crate::common::models_dir()));
    assert!(signin(&k).get_no_nurses());
    shot(&k, "40-home-no-nurses");
    tap(&k, "Skin lesion");
    assert_eq!(g(&k).get_screen(), Screen::Home);
    assert_eq!(
        g(&k).get_message(),
        "No nurse accounts yet. Ask the admin to add nurses in Admin → Nurses."
    );
    drop(k);

    let s = settings("none", vec![], crate::common::models_dir());
    add_nurse(&s.data_dir, NURSE, NURSE_PIN);
    let k = start_settings(&s);
    assert_eq!(signin(&k).get_nurse(), "");
    assert!(!signin(&k).get_no_nurses());
    tap(&k, "Skin lesion");
    assert_eq!(
        g(&k).get_screen(),
        Screen::SignIn,
        "a tool asks who screens"
    );
    assert!(!g(&k).get_in_visit());
    shot(&k, "41-sign-in");
    assert_touch_targets(&k, "sign-in");
    tap(&k, "‹ Back");
    assert_eq!(g(&k).get_screen(), Screen::Home);
    tap(&k, "History");
    assert_eq!(g(&k).get_screen(), Screen::SignIn, "History asks who it is");
    tap(&k, NURSE);
    assert_touch_targets(&k, "sign-in PIN pad");
    type_keys(&k, "48");
    shot(&k, "42-sign-in-pin");
    tap(&k, "Delete");
    tap(&k, "Delete");
    type_keys(&k, NURSE_PIN);
    tap(&k, "OK");
    // "Checking…" while argon2 runs off the UI thread; a second OK is ignored.
    tap(&k, "OK");
    wait(&k, "signed in", |k| signin(k).get_nurse() == NURSE);
    assert_eq!(
        g(&k).get_screen(),
        Screen::History,
        "on to what she asked for"
    );
    tap(&k, "‹ Back");
    shot(&k, "43-home-signed-in");
    assert_touch_targets(&k, "home, signed in");
    // Signed out: screening asks again.
    tap(&k, "Sign out");
    assert_eq!(signin(&k).get_nurse(), "");
    tap(&k, "Skin lesion");
    assert_eq!(g(&k).get_screen(), Screen::SignIn);
}

#[test]
fn wrong_pins_are_counted_in_the_register_and_the_lock_survives_a_restart() {
    let s = settings("none", vec![], crate::common::models_dir());
    add_nurse(&s.data_dir, NURSE, NURSE_PIN);
    let k = start_settings(&s);
    tap(&k, "Sign in");
    tap(&k, NURSE);
    for left in (1..=4).rev() {
        let want = match left {
            1 => "1 try left".to_string(),
            n => format!("{n} tries left"),
        };
        let note = wrong_pin(&k, "000000");
        assert!(note.contains(&want), "{note}");
    }
    let note = wrong_pin(&k, "000000");
    assert!(note.contains("locked for 1 more minute"), "{note}");
    shot(&k, "44-sign-in-locked");
    // Locked: even her right PIN is not checked.
    let note = wrong_pin(&k, NURSE_PIN);
    assert!(note.contains("locked"), "{note}");
    assert_eq!(signin(&k).get_nurse(), "");
    drop(k);

    // The register has it, and a restarted kiosk keeps the lock.
    let nurse = Store::open(&s.data_dir, &crate::common::protection())
        .unwrap()
        .operators(true)
        .unwrap()[0]
        .clone();
    assert_eq!(nurse.failures, 5);
    assert!(nurse.locked_until.is_some_and(|t| t > chrono::Utc::now()));
    let k = start_settings(&s);
    tap(&k, "Sign in");
    tap(&k, NURSE);
    let note = wrong_pin(&k, NURSE_PIN);
    assert!(note.contains("locked for 1 more minute"), "{note}");
    assert_eq!(signin(&k).get_nurse(), "");
}

#[test]
fn records_name_the_signed_in_nurse_and_the_idle_lock_returns_her_to_her_visit() {
    let replay = folder_of(&["skin-lesion/malignant/6.jpg"]);
    let s = settings(
        &format!("replay:{}?fps=30", replay.path().display()),
        vec![],
        crate::common::models_dir(),
    );
    add_nurse(&s.data_dir, "Bina Kumari", "975310");
    let k = start_signed_in(&s);
    begin_visit(&k, "Skin lesion", "PAT-0070");
    wait_live_preview(&k);
    tap(&k, "Capture");
    wait(&k, "review", |k| g(k).get_screen() == Screen::Review);
    tap(&k, "Analyse");
    wait(&k, "result", |k| g(k).get_screen() == Screen::Result);

    // Touched just now: no lock yet.
    let t0 = Instant::now();
    assert!(!k.check_idle(t0 + IDLE - Duration::from_secs(5)));
    // A real touch anywhere (here on empty space) counts, not only buttons.
    std::thread::sleep(Duration::from_millis(50));
    let touched = Instant::now();
    let at = slint::LogicalPosition::new(1275.0, 420.0);
    let w = k.window().window();
    w.dispatch_event(slint::platform::WindowEvent::PointerPressed {
        position: at,
        button: slint::platform::PointerEventButton::Left,
    });
    w.dispatch_event(slint::platform::WindowEvent::PointerReleased {
        position: at,
        button: slint::platform::PointerEventButton::Left,
    });
    w.dispatch_event(slint::platform::WindowEvent::PointerExited);
    assert!(
        !k.check_idle(t0 + IDLE + Duration::from_millis(10)),
        "the touch started the wait again"
    );
    assert!(k.check_idle(touched + IDLE + Duration::from_secs(1)));
    assert_eq!(g(&k).get_screen(), Screen::SignIn);
    assert_eq!(signin(&k).get_nurse(), "");
    assert!(signin(&k).get_why().contains("Locked after 5 minutes"));
    shot(&k, "45-idle-lock");
    // The same nurse returns to her result, in the same visit.
    sign_in(&k, NURSE, NURSE_PIN);
    assert_eq!(g(&k).get_screen(), Screen::Result);
    assert!(g(&k).get_in_visit());
    assert_eq!(visit_page(&k).get_visit_patient(), "PAT-0070");

    // Locked again; another nurse starts at home, the visit stays open.
    assert!(k.check_idle(Instant::now() + IDLE));
    sign_in(&k, "Bina Kumari", "975310");
    assert_eq!(g(&k).get_screen(), Screen::Home);
    assert!(!g(&k).get_in_visit());
    // What she types does not outlive a lock either.
    tap(&k, "Cataract");
    type_keys(&k, "PAT-0071");
    assert!(k.check_idle(Instant::now() + IDLE));
    assert_eq!(visit_page(&k).get_entry_id(), "");
    sign_in(&k, "Bina Kumari", "975310");
    assert_eq!(g(&k).get_screen(), Screen::VisitStart);
    assert_eq!(
        visit_page(&k).get_entry_id(),
        "",
        "the typed ID was cleared"
    );
    type_keys(&k, "PAT-0071");
    tap(&k, "Start screening");
    wait(&k, "the visit to start", |k| g(k).get_in_visit());

    let store = Store::open(&s.data_dir, &crate::common::protection()).unwrap();
    let asha = store
        .open_visit_of("PAT-0070")
        .unwrap()
        .expect("still open");
    assert_eq!(asha.operator, NURSE);
    let d = store.visit(asha.id).unwrap().unwrap();
    assert_eq!(d.records.len(), 1);
    assert_eq!(d.records[0].operator, NURSE, "the record names her");
    let bina = store.open_visit_of("PAT-0071").unwrap().unwrap();
    assert_eq!(bina.operator, "Bina Kumari");
}

#[test]
fn admin_adds_deactivates_and_resets_nurses() {
    let k = start_settings(&settings("none", vec![], crate::common::models_dir()));
    tap(&k, "Admin");
    set_first_pin(&k, "135790");
    tap(&k, "Nurses");
    assert_eq!(g(&k).get_screen(), Screen::Nurses);
    let na = |k: &Kiosk| k.window().global::<NurseAdmin>().get_note().to_string();
    for (first, last, pin) in [("ASHA", "DEVI", "246810"), ("BINA", "KUMARI", "975310")] {
        tap(&k, "Add a nurse");
        type_keys(&k, first);
        tap(&k, "Space");
        type_keys(&k, last);
        if first == "BINA" {
            shot(&k, "46-admin-nurses-name");
        }
        tap(&k, "Next: her PIN");
        type_keys(&k, pin);
        tap(&k, "OK");
        type_keys(&k, pin);
        if first == "BINA" {
            shot(&k, "47-admin-nurses-pin");
            assert_touch_targets(&k, "Admin → Nurses, PIN");
        }
        tap(&k, "OK");
        wait(&k, "saved", |k| na(k).contains("can now sign in"));
    }
    wait(&k, "the list", |k| {
        slint::Model::row_count(&k.window().global::<NurseAdmin>().get_rows()) == 2
    });
    tap(&k, "Deactivate Bina Kumari");
    wait(&k, "deactivated", |k| na(k).contains("deactivated"));
    tap(&k, "Reset PIN of Asha Devi");
    type_keys(&k, "111222");
    tap(&k, "OK");
    type_keys(&k, "111222");
    tap(&k, "OK");
    wait(&k, "reset", |k| na(k).contains("PIN is changed"));
    wait(&k, "the list again", |k| {
        offered(k, "Reactivate Bina Kumari")
    });
    shot(&k, "48-admin-nurses");
    assert_touch_targets(&k, "Admin → Nurses");

    tap(&k, "‹ Back");
    assert_eq!(g(&k).get_screen(), Screen::Admin);
    tap(&k, "‹ Back");
    tap(&k, "Sign in");
    assert!(offered(&k, "Asha Devi"));
    assert!(
        !offered(&k, "Bina Kumari"),
        "a deactivated nurse is not offered"
    );
    tap(&k, "Asha Devi");
    let note = wrong_pin(&k, "246810");
    assert!(
        note.starts_with("Wrong PIN"),
        "the old PIN no longer works: {note}"
    );
    type_keys(&k, "111222");
    tap(&k, "OK");
    wait(&k, "signed in", |k| signin(k).get_nurse() == "Asha Devi");
}
