//! DICOM CT slices (`../shared/datasets/dicom`): CT_small decodes to the lung
//! window computed independently from its raw values; MR and NM files are
//! refused in words; damaged copies (cut at many lengths, bits flipped) give
//! errors, never a panic; the `onemed` command analyses the CT slice and
//! refuses the others with one line each.

use crate::common;
use crate::common::{onemed, text};
use onemed::decode::{self, dicom, DecodeError, ImageFormat, Limits};
use std::path::PathBuf;

fn path(name: &str) -> PathBuf {
    common::datasets_dir().join("dicom").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The sample with its Modality value ("MR" or "NM", 2 bytes) replaced by "CT":
/// the same pixels, compressed or not, through the CT path.
fn as_ct(name: &str, modality: &str) -> Vec<u8> {
    let mut b = read(name);
    let tag = [0x08, 0x00, 0x60, 0x00, b'C', b'S', 0x02, 0x00];
    let at = b
        .windows(tag.len())
        .position(|w| w == tag)
        .unwrap_or_else(|| panic!("{name}: no 2-byte Modality element"));
    assert_eq!(&b[at + 8..at + 10], modality.as_bytes());
    b[at + 8..at + 10].copy_from_slice(b"CT");
    b
}

/// The lung window written out again from DICOM PS3.3 C.11.2.1.2.1.
fn lung(hu: f64) -> u8 {
    let (c, w) = (-600.0, 1500.0);
    if hu <= c - 0.5 - (w - 1.0) / 2.0 {
        0
    } else if hu > c - 0.5 + (w - 1.0) / 2.0 {
        255
    } else {
        (((hu - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0).round() as u8
    }
}

#[test]
fn ct_small_is_the_lung_window_of_its_hounsfield_units() {
    let bytes = read("CT_small.dcm");
    assert_eq!(decode::sniff(&bytes), Some(ImageFormat::Dicom));
    let probe = decode::probe(&bytes, &Limits::default()).unwrap();
    assert_eq!(
        (probe.format, probe.width, probe.height),
        (ImageFormat::Dicom, 128, 128)
    );
    let (_, frame) = decode::decode(&bytes, &Limits::default()).unwrap();
    assert_eq!((frame.width(), frame.height()), (128, 128));

    // Independently: dicom-object's own reading of the raw values and rescale.
    let obj = dicom_object::open_file(path("CT_small.dcm")).unwrap();
    let get = |tag| obj.element(tag).unwrap();
    use dicom_dictionary_std::tags;
    assert_eq!(get(tags::MODALITY).to_str().unwrap().trim(), "CT");
    assert_eq!(get(tags::PIXEL_REPRESENTATION).to_int::<u16>().unwrap(), 1);
    assert_eq!(get(tags::BITS_ALLOCATED).to_int::<u16>().unwrap(), 16);
    let slope = get(tags::RESCALE_SLOPE).to_float64().unwrap();
    let intercept = get(tags::RESCALE_INTERCEPT).to_float64().unwrap();
    assert_eq!((slope, intercept), (1.0, -1024.0));
    let raw: Vec<i16> = get(tags::PIXEL_DATA)
        .to_bytes()
        .unwrap()
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(raw.len(), 128 * 128);
    let mut spread = std::collections::BTreeSet::new();
    for (i, &v) in raw.iter().enumerate() {
        let want = lung(f64::from(v) * slope + intercept);
        let got = frame.pixel(i % 128, i / 128);
        assert_eq!(got, [want; 3], "pixel {i}: raw {v}");
        spread.insert(want);
    }
    // Not a trivially flat image: the window spreads the slice over many levels.
    assert!(spread.len() > 50, "{} grey levels", spread.len());
    // A few pixels by hand: (x, y) → raw → HU → grey.
    for (x, y) in [(0, 0), (64, 64), (127, 127), (30, 100)] {
        let hu = f64::from(raw[y * 128 + x]) - 1024.0;
        assert_eq!(frame.pixel(x, y)[0], lung(hu), "({x},{y}) at {hu} HU");
    }
}

#[test]
fn other_modalities_are_refused_naming_the_modality() {
    for (name, modality) in [
        ("MR_small.dcm", "MR"),
        ("MR_small_RLE.dcm", "MR"),
        ("JPEG-lossy.dcm", "NM"),
    ] {
        let bytes = read(name);
        assert_eq!(decode::sniff(&bytes), Some(ImageFormat::Dicom), "{name}");
        let want = DecodeError::NotCt {
            modality: modality.into(),
        };
        // From the header alone, and the same when decoding.
        assert_eq!(
            decode::probe(&bytes, &Limits::default()).unwrap_err(),
            want,
            "{name}"
        );
        let e = decode::decode(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(e, want, "{name}");
        let text = e.to_string();
        assert!(text.contains(&format!("({modality}), not CT")), "{text}");
        assert!(
            !text.contains(" scan, "),
            "the kind is said in words: {text}"
        );
        assert_eq!(text.lines().count(), 1);
    }
}

#[test]
fn compressed_ct_slices_decode_like_uncompressed_ones() {
    // MR_small_RLE is MR_small RLE-compressed: relabelled CT, both must give
    // the same windowed pixels (the RLE decoder is ours: dicom-pixeldata's
    // panics on damaged streams).
    let plain = dicom::decode(&as_ct("MR_small.dcm", "MR"), &Limits::default()).unwrap();
    let rle = dicom::decode(&as_ct("MR_small_RLE.dcm", "MR"), &Limits::default()).unwrap();
    assert_eq!((plain.width(), plain.height()), (64, 64));
    assert_eq!(plain, rle);
    // 12-bit lossy JPEG (Process 4): no decoder here reads it; said in words.
    let e = dicom::decode(&as_ct("JPEG-lossy.dcm", "NM"), &Limits::default()).unwrap_err();
    assert!(matches!(e, DecodeError::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("12-bit lossy JPEG"), "{e}");
}

#[test]
fn the_pixel_limit_is_applied_from_the_header() {
    let bytes = read("CT_small.dcm");
    let small = Limits {
        max_pixels: 128 * 128 - 1,
        ..Limits::default()
    };
    assert!(matches!(
        decode::probe(&bytes, &small),
        Err(DecodeError::TooLarge {
            width: 128,
            height: 128,
            ..
        })
    ));
    assert!(matches!(
        dicom::decode(&bytes, &small),
        Err(DecodeError::TooLarge { .. })
    ));
}

/// Decodes damaged bytes: must be an error with one clear line, never a panic
/// (a panic caught inside the decoder would say "internal decoder fault").
fn must_fail_cleanly(bytes: &[u8], what: &str) -> Option<DecodeError> {
    match decode::decode(bytes, &Limits::default()) {
        Ok(_) => None,
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains("internal decoder fault"), "{what}: {text}");
            assert!(
                !text.is_empty() && text.lines().count() == 1,
                "{what}: {text:?}"
            );
            Some(e)
        }
    }
}

#[test]
fn truncated_copies_are_errors() {
    for (name, bytes) in [
        ("CT_small", read("CT_small.dcm")),
        ("RLE as CT", as_ct("MR_small_RLE.dcm", "MR")),
        ("JPEG as CT", as_ct("JPEG-lossy.dcm", "NM")),
    ] {
        let n = bytes.len();
        let cuts = (0..n.min(2_000))
            .chain((2_000..n).step_by(61))
            .chain(n - 64..n);
        for cut in cuts {
            let e = must_fail_cleanly(&bytes[..cut], &format!("{name} cut at {cut}"));
            assert!(e.is_some(), "{name} cut at {cut} of {n} decoded");
        }
        // Cut inside the pixel data: the file says it is incomplete.
        assert_eq!(
            decode::decode(&bytes[..n - 10], &Limits::default()).unwrap_err(),
            DecodeError::Truncated,
            "{name}"
        );
    }
}

#[test]
fn bit_flipped_copies_never_panic() {
    let bytes = read("CT_small.dcm");
    // Every byte of the header (everything before the pixel values), each bit
    // of the file meta group and first elements, one bit elsewhere ...
    let pixels = bytes.len() - 128 * 128 * 2;
    let mut failed = 0;
    for i in 0..pixels {
        let bits = if i < 800 { 0..8 } else { i % 8..i % 8 + 1 };
        for bit in bits {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            failed += usize::from(must_fail_cleanly(&b, &format!("byte {i} bit {bit}")).is_some());
        }
    }
    assert!(failed > 0);
    // ... and bytes spread over the compressed streams.
    for (name, bytes) in [
        ("RLE as CT", as_ct("MR_small_RLE.dcm", "MR")),
        ("JPEG as CT", as_ct("JPEG-lossy.dcm", "NM")),
    ] {
        for i in (0..bytes.len()).step_by(7) {
            for bit in [0, 3, 7] {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                must_fail_cleanly(&b, &format!("{name} byte {i} bit {bit}"));
            }
        }
    }
}

#[test]
fn the_command_analyses_the_ct_slice() {
    let ct = path("CT_small.dcm").display().to_string();
    let o = onemed(&["analyze", "--json", "--tool", "covid-ct", &ct]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let line = text(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(128), Some(128))
    );
    let outcome = v["outcome"].as_str().unwrap();
    assert!(
        ["finding", "inconclusive", "rejected"].contains(&outcome),
        "{v}"
    );
    if outcome == "rejected" {
        assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
    }
    // Plain output: one line.
    let o = onemed(&["analyze", "--tool", "covid-ct", &ct]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 1);
}

#[test]
fn the_command_refuses_mr_and_nm_with_one_line_each() {
    let files = ["MR_small.dcm", "MR_small_RLE.dcm", "JPEG-lossy.dcm"];
    let paths: Vec<String> = files
        .iter()
        .map(|f| path(f).display().to_string())
        .collect();
    let ct = path("CT_small.dcm").display().to_string();
    let mut args = vec!["analyze", "--tool", "covid-ct", ct.as_str()];
    args.extend(paths.iter().map(String::as_str));
    let o = onemed(&args);
    let err = text(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(
        text(&o.stdout).lines().count(),
        1,
        "the CT slice is still analysed"
    );
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(".dcm:")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    let kinds = [
        "an MRI scan (MR)",
        "an MRI scan (MR)",
        "a nuclear medicine scan (NM)",
    ];
    for ((line, file), kind) in lines.iter().zip(files).zip(kinds) {
        assert!(line.contains(file), "{line}");
        assert!(line.contains(&format!("is {kind}, not CT")), "{line}");
    }
}
