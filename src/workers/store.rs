//! The store worker: a [`Worker`] thread that owns the register ([`Store`])
//! for the kiosk, and runs its exports. Jobs come over a channel, answers go back through a callback
//! (the kiosk turns them into `slint::invoke_from_event_loop` calls), so a
//! slow disk never freezes the screen. When the register cannot be opened,
//! the thread stays, answers every job with the error, and tries to open it
//! again on the next job (a remounted disk recovers without a restart).

use super::{Requests, Worker};
use crate::export::{self, ExportSummary, Sealing};
use crate::records::{
    NewRecord, NewVisit, Operator, OperatorId, PinAttempt, Protection, PurgeSummary, RecordsError,
    Store, StoredRecord, VisitDetail, VisitId, VisitSummary,
};
use crate::screening::VisitDecision;
use chrono::{DateTime, Local, Utc};
use std::path::PathBuf;

/// A request to the worker; `req` comes back with the answer.
#[derive(Debug)]
pub enum Job {
    StartVisit {
        req: u64,
        visit: NewVisit,
    },
    Save {
        req: u64,
        record: Box<NewRecord>,
    },
    FinishVisit {
        req: u64,
        visit: VisitId,
        decision: Box<VisitDecision>,
        /// The decision as shown, in English.
        line: String,
    },
    SetPrinted {
        req: u64,
        visit: VisitId,
        text: String,
    },
    /// Today's visits (local date), newest first.
    Today {
        req: u64,
    },
    Search {
        req: u64,
        query: String,
    },
    Visit {
        req: u64,
        visit: VisitId,
    },
    /// A record's picture as taken (opened when sealed, hash checked).
    Image {
        req: u64,
        record: Box<StoredRecord>,
    },
    Export {
        req: u64,
        dir: PathBuf,
        since: Option<DateTime<Utc>>,
        sealing: Sealing,
    },
    Purge {
        req: u64,
    },
    /// Whether the register holds no visit and no record.
    IsEmpty {
        req: u64,
    },
    /// The nurses by name (all of them, or only those who may sign in).
    Operators {
        req: u64,
        all: bool,
    },
    AddOperator {
        req: u64,
        name: String,
        pin_hash: String,
    },
    SetOperatorActive {
        req: u64,
        id: OperatorId,
        active: bool,
    },
    SetOperatorPin {
        req: u64,
        id: OperatorId,
        pin_hash: String,
    },
    /// Counts a PIN attempt before it is checked (see `Store::count_pin_attempt`).
    CountPinAttempt {
        req: u64,
        id: OperatorId,
        now: DateTime<Utc>,
        lock_after: fn(u32) -> Option<std::time::Duration>,
    },
    PinAccepted {
        req: u64,
        id: OperatorId,
    },
}

/// A job's successful answer.
#[derive(Debug, Clone)]
pub enum Reply {
    VisitStarted(VisitId),
    Saved(Box<StoredRecord>),
    Ok,
    Visits(Vec<VisitSummary>),
    Visit(Box<VisitDetail>),
    Image(Vec<u8>),
    Exported(ExportSummary),
    Purged(PurgeSummary),
    Empty(bool),
    Operators(Vec<Operator>),
    OperatorAdded(OperatorId),
    PinAttempt(PinAttempt),
}

/// A message from the worker.
#[derive(Debug)]
pub enum StoreEvent {
    /// Sent once at start: whether the register opened, and if so whether
    /// it is encrypted at rest.
    Opened(Result<bool, String>),
    /// A job finished; the error text is what the nurse reads.
    Done {
        req: u64,
        result: Result<Reply, String>,
    },
}

/// Owns the worker thread; dropping it stops and joins the thread (after
/// the jobs already queued, so no save is lost).
pub struct StoreWorker(Worker<Job>);

impl StoreWorker {
    /// Starts the worker; it opens the register in `data_dir` first. With
    /// `Err(reason)` (the settings cannot say where the register is) it opens
    /// nothing and answers every job with the reason.
    pub fn start(
        register: Result<(PathBuf, Protection), String>,
        on_event: impl Fn(StoreEvent) + Send + 'static,
    ) -> StoreWorker {
        StoreWorker(Worker::start("store", None, move |jobs| {
            run(register, jobs, on_event)
        }))
    }

    /// Queues a job; false when the worker is gone.
    pub fn submit(&self, job: Job) -> bool {
        self.0.submit(job)
    }
}

fn open(data_dir: &std::path::Path, protection: &Protection) -> Result<Store, String> {
    Store::open(data_dir, protection).map_err(|e| {
        log::error!("register at {} cannot be opened: {e}", data_dir.display());
        e.to_string()
    })
}

fn run(
    register: Result<(PathBuf, Protection), String>,
    jobs: Requests<Job>,
    on_event: impl Fn(StoreEvent),
) {
    let (data_dir, protection) = match register {
        Ok(r) => r,
        Err(reason) => return refuse(&reason, jobs, on_event),
    };
    let mut store = open(&data_dir, &protection);
    on_event(StoreEvent::Opened(
        store
            .as_ref()
            .map(Store::is_encrypted)
            .map_err(Clone::clone),
    ));
    for job in jobs {
        if store.is_err() {
            store = open(&data_dir, &protection);
            if store.is_ok() {
                log::info!("register at {} opened after a failure", data_dir.display());
            }
        }
        let (req, result) = match &mut store {
            Ok(s) => perform(s, job),
            Err(e) => (req_of(&job), Err(e.clone())),
        };
        if let Err(e) = &result {
            log::warn!("store job {req} failed: {e}");
        }
        on_event(StoreEvent::Done { req, result });
    }
}

/// No register to open: every job is answered with the reason.
fn refuse(reason: &str, jobs: Requests<Job>, on_event: impl Fn(StoreEvent)) {
    log::error!("no register is opened: {reason}");
    on_event(StoreEvent::Opened(Err(reason.to_string())));
    for job in jobs {
        on_event(StoreEvent::Done {
            req: req_of(&job),
            result: Err(reason.to_string()),
        });
    }
}

fn req_of(job: &Job) -> u64 {
    match job {
        Job::StartVisit { req, .. }
        | Job::Save { req, .. }
        | Job::FinishVisit { req, .. }
        | Job::SetPrinted { req, .. }
        | Job::Today { req }
        | Job::Search { req, .. }
        | Job::Visit { req, .. }
        | Job::Image { req, .. }
        | Job::Export { req, .. }
        | Job::Purge { req }
        | Job::IsEmpty { req }
        | Job::Operators { req, .. }
        | Job::AddOperator { req, .. }
        | Job::SetOperatorActive { req, .. }
        | Job::SetOperatorPin { req, .. }
        | Job::CountPinAttempt { req, .. }
        | Job::PinAccepted { req, .. } => *req,
    }
}

fn text(e: RecordsError) -> String {
    e.to_string()
}

fn perform(store: &mut Store, job: Job) -> (u64, Result<Reply, String>) {
    let req = req_of(&job);
    let result = match job {
        Job::StartVisit { visit, .. } => store
            .start_visit(&visit)
            .map(Reply::VisitStarted)
            .map_err(text),
        Job::Save { record, .. } => store
            .save(&record)
            .map(|r| Reply::Saved(Box::new(r)))
            .map_err(text),
        Job::FinishVisit {
            visit,
            decision,
            line,
            ..
        } => store
            .finish_visit(visit, &decision, &line)
            .map(|()| Reply::Ok)
            .map_err(text),
        Job::SetPrinted { visit, text: t, .. } => store
            .set_printed(visit, &t)
            .map(|()| Reply::Ok)
            .map_err(text),
        Job::Today { .. } => store
            .visits_on(Local::now().date_naive())
            .map(Reply::Visits)
            .map_err(text),
        Job::Search { query, .. } => store
            .search_patient(&query)
            .map(Reply::Visits)
            .map_err(text),
        Job::Visit { visit, .. } => match store.visit(visit) {
            Ok(Some(v)) => Ok(Reply::Visit(Box::new(v))),
            Ok(None) => Err(RecordsError::NotFound.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Job::Image { record, .. } => store.read_image(&record).map(Reply::Image).map_err(text),
        Job::Export {
            dir,
            since,
            sealing,
            ..
        } => export::export(store, &dir, since, &sealing)
            .map(Reply::Exported)
            .map_err(|e| e.to_string()),
        Job::Purge { .. } => store.purge_exported().map(Reply::Purged).map_err(text),
        Job::IsEmpty { .. } => store.is_empty().map(Reply::Empty).map_err(text),
        Job::Operators { all, .. } => store.operators(all).map(Reply::Operators).map_err(text),
        Job::AddOperator { name, pin_hash, .. } => store
            .add_operator(&name, &pin_hash)
            .map(Reply::OperatorAdded)
            .map_err(text),
        Job::SetOperatorActive { id, active, .. } => store
            .set_operator_active(id, active)
            .map(|()| Reply::Ok)
            .map_err(text),
        Job::SetOperatorPin { id, pin_hash, .. } => store
            .set_operator_pin(id, &pin_hash)
            .map(|()| Reply::Ok)
            .map_err(text),
        Job::CountPinAttempt {
            id,
            now,
            lock_after,
            ..
        } => store
            .count_pin_attempt(id, now, lock_after)
            .map(Reply::PinAttempt)
            .map_err(text),
        Job::PinAccepted { id, .. } => store.pin_accepted(id).map(|()| Reply::Ok).map_err(text),
    };
    (req, result)
}
