//! The grabber: one short-lived `camera-grab` thread per opened source. It
//! opens the source, owns it, pulls preview frames (scaled for display) into
//! the feed and takes stills on request, and tells the worker's control
//! thread what happened. It is the only thread that may block on a camera;
//! the control thread watches it and abandons it when it stops answering.

use super::feed::CameraFeed;
use super::scale::downscale_to_fit;
use super::source::{guard, CameraError, FrameSource, Still};
use super::spec::CameraSpec;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

/// Opens a source for a spec (the real one is `camera::open_source`; tests
/// pass fakes).
pub type Opener =
    Arc<dyn Fn(&CameraSpec) -> Result<Box<dyn FrameSource>, CameraError> + Send + Sync>;

/// What a grabber reports to the control thread.
#[derive(Debug)]
pub(crate) enum SourceMsg {
    /// The source opened: its description (for the log) and its label (for
    /// the screen).
    Opened {
        description: String,
        label: String,
    },
    OpenFailed(CameraError),
    /// A frame was published; whether the UI should be notified.
    Frame(bool),
    FrameError(CameraError),
    Captured(Result<Still, CameraError>),
    Exited,
}

/// The control thread's handle on a running grabber.
pub(crate) struct Grabber {
    pub gen: u64,
    cancel: Arc<AtomicBool>,
    capture: mpsc::Sender<()>,
}

impl Grabber {
    /// Asks for a still; false when the grabber is gone.
    pub fn capture(&self) -> bool {
        self.capture.send(()).is_ok()
    }

    /// Tells the grabber to close its source and end, without waiting.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Release);
    }
}

/// What a grabber needs.
pub(crate) struct GrabSetup {
    pub gen: u64,
    pub spec: CameraSpec,
    pub opener: Opener,
    pub feed: CameraFeed,
    pub preview_max: Option<(usize, usize)>,
    /// Sends a report to the control thread; false when it is gone.
    pub report: Box<dyn Fn(SourceMsg) -> bool + Send>,
    /// Held for the thread's life: counts grabbers still running.
    pub alive: Arc<()>,
}

pub(crate) fn spawn(setup: GrabSetup) -> Result<Grabber, CameraError> {
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let gen = setup.gen;
    let flag = Arc::clone(&cancel);
    std::thread::Builder::new()
        .name("camera-grab".into())
        .spawn(move || run(setup, &flag, &rx))
        .map_err(|e| CameraError::Stopped(format!("cannot start a thread: {e}")))?;
    Ok(Grabber {
        gen,
        cancel,
        capture: tx,
    })
}

fn run(setup: GrabSetup, cancel: &AtomicBool, capture: &mpsc::Receiver<()>) {
    let GrabSetup {
        gen,
        spec,
        opener,
        feed,
        preview_max,
        report,
        alive: _alive,
    } = setup;
    let cancelled = || cancel.load(Ordering::Acquire);
    let mut source = match guard("opening the camera", || opener(&spec)) {
        Ok(s) => s,
        Err(e) => {
            report(SourceMsg::OpenFailed(e));
            report(SourceMsg::Exited);
            return;
        }
    };
    if !cancelled()
        && report(SourceMsg::Opened {
            description: source.describe(),
            label: source.label(),
        })
    {
        while !cancelled() {
            let msg = if capture.try_recv().is_ok() {
                SourceMsg::Captured(guard("taking a still", || source.capture_still()))
            } else {
                match guard("reading a frame", || source.next_frame()) {
                    Ok(frame) => {
                        let frame = match preview_max {
                            Some((w, h)) => downscale_to_fit(frame, w, h),
                            None => frame,
                        };
                        match feed.publish(gen, frame) {
                            Some(notify) => SourceMsg::Frame(notify),
                            None => break, // retired
                        }
                    }
                    Err(e) => SourceMsg::FrameError(e),
                }
            };
            let fatal = match &msg {
                SourceMsg::FrameError(e) | SourceMsg::Captured(Err(e)) => e.needs_reopen(),
                _ => false,
            };
            if cancelled() || !report(msg) || fatal {
                break;
            }
        }
    }
    let _ = guard("closing the camera", || {
        drop(source);
        Ok(())
    });
    report(SourceMsg::Exited);
}
