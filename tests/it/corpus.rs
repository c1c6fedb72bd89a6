//! Bad input at scale, as a kiosk gets it from USB sticks: over a thousand
//! malformed files, made deterministically (own PRNG, fixed seed) from the real
//! sample images and from synthetic headers, run through the real `onemed
//! analyze` in batches. Every file gets exactly one line (a result on stdout
//! or a one-line error on stderr naming it), no process panics, dies from a
//! signal or outlives its time limit, and no file that is not a valid image
//! passes for one. The crash inputs found by fuzzing (`tests/regressions/`)
//! are replayed the same way.

use crate::common;
mod malformed;

use malformed::{absurd_sizes, bases, encode, mutations, Rng};
use onemed::decode::{self, Limits};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What `onemed analyze` must do with a file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A valid image (perhaps misnamed): a result line on stdout.
    Valid,
    /// Not a valid image: an error line, containing this text (lower case) if given.
    Error(Option<&'static str>),
    /// A mutation that may still be an image: what `preprocess::prepare` says
    /// in this process (a result, or an error line with its message).
    Either,
}
use Expect::{Either, Error, Valid};

/// The files, each named `cNNNN-<what>.<ext>` so that its line can be found.
struct Corpus {
    dir: tempfile::TempDir,
    cases: Vec<(PathBuf, Expect)>,
}

impl Corpus {
    fn add(&mut self, what: &str, ext: &str, bytes: &[u8], expect: Expect) {
        self.make(what, ext, |p| std::fs::write(p, bytes).unwrap(), expect);
    }
    fn make(&mut self, what: &str, ext: &str, make: impl FnOnce(&Path), expect: Expect) {
        let p = self
            .dir
            .path()
            .join(format!("c{:04}-{what}.{ext}", self.cases.len()));
        make(&p);
        self.cases.push((p, expect));
    }
}

fn build_corpus() -> Corpus {
    let mut c = Corpus {
        dir: tempfile::tempdir().unwrap(),
        cases: Vec::new(),
    };
    let mut rng = Rng(0x0E3E_D15C_2024);
    let (bases, fundus) = bases();
    for b in &bases {
        mutations(&mut c, &mut rng, b);
    }
    for n in [1000, 300_000, fundus.len() / 2, fundus.len() - 3] {
        c.add(
            &format!("fundus-cut{n}"),
            "jpg",
            &fundus[..n],
            Error(Some("truncated")),
        );
    }
    // Wrong names for valid files, and wrong contents for names.
    for b in bases
        .iter()
        .filter(|b| !["eye", "ct", "dcmjpeg"].contains(&b.name))
    {
        for ext in ["jpg", "png", "dcm"].iter().filter(|e| **e != b.ext) {
            c.add(&format!("{}-named", b.name), ext, &b.bytes, Valid);
        }
    }
    let mr = std::fs::read(common::datasets_dir().join("dicom/MR_small.dcm")).unwrap();
    c.add("mr-named", "png", &mr, Error(Some("(mr), not ct")));
    for ext in ["jpg", "png", "dcm", "tif"] {
        let text = b"Patient list\nRamesh, 54\nnot an image\n";
        c.add("text", ext, text, Error(Some("not an image")));
        c.add("empty", ext, b"", Error(Some("empty")));
    }
    for i in 0..24 {
        let mut m: Vec<u8> = (0..1 + rng.below(5000)).map(|_| rng.next() as u8).collect();
        m[0] = b'#'; // never a signature
        c.add(
            &format!("noise{i}"),
            ["jpg", "png", "dcm"][i % 3],
            &m,
            Error(Some("not an image")),
        );
    }
    let magics: [(&str, &[u8]); 7] = [
        ("jpg", b"\xFF\xD8\xFF"),
        ("png", b"\x89PNG\r\n\x1a\n"),
        ("bmp", b"BM"),
        ("tif", b"II*\0"),
        ("tif", b"MM\0*"),
        ("gif", b"GIF89a"),
        ("webp", b"RIFF\0\0\0\0WEBP"),
    ];
    for (ext, magic) in magics {
        for i in 0..5 {
            let noise = (0..30 + rng.below(3000)).map(|_| rng.next() as u8);
            c.add(
                &format!("magic{i}"),
                ext,
                &magic.iter().copied().chain(noise).collect::<Vec<u8>>(),
                Error(None),
            );
        }
    }
    c.add(
        "dicm-only",
        "dcm",
        &[&[0u8; 128][..], b"DICM"].concat(),
        Error(None),
    );
    let ct = &bases.iter().find(|b| b.name == "dcmct").unwrap().bytes;
    absurd_sizes(&mut c, &bases[0].bytes, ct);
    for (w, h) in [(1, 1), (15, 15), (16, 15), (400, 2)] {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([90, 60, 50]));
        let png = encode(image::DynamicImage::ImageRgb8(img), image::ImageFormat::Png);
        c.add(
            &format!("small-{w}x{h}"),
            "png",
            &png,
            Error(Some("too small")),
        );
    }
    specials(&mut c);
    c
}

/// Not files at all, or files that must not be read.
fn specials(c: &mut Corpus) {
    let sparse = |len: u64| move |p: &Path| std::fs::File::create(p).unwrap().set_len(len).unwrap();
    let link = |to: &'static str| move |p: &Path| std::os::unix::fs::symlink(to, p).unwrap();
    let not_regular = Error(Some("not a regular file"));
    c.make(
        "sparse-257mb",
        "jpg",
        sparse(decode::MAX_FILE_BYTES + 1),
        Error(Some("too large")),
    );
    c.make(
        "sparse-1tb",
        "dcm",
        sparse(1 << 40),
        Error(Some("too large")),
    );
    c.make(
        "folder",
        "jpg",
        |p| std::fs::create_dir(p).unwrap(),
        Error(Some("folder")),
    );
    c.make("dev-zero", "png", link("/dev/zero"), not_regular);
    c.make("dev-null", "jpg", link("/dev/null"), not_regular);
    c.make(
        "dangling",
        "jpg",
        link("/nonexistent/onemed.jpg"),
        Error(Some("cannot read")),
    );
    let fifo = |p: &Path| assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
    c.make("fifo", "jpg", fifo, not_regular);
    let good = c.cases.iter().find(|(_, e)| *e == Valid).unwrap().0.clone();
    c.make(
        "link-to-image",
        "png",
        |p| std::os::unix::fs::symlink(good, p).unwrap(),
        Valid,
    );
}

const TOOLS: [&str; 5] = [
    "covid-ct",
    "skin-lesion",
    "cataract",
    "diabetic-retinopathy",
    "redness",
];
const BATCH: usize = 300;
const BATCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Address space per process: a runaway allocation (a device read forever, a
/// damaged length) aborts the process and fails the test instead of taking
/// the machine's memory. The models and a 50-megapixel image fit well within.
const MAX_MEMORY_KB: u64 = 2 << 20;

/// Runs `onemed analyze --json --tool <tool>` on the files with the shared
/// models, killing it (and failing) if it outlives [`BATCH_TIMEOUT`].
fn analyze(tool: &str, files: &[PathBuf], out: &Path) -> (ExitStatus, String, String) {
    let (o, e) = (out.with_extension("out"), out.with_extension("err"));
    let mut child = Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -v {MAX_MEMORY_KB} && exec \"$0\" \"$@\""),
        ])
        .arg(env!("CARGO_BIN_EXE_onemed"))
        .args(["analyze", "--json", "--tool", tool])
        .args(files)
        .env("ONEMED_MODELS", common::models_dir())
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("onemed-test-cache"),
        )
        .env_remove("ONEMED_CONFIG")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > BATCH_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            let first = files[0].display();
            panic!(
                "onemed analyze --tool {tool} on {} files from {first} hung: killed",
                files.len()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    (status, read(&o), read(&e))
}

/// What this process's own decoder says about a regular file.
fn in_process(path: &Path) -> std::result::Result<(), String> {
    let bytes = decode::read_file(path).map_err(|e| e.to_string())?;
    let prepared = onemed::preprocess::prepare(&bytes, &Limits::default(), 224);
    prepared
        .map(|_| ())
        .map_err(|e| e.to_string().to_lowercase())
}

/// Runs the cases in batches, two processes at a time, and checks every file's line.
fn check_all(cases: &[(PathBuf, Expect)], scratch: &Path) {
    let batches: Vec<(usize, &[(PathBuf, Expect)])> = cases.chunks(BATCH).enumerate().collect();
    let failures: Vec<String> = std::thread::scope(|s| {
        let lanes: Vec<_> = (0..2)
            .map(|lane| {
                let mine: Vec<_> = batches.iter().filter(|(i, _)| i % 2 == lane).collect();
                s.spawn(move || {
                    let mut failures = Vec::new();
                    for &(i, batch) in mine {
                        let tool = TOOLS[i % TOOLS.len()];
                        let files: Vec<PathBuf> = batch.iter().map(|(p, _)| p.clone()).collect();
                        let (status, out, err) =
                            analyze(tool, &files, &scratch.join(format!("batch{i}")));
                        failures.extend(check_batch(tool, batch, status, &out, &err));
                    }
                    failures
                })
            })
            .collect();
        lanes.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let n = failures.len();
    assert!(
        failures.is_empty(),
        "{n} failures:\n{}",
        failures.join("\n")
    );
}

/// The problems with one batch's output, one line each.
fn check_batch(
    tool: &str,
    batch: &[(PathBuf, Expect)],
    status: ExitStatus,
    out: &str,
    err: &str,
) -> Vec<String> {
    let mut f = Vec::new();
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        f.push(format!("{tool}: a panic:\n{err}"));
    }
    let refused = batch.iter().any(|(_, e)| matches!(e, Error(_)));
    if !matches!(status.code(), Some(0 | 1)) || (refused && status.code() != Some(1)) {
        f.push(format!("{tool}: exit status {status}\n{err}"));
    }
    for (path, expect) in batch {
        let name = path.file_name().unwrap().to_string_lossy();
        let tag = format!("/{}", &name[..6]); // "/c0123-"
        let results: Vec<&str> = out.lines().filter(|l| l.contains(&tag)).collect();
        let errors: Vec<&str> = err.lines().filter(|l| l.contains(&tag)).collect();
        if results.len() + errors.len() != 1 {
            f.push(format!(
                "{name}: {} results, {} errors",
                results.len(),
                errors.len()
            ));
            continue;
        }
        let error = errors.first().map(|l| l.to_lowercase());
        let problem = match (*expect, &error) {
            (Valid, Some(e)) => Some(format!("a valid image was refused: {e}")),
            (Error(_), None) => Some(format!("not an image, yet analysed: {}", results[0])),
            (Error(Some(word)), Some(e)) if !e.contains(word) => {
                Some(format!("{e:?} should say {word:?}"))
            }
            (Either, _) => match (in_process(path), &error) {
                (Ok(()), Some(e)) => Some(format!("decodes here, refused by onemed: {e}")),
                (Err(here), None) => Some(format!("refused here ({here}), analysed by onemed")),
                (Err(here), Some(e)) if !e.contains(&here) => {
                    Some(format!("{e:?} should say {here:?}"))
                }
                _ => None,
            },
            _ => None,
        };
        let prefix = format!("onemed: {}: ", path.display()).to_lowercase();
        let unclear = error
            .as_ref()
            .filter(|e| !e.starts_with(&prefix) || e.len() <= prefix.len() + 3);
        f.extend(
            problem
                .into_iter()
                .chain(unclear.map(|e| format!("error line {e:?}")))
                .map(|p| format!("{name}: {p}")),
        );
    }
    f
}

#[test]
fn a_thousand_malformed_files_each_get_one_clean_line() {
    let t0 = Instant::now();
    let corpus = build_corpus();
    let n = corpus.cases.len();
    assert!(n >= 1000, "only {n} files");
    let count = |f: fn(&Expect) -> bool| corpus.cases.iter().filter(|(_, e)| f(e)).count();
    let (bad, valid) = (count(|e| matches!(e, Error(_))), count(|e| *e == Valid));
    let made = t0.elapsed().as_secs_f64();
    eprintln!(
        "corpus: {n} files ({bad} invalid, {valid} valid, {} mutations) made in {made:.1} s",
        n - bad - valid
    );
    check_all(&corpus.cases, corpus.dir.path());
    eprintln!("corpus: all checked in {:.1} s", t0.elapsed().as_secs_f64());
}

#[test]
fn fuzz_regressions_get_a_clean_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for (name, bytes) in common::fuzz_regressions() {
        let copy = dir
            .path()
            .join(format!("c{:04}-{}", cases.len(), name.replace('/', "-")));
        std::fs::write(&copy, bytes).unwrap();
        cases.push((copy, Error(None)));
    }
    check_all(&cases, dir.path());
}
