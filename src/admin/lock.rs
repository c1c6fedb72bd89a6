//! The admin lock as a pure rule over a small record (wrong PINs since the
//! last right one, when the current lock began and ends, in UTC wall-clock
//! time); the clock is passed in. Each attempt is counted before its PIN is
//! checked; the delays grow as [`delay_after`] says. The record is kept on
//! disk by `lockfile`.

use super::lockout::{delay_after, DELAYS_MIN, MAX_FAILURES};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// What the lock file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lock {
    /// Wrong PINs (and attempts still being checked) since the last right one.
    pub failures: u32,
    /// When the latest lock began and ends.
    pub locked_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Whether a PIN may be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Open: this many wrong PINs are left before the next lock.
    Open { left: u32 },
    /// Locked for this much longer.
    Locked { remaining: Duration },
}

impl Lock {
    /// What a damaged lock record means: locked for the longest delay from
    /// `now`, with the count at a run that keeps the longest delay.
    pub fn damaged(now: DateTime<Utc>) -> Lock {
        let longest = DELAYS_MIN[DELAYS_MIN.len() - 1];
        Lock {
            failures: MAX_FAILURES * DELAYS_MIN.len() as u32,
            locked_at: Some(now),
            locked_until: Some(now + chrono::Duration::minutes(longest as i64)),
        }
    }

    /// The record as it stands at `now`: when the clock reads earlier than the
    /// lock began (it was moved back), the lock runs its full length again
    /// from `now`. Save the result when it differs.
    pub fn at(self, now: DateTime<Utc>) -> Lock {
        match (self.locked_at, self.locked_until) {
            (Some(at), Some(until)) if now < at => Lock {
                locked_at: Some(now),
                locked_until: Some(now + (until - at)),
                ..self
            },
            _ => self,
        }
    }

    /// Whether a PIN may be tried at `now` (after [`Lock::at`]).
    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        if let Some(until) = self.locked_until {
            if now < until {
                let remaining = (until - now).to_std().unwrap_or_default();
                return Standing::Locked { remaining };
            }
        }
        Standing::Open {
            left: MAX_FAILURES - self.failures % MAX_FAILURES,
        }
    }

    /// The record with one more attempt counted at `now`, saved before the
    /// PIN is checked: it locks when this attempt completes a run of wrong
    /// PINs, and a right PIN then clears it ([`Lock::default`]).
    pub fn count_attempt(self, now: DateTime<Utc>) -> Lock {
        let failures = self.failures.saturating_add(1);
        match delay_after(failures) {
            Some(d) => Lock {
                failures,
                locked_at: Some(now),
                locked_until: Some(now + chrono::Duration::seconds(d.as_secs() as i64)),
            },
            None => Lock { failures, ..self },
        }
    }
}

/// What is left of a lock, in whole minutes rounded up (at least 1; the
/// screen words it in its language).
pub fn minutes_left(remaining: Duration) -> u64 {
    remaining.as_secs().div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn wrong(mut l: Lock, n: u32, now: DateTime<Utc>) -> Lock {
        for _ in 0..n {
            l = l.count_attempt(now);
        }
        l
    }

    #[test]
    fn five_attempts_lock_for_a_minute_then_five_more_for_five() {
        let l = wrong(Lock::default(), 4, t(0));
        assert_eq!(l.standing(t(0)), Standing::Open { left: 1 });
        let l = l.count_attempt(t(0));
        assert_eq!(
            l.standing(t(1)),
            Standing::Locked {
                remaining: Duration::from_secs(59)
            }
        );
        assert_eq!(l.standing(t(60)), Standing::Open { left: 5 });
        let l = wrong(l, 5, t(100));
        assert_eq!(
            l.standing(t(100)),
            Standing::Locked {
                remaining: Duration::from_secs(300)
            }
        );
        let l = wrong(l, 5, t(400));
        assert_eq!(l.locked_until, Some(t(400 + 15 * 60)));
        let l = wrong(l, 5, t(2000));
        assert_eq!(l.locked_until, Some(t(2000 + 60 * 60)));
        let l = wrong(l, 5, t(9000));
        assert_eq!(
            l.locked_until,
            Some(t(9000 + 60 * 60)),
            "60 minutes from then on"
        );
    }

    #[test]
    fn an_attempt_is_counted_before_its_check_and_a_right_pin_clears_it() {
        let l = Lock::default().count_attempt(t(0));
        assert_eq!(l.failures, 1, "counted before the PIN is checked");
        assert_eq!(l.standing(t(0)), Standing::Open { left: 4 });
        // The right PIN: the kiosk saves the default record.
        assert_eq!(Lock::default().standing(t(0)), Standing::Open { left: 5 });
    }

    #[test]
    fn a_clock_moved_back_restarts_the_full_delay_from_now() {
        let l = wrong(Lock::default(), 10, t(1000)); // 5 minutes from t(1000)
        let back = t(1000 - 86_400);
        let l2 = l.at(back);
        assert_eq!(l2.locked_at, Some(back));
        assert_eq!(l2.locked_until, Some(back + chrono::Duration::minutes(5)));
        assert_eq!(
            l2.standing(back),
            Standing::Locked {
                remaining: Duration::from_secs(300)
            }
        );
        // A clock that runs on changes nothing.
        assert_eq!(l.at(t(1100)), l);
    }

    #[test]
    fn a_damaged_record_locks_for_the_longest_delay() {
        let l = Lock::damaged(t(0));
        assert_eq!(
            l.standing(t(0)),
            Standing::Locked {
                remaining: Duration::from_secs(3600)
            }
        );
        // Five more wrong PINs after it: the longest delay again.
        let l = wrong(l, 5, t(3600));
        assert_eq!(l.locked_until, Some(t(7200)));
    }

    #[test]
    fn minutes_are_rounded_up() {
        assert_eq!(minutes_left(Duration::from_secs(1)), 1);
        assert_eq!(minutes_left(Duration::from_secs(60)), 1);
        assert_eq!(minutes_left(Duration::from_secs(61)), 2);
        assert_eq!(minutes_left(Duration::from_secs(14 * 60 - 5)), 14);
    }
}
