//! OneMed Kiosk: offline, assistive medical screening.
//!
//! The pipeline, one module per stage:
//! `decode` (file bytes → RGB frame) → `preprocess` (Pillow-exact fit, tensor)
//! → `quality` (is the image usable?) → `engine` (OpenVINO inference)
//! → `gate` (a finding only when the model is clearly sure) → `analysis`
//! (the traceable result). `catalog` describes the tools and their models.

pub mod decode;
pub mod frame;
pub mod preprocess;
