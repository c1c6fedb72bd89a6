use super::*;

#[test]
fn placeholders_fill_as_tr_does() {
    assert_eq!(fill("{} of {} ready", &["3", "5"], None), "3 of 5 ready");
    assert_eq!(fill("{1} then {0}", &["a", "b"], None), "b then a");
    assert_eq!(fill("{n} results", &[], Some(4)), "4 results");
    assert_eq!(fill("{{literal}} {}", &["x"], None), "{literal} x");
    // A placeholder with no argument stays visible rather than vanishing.
    assert_eq!(fill("{} and {}", &["one"], None), "one and {}");
    assert_eq!(fill("no braces", &["x"], None), "no braces");
    assert_eq!(fill("odd } brace {", &[], None), "odd } brace {");
}

#[test]
fn plural_rules_follow_each_language() {
    assert_eq!(plural_index(Lang::En, 0), 1);
    assert_eq!(plural_index(Lang::En, 1), 0);
    assert_eq!(plural_index(Lang::Hi, 0), 0);
    assert_eq!(plural_index(Lang::Hi, 1), 0);
    assert_eq!(plural_index(Lang::Hi, 2), 1);
    assert_eq!(plural_index(Lang::Bn, 1), 0);
    assert_eq!(plural_index(Lang::Ta, 0), 1);
    assert_eq!(plural_index(Lang::Ta, 1), 0);
}

#[test]
fn codes_round_trip_and_unknown_codes_are_refused() {
    for l in Lang::ALL {
        assert_eq!(Lang::from_code(l.code()), Some(l));
        assert_eq!(Lang::from_index(l.index() as i32), l);
    }
    assert_eq!(Lang::from_code(" HI "), Some(Lang::Hi));
    assert_eq!(Lang::from_code("fr"), None);
    assert_eq!(Lang::from_index(-1), Lang::En);
    assert_eq!(Lang::from_index(9), Lang::En);
}

#[test]
fn every_bundled_catalogue_parses_with_its_plural_rule() {
    for (lang, forms) in PLURAL_FORMS {
        let c = Catalogue::parse(lang.po().expect("a .po file")).expect("parses");
        assert_eq!(c.plural_forms.as_deref(), Some(forms), "{lang:?}");
        assert!(!c.msgids.is_empty(), "{lang:?} has entries");
    }
}

#[test]
fn english_is_the_source_and_other_languages_translate_it() {
    assert_eq!(tr(Lang::En, "Cataract"), "Cataract");
    for l in [Lang::Hi, Lang::Bn, Lang::Ta] {
        let t = tr(l, "Cataract");
        assert_ne!(t, "Cataract", "{l:?}");
        assert!(!t.is_empty());
    }
    // A string the catalogue lacks stays English: never blank.
    assert_eq!(
        tr(Lang::Hi, "no such string in any catalogue"),
        "no such string in any catalogue"
    );
}

#[test]
fn a_catalogue_skips_fuzzy_and_empty_entries() {
    let po = r#"
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

msgid "Retake"
msgstr "फिर से लें"

#, fuzzy
msgid "Refer"
msgstr "guess"

msgid "Empty"
msgstr ""

msgctxt "eye"
msgid "Left"
msgstr "बाईं"

msgid "{n} result"
msgid_plural "{n} results"
msgstr[0] "{n} परिणाम"
msgstr[1] "{n} परिणाम (कई)"
"#;
    let c = Catalogue::parse(po).unwrap();
    assert_eq!(c.get("", "Retake"), Some("फिर से लें"));
    assert_eq!(c.get("", "Refer"), None);
    assert_eq!(c.get("", "Empty"), None);
    assert_eq!(c.get("eye", "Left"), Some("बाईं"));
    assert_eq!(c.get("", "Left"), None);
    assert_eq!(c.get_plural("{n} result", 1), Some("{n} परिणाम (कई)"));
    assert!(c.has("", "{n} result"));
    assert_eq!(c.msgids.len(), 5);
}

/// A Rust string literal at the start of `src`: its value (a string
/// continued with `\` at a line's end joined as Rust joins it) and the
/// bytes it took.
fn literal(src: &str) -> Option<(String, usize)> {
    let body = src.strip_prefix('"')?;
    let mut s = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((s, i + 2)),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => s.push('\n'),
                Some('"') => s.push('"'),
                Some('\\') => s.push('\\'),
                Some('\n') => {
                    while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                        chars.next();
                    }
                }
                Some(o) => s.push(o),
                None => return None,
            },
            c => s.push(c),
        }
    }
    None
}

/// The literal msgids of every `tr`, `trf` and `trn` call in `src/`, with
/// where they are and, for `trn`, the plural.
fn rust_msgids() -> Vec<(String, String, Option<String>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for f in files {
        if f.ends_with("i18n/tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.strip_prefix(root).unwrap_or(&f).display().to_string();
        let calls = text
            .match_indices("tr")
            .chain(text.match_indices("n_("))
            .map(|(i, _)| i);
        for i in calls {
            let rest = &text[i..];
            let Some(open) = ["tr(", "trf(", "trn(", "n_("]
                .iter()
                .find(|p| rest.starts_with(**p))
            else {
                continue;
            };
            let before = text[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            // The msgid: `n_`'s only argument, the others' second, when it
            // is a string literal.
            let args = &rest[open.len()..];
            let at = if *open == "n_(" {
                args.trim_start()
            } else {
                let Some(comma) = args.find(',') else {
                    continue;
                };
                args[comma + 1..].trim_start()
            };
            let Some((msgid, used)) = literal(at) else {
                continue;
            };
            let plural = (*open == "trn(")
                .then(|| {
                    let next = at[used..].trim_start().strip_prefix(',')?.trim_start();
                    literal(next).map(|(p, _)| p)
                })
                .flatten();
            let line = text[..i].lines().count();
            found.push((format!("{name}:{line}"), msgid, plural));
        }
    }
    found
}

#[test]
fn every_word_built_in_rust_has_a_translation_in_every_language() {
    let found = rust_msgids();
    assert!(
        found.iter().any(|(_, m, _)| m == "REFER to a doctor: {}"),
        "the scan finds the calls: {} found",
        found.len()
    );
    // The tools' own words, from their manifests.
    let catalog = crate::catalog::Catalog::builtin().unwrap();
    assert!(
        found
            .iter()
            .any(|(_, m, p)| m == "{n} result" && p.as_deref() == Some("{n} results")),
        "plurals are found with their plural form"
    );
    let mut wanted: Vec<(String, String, Option<String>)> = found;
    for t in catalog.tools() {
        let mut texts = vec![t.name.clone(), t.group.clone(), t.framing_hint.clone()];
        texts.push(t.image_kind.label().to_string());
        texts.push(t.image_kind.a_label());
        texts.push(t.image_kind.how_to_get().to_string());
        for c in &t.classes {
            texts.push(c.finding.clone());
            texts.push(c.advice.clone());
        }
        wanted.extend(
            texts
                .into_iter()
                .map(|m| (format!("models/{}.toml", t.id), m, None)),
        );
    }
    // `make pot` writes these as the Rust half of the template.
    if let Some(path) = std::env::var_os("ONEMED_POT") {
        std::fs::write(path, pot(&wanted)).unwrap();
    }
    let mut missing = Vec::new();
    for (lang, _) in PLURAL_FORMS {
        let c = Catalogue::parse(lang.po().unwrap()).unwrap();
        for (at, m, _) in &wanted {
            if !c.has("", m) {
                missing.push(format!("{} {at}: {m:?}", lang.code()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no translation:\n{}",
        missing.join("\n")
    );
}

/// A gettext template of these msgids.
fn pot(wanted: &[(String, String, Option<String>)]) -> String {
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    let mut seen = std::collections::BTreeMap::<String, (Vec<String>, Option<String>)>::new();
    for (at, m, plural) in wanted {
        let e = seen.entry(m.clone()).or_default();
        e.0.push(at.clone());
        if plural.is_some() {
            e.1 = plural.clone();
        }
    }
    let mut out =
        String::from("msgid \"\"\nmsgstr \"\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\n");
    for (m, (at, plural)) in seen {
        out.push_str(&format!("#: {}\n", at.join(" ")));
        match plural {
            Some(p) => out.push_str(&format!(
                "msgid \"{}\"\nmsgid_plural \"{}\"\nmsgstr[0] \"\"\nmsgstr[1] \"\"\n\n",
                esc(&m),
                esc(&p)
            )),
            None => out.push_str(&format!("msgid \"{}\"\nmsgstr \"\"\n\n", esc(&m))),
        }
    }
    out
}

#[test]
fn every_language_font_is_installed_here() {
    // The set-up installs fonts-noto-core; without it Indic text is blank.
    assert_eq!(missing_fonts(), Vec::<Lang>::new());
}

#[test]
fn words_are_said_again_in_each_language() {
    let name = "HD 720".to_string();
    let w = Words::new(move |l| trf(l, "Camera: {}", &[&name]));
    assert_eq!(w.english(), "Camera: HD 720");
    assert_eq!(format!("{w:?}"), "Words(\"Camera: HD 720\")");
    let hi = w.clone().in_lang(Lang::Hi);
    assert!(hi.contains("HD 720") && !hi.contains("{}"), "{hi}");
    assert_ne!(hi, w.english());
    assert_eq!(Words::plain("PAT-7").in_lang(Lang::Ta), "PAT-7");
    assert_eq!(Words::default().english(), "");
}
