//! Model integrity through the real `onemed` binary: only the weights pinned
//! in each manifest ever run — not swapped or zeroed model files, and not a
//! blob swapped in OpenVINO's compiled-model cache — and `models --pin` prints
//! the pins for a new model.

use super::{assert_no_panic, json_lines, sample};
use crate::common::{models_copy, models_dir, onemed, text};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BENIGN: &str = "skin-lesion/benign/25.jpg";

/// sha256 over `model.xml` then `model.bin` of a tool's genuine model: what
/// `model_sha256` must say.
fn genuine_model_sha256(tool: &str) -> String {
    let mut h = Sha256::new();
    for f in ["model.xml", "model.bin"] {
        h.update(std::fs::read(models_dir().join(tool).join(f)).unwrap());
    }
    format!("{:x}", h.finalize())
}

/// `onemed` with the shared models and this folder as its cache home.
fn onemed_cached(cache_home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onemed"))
        .args(args)
        .env("ONEMED_MODELS", models_dir())
        .env("XDG_CACHE_HOME", cache_home)
        .env_remove("ONEMED_CONFIG")
        .output()
        .expect("onemed runs")
}

fn analyze_benign_skin(cache_home: &Path) -> serde_json::Value {
    let o = onemed_cached(
        cache_home,
        &[
            "analyze",
            "--json",
            "--tool",
            "skin-lesion",
            &sample(BENIGN),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    json_lines(&o).remove(0)
}

/// Every plain file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Analyses the benign skin sample with the models in `models`; it must be
/// refused with the plain reason while the cataract tool still works.
fn assert_skin_refused_others_work(models: &Path) {
    let dir = models.display().to_string();
    let o = onemed(&[
        "--models",
        &dir,
        "analyze",
        "--tool",
        "skin-lesion",
        &sample(BENIGN),
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    assert!(o.stdout.is_empty(), "no result: {}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "model file for Skin lesion does not match its pinned hash — reinstall the model"
        ) && err.contains("skin-lesion/model.bin"),
        "{err}"
    );
    let o = onemed(&[
        "--models",
        &dir,
        "analyze",
        "--tool",
        "cataract",
        &sample("eye/cataract/C_(1).jpg"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn swapped_weights_make_only_that_tool_unavailable() {
    // The cataract weights fit the skin model's graph exactly: without the pin
    // this benign photo came back "Signs of a malignant skin lesion" (0.81).
    let d = models_copy(Path::new("(none)"));
    std::fs::copy(
        d.path().join("cataract/model.bin"),
        d.path().join("skin-lesion/model.bin"),
    )
    .unwrap();
    assert_skin_refused_others_work(d.path());

    // `onemed models` says why, and lists the others with their hashes.
    let o = onemed(&["--models", &d.path().display().to_string(), "models"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("UNAVAILABLE: model file for Skin lesion does not match its pinned hash"),
        "{out}"
    );
    assert_eq!(out.matches("sha256 ").count(), 4, "{out}");
}

#[test]
fn zeroed_weights_are_refused() {
    let d = models_copy(Path::new("(none)"));
    let bin = d.path().join("skin-lesion/model.bin");
    let len = std::fs::metadata(&bin).unwrap().len() as usize;
    std::fs::write(&bin, vec![0u8; len]).unwrap();
    assert_skin_refused_others_work(d.path());
}

#[test]
fn a_swapped_cache_blob_never_runs() {
    let home = tempfile::tempdir().unwrap();
    let genuine = analyze_benign_skin(home.path());
    let skin_sha = genuine_model_sha256("skin-lesion");
    assert_eq!(genuine["model_sha256"], skin_sha.as_str());
    assert_eq!(genuine["class"], "benign");
    let skin_files = files_under(home.path());
    let o = onemed_cached(
        home.path(),
        &["analyze", "--tool", "cataract", &sample(BENIGN)],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let cataract_blob = files_under(home.path())
        .into_iter()
        .find(|f| !skin_files.contains(f) && f.extension().is_some_and(|x| x == "blob"))
        .expect("the cataract model's compiled blob");

    // The attack: every blob OpenVINO cached for the skin model replaced by the
    // cataract one, under the skin blob's own name.
    let skin_blobs: Vec<&PathBuf> = skin_files
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "blob"))
        .collect();
    assert!(!skin_blobs.is_empty(), "{skin_files:?}");
    for b in &skin_blobs {
        // OpenVINO writes its blobs read-only; the folder is writable.
        std::fs::remove_file(b).unwrap();
        std::fs::copy(&cataract_blob, b).unwrap();
    }
    let after = analyze_benign_skin(home.path());
    assert_eq!(after["model_sha256"], skin_sha.as_str());
    assert_eq!(
        after["probabilities"], genuine["probabilities"],
        "the skin model ran, not the cataract weights"
    );
    assert_eq!(after["class"], "benign");
    // The swapped blob was replaced by one compiled from the pinned model, and
    // that one is used from then on.
    for b in &skin_blobs {
        assert_ne!(std::fs::read(b).ok(), std::fs::read(&cataract_blob).ok());
    }
    let again = analyze_benign_skin(home.path());
    assert_eq!(again["probabilities"], genuine["probabilities"]);
}

#[test]
fn models_pin_prints_the_manifest_lines() {
    let sha = |tool: &str, f: &str| {
        format!(
            "{:x}",
            Sha256::digest(std::fs::read(models_dir().join(tool).join(f)).unwrap())
        )
    };
    let tools = [
        "cataract",
        "diabetic-retinopathy",
        "redness",
        "skin-lesion",
        "covid-ct",
    ];
    let xmls: Vec<String> = tools
        .iter()
        .map(|t| models_dir().join(t).join("model.xml").display().to_string())
        .collect();
    let mut args = vec!["models"];
    for x in &xmls {
        args.extend(["--pin", x.as_str()]);
    }
    let o = onemed(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let blocks: Vec<&str> = out.split("\n\n").collect();
    assert_eq!(blocks.len(), tools.len(), "{out}");
    for (tool, block) in tools.iter().zip(blocks) {
        let pins = format!(
            "[model]\nxml_sha256 = \"{}\"\nbin_sha256 = \"{}\"\n",
            sha(tool, "model.xml"),
            sha(tool, "model.bin")
        );
        assert!(
            block.trim_end().ends_with(pins.trim_end()),
            "{tool}: {block}"
        );
        assert!(block.contains(&genuine_model_sha256(tool)), "{block}");
        // The shipped manifest carries exactly these pins.
        let manifest = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/{tool}.toml")),
        )
        .unwrap();
        for line in pins.lines().skip(1) {
            assert!(manifest.contains(line), "{tool}: {line}");
        }
    }

    // A missing file is one clear line and exit 2.
    let o = onemed(&["models", "--pin", "/nonexistent/model.xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("/nonexistent/model.xml"),
        "{}",
        text(&o.stderr)
    );
}
