//! The screens' words are translated: every text a nurse or patient can see
//! in `ui/**/*.slint` goes through `@tr()`, and every `@tr()` text has a
//! translation in each bundled language (`translations/<lang>/…/onemed.po`).
//!
//! The check reads the `.slint` source with a small lexer (comments, string
//! literals, brackets), not Slint's parser: a string literal holding a letter
//! of any script is a finding unless it is one of these code uses:
//! - a `@tr()` message (its text, context or plural form);
//! - an import path (`from "…"`, `import "…"`);
//! - a value compared with (`== "…"`, `"…" !=`, `starts-with("…")`,
//!   `ends-with("…")`): a code the screen tests for, never shown;
//! - in `keyboard.slint`, the key codes: the strings of a `for … in [ … ]`
//!   key array and a `Key { text: "…"`: what a key reports to Rust (`Key`
//!   shows the command keys through `@tr()` itself);
//! - the default of an `in property` of an `export global`: a preview value
//!   that Rust always sets (and translates);
//! - a font's name (`font-family: "…"`).

use onemed::i18n::{Catalogue, Lang};
use std::path::{Path, PathBuf};

/// A string literal in a `.slint` file.
#[derive(Debug, Clone)]
struct Literal {
    /// 1-based line of its opening quote.
    line: usize,
    /// Byte range of the literal, quotes included.
    start: usize,
    end: usize,
    /// Its text between the quotes, unescaped.
    text: String,
    /// The brackets open around it, outermost first.
    open: Vec<Open>,
}

/// An open bracket: which, where, and where the statement it holds began.
#[derive(Debug, Clone, Copy)]
struct Open {
    ch: char,
    at: usize,
    statement: usize,
}

/// A lexed `.slint` file: its code with comments blanked out (so offsets
/// and lines stay), and its string literals.
struct Lexed {
    code: String,
    literals: Vec<Literal>,
}

fn lex(src: &str) -> Lexed {
    let b = src.as_bytes();
    let mut code = b.to_vec();
    let mut literals = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    code[i] = b' ';
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if b[i] == b'\n' {
                        line += 1;
                    } else {
                        code[i] = b' ';
                    }
                    i += 1;
                }
                code[i..(i + 2).min(b.len())].fill(b' ');
                i += 2;
                continue;
            }
            b'"' => {
                let start = i;
                let first_line = line;
                i += 1;
                // `\{ … }` interpolations may hold braces; count them.
                let mut depth = 0usize;
                while i < b.len() && !(b[i] == b'"' && depth == 0) {
                    match b[i] {
                        b'\\' if b.get(i + 1) == Some(&b'{') => {
                            depth += 1;
                            i += 1;
                        }
                        b'\\' => i += 1,
                        b'{' if depth > 0 => depth += 1,
                        b'}' if depth > 0 => depth -= 1,
                        b'\n' => line += 1,
                        _ => {}
                    }
                    i += 1;
                }
                let end = (i + 1).min(b.len());
                literals.push(Literal {
                    line: first_line,
                    start,
                    end,
                    text: unescape(&src[start + 1..end.saturating_sub(1).max(start + 1)]),
                    open: open.clone(),
                });
                i = end;
                continue;
            }
            c @ (b'{' | b'[' | b'(') => open.push(Open {
                ch: c as char,
                at: i,
                statement: i + 1,
            }),
            b'}' | b']' | b')' => {
                let closed = open.pop();
                // A closed block ends the statement it was part of.
                if closed.is_some_and(|o| o.ch == '{') {
                    if let Some(o) = open.last_mut() {
                        o.statement = i + 1;
                    }
                }
            }
            b';' => {
                if let Some(o) = open.last_mut() {
                    o.statement = i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Lexed {
        code: String::from_utf8(code).expect("blanking keeps UTF-8"),
        literals,
    }
}

/// A Slint string literal's text (`\"`, `\\`, `\n`, `\t`, `\u{…}`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let hex: String = chars
                    .by_ref()
                    .skip_while(|c| *c == '{')
                    .take_while(|c| *c != '}')
                    .collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The code before byte `at`, trailing blanks trimmed.
fn before(code: &str, at: usize) -> &str {
    code[..at].trim_end()
}

/// Whether `text` ends with the word `word` (not a longer identifier).
fn ends_with_word(text: &str, word: &str) -> bool {
    text.strip_suffix(word).is_some_and(|rest| {
        !rest
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
    })
}

/// Whether the bracket `o` is a call of `function` (`@tr(`, `starts-with(`).
fn call_of(code: &str, o: &Open, function: &str) -> bool {
    o.ch == '(' && ends_with_word(before(code, o.at), function)
}

/// Whether the literal is a message of the `@tr(` it stands in: its first
/// literal, or the one after `=>` (a context's text) or `|` (the plural).
fn is_tr_message(code: &str, lit: &Literal) -> bool {
    let Some(o) = lit.open.last() else {
        return false;
    };
    if !call_of(code, o, "@tr") {
        return false;
    }
    let prev = before(code, lit.start);
    prev.len() == o.at + 1 || prev.ends_with("=>") || prev.ends_with('|')
}

/// Why a literal with letters may stay as it is (`None`: it must use `@tr`).
fn allowed(file: &str, code: &str, lit: &Literal) -> Option<&'static str> {
    let prev = before(code, lit.start);
    let next = code[lit.end..].trim_start();
    let innermost = lit.open.last();
    if is_tr_message(code, lit) {
        return Some("@tr message");
    }
    if ends_with_word(prev, "from") || ends_with_word(prev, "import") {
        return Some("import path");
    }
    if prev.ends_with("==")
        || prev.ends_with("!=")
        || next.starts_with("==")
        || next.starts_with("!=")
    {
        return Some("compared with");
    }
    if innermost.is_some_and(|o| {
        prev.len() == o.at + 1 && (call_of(code, o, "starts-with") || call_of(code, o, "ends-with"))
    }) {
        return Some("compared with");
    }
    if prev.ends_with("font-family:") {
        return Some("font name");
    }
    if file == "keyboard.slint" {
        // `Key { text: "Clear"; …`
        let key_text = prev
            .strip_suffix("text:")
            .map(str::trim_end)
            .and_then(|p| p.strip_suffix('{'))
            .is_some_and(|p| ends_with_word(p.trim_end(), "Key"));
        // `for k in ["Q", "W", …]` and `for row in [["1", …], …]`
        let key_array = {
            let arrays = lit.open.iter().rev().take_while(|o| o.ch == '[').count();
            arrays > 0 && {
                let outer = lit.open[lit.open.len() - arrays];
                ends_with_word(before(code, outer.at), "in")
            }
        };
        if key_text || key_array {
            return Some("key code");
        }
    }
    // The default of an `in property` declared in an `export global`.
    for o in &lit.open {
        if o.ch != '{' {
            continue;
        }
        // `export global Name {`
        let mut head = before(code, o.at).split_whitespace().rev();
        let is_global = head.next().is_some_and(|name| {
            name.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        }) && head.next() == Some("global")
            && head.next() == Some("export");
        if is_global {
            let statement = code[o.statement..lit.start].trim_start();
            if statement.starts_with("in property") {
                return Some("preview value of a global");
            }
        }
    }
    None
}

/// The literals of a `.slint` text that should go through `@tr()`:
/// `(line, text)` for each.
fn untranslated(file: &str, src: &str) -> Vec<(usize, String)> {
    let lexed = lex(src);
    lexed
        .literals
        .iter()
        .filter(|l| l.text.chars().any(char::is_alphabetic))
        .filter(|l| allowed(file, &lexed.code, l).is_none())
        .map(|l| (l.line, l.text.clone()))
        .collect()
}

/// A `@tr()` message: its context ("" for none), text, and plural form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Message {
    context: String,
    text: String,
    plural: Option<String>,
}

/// Every `@tr()` message of a `.slint` text, with its line.
fn messages(src: &str) -> Vec<(usize, Message)> {
    let lexed = lex(src);
    let code = &lexed.code;
    let lits = &lexed.literals;
    // The code between two literals, trimmed.
    let between = |a: &Literal, b: &Literal| code[a.end..b.start].trim();
    let mut out = Vec::new();
    for (i, first) in lits.iter().enumerate() {
        let Some(o) = first.open.last() else {
            continue;
        };
        if !call_of(code, o, "@tr") || before(code, first.start).len() != o.at + 1 {
            continue;
        }
        let mut j = i;
        let mut context = String::new();
        if lits
            .get(j + 1)
            .is_some_and(|n| between(&lits[j], n) == "=>")
        {
            context = first.text.clone();
            j += 1;
        }
        let text = lits[j].text.clone();
        let plural = lits
            .get(j + 1)
            .filter(|n| between(&lits[j], n) == "|")
            .map(|n| n.text.clone());
        out.push((
            first.line,
            Message {
                context,
                text,
                plural,
            },
        ));
    }
    out
}

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui")
}

/// Every `.slint` file under `ui/`, with its path from the crate's root.
fn slint_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = crate::common::files_under(&ui_dir());
    files.retain(|p| p.extension().is_some_and(|x| x == "slint"));
    assert!(files.len() > 10, "the .slint files under {:?}", ui_dir());
    files
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The checker itself: a fake screen with one untranslated text among the
/// allowed code uses finds exactly that one, at its line.
fn the_checker_finds_a_plain_text() {
    let fake = r#"import { Theme } from "theme.slint";
export global Fake {
    in property <string> preview: "Shown only in the preview";
    in property <[string]> rows: [
        "Also a preview",
    ];
}
// text: "a comment";
component Screen inherits Rectangle {
    /* text: "a block
       comment"; */
    Text {
        text: "Hello";
        font-family: "DejaVu Sans Mono";
        visible: Fake.preview != "Shown";
    }
    Text { text: @tr("Translated {}", Fake.preview == "abc" ? "x" : "y"); }
    Text { text: @tr("ctx" => "{n} apple" | "{n} apples" % 3); }
    Text { text: "Patient " + Fake.preview; }
}
"#;
    let found = untranslated("fake.slint", fake);
    let texts: Vec<_> = found.iter().map(|(l, t)| format!("{l}: {t}")).collect();
    // The `? "x" : "y"` inside @tr are shown too: they count.
    assert_eq!(
        texts,
        ["13: Hello", "17: x", "17: y", "19: Patient "],
        "the checker's findings on the fake screen"
    );
    let one = untranslated(
        "fake.slint",
        "component A inherits Text {\n    text: \"Hello\";\n}\n",
    );
    assert_eq!(one, [(2, "Hello".to_string())]);
    // And it reads the messages, with context and plural.
    let msgs: Vec<_> = messages(fake).into_iter().map(|(_, m)| m).collect();
    assert_eq!(
        msgs,
        [
            Message {
                context: String::new(),
                text: "Translated {}".into(),
                plural: None
            },
            Message {
                context: "ctx".into(),
                text: "{n} apple".into(),
                plural: Some("{n} apples".into())
            },
        ]
    );
    // Key codes are allowed in the keyboard only.
    let keys = "component K inherits Rectangle {\n    for k in [\"Q\", \"W\"]: Key { text: k; }\n    Key { text: \"Clear\"; }\n}\n";
    assert!(untranslated("keyboard.slint", keys).is_empty());
    assert_eq!(untranslated("home.slint", keys).len(), 3);
}

#[test]
fn every_visible_slint_text_goes_through_tr() {
    the_checker_finds_a_plain_text();
    let mut findings = Vec::new();
    for (path, src) in slint_files() {
        let file = Path::new(&path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        for (line, text) in untranslated(&file, &src) {
            findings.push(format!("{path}:{line}: {text:?}"));
        }
    }
    assert!(
        findings.is_empty(),
        "{} visible texts not through @tr() (wrap them in @tr(\"…\"), with {{}} for the parts \
         filled in):\n{}",
        findings.len(),
        findings.join("\n")
    );
}

#[test]
fn every_tr_string_has_a_translation_in_every_language() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for (path, src) in slint_files() {
        for (line, m) in messages(&src) {
            all.push((format!("{path}:{line}"), m));
        }
    }
    assert!(all.len() > 100, "the @tr() messages: {}", all.len());
    let mut missing = Vec::new();
    for lang in Lang::ALL.into_iter().filter(|l| *l != Lang::En) {
        let po = root.join(format!(
            "translations/{}/LC_MESSAGES/onemed.po",
            lang.code()
        ));
        let text = std::fs::read_to_string(&po).unwrap();
        let cat = Catalogue::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", po.display()));
        for (at, m) in &all {
            let found = match &m.plural {
                // Slint looks a plural up by its singular, and needs plural forms.
                Some(_) => m.context.is_empty() && cat.get_plural(&m.text, 0).is_some(),
                None => cat.has(&m.context, &m.text),
            };
            if !found {
                missing.push(format!("{}: {at}: {:?}", lang.code(), m.text));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} @tr() texts without a translation (add them to the .po files):\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// The smallest text any screen may use (`Theme.small`).
const MIN_FONT_PX: f32 = 18.0;

/// A `font-size:` value's smallest size in px: each literal `Npx` and each
/// `Theme.x` (with a `+ Npx`) it can take. `None` for a form the check does
/// not know, so a new one is looked at rather than passed.
fn smallest_font(value: &str, theme: &[(String, f32)]) -> Option<f32> {
    let mut sizes = Vec::new();
    for part in value.split(['?', ':']) {
        let part = part.trim();
        if part.contains("==") || part.contains("!=") || part.is_empty() {
            continue;
        }
        if part == "root.font-size" {
            // A component's own `font-size` property: its users' values are checked.
            continue;
        }
        let mut terms = part.split('+').map(str::trim);
        let base = terms.next()?;
        let add: f32 = terms
            .map(|t| {
                t.strip_suffix("px")
                    .and_then(|n| n.trim().parse::<f32>().ok())
            })
            .sum::<Option<f32>>()?;
        let base = match base.strip_prefix("Theme.") {
            Some(name) => theme.iter().find(|(n, _)| n == name)?.1,
            None => base.strip_suffix("px")?.trim().parse().ok()?,
        };
        sizes.push(base + add);
    }
    match sizes.into_iter().reduce(f32::min) {
        Some(px) => Some(px),
        // Only `root.font-size`: the component's own property, whose
        // declaration and users are checked as lines of their own.
        None if value.trim() == "root.font-size" => Some(MIN_FONT_PX),
        None => None,
    }
}

#[test]
fn font_sizes_never_go_below_18px() {
    let files = slint_files();
    let theme_src = &files
        .iter()
        .find(|(f, _)| f.ends_with("theme.slint"))
        .expect("ui/theme.slint")
        .1;
    // `out property <length> small: 18px;` in the Theme global.
    let theme: Vec<(String, f32)> = theme_src
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("out property <length> ")?;
            let (name, value) = rest.split_once(':')?;
            let px = value.trim().trim_end_matches(';').strip_suffix("px")?;
            Some((name.trim().to_string(), px.trim().parse().ok()?))
        })
        .collect();
    assert!(
        theme.iter().any(|(n, v)| n == "small" && *v == MIN_FONT_PX),
        "{theme:?}"
    );
    let mut found = 0;
    let mut small = Vec::new();
    for (file, src) in &files {
        for (i, line) in src.lines().enumerate() {
            let Some(at) = line.find("font-size:") else {
                continue;
            };
            if line.trim_start().starts_with("//") {
                continue;
            }
            let value = line[at + "font-size:".len()..]
                .split(';')
                .next()
                .unwrap_or("")
                .trim();
            found += 1;
            match smallest_font(value, &theme) {
                Some(px) if px >= MIN_FONT_PX => {}
                Some(px) => small.push(format!("{file}:{}: {value} ({px} px)", i + 1)),
                None => small.push(format!("{file}:{}: {value} (not understood)", i + 1)),
            }
        }
    }
    assert!(found > 50, "the check reads the font sizes: {found}");
    assert!(
        small.is_empty(),
        "text below {MIN_FONT_PX} px:\n{}",
        small.join("\n")
    );
    // The check can fail.
    assert_eq!(smallest_font("Theme.small", &theme), Some(18.0));
    assert_eq!(
        smallest_font("a == b ? Theme.title : 14px", &theme),
        Some(14.0)
    );
    assert_eq!(smallest_font("Theme.text + 2px", &theme), Some(24.0));
    assert_eq!(smallest_font("self.height / 3", &theme), None);
}
