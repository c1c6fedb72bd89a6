//! The shell's own state on the UI thread: the jobs waiting for a worker
//! (inference and store requests, for the watchdog), and which field the
//! on-screen keys type into. Each screen group's state is its controller's.

use super::liveness::Liveness;
use super::ui::TypingField;
use crate::admin::access::PinFile;
use crate::analysis::Analysis;
use crate::screening::flow::{Attempts, ResultView};
use crate::screening::Screened;
use crate::settings::Settings;
use std::collections::BTreeMap;
use std::time::Instant;

/// What is waiting for the inference worker.
pub enum Pending {
    /// The picture on the review screen (camera still or a single import).
    Still { tapped: Instant },
    /// Slice `i` of a CT study.
    Slice(usize),
}

/// What a request to the store worker was for.
pub enum StoreReq {
    StartVisit,
    /// A result waiting to be recorded before it is shown.
    SaveStill {
        view: ResultView,
        attempts: Attempts,
        screened: Screened,
        tapped: Instant,
    },
    /// A CT slice's result waiting to be recorded before it counts.
    SaveSlice {
        index: usize,
        analysis: Box<Analysis>,
    },
    FinishVisit,
    SetPrinted,
    History,
    OpenVisit,
    /// A saved picture for the history's record view.
    DetailImage(i64),
    Export,
    Purge,
    /// Whether the register is empty, for a PIN pad with no usable PIN.
    AdminRegister(PinFile),
    /// Sign-in and Admin → Nurses (see `signin::NurseReq`).
    Nurse(super::signin::NurseReq),
}

impl StoreReq {
    /// What the job is called when it overruns the deadline; `None` for the
    /// long ones (export, purge), which have none.
    pub fn deadlined(&self) -> Option<&'static str> {
        match self {
            StoreReq::SaveStill { .. } | StoreReq::SaveSlice { .. } => Some("a save"),
            StoreReq::StartVisit
            | StoreReq::FinishVisit
            | StoreReq::SetPrinted
            | StoreReq::Nurse(_) => Some("a register update"),
            StoreReq::History
            | StoreReq::OpenVisit
            | StoreReq::DetailImage(_)
            | StoreReq::AdminRegister(_) => Some("a register search"),
            StoreReq::Export | StoreReq::Purge => None,
        }
    }
}

pub struct State {
    pub next_id: u64,
    pub pending: BTreeMap<u64, Pending>,
    pub store_reqs: BTreeMap<u64, StoreReq>,
    /// Analyses and saves in flight, for the watchdog (see `liveness`).
    pub liveness: Liveness,
    pub job_deadline: std::time::Duration,
    /// A job has outlived the deadline: the watchdog has stopped.
    pub hung: bool,
    /// Which field the on-screen keys type into.
    pub typing: TypingField,
}

impl State {
    pub fn new(settings: &Settings) -> State {
        State {
            next_id: 1,
            pending: BTreeMap::new(),
            store_reqs: BTreeMap::new(),
            liveness: Liveness::default(),
            job_deadline: std::time::Duration::from_secs(settings.job_deadline_s),
            hung: false,
            typing: TypingField::PatientId,
        }
    }

    /// A new request ID (shared by inference and store requests).
    pub fn next_req(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}
