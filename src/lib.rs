//! OneMed Kiosk: offline, assistive medical screening.
//!
//! The pipeline, one module per stage:
//! `decode` (file bytes → RGB frame) → `preprocess` (Pillow-exact fit, tensor)
//! → `quality` (is the image usable, and of the right kind?) → `engine`
//! (OpenVINO inference) → `gate` (a finding only when the model is clearly
//! sure) → `analysis` (the traceable result). `catalog` describes the tools
//! and their models; `settings` holds what a site configures.
//!
//! Around it: `kiosk` (the touchscreen app), `records` (the register) and
//! `export`, `serial` (trigger, scanner, printer), `notify` (systemd), `cli`.

pub mod admin;
pub mod analysis;
pub mod camera;
pub mod catalog;
pub mod cli;
pub mod decode;
pub mod engine;
pub mod export;
pub mod frame;
pub mod gate;
pub mod import;
pub mod kiosk;
pub mod notify;
pub mod preprocess;
pub mod quality;
pub mod records;
pub mod screening;
pub mod serial;
pub mod settings;
pub mod workers;
