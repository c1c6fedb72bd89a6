//! Admin: the settings a site changes on the kiosk itself, behind a PIN.
//!
//! `pin` hashes and checks the PIN (argon2), `lockout` is the "five wrong PINs
//! → locked for a minute" rule as a pure state machine, and `overrides` is the
//! file the admin screen writes (`admin.toml` in the data folder), layered over
//! the site's `kiosk.toml`.

pub mod lockout;
pub mod overrides;
pub mod pin;

pub use lockout::Lockout;
pub use overrides::{AdminFile, Overrides};

/// Why an admin action failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("the PIN must be 4 to 8 digits")]
    BadPin,
    #[error("the two PINs differ")]
    PinMismatch,
    #[error("wrong PIN")]
    WrongPin,
    #[error("too many wrong PINs: locked for {0} more seconds")]
    Locked(u64),
    #[error("no admin PIN is set yet")]
    NoPin,
    #[error("cannot hash the PIN: {0}")]
    Hash(String),
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("cannot save the admin settings to {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}
