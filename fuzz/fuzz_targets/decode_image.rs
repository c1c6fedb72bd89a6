//! Fuzz target `decode_image`: any bytes through what the kiosk does with an
//! imported file — `decode` with the default limits, then (when it decodes)
//! the 224x224 fit and every quality check. A JPEG also goes through
//! `preprocess::prepare`, whose streamed decode skips and crops rows (other
//! libjpeg code paths). Errors are expected; a panic, an abort, a hang
//! (`-timeout`) or a runaway allocation (`-rss_limit_mb`) is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onemed::decode::{self, ImageFormat, Limits};
use onemed::frame::RgbFrame;
use onemed::preprocess;
use onemed::quality::{self, ImageKind};

const SIZE: usize = 224;

fn assess(width: usize, height: usize, fitted: &RgbFrame) {
    assert_eq!((fitted.width(), fitted.height()), (SIZE, SIZE));
    let m = quality::measure(fitted);
    for kind in ImageKind::ALL {
        let _ = quality::check(width, height, &m, &quality::defaults_for(kind), kind);
        let _ = quality::guard(kind, &m);
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok((_, frame)) = decode::decode(data, &limits) {
        if let Ok(fitted) = preprocess::fit(&frame, SIZE, SIZE) {
            assess(frame.width(), frame.height(), &fitted);
        }
    }
    if decode::sniff(data) == Some(ImageFormat::Jpeg) {
        if let Ok(p) = preprocess::prepare(data, &limits, SIZE) {
            assess(p.width, p.height, &p.fitted);
        }
    }
});
