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
