//! The decision gate: a finding only when the model is clearly sure.
//!
//! Pure: probabilities and the tool's manifest in, a [`Decision`] out. The top
//! class must beat the runner-up by at least the manifest's margin (0.5 by
//! default); otherwise the answer is "inconclusive — retake", never a guess.

use crate::catalog::Manifest;
use serde::Serialize;

/// What the gate decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum Decision {
    /// The model is clearly sure: class `index` with probability `confidence`.
    Finding {
        index: usize,
        confidence: f32,
        margin: f32,
        refer: bool,
    },
    /// The margin between the top two classes is below the gate.
    Inconclusive { margin: f32, required: f32 },
}

/// Model output the gate will not interpret.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum GateError {
    #[error("model gave {got} outputs, the tool has {expected} classes")]
    ClassCount { got: usize, expected: usize },
    #[error("model output is not a probability distribution: {0:?}")]
    NotProbabilities(Vec<f32>),
}

/// Applies the tool's gate to the model's probabilities (output-index order).
pub fn gate(probs: &[f32], tool: &Manifest) -> Result<Decision, GateError> {
    if probs.len() != tool.classes.len() {
        return Err(GateError::ClassCount {
            got: probs.len(),
            expected: tool.classes.len(),
        });
    }
    let sum: f32 = probs.iter().sum();
    let valid = probs
        .iter()
        .all(|p| p.is_finite() && (0.0..=1.0).contains(p));
    if !valid || (sum - 1.0).abs() > 1e-3 {
        return Err(GateError::NotProbabilities(probs.to_vec()));
    }
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let (top, second) = (order[0], order[1]);
    let margin = probs[top] - probs[second];
    let required = tool.gate.margin;
    if margin >= required {
        Ok(Decision::Finding {
            index: top,
            confidence: probs[top],
            margin,
            refer: tool.classes[top].refer,
        })
    } else {
        Ok(Decision::Inconclusive { margin, required })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn tool(id: &str) -> Manifest {
        Catalog::builtin().unwrap().tool(id).unwrap().clone()
    }

    #[test]
    fn clear_top_class_is_a_finding_with_its_referral() {
        let t = tool("diabetic-retinopathy");
        let d = gate(&[0.9, 0.1], &t).unwrap();
        assert!(
            matches!(
                d,
                Decision::Finding {
                    index: 0,
                    refer: true,
                    ..
                }
            ),
            "{d:?}"
        );
        let d = gate(&[0.05, 0.95], &t).unwrap();
        assert!(
            matches!(
                d,
                Decision::Finding {
                    index: 1,
                    refer: false,
                    ..
                }
            ),
            "{d:?}"
        );
    }

    #[test]
    fn margin_below_gate_is_inconclusive_and_edge_is_inclusive() {
        let t = tool("skin-lesion");
        assert!(matches!(
            gate(&[0.7, 0.3], &t).unwrap(),
            Decision::Inconclusive { .. }
        ));
        assert!(matches!(
            gate(&[0.5, 0.5], &t).unwrap(),
            Decision::Inconclusive { .. }
        ));
        assert!(matches!(
            gate(&[0.75, 0.25], &t).unwrap(),
            Decision::Finding { index: 0, .. }
        ));
    }

    #[test]
    fn margin_comes_from_the_manifest() {
        let mut c = Catalog::builtin().unwrap();
        c.set_margin("cataract", 0.9).unwrap();
        let t = c.tool("cataract").unwrap();
        assert!(matches!(
            gate(&[0.9, 0.1], t).unwrap(),
            Decision::Inconclusive { .. }
        ));
        assert!(matches!(
            gate(&[0.96, 0.04], t).unwrap(),
            Decision::Finding { .. }
        ));
    }

    #[test]
    fn broken_outputs_are_refused() {
        let t = tool("covid-ct");
        assert!(gate(&[1.0], &t).is_err());
        assert!(gate(&[f32::NAN, 0.5], &t).is_err());
        assert!(gate(&[0.9, 0.9], &t).is_err());
        assert!(gate(&[-0.5, 1.5], &t).is_err());
    }
}
