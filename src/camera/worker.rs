//! [`CameraWorker`]: the one owner of the kiosk's camera. The UI sends it
//! commands (`Capture`, `SwitchTo`, `Stop`) and reads a [`CameraFeed`]; it
//! never waits on the camera.
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

use super::feed::{CameraEvent, CameraFeed, CameraStatus};
use super::grab::{self, GrabSetup, Grabber, Opener, SourceMsg};
use super::source::CameraError;
use super::spec::CameraSpec;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the UI asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Take a full-resolution still; answered by `Captured` or `CaptureFailed`.
    Capture,
    /// Close the current camera and use another.
    SwitchTo(CameraSpec),
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

enum Msg {
    Cmd(Command),
    Source { gen: u64, msg: SourceMsg },
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
        let control = Control {
            cfg: config,
            opener,
            feed: feed.clone(),
            notify,
            tx: tx.clone(),
            alive: Arc::new(()),
            spec,
            gen: 0,
            active: None,
            retry_at: None,
            switching_from: None,
            last_error: None,
        };
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

/// The grabber in use and what it has shown so far.
struct Active {
    grabber: Grabber,
    started: Instant,
    last_alive: Option<Instant>,
    /// The source's name for the screen (see `FrameSource::label`).
    label: Option<String>,
    streaming: bool,
    capture_since: Option<Instant>,
    bad_streak: u32,
}

struct Control {
    cfg: WorkerConfig,
    opener: Opener,
    feed: CameraFeed,
    notify: Option<Notifier>,
    tx: mpsc::Sender<Msg>,
    alive: Arc<()>,
    spec: CameraSpec,
    gen: u64,
    active: Option<Active>,
    retry_at: Option<Instant>,
    /// After a switch: the old grabber, whose exit lets the new one start.
    switching_from: Option<u64>,
    last_error: Option<CameraError>,
}

impl Control {
    fn run(mut self, rx: &mpsc::Receiver<Msg>) {
        self.start();
        loop {
            let wake = [self.deadline(), self.retry_at].into_iter().flatten().min();
            let msg = match wake {
                Some(t) => rx.recv_timeout(t.saturating_duration_since(Instant::now())),
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match msg {
                Ok(Msg::Cmd(Command::Stop)) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Ok(Msg::Cmd(cmd)) => self.command(cmd),
                Ok(Msg::Source { gen, msg }) => self.source(gen, msg),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            self.timers();
        }
        self.shutdown(rx);
    }

    fn event(&self, e: CameraEvent) {
        self.feed.push_event(e);
        self.poke();
    }

    fn status(&self, s: CameraStatus) {
        if self.feed.set_status(s) {
            self.poke();
        }
    }

    fn poke(&self) {
        if let Some(n) = &self.notify {
            n(&self.feed);
        }
    }

    /// When the watchdog fires for the active grabber.
    fn deadline(&self) -> Option<Instant> {
        let a = self.active.as_ref()?;
        let base = match a.last_alive {
            Some(t) => t + self.cfg.frame_timeout,
            None => a.started + self.cfg.open_timeout,
        };
        Some(match a.capture_since {
            Some(c) => base.max(c + self.cfg.capture_timeout),
            None => base,
        })
    }

    fn timers(&mut self) {
        let now = Instant::now();
        if self.deadline().is_some_and(|d| now >= d) {
            self.fail(CameraError::Timeout);
        }
        if self.active.is_none() && self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.start();
        }
    }

    /// Opens the current spec on a new grabber.
    fn start(&mut self) {
        if self.spec == CameraSpec::None {
            self.status(CameraStatus::NoCamera);
            return;
        }
        let stuck = Arc::strong_count(&self.alive) - 1;
        if stuck >= self.cfg.max_stuck {
            log::warn!("camera: {stuck} camera threads are stuck; waiting before reopening");
            self.status(CameraStatus::Reconnecting(
                "The camera is not responding — unplug it and plug it in again".into(),
            ));
            self.retry_at = Some(Instant::now() + self.cfg.retry_every);
            return;
        }
        self.gen += 1;
        let gen = self.gen;
        self.feed.set_writer(gen);
        let tx = self.tx.clone();
        let setup = GrabSetup {
            gen,
            spec: self.spec.clone(),
            opener: Arc::clone(&self.opener),
            feed: self.feed.clone(),
            preview_max: self.cfg.preview_max,
            report: Box::new(move |msg| tx.send(Msg::Source { gen, msg }).is_ok()),
            alive: Arc::clone(&self.alive),
        };
        match grab::spawn(setup) {
            Ok(grabber) => {
                self.active = Some(Active {
                    grabber,
                    started: Instant::now(),
                    last_alive: None,
                    label: None,
                    streaming: false,
                    capture_since: None,
                    bad_streak: 0,
                })
            }
            Err(e) => self.fail(e),
        }
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Capture => self.capture(),
            Command::SwitchTo(spec) => {
                log::info!("camera: switching to {spec}");
                if let Some(a) = self.abandon() {
                    self.switching_from = Some(a.grabber.gen);
                    self.retry_at = Some(Instant::now() + self.cfg.stop_grace);
                } else {
                    self.retry_at = Some(Instant::now());
                }
                self.spec = spec;
                self.last_error = None;
                if self.spec != CameraSpec::None {
                    self.status(CameraStatus::Connecting);
                }
            }
            Command::Stop => {}
        }
    }

    fn capture(&mut self) {
        let refusal = match self.active.as_mut() {
            Some(a) if a.streaming && a.capture_since.is_some() => {
                log::info!("camera: a still is already being taken");
                return;
            }
            Some(a) if a.streaming => {
                if a.grabber.capture() {
                    a.capture_since = Some(Instant::now());
                    return;
                }
                CameraError::NotReady
            }
            _ if self.feed.status() == CameraStatus::NoCamera => CameraError::NoCamera,
            _ => CameraError::NotReady,
        };
        self.event(CameraEvent::CaptureFailed(refusal));
    }

    fn source(&mut self, gen: u64, msg: SourceMsg) {
        let current = gen == self.gen && self.active.is_some();
        if !current {
            if matches!(msg, SourceMsg::Exited) && self.switching_from == Some(gen) {
                self.switching_from = None;
                if self.active.is_none() && self.retry_at.is_some() {
                    self.retry_at = Some(Instant::now());
                }
            }
            return;
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let now = Instant::now();
        match msg {
            SourceMsg::Opened { description, label } => {
                log::info!("camera: opened {description}");
                a.label = Some(label);
            }
            SourceMsg::Frame(notify) => {
                a.last_alive = Some(now);
                a.bad_streak = 0;
                if !a.streaming {
                    a.streaming = true;
                    let label = a.label.clone().unwrap_or_else(|| "Camera".into());
                    self.last_error = None;
                    self.status(CameraStatus::Connected(label));
                }
                if notify {
                    self.poke();
                }
            }
            SourceMsg::FrameError(e) if !e.needs_reopen() => {
                a.last_alive = Some(now);
                a.bad_streak += 1;
                log::debug!("camera: {e}");
                if a.bad_streak >= self.cfg.max_bad_frames {
                    self.fail(e);
                }
            }
            SourceMsg::Captured(result) => {
                a.last_alive = Some(now);
                a.capture_since = None;
                match result {
                    Ok(still) => {
                        let f = still.frame();
                        let kind = match still.jpeg() {
                            Some(j) => format!("the camera's JPEG, {} bytes", j.len()),
                            None => "uncompressed".into(),
                        };
                        log::info!("camera: still {}x{} ({kind})", f.width(), f.height());
                        self.event(CameraEvent::Captured(still));
                    }
                    Err(e) => {
                        log::warn!("camera: still failed: {e}");
                        self.event(CameraEvent::CaptureFailed(e.clone()));
                        if e.needs_reopen() {
                            self.fail(e);
                        }
                    }
                }
            }
            SourceMsg::OpenFailed(e) | SourceMsg::FrameError(e) => self.fail(e),
            SourceMsg::Exited => self.fail(CameraError::Disconnected),
        }
    }

    /// Retires the active grabber (without waiting for it).
    fn abandon(&mut self) -> Option<Active> {
        let a = self.active.take()?;
        a.grabber.cancel();
        self.feed.set_writer(0);
        if a.capture_since.is_some() {
            self.event(CameraEvent::CaptureFailed(CameraError::Stopped(
                "the camera was closed".into(),
            )));
        }
        Some(a)
    }

    /// Reports a failure once, drops the source and schedules a retry.
    fn fail(&mut self, e: CameraError) {
        if let Some(a) = self.active.as_ref() {
            if a.capture_since.is_some() {
                self.event(CameraEvent::CaptureFailed(e.clone()));
                if let Some(a) = self.active.as_mut() {
                    a.capture_since = None;
                }
            }
        }
        self.abandon();
        if self.last_error.as_ref() != Some(&e) {
            log::warn!("camera: {e}; retrying every {:?}", self.cfg.retry_every);
            self.last_error = Some(e.clone());
            if e != CameraError::NoCamera {
                self.event(CameraEvent::Error(e.clone()));
            }
        }
        self.status(match e {
            CameraError::NoCamera => CameraStatus::NoCamera,
            other => CameraStatus::Reconnecting(other.to_string()),
        });
        self.retry_at = Some(Instant::now() + self.cfg.retry_every);
    }

    fn shutdown(&mut self, rx: &mpsc::Receiver<Msg>) {
        let Some(a) = self.abandon() else {
            return;
        };
        let gen = a.grabber.gen;
        let deadline = Instant::now() + self.cfg.stop_grace;
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Msg::Source {
                    gen: g,
                    msg: SourceMsg::Exited,
                }) if g == gen => return,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        log::warn!("camera: the camera did not close in time; its thread is left behind");
    }
}
