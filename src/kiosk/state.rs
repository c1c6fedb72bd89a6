//! The shell's own state on the UI thread: the jobs waiting for a worker
//! (inference requests; inference and store jobs for the watchdog), which field the
//! on-screen keys type into, and the message bar's words. Each screen group's state
//! is its controller's.

use super::liveness::Liveness;
use super::register::Watch;
use super::ui::TypingField;
use crate::i18n::Words;
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

pub struct State {
    pub next_id: u64,
    pub pending: BTreeMap<u64, Pending>,
    /// Register jobs whose answer is still to come.
    pub register_jobs: BTreeMap<u64, Watch>,
    /// Analyses and saves in flight, for the watchdog (see `liveness`).
    pub liveness: Liveness,
    pub job_deadline: std::time::Duration,
    /// A job has outlived the deadline: the watchdog has stopped.
    pub hung: bool,
    /// Which field the on-screen keys type into.
    pub typing: TypingField,
    /// The message bar's words, to say again in another language (`message`).
    pub message: Option<Words>,
}

impl State {
    pub fn new(settings: &Settings) -> State {
        State {
            next_id: 1,
            pending: BTreeMap::new(),
            register_jobs: BTreeMap::new(),
            liveness: Liveness::default(),
            job_deadline: std::time::Duration::from_secs(settings.job_deadline_s),
            hung: false,
            typing: TypingField::PatientId,
            message: None,
        }
    }

    /// A new request ID (shared by inference and store requests).
    pub fn next_req(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}
