//! The idle lock as a pure rule: the kiosk locks to the sign-in screen once
//! `limit` has passed since the last touch, unless something is still
//! running (an analysis or a save: its answer must not land on a locked
//! screen, and it is itself activity). The clock is passed in, so tests need
//! no waiting.

use std::time::{Duration, Instant};

/// When the last touch was, and how long the kiosk may stay untouched.
#[derive(Debug, Clone, Copy)]
pub struct IdleTimer {
    last: Instant,
    limit: Duration,
}

impl IdleTimer {
    pub fn new(now: Instant, limit: Duration) -> IdleTimer {
        IdleTimer { last: now, limit }
    }

    /// A touch (or anything else that counts as use) at `now`.
    pub fn touch(&mut self, now: Instant) {
        self.last = self.last.max(now);
    }

    /// Whether the kiosk should lock at `now`; `busy` work counts as use.
    pub fn due(&mut self, now: Instant, busy: bool) -> bool {
        if busy {
            self.touch(now);
            return false;
        }
        now.saturating_duration_since(self.last) >= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_MIN: Duration = Duration::from_secs(300);

    #[test]
    fn locks_after_the_limit_without_a_touch() {
        let t0 = Instant::now();
        let mut t = IdleTimer::new(t0, FIVE_MIN);
        assert!(!t.due(t0 + Duration::from_secs(299), false));
        assert!(t.due(t0 + FIVE_MIN, false));
    }

    #[test]
    fn a_touch_starts_the_wait_again() {
        let t0 = Instant::now();
        let mut t = IdleTimer::new(t0, FIVE_MIN);
        t.touch(t0 + Duration::from_secs(200));
        assert!(!t.due(t0 + Duration::from_secs(450), false));
        assert!(t.due(t0 + Duration::from_secs(500), false));
        // An older touch never moves the clock back.
        t.touch(t0);
        assert!(t.due(t0 + Duration::from_secs(500), false));
    }

    #[test]
    fn work_still_running_counts_as_use() {
        let t0 = Instant::now();
        let mut t = IdleTimer::new(t0, FIVE_MIN);
        assert!(!t.due(t0 + Duration::from_secs(400), true));
        assert!(!t.due(t0 + Duration::from_secs(600), false));
        assert!(t.due(t0 + Duration::from_secs(700), false));
    }
}
