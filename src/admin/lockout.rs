//! Wrong-PIN lockout as a pure state machine: after [`MAX_FAILURES`] wrong
//! PINs in a row the admin screen is locked for [`LOCK_FOR`]; the clock is
//! passed in, so tests need no sleeping.

use std::time::{Duration, Instant};

/// Wrong PINs in a row before the lock.
pub const MAX_FAILURES: u32 = 5;
/// How long the lock lasts.
pub const LOCK_FOR: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Default)]
pub struct Lockout {
    failures: u32,
    until: Option<Instant>,
}

impl Lockout {
    /// `Err(remaining)` while locked.
    pub fn check(&mut self, now: Instant) -> Result<(), Duration> {
        match self.until {
            Some(t) if now < t => Err(t - now),
            Some(_) => {
                self.until = None;
                self.failures = 0;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Records a wrong PIN; returns the lock's length when this one locked it.
    pub fn fail(&mut self, now: Instant) -> Option<Duration> {
        self.failures += 1;
        if self.failures >= MAX_FAILURES {
            self.until = Some(now + LOCK_FOR);
            return Some(LOCK_FOR);
        }
        None
    }

    /// A right PIN clears the count.
    pub fn succeed(&mut self) {
        self.failures = 0;
        self.until = None;
    }

    /// Wrong PINs left before the lock.
    pub fn left(&self) -> u32 {
        MAX_FAILURES.saturating_sub(self.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_lock_for_a_minute_then_open_again() {
        let t0 = Instant::now();
        let mut l = Lockout::default();
        for i in 0..4 {
            assert!(l.check(t0).is_ok());
            assert_eq!(l.fail(t0), None, "failure {i} must not lock");
        }
        assert_eq!(l.left(), 1);
        assert_eq!(l.fail(t0), Some(LOCK_FOR));
        assert_eq!(
            l.check(t0 + Duration::from_secs(59)),
            Err(Duration::from_secs(1))
        );
        assert!(l.check(t0 + LOCK_FOR).is_ok());
        assert_eq!(l.left(), MAX_FAILURES);
    }

    #[test]
    fn a_right_pin_resets_the_count() {
        let t0 = Instant::now();
        let mut l = Lockout::default();
        for _ in 0..4 {
            l.fail(t0);
        }
        l.succeed();
        assert_eq!(l.fail(t0), None);
        assert_eq!(l.left(), MAX_FAILURES - 1);
    }
}
