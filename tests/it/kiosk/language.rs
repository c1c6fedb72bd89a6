//! The screen's language: the home screen's buttons switch the `@tr()` texts
//! and the texts built in Rust (tool names, groups, the models line) at once,
//! the choice outlives a restart, and the admin's default holds until a nurse
//! picks. Screenshots of each language go to `<screenshots>/<lang>/`.

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

use onemed::settings::Settings;
