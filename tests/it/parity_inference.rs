//! Inference parity: real OpenVINO on the real models gives the original Keras
//! pipeline's probabilities (within 1e-4) for every reference image and every
//! model that applies, so the gate decides exactly as it would on the reference.

use crate::common;
use onemed::catalog::{Catalog, ModelFiles};
use onemed::decode::Limits;
use onemed::engine::{Device, Engine, EngineConfig};
use onemed::gate::{gate, Decision};
use onemed::preprocess::{fill_tensor, prepare, to_tensor};

#[test]
fn probabilities_match_the_keras_reference() {
    let catalog = Catalog::builtin().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut engine = Engine::new(&EngineConfig {
        device: Device::Cpu,
        cache_dir: Some(cache.path().to_path_buf()),
        runtime: None,
    })
    .expect("OpenVINO runtime loads (make venv)");
    for tool in catalog.tools() {
        let files = ModelFiles::locate(&common::models_dir(), &tool.model).unwrap();
        let info = engine.load(tool, &files).unwrap();
        assert_eq!(info.precision, "f32", "{}: compiled precision", tool.id);
    }
    let mut compared = 0;
    let mut worst = 0f64;
    for r in common::reference() {
        let bytes = std::fs::read(&r.file).unwrap();
        let p = prepare(&bytes, &Limits::default(), 224).unwrap();
        for (model, expected) in &r.models {
            let Ok(tool) = catalog.tool(model) else {
                continue; // covid-ct-alt/*: not part of the product
            };
            let input = to_tensor(&p.fitted, &tool.preprocess.normalize());
            let got = engine.infer(&tool.id, &input).unwrap();
            assert_eq!(got.len(), expected.len());
            // The analysis writes the input straight into the request's
            // tensor: the very same probabilities, bit for bit.
            let norm = tool.preprocess.normalize();
            let direct = engine
                .infer_with(&tool.id, input.len(), |t| fill_tensor(&p.fitted, &norm, t))
                .unwrap();
            assert_eq!(direct, got, "{} with {model}", r.rel);
            for (g, e) in got.iter().zip(expected) {
                let d = (f64::from(*g) - e).abs();
                worst = worst.max(d);
                assert!(d < 1e-4, "{} with {model}: {got:?} vs {expected:?}", r.rel);
            }
            let exp32: Vec<f32> = expected.iter().map(|&v| v as f32).collect();
            let ours = gate(&got, tool).unwrap();
            let theirs = gate(&exp32, tool).unwrap();
            assert_eq!(
                std::mem::discriminant(&ours),
                std::mem::discriminant(&theirs),
                "{} with {model}: gate {ours:?} vs reference {theirs:?}",
                r.rel
            );
            if let (Decision::Finding { index: a, .. }, Decision::Finding { index: b, .. }) =
                (ours, theirs)
            {
                assert_eq!(a, b, "{} with {model}", r.rel);
            }
            compared += 1;
        }
    }
    // 28 images: 10 CT, 6+6 eye images x 3 eye models... every applicable pair.
    assert!(compared >= 28 + 2 * 12, "only {compared} comparisons");
    eprintln!("compared {compared} (image, model) pairs, worst |dp| = {worst:.2e}");
}
