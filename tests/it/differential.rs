//! Exact, or refused in words: a corpus generated at test time by
//! `scripts/image_corpus.py` (Pillow, cjpeg, tiffcp and ImageMagick, in the
//! bench venv) — many sizes and aspect ratios, and every variant of JPEG, PNG,
//! BMP, TIFF, GIF and WebP the kiosk accepts — each file prepared by the
//! kiosk and compared with the original pipeline's model input (Pillow's
//! `Image.open` → `convert("RGB")` → `ImageOps.fit(…, (224, 224), LANCZOS)`,
//! computed by the script). Every file gives the same `input_sha256` as
//! Pillow, or the one deliberate difference the script computes with the
//! Pillow call that matches it, or a refusal naming what is not supported.

use onemed::decode::{DecodeError, Limits};
use onemed::preprocess::{input_sha256, prepare};
use std::path::Path;
use std::process::Command;

/// Generates the corpus into a temporary folder; returns it with its manifest.
fn corpus() -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("corpus");
    let script = crate::common::repo().join("scripts/image_corpus.py");
    // The original pipeline's Pillow and numpy.
    let run = Command::new(crate::common::bench_python("PIL, numpy"))
        .arg(&script)
        .arg(&out)
        .output()
        .expect("the corpus script runs");
    assert!(
        run.status.success(),
        "image_corpus.py failed (needs cjpeg, tiffcp and ImageMagick: `make deps`):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let manifest = std::fs::read(out.join("pillow.json")).expect("pillow.json written");
    let manifest = serde_json::from_slice(&manifest).expect("pillow.json is JSON");
    (dir, manifest)
}

/// Files the kiosk refuses by design though Pillow reads them, and the words
/// the refusal must use (README, "Exact, or refused").
const REFUSED: [(&str, &str); 4] = [
    ("tiff-jpeg.tif", "JPEG compression inside"),
    ("tiff-jpeg-ycbcr.tif", "JPEG compression inside"),
    ("tiff-palette.tif", "palette-colour TIFF"),
    ("tiff-tiled-planar.tif", "tiles with separate colour planes"),
];

/// What became of one file, when it is not what it should be.
fn judge(file: &Path, entry: &serde_json::Value) -> Option<String> {
    let bytes = std::fs::read(file).expect("corpus file readable");
    let ours = std::panic::catch_unwind(|| prepare(&bytes, &Limits::default(), 224));
    let ours = match ours {
        Ok(r) => r,
        Err(_) => return Some("PANICKED".into()),
    };
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some((_, words)) = REFUSED.iter().find(|(f, _)| *f == name) {
        return match ours {
            Err(onemed::preprocess::PrepareError::Decode(DecodeError::Unsupported(m)))
                if m.contains(words) =>
            {
                None
            }
            other => Some(format!("should be refused as {words:?}, got {other:?}")),
        };
    }
    let pillow = entry["pillow"]["sha256"].as_str();
    let deliberate = entry["deliberate"]["sha256"].as_str();
    match (pillow, ours) {
        (Some(want), Ok(p)) => {
            let got = input_sha256(&p.fitted);
            let expected = deliberate.unwrap_or(want);
            (got != expected).then(|| {
                format!(
                    "input differs from {} ({} {:?})",
                    if deliberate.is_some() {
                        "the deliberate difference"
                    } else {
                        "Pillow"
                    },
                    entry["pillow"]["mode"],
                    entry["pillow"]["size"]
                )
            })
        }
        (Some(_), Err(e)) => Some(format!("refused what Pillow reads: {e}")),
        // Pillow cannot read it: a refusal in words is the right answer.
        (None, Err(e)) => match e {
            onemed::preprocess::PrepareError::Decode(
                DecodeError::Unsupported(_) | DecodeError::Corrupt(_),
            ) if !e.to_string().is_empty() => None,
            other => Some(format!("Pillow cannot read it; refused as {other:?}")),
        },
        (None, Ok(_)) => Some(format!(
            "analysed a file the original pipeline cannot read ({})",
            entry["error"]
        )),
    }
}

#[test]
fn every_format_is_pillow_exact_or_refused_in_words() {
    let (dir, manifest) = corpus();
    let files = manifest["files"].as_array().expect("a file list");
    assert!(files.len() >= 150, "the corpus has {} files", files.len());
    // Every family of the issue is in the corpus.
    for family in ["jpeg", "png", "bmp", "tiff", "gif", "webp"] {
        let n = files
            .iter()
            .filter(|f| f["kind"].as_str().is_some_and(|k| k.starts_with(family)))
            .count();
        assert!(n >= 5, "only {n} {family} files");
    }
    let mut wrong = Vec::new();
    for f in files {
        let name = f["file"].as_str().expect("a file name");
        let path = dir.path().join("corpus").join(name);
        if let Some(why) = judge(&path, f) {
            wrong.push(format!(
                "{name} [{}]: {why}",
                f["kind"].as_str().unwrap_or("")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} files are neither exact nor refused in words:\n{}",
        wrong.len(),
        files.len(),
        wrong.join("\n")
    );
}

/// The regression: a tiled TIFF with separate colour planes (which
/// the `tiff` crate panics on) in a batch with good files costs only itself.
#[test]
fn a_tiled_planar_tiff_costs_only_itself_in_a_batch() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let good = crate::common::datasets_dir().join("skin-lesion/benign");
    let good = crate::common::files_under(&good);
    let (a, b) = (good[0].display().to_string(), good[1].display().to_string());
    let plain = dir.path().join("plain.tif");
    image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&plain)
        .expect("a TIFF written");
    let tiled = dir.path().join("tiled-planar.tif");
    let made = Command::new("tiffcp")
        .args(["-t", "-w", "64", "-l", "64", "-p", "separate"])
        .arg(&plain)
        .arg(&tiled)
        .status()
        .expect("tiffcp runs (libtiff-tools: `make deps`)");
    assert!(made.success());
    let t = tiled.display().to_string();
    let o = crate::common::onemed(&["analyze", "--json", "--tool", "skin-lesion", &a, &t, &b]);
    let out = crate::common::text(&o.stdout);
    let err = crate::common::text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "a partial failure: {err}");
    assert_eq!(out.lines().count(), 2, "both good files analysed: {out}");
    let line = err
        .lines()
        .find(|l| l.contains("tiled-planar.tif"))
        .unwrap_or_else(|| panic!("no error line for the TIFF: {err}"));
    assert!(line.contains("separate colour planes"), "{line}");
    assert!(!err.contains("panicked"), "{err}");
}
