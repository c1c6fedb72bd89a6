//! Conversions at the nokhwa boundary: a captured buffer to an [`RgbFrame`],
//! a nokhwa mode to a [`FormatCandidate`] and back, a [`NokhwaError`] to a
//! [`CameraError`] a nurse can act on.
//!
//! MJPEG frames are decoded by the kiosk's own JPEG decoder
//! (`decode::decode`: libjpeg-turbo set up as Pillow, truncated data refused),
//! so there is one decoder for files and cameras and a still is analysed
//! exactly as the same JPEG saved to a file would be. Uncompressed encodings
//! (YUYV, NV12, grey, RGB, BGR) go through nokhwa's converters. A still
//! ([`still_from_buffer`]) keeps an MJPEG frame's bytes as they came: the
//! register stores them as the record's picture.

use super::format::{FormatCandidate, PixelFormat};
use super::source::{guard, CameraError, Still};
use crate::decode::{self, Limits};
use crate::frame::RgbFrame;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{CameraFormat, FrameFormat, Resolution};
use nokhwa::{Buffer, NokhwaError};

/// Decodes one captured frame; a damaged frame is [`CameraError::BadFrame`].
pub fn decode_buffer(buf: &Buffer) -> Result<RgbFrame, CameraError> {
    match buf.source_frame_format() {
        FrameFormat::MJPEG => decode::decode(buf.buffer(), &Limits::default())
            .map(|(_, frame)| frame)
            .map_err(|e| CameraError::BadFrame(e.to_string())),
        other => guard("converting a frame", || {
            let img = buf
                .decode_image::<RgbFormat>()
                .map_err(|e| CameraError::BadFrame(e.to_string()))?;
            let (w, h) = (img.width() as usize, img.height() as usize);
            RgbFrame::new(w, h, img.into_raw())
                .ok_or_else(|| CameraError::BadFrame(format!("{other} frame of the wrong size")))
        })
        .map_err(|e| match e {
            CameraError::Io(m) => CameraError::BadFrame(m),
            e => e,
        }),
    }
}

/// A captured still: an MJPEG frame keeps its JPEG bytes, cut at the
/// JPEG's end ([`jpeg_len`]), and is decoded from exactly those bytes by the
/// same decoder as [`decode_buffer`]; any other encoding is decoded to its
/// picture alone.
pub fn still_from_buffer(buf: &Buffer) -> Result<Still, CameraError> {
    match buf.source_frame_format() {
        FrameFormat::MJPEG => {
            let data = buf.buffer();
            let n = jpeg_len(data).ok_or_else(|| {
                CameraError::BadFrame("an incomplete JPEG frame (no end marker)".into())
            })?;
            Still::from_jpeg(data[..n].to_vec())
        }
        _ => decode_buffer(buf).map(Still::raw),
    }
}

/// The length of the JPEG at the start of `bytes`, through its end (EOI)
/// marker; `None` when it is not a JPEG or has no end. A V4L2 MJPEG buffer
/// is the driver's whole buffer (nokhwa hands it over without cutting it to
/// the bytes used): the frame, then whatever an earlier frame left there,
/// up to the size of the largest frame the camera could send.
///
/// The segments are walked by their lengths (so a thumbnail's own end
/// marker inside an APP segment is skipped) and each scan's entropy-coded
/// data up to its next marker (stuffed `FF 00` and restart markers are part
/// of it), so progressive files with several scans are walked whole.
pub fn jpeg_len(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        if *bytes.get(i)? != 0xFF {
            return None;
        }
        // Fill bytes: any number of FF before a marker.
        while *bytes.get(i + 1)? == 0xFF {
            i += 1;
        }
        let marker = *bytes.get(i + 1)?;
        i += 2;
        match marker {
            0xD9 => return Some(i),
            // Markers without a length: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {
                let len = u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]) as usize;
                if len < 2 {
                    return None;
                }
                i = i.checked_add(len)?;
                if marker == 0xDA {
                    // Entropy-coded data, up to the next real marker.
                    loop {
                        let p = i + bytes.get(i..)?.iter().position(|&b| b == 0xFF)?;
                        match *bytes.get(p + 1)? {
                            0x00 | 0xD0..=0xD7 => i = p + 2,
                            _ => {
                                i = p;
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn pixel_format(f: FrameFormat) -> PixelFormat {
    match f {
        FrameFormat::MJPEG => PixelFormat::Mjpeg,
        FrameFormat::YUYV => PixelFormat::Yuyv,
        FrameFormat::NV12 => PixelFormat::Nv12,
        FrameFormat::GRAY => PixelFormat::Gray,
        FrameFormat::RAWRGB => PixelFormat::Rgb,
        FrameFormat::RAWBGR => PixelFormat::Bgr,
    }
}

fn frame_format(f: PixelFormat) -> FrameFormat {
    match f {
        PixelFormat::Mjpeg => FrameFormat::MJPEG,
        PixelFormat::Yuyv => FrameFormat::YUYV,
        PixelFormat::Nv12 => FrameFormat::NV12,
        PixelFormat::Gray => FrameFormat::GRAY,
        PixelFormat::Rgb => FrameFormat::RAWRGB,
        PixelFormat::Bgr => FrameFormat::RAWBGR,
    }
}

pub(crate) fn candidate(f: &CameraFormat) -> FormatCandidate {
    FormatCandidate::new(
        f.width(),
        f.height(),
        f.frame_rate(),
        pixel_format(f.format()),
    )
}

pub(crate) fn camera_format(c: &FormatCandidate) -> CameraFormat {
    CameraFormat::new(
        Resolution::new(c.width, c.height),
        frame_format(c.format),
        c.fps,
    )
}

/// The `errno` in an `io::Error` text ("... (os error 19)").
fn os_error(text: &str) -> Option<i32> {
    let start = text.rfind("(os error ")? + "(os error ".len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Maps a nokhwa error to what the nurse is told (the detail goes to the log).
pub fn map_nokhwa_error(e: &NokhwaError) -> CameraError {
    let text = e.to_string();
    match os_error(&text) {
        Some(2) | Some(6) if matches!(e, NokhwaError::OpenDeviceError(..)) => {
            return CameraError::NoCamera
        }
        Some(19) | Some(2) | Some(6) => return CameraError::Disconnected,
        Some(16) => return CameraError::Busy,
        Some(1) | Some(13) => {
            return CameraError::Open(
                "permission denied (the kiosk user must be in the \"video\" group)".into(),
            )
        }
        _ => {}
    }
    match e {
        NokhwaError::ProcessFrameError { error, .. } => CameraError::BadFrame(error.clone()),
        NokhwaError::ReadFrameError(m) => CameraError::Io(m.clone()),
        NokhwaError::GetPropertyError { property, error } if property == "CameraFormat" => {
            CameraError::Unsupported(error.clone())
        }
        NokhwaError::SetPropertyError {
            property, error, ..
        } => CameraError::Unsupported(format!("the camera refused {property}: {error}")),
        NokhwaError::UnsupportedOperationError(_) | NokhwaError::NotImplementedError(_) => {
            CameraError::Open("camera support is not available on this system".into())
        }
        other => CameraError::Open(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_what_a_nurse_can_do() {
        let open = |m: &str| NokhwaError::OpenDeviceError("0".into(), m.into());
        assert_eq!(
            map_nokhwa_error(&open("V4L2 Error: No such file or directory (os error 2)")),
            CameraError::NoCamera
        );
        assert_eq!(
            map_nokhwa_error(&open("V4L2 Error: Device or resource busy (os error 16)")),
            CameraError::Busy
        );
        assert!(matches!(
            map_nokhwa_error(&open("Permission denied (os error 13)")),
            CameraError::Open(m) if m.contains("video")
        ));
        assert_eq!(
            map_nokhwa_error(&NokhwaError::ReadFrameError(
                "No such device (os error 19)".into()
            )),
            CameraError::Disconnected
        );
        assert!(matches!(
            map_nokhwa_error(&NokhwaError::ReadFrameError("Stream Not Started".into())),
            CameraError::Io(_)
        ));
        assert!(matches!(
            map_nokhwa_error(&NokhwaError::ProcessFrameError {
                src: FrameFormat::MJPEG,
                destination: "RGB888".into(),
                error: "bad huffman".into()
            }),
            CameraError::BadFrame(_)
        ));
        assert!(matches!(
            map_nokhwa_error(&NokhwaError::GetPropertyError {
                property: "CameraFormat".into(),
                error: "Failed to Fufill".into()
            }),
            CameraError::Unsupported(_)
        ));
    }

    #[test]
    fn modes_round_trip() {
        let c = FormatCandidate::new(1280, 720, 30, PixelFormat::Yuyv);
        assert_eq!(candidate(&camera_format(&c)), c);
    }

    #[test]
    fn raw_rgb_and_bad_yuyv() {
        let rgb = Buffer::new(
            Resolution::new(2, 1),
            &[1, 2, 3, 4, 5, 6],
            FrameFormat::RAWRGB,
        );
        let f = decode_buffer(&rgb).expect("decodes");
        assert_eq!(f.data(), &[1, 2, 3, 4, 5, 6]);
        let yuyv = Buffer::new(Resolution::new(4, 4), &[0; 7], FrameFormat::YUYV);
        assert!(matches!(
            decode_buffer(&yuyv),
            Err(CameraError::BadFrame(_))
        ));
        let empty = Buffer::new(Resolution::new(640, 480), &[], FrameFormat::MJPEG);
        assert!(matches!(
            decode_buffer(&empty),
            Err(CameraError::BadFrame(_))
        ));
    }
}
