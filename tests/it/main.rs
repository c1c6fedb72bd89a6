//! The integration tests, as one test crate (one link, one binary): real
//! OpenVINO inference with the real models, real SQLite, real serial ports
//! (pty pairs), a real rendered UI (Slint's testing backend). Each module is
//! one area; `common` holds the fixtures they share.
//!
//! Separate binaries only where one must be: `tests/regressions.rs` (its
//! own global allocator, to measure peak memory), `tests/watchdog.rs` (it
//! sets the process's systemd environment and fault injection) and
//! `tests/torture.rs` (the register's SIGKILL durability test, with its own
//! writer process).

mod common;

mod camera;
mod cli;
mod corpus;
mod ct_series;
mod differential;
mod dicom;
mod dicom_syntaxes;
mod export;
mod faults;
mod formats;
mod import;
mod kiosk;
mod layers;
mod parity_fit;
mod parity_inference;
mod quality;
mod records;
mod serial;
mod systemd;
mod translations;
mod visit;
