//! The architecture's rules, checked on the source: `src/lib.rs` declares the
//! top-level modules in layers, lowest first, and a module may use only the
//! modules declared before it — so there is no import cycle, and a new
//! `crate::…` path that goes up a layer fails here with the file and line.
//! Unit tests at the end of a file (`#[cfg(test)] mod tests`) and `tests.rs`
//! files may reach further (they build fixtures). No source file grows far
//! past 500 lines.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules in the order `lib.rs` declares them.
fn layers() -> Vec<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

/// The Rust files under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = crate::common::files_under(dir);
    files.retain(|p| p.extension().is_some_and(|x| x == "rs"));
    files
}

/// A module's own files: `src/<m>.rs` and everything under `src/<m>/`.
fn files_of(module: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.exists() {
        out.push(file);
    }
    out.extend(rust_files(&src().join(module)));
    out
}

/// The product code of a file: up to its unit tests; none for `tests.rs`.
fn product_code(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Every `crate::<module>` a text names, with its line number.
fn uses(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push((n + 1, name));
        }
    }
    out
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let order = layers();
    assert!(order.len() > 15, "lib.rs lists the modules: {order:?}");
    let mut wrong = Vec::new();
    for (rank, module) in order.iter().enumerate() {
        let files = files_of(module);
        assert!(!files.is_empty(), "no source for module {module}");
        for f in files {
            for (line, used) in uses(&product_code(&f)) {
                if used == *module {
                    continue;
                }
                match order.iter().position(|m| *m == used) {
                    Some(r) if r < rank => {}
                    Some(_) => wrong.push(format!(
                        "{}:{line}: {module} uses crate::{used}, a layer above it",
                        f.strip_prefix(src()).unwrap().display()
                    )),
                    None => wrong.push(format!(
                        "{}:{line}: crate::{used} is not a module of lib.rs",
                        f.strip_prefix(src()).unwrap().display()
                    )),
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_layer_check_would_catch_an_upward_use() {
    // The checker itself: an upward path is found with its line.
    let found = uses(
        "use crate::analysis::Analysis;\n// crate::kiosk in a comment\nlet x = crate::kiosk::run;",
    );
    assert_eq!(found, vec![(1, "analysis".into()), (3, "kiosk".into())]);
    let order = layers();
    let rank = |m: &str| order.iter().position(|x| x == m).unwrap();
    assert!(rank("records") < rank("export") && rank("screening") < rank("records"));
    assert!(rank("workers") < rank("kiosk") && rank("kiosk") < rank("cli"));
}

#[test]
fn no_source_file_grows_far_past_500_lines() {
    let files = rust_files(&src());
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 520).then(|| format!("{} ({n} lines)", f.strip_prefix(src()).unwrap().display()))
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "split by responsibility: {}",
        long.join(", ")
    );
}
