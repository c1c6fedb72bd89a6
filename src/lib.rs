//! OneMed Kiosk: offline, assistive medical screening.
//!
//! The modules below are declared in layers, lowest first; a module uses only
//! modules declared before it (`tests/it/layers.rs` checks this, so there is
//! no import cycle). ARCHITECTURE.md has the threads and who owns what.

// ── The kiosk's languages and the one catalogue of their words.
pub mod i18n;

// ── The pipeline: file bytes → RGB frame → Pillow-exact fit and tensor →
//    is the image usable and of the right kind? (pure functions)
pub mod frame;
pub mod decode;
pub mod preprocess;
pub mod quality;

// ── What runs, on what: the tools and their models, the gate (a finding only
//    when the model is clearly sure), OpenVINO, the site's settings.
pub mod catalog;
pub mod gate;
pub mod engine;
pub mod settings;

// ── One image in, one gated and traceable `Analysis` out.
pub mod analysis;

// ── The screening core, independent of any screen: result kinds, the retake
//    loop, a visit's parts and its one referral decision, words, the slip.
pub mod screening;

// ── Edges: the register, exports, the admin lock, devices, files, systemd.
pub mod records;
pub mod import;
pub mod sticks;
pub mod export;
pub mod admin;
pub mod serial;
pub mod camera;
pub mod notify;

// ── Threads that own a resource (the register, the engine).
pub mod workers;

// ── The apps: the touchscreen kiosk and the `onemed` command.
pub mod kiosk;
pub mod cli;
