//! A preview-rate measurement for the kiosk bench: how many preview frames
//! per second a camera spec delivers through the whole worker path (read,
//! decode, scale for display, publish). With `replay:<dir>?fps=0&decode=each`
//! over 1080p JPEGs it measures the MJPEG-camera path without a camera.

use super::feed::CameraStatus;
use super::source::CameraError;
use super::spec::CameraSpec;
use super::worker::{CameraWorker, WorkerConfig};
use std::time::{Duration, Instant};

/// What [`measure_preview_rate`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewRate {
    /// Preview frames published per second.
    pub fps: f64,
    pub frames: u64,
    pub seconds: f64,
    /// Size of the published (display-scaled) frames.
    pub width: usize,
    pub height: usize,
    /// The source's label (its name on the screen).
    pub source: String,
}

/// Runs a worker on `spec` with `config` for `seconds` after its first
/// frame and counts the preview frames it publishes.
pub fn measure_preview_rate(
    spec: &CameraSpec,
    config: WorkerConfig,
    seconds: f64,
) -> Result<PreviewRate, CameraError> {
    let worker = CameraWorker::start(spec.clone(), config, None)?;
    let feed = worker.feed();
    let wait = config.open_timeout + Duration::from_secs(1);
    let Some((first, frame)) = feed.wait_frame(0, wait) else {
        return Err(match feed.status() {
            CameraStatus::NoCamera => CameraError::NoCamera,
            _ => feed
                .drain_events()
                .into_iter()
                .find_map(|e| match e {
                    super::CameraEvent::Error(e) => Some(e),
                    _ => None,
                })
                .unwrap_or(CameraError::Timeout),
        });
    };
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds.max(0.0)));
    let frames = feed.frames_published().saturating_sub(first);
    let elapsed = t0.elapsed().as_secs_f64();
    let source = match feed.status() {
        CameraStatus::Connected(d) => d,
        other => format!("{other:?}"),
    };
    Ok(PreviewRate {
        fps: frames as f64 / elapsed,
        frames,
        seconds: elapsed,
        width: frame.width(),
        height: frame.height(),
        source,
    })
}
