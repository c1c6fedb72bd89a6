//! The camera stage: live preview and full-resolution stills from a USB
//! (UVC) fundus camera or dermatoscope, or from a replayed folder of images,
//! without ever making the UI wait on a device.
//!
//! ```text
//!  UI thread                 camera-worker (control)       camera-grab (one per open)     camera-uvc-io (USB only)
//!  CameraWorker ─Command──►  watchdog, reconnect timer ──► owns Box<dyn FrameSource> ──► owns nokhwa::Camera
//!  CameraFeed ◄─ newest frame, events, status ◄──────────  decodes, scales, publishes     dequeues raw frames
//! ```
//!
//! - [`source`]: the [`FrameSource`] trait and [`CameraError`] (nurse-readable).
//! - [`spec`]: `--camera` choices ([`parse_camera_spec`]).
//! - [`replay`]: [`ReplaySource`], a folder looped at a frame rate.
//! - [`uvc`]: [`NokhwaSource`] and [`list_cameras`]; [`format`] picks its modes,
//!   [`convert`] decodes its frames and maps its errors.
//! - [`worker`]: [`CameraWorker`], the guarded owner (it can rest: the
//!   camera closed off the capture screens); `control` its control thread,
//!   `grab` its device thread; [`feed`] what the UI reads.
//! - [`scale`]: display-only downscaling; [`bench`]: preview rate.

pub mod bench;
mod control;
pub mod convert;
pub mod feed;
pub mod format;
mod grab;
pub mod replay;
pub mod scale;
pub mod source;
pub mod spec;
pub mod uvc;
pub mod worker;

pub use bench::{measure_preview_rate, PreviewRate};
pub use convert::{decode_buffer, map_nokhwa_error, still_from_buffer};
pub use feed::{CameraEvent, CameraFeed, CameraStatus};
pub use format::{choose_preview_format, choose_still_format, FormatCandidate, PixelFormat};
pub use grab::Opener;
pub use replay::{ReplayOptions, ReplaySource};
pub use scale::downscale_to_fit;
pub use source::{CameraError, FrameSource, Still};
pub use spec::{parse_camera_spec, CameraSpec};
pub use uvc::{list_cameras, CameraInfo, NokhwaSource};
pub use worker::{CameraWorker, Command, Notifier, WorkerConfig};

/// Opens the source a spec names. `auto` and `name:` try each matching
/// camera the system lists, in order (a UVC camera also lists a metadata
/// node that cannot stream), and give the first one that opens.
pub fn open_source(spec: &CameraSpec) -> Result<Box<dyn FrameSource>, CameraError> {
    match spec {
        CameraSpec::None => Err(CameraError::NoCamera),
        CameraSpec::Replay(opts) => Ok(Box::new(ReplaySource::open(opts.clone())?)),
        CameraSpec::V4l(index) => Ok(Box::new(NokhwaSource::open(*index)?)),
        CameraSpec::Auto => open_first(list_cameras()),
        CameraSpec::Name(text) => {
            let text = text.to_lowercase();
            open_first(
                list_cameras()
                    .into_iter()
                    .filter(|c| c.name.to_lowercase().contains(&text))
                    .collect(),
            )
        }
    }
}

fn open_first(cameras: Vec<CameraInfo>) -> Result<Box<dyn FrameSource>, CameraError> {
    let mut first_error = None;
    for cam in cameras {
        match NokhwaSource::open(cam.index) {
            Ok(src) => return Ok(Box::new(src)),
            Err(e) => {
                log::info!("camera: {} (/dev/video{}): {e}", cam.name, cam.index);
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(CameraError::NoCamera))
}
