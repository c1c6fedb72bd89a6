//! Threads that each own one resource — the register ([`store`]), the
//! analysis engine ([`inference`]) — and serve its requests one at a time,
//! so a slow disk or a long inference never blocks the screen.
//!
//! [`Worker`] is the one pattern both follow: a named thread, a queue of
//! requests, answers sent back through a callback (the kiosk turns them into
//! a wake-up of the UI thread), and a `Drop` that stops the thread after the
//! requests already queued and joins it — or, with a stop wait, leaves a hung
//! thread behind rather than hanging the caller.

pub mod inference;
pub mod store;

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A named thread serving requests of type `J` in order.
pub struct Worker<J: Send + 'static> {
    tx: mpsc::Sender<Option<J>>,
    handle: Option<JoinHandle<()>>,
    name: &'static str,
    stop_wait: Option<Duration>,
}

/// The requests a worker's thread receives, in order, until it is stopped.
pub struct Requests<J>(mpsc::Receiver<Option<J>>);

impl<J> Iterator for Requests<J> {
    type Item = J;
    fn next(&mut self) -> Option<J> {
        self.0.recv().ok().flatten()
    }
}

impl<J: Send + 'static> Worker<J> {
    /// Starts thread `name` running `body` over its requests. With
    /// `stop_wait`, dropping the worker waits at most that long for the
    /// request in hand; without, it waits for every queued request.
    pub fn start(
        name: &'static str,
        stop_wait: Option<Duration>,
        body: impl FnOnce(Requests<J>) + Send + 'static,
    ) -> Worker<J> {
        let (tx, rx) = mpsc::channel::<Option<J>>();
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(Requests(rx)))
            .map_err(|e| log::error!("cannot start the {name} thread: {e}"))
            .ok();
        Worker {
            tx,
            handle,
            name,
            stop_wait,
        }
    }

    /// Queues a request; gives it back when the thread is gone.
    pub fn submit(&self, job: J) -> Result<(), J> {
        if self.handle.is_none() {
            return Err(job);
        }
        if let Err(mpsc::SendError(Some(job))) = self.tx.send(Some(job)) {
            return Err(job);
        }
        Ok(())
    }
}

impl<J: Send + 'static> Drop for Worker<J> {
    fn drop(&mut self) {
        let _ = self.tx.send(None);
        let Some(h) = self.handle.take() else {
            return;
        };
        if let Some(wait) = self.stop_wait {
            let t0 = Instant::now();
            while !h.is_finished() && t0.elapsed() < wait {
                std::thread::sleep(Duration::from_millis(10));
            }
            if !h.is_finished() {
                log::error!(
                    "the {} worker did not stop within {wait:?}: left behind",
                    self.name
                );
                return;
            }
        }
        let _ = h.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn requests_are_served_in_order_and_drop_waits_for_the_queue() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let w = Worker::start("test-order", None, move |jobs| {
            for j in jobs {
                std::thread::sleep(Duration::from_millis(5));
                s.lock().unwrap().push(j);
            }
        });
        for i in 0..5 {
            assert!(w.submit(i).is_ok());
        }
        drop(w);
        assert_eq!(*seen.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_hung_thread_is_left_behind_after_the_stop_wait() {
        let w = Worker::start("test-hung", Some(Duration::from_millis(50)), |jobs| {
            for () in jobs {
                std::thread::sleep(Duration::from_secs(5));
            }
        });
        assert!(w.submit(()).is_ok());
        std::thread::sleep(Duration::from_millis(20));
        let t0 = Instant::now();
        drop(w);
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    }
}
