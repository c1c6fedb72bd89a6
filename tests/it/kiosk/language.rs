//! The screen's language: the home screen's buttons switch the `@tr()` texts
//! and the texts built in Rust (tool names, groups, the models line, the
//! message bar, the register's and the camera's state) at once, the choice
//! outlives a restart, and the admin's default (kiosk.toml, or the admin
//! screen) holds until a nurse picks. Screenshots of each language go to
//! `<screenshots>/<lang>/`.

use crate::common::kiosk::*;
use onemed::i18n::{tr, trf, Lang};
use onemed::kiosk::language::to_ui as ui;
use onemed::kiosk::ui::Language;

#[test]
fn the_home_screen_speaks_each_language_and_remembers_the_choice() {
    let settings = settings("none", vec![], crate::common::models_dir());
    let k = start_settings(&settings);
    assert_eq!(k.lang(), Lang::En);
    for lang in [Lang::Hi, Lang::Bn, Lang::Ta, Lang::En] {
        // Each language's button is named in its own script.
        tap(&k, lang.native_name());
        k.pump();
        assert_eq!(g(&k).get_language(), ui(lang));
        // Rust-built texts follow: the groups, the tool cards, the models line.
        let groups: Vec<String> = slint::Model::iter(&home_page(&k).get_groups())
            .map(|s| s.to_string())
            .collect();
        assert_eq!(groups[0], tr(lang, "EyeMed"), "{lang:?}");
        let cataract = tr(lang, "Cataract");
        assert!(
            enabled(&k, &cataract),
            "{lang:?}: no tool card {cataract:?}"
        );
        let n = onemed::catalog::Catalog::builtin()
            .unwrap()
            .tools()
            .len()
            .to_string();
        assert_eq!(
            home_page(&k).get_status_models(),
            trf(lang, "{} of {} tools ready", &[&n, &n])
        );
        // And the @tr() texts: the disclaimer every screen carries.
        let disclaimer = tr(lang, "Assistive screening, not a diagnosis.");
        assert!(says(&k, &disclaimer).is_some(), "{lang:?}: {disclaimer:?}");
        if lang != Lang::En {
            assert_ne!(disclaimer, "Assistive screening, not a diagnosis.");
        }
    }
    tap(&k, Lang::Ta.native_name());
    drop(k);
    // A restart keeps the nurse's choice over the admin's default.
    let again = Settings {
        language: Lang::Bn,
        ..settings.clone()
    };
    let k = start_settings(&again);
    assert_eq!(k.lang(), Lang::Ta);
    assert_eq!(g(&k).get_language(), Language::Ta);
    drop(k);
    // With no choice remembered, the admin's default.
    std::fs::remove_file(settings.data_dir.join("language")).unwrap();
    let k = start_settings(&again);
    assert_eq!(k.lang(), Lang::Bn);
    assert!(enabled(&k, &tr(Lang::Bn, "Cataract")));
}

#[test]
fn the_words_built_in_rust_are_said_again_in_the_new_language() {
    // No nurse accounts: a tool tapped is refused in the message bar.
    let k = start_settings(&settings("none", vec![], crate::common::models_dir()));
    let (ready, no_camera) = ("Register ready (encrypted)", "No camera connected");
    wait(&k, "the register and the camera", |k| {
        home_page(k).get_status_register() == ready
            && capture_page(k).get_status_camera() == no_camera
    });
    tap(&k, "Skin lesion");
    let no_nurses = "No nurse accounts yet. Ask the admin to add nurses in Admin → Nurses.";
    assert_eq!(g(&k).get_message(), no_nurses);
    tap(&k, Lang::Hi.native_name());
    k.pump();
    // What shows is said again in Hindi: the message, the register, the
    // camera, the status line's details.
    let hi = |m: &str| {
        let t = tr(Lang::Hi, m);
        assert!(t != m && !t.contains('{'), "{m:?} in Hindi: {t:?}");
        t
    };
    assert_eq!(g(&k).get_message(), hi(no_nurses));
    assert_eq!(home_page(&k).get_status_register(), hi(ready));
    assert_eq!(capture_page(&k).get_status_camera(), hi(no_camera));
    let status = slint::ComponentHandle::global::<onemed::kiosk::ui::HomeStatus>(k.window());
    let details: Vec<String> = slint::Model::iter(&status.get_details())
        .map(|d| d.to_string())
        .collect();
    assert!(details.contains(&hi(no_camera)), "{details:?}");
    // A message dismissed stays dismissed in another language.
    tap(&k, &hi("OK"));
    tap(&k, Lang::En.native_name());
    k.pump();
    assert!(g(&k).get_message().is_empty());
    assert_eq!(home_page(&k).get_status_register(), ready);
    // Admin's PIN pad opens in the screen's language (an empty register:
    // the first PIN is chosen).
    tap(&k, Lang::Ta.native_name());
    tap(&k, &tr(Lang::Ta, "Admin"));
    let ta = |m: &str| tr(Lang::Ta, m);
    wait(&k, "the offer to choose a PIN, in Tamil", |k| {
        admin_page(k).get_pin_prompt() == ta("Choose a new admin PIN")
    });
    assert_eq!(
        admin_page(&k).get_pin_error(),
        ta("No admin PIN is set yet: choose one (6 to 12 digits).")
    );
    type_keys(&k, "12");
    tap(&k, &ta("OK"));
    assert_eq!(
        admin_page(&k).get_pin_error(),
        ta("The PIN is 6 to 12 digits.")
    );
    assert_ne!(admin_page(&k).get_pin_error(), "The PIN is 6 to 12 digits.");
}

use onemed::settings::Settings;

#[test]
fn the_admin_sets_the_default_language_and_the_screens_follow_it() {
    let settings = settings("none", vec![], crate::common::models_dir());
    let k = start_settings(&settings);
    tap(&k, "Admin");
    wait(&k, "the offer to choose a PIN", |k| {
        admin_page(k).get_pin_prompt() == "Choose a new admin PIN"
    });
    set_first_pin(&k, "135790");
    // The setting names each language in its own script; a tap steps on.
    assert_eq!(admin_page(&k).get_admin_language(), "English");
    for _ in 0..3 {
        tap(&k, &format!("{}  ▸", admin_page(&k).get_admin_language()));
    }
    assert_eq!(admin_page(&k).get_admin_language(), Lang::Ta.native_name());
    // Nothing changes until it is saved.
    assert_eq!(k.lang(), Lang::En);
    tap(&k, "Save and apply");
    // The screens switch to it at once, the note too.
    wait(&k, "saved", |k| {
        admin_page(k).get_admin_note() == tr(Lang::Ta, "Saved.")
    });
    assert_eq!(k.lang(), Lang::Ta);
    assert_eq!(g(&k).get_language(), Language::Ta);
    let file = std::fs::read_to_string(k_data(&k).join("admin.toml")).unwrap();
    assert!(file.contains("language = \"ta\""), "{file}");
    drop(k);
    // A restart with no nurse's choice remembered starts in the admin's default,
    // over kiosk.toml's.
    // (`onemed run` layers admin.toml over kiosk.toml as here.)
    std::fs::remove_file(settings.data_dir.join("language")).unwrap();
    let mut again = settings.clone();
    onemed::admin::overrides::apply_file(&mut again);
    assert_eq!(again.language, Lang::Ta);
    let k = start_settings(&again);
    assert_eq!(k.lang(), Lang::Ta);
    assert!(enabled(&k, &tr(Lang::Ta, "Cataract")));
}

#[test]
fn the_layout_check_finds_words_that_do_not_fit() {
    use crate::common::layout::overflows;
    use slint::ComponentHandle;
    let k = start_settings(&settings("none", vec![], crate::common::models_dir()));
    for lang in Lang::ALL {
        k.set_language(lang);
        k.pump();
        assert_eq!(overflows(&k, lang), Vec::<String>::new(), "{lang:?}");
    }
    k.set_language(Lang::En);
    k.pump();
    // Words far too long for the one line the status line gives an item,
    // and a word too wide for any box.
    let status = |text: &str| {
        let item = onemed::kiosk::ui::StatusItem {
            text: text.into(),
            state: 0,
        };
        k.window()
            .global::<onemed::kiosk::ui::HomeStatus>()
            .set_items(slint::ModelRc::new(slint::VecModel::from(vec![item])));
        k.pump();
        overflows(&k, Lang::En)
    };
    let words = "CPU ".repeat(80);
    let found = status(words.trim());
    assert!(
        found
            .iter()
            .any(|o| o.contains("CPU CPU") && o.contains("tall")),
        "{found:?}"
    );
    let word = "Nurse".repeat(60);
    let found = status(&word);
    assert!(
        found
            .iter()
            .any(|o| o.contains(&word) && o.contains("wide")),
        "{found:?}"
    );
}
