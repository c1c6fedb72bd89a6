//! Preprocessing parity: the 224x224 RGB array we feed the model equals
//! Pillow's `ImageOps.fit(..., LANCZOS)` byte for byte on every reference image.

use crate::common;
use onemed::decode::Limits;
use onemed::preprocess::{fit_box, input_sha256, prepare};

#[test]
fn fitted_rgb_matches_pillow_for_every_reference_image() {
    let refs = common::reference();
    assert!(refs.len() >= 28, "reference lists {} images", refs.len());
    let mut mismatches = Vec::new();
    for r in &refs {
        let bytes = std::fs::read(&r.file).expect("sample image readable");
        let p = prepare(&bytes, &Limits::default(), 224).expect("sample image prepares");
        let b = fit_box(p.width, p.height, 224, 224);
        assert_eq!(b.map(f64::from), r.crop_box, "{}: crop box", r.rel);
        let got = input_sha256(&p.fitted);
        if got != r.fitted_sha256 {
            mismatches.push(r.rel.clone());
        }
    }
    assert!(
        mismatches.is_empty(),
        "not byte-exact with Pillow: {mismatches:?}"
    );
}
