//! The pixel data of a single-frame greyscale DICOM file as little-endian
//! samples: uncompressed values as stored, RLE Lossless decoded here (the
//! `dicom-pixeldata` RLE decoder indexes out of bounds on damaged streams),
//! JPEG (baseline, extended, lossless) through `dicom-pixeldata` once the JPEG
//! frame header has been checked against Rows, Columns and Bits Allocated (its
//! adapter copies the decoded bytes without checking their size). Any other
//! transfer syntax is refused in words.

use super::{guarded, read_error, unsupported_syntax, EXPLICIT_LE, IMPLICIT_LE};
use crate::decode::DecodeError;
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use dicom_pixeldata::PixelDecoder;

const RLE: &str = "1.2.840.10008.1.2.5";
const JPEG: [&str; 4] = [
    "1.2.840.10008.1.2.4.50", // baseline
    "1.2.840.10008.1.2.4.51", // extended (12-bit)
    "1.2.840.10008.1.2.4.57", // lossless
    "1.2.840.10008.1.2.4.70", // lossless, first-order prediction
];

fn corrupt(what: &str) -> DecodeError {
    DecodeError::Corrupt(format!("the DICOM pixel data is damaged ({what})"))
}

/// `width * height` samples of `bytes` bytes each, little endian.
pub(super) fn pixel_bytes(
    obj: &DefaultDicomObject,
    ts: &str,
    n: usize,
    bytes: usize,
) -> Result<Vec<u8>, DecodeError> {
    let element = obj
        .element_opt(tags::PIXEL_DATA)
        .ok()
        .flatten()
        .ok_or_else(|| {
            DecodeError::Corrupt("the DICOM file holds no image (no pixel data)".into())
        })?;
    let fragments = || -> Result<Vec<u8>, DecodeError> {
        let f = element
            .value()
            .fragments()
            .ok_or_else(|| corrupt("no fragments"))?;
        Ok(f.concat())
    };
    match ts {
        IMPLICIT_LE | EXPLICIT_LE => element
            .to_bytes()
            .map(|b| b.into_owned())
            .map_err(|_| corrupt("not a block of samples")),
        RLE => rle(&fragments()?, n, bytes),
        _ if JPEG.contains(&ts) => {
            check_jpeg(&fragments()?, obj, bytes)?;
            guarded(|| {
                obj.decode_pixel_data_frame(0)
                    .map(|d| d.data().to_vec())
                    .map_err(|e| {
                        if e.to_string().to_ascii_lowercase().contains("unsupported") {
                            unsupported_syntax(ts)
                        } else {
                            read_error(&e)
                        }
                    })
            })
        }
        _ => Err(unsupported_syntax(ts)),
    }
}

/// RLE Lossless (DICOM PS3.5 annex G): a 64-byte header (segment count, 15
/// offsets), then one PackBits segment per byte of a sample, most significant first.
pub(super) fn rle(fragment: &[u8], n: usize, bytes: usize) -> Result<Vec<u8>, DecodeError> {
    let word = |i: usize| {
        fragment
            .get(i * 4..i * 4 + 4)
            .and_then(|b| b.try_into().ok())
            .map(|b: [u8; 4]| u32::from_le_bytes(b) as usize)
            .ok_or_else(|| corrupt("RLE header"))
    };
    let segments = word(0)?;
    if segments != bytes {
        return Err(corrupt("RLE segment count"));
    }
    let segment = |s: usize| -> Result<&[u8], DecodeError> {
        let start = word(1 + s)?;
        let end = if s + 1 < segments {
            word(2 + s)?
        } else {
            fragment.len()
        };
        fragment
            .get(start..end)
            .filter(|_| start >= 64)
            .ok_or_else(|| corrupt("RLE segment offsets"))
    };
    // Every segment must hold the whole image before anything is allocated:
    // a few hundred bytes claiming 50 megapixels would otherwise cost a
    // gigabyte (found by fuzzing).
    for s in 0..segments {
        if packbits_len(segment(s)?) < n {
            return Err(corrupt("RLE segment too short"));
        }
    }
    let mut out = vec![0u8; n * bytes];
    for s in 0..segments {
        let plane = packbits(segment(s)?, n)?;
        let at = bytes - 1 - s; // little endian: the most significant byte last
        for (sample, b) in out.chunks_exact_mut(bytes).zip(plane) {
            sample[at] = b;
        }
    }
    Ok(out)
}

/// How many bytes a PackBits segment decodes to (its runs up to the first
/// one cut short), without decoding it.
fn packbits_len(src: &[u8]) -> usize {
    let (mut i, mut len) = (0, 0usize);
    while let Some(&h) = src.get(i) {
        let h = h as i8;
        let (run, used) = match h {
            0.. => (h as usize + 1, h as usize + 2),
            -128 => (0, 1),
            _ => ((1 - i16::from(h)) as usize, 2),
        };
        if i + used > src.len() {
            break;
        }
        len += run;
        i += used;
    }
    len
}

/// PackBits: a header byte h ≥ 0 copies h + 1 bytes, -127..=-1 repeats the
/// next byte 1 - h times, -128 does nothing. Exactly `n` bytes are needed.
fn packbits(src: &[u8], n: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        let h = *src.get(i).ok_or_else(|| corrupt("RLE segment too short"))? as i8;
        i += 1;
        if h >= 0 {
            let len = h as usize + 1;
            let run = src
                .get(i..i + len)
                .ok_or_else(|| corrupt("RLE literal run"))?;
            out.extend_from_slice(run);
            i += len;
        } else if h != -128 {
            let b = *src.get(i).ok_or_else(|| corrupt("RLE repeat run"))?;
            i += 1;
            out.resize(out.len() + (1 - i16::from(h)) as usize, b);
        }
    }
    out.truncate(n);
    Ok(out)
}

/// The JPEG frame header must describe exactly the image the DICOM header
/// does: one component, Columns x Rows, 8-bit samples in 8-bit pixels or
/// 9..=16-bit samples in 16-bit pixels.
fn check_jpeg(stream: &[u8], obj: &DefaultDicomObject, bytes: usize) -> Result<(), DecodeError> {
    let Some(sof) = frame_header(stream) else {
        return Err(corrupt("no JPEG frame header"));
    };
    let int = |tag| -> Option<usize> { obj.element_opt(tag).ok().flatten()?.to_int().ok() };
    let (rows, cols) = (int(tags::ROWS), int(tags::COLUMNS));
    if sof.components != 1 || Some(sof.height) != rows || Some(sof.width) != cols {
        return Err(corrupt("the JPEG image does not match the DICOM header"));
    }
    match (sof.precision, bytes, sof.lossless) {
        (8, 1, _) | (9..=16, 2, true) => Ok(()),
        (9..=16, 2, false) => Err(DecodeError::Unsupported(format!(
            "this DICOM file holds a {}-bit lossy JPEG, which the kiosk cannot read; export the slices uncompressed",
            sof.precision
        ))),
        _ => Err(corrupt("JPEG sample size")),
    }
}

struct Sof {
    precision: u8,
    height: usize,
    width: usize,
    components: u8,
    lossless: bool,
}

/// The first start-of-frame segment of a JPEG stream.
fn frame_header(s: &[u8]) -> Option<Sof> {
    if !s.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        while s.get(i) == Some(&0xFF) && s.get(i + 1) == Some(&0xFF) {
            i += 1; // fill bytes
        }
        let (&ff, &marker) = (s.get(i)?, s.get(i + 1)?);
        if ff != 0xFF {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*s.get(i + 2)?, *s.get(i + 3)?]));
        let sof = (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
        if sof {
            let b = s.get(i + 4..i + 10)?;
            return Some(Sof {
                precision: b[0],
                height: usize::from(u16::from_be_bytes([b[1], b[2]])),
                width: usize::from(u16::from_be_bytes([b[3], b[4]])),
                components: b[5],
                lossless: [0xC3, 0xC7, 0xCB, 0xCF].contains(&marker),
            });
        }
        i += 2 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 64-byte RLE header: segment count, then these segment offsets.
    fn rle_header(offsets: &[u32]) -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[0..4].copy_from_slice(&(offsets.len() as u32).to_le_bytes());
        for (i, o) in offsets.iter().enumerate() {
            f[4 + 4 * i..8 + 4 * i].copy_from_slice(&o.to_le_bytes());
        }
        f
    }

    #[test]
    fn packbits_runs_and_literals() {
        // literal 3 bytes, repeat 0x07 four times, no-op, literal 1 byte.
        let src = [2, 1, 2, 3, 0xFD, 7, 0x80, 0, 9];
        assert_eq!(packbits(&src, 8).unwrap(), [1, 2, 3, 7, 7, 7, 7, 9]);
        assert!(packbits(&src, 9).is_err());
        assert!(packbits(&[5, 1], 2).is_err());
        assert_eq!(packbits_len(&src), 8);
        assert_eq!(packbits_len(&[5, 1]), 0, "a literal run cut short");
        assert_eq!(
            packbits_len(&[0x81, 4, 0x81]),
            128,
            "a repeat run cut short"
        );
    }

    #[test]
    fn a_tiny_segment_claiming_a_huge_image_is_refused_before_allocating() {
        // One repeat run (128 bytes) cannot fill 50 megapixels: refused by the
        // length walk ("too short"), not after allocating 100 MB per plane.
        let mut f = rle_header(&[64, 66]);
        f.extend_from_slice(&[0x81, 1, 0x81, 2]);
        assert_eq!(rle(&f, 128, 2).unwrap().len(), 256);
        let e = rle(&f, 50_000_000, 2).unwrap_err();
        assert!(e.to_string().contains("RLE segment too short"), "{e}");
    }

    #[test]
    fn rle_puts_the_high_byte_first() {
        // Two 16-bit samples 0x1234, 0x5678: segment 0 = [0x12, 0x56], segment 1 = [0x34, 0x78].
        let mut f = rle_header(&[64, 67]);
        f.extend_from_slice(&[1, 0x12, 0x56, 1, 0x34, 0x78]);
        assert_eq!(rle(&f, 2, 2).unwrap(), [0x34, 0x12, 0x78, 0x56]);
        assert!(rle(&f, 3, 2).is_err());
        assert!(rle(&f, 2, 1).is_err(), "segment count must match");
        assert!(rle(&f[..10], 2, 2).is_err());
        f[4..8].copy_from_slice(&9000u32.to_le_bytes());
        assert!(rle(&f, 2, 2).is_err());
    }

    #[test]
    fn the_jpeg_frame_header_is_found() {
        let s = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC3, 0, 11, 16, 0, 2, 0, 3, 1, 1, 0x11, 0,
        ];
        let sof = frame_header(&s).unwrap();
        assert_eq!(
            (sof.precision, sof.height, sof.width, sof.components),
            (16, 2, 3, 1)
        );
        assert!(sof.lossless);
        assert!(frame_header(&s[..10]).is_none());
        assert!(frame_header(b"nope").is_none());
    }
}
