//! Image decoding: bytes of a JPEG, PNG, BMP, TIFF, WebP or GIF file to an 8-bit
//! RGB frame, upright (EXIF orientation applied), exactly as Pillow's
//! `Image.open(...).convert("RGB")` would give it; a DICOM CT slice to a
//! lung-windowed grey frame ([`dicom`]).
//!
//! The size is read from the header first and refused above a pixel limit, so a
//! decompression bomb never gets decoded. Colour handling follows Pillow's
//! `convert("RGB")` ([`pillow`]): alpha is dropped (not composited), grey is
//! replicated, palettes are expanded, 16-bit samples keep their high byte.
//! What cannot be made exact is refused in words ([`bmp`], [`tiff`]), and
//! every third-party decoder runs behind a panic boundary ([`contained`]).

pub mod dicom;
mod exif;
mod bmp;
pub mod jpeg;
mod pillow;
mod tiff;

use crate::frame::RgbFrame;
pub use dicom::DicomOptions;
use std::io::Cursor;

/// Limits that protect the kiosk from absurd files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest `width * height` decoded at all.
    pub max_pixels: u64,
    /// Smallest side decoded at all (quality checks set a higher, per-tool bar).
    pub min_side: usize,
    /// How DICOM CT values become grey levels (the lung window).
    pub dicom: DicomOptions,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: 50_000_000,
            min_side: 16,
            dicom: DicomOptions::default(),
        }
    }
}

/// Why a file could not be turned into pixels. The texts are shown to nurses.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error("not an image file (expected JPEG, PNG, BMP, TIFF, WebP, GIF or DICOM)")]
    NotAnImage,
    #[error("{}", dicom::not_ct_message(.modality))]
    NotCt { modality: String },
    #[error("this DICOM file holds {frames} images (a multi-frame series); export the CT slices as single-image files and import those")]
    MultiFrame { frames: u32 },
    #[error("image is too large: {width}x{height} pixels (the limit is {max_mp} megapixels)")]
    TooLarge {
        width: u64,
        height: u64,
        max_mp: u64,
    },
    #[error("image is too small to analyse: {width}x{height} pixels")]
    TooSmall { width: usize, height: usize },
    #[error("the image file is incomplete (truncated); copy or capture it again")]
    Truncated,
    #[error("the image file is damaged: {0}")]
    Corrupt(String),
    #[error("unsupported image: {0}")]
    Unsupported(String),
    #[error("the file is too large ({mb} MB; the limit is {max_mb} MB)")]
    FileTooLarge { mb: u64, max_mb: u64 },
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("the {format} decoder failed on this file (a feature it cannot read, or damage); save the picture again as JPEG or PNG")]
    DecoderFailed { format: &'static str },
}

/// Largest image file read at all.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads an image file, refusing absurdly large ones before reading them.
/// Only regular files are opened: a device (`/dev/zero` behind a symlink named
/// `.png`) would be read forever and a pipe would block the open. Never more
/// than [`MAX_FILE_BYTES`] are read, even from a file that grows meanwhile.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, DecodeError> {
    use std::io::Read;
    let io = |e: std::io::Error| DecodeError::Io(e.to_string());
    let too_large = |len: u64| DecodeError::FileTooLarge {
        mb: len >> 20,
        max_mb: MAX_FILE_BYTES >> 20,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(DecodeError::Io("it is a folder, not a file".into()));
    }
    if !meta.is_file() {
        return Err(DecodeError::Io(
            "it is not a regular file (a device, pipe or socket)".into(),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The container formats we decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Bmp,
    Tiff,
    Webp,
    Gif,
    Dicom,
}

impl ImageFormat {
    /// The format's name as people know it.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::Bmp => "BMP",
            ImageFormat::Tiff => "TIFF",
            ImageFormat::Webp => "WebP",
            ImageFormat::Gif => "GIF",
            ImageFormat::Dicom => "DICOM",
        }
    }

    /// The `image` crate's format (none for DICOM, which has its own decoder).
    fn as_image_crate(self) -> Result<image::ImageFormat, DecodeError> {
        match self {
            ImageFormat::Jpeg => Ok(image::ImageFormat::Jpeg),
            ImageFormat::Png => Ok(image::ImageFormat::Png),
            ImageFormat::Bmp => Ok(image::ImageFormat::Bmp),
            ImageFormat::Tiff => Ok(image::ImageFormat::Tiff),
            ImageFormat::Webp => Ok(image::ImageFormat::WebP),
            ImageFormat::Gif => Ok(image::ImageFormat::Gif),
            ImageFormat::Dicom => Err(DecodeError::Unsupported(
                "DICOM through the image crate".into(),
            )),
        }
    }
}

/// The format from the file's first bytes (never from its name). DICOM (`DICM`
/// after the 128-byte preamble) is tested first: a preamble may itself hold a
/// TIFF header (a "dual-personality" file), and such a file is a DICOM slice.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    let starts = |sig: &[u8]| bytes.starts_with(sig);
    if dicom::is_dicom(bytes) {
        Some(ImageFormat::Dicom)
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if starts(b"BM") && bytes.len() > 26 {
        Some(ImageFormat::Bmp)
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some(ImageFormat::Tiff)
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(ImageFormat::Webp)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else {
        None
    }
}

/// What the header says, before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub format: ImageFormat,
    pub width: usize,
    pub height: usize,
    /// EXIF orientation, 1 (upright) to 8.
    pub orientation: u8,
}

impl Probe {
    /// Width and height once the orientation is applied.
    pub fn upright_size(&self) -> (usize, usize) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Reads the header and applies the limits.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = sniff(bytes).ok_or(DecodeError::NotAnImage)?;
    let (width, height, orientation) = match format {
        ImageFormat::Jpeg => jpeg::probe(bytes)?,
        // The IHDR chunk always comes first: read the size even from a header alone.
        ImageFormat::Png if bytes.len() >= 24 && &bytes[12..16] == b"IHDR" => {
            let be =
                |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
            (be(16) as usize, be(20) as usize, 1)
        }
        ImageFormat::Dicom => {
            // One picture: a multi-frame volume is listed frame by frame
            // ([`dicom::CtFile`]), never analysed as its first frame.
            let h = dicom::probe(bytes)?;
            if h.frames > 1 {
                return Err(DecodeError::MultiFrame { frames: h.frames });
            }
            (h.width, h.height, 1)
        }
        other => {
            if other == ImageFormat::Tiff {
                contained(other, || tiff::check(bytes))?;
            }
            let format = other.as_image_crate()?;
            let (w, h) = contained(other, || {
                image::ImageReader::with_format(Cursor::new(bytes), format)
                    .into_dimensions()
                    .map_err(map_image_error)
            })?;
            (w as usize, h as usize, 1)
        }
    };
    check_size(width, height, limits)?;
    Ok(Probe {
        format,
        width,
        height,
        orientation,
    })
}

/// The pixel limit and the smallest side of `limits`.
pub(crate) fn check_size(width: usize, height: usize, limits: &Limits) -> Result<(), DecodeError> {
    let pixels = width as u64 * height as u64;
    if pixels > limits.max_pixels {
        return Err(DecodeError::TooLarge {
            width: width as u64,
            height: height as u64,
            max_mp: limits.max_pixels / 1_000_000,
        });
    }
    if width < limits.min_side || height < limits.min_side {
        return Err(DecodeError::TooSmall { width, height });
    }
    Ok(())
}

fn map_image_error(e: image::ImageError) -> DecodeError {
    use image::ImageError as E;
    match e {
        E::Limits(_) => DecodeError::Unsupported("image exceeds the decoder's memory limit".into()),
        E::Unsupported(u) => DecodeError::Unsupported(u.to_string()),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => DecodeError::Truncated,
        other => {
            let text = other.to_string();
            if text.contains("end of file") || text.contains("EOF") || text.contains("truncated") {
                DecodeError::Truncated
            } else {
                DecodeError::Corrupt(text)
            }
        }
    }
}

/// Decodes a whole image to an upright RGB frame.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<(Probe, RgbFrame), DecodeError> {
    let probe = probe(bytes, limits)?;
    let frame = match probe.format {
        ImageFormat::Jpeg => {
            let mut data = Vec::with_capacity(probe.width * probe.height * 3);
            jpeg::decode_region(bytes, 0..probe.height, None, &mut |b| {
                data.extend_from_slice(b.rows);
                Ok(())
            })?;
            RgbFrame::new(probe.width, probe.height, data)
        }
        ImageFormat::Dicom => Some(dicom::decode_frame(bytes, limits, 0)?),
        ImageFormat::Bmp => match bmp::check(bytes)? {
            Some(packed) => Some(bmp::decode16(bytes, packed)?),
            None => Some(via_image_crate(bytes, &probe, limits)?),
        },
        _ => Some(via_image_crate(bytes, &probe, limits)?),
    }
    .ok_or_else(|| DecodeError::Corrupt("decoded size does not match the header".into()))?;
    Ok((probe, orient(frame, probe.orientation)))
}

/// Decodes PNG, BMP, TIFF, WebP and GIF with the `image` crate (behind the
/// panic boundary, within the probe's size), then to RGB as Pillow does.
fn via_image_crate(bytes: &[u8], probe: &Probe, limits: &Limits) -> Result<RgbFrame, DecodeError> {
    let format = probe.format.as_image_crate()?;
    let img = contained(probe.format, || {
        let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
        let mut lim = image::Limits::default();
        lim.max_image_width = Some(probe.width as u32);
        lim.max_image_height = Some(probe.height as u32);
        lim.max_alloc = Some(limits.max_pixels.saturating_mul(8));
        reader.limits(lim);
        reader.decode().map_err(map_image_error)
    })?;
    pillow::to_rgb(img)
}

/// Runs a third-party decoder: a panic inside it (the `tiff` crate panics on
/// some tiled or planar files) becomes this file's error, logged, never a dead
/// process or inference worker.
fn contained<T>(
    format: ImageFormat,
    f: impl FnOnce() -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let detail = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        log::error!("decode: the {format:?} decoder panicked: {detail}");
        Err(DecodeError::DecoderFailed {
            format: format.name(),
        })
    })
}

/// Applies an EXIF orientation (a pure pixel permutation).
pub fn orient(frame: RgbFrame, orientation: u8) -> RgbFrame {
    if !(2..=8).contains(&orientation) {
        return frame;
    }
    let (w, h) = (frame.width(), frame.height());
    let swap = orientation >= 5;
    let (ow, oh) = if swap { (h, w) } else { (w, h) };
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            // Destination of source pixel (x, y) for each EXIF orientation.
            let (dx, dy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                _ => (y, w - 1 - x),
            };
            let d = (dy * ow + dx) * 3;
            out[d..d + 3].copy_from_slice(&frame.pixel(x, y));
        }
    }
    RgbFrame::new(ow, oh, out).unwrap_or(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe0rest"), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
        assert_eq!(sniff(b"hello, I am a text file"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn orientation_6_rotates_clockwise() {
        // 2x1 image: red, green. Orientation 6 (rotate 90 CW to view): 1x2, red on top.
        let f = RgbFrame::new(2, 1, vec![255, 0, 0, 0, 255, 0]).unwrap();
        let o = orient(f, 6);
        assert_eq!((o.width(), o.height()), (1, 2));
        assert_eq!(o.pixel(0, 0), [255, 0, 0]);
        assert_eq!(o.pixel(0, 1), [0, 255, 0]);
        let f = RgbFrame::new(2, 1, vec![255, 0, 0, 0, 255, 0]).unwrap();
        let o = orient(f, 8);
        assert_eq!(o.pixel(0, 0), [0, 255, 0]);
    }

    #[test]
    fn a_decoder_panic_is_this_file_s_error() {
        let r: Result<(), _> = contained(ImageFormat::Tiff, || panic!("tiff crate bug"));
        assert_eq!(r, Err(DecodeError::DecoderFailed { format: "TIFF" }));
        assert!(r.unwrap_err().to_string().contains("TIFF decoder failed"));
    }

    #[test]
    fn devices_are_refused_not_read_forever() {
        let e = read_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn empty_and_text_are_refused() {
        let l = Limits::default();
        assert_eq!(probe(b"", &l), Err(DecodeError::Empty));
        assert_eq!(probe(b"just some text\n", &l), Err(DecodeError::NotAnImage));
    }
}
