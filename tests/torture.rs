//! The kill test (its own binary, `harness = false`): this binary, run as
//! `torture writer …`, saves records in a loop through the real register
//! code, printing `SAVED <id> <sha256>` after each save returns (the moment
//! the kiosk would show the result), and is SIGKILLed at random points. After each kill the register must pass SQLite's integrity
//! check and every printed record must be there with its image file and a
//! matching sha256. `ONEMED_TORTURE_ITERATIONS` raises the 200 kills.

#[path = "it/common/mod.rs"]
mod common;
#[path = "it/records/support.rs"]
mod support;

use onemed::analysis::Analysis;
use onemed::records::{ImageData, NewRecord, NewVisit, Shown, Store};
use std::io::{Read, Write};
use std::path::Path;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};
use support::*;

/// xorshift64*: reproducible random delays without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Parses the complete `SAVED` lines (a line cut by the kill is not shown).
fn saved_lines(out: &str) -> Vec<(i64, String)> {
    let complete = match out.rfind('\n') {
        Some(i) => &out[..=i],
        None => "",
    };
    complete
        .lines()
        .map(|l| {
            let mut w = l.split(' ');
            assert_eq!(w.next(), Some("SAVED"), "unexpected line {l:?}");
            let id = w.next().and_then(|s| s.parse().ok()).expect("an id");
            let sha = w.next().expect("a sha256").to_string();
            (id, sha)
        })
        .collect()
}

/// Every shown record is in the register with its image; with `hash`, the
/// image's sha256 is checked too (else its size: the periodic checks stay
/// cheap when ONEMED_TORTURE_ITERATIONS is large).
fn verify(data: &Path, shown: &[(i64, String)], hash: bool) {
    let store =
        Store::open(data, &crate::common::protection()).expect("the register opens after a kill");
    store.integrity_check().expect("integrity_check = ok");
    for (id, sha) in shown {
        let r = store
            .record(*id)
            .unwrap()
            .unwrap_or_else(|| panic!("record {id} was shown but is not in the register"));
        assert_eq!(&r.image_sha256, sha, "record {id}");
        let path = store.image_path(&r);
        let meta = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("record {id}: image {}: {e}", path.display()));
        assert_eq!(
            meta.len(),
            r.image_bytes + onemed::records::sealed::OVERHEAD as u64,
            "record {id}: sealed image size"
        );
        if hash {
            assert_eq!(
                &sha256_hex(&store.read_image(&r).unwrap()),
                sha,
                "record {id}: image does not match its hash"
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("writer") {
        return writer(&args[1..]);
    }
    // `cargo test` passes libtest's options (a filter, --nocapture): the one
    // test runs unless a filter names something else.
    let filter = args.iter().find(|a| !a.starts_with('-'));
    if filter
        .is_some_and(|f| !"killed_at_random_points_no_shown_result_is_lost".contains(f.as_str()))
    {
        println!("running 0 tests (filtered out)");
        return;
    }
    println!("running 1 test");
    killed_at_random_points_no_shown_result_is_lost();
    println!("test killed_at_random_points_no_shown_result_is_lost ... ok");
    println!("\ntest result: ok. 1 passed; 0 failed");
}

/// The writer the test kills: `writer <data dir> <analysis.json> <image>
/// [count]`. Opens the register, starts a visit and saves the same record
/// in a loop, printing `SAVED <id> <sha256>` (flushed) after each save.
fn writer(args: &[String]) {
    let [data, analysis, image, rest @ ..] = args else {
        panic!("usage: torture writer DATA ANALYSIS IMAGE [COUNT]");
    };
    let count: Option<u64> = rest.first().map(|c| c.parse().expect("a count"));
    let analysis: Analysis =
        serde_json::from_str(&std::fs::read_to_string(analysis).unwrap()).unwrap();
    let image = PathBuf::from(image);
    let bytes = std::fs::read(&image).unwrap();
    let ext = onemed::records::file_ext(&image);
    let mut store = Store::open(Path::new(data), &common::protection()).unwrap();
    let visit = store
        .start_visit(&NewVisit {
            kiosk_id: "torture".into(),
            operator: "test".into(),
            patient_id: format!("TORTURE-{}", std::process::id()),
            age: None,
            sex: None,
            language: onemed::i18n::Lang::En,
        })
        .unwrap();
    let record = NewRecord {
        visit,
        eye: None,
        source: "import:torture.jpg".into(),
        image: ImageData::Encoded { bytes, ext },
        shown: Shown {
            kind: onemed::screening::ResultKind::Retake,
            headline: analysis.headline.clone(),
            advice: analysis.advice.clone(),
        },
        analysis,
    };
    let stdout = std::io::stdout();
    let mut n = 0u64;
    while count.map_or(true, |c| n < c) {
        let saved = store.save(&record).unwrap();
        let mut out = stdout.lock();
        writeln!(out, "SAVED {} {}", saved.id, saved.image_sha256).unwrap();
        out.flush().unwrap();
        n += 1;
    }
}

fn torture_cmd(data: &Path, analysis: &Path, image: &Path) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("this binary"));
    c.arg("writer")
        .arg(data)
        .arg(analysis)
        .arg(image)
        .env_remove("ONEMED_CONFIG")
        .env("CREDENTIALS_DIRECTORY", crate::common::credentials());
    c
}

fn killed_at_random_points_no_shown_result_is_lost() {
    let iterations: usize = std::env::var("ONEMED_TORTURE_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
        .max(200);
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let analysis_file = d.path().join("analysis.json");
    std::fs::write(&analysis_file, serde_json::to_string(&analysis()).unwrap()).unwrap();
    let image = skin_jpeg();
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("torture: {iterations} kills, seed {seed}");
    let mut rng = Rng(seed);
    // Calibrate: how long a start plus a few saves takes on this disk, so the
    // kills land before, between and inside saves.
    let t = Instant::now();
    let cal = torture_cmd(&data, &analysis_file, &image)
        .arg("4")
        .output()
        .unwrap();
    assert!(
        cal.status.success(),
        "{}",
        String::from_utf8_lossy(&cal.stderr)
    );
    let mut window_us = (t.elapsed().as_micros() as u64).clamp(20_000, 400_000);
    let calibration = saved_lines(&String::from_utf8_lossy(&cal.stdout));
    assert_eq!(calibration.len(), 4);
    verify(&data, &calibration, true);
    eprintln!("torture: start + 4 saves take {} ms", window_us / 1000);
    let mut shown: Vec<(i64, String)> = Vec::new();
    let (mut kills_mid_run, t0) = (0, Instant::now());
    for i in 0..iterations {
        let mut child = torture_cmd(&data, &analysis_file, &image)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("onemed starts");
        // A few kills right away, the rest at random points of the save loop.
        let delay_us = if i % 25 == 0 { 0 } else { rng.below(window_us) };
        std::thread::sleep(Duration::from_micros(delay_us));
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(
            still_running,
            "the torture worker ended by itself: {status:?} {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        kills_mid_run += 1;
        let new = saved_lines(&out);
        // The disk's speed varies (other tests, the VM): keep the window
        // where kills land around the first few saves.
        if delay_us > 0 {
            window_us = match new.len() {
                0 => (window_us * 5 / 4).min(2_000_000),
                n if n > 3 => (window_us * 4 / 5).max(10_000),
                _ => window_us,
            };
        }
        verify(&data, &new, true);
        shown.extend(new);
        if i % 20 == 19 {
            verify(&data, &shown, false);
        }
    }
    verify(&data, &shown, true);
    eprintln!(
        "torture: {kills_mid_run} kills, {} results shown and all intact, {:.1} s \
         (final kill window {} ms)",
        shown.len(),
        t0.elapsed().as_secs_f64(),
        window_us / 1000
    );
    assert!(
        shown.len() >= iterations / 4,
        "too few saves between kills ({}) to test anything",
        shown.len()
    );

    // Later, the crash leftovers (temp files, images whose row never
    // committed) are cleaned at open, and nothing recorded is touched.
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for f in files_under(&data.join("images")) {
        let file = std::fs::File::options().write(true).open(&f).unwrap();
        file.set_modified(hour_ago).unwrap();
    }
    let store = Store::open(&data, &crate::common::protection()).unwrap();
    let records = store.records_since(None).unwrap();
    assert!(records.len() >= shown.len());
    let mut on_disk = files_under(&data.join("images"));
    let mut expected: Vec<_> = records.iter().map(|r| store.image_path(r)).collect();
    on_disk.sort();
    expected.sort();
    assert_eq!(
        on_disk, expected,
        "leftovers remain, or a recorded image is gone"
    );
    for r in &records {
        assert_eq!(sha256_hex(&store.read_image(r).unwrap()), r.image_sha256);
    }
}
