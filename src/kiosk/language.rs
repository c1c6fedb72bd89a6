//! The screen's language: the buttons on the home screen, Slint's bundled
//! translation switched with it, the texts built in Rust shown again, and the
//! choice remembered in the data folder (`language`, one code) across
//! restarts; the admin's default (`language` in kiosk.toml) until a nurse
//! picks one.

use super::app::Kiosk;
use super::ui::{Language, LanguageChoice};
use crate::i18n::Lang;
use crate::settings::Settings;
use slint::{ModelRc, VecModel};
use std::path::{Path, PathBuf};

/// The file in the data folder that remembers the choice.
const FILE: &str = "language";

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The language the kiosk starts in: the one last picked, else the default.
pub fn remembered(settings: &Settings) -> Lang {
    std::fs::read_to_string(file(&settings.data_dir))
        .ok()
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or(settings.language)
}

/// Remembers the choice (written whole, then renamed into place).
fn remember(data_dir: &Path, lang: Lang) -> std::io::Result<()> {
    let tmp = data_dir.join(".language.tmp");
    std::fs::write(&tmp, lang.code())?;
    std::fs::rename(&tmp, file(data_dir))
}

pub fn from_ui(l: Language) -> Lang {
    match l {
        Language::En => Lang::En,
        Language::Hi => Lang::Hi,
        Language::Bn => Lang::Bn,
        Language::Ta => Lang::Ta,
    }
}

pub fn to_ui(l: Lang) -> Language {
    match l {
        Lang::En => Language::En,
        Lang::Hi => Language::Hi,
        Lang::Bn => Language::Bn,
        Lang::Ta => Language::Ta,
    }
}

impl Kiosk {
    /// The screen's language.
    pub fn lang(&self) -> Lang {
        self.lang.get()
    }

    /// The open visit's slip as the patient gets it (her language), and
    /// that language.
    pub fn patient_slip(&self) -> (Vec<crate::serial::PrintLine>, Lang) {
        self.visit.patient_slip()
    }

    /// Shows the screens in `lang`, and remembers it.
    pub fn set_language(&self, lang: Lang) {
        if lang == self.lang.get() {
            return;
        }
        log::info!("screen language: {}", lang.english_name());
        self.lang.set(lang);
        self.show_language();
        let (data_dir, fault) = {
            let s = self.settings.borrow();
            (s.data_dir.clone(), s.fault.is_some())
        };
        // Damaged settings: the data folder may not be the site's; nothing
        // is written there.
        if fault {
            log::warn!("the language choice is not remembered: the settings are damaged");
        } else if let Err(e) = remember(&data_dir, lang) {
            log::warn!(
                "the language choice is not remembered in {}: {e}",
                data_dir.display()
            );
        }
        // The texts built in Rust, again in the new language (the status
        // line last: it reads the camera's words).
        self.home.reword(self);
        self.capture.reword(self);
        self.visit.reword(self);
        self.history.reword(self);
        self.admin.reword(self);
        self.signin.reword(self);
        self.ct.reword(self);
        self.reword_message();
        self.refresh_status();
    }

    /// Checks, off the screen's thread, that every language's font is
    /// installed; says which are not (their text would be blank).
    pub(super) fn check_fonts(&self) {
        let _ = self.background("fonts", crate::i18n::missing_fonts, |k, missing| {
            if missing.is_empty() {
                return;
            }
            let names: Vec<&str> = missing.iter().map(|l| l.english_name()).collect();
            // In English: a language whose font is missing cannot say it.
            k.say(format!(
                "{} text cannot be shown or printed: its font is not installed. \
                 Ask the technician to install fonts-noto-core.",
                names.join(", ")
            ));
        });
    }

    /// The language buttons (each named in its own script), once at start.
    pub(super) fn offer_languages(&self) {
        let choices: Vec<LanguageChoice> = Lang::ALL
            .iter()
            .map(|l| LanguageChoice {
                language: to_ui(*l),
                name: l.native_name().into(),
            })
            .collect();
        self.g()
            .set_languages(ModelRc::new(VecModel::from(choices)));
    }

    /// Puts the current language on the screens: Slint's `@tr()` texts,
    /// the chosen button and the language's font.
    pub(super) fn show_language(&self) {
        let lang = self.lang.get();
        if let Err(e) = slint::select_bundled_translation(lang.code()) {
            log::error!("the {} screens cannot be shown: {e:?}", lang.english_name());
        }
        let g = self.g();
        g.set_language(to_ui(lang));
        g.set_font_family(lang.font_family().into());
    }
}
