//! The screening core, independent of any screen: what one result means
//! ([`ResultKind`]), the retake loop ([`flow`]), the parts of a visit and its
//! one referral decision ([`visit`], [`decision`]), the words a person reads
//! ([`words`]) and the printed slip ([`slip`]).
//!
//! The kiosk, `onemed screen`, the register and the export all use this
//! module, so a visit is decided by one set of rules wherever it happens.
//! Decisions travel and are stored as codes with their parts as data; the
//! words are chosen only when they are shown.

pub mod decision;
pub mod flow;
mod outcome;
mod part;
pub mod slip;
pub mod visit;
pub mod words;

pub use decision::{Decision, NotScreened, VisitDecision};
pub use outcome::ResultKind;
pub use part::{Eye, Part};
pub use visit::{CannotScreen, PartState, PartStatus, Screened, Visit};

#[cfg(test)]
mod tests;
