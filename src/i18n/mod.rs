//! The kiosk's languages, and words built in Rust looked up in the same
//! gettext catalogue the screens use through Slint's `@tr()`: one `.po` file
//! per language under `translations/<lang>/LC_MESSAGES/onemed.po`, bundled
//! into the binary. English is the source language (the `msgid`s); a string
//! with no translation stays English, so nothing is ever blank.
//!
//! Placeholders follow `@tr()`: `{}` takes the next argument, `{0}`, `{1}`
//! a given one, `{n}` the count of a plural, `{{` and `}}` are braces.

mod catalogue;

pub use catalogue::{plural_index, Catalogue, PLURAL_FORMS};

use std::sync::OnceLock;

/// A language of the kiosk; stored and serialised as its code ("hi").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Hi,
    Bn,
    Ta,
}

impl Lang {
    /// Every language, in the order the language button offers them.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Hi, Lang::Bn, Lang::Ta];

    /// The ISO 639-1 code: the `.po` folder, the setting, the register.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
            Lang::Bn => "bn",
            Lang::Ta => "ta",
        }
    }

    /// The language named in its own script, as the button shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Hi => "हिन्दी",
            Lang::Bn => "বাংলা",
            Lang::Ta => "தமிழ்",
        }
    }

    /// The font family its script is drawn with first (Debian's
    /// fonts-noto-core); empty: the system's default.
    pub fn font_family(self) -> &'static str {
        match self {
            Lang::En => "",
            Lang::Hi => "Noto Sans Devanagari",
            Lang::Bn => "Noto Sans Bengali",
            Lang::Ta => "Noto Sans Tamil",
        }
    }

    /// The font list the slip picture is drawn with (CSS `font-family`):
    /// the language's own font, then the system's sans-serif for digits and
    /// Latin patient IDs.
    pub fn font_stack(self) -> String {
        match self.font_family() {
            "" => "sans-serif".into(),
            f => format!("{f}, Noto Sans, sans-serif"),
        }
    }

    /// The language's name in English (logs, settings, exports).
    pub fn english_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Hi => "Hindi",
            Lang::Bn => "Bengali",
            Lang::Ta => "Tamil",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// Its place in [`Lang::ALL`] (the index the screens use).
    pub fn index(self) -> usize {
        Lang::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }

    /// The language at `i` in [`Lang::ALL`]; English when out of range.
    pub fn from_index(i: i32) -> Lang {
        usize::try_from(i)
            .ok()
            .and_then(|i| Lang::ALL.get(i).copied())
            .unwrap_or_default()
    }

    /// The `.po` file bundled for this language (none for English).
    fn po(self) -> Option<&'static str> {
        match self {
            Lang::En => None,
            Lang::Hi => Some(include_str!("../../translations/hi/LC_MESSAGES/onemed.po")),
            Lang::Bn => Some(include_str!("../../translations/bn/LC_MESSAGES/onemed.po")),
            Lang::Ta => Some(include_str!("../../translations/ta/LC_MESSAGES/onemed.po")),
        }
    }
}

/// The languages whose own font the system lacks: their text would be
/// blank on the screen and on the slip. Reads the system's font list
/// (tens of milliseconds): call it off the screen's thread.
pub fn missing_fonts() -> Vec<Lang> {
    let mut fonts = parley::FontContext::new();
    Lang::ALL
        .into_iter()
        .filter(|l| !l.font_family().is_empty())
        .filter(|l| fonts.collection.family_id(l.font_family()).is_none())
        .collect()
}

/// The bundled catalogues, parsed once.
fn catalogue(lang: Lang) -> Option<&'static Catalogue> {
    static ALL: OnceLock<Vec<(Lang, Catalogue)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        Lang::ALL
            .into_iter()
            .filter_map(|l| {
                let text = l.po()?;
                match Catalogue::parse(text) {
                    Ok(c) => Some((l, c)),
                    Err(e) => {
                        log::error!("the {} catalogue cannot be read: {e}", l.english_name());
                        None
                    }
                }
            })
            .collect()
    });
    all.iter().find(|(l, _)| *l == lang).map(|(_, c)| c)
}

/// Marks `msgid` for the catalogue (`make pot` finds it) where it is
/// written, when it is translated later from a variable (`tr(lang, &x)`):
/// gettext's `N_()`. Returns it unchanged.
pub const fn n_(msgid: &'static str) -> &'static str {
    msgid
}

/// `msgid` in `lang` (English when it has no translation).
pub fn tr(lang: Lang, msgid: &str) -> String {
    tr_in(lang, "", msgid)
}

/// `msgid` with a gettext context (for words that differ by use).
pub fn tr_in(lang: Lang, context: &str, msgid: &str) -> String {
    catalogue(lang)
        .and_then(|c| c.get(context, msgid))
        .unwrap_or(msgid)
        .to_string()
}

/// `msgid`, its placeholders filled with `args`.
pub fn trf(lang: Lang, msgid: &str, args: &[&str]) -> String {
    fill(&tr(lang, msgid), args, None)
}

/// A plural: `one` or `many` (English) chosen for `n` by the language's
/// rule, with `{n}` and the other placeholders filled.
pub fn trn(lang: Lang, one: &str, many: &str, n: u64, args: &[&str]) -> String {
    let text = catalogue(lang)
        .and_then(|c| c.get_plural(one, plural_index(lang, n)))
        .unwrap_or(if n == 1 { one } else { many });
    fill(text, args, Some(n))
}

/// Words kept on a screen as how to say them, not as the string once
/// shown, so that a language switch can say them again:
/// `Words::new(move |l| trf(l, MSGID, &[&at]))`. The log keeps
/// their English ([`Words::english`]).
#[derive(Clone)]
pub struct Words(std::rc::Rc<dyn Fn(Lang) -> String>);

impl Words {
    pub fn new(say: impl Fn(Lang) -> String + 'static) -> Words {
        Words(std::rc::Rc::new(say))
    }

    /// The same text in every language (a name, a code, nothing).
    pub fn plain(text: impl Into<String>) -> Words {
        let text = text.into();
        Words::new(move |_| text.clone())
    }

    pub fn in_lang(&self, lang: Lang) -> String {
        (self.0)(lang)
    }

    /// In English: what the log and the register keep.
    pub fn english(&self) -> String {
        self.in_lang(Lang::En)
    }
}

impl Default for Words {
    fn default() -> Words {
        Words::plain("")
    }
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Words({:?})", self.english())
    }
}

/// Fills `{}`, `{0}`…, `{n}` in `text` as `@tr()` does; a placeholder with
/// no argument stays as it is.
pub fn fill(text: &str, args: &[&str], n: Option<u64>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut next = 0;
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let Some(end) = tail.find('}').filter(|_| tail.starts_with('{')) else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        };
        let key = &tail[1..end];
        let value = match key {
            "" => {
                next += 1;
                args.get(next - 1).map(|s| s.to_string())
            }
            "n" => n.map(|n| n.to_string()),
            k => k
                .parse::<usize>()
                .ok()
                .and_then(|i| args.get(i))
                .map(|s| s.to_string()),
        };
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
