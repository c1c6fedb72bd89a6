//! One frame of a greyscale DICOM file's pixel data as little-endian
//! samples, whatever its transfer syntax:
//! - uncompressed (implicit or explicit VR little endian, deflated explicit
//!   VR little endian once inflated, explicit VR big endian with 16-bit
//!   pixels): the frame's values as stored, in little-endian order;
//! - RLE Lossless: decoded here (the `dicom-pixeldata` RLE decoder indexes
//!   out of bounds on damaged streams);
//! - JPEG (baseline, extended, lossless), JPEG-LS (lossless, near-lossless)
//!   and JPEG 2000 (lossless, lossy): through `dicom-pixeldata`'s codecs
//!   (jpeg-decoder, CharLS, OpenJPEG), each frame's header first checked
//!   against the DICOM header ([`streams`](super::streams)), the decoder run
//!   inside [`guarded`], and what it returns checked to be exactly one frame.
//!
//! JPEG 2000 is decoded by the `openjp2` feature, OpenJPEG translated to
//! Rust, rather than `openjpeg-sys` (the C library, statically linked): both
//! are OpenJPEG 2.5, but a fault in the Rust one on a damaged codestream is a
//! bounds-checked panic, which [`guarded`] turns into an error, where the C
//! one could corrupt memory or abort the kiosk; and it needs no C toolchain.
//!
//! Any other transfer syntax is refused in words.

use super::streams::{self, corrupt, Expect};
use super::{
    guarded, read_error, unsupported_syntax, DEFLATED, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE,
};
use crate::decode::DecodeError;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_dictionary_std::tags;
use dicom_encoding::adapters::PixelDataObject;
use dicom_object::DefaultDicomObject;
use dicom_pixeldata::PixelDecoder;

const RLE: &str = "1.2.840.10008.1.2.5";
const JPEG: [&str; 4] = [
    "1.2.840.10008.1.2.4.50", // baseline
    "1.2.840.10008.1.2.4.51", // extended (12-bit)
    "1.2.840.10008.1.2.4.57", // lossless
    "1.2.840.10008.1.2.4.70", // lossless, first-order prediction
];
const JPEG_LS: [&str; 2] = [
    "1.2.840.10008.1.2.4.80", // lossless
    "1.2.840.10008.1.2.4.81", // near-lossless
];
const JPEG_2000: [&str; 2] = [
    "1.2.840.10008.1.2.4.90", // lossless only
    "1.2.840.10008.1.2.4.91", // lossless or lossy
];

/// Whether the kiosk decodes this transfer syntax.
pub(super) fn supported(ts: &str) -> bool {
    [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED, RLE].contains(&ts)
        || JPEG.contains(&ts)
        || JPEG_LS.contains(&ts)
        || JPEG_2000.contains(&ts)
}

/// Where a frame is and what it must decode to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    /// Its index, from 0.
    pub index: u32,
    /// Samples in one frame (Rows x Columns).
    pub n: usize,
    /// Bytes per sample (1, 2 or 4).
    pub bytes: usize,
    pub rows: usize,
    pub cols: usize,
}

/// Frame `f.index`'s `f.n` samples of `f.bytes` bytes each, little endian.
pub(super) fn frame_bytes(
    obj: &DefaultDicomObject,
    ts: &str,
    f: Frame,
) -> Result<Vec<u8>, DecodeError> {
    let element = obj
        .element_opt(tags::PIXEL_DATA)
        .ok()
        .flatten()
        .ok_or_else(|| {
            DecodeError::Corrupt("the DICOM file holds no image (no pixel data)".into())
        })?;
    let size = f.n * f.bytes;
    if [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED].contains(&ts) {
        return native(element.value(), ts, f);
    }
    if !supported(ts) {
        return Err(unsupported_syntax(ts));
    }
    // The frame's encapsulated stream, as the codecs will be given it.
    let stream = guarded(|| {
        obj.frame_pixel_data(f.index)
            .map(|s| s.into_owned())
            .ok_or_else(|| corrupt("no compressed data for this image"))
    })?;
    let e = Expect {
        rows: f.rows,
        cols: f.cols,
        bytes: f.bytes,
    };
    if ts == RLE {
        return rle(&stream, f.n, f.bytes);
    }
    let kind = if JPEG.contains(&ts) {
        streams::check_jpeg(&stream, e)?;
        "JPEG"
    } else if JPEG_LS.contains(&ts) {
        streams::check_jpeg_ls(&stream, e)?;
        "JPEG-LS"
    } else {
        streams::check_j2k(&stream, e)?;
        "JPEG 2000"
    };
    let data = guarded(|| {
        obj.decode_pixel_data_frame(f.index)
            .map(|d| d.data().to_vec())
            .map_err(|e| {
                if e.to_string().to_ascii_lowercase().contains("unsupported") {
                    return unsupported_syntax(ts);
                }
                // The codec's own words ("Null pointer from openjpeg-sys")
                // go to the log; the nurse reads which data is damaged.
                log::warn!("{kind} frame {} not decoded: {}", f.index, read_error(&e));
                corrupt(&format!("{kind} data that cannot be decoded"))
            })
    })?;
    if data.len() != size {
        return Err(corrupt("the decoded image is not the size the header says"));
    }
    Ok(data)
}

/// Uncompressed samples: the parser has read 16-bit values (OW) as numbers
/// in the file's byte order and bytes (OB) as they are; either way frame
/// `f.index` is given back little endian.
fn native(
    value: &Value<dicom_object::InMemDicomObject, dicom_core::value::InMemFragment>,
    ts: &str,
    f: Frame,
) -> Result<Vec<u8>, DecodeError> {
    let size = f.n * f.bytes;
    let start = size * f.index as usize;
    let short =
        || DecodeError::Corrupt("the DICOM pixel data is shorter than the image size".into());
    let Value::Primitive(p) = value else {
        return Err(corrupt("not a block of samples"));
    };
    if ts == EXPLICIT_BE && (f.bytes != 2 || !matches!(p, PrimitiveValue::U16(_))) {
        return Err(DecodeError::Unsupported(format!(
            "this big-endian DICOM file holds {}-bit pixels; the kiosk reads 16-bit ones (export the slices little endian)",
            8 * f.bytes
        )));
    }
    match p {
        PrimitiveValue::U16(words) => {
            // (8-bit samples in OW words: a frame may start mid-word.)
            let first = start / 2;
            let words = words
                .get(first..(start + size).div_ceil(2))
                .ok_or_else(short)?;
            let le: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let at = start - 2 * first;
            Ok(le.get(at..at + size).ok_or_else(short)?.to_vec())
        }
        PrimitiveValue::U8(bytes) => Ok(bytes.get(start..start + size).ok_or_else(short)?.to_vec()),
        other => Ok(other
            .to_bytes()
            .get(start..start + size)
            .ok_or_else(short)?
            .to_vec()),
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
}
