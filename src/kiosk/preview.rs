//! The kiosk's link to the camera worker: turns the worker's feed (newest
//! preview frame, stills, status changes) into messages for the UI thread,
//! with the preview already converted to a display buffer off the UI thread.
//! The camera's state and problems travel as data; the screen words them in
//! its language ([`status_words`], [`CameraProblem::in_lang`]).
//!
//! The camera streams only while the kiosk wants a preview
//! ([`CameraLink::stream`]: the capture screen); otherwise the worker is
//! paused and the camera closed. The link only sends commands: nothing here
//! waits on the device.

use crate::camera::{
    list_cameras, parse_camera_spec, CameraError, CameraEvent, CameraFeed, CameraSpec,
    CameraStatus, CameraWorker, WorkerConfig,
};
use crate::frame::RgbFrame;
use crate::i18n::{n_, tr, trf, Lang};
use crate::kiosk::ui::Screen;
use slint::{Rgb8Pixel, SharedPixelBuffer};
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the camera tells the UI.
pub enum CameraMsg {
    Status {
        status: CameraStatus,
        /// Names for the camera picker.
        cameras: Vec<String>,
        index: usize,
    },
    /// The newest preview frame, ready to show, and the measured frame rate.
    Preview {
        buffer: SharedPixelBuffer<Rgb8Pixel>,
        fps: f32,
    },
    /// The full-resolution still asked for, and the camera's own JPEG of it
    /// when it sent one (`frame` is then exactly that JPEG decoded).
    Still {
        frame: Arc<RgbFrame>,
        jpeg: Option<Vec<u8>>,
    },
    /// A problem the nurse should read.
    Error(CameraProblem),
}

/// A camera problem for the message bar.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraProblem {
    /// The camera setting cannot be read.
    BadSetting { spec: String, error: CameraError },
    /// The still asked for could not be taken.
    CaptureFailed(CameraError),
    /// The camera failed (said once, not at every retry).
    Failed(CameraError),
    /// A picture asked for with no camera.
    NoCamera,
    /// A camera the picker does not have.
    NotAvailable,
}

impl CameraProblem {
    /// The problem in `lang` (English for the log).
    pub fn in_lang(&self, lang: Lang) -> String {
        match self {
            CameraProblem::BadSetting { spec, error } => trf(
                lang,
                "Camera setting {} is not valid: {}",
                &[&format!("{spec:?}"), &error_words(error, lang)],
            ),
            CameraProblem::CaptureFailed(e) => trf(
                lang,
                "Could not take the picture: {}",
                &[&error_words(e, lang)],
            ),
            CameraProblem::Failed(e) => error_words(e, lang),
            CameraProblem::NoCamera => tr(lang, "No camera connected — import an image instead."),
            CameraProblem::NotAvailable => tr(lang, "That camera is not available."),
        }
    }
}

/// A camera error in `lang`. Its English is the error's own text (the
/// msgid); the detail a technical one carries stays as it is.
pub fn error_words(e: &CameraError, lang: Lang) -> String {
    let with = |msgid: &str, detail: &str| trf(lang, msgid, &[detail]);
    match e {
        CameraError::NoCamera => tr(lang, "No camera connected"),
        CameraError::Disconnected => tr(lang, "The camera was disconnected — check its cable"),
        CameraError::Timeout => tr(lang, "The camera stopped sending pictures"),
        CameraError::BadFrame(d) => with(n_("The camera sent a damaged picture ({})"), d),
        CameraError::Busy => tr(lang, "The camera is in use by another program"),
        CameraError::NotReady => tr(
            lang,
            "The camera is not ready yet — wait for the picture to appear",
        ),
        CameraError::Open(d) => with(n_("Cannot open the camera: {}"), d),
        CameraError::Io(d) => with(n_("Lost contact with the camera: {}"), d),
        CameraError::Unsupported(d) => with(
            n_("The camera offers no picture format OneMed can use: {}"),
            d,
        ),
        CameraError::Replay(d) => with(n_("Cannot replay images: {}"), d),
        CameraError::BadSpec(d) => with(
            n_("Unknown camera setting \"{}\" (use auto, none, replay:<folder>, v4l:<number> or name:<text>)"),
            d,
        ),
        CameraError::Stopped(d) => with(n_("The camera service has stopped: {}"), d),
    }
}

type Send = Arc<dyn Fn(CameraMsg) + std::marker::Send + Sync>;

/// Owns the camera worker (dropping it stops the camera).
pub struct CameraLink {
    worker: Option<CameraWorker>,
    choices: Vec<(String, CameraSpec)>,
    send: Send,
    /// Whether the kiosk wants the camera streaming (see [`CameraLink::stream`]).
    streaming: Cell<bool>,
}

/// The replayed folder's name in the camera picker.
const DEMO_CAMERA: &str = n_("Demo camera");

/// A camera's name in `lang`: the demo camera's is translated, a real
/// camera's is its own.
pub fn camera_name(name: &str, lang: Lang) -> String {
    tr(lang, name)
}

/// The camera's state for the status line in `lang` (`None`: not said yet).
/// The camera's name is its label (`Demo camera` for a replayed folder),
/// never a path; a reconnect's reason is the camera error's words.
pub fn status_words(s: Option<&CameraStatus>, lang: Lang) -> String {
    match s {
        None => tr(lang, "Camera: starting…"),
        Some(CameraStatus::Connecting) => tr(lang, "Camera: connecting…"),
        Some(CameraStatus::Connected(d)) => trf(lang, "Camera: {}", &[&camera_name(d, lang)]),
        Some(CameraStatus::NoCamera) => tr(lang, "No camera connected"),
        Some(CameraStatus::Reconnecting(r)) => {
            trf(lang, "Camera problem: {} — reconnecting…", &[&tr(lang, r)])
        }
    }
}

impl crate::kiosk::Kiosk {
    pub(super) fn restart_camera(&self, spec: &str) {
        let streaming = streams_on(self.g().get_screen());
        *self.camera.borrow_mut() = Self::start_camera(spec, streaming, &self.tx, &self.waker);
    }

    /// Shows `screen`; the camera streams only for the capture screens
    /// ([`streams_on`]), and resting clears the preview (never an old one).
    pub(super) fn show(&self, screen: Screen) {
        self.g().set_screen(screen);
        let stream = streams_on(screen);
        if !stream {
            self.capture.clear_preview(self);
        }
        self.camera.borrow().stream(stream);
    }

    /// Preview frames the camera has delivered (none while it rests).
    pub fn camera_frames(&self) -> u64 {
        self.camera.borrow().frames()
    }
}

/// Whether the camera streams while `screen` is shown: on the capture
/// screen, which shows its live preview, and on the review of its still,
/// so that Retake shows the preview at once (a USB camera takes a moment to
/// open and settle its exposure; the review lasts seconds, and always ends
/// on the capture or the result screen). Everywhere else (home, the visit,
/// result, history, admin, sign-in…) it rests, closed: no frame is read or
/// decoded.
pub fn streams_on(screen: Screen) -> bool {
    matches!(screen, Screen::Capture | Screen::Review)
}

/// Frames per second over the last second or so.
struct RateMeter {
    since: Instant,
    frames: u32,
    fps: f32,
}

impl CameraLink {
    /// Starts the camera named by `spec` (`auto`, `none`, `replay:<dir>`,
    /// `v4l:<n>`), streaming or (once its status is known) resting.
    pub fn start(
        spec: &str,
        streaming: bool,
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
                send(CameraMsg::Error(CameraProblem::BadSetting {
                    spec: spec.to_string(),
                    error: e,
                }));
                CameraSpec::None
            }
        };
        if let CameraSpec::Replay(r) = &spec {
            // The folder is for the log; the nurse reads "Demo camera".
            log::info!("camera: replaying {}", r.dir.display());
            choices.insert(0, (DEMO_CAMERA.into(), spec.clone()));
        }
        let mut link = CameraLink {
            worker: None,
            choices,
            send,
            streaming: Cell::new(streaming),
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
                    CameraEvent::Status(status) => send(CameraMsg::Status {
                        status,
                        cameras: names.clone(),
                        index,
                    }),
                    CameraEvent::Captured(still) => {
                        let (frame, jpeg) = still.into_parts();
                        send(CameraMsg::Still {
                            frame: Arc::new(frame),
                            jpeg,
                        })
                    }
                    CameraEvent::CaptureFailed(e) => {
                        send(CameraMsg::Error(CameraProblem::CaptureFailed(e)))
                    }
                    CameraEvent::Error(e) => send(CameraMsg::Error(CameraProblem::Failed(e))),
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
            Ok(w) => {
                if !self.streaming.get() {
                    // It still opens once, so the home screen knows the camera.
                    w.pause();
                }
                self.worker = Some(w);
            }
            Err(e) => {
                (self.send)(CameraMsg::Status {
                    status: CameraStatus::NoCamera,
                    cameras: self.names(),
                    index,
                });
                (self.send)(CameraMsg::Error(CameraProblem::Failed(e)));
            }
        }
    }

    /// Asks for a full-resolution still (answered by `Still` or `Error`).
    pub fn capture(&self) {
        match &self.worker {
            Some(w) => w.capture(),
            None => (self.send)(CameraMsg::Error(CameraProblem::NoCamera)),
        }
    }

    /// Streams (a screen shows the preview) or rests (the camera closed, no
    /// frame read or decoded). Only a command to the worker, sent when the
    /// wish changes; never a wait.
    pub fn stream(&self, on: bool) {
        if self.streaming.replace(on) == on {
            return;
        }
        if let Some(w) = &self.worker {
            if on {
                w.resume();
            } else {
                w.pause();
            }
        }
    }

    /// Preview frames the camera has delivered so far (they stop while it rests).
    pub fn frames(&self) -> u64 {
        self.worker
            .as_ref()
            .map_or(0, |w| w.feed().frames_published())
    }

    /// Switches to camera `i` of the picker.
    pub fn switch(&self, i: usize) {
        match (&self.worker, self.choices.get(i)) {
            (Some(w), Some((_, spec))) => w.switch_to(spec.clone()),
            _ => (self.send)(CameraMsg::Error(CameraProblem::NotAvailable)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_error() -> Vec<CameraError> {
        let d = || "detail 7".to_string();
        vec![
            CameraError::NoCamera,
            CameraError::Disconnected,
            CameraError::Timeout,
            CameraError::BadFrame(d()),
            CameraError::Busy,
            CameraError::NotReady,
            CameraError::Open(d()),
            CameraError::Io(d()),
            CameraError::Unsupported(d()),
            CameraError::Replay(d()),
            CameraError::BadSpec(d()),
            CameraError::Stopped(d()),
        ]
    }

    #[test]
    fn camera_errors_read_as_before_in_english_and_translated_in_hindi() {
        for e in every_error() {
            assert_eq!(error_words(&e, Lang::En), e.to_string());
            let hi = error_words(&e, Lang::Hi);
            assert_ne!(hi, e.to_string());
            assert!(!hi.contains("{}"), "{hi}");
            if e.to_string().contains("detail 7") {
                assert!(hi.contains("detail 7"), "the detail is kept: {hi}");
            }
        }
        let failed = CameraProblem::CaptureFailed(CameraError::Busy);
        assert_eq!(
            failed.in_lang(Lang::En),
            "Could not take the picture: The camera is in use by another program"
        );
        assert!(!failed.in_lang(Lang::Ta).contains("in use"));
    }

    #[test]
    fn the_status_line_says_the_camera_in_each_language() {
        let demo = CameraStatus::Connected(DEMO_CAMERA.into());
        assert_eq!(status_words(Some(&demo), Lang::En), "Camera: Demo camera");
        let lost = CameraStatus::Reconnecting(CameraError::Disconnected.to_string());
        assert_eq!(
            status_words(Some(&lost), Lang::En),
            "Camera problem: The camera was disconnected — check its cable — reconnecting…"
        );
        for s in [
            None,
            Some(&demo),
            Some(&lost),
            Some(&CameraStatus::NoCamera),
        ] {
            let hi = status_words(s, Lang::Hi);
            assert_ne!(hi, status_words(s, Lang::En));
            assert!(
                !hi.contains("{}") && !hi.contains("Demo") && !hi.contains("cable"),
                "{hi}"
            );
        }
        // A real camera's name is its own.
        let hd = CameraStatus::Connected("HD Camera".into());
        assert!(status_words(Some(&hd), Lang::Hi).contains("HD Camera"));
    }
}
