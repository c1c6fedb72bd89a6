//! DICOM CT: a Part-10 file (128-byte preamble, `DICM`) holding one slice or
//! a multi-frame volume, to Hounsfield units per frame and to an 8-bit grey
//! frame replicated to RGB — Hounsfield units seen through a lung window.
//!
//! The checks, in order, each a [`DecodeError`] a nurse can read (never a panic):
//! 1. every element length the file declares fits in the file, so a damaged
//!    length never makes the parser allocate gigabytes (a deflated data set
//!    is inflated first, to a capped size: [`lengths`]);
//! 2. Modality (0008,0060) must be `CT`: anything else is refused before the
//!    pixel data is read, compressed or not ([`DecodeError::NotCt`]);
//! 3. 1 to [`MAX_FRAMES`] frames; Rows x Columns against [`Limits::max_pixels`]
//!    (in [`super::probe`] and [`CtFile::open`]);
//! 4. greyscale only: one sample per pixel, MONOCHROME1 or MONOCHROME2, 8, 16 or
//!    32 bits allocated; a transfer syntax the kiosk decodes ([`codecs`]).
//!
//! Frames: [`probe`] says how many a file holds; [`CtFile`] reads a file once
//! and decodes any frame ([`CtFile::hounsfield`], [`CtFile::grey`]), and
//! [`decode_frame`] / [`hounsfield_frame`] do both steps for one frame. The
//! one-picture path ([`decode`], [`super::decode`]) is for a single slice: a
//! multi-frame file is refused there with [`DecodeError::MultiFrame`] rather
//! than analysing its first frame, which is rarely a lung slice; an importer
//! lists the frames and decodes each as a slice. [`series_facts`] reads what a
//! series browser needs (study, series, position) from the header alone.
//!
//! Then the pixels (uncompressed, RLE, JPEG, JPEG-LS or JPEG 2000: [`codecs`]):
//! stored value `v` (low `BitsStored` bits, sign-extended when
//! PixelRepresentation is 1) → `HU = v * RescaleSlope + RescaleIntercept`
//! (1 and 0 when absent; [`CtFile::hounsfield`]) → [`window`], the linear VOI
//! function of DICOM PS3.3 C.11.2.1.2.1 with the centre and width of
//! [`DicomOptions`] (lung window, -600 / 1500 HU by default) → MONOCHROME1
//! inverted (`255 - y`) → grey replicated to RGB. A window stored in the file
//! is ignored: every slice is seen through the same window, as the model was
//! trained.

use super::{DecodeError, Limits};
use crate::frame::RgbFrame;
use crate::i18n::n_;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, FileMetaTable, InMemDicomObject, OpenFileOptions, Tag};

mod codecs;
mod facts;
mod frames;
mod lengths;
mod streams;
#[cfg(test)]
mod tests;

pub use facts::{series_facts, SeriesFacts};
pub use frames::{decode_frame, hounsfield_frame, CtFile, Hounsfield};

/// The most frames read from one file (a volume of 2000 slices is already
/// far more than a chest CT holds).
pub const MAX_FRAMES: u32 = 2000;

/// How CT values become grey levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DicomOptions {
    /// Window centre in Hounsfield units.
    pub window_center: f64,
    /// Window width in Hounsfield units (at least 1).
    pub window_width: f64,
}

impl Default for DicomOptions {
    /// The lung window: centre -600 HU, width 1500 HU.
    fn default() -> Self {
        DicomOptions {
            window_center: -600.0,
            window_width: 1500.0,
        }
    }
}

/// What a DICOM file's header says, before any pixel is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub modality: String,
    pub width: usize,
    pub height: usize,
    pub transfer_syntax: String,
    /// Number of Frames (1 when absent), 1 to [`MAX_FRAMES`].
    pub frames: u32,
}

/// Whether the bytes are a DICOM Part-10 file (`DICM` after the preamble).
pub fn is_dicom(bytes: &[u8]) -> bool {
    bytes.get(128..132) == Some(b"DICM")
}

/// The sentence for a file that is not a CT slice, naming the kind of scan
/// in plain words ("a nuclear medicine scan (NM), not CT").
pub(crate) fn not_ct_message(modality: &str) -> String {
    const TAIL: &str = "not CT — import CT slices for the COVID CT tool";
    match modality_words(modality) {
        None => format!("this DICOM file does not say what kind of scan it is, so it is {TAIL}"),
        Some(words) => format!("this DICOM file is {words} ({modality}), {TAIL}"),
    }
}

/// The kind of scan a DICOM modality code is, in plain English words (a
/// msgid the import screen translates); `None` when the file does not say.
pub fn modality_words(modality: &str) -> Option<&'static str> {
    Some(match modality {
        "" => return None,
        "MR" => n_("an MRI scan"),
        "NM" => n_("a nuclear medicine scan"),
        "PT" => n_("a PET scan"),
        "US" => n_("an ultrasound image"),
        "CR" | "DX" | "RF" => n_("an X-ray"),
        "XA" => n_("an angiography X-ray"),
        "MG" => n_("a mammogram"),
        "OP" | "XC" => n_("a photo"),
        "SC" | "OT" => n_("a picture saved as DICOM"),
        "SR" => n_("a report"),
        _ => n_("another kind of scan"),
    })
}

/// Reads any DICOM Part-10 file that is not an image, such as a DICOMDIR
/// (media index), with the same safeguards as a slice: every declared length
/// checked before parsing, a parser panic turned into an error. Nothing is
/// refused for its content; the caller reads the elements it needs.
pub fn read_object(bytes: &[u8]) -> Result<DefaultDicomObject, DecodeError> {
    if !is_dicom(bytes) {
        return Err(DecodeError::NotAnImage);
    }
    parse(bytes, false)
}

/// Reads the header (not the pixel data) and refuses what is not greyscale
/// CT in a transfer syntax the kiosk decodes; a multi-frame file is accepted
/// and its frames counted (the pixel limit is [`super::probe`]'s).
pub fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    let obj = parse(bytes, true)?;
    let h = header(&obj)?;
    image(&obj, &h)?;
    Ok(h)
}

/// Decodes a single CT slice: all the checks of [`super::probe`] (which
/// refuses a multi-frame file), then the pixels.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RgbFrame, DecodeError> {
    if !is_dicom(bytes) {
        return Err(DecodeError::NotAnImage);
    }
    super::probe(bytes, limits)?;
    decode_frame(bytes, limits, 0)
}

/// The linear VOI LUT function of DICOM PS3.3 C.11.2.1.2.1 onto 0..=255, with
/// `c` = centre, `w` = width (≥ 1):
/// `x <= c - 0.5 - (w-1)/2` → 0; `x > c - 0.5 + (w-1)/2` → 255; otherwise
/// `round(((x - (c - 0.5)) / (w - 1) + 0.5) * 255)`, rounding halves away from 0.
pub fn window(hu: f64, opts: &DicomOptions) -> u8 {
    let (c, w) = (opts.window_center, opts.window_width);
    if hu.is_nan() || hu <= c - 0.5 - (w - 1.0) / 2.0 {
        0
    } else if hu > c - 0.5 + (w - 1.0) / 2.0 {
        255
    } else {
        (((hu - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0)
            .round()
            .clamp(0.0, 255.0) as u8
    }
}

fn check_options(o: &DicomOptions) -> Result<(), DecodeError> {
    if o.window_center.is_finite() && o.window_width.is_finite() && o.window_width >= 1.0 {
        Ok(())
    } else {
        Err(DecodeError::Unsupported(format!(
            "CT window centre {} / width {} is not valid (the width must be at least 1)",
            o.window_center, o.window_width
        )))
    }
}

const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// Parses the file from memory: the header only, or everything.
fn parse(bytes: &[u8], header_only: bool) -> Result<DefaultDicomObject, DecodeError> {
    let body = bytes
        .get(128..)
        .filter(|b| b.starts_with(b"DICM"))
        .ok_or(DecodeError::NotAnImage)?;
    match lengths::check(body)? {
        lengths::Body::Plain(body) => {
            let mut options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
            if header_only {
                options = options.read_until(tags::PIXEL_DATA);
            }
            guarded(|| options.from_reader(body).map_err(|e| read_error(&e)))
        }
        // The inflated data set is explicit VR little endian; the meta group
        // (which names the deflated syntax) is kept as it is.
        lengths::Body::Inflated { meta, dataset } => guarded(|| {
            let meta = FileMetaTable::from_reader(meta).map_err(|e| read_error(&e))?;
            let ts = dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased();
            InMemDicomObject::read_dataset_with_ts(dataset.as_slice(), &ts)
                .map(|obj| obj.with_exact_meta(meta))
                .map_err(|e| read_error(&e))
        }),
    }
}

/// Runs third-party parsing code; a panic in it becomes an error, never a crash
/// of the kiosk (the decoders are not ours to fix; tests make sure ours never panics).
fn guarded<T>(f: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(DecodeError::Corrupt(
            "the DICOM reader failed on this file (internal decoder fault)".into(),
        ))
    })
}

fn read_error(e: &(dyn std::error::Error + 'static)) -> DecodeError {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                return DecodeError::Truncated;
            }
        }
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    DecodeError::Corrupt(format!("not a readable DICOM file ({})", parts.join(": ")))
}

fn text(obj: &DefaultDicomObject, tag: Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok().flatten()?;
    let s = e.to_str().ok()?;
    Some(
        s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_string(),
    )
}

fn int(obj: &DefaultDicomObject, tag: Tag, name: &str) -> Result<Option<i64>, DecodeError> {
    match obj.element_opt(tag).ok().flatten() {
        None => Ok(None),
        Some(e) if e.header().len.0 == 0 => Ok(None),
        Some(e) => e
            .to_int::<i64>()
            .map(Some)
            .map_err(|_| DecodeError::Corrupt(format!("the DICOM {name} is not a number"))),
    }
}

fn float(obj: &InMemDicomObject, tag: Tag, name: &str, default: f64) -> Result<f64, DecodeError> {
    match obj.element_opt(tag).ok().flatten() {
        None => Ok(default),
        Some(e) if e.header().len.0 == 0 => Ok(default),
        Some(e) => e
            .to_float64()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| DecodeError::Corrupt(format!("the DICOM {name} is not a number"))),
    }
}

fn header(obj: &DefaultDicomObject) -> Result<Header, DecodeError> {
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches(|c: char| c.is_whitespace() || c == '\0')
        .to_string();
    let modality: String = text(obj, tags::MODALITY)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_uppercase();
    if modality != "CT" {
        return Err(DecodeError::NotCt { modality });
    }
    let frames = int(obj, tags::NUMBER_OF_FRAMES, "number of frames")?.unwrap_or(1);
    if frames < 1 {
        return Err(DecodeError::Corrupt(
            "the DICOM file says it holds no image".into(),
        ));
    }
    let frames = u32::try_from(frames)
        .ok()
        .filter(|f| *f <= MAX_FRAMES)
        .ok_or_else(|| {
            DecodeError::Unsupported(format!(
                "this DICOM file says it holds {frames} images; the kiosk reads at most {MAX_FRAMES} from one file"
            ))
        })?;
    let side = |tag, name| -> Result<usize, DecodeError> {
        match int(obj, tag, name)? {
            Some(v) if v > 0 => usize::try_from(v)
                .map_err(|_| DecodeError::Corrupt(format!("the DICOM {name} is out of range"))),
            _ => Err(DecodeError::Corrupt(format!(
                "the DICOM file does not give its image size ({name} missing)"
            ))),
        }
    };
    Ok(Header {
        width: side(tags::COLUMNS, "Columns")?,
        height: side(tags::ROWS, "Rows")?,
        modality,
        transfer_syntax: ts,
        frames,
    })
}

fn unsupported_syntax(ts: &str) -> DecodeError {
    let what = match ts {
        "1.2.840.10008.1.2.4.92" | "1.2.840.10008.1.2.4.93" => {
            "multi-component JPEG 2000 compression"
        }
        "1.2.840.10008.1.2.4.94" | "1.2.840.10008.1.2.4.95" => "JPIP streaming",
        _ if ts.starts_with("1.2.840.10008.1.2.4.20") => "High-Throughput JPEG 2000 compression",
        _ if ts.starts_with("1.2.840.10008.1.2.4.10") => "video (MPEG or HEVC)",
        _ if ts.starts_with("1.2.840.10008.1.2.4.11") => "JPEG XL compression",
        _ => "a compression the kiosk cannot read",
    };
    DecodeError::Unsupported(format!(
        "this DICOM file uses {what} ({ts}); export the slices uncompressed"
    ))
}

/// How the stored pixel values are to be read.
struct Grey {
    photometric: String,
    bits_allocated: u16,
    bits_stored: u16,
    signed: bool,
    slope: f64,
    intercept: f64,
}

fn image(obj: &DefaultDicomObject, h: &Header) -> Result<Grey, DecodeError> {
    let samples = int(obj, tags::SAMPLES_PER_PIXEL, "samples per pixel")?.unwrap_or(1);
    let photometric = text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();
    if samples != 1 || !(photometric == "MONOCHROME1" || photometric == "MONOCHROME2") {
        return Err(DecodeError::Unsupported(format!(
            "a CT slice must be greyscale (MONOCHROME1 or MONOCHROME2); this DICOM image is {} with {samples} samples per pixel",
            if photometric.is_empty() { "unlabelled" } else { &photometric }
        )));
    }
    let bits_allocated = int(obj, tags::BITS_ALLOCATED, "bits allocated")?
        .and_then(|b| u16::try_from(b).ok())
        .filter(|b| [8, 16, 32].contains(b))
        .ok_or_else(|| DecodeError::Unsupported("DICOM pixels must be 8, 16 or 32 bits".into()))?;
    let bits_stored = int(obj, tags::BITS_STORED, "bits stored")?
        .map_or(Some(bits_allocated), |b| u16::try_from(b).ok())
        .filter(|b| (1..=bits_allocated).contains(b))
        .ok_or_else(|| DecodeError::Corrupt("the DICOM bits stored is out of range".into()))?;
    let signed = int(obj, tags::PIXEL_REPRESENTATION, "pixel representation")?.unwrap_or(0) == 1;
    if !codecs::supported(&h.transfer_syntax) {
        return Err(unsupported_syntax(&h.transfer_syntax));
    }
    Ok(Grey {
        photometric,
        bits_allocated,
        bits_stored,
        signed,
        slope: float(obj, tags::RESCALE_SLOPE, "rescale slope", 1.0)?,
        intercept: float(obj, tags::RESCALE_INTERCEPT, "rescale intercept", 0.0)?,
    })
}

/// The stored values of `n` samples: little-endian, the low `bits_stored` bits
/// of each (high bit = bits_stored - 1), sign-extended when `signed`.
pub(crate) fn stored_values(
    data: &[u8],
    n: usize,
    bits_allocated: u16,
    bits_stored: u16,
    signed: bool,
) -> Result<impl Iterator<Item = i64> + '_, DecodeError> {
    let bytes = usize::from(bits_allocated / 8);
    let stored = u32::from(bits_stored.clamp(1, 32));
    let need = n.saturating_mul(bytes);
    if bytes == 0 || data.len() < need {
        return Err(DecodeError::Corrupt(
            "the DICOM pixel data is shorter than the image size".into(),
        ));
    }
    let mask = if stored >= 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << stored) - 1
    };
    let sign = 1u64 << (stored - 1);
    Ok(data[..need].chunks_exact(bytes).map(move |c| {
        let raw = c
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
            & mask;
        if signed && raw & sign != 0 {
            raw as i64 - (mask as i64 + 1)
        } else {
            raw as i64
        }
    }))
}
