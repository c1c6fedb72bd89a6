//! Admin: the settings a site changes on the kiosk itself, behind a PIN.
//!
//! `pin` hashes and checks the PIN (argon2id, 6–12 digits), `lock` is the
//! wrong-PIN rule (growing delays from `lockout::delay_after`) as a pure
//! function of a small record that `lockfile` keeps on disk, `access` decides
//! who may open Admin (one attempt: counted, then checked), `overrides` is
//! the file the admin screen writes (`admin.toml` in the data folder),
//! layered over the site's `kiosk.toml`, written by `atomic`, and `reset`
//! sets a PIN over a damaged file (the console's `onemed admin reset-pin`).

pub mod access;
mod atomic;
pub mod lock;
pub mod lockfile;
pub mod lockout;
pub mod overrides;
pub mod pin;
pub mod reset;

pub use lockout::Lockout;
pub use overrides::{AdminFile, Overrides};

/// Why an admin action failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("the PIN must be 6 to 12 digits")]
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
