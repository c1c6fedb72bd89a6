//! The frame-source edge of the camera stage: the [`FrameSource`] trait every
//! camera implements (a USB camera through nokhwa, a replayed folder, a test
//! fake), and [`CameraError`], the one error type of the `camera` module,
//! whose texts are written for the nurse at the kiosk.

use crate::frame::RgbFrame;

/// Something that produces pictures: a USB camera, a replayed folder, a fake.
///
/// Calls block (a preview frame arrives at the camera's rate), so a source is
/// only ever driven from a worker thread, never from the UI thread; see
/// [`super::CameraWorker`], which also guards against a source that never
/// returns.
pub trait FrameSource: Send {
    /// A one-line description for the log, e.g.
    /// `USB camera "HD Camera" (/dev/video0), preview MJPEG 1920x1080@30`.
    fn describe(&self) -> String;

    /// The camera's name for the nurse's screens: no file path, no device
    /// node (`HD Camera`, `Demo camera`).
    fn label(&self) -> String {
        "Camera".into()
    }

    /// The next preview frame, full frame as delivered (the worker scales it
    /// for display). Blocks until it arrives.
    fn next_frame(&mut self) -> Result<RgbFrame, CameraError>;

    /// The best still the source can take (the highest resolution it
    /// offers), for analysis, with the camera's own JPEG when it sent one.
    /// Blocks until it is taken.
    fn capture_still(&mut self) -> Result<Still, CameraError>;
}

/// A full-resolution still: the picture, and — when the camera sent it
/// compressed (MJPEG) — the camera's own JPEG bytes, exactly as they came.
///
/// With a JPEG, the picture is always that JPEG decoded by the kiosk's
/// decoder (`decode::decode`, the one imported files go through): the
/// register keeps the JPEG as the record's picture, and the analysis of the
/// picture is then the analysis of the stored file, so its input hash can be
/// checked against the file (`tests/it/kiosk/stills.rs`).
#[derive(Clone, PartialEq, Eq)]
pub struct Still {
    frame: RgbFrame,
    jpeg: Option<Vec<u8>>,
}

impl std::fmt::Debug for Still {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.jpeg {
            Some(j) => write!(f, "Still({:?}, JPEG of {} bytes)", self.frame, j.len()),
            None => write!(f, "Still({:?})", self.frame),
        }
    }
}

impl Still {
    /// A still the camera sent uncompressed (YUYV, NV12, RGB…), or a fake's.
    pub fn raw(frame: RgbFrame) -> Still {
        Still { frame, jpeg: None }
    }

    /// A still the camera sent as a JPEG: decoded here, with the kiosk's
    /// decoder; a JPEG that does not decode is a damaged frame.
    pub fn from_jpeg(jpeg: Vec<u8>) -> Result<Still, CameraError> {
        if crate::decode::sniff(&jpeg) != Some(crate::decode::ImageFormat::Jpeg) {
            return Err(CameraError::BadFrame("not a JPEG frame".into()));
        }
        let (_, frame) = crate::decode::decode(&jpeg, &crate::decode::Limits::default())
            .map_err(|e| CameraError::BadFrame(e.to_string()))?;
        Ok(Still {
            frame,
            jpeg: Some(jpeg),
        })
    }

    /// A JPEG and its picture decoded earlier by [`Still::from_jpeg`]'s
    /// decoder with the default limits (the replay source's cache); the
    /// caller vouches that `frame` is exactly that decode.
    pub(crate) fn decoded_jpeg(jpeg: Vec<u8>, frame: RgbFrame) -> Still {
        Still {
            frame,
            jpeg: Some(jpeg),
        }
    }

    /// The picture.
    pub fn frame(&self) -> &RgbFrame {
        &self.frame
    }

    /// The camera's own JPEG, when it sent one.
    pub fn jpeg(&self) -> Option<&[u8]> {
        self.jpeg.as_deref()
    }

    /// The picture and the camera's JPEG.
    pub fn into_parts(self) -> (RgbFrame, Option<Vec<u8>>) {
        (self.frame, self.jpeg)
    }
}

/// Everything that can go wrong with a camera. The texts are shown to nurses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CameraError {
    #[error("No camera connected")]
    NoCamera,
    #[error("The camera was disconnected — check its cable")]
    Disconnected,
    #[error("The camera stopped sending pictures")]
    Timeout,
    #[error("The camera sent a damaged picture ({0})")]
    BadFrame(String),
    #[error("The camera is in use by another program")]
    Busy,
    #[error("The camera is not ready yet — wait for the picture to appear")]
    NotReady,
    #[error("Cannot open the camera: {0}")]
    Open(String),
    #[error("Lost contact with the camera: {0}")]
    Io(String),
    #[error("The camera offers no picture format OneMed can use: {0}")]
    Unsupported(String),
    #[error("Cannot replay images: {0}")]
    Replay(String),
    #[error(
        "Unknown camera setting \"{0}\" (use auto, none, replay:<folder>, v4l:<number> or name:<text>)"
    )]
    BadSpec(String),
    #[error("The camera service has stopped: {0}")]
    Stopped(String),
}

impl CameraError {
    /// Whether the source must be closed and opened again after this error.
    /// A damaged frame is not: the next one is usually fine.
    pub fn needs_reopen(&self) -> bool {
        !matches!(self, CameraError::BadFrame(_))
    }
}

/// Runs a call into camera code, turning a panic (a driver binding that
/// unwraps, a decoder that asserts) into an error instead of a dead thread.
pub(crate) fn guard<T>(
    what: &str,
    f: impl FnOnce() -> Result<T, CameraError>,
) -> Result<T, CameraError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let detail = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        log::error!("camera: {what} panicked: {detail}");
        Err(CameraError::Io(format!("camera driver failure in {what}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_plain_words() {
        assert_eq!(CameraError::NoCamera.to_string(), "No camera connected");
        assert_eq!(
            CameraError::Timeout.to_string(),
            "The camera stopped sending pictures"
        );
        assert!(CameraError::BadSpec("x".into())
            .to_string()
            .contains("replay:"));
    }

    #[test]
    fn only_damaged_frames_keep_the_source() {
        assert!(!CameraError::BadFrame("x".into()).needs_reopen());
        assert!(CameraError::Disconnected.needs_reopen());
        assert!(CameraError::Timeout.needs_reopen());
    }

    #[test]
    fn guard_turns_panics_into_errors() {
        let r: Result<(), _> = guard("test", || panic!("boom"));
        assert!(matches!(r, Err(CameraError::Io(_))));
        assert_eq!(guard("test", || Ok(3)), Ok(3));
    }
}
