//! The `onemed` command as a user runs it: real binary, real models, real
//! OpenVINO. Bad input of every kind gets a one-line error and a non-zero exit,
//! never a panic, and the good images in the same call are still analysed.

use crate::common;
mod admin;
mod integrity;

use crate::common::{models_copy, onemed, text};
use std::path::{Path, PathBuf};
use std::process::Output;

fn sample(rel: &str) -> String {
    common::datasets_dir().join(rel).display().to_string()
}

fn assert_no_panic(o: &Output) {
    let err = text(&o.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic: {err}"
    );
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// A real JPEG whose SOF header is patched to claim `w` x `h`.
fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut b = std::fs::read(sample("skin-lesion/benign/25.jpg")).unwrap();
    let sof = b
        .windows(2)
        .position(|p| p[0] == 0xFF && (p[1] == 0xC0 || p[1] == 0xC2))
        .unwrap();
    b[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    b[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    b
}

struct BadFiles {
    _dir: tempfile::TempDir,
    files: Vec<(PathBuf, &'static str)>,
}

/// Every kind of bad file, each with a word its error message must contain.
fn bad_files() -> BadFiles {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let fundus = std::fs::read(sample("eye/no-diabetic-retinopathy/01_h.jpg")).unwrap();
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: &[u8], expect: &'static str| {
        std::fs::write(p(name), bytes).unwrap();
        files.push((p(name), expect));
    };
    put("empty.jpg", b"", "empty");
    put("truncated.jpg", &fundus[..fundus.len() / 3], "truncated");
    put(
        "notes.jpg",
        b"Patient list\nnot an image at all\n",
        "not an image",
    );
    let mut one = Vec::new();
    image::RgbImage::from_pixel(1, 1, image::Rgb([200, 10, 10]))
        .write_to(&mut std::io::Cursor::new(&mut one), image::ImageFormat::Png)
        .unwrap();
    put("one-pixel.png", &one, "too small");
    put(
        "bomb.png",
        &common::png_claiming(60_000, 60_000, None),
        "too large",
    );
    put("bomb.jpg", &jpeg_claiming(60_000, 60_000), "too large");
    put(
        "garbage-after-header.png",
        &[common::png_claiming(640, 480, None), vec![0x55; 4000]].concat(),
        "damaged",
    );
    BadFiles { _dir: dir, files }
}

#[test]
fn analyze_json_has_the_traceable_fields() {
    let o = onemed(&[
        "analyze",
        "--json",
        "--tool",
        "covid-ct",
        &sample("covid-ct/covid/2020.01.24.919183-p27-133.png"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v = &json_lines(&o)[0];
    for key in [
        "file",
        "tool",
        "model_sha256",
        "device",
        "probabilities",
        "outcome",
        "class",
        "refer",
        "reason",
        "input_sha256",
        "timings_ms",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    for key in ["decode", "preprocess", "infer", "total"] {
        assert!(
            v["timings_ms"][key].as_f64().is_some(),
            "timings_ms.{key}: {v}"
        );
    }
    assert_eq!(v["outcome"], "finding");
    assert_eq!(v["class"], "covid");
    assert_eq!(v["refer"], true);
    assert_eq!(v["device"], "CPU");
    assert_eq!(v["precision"], "f32");
    assert_eq!(
        v["input_sha256"],
        "aa47c48a1118df90e64e2002606486c37770a0da5b77a65491815ca7031f6251"
    );
    assert_eq!(v["model_sha256"].as_str().unwrap().len(), 64);
    let p = v["probabilities"].as_array().unwrap();
    assert!((p[0].as_f64().unwrap() - 0.999_652_6).abs() < 1e-4);
}

#[test]
fn plain_output_is_one_line_per_image_in_nurse_words() {
    let o = onemed(&[
        "analyze",
        "--tool",
        "skin-lesion",
        &sample("skin-lesion/benign/25.jpg"),
        &sample("skin-lesion/malignant/6.jpg"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.lines()
            .all(|l| l.contains("25.jpg") || l.contains("6.jpg")),
        "{out}"
    );
}

#[test]
fn every_bad_file_gets_a_one_line_error_and_good_ones_are_still_analysed() {
    let bad = bad_files();
    let good = sample("covid-ct/non-covid/0.jpg");
    let mut args: Vec<String> = vec![
        "analyze".into(),
        "--json".into(),
        "--tool".into(),
        "covid-ct".into(),
    ];
    args.push(good.clone());
    args.extend(bad.files.iter().map(|(p, _)| p.display().to_string()));
    args.push(good.clone());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = onemed(&refs);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "partial failure exits 1");
    assert_eq!(json_lines(&o).len(), 2, "both good images analysed");
    let err = text(&o.stderr);
    for (path, word) in &bad.files {
        let name = path.file_name().unwrap().to_string_lossy();
        let line = err
            .lines()
            .find(|l| l.contains(name.as_ref()))
            .unwrap_or_else(|| panic!("no error line for {name}: {err}"));
        assert!(
            line.to_lowercase().contains(word),
            "{name}: {line:?} should say {word:?}"
        );
    }
}

#[test]
fn unknown_tool_is_refused_with_the_list_of_tools() {
    let o = onemed(&[
        "analyze",
        "--tool",
        "xray",
        &sample("covid-ct/non-covid/0.jpg"),
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("xray") && err.contains("diabetic-retinopathy"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn missing_or_corrupt_model_is_a_clear_error() {
    let good = sample("skin-lesion/benign/25.jpg");
    let d = models_copy(Path::new("skin-lesion/model.bin"));
    let o = onemed(&[
        "--models",
        &d.path().display().to_string(),
        "analyze",
        "--tool",
        "skin-lesion",
        &good,
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("skin-lesion is unavailable") && err.contains("model.bin"),
        "{err}"
    );

    // Corrupt XML and truncated weights.
    let d = models_copy(Path::new("none"));
    std::fs::write(d.path().join("skin-lesion/model.xml"), b"<net><oops").unwrap();
    let bin = d.path().join("covid-ct/model.bin");
    let bytes = std::fs::read(&bin).unwrap();
    std::fs::write(&bin, &bytes[..bytes.len() / 2]).unwrap();
    for tool in ["skin-lesion", "covid-ct"] {
        let o = onemed(&[
            "--models",
            &d.path().display().to_string(),
            "analyze",
            "--tool",
            tool,
            &good,
        ]);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{tool}");
        let err = text(&o.stderr);
        assert!(
            err.contains(&format!("{tool} is unavailable")),
            "{tool}: {err}"
        );
    }
    // The other tools of that folder still work.
    let o = onemed(&[
        "--models",
        &d.path().display().to_string(),
        "analyze",
        "--tool",
        "cataract",
        &sample("eye/cataract/C_(2).jpg"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn missing_runtime_says_what_to_install() {
    let d = tempfile::tempdir().unwrap();
    let o = onemed(&[
        "--runtime",
        &d.path().display().to_string(),
        "analyze",
        "--tool",
        "cataract",
        &sample("eye/cataract/C_(2).jpg"),
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("OpenVINO runtime not found") && err.contains("make venv"),
        "{err}"
    );
}

#[test]
fn eval_counts_every_image_of_the_folder() {
    let o = onemed(&["eval", "--tool", "covid-ct", &sample("covid-ct")]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for class in ["covid", "non-covid"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(class) && l.split_whitespace().next() == Some(class))
            .unwrap_or_else(|| panic!("{out}"));
        let n: Vec<usize> = line
            .split_whitespace()
            .skip(1)
            .take(6)
            .map(|x| x.parse().unwrap())
            .collect();
        assert_eq!(n[0], n[1..].iter().sum::<usize>(), "{line}");
        assert_eq!(n[0], 5, "{line}");
    }
    assert!(
        out.contains("sensitivity") && out.contains("specificity"),
        "{out}"
    );
}

#[test]
fn models_lists_all_tools_with_hashes() {
    let o = onemed(&["models"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for t in [
        "cataract",
        "diabetic-retinopathy",
        "redness",
        "skin-lesion",
        "covid-ct",
    ] {
        assert!(out.contains(t), "{out}");
    }
    assert_eq!(out.matches("sha256 ").count(), 5, "{out}");
    assert!(out.contains("CPU f32"), "{out}");
}

#[test]
fn gpu_asked_for_but_absent_falls_back_to_cpu_and_says_so() {
    let o = onemed(&[
        "--device",
        "GPU",
        "analyze",
        "--json",
        "--tool",
        "skin-lesion",
        &sample("skin-lesion/benign/25.jpg"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("GPU asked for but OpenVINO reports none"),
        "{}",
        text(&o.stderr)
    );
    let v = &json_lines(&o)[0];
    assert_eq!(v["device"], "CPU");
    assert_eq!(v["precision"], "f32");
}

/// `onemed screen` into a private data folder.
fn screen(data: &Path, args: &[&str]) -> Output {
    let data = data.display().to_string();
    let mut all = vec!["screen", "--data", data.as_str()];
    all.extend_from_slice(args);
    let o = onemed(&all);
    assert_no_panic(&o);
    o
}

#[test]
fn screen_one_eye_then_finish_never_says_no_referral() {
    let d = tempfile::tempdir().unwrap();
    let photo = sample("eye/no-diabetic-retinopathy/01_h.jpg");
    let o = screen(
        d.path(),
        &[
            "--patient",
            "PAT-7",
            "--tool",
            "diabetic-retinopathy",
            "--eye",
            "right",
            "--operator",
            "Nurse Asha",
            &photo,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["file"], photo.as_str());
    assert_eq!(line["record_id"], 1);
    assert_eq!(line["tool"], "diabetic-retinopathy");
    assert!(line["input_sha256"].as_str().is_some_and(|s| s.len() == 64));
    // Saved as the kiosk saves it: the original bytes, hashed.
    let store = onemed::records::Store::open(d.path(), &crate::common::protection()).unwrap();
    let rec = store.record(1).unwrap().unwrap();
    assert_eq!(rec.eye, Some(onemed::records::Eye::Right));
    assert_eq!(rec.patient_id, "PAT-7");
    assert_eq!(rec.operator, "Nurse Asha", "--operator names who screened");
    assert_eq!(rec.shown_kind.code(), line["shown"].as_str().unwrap());
    let saved = store.read_image(&rec).unwrap();
    assert_eq!(saved, std::fs::read(&photo).unwrap());
    drop(store);

    let o = screen(d.path(), &["--patient", "PAT-7", "--finish"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(f["patient"], "PAT-7");
    assert_eq!(f["visit_id"], 1);
    assert_eq!(f["records"], 1);
    let expected = if line["shown"] == "refer" {
        "refer"
    } else {
        "refer-incomplete"
    };
    assert_eq!(f["decision"], expected, "{f}");
    assert_eq!(
        f["not_screened"],
        serde_json::json!([{"tool": "diabetic-retinopathy", "eye": "left"}])
    );
    // Stored as a code with its parts.
    let store = onemed::records::Store::open(d.path(), &crate::common::protection()).unwrap();
    let v = store.visit_summary(1).unwrap().unwrap();
    assert_eq!(v.decision.unwrap().decision.code(), expected);
    // The visit is closed: finishing again has nothing to finish.
    let o = screen(d.path(), &["--patient", "PAT-7", "--finish"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no open visit"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn screen_both_eyes_and_a_marked_tool_in_one_visit() {
    let d = tempfile::tempdir().unwrap();
    let mut shown = Vec::new();
    for (eye, photo) in [
        ("right", "eye/no-diabetic-retinopathy/01_h.jpg"),
        ("left", "eye/no-diabetic-retinopathy/03_h.jpg"),
    ] {
        let o = screen(
            d.path(),
            &[
                "--patient",
                "P-1",
                "--tool",
                "diabetic-retinopathy",
                "--eye",
                eye,
                &sample(photo),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let l = &json_lines(&o)[0];
        assert_eq!(l["visit_id"], 1, "the same open visit");
        shown.push(l["shown"].as_str().unwrap().to_string());
    }
    let o = screen(
        d.path(),
        &[
            "--patient",
            "P-1",
            "--finish",
            "--cannot-screen",
            "skin-lesion::Patient refused",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(
        f["not_screened"],
        serde_json::json!([{"tool": "skin-lesion", "eye": null, "reason": "Patient refused"}])
    );
    let refer = shown.iter().any(|s| s == "refer");
    assert_eq!(
        f["decision"],
        if refer { "refer" } else { "refer-incomplete" }
    );
    assert!(f["line"]
        .as_str()
        .unwrap()
        .contains("Skin lesion cannot be screened"));
    // Without the marked tool, two clear eyes need no referral.
    if shown.iter().all(|s| s == "clear") {
        let d2 = tempfile::tempdir().unwrap();
        for (eye, photo) in [
            ("right", "eye/no-diabetic-retinopathy/01_h.jpg"),
            ("left", "eye/no-diabetic-retinopathy/03_h.jpg"),
        ] {
            let o = screen(
                d2.path(),
                &[
                    "--patient",
                    "P-2",
                    "--tool",
                    "diabetic-retinopathy",
                    "--eye",
                    eye,
                    &sample(photo),
                ],
            );
            assert_eq!(o.status.code(), Some(0));
        }
        let o = screen(d2.path(), &["--patient", "P-2", "--finish"]);
        let f: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
        assert_eq!(f["decision"], "no-referral", "{f}");
    }
}

#[test]
fn screen_refuses_bad_input_file_by_file_and_records_the_rest() {
    let d = tempfile::tempdir().unwrap();
    // An eye tool needs the eye; an unknown tool and a bad mark stop at once.
    let o = screen(
        d.path(),
        &[
            "--patient",
            "P-3",
            "--tool",
            "cataract",
            &sample("eye/cataract/C_(1).jpg"),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--eye"), "{}", text(&o.stderr));
    let o = screen(
        d.path(),
        &[
            "--patient",
            "P-3",
            "--tool",
            "skin-lesion",
            "--eye",
            "left",
            &sample("skin-lesion/benign/25.jpg"),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let o = screen(
        d.path(),
        &[
            "--patient",
            "bad id!",
            "--tool",
            "skin-lesion",
            &sample("skin-lesion/benign/25.jpg"),
        ],
    );
    assert_eq!(o.status.code(), Some(2));

    // CT: a slice is recorded; an MR file and an eye photo are refused, not recorded.
    let bad = d.path().join("broken.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\nbroken").unwrap();
    let slice = sample("covid-ct/non-covid/0.jpg");
    let mr = sample("dicom/MR_small.dcm");
    let eye = sample("eye/cataract/C_(1).jpg");
    let data = d.path().join("register");
    let o = screen(
        &data,
        &[
            "--patient",
            "P-3",
            "--tool",
            "covid-ct",
            &slice,
            &mr,
            &eye,
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 4, "one line per file");
    assert_eq!(lines[0]["record_id"], 1);
    for l in &lines[1..] {
        assert!(l["record_id"].is_null(), "{l}");
        assert!(l["error"].as_str().is_some_and(|e| !e.is_empty()), "{l}");
    }
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .contains("MRI scan (MR), not CT"));
    assert!(lines[2]["error"].as_str().unwrap().contains("not recorded"));
    assert_eq!(
        text(&o.stderr)
            .lines()
            .filter(|l| l.contains("onemed:"))
            .count(),
        4
    );
    let store = onemed::records::Store::open(&data, &crate::common::protection()).unwrap();
    assert_eq!(store.records_since(None).unwrap().len(), 1);
    // A bad --cannot-screen is refused before anything changes.
    let o = screen(
        &data,
        &[
            "--patient",
            "P-3",
            "--finish",
            "--cannot-screen",
            "cataract::x",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(store.open_visit_of("P-3").unwrap().is_some());
}

#[test]
fn a_bad_setting_costs_only_itself_and_a_damaged_file_opens_no_register() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("kiosk.toml");
    // A misspelt tool and a margin that would never give a finding: each
    // reported with its line, and every tool still works.
    std::fs::write(
        &cfg,
        "max_attempts = 4294967295\n[gate_margin]\ncatarct = 0.6\nskin-lesion = 1.0\n",
    )
    .unwrap();
    let c = cfg.display().to_string();
    let photo = sample("skin-lesion/benign/25.jpg");
    let o = onemed(&["--config", &c, "analyze", "--tool", "skin-lesion", &photo]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("line 1: max_attempts"), "{err}");
    assert!(err.contains("line 4: gate_margin.skin-lesion"), "{err}");

    // Not TOML at all: the register's folder is unknown, so nothing opens one.
    std::fs::write(&cfg, "data_dir = [\n").unwrap();
    let out = d.path().join("export");
    std::fs::create_dir(&out).unwrap();
    let o = onemed(&["--config", &c, "export", out.to_str().unwrap()]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("register cannot be opened"),
        "{}",
        text(&o.stderr)
    );
    let o = onemed(&[
        "--config",
        &c,
        "screen",
        "--patient",
        "P-9",
        "--tool",
        "skin-lesion",
        &photo,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--data"), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        "data_dir = [\n",
        "the file is kept"
    );
}

/// `onemed` run under `umask 022`, as a careless service or shell would.
fn onemed_umask_022(args: &[&str]) -> Output {
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_onemed"))
        .args(args)
        .env("ONEMED_MODELS", common::models_dir())
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("onemed-test-cache"),
        )
        .env_remove("ONEMED_CONFIG")
        .env("CREDENTIALS_DIRECTORY", common::credentials())
        .output()
        .expect("onemed runs");
    assert_no_panic(&o);
    o
}

/// Every folder and file under `dir` with its permission bits.
fn modes_under(dir: &Path) -> Vec<(PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        out.push((
            d.clone(),
            std::fs::metadata(&d).unwrap().permissions().mode() & 0o777,
        ));
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((
                    p.clone(),
                    std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                ));
            }
        }
    }
    out
}

#[test]
fn the_data_folder_is_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let data_s = data.display().to_string();
    let photo = sample("skin-lesion/benign/25.jpg");
    let screen = |args: &[&str]| {
        let mut all = vec!["screen", "--data", data_s.as_str(), "--patient", "P-U"];
        all.extend_from_slice(args);
        onemed_umask_022(&all)
    };
    assert_eq!(
        screen(&["--tool", "skin-lesion", &photo]).status.code(),
        Some(0)
    );
    // An earlier version (or a technician) left the register readable by all.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = data.join("register.sqlite3");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        screen(&["--tool", "skin-lesion", &photo]).status.code(),
        Some(0)
    );
    let o = screen(&["--finish"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let modes = modes_under(&data);
    assert!(modes.len() >= 5, "{modes:?}");
    for (p, mode) in &modes {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{} is {mode:o}", p.display());
    }
}
