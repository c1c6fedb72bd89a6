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

/// The literal msgids of every `tr`, `trf` and `trn` call in `src/` (a
/// string continued with `\` at a line's end is joined as Rust joins it).
fn rust_msgids() -> Vec<(String, String)> {
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
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut found = Vec::new();
    for f in files {
        if f.ends_with("i18n/tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("tr") {
            let rest = &text[i..];
            let Some(open) = ["tr(", "trf(", "trn("]
                .iter()
                .find(|p| rest.starts_with(**p))
            else {
                continue;
            };
            let before = text[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == ':') {
                continue;
            }
            // The second argument, when it is a string literal.
            let args = &rest[open.len()..];
            let Some(comma) = args.find(',') else {
                continue;
            };
            let lit = args[comma + 1..].trim_start();
            if !lit.starts_with('"') {
                continue;
            }
            let mut s = String::new();
            let mut chars = lit[1..].chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => s.push('\n'),
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('\n') => {
                            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                                chars.next();
                            }
                        }
                        Some(o) => s.push(o),
                        None => break,
                    },
                    c => s.push(c),
                }
            }
            let line = text[..i].lines().count();
            found.push((format!("{}:{line}", f.display()), s));
        }
    }
    found
}

#[test]
fn every_word_built_in_rust_has_a_translation_in_every_language() {
    let found = rust_msgids();
    assert!(
        found.iter().any(|(_, m)| m == "REFER to a doctor: {}"),
        "the scan finds the calls: {} found",
        found.len()
    );
    // The tools' own words, from their manifests.
    let catalog = crate::catalog::Catalog::builtin().unwrap();
    let mut wanted: Vec<(String, String)> = found;
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
                .map(|m| (format!("models/{}.toml", t.id), m)),
        );
    }
    let mut missing = Vec::new();
    for (lang, _) in PLURAL_FORMS {
        let c = Catalogue::parse(lang.po().unwrap()).unwrap();
        for (at, m) in &wanted {
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
