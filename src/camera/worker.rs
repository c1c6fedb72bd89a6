//! [`CameraWorker`]: the one owner of the kiosk's camera. The UI sends it
//! commands (`Capture`, `SwitchTo`, `Pause`, `Resume`, `Stop`) and reads a
//! [`CameraFeed`]; it never waits on the camera.
//!
//! Threads: the `camera-worker` control thread never touches a device. It
//! starts a `camera-grab` thread per opened source (see `grab.rs`), which
//! opens it, reads it and publishes frames into the feed, and it watches that
//! thread: when no sign of life (a frame, even a damaged one, or a still)
//! arrives within the timeout, it reports `Timeout`, abandons the grabber
//! (told to stop; if it is stuck inside a driver call it is left behind, and
//! its late frames are refused by the feed) and opens the source again. After
//! any failure it retries every second, so an unplugged camera comes back
//! on its own when plugged in again. Dropping the worker stops the control
//! thread and waits a short grace period for the grabber; a stuck grabber is
//! detached, never waited on.
//!
//! Resting: `Pause` closes the camera (the grabber is retired, so the device
//! is released and nothing is read or decoded) and `Resume` opens it again.
//! A camera not tried yet (at start, after `SwitchTo`) is still opened once
//! while paused, until its first frame or its failure, so its status is
//! known; then it rests. While paused nothing is retried and no timer runs
//! (the control thread sleeps on its channel): an unplugged camera is found
//! on `Resume`, which opens it and reports what happened, as at start.

use super::control::{Control, Msg};
use super::feed::CameraFeed;
use super::grab::Opener;
use super::source::CameraError;
use super::spec::CameraSpec;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the UI asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Take a full-resolution still; answered by `Captured` or `CaptureFailed`.
    Capture,
    /// Close the current camera and use another.
    SwitchTo(CameraSpec),
    /// Stop streaming: close the camera (once its status is known) and keep
    /// it closed, with no retries, until `Resume`.
    Pause,
    /// Stream again after `Pause` (nothing when not paused).
    Resume,
    /// End the worker (dropping it does this too).
    Stop,
}

/// Called on the control thread when there is something new in the feed:
/// a preview frame (only when the previous one was taken, so at most one
/// notification is outstanding) or an event. Keep it short; the kiosk posts
/// to its event loop here.
pub type Notifier = Box<dyn Fn(&CameraFeed) + Send>;

/// Timeouts and limits of the worker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkerConfig {
    /// No preview frame for this long: the camera is considered stuck.
    pub frame_timeout: Duration,
    /// Longest wait for a source to open and send its first frame.
    pub open_timeout: Duration,
    /// Longest wait for a still.
    pub capture_timeout: Duration,
    /// Pause between attempts to open the camera again.
    pub retry_every: Duration,
    /// How long stopping waits for the grabber before leaving it behind.
    pub stop_grace: Duration,
    /// Damaged frames in a row that make the worker reopen the camera.
    pub max_bad_frames: u32,
    /// Grabbers stuck in a driver that are tolerated before reopening stops.
    pub max_stuck: usize,
    /// Preview frames are scaled down to fit this size (display only).
    pub preview_max: Option<(usize, usize)>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            frame_timeout: Duration::from_secs(4),
            open_timeout: Duration::from_secs(12),
            capture_timeout: Duration::from_secs(20),
            retry_every: Duration::from_secs(1),
            stop_grace: Duration::from_millis(500),
            max_bad_frames: 30,
            max_stuck: 3,
            preview_max: Some((1280, 720)),
        }
    }
}

/// The camera worker; see the module header.
pub struct CameraWorker {
    tx: mpsc::Sender<Msg>,
    feed: CameraFeed,
    thread: Option<JoinHandle<()>>,
}

impl CameraWorker {
    /// Starts a worker on `spec` (`camera::open_source` opens it).
    pub fn start(
        spec: CameraSpec,
        config: WorkerConfig,
        notify: Option<Notifier>,
    ) -> Result<Self, CameraError> {
        Self::with_opener(spec, config, Arc::new(super::open_source), notify)
    }

    /// Starts a worker that opens sources with `opener`.
    pub fn with_opener(
        spec: CameraSpec,
        config: WorkerConfig,
        opener: Opener,
        notify: Option<Notifier>,
    ) -> Result<Self, CameraError> {
        let (tx, rx) = mpsc::channel();
        let feed = CameraFeed::default();
        let control = Control::new(spec, config, opener, feed.clone(), notify, tx.clone());
        let thread = std::thread::Builder::new()
            .name("camera-worker".into())
            .spawn(move || control.run(&rx))
            .map_err(|e| CameraError::Stopped(format!("cannot start a thread: {e}")))?;
        Ok(CameraWorker {
            tx,
            feed,
            thread: Some(thread),
        })
    }

    /// The feed: newest preview frame, events, status.
    pub fn feed(&self) -> CameraFeed {
        self.feed.clone()
    }

    /// Sends a command; never blocks.
    pub fn send(&self, cmd: Command) {
        if self.tx.send(Msg::Cmd(cmd)).is_err() {
            log::warn!("camera: the worker has stopped");
        }
    }

    /// Asks for a full-resolution still.
    pub fn capture(&self) {
        self.send(Command::Capture);
    }

    /// Switches to another camera.
    pub fn switch_to(&self, spec: CameraSpec) {
        self.send(Command::SwitchTo(spec));
    }

    /// Closes the camera until [`resume`](Self::resume) (see the module header).
    pub fn pause(&self) {
        self.send(Command::Pause);
    }

    /// Opens the camera again after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.send(Command::Resume);
    }
}

impl Drop for CameraWorker {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Cmd(Command::Stop));
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                log::error!("camera: the worker thread panicked");
            }
        }
    }
}
