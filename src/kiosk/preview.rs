//! The kiosk's link to the camera worker: turns the worker's feed (newest
//! preview frame, stills, status changes) into messages for the UI thread,
//! with the preview already converted to a display buffer off the UI thread.

use crate::camera::{
    list_cameras, parse_camera_spec, CameraEvent, CameraFeed, CameraSpec, CameraStatus,
    CameraWorker, WorkerConfig,
};
use crate::frame::RgbFrame;
use slint::{Rgb8Pixel, SharedPixelBuffer};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the camera tells the UI.
pub enum CameraMsg {
    Status {
        connected: bool,
        text: String,
        /// Names for the camera picker.
        cameras: Vec<String>,
        index: usize,
    },
    /// The newest preview frame, ready to show, and the measured frame rate.
    Preview {
        buffer: SharedPixelBuffer<Rgb8Pixel>,
        fps: f32,
    },
    /// The full-resolution still asked for.
    Still(Arc<RgbFrame>),
    /// A problem the nurse should read.
    Error(String),
}

type Send = Arc<dyn Fn(CameraMsg) + std::marker::Send + Sync>;

/// Owns the camera worker (dropping it stops the camera).
pub struct CameraLink {
    worker: Option<CameraWorker>,
    choices: Vec<(String, CameraSpec)>,
    send: Send,
}

/// Words for the status line: (connected, text). The camera's name is its
/// label (`Demo camera` for a replayed folder), never a path.
pub fn status_words(s: &CameraStatus) -> (bool, String) {
    match s {
        CameraStatus::Connecting => (false, "Camera: connecting…".into()),
        CameraStatus::Connected(d) => (true, format!("Camera: {d}")),
        CameraStatus::NoCamera => (false, "No camera connected".into()),
        CameraStatus::Reconnecting(r) => (false, format!("Camera problem: {r} — reconnecting…")),
    }
}

/// Frames per second over the last second or so.
struct RateMeter {
    since: Instant,
    frames: u32,
    fps: f32,
}

impl CameraLink {
    /// Starts the camera named by `spec` (`auto`, `none`, `replay:<dir>`, `v4l:<n>`).
    pub fn start(
        spec: &str,
        send: impl Fn(CameraMsg) + std::marker::Send + Sync + 'static,
    ) -> CameraLink {
        let send: Send = Arc::new(send);
        let mut choices: Vec<(String, CameraSpec)> = list_cameras()
            .into_iter()
            .map(|c| (c.name.clone(), CameraSpec::V4l(c.index)))
            .collect();
        let parsed = parse_camera_spec(spec);
        let spec = match parsed {
            Ok(s) => s,
            Err(e) => {
                send(CameraMsg::Error(format!(
                    "Camera setting {spec:?} is not valid: {e}"
                )));
                CameraSpec::None
            }
        };
        if let CameraSpec::Replay(r) = &spec {
            // The folder is for the log; the nurse reads "Demo camera".
            log::info!("camera: replaying {}", r.dir.display());
            choices.insert(0, ("Demo camera".into(), spec.clone()));
        }
        let mut link = CameraLink {
            worker: None,
            choices,
            send,
        };
        link.open(spec);
        link
    }

    fn names(&self) -> Vec<String> {
        self.choices.iter().map(|(n, _)| n.clone()).collect()
    }

    fn open(&mut self, spec: CameraSpec) {
        self.worker = None;
        let index = self
            .choices
            .iter()
            .position(|(_, s)| *s == spec)
            .unwrap_or(0);
        let (send, names) = (self.send.clone(), self.names());
        let meter = Mutex::new(RateMeter {
            since: Instant::now(),
            frames: 0,
            fps: 0.0,
        });
        let notify = move |feed: &CameraFeed| {
            for ev in feed.drain_events() {
                match ev {
                    CameraEvent::Status(s) => {
                        let (connected, text) = status_words(&s);
                        send(CameraMsg::Status {
                            connected,
                            text,
                            cameras: names.clone(),
                            index,
                        });
                    }
                    CameraEvent::Captured(f) => send(CameraMsg::Still(Arc::new(f))),
                    CameraEvent::CaptureFailed(e) => {
                        send(CameraMsg::Error(format!("Could not take the picture: {e}")))
                    }
                    CameraEvent::Error(e) => send(CameraMsg::Error(e.to_string())),
                }
            }
            if let Some((_, frame)) = feed.take_frame() {
                let fps = match meter.lock() {
                    Ok(mut m) => {
                        m.frames += 1;
                        let dt = m.since.elapsed().as_secs_f32();
                        if dt >= 1.0 {
                            m.fps = m.frames as f32 / dt;
                            m.frames = 0;
                            m.since = Instant::now();
                        }
                        m.fps
                    }
                    Err(_) => 0.0,
                };
                let buffer = super::ui::display_buffer(&frame, super::ui::DISPLAY_MAX);
                send(CameraMsg::Preview { buffer, fps });
            }
        };
        match CameraWorker::start(spec, WorkerConfig::default(), Some(Box::new(notify))) {
            Ok(w) => self.worker = Some(w),
            Err(e) => {
                (self.send)(CameraMsg::Status {
                    connected: false,
                    text: "No camera connected".into(),
                    cameras: self.names(),
                    index,
                });
                (self.send)(CameraMsg::Error(e.to_string()));
            }
        }
    }

    /// Asks for a full-resolution still (answered by `Still` or `Error`).
    pub fn capture(&self) {
        match &self.worker {
            Some(w) => w.capture(),
            None => (self.send)(CameraMsg::Error(
                "No camera connected — import an image instead.".into(),
            )),
        }
    }

    /// Switches to camera `i` of the picker.
    pub fn switch(&self, i: usize) {
        match (&self.worker, self.choices.get(i)) {
            (Some(w), Some((_, spec))) => w.switch_to(spec.clone()),
            _ => (self.send)(CameraMsg::Error("That camera is not available.".into())),
        }
    }
}
