//! The store worker's answers on the UI thread: each goes back to what asked
//! for it, and a storage fault (disk full, read-only) is shown on the home
//! screen until a save works again.

use super::app::Kiosk;
use super::state::StoreReq;
use crate::records::{self};
use crate::workers::store::{Reply, StoreEvent};
use std::time::Instant;

impl Kiosk {
    /// Sends a job to the store worker, remembering what it was for.
    pub(super) fn store_job(
        &self,
        purpose: StoreReq,
        job: impl FnOnce(u64) -> crate::workers::store::Job,
    ) {
        let req = {
            let mut st = self.state.borrow_mut();
            let req = st.next_req();
            // Exports and purges copy or delete many files: no deadline.
            if let Some(what) = purpose.deadlined() {
                st.liveness.started(req, what, Instant::now());
            }
            st.store_reqs.insert(req, purpose);
            req
        };
        if !self.store.submit(job(req)) {
            let purpose = {
                let mut st = self.state.borrow_mut();
                st.liveness.finished(req);
                st.store_reqs.remove(&req)
            };
            if let Some(p) = purpose {
                self.store_answer(p, Err("the register has stopped; restart the kiosk".into()));
            }
        }
    }

    pub(super) fn on_store(&self, e: StoreEvent) {
        match e {
            StoreEvent::Opened(Ok(encrypted)) => {
                let text = if encrypted {
                    "Register ready (encrypted)"
                } else {
                    PLAIN_REGISTER
                };
                self.home.register_opened(self, text, encrypted);
                if !encrypted {
                    log::warn!("{PLAIN_REGISTER}");
                }
                self.load_nurses();
            }
            StoreEvent::Opened(Err(e)) => self.register_fault(&e),
            StoreEvent::Done { req, result } => {
                let purpose = {
                    let mut st = self.state.borrow_mut();
                    st.liveness.finished(req);
                    st.store_reqs.remove(&req)
                };
                match purpose {
                    Some(p) => self.store_answer(p, result),
                    None => log::warn!("register answer {req} arrived for nothing pending"),
                }
            }
        }
    }

    fn store_answer(&self, purpose: StoreReq, result: Result<Reply, String>) {
        if matches!(result, Ok(Reply::Saved(_))) {
            self.home.register_recovered(self);
        }
        match purpose {
            StoreReq::StartVisit => match result {
                Ok(Reply::VisitStarted(id)) => self.visit.started(self, id),
                Ok(other) => log::error!("unexpected register answer {other:?}"),
                Err(e) => {
                    self.register_fault(&e);
                    self.say(format!(
                        "The visit could not be started, so nothing can be screened: {e}"
                    ));
                }
            },
            p @ StoreReq::SaveStill { .. } => self.capture.still_saved(self, p, saved(result)),
            p @ StoreReq::SaveSlice { .. } => self.ct.slice_saved(self, p, saved(result)),
            StoreReq::FinishVisit | StoreReq::SetPrinted => {
                if let Err(e) = result {
                    self.register_fault(&e);
                    self.say(format!("The register could not save the visit's end: {e}"));
                }
            }
            StoreReq::History => match result {
                Ok(Reply::Visits(v)) => self.history.show_list(self, v),
                Ok(other) => log::error!("unexpected register answer {other:?}"),
                Err(e) => self.say(format!("The history cannot be read: {e}")),
            },
            StoreReq::OpenVisit => match result {
                Ok(Reply::Visit(d)) => self.history.show_visit(self, *d),
                Ok(other) => log::error!("unexpected register answer {other:?}"),
                Err(e) => self.say(format!("That visit cannot be read: {e}")),
            },
            StoreReq::DetailImage(record) => self.history.on_detail_bytes(
                self,
                record,
                match result {
                    Ok(Reply::Image(b)) => Ok(b),
                    Ok(other) => Err(format!("unexpected register answer {other:?}")),
                    Err(e) => Err(e),
                },
            ),
            StoreReq::Export => match result {
                Ok(Reply::Exported(s)) => self.admin.note(self, s.to_string()),
                Ok(other) => log::error!("unexpected register answer {other:?}"),
                Err(e) => self
                    .admin
                    .note(self, format!("Export failed, nothing was written: {e}")),
            },
            StoreReq::AdminRegister(file) => {
                let empty = match result {
                    Ok(Reply::Empty(e)) => Ok(e),
                    Ok(other) => Err(format!("unexpected register answer {other:?}")),
                    Err(e) => Err(e),
                };
                self.admin.register_answer(self, file, empty);
            }
            StoreReq::Nurse(r) => self.nurse_answer(r, result),
            StoreReq::Purge => match result {
                Ok(Reply::Purged(s)) => self.admin.note(self, s.to_string()),
                Ok(other) => log::error!("unexpected register answer {other:?}"),
                Err(e) => self.admin.note(self, format!("Purge failed: {e}")),
            },
        }
    }

    /// The register cannot save: said on the home screen until it can again.
    pub(super) fn register_fault(&self, e: &str) {
        self.home.register_fault(self, e);
    }
}

/// Said on the home screen while the register is plain (development only).
pub(super) const PLAIN_REGISTER: &str = "Register NOT encrypted (development setting \
     unencrypted_register): patient data on this kiosk is readable by anyone with the disk. \
     Do not use with real patients.";

fn saved(result: Result<Reply, String>) -> Result<records::StoredRecord, String> {
    match result {
        Ok(Reply::Saved(r)) => Ok(*r),
        Ok(other) => Err(format!("unexpected register answer {other:?}")),
        Err(e) => Err(e),
    }
}
