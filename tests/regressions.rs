//! The inputs fuzzing found (`tests/regressions/<target>/`) replayed in
//! process with every allocation counted: each must be refused, and refused
//! cheaply. Several of them were not crashes but decompression bombs of a
//! kind: a few hundred bytes that made the DICOM parser allocate a gigabyte
//! before failing, which on the kiosk (and in the fuzzer) is a slow unit or an
//! out-of-memory kill. `tests/corpus.rs` replays the same files through
//! `onemed analyze` for the error line.
//!
//! One test in this binary, so no other test thread allocates meanwhile.

#[path = "it/common/mod.rs"]
mod common;

use onemed::decode::{self, dicom, Limits};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Counts the bytes allocated now and the most at any moment.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = NOW.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is passed to the system allocator unchanged; only the
// counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            NOW.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most a refused input of a few kilobytes may cost: a 224x224 fit and a
/// parsed header are well under a megabyte; the bombs cost over 800 MB.
const BUDGET: usize = 64 << 20;

/// Runs `f`, returning its result and the most it allocated at once.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = NOW.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = f();
    (out, PEAK.load(Relaxed).saturating_sub(base))
}

#[test]
fn fuzz_findings_are_refused_without_a_large_allocation() {
    let limits = Limits::default();
    let mut problems = Vec::new();
    for (name, bytes) in common::fuzz_regressions() {
        let (prepared, peak) =
            peak_of(|| onemed::preprocess::prepare(&bytes, &limits, 224).map(|_| ()));
        let (decoded, peak_decode) = peak_of(|| decode::decode(&bytes, &limits).map(|_| ()));
        // The CT-series paths the fuzz target walks too: the header facts,
        // and each frame of a file opened as a CT (first, second, last).
        let (_, peak_series) = peak_of(|| {
            let _ = dicom::series_facts(&bytes);
            if let Ok(file) = dicom::CtFile::open(&bytes, &limits) {
                let last = file.frames() - 1;
                for f in [0, 1.min(last), last] {
                    let _ = file.hounsfield(f);
                }
            }
        });
        let peak = peak.max(peak_decode).max(peak_series);
        eprintln!(
            "{name}: {} bytes, peak {} kB, {}",
            bytes.len(),
            peak / 1000,
            match &prepared {
                Ok(()) => "analysed".to_string(),
                Err(e) => e.to_string(),
            }
        );
        if prepared.is_ok() || decoded.is_ok() {
            problems.push(format!("{name}: decoded, but it is not a valid image"));
        }
        if peak > BUDGET {
            problems.push(format!(
                "{name}: {:.0} MB allocated at once to refuse {} bytes",
                peak as f64 / 1e6,
                bytes.len()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
