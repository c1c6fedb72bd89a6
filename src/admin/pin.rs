//! The admin PIN: 4 to 8 digits, stored only as an argon2id hash (PHC string
//! with its own random salt), checked in constant time by argon2.

use super::AdminError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// Whether `pin` has the allowed shape (4–8 ASCII digits).
pub fn valid(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The argon2id hash of a PIN, as a PHC string.
pub fn hash(pin: &str) -> Result<String, AdminError> {
    if !valid(pin) {
        return Err(AdminError::BadPin);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AdminError::Hash(e.to_string()))
}

/// Whether `pin` matches the stored hash. A malformed hash never matches.
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
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("482913"));
        assert!(verify("482913", &h));
        assert!(!verify("482914", &h));
        assert!(!verify("", &h));
        // Salted: the same PIN hashes differently each time.
        assert_ne!(h, hash("482913").unwrap());
    }

    #[test]
    fn shapes() {
        assert!(valid("1234") && valid("12345678"));
        assert!(!valid("123") && !valid("123456789") && !valid("12a4") && !valid(""));
        assert!(matches!(hash("12"), Err(AdminError::BadPin)));
        assert!(!verify("1234", "not a hash"));
    }
}
