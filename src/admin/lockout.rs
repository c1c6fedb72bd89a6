//! Wrong-PIN lockout as a pure state machine: after [`MAX_FAILURES`] wrong
//! PINs in a row the admin screen is locked for [`LOCK_FOR`]; the clock is
//! passed in, so tests need no sleeping.

use std::time::{Duration, Instant};

/// Wrong PINs in a row before the lock.
pub const MAX_FAILURES: u32 = 5;
/// How long the lock lasts.
pub const LOCK_FOR: Duration = Duration::from_secs(60);

/// The growing delays after each run of [`MAX_FAILURES`] wrong PINs: 1, 5,
/// 15, then 60 minutes for every later run.
pub const DELAYS_MIN: [u64; 4] = [1, 5, 15, 60];

/// How long a PIN is locked after `failures` wrong PINs in a row (counted
/// since the last right one): nothing until the first [`MAX_FAILURES`], then
/// each further run of wrong PINs locks for the next of [`DELAYS_MIN`].
pub fn delay_after(failures: u32) -> Option<Duration> {
    if failures == 0 || failures % MAX_FAILURES != 0 {
        return None;
    }
    let run = (failures / MAX_FAILURES) as usize;
    let minutes = DELAYS_MIN[(run - 1).min(DELAYS_MIN.len() - 1)];
    Some(Duration::from_secs(minutes * 60))
}

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
    fn delays_grow_one_five_fifteen_sixty_then_stay() {
        let min = |m: u64| Some(Duration::from_secs(m * 60));
        assert_eq!(delay_after(0), None);
        assert_eq!(delay_after(4), None);
        assert_eq!(delay_after(5), min(1));
        assert_eq!(delay_after(6), None);
        assert_eq!(delay_after(10), min(5));
        assert_eq!(delay_after(15), min(15));
        assert_eq!(delay_after(20), min(60));
        assert_eq!(delay_after(500), min(60));
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
