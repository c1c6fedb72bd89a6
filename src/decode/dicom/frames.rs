//! A CT file's frames: [`CtFile`] reads and checks a file once (header,
//! limits, pixel data long enough for every frame), then decodes any of its
//! frames to Hounsfield units ([`CtFile::hounsfield`]) or, through the
//! window, to grey ([`CtFile::grey`], which is built on the Hounsfield units).

use super::{
    check_options, codecs, facts, float, header, image, is_dicom, parse, stored_values, window,
    DicomOptions, Grey, Header, DEFLATED, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE,
};
use crate::decode::{DecodeError, Limits};
use crate::frame::RgbFrame;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

/// Frame `frame` (from 0) of a CT file, lung-windowed grey: [`CtFile::open`]
/// then [`CtFile::grey`] with `limits.dicom`.
pub fn decode_frame(bytes: &[u8], limits: &Limits, frame: u32) -> Result<RgbFrame, DecodeError> {
    CtFile::open(bytes, limits)?.grey(frame, &limits.dicom)
}

/// Frame `frame` (from 0) of a CT file in Hounsfield units: [`CtFile::open`]
/// then [`CtFile::hounsfield`].
pub fn hounsfield_frame(
    bytes: &[u8],
    limits: &Limits,
    frame: u32,
) -> Result<Hounsfield, DecodeError> {
    CtFile::open(bytes, limits)?.hounsfield(frame)
}

/// One frame in Hounsfield units, before any window: `hu[y * width + x]`.
/// `f64`, as the rescale is computed, so that any RescaleSlope is exact.
#[derive(Debug, Clone, PartialEq)]
pub struct Hounsfield {
    pub width: usize,
    pub height: usize,
    pub hu: Vec<f64>,
}

/// A CT file read and checked once (header, limits, pixel data size), whose
/// frames are then decoded one by one.
pub struct CtFile {
    obj: DefaultDicomObject,
    header: Header,
    grey: Grey,
}

impl std::fmt::Debug for CtFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtFile")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl CtFile {
    /// Reads the whole file: the checks of [`probe`], the size limits of
    /// `limits` (not the multi-frame refusal of [`crate::decode::probe`]), and
    /// uncompressed pixel data long enough for every frame.
    pub fn open(bytes: &[u8], limits: &Limits) -> Result<CtFile, DecodeError> {
        if !is_dicom(bytes) {
            return Err(DecodeError::NotAnImage);
        }
        let obj = parse(bytes, false)?;
        let header = header(&obj)?;
        crate::decode::check_size(header.width, header.height, limits)?;
        let grey = image(&obj, &header)?;
        let frame = header
            .width
            .checked_mul(header.height)
            .and_then(|n| n.checked_mul(usize::from(grey.bits_allocated / 8)))
            .ok_or_else(|| DecodeError::Corrupt("the DICOM image size is out of range".into()))?;
        let native = [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED]
            .contains(&header.transfer_syntax.as_str());
        if native {
            let have = obj
                .element_opt(tags::PIXEL_DATA)
                .ok()
                .flatten()
                .and_then(|e| e.header().len.get())
                .unwrap_or(0) as usize;
            if have < frame.saturating_mul(header.frames as usize) {
                return Err(DecodeError::Corrupt(format!(
                    "the DICOM pixel data is shorter than the image size ({} of {} images)",
                    have / frame,
                    header.frames
                )));
            }
        }
        Ok(CtFile { obj, header, grey })
    }

    /// What the header says (size, transfer syntax, number of frames).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Number of frames, 1 to [`MAX_FRAMES`].
    pub fn frames(&self) -> u32 {
        self.header.frames
    }

    /// Frame `frame` (from 0) in Hounsfield units.
    pub fn hounsfield(&self, frame: u32) -> Result<Hounsfield, DecodeError> {
        let h = &self.header;
        if frame >= h.frames {
            return Err(DecodeError::Unsupported(format!(
                "image {} asked of a DICOM file that holds {}",
                u64::from(frame) + 1,
                h.frames
            )));
        }
        let g = &self.grey;
        let n = h.width * h.height; // checked in open
        let f = codecs::Frame {
            index: frame,
            n,
            bytes: usize::from(g.bits_allocated / 8),
            rows: h.height,
            cols: h.width,
        };
        let (slope, intercept) = self.rescale(frame)?;
        let data = codecs::frame_bytes(&self.obj, &h.transfer_syntax, f)?;
        let values = stored_values(&data, n, g.bits_allocated, g.bits_stored, g.signed)?;
        Ok(Hounsfield {
            width: h.width,
            height: h.height,
            hu: values.map(|v| v as f64 * slope + intercept).collect(),
        })
    }

    /// RescaleSlope and RescaleIntercept of frame `frame`: an Enhanced CT file
    /// keeps them in its functional groups (Pixel Value Transformation), the
    /// frame's own or the shared ones, which come first; a classic file at the
    /// top level (1 and 0 when absent).
    fn rescale(&self, frame: u32) -> Result<(f64, f64), DecodeError> {
        let root: &InMemDicomObject = &self.obj;
        let own =
            facts::items(root, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).get(frame as usize);
        let shared = facts::items(root, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
        for group in [own, shared].into_iter().flatten() {
            let items = facts::items(group, tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE);
            if let Some(t) = items.first() {
                return Ok((
                    float(t, tags::RESCALE_SLOPE, "rescale slope", 1.0)?,
                    float(t, tags::RESCALE_INTERCEPT, "rescale intercept", 0.0)?,
                ));
            }
        }
        Ok((self.grey.slope, self.grey.intercept))
    }

    /// Frame `frame` (from 0) through the window of `opts`, grey as RGB.
    pub fn grey(&self, frame: u32, opts: &DicomOptions) -> Result<RgbFrame, DecodeError> {
        check_options(opts)?;
        let Hounsfield { width, height, hu } = self.hounsfield(frame)?;
        let mono1 = self.grey.photometric == "MONOCHROME1";
        let mut rgb = Vec::with_capacity(hu.len() * 3);
        for v in hu {
            let y = window(v, opts);
            let y = if mono1 { 255 - y } else { y };
            rgb.extend_from_slice(&[y, y, y]);
        }
        RgbFrame::new(width, height, rgb)
            .ok_or_else(|| DecodeError::Corrupt("decoded size does not match the header".into()))
    }
}
