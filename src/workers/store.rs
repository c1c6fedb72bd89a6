//! The store worker: a [`Worker`] thread that owns the register ([`Store`])
//! for the kiosk. A job is a closure run on that thread with the open
//! register (or the reason none is open); what it returns goes back through
//! a callback unchanged, so each request carries its own typed answer (the
//! kiosk's is "what to do on the UI thread"). A slow disk never freezes the
//! screen. When the register cannot be opened, the thread stays, hands every
//! job the error, and tries to open it again on the next job (a remounted
//! disk recovers without a restart).

use super::{Requests, Worker};
use crate::records::{Protection, Store};
use std::path::PathBuf;

/// A job: runs on the worker with the register, or with the reason there is
/// none (the text the nurse reads); its answer `A` goes back as it is.
pub type Task<A> = Box<dyn FnOnce(Result<&mut Store, String>) -> A + Send>;

/// A message from the worker.
pub enum StoreEvent<A> {
    /// Sent once at start: whether the register opened, and if so whether
    /// it is encrypted at rest.
    Opened(Result<bool, String>),
    /// A job's answer.
    Done(A),
}

/// Owns the worker thread; dropping it stops and joins the thread (after
/// the jobs already queued, so no save is lost).
pub struct StoreWorker<A: Send + 'static>(Worker<Task<A>>);

impl<A: Send + 'static> StoreWorker<A> {
    /// Starts the worker; it opens the register in `data_dir` first. With
    /// `Err(reason)` (the settings cannot say where the register is) it opens
    /// nothing and hands every job the reason.
    pub fn start(
        register: Result<(PathBuf, Protection), String>,
        on_event: impl Fn(StoreEvent<A>) + Send + 'static,
    ) -> StoreWorker<A> {
        StoreWorker(Worker::start("store", None, move |jobs| {
            run(register, jobs, on_event)
        }))
    }

    /// Queues a job; gives it back when the worker is gone.
    pub fn submit(&self, task: Task<A>) -> Result<(), Task<A>> {
        self.0.submit(task)
    }
}

fn open(data_dir: &std::path::Path, protection: &Protection) -> Result<Store, String> {
    Store::open(data_dir, protection).map_err(|e| {
        log::error!("register at {} cannot be opened: {e}", data_dir.display());
        e.to_string()
    })
}

fn run<A>(
    register: Result<(PathBuf, Protection), String>,
    jobs: Requests<Task<A>>,
    on_event: impl Fn(StoreEvent<A>),
) {
    let (data_dir, protection) = match register {
        Ok(r) => r,
        Err(reason) => {
            // No register to open: every job is handed the reason.
            log::error!("no register is opened: {reason}");
            on_event(StoreEvent::Opened(Err(reason.clone())));
            for task in jobs {
                on_event(StoreEvent::Done(task(Err(reason.clone()))));
            }
            return;
        }
    };
    let mut store = open(&data_dir, &protection);
    on_event(StoreEvent::Opened(
        store
            .as_ref()
            .map(Store::is_encrypted)
            .map_err(Clone::clone),
    ));
    for task in jobs {
        if store.is_err() {
            store = open(&data_dir, &protection);
            if store.is_ok() {
                log::info!("register at {} opened after a failure", data_dir.display());
            }
        }
        let answer = match &mut store {
            Ok(s) => task(Ok(s)),
            Err(e) => task(Err(e.clone())),
        };
        on_event(StoreEvent::Done(answer));
    }
}
