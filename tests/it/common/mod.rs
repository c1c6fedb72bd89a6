//! Fixture helpers shared by the integration tests: where ../shared lives and
//! what the reference says.
#![allow(dead_code)]

pub mod kiosk;
pub mod layout;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared folder beside the checkout (`ONEMED_SHARED` overrides).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("ONEMED_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

pub fn datasets_dir() -> PathBuf {
    shared_dir().join("datasets")
}

pub fn models_dir() -> PathBuf {
    shared_dir().join("models")
}

/// The tests' register secret (systemd would hand the kiosk a random one).
pub const TEST_SECRET: [u8; 32] = *b"onemed-tests-register-key-32-byt";

/// A folder holding `register-key`, as `$CREDENTIALS_DIRECTORY` does under
/// systemd: one per test process.
pub fn credentials() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap().keep();
        std::fs::write(d.join("register-key"), TEST_SECRET).unwrap();
        d
    })
    .clone()
}

/// The protection the test kiosk and commands get from [`credentials`].
pub fn protection() -> onemed::records::Protection {
    onemed::records::Protection::Encrypted(
        onemed::records::RegisterKey::from_secret(&TEST_SECRET).unwrap(),
    )
}

/// A bare SQLite connection to a test register's database file, unlocked
/// with the tests' key (for tests that change rows behind the store's back).
pub fn raw_register(db: impl AsRef<Path>) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).unwrap();
    onemed::records::schema::unlock(&conn, &protection()).expect("the test key opens it");
    conn
}

/// The head office's age key pair: the identity file, and the sealing the
/// kiosk gets from its public half.
pub struct Programme {
    pub dir: tempfile::TempDir,
    pub public: String,
}

impl Programme {
    pub fn new() -> Programme {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("age-keygen")
            .arg("-o")
            .arg(dir.path().join("key.txt"))
            .output()
            .expect("age-keygen (Debian package age) runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let key = std::fs::read_to_string(dir.path().join("key.txt")).unwrap();
        let public = key
            .lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .unwrap()
            .to_string();
        Programme { dir, public }
    }

    pub fn sealing(&self) -> onemed::export::Sealing {
        onemed::export::Sealing::new(std::slice::from_ref(&self.public), false).unwrap()
    }

    /// Opens an export as the head office does: `age -d -i key.txt FILE | tar x`.
    pub fn open(&self, export: &Path) -> PathBuf {
        let into = self.dir.path().join("opened");
        std::fs::create_dir_all(&into).unwrap();
        let status = Command::new("sh")
            .arg("-c")
            .arg("age -d -i \"$1\" \"$2\" | tar -x -C \"$3\"")
            .arg("sh")
            .arg(self.dir.path().join("key.txt"))
            .arg(export)
            .arg(&into)
            .status()
            .unwrap();
        assert!(status.success(), "age | tar failed on {}", export.display());
        let name = export.file_name().unwrap().to_string_lossy();
        into.join(name.strip_suffix(".tar.age").unwrap())
    }
}

/// Opens a test register with the tests' key.
pub fn open_store(data: &Path) -> onemed::records::Store {
    onemed::records::Store::open(data, &protection()).expect("the register opens")
}

/// One image of `refdata/reference.json`.
#[derive(Debug, Clone)]
pub struct RefImage {
    pub file: PathBuf,
    pub rel: String,
    pub true_class: String,
    pub fitted_sha256: String,
    pub crop_box: [f64; 4],
    /// (model id, probabilities)
    pub models: Vec<(String, Vec<f64>)>,
}

pub fn reference() -> Vec<RefImage> {
    let path = shared_dir().join("refdata/reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).expect("reference.json parses");
    v["images"]
        .as_array()
        .expect("images array")
        .iter()
        .map(|img| {
            let rel = img["file"].as_str().unwrap().to_string();
            let b: Vec<f64> = img["fit_crop_box"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            RefImage {
                file: datasets_dir().join(&rel),
                rel,
                true_class: img["true_class"].as_str().unwrap().to_string(),
                fitted_sha256: img["fitted_rgb_sha256"].as_str().unwrap().to_string(),
                crop_box: [b[0], b[1], b[2], b[3]],
                models: img["models"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, m)| {
                        let p = m["probabilities"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x.as_f64().unwrap())
                            .collect();
                        (k.clone(), p)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Runs the `onemed` binary with the shared models and a private cache.
pub fn onemed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onemed"))
        .args(args)
        .env("ONEMED_MODELS", models_dir())
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("onemed-test-cache"),
        )
        .env_remove("ONEMED_CONFIG")
        .env("CREDENTIALS_DIRECTORY", credentials())
        .output()
        .expect("onemed runs")
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A copy of the five tools' model files, leaving out the one file `skip`
/// (e.g. `skin-lesion/model.bin`).
pub fn models_copy(skip: &Path) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for tool in [
        "cataract",
        "diabetic-retinopathy",
        "redness",
        "skin-lesion",
        "covid-ct",
    ] {
        let dst = d.path().join(tool);
        std::fs::create_dir_all(&dst).unwrap();
        for f in ["model.xml", "model.bin"] {
            let src = models_dir().join(tool).join(f);
            if !src.ends_with(skip) {
                std::fs::copy(&src, dst.join(f)).unwrap();
            }
        }
    }
    d
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// One PNG chunk, with its CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let body = [kind, data].concat();
    let len = (data.len() as u32).to_be_bytes();
    [&len[..], &body, &crc32(&body).to_be_bytes()].concat()
}

/// A PNG (signature, IHDR with a correct CRC) claiming `w` x `h` RGB pixels,
/// with this IDAT and an IEND when given.
pub fn png_claiming(w: u32, h: u32, idat: Option<&[u8]>) -> Vec<u8> {
    let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
    let mut v = [&b"\x89PNG\r\n\x1a\n"[..], &png_chunk(b"IHDR", &ihdr)].concat();
    if let Some(d) = idat {
        v.extend([png_chunk(b"IDAT", d), png_chunk(b"IEND", &[])].concat());
    }
    v
}

/// The inputs fuzzing found (`tests/regressions/<target>/`), named
/// `<target>/<file>`, as the fuzz target saw them: a `dicom` input without a
/// preamble and `DICM` gets them put in front.
pub fn fuzz_regressions() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut out = Vec::new();
    for target in ["decode_image", "dicom"] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        paths.sort();
        for p in paths.iter().filter(|p| p.is_file()) {
            let mut bytes = std::fs::read(p).unwrap();
            if target == "dicom" && !onemed::decode::dicom::is_dicom(&bytes) {
                bytes = [&[0u8; 128][..], b"DICM", &bytes].concat();
            }
            let name = format!("{target}/{}", p.file_name().unwrap().to_string_lossy());
            out.push((name, bytes));
        }
    }
    assert!(!out.is_empty(), "no inputs under {}", root.display());
    out
}

/// A real pseudo-terminal pair from `socat`, linked at `dev` (what the kiosk
/// opens) and `peer` (where a test plays the device); returns once both exist.
pub fn pty_pair(dev: &Path, peer: &Path) -> std::process::Child {
    let _ = std::fs::remove_file(dev);
    let _ = std::fs::remove_file(peer);
    let child = Command::new("socat")
        .args(["-d", "-d"])
        .arg(format!("pty,raw,echo=0,link={}", dev.display()))
        .arg(format!("pty,raw,echo=0,link={}", peer.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("socat is installed (make deps)");
    let t0 = std::time::Instant::now();
    while !(dev.exists() && peer.exists()) {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "socat made no ptys"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The checkout (where `scripts/` and `.bench-venv` are).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a command that must succeed; its output is in the failure.
pub fn run_ok(cmd: &mut Command) {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The bench venv's Python (`make bench-venv`), checked to import `modules`
/// (e.g. `"PIL"`, `"pydicom, pylibjpeg, openjpeg"`): a missing venv fails the
/// test saying how to make it, never skips it.
pub fn bench_python(modules: &str) -> PathBuf {
    let py = repo().join(".bench-venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import {modules}: run `make bench-venv`",
        py.display()
    );
    py
}

/// Writes the CT phantom (`scripts/ct_phantom.py`, with `args`) into `out`;
/// it needs the bench venv's pydicom and dcmtk (`make deps`).
pub fn ct_phantom(out: &Path, args: &[&str]) {
    let py = bench_python("pydicom, pylibjpeg, openjpeg");
    assert!(
        Command::new("dcmconv").arg("--version").output().is_ok(),
        "dcmtk is missing: run `make deps` (Debian dcmtk)"
    );
    run_ok(
        Command::new(py)
            .arg(repo().join("scripts/ct_phantom.py"))
            .arg("--out")
            .arg(out)
            .args(args),
    );
}
