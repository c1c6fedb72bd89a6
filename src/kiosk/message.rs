//! The message bar (`Kiosk.message`): what the nurse must know now (an
//! error, a refusal, a warning), until she taps OK. It is shown in the
//! screen's language and logged in English (hospital IT reads the log);
//! words said with [`Kiosk::say_in`] are said again when the language
//! changes while they show.

use super::app::Kiosk;
use crate::i18n::{Lang, Words};
use slint::SharedString;

impl Kiosk {
    /// Shows and logs `text` as it is: words that are the same in every
    /// language (a technical detail for the technician).
    pub(super) fn say(&self, text: impl Into<SharedString>) {
        let text = text.into();
        log::warn!("{text}");
        self.state.borrow_mut().message = None;
        self.g().set_message(text);
    }

    /// Shows `words` in the screen's language and logs their English:
    /// `k.say_in(move |l| trf(l, MSGID, &[&detail]))`.
    pub(super) fn say_in(&self, words: impl Fn(Lang) -> String + 'static) {
        self.say_words(Words::new(words));
    }

    /// [`Kiosk::say_in`] for words already kept.
    pub(super) fn say_words(&self, words: Words) {
        log::warn!("{}", words.english());
        let shown = words.in_lang(self.lang());
        self.state.borrow_mut().message = Some(words);
        self.g().set_message(shown.into());
    }

    /// The message showing, again in the screen's language.
    pub(super) fn reword_message(&self) {
        let g = self.g();
        if g.get_message().is_empty() {
            return;
        }
        let words = self.state.borrow().message.clone();
        if let Some(w) = words {
            g.set_message(w.in_lang(self.lang()).into());
        }
    }
}
