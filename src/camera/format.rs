//! Which of a camera's modes to stream: pure choices over a plain list of
//! candidates, so they are tested without a camera.
//!
//! Preview: colour first; then a smooth picture (at least 15 fps) over
//! everything else; then MJPEG (a USB 2 camera only reaches high resolutions
//! at a usable rate compressed); then the highest resolution up to 1920x1080
//! (above it, the smallest); then the highest frame rate. Still: colour, the
//! highest resolution offered, then MJPEG (decoded by the kiosk's
//! Pillow-exact JPEG decoder, so a still is analysed exactly as the same
//! bytes saved to a file would be), then frame rate.

use std::fmt;

/// The pixel encodings a camera may offer (those nokhwa can decode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    Mjpeg,
    Yuyv,
    Nv12,
    Gray,
    Rgb,
    Bgr,
}

/// One mode a camera offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FormatCandidate {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub format: PixelFormat,
}

impl FormatCandidate {
    pub fn new(width: u32, height: u32, fps: u32, format: PixelFormat) -> Self {
        FormatCandidate {
            width,
            height,
            fps,
            format,
        }
    }

    fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

impl fmt::Display for FormatCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.format {
            PixelFormat::Mjpeg => "MJPEG",
            PixelFormat::Yuyv => "YUYV",
            PixelFormat::Nv12 => "NV12",
            PixelFormat::Gray => "GRAY",
            PixelFormat::Rgb => "RGB",
            PixelFormat::Bgr => "BGR",
        };
        write!(f, "{name} {}x{}@{}", self.width, self.height, self.fps)
    }
}

/// Largest preview mode preferred (larger ones only when nothing fits).
pub const PREVIEW_MAX: (u32, u32) = (1920, 1080);
/// Slowest frame rate that still feels like a live picture.
pub const PREVIEW_MIN_FPS: u32 = 15;

/// A fixed order among the uncompressed encodings, so ties are deterministic.
fn encoding_rank(f: PixelFormat) -> u8 {
    match f {
        PixelFormat::Mjpeg => 5,
        PixelFormat::Yuyv => 4,
        PixelFormat::Nv12 => 3,
        PixelFormat::Rgb => 2,
        PixelFormat::Bgr => 1,
        PixelFormat::Gray => 0,
    }
}

fn usable(c: &&FormatCandidate) -> bool {
    c.width > 0 && c.height > 0
}

/// The mode for the live preview; `None` when nothing is usable.
pub fn choose_preview_format(formats: &[FormatCandidate]) -> Option<FormatCandidate> {
    formats
        .iter()
        .filter(usable)
        .max_by_key(|c| {
            let fits = c.width <= PREVIEW_MAX.0 && c.height <= PREVIEW_MAX.1;
            let size = if fits {
                c.pixels() as i64
            } else {
                -(c.pixels() as i64)
            };
            (
                c.format != PixelFormat::Gray,
                c.fps >= PREVIEW_MIN_FPS,
                c.format == PixelFormat::Mjpeg,
                fits,
                size,
                c.fps,
                encoding_rank(c.format),
            )
        })
        .copied()
}

/// The mode for a still: the highest resolution offered.
pub fn choose_still_format(formats: &[FormatCandidate]) -> Option<FormatCandidate> {
    formats
        .iter()
        .filter(usable)
        .max_by_key(|c| {
            (
                c.format != PixelFormat::Gray,
                c.pixels(),
                encoding_rank(c.format),
                c.fps,
            )
        })
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use PixelFormat::*;

    fn c(w: u32, h: u32, fps: u32, f: PixelFormat) -> FormatCandidate {
        FormatCandidate::new(w, h, fps, f)
    }

    /// A typical USB 2 webcam-class device.
    fn webcam() -> Vec<FormatCandidate> {
        vec![
            c(640, 480, 30, Yuyv),
            c(1280, 720, 10, Yuyv),
            c(2592, 1944, 2, Yuyv),
            c(640, 480, 30, Mjpeg),
            c(1280, 720, 30, Mjpeg),
            c(1920, 1080, 30, Mjpeg),
            c(1920, 1080, 15, Mjpeg),
            c(2592, 1944, 15, Mjpeg),
        ]
    }

    #[test]
    fn preview_prefers_mjpeg_1080p_at_the_highest_rate() {
        assert_eq!(
            choose_preview_format(&webcam()),
            Some(c(1920, 1080, 30, Mjpeg))
        );
    }

    #[test]
    fn still_takes_the_highest_resolution() {
        assert_eq!(
            choose_still_format(&webcam()),
            Some(c(2592, 1944, 15, Mjpeg))
        );
        let yuyv_only = [c(640, 480, 30, Yuyv), c(2592, 1944, 2, Yuyv)];
        assert_eq!(
            choose_still_format(&yuyv_only),
            Some(c(2592, 1944, 2, Yuyv))
        );
    }

    #[test]
    fn smooth_beats_sharp_for_preview() {
        // MJPEG only at 5 fps: an uncompressed 30 fps mode gives a live picture.
        let f = [c(1920, 1080, 5, Mjpeg), c(640, 480, 30, Yuyv)];
        assert_eq!(choose_preview_format(&f), Some(c(640, 480, 30, Yuyv)));
        // Nothing reaches 15 fps: take the best there is.
        let f = [c(1920, 1080, 5, Mjpeg), c(640, 480, 10, Yuyv)];
        assert_eq!(choose_preview_format(&f), Some(c(1920, 1080, 5, Mjpeg)));
    }

    #[test]
    fn only_large_modes_give_the_smallest() {
        let f = [c(3840, 2160, 30, Mjpeg), c(2592, 1944, 30, Mjpeg)];
        assert_eq!(choose_preview_format(&f), Some(c(2592, 1944, 30, Mjpeg)));
    }

    #[test]
    fn colour_beats_grey_and_nothing_gives_none() {
        let f = [c(1920, 1080, 60, Gray), c(640, 480, 30, Yuyv)];
        assert_eq!(choose_preview_format(&f), Some(c(640, 480, 30, Yuyv)));
        assert_eq!(choose_still_format(&f), Some(c(640, 480, 30, Yuyv)));
        assert_eq!(choose_preview_format(&[]), None);
        assert_eq!(choose_still_format(&[c(0, 0, 30, Mjpeg)]), None);
    }

    #[test]
    fn display_reads_well() {
        assert_eq!(c(1920, 1080, 30, Mjpeg).to_string(), "MJPEG 1920x1080@30");
    }
}
