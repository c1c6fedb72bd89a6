//! What the camera worker hands to the UI: the newest preview frame (only
//! the newest: a slow screen skips frames, it never falls behind), the queue
//! of events (status changes, stills, errors) and the current status.
//!
//! [`CameraFeed`] is a cheap, cloneable, `Send + Sync` handle: the UI's
//! notifier closure can carry it into `slint::invoke_from_event_loop`.

use super::source::{CameraError, Still};
use crate::frame::RgbFrame;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where the camera stands, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraStatus {
    /// Opening the camera (at start, or after a switch).
    Connecting,
    /// Pictures are arriving; the source's label (the camera's name for the
    /// screen, never a path: see `FrameSource::label`).
    Connected(String),
    /// No camera is plugged in (or none is configured).
    NoCamera,
    /// The camera failed; trying again every second. The reason, in words.
    Reconnecting(String),
}

/// Something the UI should react to. New preview frames are not events:
/// they replace each other in the feed's slot.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraEvent {
    Status(CameraStatus),
    /// The still asked for with `Capture`, at full resolution (with the
    /// camera's own JPEG when it sent one).
    Captured(Still),
    /// The still asked for could not be taken.
    CaptureFailed(CameraError),
    /// A camera failure (reported once, not at every retry).
    Error(CameraError),
}

/// Events kept at most when nobody reads them (the oldest are dropped).
const MAX_EVENTS: usize = 256;

struct State {
    /// The grabber allowed to publish (0: none).
    writer: u64,
    seq: u64,
    taken: u64,
    frame: Option<Arc<RgbFrame>>,
    events: VecDeque<CameraEvent>,
    status: CameraStatus,
}

struct Inner {
    state: Mutex<State>,
    changed: Condvar,
}

/// The UI's view of a camera worker; see the module header.
#[derive(Clone)]
pub struct CameraFeed {
    inner: Arc<Inner>,
}

impl Default for CameraFeed {
    fn default() -> Self {
        CameraFeed {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    writer: 0,
                    seq: 0,
                    taken: 0,
                    frame: None,
                    events: VecDeque::new(),
                    status: CameraStatus::Connecting,
                }),
                changed: Condvar::new(),
            }),
        }
    }
}

impl std::fmt::Debug for CameraFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        write!(f, "CameraFeed(seq {}, {:?})", s.seq, s.status)
    }
}

impl CameraFeed {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest preview frame, if one is on show (taken or not).
    pub fn latest(&self) -> Option<Arc<RgbFrame>> {
        self.lock().frame.clone()
    }

    /// The newest preview frame and its number if it was not taken yet.
    /// Taking it re-arms the notifier for the next frame.
    pub fn take_frame(&self) -> Option<(u64, Arc<RgbFrame>)> {
        let mut s = self.lock();
        if s.taken >= s.seq {
            return None;
        }
        s.taken = s.seq;
        s.frame.clone().map(|f| (s.seq, f))
    }

    /// How many preview frames were published so far.
    pub fn frames_published(&self) -> u64 {
        self.lock().seq
    }

    /// Waits up to `timeout` for a frame numbered above `after`.
    pub fn wait_frame(&self, after: u64, timeout: Duration) -> Option<(u64, Arc<RgbFrame>)> {
        let deadline = Instant::now() + timeout;
        let mut s = self.lock();
        loop {
            if s.seq > after {
                if let Some(f) = s.frame.clone() {
                    return Some((s.seq, f));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            s = self.wait(s, deadline - now);
        }
    }

    /// The current status.
    pub fn status(&self) -> CameraStatus {
        self.lock().status.clone()
    }

    /// The oldest event not read yet.
    pub fn next_event(&self) -> Option<CameraEvent> {
        self.lock().events.pop_front()
    }

    /// Every event not read yet, oldest first.
    pub fn drain_events(&self) -> Vec<CameraEvent> {
        self.lock().events.drain(..).collect()
    }

    /// Waits up to `timeout` for the next event.
    pub fn wait_event(&self, timeout: Duration) -> Option<CameraEvent> {
        let deadline = Instant::now() + timeout;
        let mut s = self.lock();
        loop {
            if let Some(e) = s.events.pop_front() {
                return Some(e);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            s = self.wait(s, deadline - now);
        }
    }

    fn wait<'a>(&self, s: MutexGuard<'a, State>, d: Duration) -> MutexGuard<'a, State> {
        self.inner
            .changed
            .wait_timeout(s, d)
            .map(|(g, _)| g)
            .unwrap_or_else(|p| p.into_inner().0)
    }

    /// Lets grabber `gen` publish (and no other), and clears the frame.
    pub(crate) fn set_writer(&self, gen: u64) {
        let mut s = self.lock();
        s.writer = gen;
        s.frame = None;
        s.taken = s.seq;
    }

    /// Publishes a frame from grabber `gen`: `None` when that grabber was
    /// retired (stop), else whether the UI should be notified (it had taken
    /// the previous frame, so at most one notification is outstanding).
    pub(crate) fn publish(&self, gen: u64, frame: RgbFrame) -> Option<bool> {
        let mut s = self.lock();
        if gen == 0 || s.writer != gen {
            return None;
        }
        let notify = s.taken >= s.seq;
        s.seq += 1;
        s.frame = Some(Arc::new(frame));
        self.inner.changed.notify_all();
        Some(notify)
    }

    pub(crate) fn push_event(&self, e: CameraEvent) {
        let mut s = self.lock();
        if s.events.len() >= MAX_EVENTS {
            s.events.pop_front();
        }
        s.events.push_back(e);
        self.inner.changed.notify_all();
    }

    /// Sets the status; true (and a `Status` event) when it changed.
    pub(crate) fn set_status(&self, status: CameraStatus) -> bool {
        let mut s = self.lock();
        if s.status == status {
            return false;
        }
        s.status = status.clone();
        drop(s);
        self.push_event(CameraEvent::Status(status));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(v: u8) -> RgbFrame {
        RgbFrame::new(1, 1, vec![v; 3]).expect("size")
    }

    #[test]
    fn keeps_only_the_newest_and_notifies_once() {
        let feed = CameraFeed::default();
        feed.set_writer(7);
        assert_eq!(feed.publish(7, frame(1)), Some(true));
        assert_eq!(feed.publish(7, frame(2)), Some(false));
        assert_eq!(feed.publish(7, frame(3)), Some(false));
        let (seq, f) = feed.take_frame().expect("a frame");
        assert_eq!((seq, f.data()[0]), (3, 3));
        assert!(feed.take_frame().is_none());
        assert_eq!(feed.publish(7, frame(4)), Some(true));
    }

    #[test]
    fn retired_grabbers_cannot_publish() {
        let feed = CameraFeed::default();
        feed.set_writer(1);
        feed.set_writer(2);
        assert_eq!(feed.publish(1, frame(1)), None);
        assert!(feed.latest().is_none());
        feed.set_writer(0);
        assert_eq!(feed.publish(0, frame(1)), None);
    }

    #[test]
    fn status_events_only_on_change() {
        let feed = CameraFeed::default();
        assert!(!feed.set_status(CameraStatus::Connecting));
        assert!(feed.set_status(CameraStatus::NoCamera));
        assert!(!feed.set_status(CameraStatus::NoCamera));
        assert_eq!(
            feed.drain_events(),
            vec![CameraEvent::Status(CameraStatus::NoCamera)]
        );
        assert_eq!(feed.wait_event(Duration::from_millis(10)), None);
    }
}
