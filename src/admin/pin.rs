//! The admin PIN: 6 to 12 digits for every new PIN, stored only as an
//! argon2id hash (PHC string with its own random salt and parameters),
//! checked in constant time by argon2. A hash saved under the old 4–8 digit
//! rule still verifies with its own parameters, but its PIN must be changed.

use super::AdminError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// Digits of a new PIN.
pub const MIN_DIGITS: usize = 6;
pub const MAX_DIGITS: usize = 12;
/// The shortest PIN the old rule allowed: still entered, then changed.
pub const OLD_MIN_DIGITS: usize = 4;

/// argon2id memory (KiB), passes and lanes for new hashes, chosen so that one
/// verify costs at least 0.5 s on the 2-core VM. Measured with
/// `cargo test --release --lib admin::pin::tests::measure -- --ignored --nocapture`
/// (verify of a wrong PIN, 5 runs, min / median; other builds running beside
/// it: load ≈ 2 in the first column, ≈ 5 in the second):
///   m=19 MiB t=2 (the crate's default: the old hashes)    31 /  44 ms    43 /  48 ms
///   m=64 MiB t=2                                         140 / 192 ms   159 / 220 ms
///   m=64 MiB t=8                                         392 / 481 ms   645 / 727 ms
///   m=64 MiB t=10                                        476 / 554 ms   723 / 815 ms
///   m=64 MiB t=12  ← chosen                              629 / 721 ms   844 / 993 ms
///   m=128 MiB t=5                                        588 / 673 ms   724 / 790 ms
///   m=64 MiB t=10 p=2                                    575 / 668 ms   636 / 729 ms
/// 64 MiB is affordable on a kiosk NUC, and more passes over it cost no more
/// memory; the argon2 crate computes lanes one after another, so p=2 only
/// adds time here while an attacker's hardware runs them side by side.
pub const M_COST_KIB: u32 = 64 * 1024;
pub const T_COST: u32 = 12;
pub const P_COST: u32 = 1;

/// Whether `pin` has the shape of a new PIN (6–12 ASCII digits).
pub fn valid(pin: &str) -> bool {
    (MIN_DIGITS..=MAX_DIGITS).contains(&pin.len()) && digits(pin)
}

/// Whether `pin` may be entered on the pad (4–12 digits: an old short PIN
/// still opens Admin, to be changed at once).
pub fn enterable(pin: &str) -> bool {
    (OLD_MIN_DIGITS..=MAX_DIGITS).contains(&pin.len()) && digits(pin)
}

/// Whether a PIN that was right must be changed before anything else (it is
/// shorter than a new PIN may be).
pub fn must_change(pin: &str) -> bool {
    !valid(pin)
}

fn digits(pin: &str) -> bool {
    pin.bytes().all(|b| b.is_ascii_digit())
}

fn hasher() -> Result<Argon2<'static>, AdminError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|e| AdminError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The argon2id hash of a new PIN, as a PHC string.
pub fn hash(pin: &str) -> Result<String, AdminError> {
    if !valid(pin) {
        return Err(AdminError::BadPin);
    }
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AdminError::Hash(e.to_string()))
}

/// Whether `pin` matches the stored hash, with the parameters stored in it.
/// A malformed hash never matches.
pub fn verify(pin: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok(),
        Err(e) => {
            log::error!("the stored admin PIN hash is malformed: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_pin_and_hides_it() {
        let h = hash("482913").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=65536,t=12,p=1$"), "{h}");
        assert!(!h.contains("482913"));
        assert!(verify("482913", &h));
        assert!(!verify("482914", &h));
        assert!(!verify("", &h));
        // Salted: the same PIN hashes differently each time.
        assert_ne!(h, hash("482913").unwrap());
    }

    #[test]
    fn new_pins_have_6_to_12_digits_old_ones_are_entered_then_changed() {
        assert!(valid("123456") && valid("123456789012"));
        assert!(!valid("1234") && !valid("12345") && !valid("1234567890123"));
        assert!(!valid("12a456") && !valid("") && !valid("12345 "));
        assert!(matches!(hash("12345"), Err(AdminError::BadPin)));
        assert!(matches!(hash("1234"), Err(AdminError::BadPin)));
        assert!(enterable("1234") && enterable("123456789012"));
        assert!(!enterable("123") && !enterable("1234567890123"));
        assert!(must_change("1234") && must_change("12345"));
        assert!(!must_change("123456"));
        assert!(!verify("1234", "not a hash"));
    }

    #[test]
    fn an_old_hash_still_verifies_with_its_own_parameters() {
        let old = Argon2::default()
            .hash_password(b"1357", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456,t=2"), "{old}");
        assert!(verify("1357", &old) && !verify("1358", &old));
    }

    /// Prints what one verify costs for a few memory/pass choices (the
    /// numbers beside [`T_COST`]).
    #[test]
    #[ignore = "a measurement: cargo test --release --lib admin::pin::tests::measure -- --ignored --nocapture"]
    fn measure() {
        for (m, t, p) in [
            (19456, 2, 1),
            (65536, 2, 1),
            (65536, 8, 1),
            (65536, 10, 1),
            (65536, T_COST, 1),
            (131072, 5, 1),
            (65536, 10, 2),
        ] {
            let a = Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(m, t, p, None).unwrap(),
            );
            let salt = SaltString::generate(&mut OsRng);
            let h = a.hash_password(b"135790", &salt).unwrap().to_string();
            let mut ms: Vec<f64> = (0..5)
                .map(|_| {
                    let t0 = std::time::Instant::now();
                    assert!(!verify("135791", &h));
                    t0.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            ms.sort_by(f64::total_cmp);
            println!(
                "m={} MiB t={t} p={p}: verify min {:.0} ms, median {:.0} ms, max {:.0} ms",
                m / 1024,
                ms[0],
                ms[2],
                ms[4]
            );
        }
    }
}
