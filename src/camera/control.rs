//! The camera worker's control thread (`camera-worker`): the state machine
//! behind [`CameraWorker`](super::CameraWorker). It starts a grabber per
//! opened source (`grab.rs`), watches it (the watchdog), retries after a
//! failure, switches cameras, and rests the camera while paused; it never
//! touches a device itself. See the `worker` module header for the rules.

use super::feed::{CameraEvent, CameraFeed, CameraStatus};
use super::grab::{self, GrabSetup, Grabber, Opener, SourceMsg};
use super::source::CameraError;
use super::spec::CameraSpec;
use super::worker::{Command, Notifier, WorkerConfig};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// What reaches the control thread: the UI's commands, the grabbers' reports.
pub(super) enum Msg {
    Cmd(Command),
    Source { gen: u64, msg: SourceMsg },
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

pub(super) struct Control {
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
    /// After a switch or a pause: the old grabber, whose exit lets the next
    /// one start (a USB camera cannot be opened twice).
    closing: Option<u64>,
    last_error: Option<CameraError>,
    /// `Pause` was sent and no `Resume` since.
    paused: bool,
    /// The current spec has not yet given a frame or failed: it is opened
    /// even while paused, so that its status is known.
    untried: bool,
}

impl Control {
    /// The control thread's state for a worker on `spec`, before it runs.
    pub(super) fn new(
        spec: CameraSpec,
        cfg: WorkerConfig,
        opener: Opener,
        feed: CameraFeed,
        notify: Option<Notifier>,
        tx: mpsc::Sender<Msg>,
    ) -> Control {
        Control {
            cfg,
            opener,
            feed,
            notify,
            tx,
            alive: Arc::new(()),
            spec,
            gen: 0,
            active: None,
            retry_at: None,
            closing: None,
            last_error: None,
            paused: false,
            untried: true,
        }
    }

    /// Runs until `Stop` or until every sender is gone.
    pub(super) fn run(mut self, rx: &mpsc::Receiver<Msg>) {
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
            if self.may_open() {
                self.start();
            }
        }
    }

    /// Whether a grabber may run now: streaming, or a camera not tried yet.
    fn may_open(&self) -> bool {
        !self.paused || self.untried
    }

    /// Closes the camera while paused (its status stays as last reported).
    fn rest(&mut self) {
        if let Some(a) = self.abandon() {
            log::info!("camera: resting (closed until a capture screen is shown)");
            self.closing = Some(a.grabber.gen);
        }
        self.retry_at = None;
    }

    /// Opens the camera again: at once, or when the grabber being closed has
    /// let go of the device (at most `stop_grace` later).
    fn reopen_soon(&mut self) {
        let wait = if self.closing.is_some() {
            self.cfg.stop_grace
        } else {
            Duration::ZERO
        };
        self.retry_at = Some(Instant::now() + wait);
    }

    /// Opens the current spec on a new grabber.
    fn start(&mut self) {
        if self.spec == CameraSpec::None {
            self.untried = false;
            self.status(CameraStatus::NoCamera);
            return;
        }
        let stuck = Arc::strong_count(&self.alive) - 1;
        if stuck >= self.cfg.max_stuck {
            log::warn!("camera: {stuck} camera threads are stuck; waiting before reopening");
            self.status(CameraStatus::Reconnecting(
                "The camera is not responding — unplug it and plug it in again".into(),
            ));
            self.untried = false;
            self.retry_at = (!self.paused).then(|| Instant::now() + self.cfg.retry_every);
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
                    self.closing = Some(a.grabber.gen);
                }
                self.reopen_soon();
                self.spec = spec;
                self.last_error = None;
                // Tried once even while paused, so the new camera's status is known.
                self.untried = true;
                if self.spec != CameraSpec::None {
                    self.status(CameraStatus::Connecting);
                }
            }
            Command::Pause if !self.paused => {
                self.paused = true;
                // A camera being tried for the first time finishes that first.
                if !self.untried {
                    self.rest();
                }
            }
            Command::Resume if self.paused => {
                self.paused = false;
                if self.active.is_none() {
                    log::info!("camera: streaming again");
                    self.reopen_soon();
                }
            }
            Command::Pause | Command::Resume | Command::Stop => {}
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
            if matches!(msg, SourceMsg::Exited) && self.closing == Some(gen) {
                self.closing = None;
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
                    self.untried = false;
                    self.status(CameraStatus::Connected(label));
                    if self.paused {
                        // Tried while paused: its status is known, now it rests.
                        return self.rest();
                    }
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
        self.untried = false;
        // Paused: no retries; `Resume` tries again.
        self.retry_at = (!self.paused).then(|| Instant::now() + self.cfg.retry_every);
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
