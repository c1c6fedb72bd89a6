//! The kiosk's way to the register: [`Kiosk::register`] runs a closure on
//! the store worker and applies its typed result on the UI thread (with the
//! watchdog's deadline around it); the register's opening and faults (disk
//! full, read-only) are shown on the home screen until a save works again.

use super::app::Kiosk;
use crate::i18n::{n_, tr, trf};
use crate::records::Store;
use crate::workers::store::{StoreEvent, Task};
use std::fmt::Display;
use std::time::Instant;

/// What the kiosk asks the store worker to run: a closure on the register
/// whose answer is what to do next on the UI thread.
pub type Answer = Box<dyn FnOnce(&Kiosk) + Send>;

/// What a register job is called when it overruns the deadline (see
/// `liveness`); exports and purges copy or delete many files and have none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    Save,
    Update,
    Search,
    /// Sign-in's and Admin → Nurses' own jobs: a register update, which does
    /// not hold off the idle lock.
    SignIn,
    Unwatched,
}

impl Watch {
    fn what(self) -> Option<&'static str> {
        match self {
            Watch::Save => Some(n_("a save")),
            Watch::Update | Watch::SignIn => Some(n_("a register update")),
            Watch::Search => Some(n_("a register search")),
            Watch::Unwatched => None,
        }
    }
}

impl Kiosk {
    /// Runs `work` on the register (the store worker's thread), then `apply`
    /// with its result here on the UI thread. The error is the text the
    /// nurse reads; when the worker is gone `apply` gets that at once.
    pub(super) fn register<T: Send + 'static, E: Display>(
        &self,
        watch: Watch,
        work: impl FnOnce(&mut Store) -> Result<T, E> + Send + 'static,
        apply: impl FnOnce(&Kiosk, Result<T, String>) + Send + 'static,
    ) {
        let req = {
            let mut st = self.state.borrow_mut();
            let req = st.next_req();
            if let Some(what) = watch.what() {
                st.liveness.started(req, what, Instant::now());
            }
            st.register_jobs.insert(req, watch);
            req
        };
        let task: Task<Answer> = Box::new(move |store| {
            let result = store.and_then(|s| work(s).map_err(|e| e.to_string()));
            if let Err(e) = &result {
                log::warn!("register job {req} failed: {e}");
            }
            Box::new(move |k: &Kiosk| {
                {
                    let mut st = k.state.borrow_mut();
                    st.liveness.finished(req);
                    st.register_jobs.remove(&req);
                }
                apply(k, result)
            })
        });
        if let Err(task) = self.store.submit(task) {
            // Answered at once (the task's answer forgets the job).
            task(Err("the register has stopped; restart the kiosk".into()))(self);
        }
    }

    pub(super) fn on_store(&self, e: StoreEvent<Answer>) {
        match e {
            StoreEvent::Opened(Ok(encrypted)) => {
                self.home.register_opened(self, encrypted);
                if !encrypted {
                    log::warn!("{PLAIN_REGISTER}");
                }
                self.signin.load_nurses(self);
            }
            StoreEvent::Opened(Err(e)) => self.register_fault(&e),
            StoreEvent::Done(apply) => apply(self),
        }
    }

    /// The register cannot save: said on the home screen until it can again.
    pub(super) fn register_fault(&self, e: &str) {
        self.home.register_fault(self, e);
    }
}

/// Said on the home screen while the register is plain (development only).
pub(super) const PLAIN_REGISTER: &str = n_(
    "Register NOT encrypted (development setting unencrypted_register): patient data on \
     this kiosk is readable by anyone with the disk. Do not use with real patients.",
);

impl Kiosk {
    /// A visit's end (its decision, or its printed slip) could not be saved.
    pub(super) fn end_not_saved(&self, done: Result<(), String>) {
        if let Err(e) = done {
            self.register_fault(&e);
            self.say_in(move |l| {
                trf(
                    l,
                    "The register could not save the visit's end: {}",
                    &[&tr(l, &e)],
                )
            });
        }
    }
}
