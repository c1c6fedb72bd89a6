//! Which worker jobs have outlived their deadline. An analysis or a save
//! takes well under a second; one still running after the deadline means its
//! worker is hung (a wedged GPU driver, a stuck disk), which the screen alone
//! would show as "Analysing…" forever. The watchdog stops pinging then, so
//! systemd restarts the kiosk; records already saved are safe in the register.
//! Pure bookkeeping: the caller passes the time.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Jobs in flight, by request ID.
#[derive(Debug, Default)]
pub struct Liveness {
    jobs: BTreeMap<u64, (&'static str, Instant)>,
}

/// A job past its deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct Overdue {
    /// What the job was ("an analysis", "a save", ...): English for the
    /// log, a msgid (`n_`) the screen translates.
    pub what: &'static str,
    /// How long it has run.
    pub running: Duration,
}

impl Liveness {
    /// A job was sent to a worker at `now`.
    pub fn started(&mut self, id: u64, what: &'static str, now: Instant) {
        self.jobs.insert(id, (what, now));
    }

    /// Its answer arrived (or it was never sent).
    pub fn finished(&mut self, id: u64) {
        self.jobs.remove(&id);
    }

    /// The longest-running job, when it has run longer than `deadline`.
    pub fn overdue(&self, now: Instant, deadline: Duration) -> Option<Overdue> {
        self.jobs
            .values()
            .map(|&(what, since)| Overdue {
                what,
                running: now.saturating_duration_since(since),
            })
            .max_by_key(|o| o.running)
            .filter(|o| o.running > deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_overdue_only_past_the_deadline_and_until_it_answers() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut l = Liveness::default();
        assert_eq!(l.overdue(t0 + s(1000), s(60)), None, "nothing running");
        l.started(1, "analysis", t0);
        l.started(2, "save", t0 + s(30));
        assert_eq!(l.overdue(t0 + s(60), s(60)), None, "at the deadline");
        let o = l.overdue(t0 + s(61), s(60)).unwrap();
        assert_eq!((o.what, o.running), ("analysis", s(61)), "the oldest");
        l.finished(1);
        assert_eq!(l.overdue(t0 + s(61), s(60)), None);
        assert_eq!(l.overdue(t0 + s(91), s(60)).unwrap().what, "save");
        l.finished(2);
        l.finished(2);
        assert_eq!(l.overdue(t0 + s(1000), s(60)), None);
    }
}
