//! The CT phantom (`scripts/ct_phantom.py`: 12 slices of 128 x 128, each
//! series once as single-slice files and once as one multi-frame file) in
//! every transfer syntax the kiosk reads, checked value for value against
//! pydicom (`scripts/dicom_reference.py`): the Hounsfield units against
//! `apply_modality_lut(ds.pixel_array, ds)` and the lung-windowed grey against
//! numpy's own reading of the DICOM linear window. Lossless syntaxes must be
//! exact; the lossy ones (JPEG 2000 lossy, JPEG-LS near-lossless) are decoded
//! from the same stream by both, and must agree within 1 HU (they agree
//! exactly: OpenJPEG and CharLS on both sides).
//!
//! Needs the bench venv (`make bench-venv`: pydicom and its codecs) and
//! dcmtk (`make deps`); without them the tests fail saying so, never skip.

use onemed::decode::dicom::{self, CtFile, DicomOptions};
use onemed::decode::{self, DecodeError, Limits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{bench_python, ct_phantom, files_under, repo, run_ok};

const SLICES: usize = 12;
const SIZE: usize = 128;
const LOSSY: [&str; 2] = ["1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.81"];

/// One file of the phantom and pydicom's reading of it.
struct Reference {
    file: PathBuf,
    syntax: String,
    frames: usize,
    hu: Vec<f64>,
    lung: Vec<u8>,
}

/// The phantom, generated once for this test binary, and pydicom's reading.
struct Phantom {
    _dir: tempfile::TempDir,
    out: PathBuf,
    files: Vec<Reference>,
    generate_secs: f64,
}

fn phantom() -> &'static Phantom {
    static P: OnceLock<Phantom> = OnceLock::new();
    P.get_or_init(|| {
        let py = bench_python("pydicom, pylibjpeg, openjpeg, jpeg_ls, libjpeg");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("phantom");
        let t = std::time::Instant::now();
        let n = SLICES.to_string();
        let size = SIZE.to_string();
        let common = ["--syntax", "all", "--slices", &n, "--size", &size];
        ct_phantom(&out, &common);
        ct_phantom(
            &out,
            &[&common[..], &["--multiframe", "--dicomdir"]].concat(),
        );
        let generate_secs = t.elapsed().as_secs_f64();
        let paths: Vec<PathBuf> = files_under(&out)
            .into_iter()
            .filter(|p| !p.ends_with("DICOMDIR"))
            .collect();
        let refs = dir.path().join("reference");
        run_ok(
            Command::new(&py)
                .arg(repo().join("scripts/dicom_reference.py"))
                .arg(&refs)
                .args(&paths),
        );
        let manifest: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(refs.join("manifest.json")).unwrap()).unwrap();
        let files = manifest
            .iter()
            .map(|m| {
                let k = m["k"].as_u64().unwrap();
                let hu = std::fs::read(refs.join(format!("{k}.hu"))).unwrap();
                Reference {
                    file: PathBuf::from(m["file"].as_str().unwrap()),
                    syntax: m["syntax"].as_str().unwrap().to_string(),
                    frames: m["frames"].as_u64().unwrap() as usize,
                    hu: hu
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                    lung: std::fs::read(refs.join(format!("{k}.lung"))).unwrap(),
                }
            })
            .collect();
        Phantom {
            _dir: dir,
            out,
            files,
            generate_secs,
        }
    })
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn every_syntax_gives_pydicoms_hounsfield_units_and_lung_window() {
    let p = phantom();
    let t = std::time::Instant::now();
    let px = SIZE * SIZE;
    // syntax -> (files, frames, largest |HU - pydicom's|)
    let mut seen: BTreeMap<String, (usize, usize, f64)> = BTreeMap::new();
    for r in &p.files {
        let name = r.file.strip_prefix(&p.out).unwrap().display().to_string();
        let bytes = read(&r.file);
        let file =
            CtFile::open(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file.header().transfer_syntax, r.syntax, "{name}");
        assert_eq!(file.frames() as usize, r.frames, "{name}");
        assert_eq!(r.hu.len(), r.frames * px, "{name}");
        let lossy = LOSSY.contains(&r.syntax.as_str());
        let entry = seen.entry(r.syntax.clone()).or_default();
        entry.0 += 1;
        for f in 0..r.frames {
            let hu = file
                .hounsfield(f as u32)
                .unwrap_or_else(|e| panic!("{name} frame {f}: {e}"));
            assert_eq!((hu.width, hu.height), (SIZE, SIZE), "{name}");
            let want = &r.hu[f * px..(f + 1) * px];
            let worst = hu
                .hu
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            entry.1 += 1;
            entry.2 = entry.2.max(worst);
            if lossy {
                assert!(worst <= 1.0, "{name} frame {f}: {worst} HU from pydicom");
            } else {
                assert_eq!(hu.hu, want, "{name} frame {f}: HU");
            }
            let grey = file.grey(f as u32, &DicomOptions::default()).unwrap();
            let ours: Vec<u8> = grey.data().chunks_exact(3).map(|c| c[0]).collect();
            if !lossy || worst == 0.0 {
                assert_eq!(
                    ours,
                    &r.lung[f * px..(f + 1) * px],
                    "{name} frame {f}: lung window"
                );
            }
            // The one-picture path gives the same frame for a single slice,
            // and refuses a volume.
            if f == 0 {
                match decode::decode(&bytes, &Limits::default()) {
                    Ok((_, frame)) => assert_eq!(frame, grey, "{name}"),
                    Err(e) => assert_eq!(
                        e,
                        DecodeError::MultiFrame {
                            frames: r.frames as u32
                        },
                        "{name}"
                    ),
                }
            }
        }
    }
    for (syntax, (files, frames, worst)) in &seen {
        eprintln!(
            "{syntax}: {files} files, {frames} frames, largest difference from pydicom {worst} HU"
        );
    }
    eprintln!(
        "phantom generated in {:.1} s, decoded and compared in {:.1} s",
        p.generate_secs,
        t.elapsed().as_secs_f64()
    );
    // Ten syntaxes, each as 12 slices and as one 12-frame file.
    assert_eq!(seen.len(), 10, "{:?}", seen.keys());
    assert!(seen
        .values()
        .all(|&(files, frames, _)| files == SLICES + 1 && frames == 2 * SLICES));
}

#[test]
fn the_lossy_syntaxes_are_really_lossy_and_the_others_are_not() {
    // Against the uncompressed series: the lossless syntaxes give the very
    // same HU, the lossy ones differ (else the comparison above would not
    // show that lossy streams decode alike).
    let p = phantom();
    let slice = |folder: &str| {
        let bytes = read(&p.out.join(folder).join("IM000006"));
        dicom::hounsfield_frame(&bytes, &Limits::default(), 0)
            .unwrap()
            .hu
    };
    let plain = slice("EXPLIC");
    for folder in [
        "IMPLIC", "BIGEND", "DEFLATE", "RLE", "JPEGLL", "J2KLL", "JLSLL",
    ] {
        assert_eq!(slice(folder), plain, "{folder}");
    }
    for (folder, most) in [("J2KLOSY", 200.0), ("JLSNEAR", 3.0)] {
        let worst = slice(folder)
            .iter()
            .zip(&plain)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!("{folder}: largest difference from the original {worst} HU");
        assert!(worst > 0.0 && worst <= most, "{folder}: {worst}");
    }
}

#[test]
fn the_phantom_has_lungs_only_in_the_middle_of_the_series() {
    // Lung: below -700 HU inside the body (the body's outside is air,
    // -1000 HU, so only what lies between tissue counts: rows and columns
    // with tissue on both sides).
    let p = phantom();
    let bytes = read(&p.out.join("EXPLICM/IM000001"));
    let file = CtFile::open(&bytes, &Limits::default()).unwrap();
    let lung: Vec<usize> = (0..file.frames())
        .map(|f| {
            let hu = file.hounsfield(f).unwrap().hu;
            let row = |y: usize| &hu[y * SIZE..(y + 1) * SIZE];
            (0..SIZE)
                .map(|y| {
                    let r = row(y);
                    let first = r.iter().position(|&v| v > -500.0);
                    let last = r.iter().rposition(|&v| v > -500.0);
                    match (first, last) {
                        (Some(a), Some(b)) => r[a..b].iter().filter(|&&v| v < -700.0).count(),
                        _ => 0,
                    }
                })
                .sum()
        })
        .collect();
    eprintln!("lung pixels per frame: {lung:?}");
    for (f, &n) in lung.iter().enumerate() {
        let middle = (SLICES as f64 * 0.2..SLICES as f64 * 0.8).contains(&(f as f64));
        if middle {
            assert!(n > SIZE * SIZE / 20, "frame {f}: {n} lung pixels");
        } else {
            assert_eq!(n, 0, "frame {f}: lungs outside the chest");
        }
    }
}

#[test]
fn series_facts_group_and_order_the_slices() {
    let p = phantom();
    let mut studies = std::collections::BTreeSet::new();
    let mut series = std::collections::BTreeSet::new();
    for folder in ["EXPLIC", "JLSNEAR", "BIGEND", "DEFLATE"] {
        let mut facts: Vec<dicom::SeriesFacts> = (1..=SLICES)
            .map(|i| {
                let path = p.out.join(folder).join(format!("IM{i:06}"));
                dicom::series_facts(&read(&path)).unwrap()
            })
            .collect();
        let first = facts[0].clone();
        assert_eq!(first.study_description, "CHEST PHANTOM");
        assert!(
            first.series_description.starts_with("CHEST PHANTOM"),
            "{first:?}"
        );
        assert_eq!((first.modality.as_str(), first.frames), ("CT", 1));
        assert_eq!(first.study_date, "20260115");
        assert_eq!(first.slice_thickness, Some(2.5));
        assert_eq!(
            first.image_orientation,
            Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
        );
        assert!(facts
            .iter()
            .all(|f| f.series_instance_uid == first.series_instance_uid
                && f.study_instance_uid == first.study_instance_uid
                && f.series_number == first.series_number));
        studies.insert(first.study_instance_uid.clone());
        series.insert(first.series_instance_uid.clone());
        // Numbered 1..=12, but not in spatial order: sorted by position the
        // slices step 2.5 mm and some numbers come out of order.
        let numbers: Vec<i64> = facts.iter().map(|f| f.instance_number.unwrap()).collect();
        assert_eq!(numbers, (1..=SLICES as i64).collect::<Vec<_>>());
        facts.sort_by(|a, b| a.image_position.unwrap()[2].total_cmp(&b.image_position.unwrap()[2]));
        let z: Vec<f64> = facts.iter().map(|f| f.image_position.unwrap()[2]).collect();
        assert!(
            z.windows(2).all(|w| (w[1] - w[0] - 2.5).abs() < 1e-9),
            "{z:?}"
        );
        let by_position: Vec<i64> = facts.iter().map(|f| f.instance_number.unwrap()).collect();
        assert_ne!(by_position, numbers, "{folder}: numbers in spatial order");
    }
    assert_eq!(studies.len(), 1, "one study");
    assert_eq!(series.len(), 4, "one series per syntax");
    // The multi-frame file: its frames and each frame's position.
    let facts = dicom::series_facts(&read(&p.out.join("J2KLLM/IM000001"))).unwrap();
    assert_eq!(facts.frames, SLICES as u32);
    assert_eq!(facts.frame_positions.len(), SLICES);
    assert_eq!(facts.image_position, Some(facts.frame_positions[0]));
    assert_eq!(facts.slice_thickness, Some(2.5));
    assert_eq!(
        dicom::probe(&read(&p.out.join("J2KLLM/IM000001")))
            .unwrap()
            .frames,
        SLICES as u32
    );
    // The DICOMDIR is a DICOM file (dcmmkdir wrote it).
    assert!(dicom::is_dicom(&read(&p.out.join("DICOMDIR"))));
}

/// Damaged copies of one slice of each compressed or re-encoded syntax: an
/// error in one line, never a panic (a panic caught inside the decoder would
/// say "internal decoder fault").
#[test]
fn damaged_copies_of_every_syntax_are_clear_errors() {
    let p = phantom();
    for folder in [
        "IMPLIC", "BIGEND", "DEFLATE", "RLE", "JPEGLL", "J2KLL", "J2KLOSY", "JLSLL", "JLSNEAR",
    ] {
        let bytes = read(&p.out.join(folder).join("IM000006"));
        let n = bytes.len();
        let check = |b: &[u8], what: &str| {
            if let Err(e) = decode::decode(b, &Limits::default()) {
                let text = e.to_string();
                assert!(
                    !text.contains("internal decoder fault"),
                    "{folder} {what}: {text}"
                );
                assert_eq!(text.lines().count(), 1, "{folder} {what}: {text}");
            }
        };
        // Cut anywhere, the file is refused; but cut inside its last 8
        // bytes, an encapsulated file's sequence delimiter, it still holds
        // every pixel, and the parser reads it to the end of the file.
        let delimiter = [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0];
        for cut in (0..n).step_by(n / 97 + 1).chain(n - 16..n) {
            let whole = cut >= n - 8 && bytes.ends_with(&delimiter);
            let r = decode::decode(&bytes[..cut], &Limits::default());
            assert!(whole || r.is_err(), "{folder} cut at {cut} of {n}");
            check(&bytes[..cut], &format!("cut at {cut}"));
        }
        for i in (0..n).step_by(n / 401 + 1) {
            for bit in [0, 5] {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                check(&b, &format!("byte {i} bit {bit}"));
            }
        }
    }
}
