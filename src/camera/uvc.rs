//! USB (UVC) cameras through nokhwa (V4L2 on Linux): listing them, and
//! [`NokhwaSource`], a [`FrameSource`] over one of them.
//!
//! `nokhwa::Camera` is not `Send` and its calls block without a timeout, so
//! each `NokhwaSource` starts its own `camera-uvc-io` thread that opens the
//! camera, owns it for its whole life and only moves bytes: it dequeues frames
//! as fast as the camera sends them and keeps the newest in a slot (so the
//! camera's buffer queue never fills and the preview never lags), and switches
//! to the still mode on request. `next_frame` waits for a new slot entry with
//! a timeout and decodes it on the caller's thread. Every nokhwa call runs
//! under `catch_unwind`: the bindings index and unwrap on driver data.
//! If the camera hangs inside a driver call, the I/O thread cannot be
//! interrupted: dropping the source waits briefly, then detaches it.

use super::convert::{self, camera_format, candidate, decode_buffer, map_nokhwa_error};
use super::format::{choose_preview_format, choose_still_format, FormatCandidate};
use super::source::{guard, CameraError, FrameSource, Still};
use crate::frame::RgbFrame;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{ApiBackend, CameraIndex, RequestedFormat, RequestedFormatType};
use nokhwa::{Buffer, Camera};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A camera the system reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraInfo {
    /// The V4L2 index (`/dev/video<index>`).
    pub index: u32,
    pub name: String,
    pub description: String,
}

/// The cameras the system reports now; empty when there are none or the
/// query fails (logged), never a panic.
pub fn list_cameras() -> Vec<CameraInfo> {
    let listed = guard("listing cameras", || {
        nokhwa::query(ApiBackend::Auto).map_err(|e| map_nokhwa_error(&e))
    });
    match listed {
        Ok(list) => {
            let cams: Vec<CameraInfo> = list
                .into_iter()
                .filter_map(|c| match c.index() {
                    CameraIndex::Index(i) => Some(CameraInfo {
                        index: *i,
                        name: c.human_name(),
                        description: c.description().to_string(),
                    }),
                    CameraIndex::String(_) => None,
                })
                .collect();
            log::debug!("camera: {} camera(s) listed", cams.len());
            cams
        }
        Err(e) => {
            log::warn!("camera: cannot list cameras: {e}");
            Vec::new()
        }
    }
}

/// Timeouts and settling for a USB camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UvcOptions {
    /// Longest wait for the camera to open and report its modes.
    pub open_timeout: Duration,
    /// Longest wait for one preview frame.
    pub frame_timeout: Duration,
    /// Longest wait for a still (switching modes can take seconds).
    pub still_timeout: Duration,
    /// Frames dropped after switching to the still mode while exposure settles.
    pub settle_frames: u32,
}

impl Default for UvcOptions {
    fn default() -> Self {
        UvcOptions {
            open_timeout: Duration::from_secs(10),
            frame_timeout: Duration::from_secs(3),
            still_timeout: Duration::from_secs(8),
            settle_frames: 3,
        }
    }
}

/// What the I/O thread found when it opened the camera.
#[derive(Debug, Clone)]
struct Opened {
    name: String,
    preview: FormatCandidate,
    still: FormatCandidate,
}

/// The newest frame, shared between the I/O thread and the source.
#[derive(Default)]
struct Slot {
    seq: u64,
    latest: Option<Buffer>,
    error: Option<CameraError>,
    exited: bool,
}

#[derive(Default)]
struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a change until `deadline`; `None` once the deadline has passed.
    fn wait_until<'a>(
        &self,
        s: MutexGuard<'a, Slot>,
        deadline: Instant,
    ) -> Option<MutexGuard<'a, Slot>> {
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        Some(
            self.changed
                .wait_timeout(s, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0),
        )
    }

    fn publish(&self, buf: Buffer) {
        let mut s = self.lock();
        s.seq += 1;
        s.latest = Some(buf);
        self.changed.notify_all();
    }

    fn finish(&self, error: Option<CameraError>) {
        let mut s = self.lock();
        s.error = s.error.take().or(error);
        s.exited = true;
        self.changed.notify_all();
    }
}

enum IoCmd {
    Still(mpsc::Sender<Result<Buffer, CameraError>>),
}

/// A USB camera; see the module header.
pub struct NokhwaSource {
    index: u32,
    opened: Opened,
    opts: UvcOptions,
    shared: Arc<Shared>,
    cmds: mpsc::Sender<IoCmd>,
    stop: Arc<AtomicBool>,
    io: Option<JoinHandle<()>>,
    seen: u64,
}

impl NokhwaSource {
    /// Opens `/dev/video<index>` with the default timeouts.
    pub fn open(index: u32) -> Result<Self, CameraError> {
        Self::open_with(index, UvcOptions::default())
    }

    /// Opens `/dev/video<index>`: picks the preview and still modes and
    /// starts streaming the preview.
    pub fn open_with(index: u32, opts: UvcOptions) -> Result<Self, CameraError> {
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (open_tx, open_rx) = mpsc::sync_channel(1);
        let io = {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("camera-uvc-io".into())
                .spawn(move || io_main(index, opts, &shared, &cmd_rx, &stop, open_tx))
                .map_err(|e| CameraError::Stopped(format!("cannot start a thread: {e}")))?
        };
        let opened = match open_rx.recv_timeout(opts.open_timeout) {
            Ok(Ok(opened)) => opened,
            Ok(Err(e)) => {
                let _ = io.join();
                return Err(e);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                stop.store(true, Ordering::Release);
                log::warn!("camera: /dev/video{index} did not open in time; leaving it");
                return Err(CameraError::Timeout);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = io.join();
                return Err(CameraError::Open("the camera thread ended".into()));
            }
        };
        log::info!(
            "camera: opened /dev/video{index} \"{}\": preview {}, still {}",
            opened.name,
            opened.preview,
            opened.still
        );
        Ok(NokhwaSource {
            index,
            opened,
            opts,
            shared,
            cmds: cmd_tx,
            stop,
            io: Some(io),
            seen: 0,
        })
    }

    /// The mode the preview streams in.
    pub fn preview_format(&self) -> FormatCandidate {
        self.opened.preview
    }

    /// The mode stills are taken in.
    pub fn still_format(&self) -> FormatCandidate {
        self.opened.still
    }
}

impl FrameSource for NokhwaSource {
    fn describe(&self) -> String {
        format!(
            "USB camera \"{}\" (/dev/video{}), preview {}, still {}",
            self.opened.name, self.index, self.opened.preview, self.opened.still
        )
    }

    fn label(&self) -> String {
        let name = self.opened.name.trim();
        if name.is_empty() {
            "USB camera".into()
        } else {
            name.to_string()
        }
    }

    fn next_frame(&mut self) -> Result<RgbFrame, CameraError> {
        let deadline = Instant::now() + self.opts.frame_timeout;
        let buf = {
            let mut s = self.shared.lock();
            loop {
                if s.seq > self.seen {
                    if let Some(b) = s.latest.clone() {
                        self.seen = s.seq;
                        break b;
                    }
                }
                if let Some(e) = &s.error {
                    return Err(e.clone());
                }
                if s.exited {
                    return Err(CameraError::Disconnected);
                }
                s = self
                    .shared
                    .wait_until(s, deadline)
                    .ok_or(CameraError::Timeout)?;
            }
        };
        decode_buffer(&buf)
    }

    /// A damaged still is taken again, up to [`STILL_ATTEMPTS`] times.
    fn capture_still(&mut self) -> Result<Still, CameraError> {
        let mut last = CameraError::Timeout;
        for _ in 0..STILL_ATTEMPTS {
            match self.request_still() {
                Err(CameraError::BadFrame(m)) => {
                    log::warn!("camera: damaged still ({m}); taking another");
                    last = CameraError::BadFrame(m);
                }
                other => return other,
            }
        }
        Err(last)
    }
}

/// Stills taken at most for one capture when they arrive damaged.
pub const STILL_ATTEMPTS: usize = 2;

impl NokhwaSource {
    /// A still from the I/O thread; an MJPEG one keeps the camera's JPEG
    /// ([`convert::still_from_buffer`]).
    fn request_still(&self) -> Result<Still, CameraError> {
        let (tx, rx) = mpsc::channel();
        let gone = || {
            self.shared
                .lock()
                .error
                .clone()
                .unwrap_or(CameraError::Disconnected)
        };
        if self.cmds.send(IoCmd::Still(tx)).is_err() {
            return Err(gone());
        }
        match rx.recv_timeout(self.opts.still_timeout) {
            Ok(r) => r.and_then(|buf| convert::still_from_buffer(&buf)),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(CameraError::Timeout),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(gone()),
        }
    }
}

impl Drop for NokhwaSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // A frame arrives within a frame interval; a hung driver call never returns.
        let deadline = Instant::now() + Duration::from_secs(1);
        // The lock is released at the end of this block, before any join.
        let exited = {
            let mut s = self.shared.lock();
            loop {
                if s.exited {
                    break true;
                }
                match self.shared.wait_until(s, deadline) {
                    Some(g) => s = g,
                    None => break false,
                }
            }
        };
        match self.io.take() {
            Some(io) if exited => {
                let _ = io.join();
            }
            Some(_) => log::warn!(
                "camera: /dev/video{} is not responding; its thread is left behind",
                self.index
            ),
            None => {}
        }
    }
}

/// The I/O thread: open, report, stream until stopped or failed.
fn io_main(
    index: u32,
    opts: UvcOptions,
    shared: &Shared,
    cmds: &mpsc::Receiver<IoCmd>,
    stop: &AtomicBool,
    open_tx: mpsc::SyncSender<Result<Opened, CameraError>>,
) {
    let (mut camera, opened) = match guard("opening the camera", || open_camera(index)) {
        Ok(ok) => ok,
        Err(e) => {
            log::info!("camera: cannot open /dev/video{index}: {e}");
            let _ = open_tx.send(Err(e.clone()));
            shared.finish(Some(e));
            return;
        }
    };
    let result = if open_tx.send(Ok(opened.clone())).is_ok() {
        guard("reading frames", || {
            stream(&mut camera, &opened, opts, shared, cmds, stop)
        })
    } else {
        Ok(()) // the opener gave up waiting
    };
    if let Err(e) = &result {
        log::warn!("camera: /dev/video{index} stopped: {e}");
    }
    let _ = guard("closing the camera", || {
        drop(camera);
        Ok(())
    });
    shared.finish(result.err());
}

fn open_camera(index: u32) -> Result<(Camera, Opened), CameraError> {
    let err = |e: nokhwa::NokhwaError| map_nokhwa_error(&e);
    let mut camera = Camera::new(
        CameraIndex::Index(index),
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::None),
    )
    .map_err(err)?;
    let modes: Vec<FormatCandidate> = camera
        .compatible_camera_formats()
        .map_err(err)?
        .iter()
        .map(candidate)
        .collect();
    let preview = choose_preview_format(&modes)
        .ok_or_else(|| CameraError::Unsupported("no colour picture mode".into()))?;
    let still = choose_still_format(&modes).unwrap_or(preview);
    if candidate(&camera.camera_format()) != preview {
        set_mode(&mut camera, &preview)?;
    }
    camera.open_stream().map_err(err)?;
    let name = camera.info().human_name();
    Ok((
        camera,
        Opened {
            name,
            preview,
            still,
        },
    ))
}

fn stream(
    camera: &mut Camera,
    opened: &Opened,
    opts: UvcOptions,
    shared: &Shared,
    cmds: &mpsc::Receiver<IoCmd>,
    stop: &AtomicBool,
) -> Result<(), CameraError> {
    loop {
        if stop.load(Ordering::Acquire) {
            return Ok(());
        }
        match cmds.try_recv() {
            Ok(IoCmd::Still(reply)) => {
                let still = take_still(camera, opened, opts, stop);
                let fatal = still.as_ref().err().filter(|e| e.needs_reopen()).cloned();
                let _ = reply.send(still);
                if let Some(e) = fatal {
                    return Err(e);
                }
                continue;
            }
            Err(TryRecvError::Disconnected) => return Ok(()),
            Err(TryRecvError::Empty) => {}
        }
        let buf = camera.frame().map_err(|e| map_nokhwa_error(&e))?;
        shared.publish(buf);
    }
}

/// Switches to the still mode, lets exposure settle, takes a frame and
/// switches back. If the camera refuses the still mode, a preview frame is
/// taken instead (logged): a smaller still beats none.
fn take_still(
    camera: &mut Camera,
    opened: &Opened,
    opts: UvcOptions,
    stop: &AtomicBool,
) -> Result<Buffer, CameraError> {
    let err = |e: nokhwa::NokhwaError| map_nokhwa_error(&e);
    if opened.still == opened.preview {
        return camera.frame().map_err(err);
    }
    let taken = switch_mode(camera, &opened.still).and_then(|()| {
        for _ in 0..opts.settle_frames {
            if stop.load(Ordering::Acquire) {
                return Err(CameraError::Stopped("closing".into()));
            }
            camera.frame().map_err(err)?;
        }
        camera.frame().map_err(err)
    });
    switch_mode(camera, &opened.preview)?;
    match taken {
        Ok(buf) => Ok(buf),
        Err(e) if e.needs_reopen() && !matches!(e, CameraError::Unsupported(_)) => Err(e),
        Err(e) => {
            log::warn!(
                "camera: still mode {} failed ({e}); taking a preview frame",
                opened.still
            );
            camera.frame().map_err(err)
        }
    }
}

fn switch_mode(camera: &mut Camera, mode: &FormatCandidate) -> Result<(), CameraError> {
    let err = |e: nokhwa::NokhwaError| map_nokhwa_error(&e);
    camera.stop_stream().map_err(err)?;
    set_mode(camera, mode)?;
    camera.open_stream().map_err(err)
}

/// Sets a mode the camera listed (exactly that mode, or an error).
fn set_mode(camera: &mut Camera, mode: &FormatCandidate) -> Result<(), CameraError> {
    let format = camera_format(mode);
    let kinds = [format.format()];
    camera
        .set_camera_requset(RequestedFormat::with_formats(
            RequestedFormatType::Exact(format),
            &kinds,
        ))
        .map(|_| ())
        .map_err(|e| map_nokhwa_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_without_cameras_is_empty_not_a_panic() {
        // These machines have no V4L2 device at all.
        assert_eq!(list_cameras(), Vec::new());
    }

    #[test]
    fn opening_a_missing_camera_says_so() {
        match NokhwaSource::open(0) {
            Err(e) => assert!(
                matches!(e, CameraError::NoCamera | CameraError::Open(_)),
                "{e:?}"
            ),
            Ok(_) => panic!("a camera opened on a machine without one"),
        }
    }
}
