//! One language's gettext catalogue, read from its `.po` text (with
//! `rspolib`, the parser Slint's compiler bundles the same files with), and
//! the plural rules of the kiosk's languages.

use super::Lang;
use std::collections::HashMap;

/// The `Plural-Forms` header each `.po` file must carry, by language; the
/// Rust-side rule ([`plural_index`]) implements exactly these, and Slint's
/// compiler reads the same header for `@tr()` plurals.
pub const PLURAL_FORMS: [(Lang, &str); 3] = [
    (Lang::Hi, "nplurals=2; plural=(n > 1);"),
    (Lang::Bn, "nplurals=2; plural=(n > 1);"),
    (Lang::Ta, "nplurals=2; plural=(n != 1);"),
];

/// Which plural form `n` takes in `lang` (0: one, 1: other). Hindi and
/// Bengali use the singular for 0 and 1; Tamil and English only for 1.
pub fn plural_index(lang: Lang, n: u64) -> usize {
    match lang {
        Lang::Hi | Lang::Bn => usize::from(n > 1),
        Lang::En | Lang::Ta => usize::from(n != 1),
    }
}

/// The translated entries of one language.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// (context, msgid) → msgstr; untranslated and fuzzy entries are left out.
    strings: HashMap<(String, String), String>,
    /// msgid (the singular) → the plural forms.
    plurals: HashMap<String, Vec<String>>,
    /// The `Plural-Forms` header, as written.
    pub plural_forms: Option<String>,
    /// Every msgid in the file, translated or not (for completeness checks).
    pub msgids: Vec<(String, String)>,
}

impl Catalogue {
    /// Reads a `.po` file's text.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let po = rspolib::pofile(text).map_err(|e| e.to_string())?;
        let mut c = Catalogue {
            plural_forms: po.metadata.get("Plural-Forms").cloned(),
            ..Catalogue::default()
        };
        for e in &po.entries {
            if e.obsolete {
                continue;
            }
            let ctx = e.msgctxt.clone().unwrap_or_default();
            c.msgids.push((ctx.clone(), e.msgid.clone()));
            if e.flags.iter().any(|f| f == "fuzzy") {
                continue;
            }
            if e.msgid_plural.is_some() {
                if !e.msgstr_plural.is_empty() && e.msgstr_plural.iter().all(|s| !s.is_empty()) {
                    c.plurals.insert(e.msgid.clone(), e.msgstr_plural.clone());
                }
            } else if let Some(s) = e.msgstr.as_ref().filter(|s| !s.is_empty()) {
                c.strings.insert((ctx, e.msgid.clone()), s.clone());
            }
        }
        Ok(c)
    }

    /// The translation of `msgid` in `context`, if it has one.
    pub fn get(&self, context: &str, msgid: &str) -> Option<&str> {
        self.strings
            .get(&(context.to_string(), msgid.to_string()))
            .map(String::as_str)
    }

    /// Plural form `index` of the entry whose singular is `one`.
    pub fn get_plural(&self, one: &str, index: usize) -> Option<&str> {
        self.plurals
            .get(one)
            .and_then(|forms| forms.get(index).or(forms.last()))
            .map(String::as_str)
    }

    /// Whether `msgid` (in `context`) has a translation, singular or plural.
    pub fn has(&self, context: &str, msgid: &str) -> bool {
        self.get(context, msgid).is_some()
            || (context.is_empty() && self.plurals.contains_key(msgid))
    }
}
