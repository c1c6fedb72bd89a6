//! One result's kind: the vocabulary the screens, the register, the export
//! and the visit rules share, stored as its code.

use serde::{Deserialize, Serialize};

/// What one result means for the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultKind {
    /// A finding that means "refer to a doctor".
    Refer,
    /// A finding that needs no referral.
    Clear,
    /// Unusable picture: retake.
    Retake,
    /// Too many unusable pictures: refer without a finding.
    CouldNotAssess,
    /// Something broke; the message says what.
    Error,
}

impl ResultKind {
    /// The stable code stored in the register ("refer", "clear", …).
    pub fn code(self) -> &'static str {
        match self {
            ResultKind::Refer => "refer",
            ResultKind::Clear => "clear",
            ResultKind::Retake => "retake",
            ResultKind::CouldNotAssess => "could-not-assess",
            ResultKind::Error => "error",
        }
    }

    /// The kind a stored code names; an unknown code reads as an error
    /// (never as a finding).
    pub fn from_code(code: &str) -> ResultKind {
        match code {
            "refer" => ResultKind::Refer,
            "clear" => ResultKind::Clear,
            "retake" => ResultKind::Retake,
            "could-not-assess" => ResultKind::CouldNotAssess,
            _ => ResultKind::Error,
        }
    }

    /// A finding either way: the part was assessed.
    pub fn is_assessed(self) -> bool {
        matches!(self, ResultKind::Refer | ResultKind::Clear)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_never_findings() {
        for k in [
            ResultKind::Refer,
            ResultKind::Clear,
            ResultKind::Retake,
            ResultKind::CouldNotAssess,
            ResultKind::Error,
        ] {
            assert_eq!(ResultKind::from_code(k.code()), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.code())
            );
        }
        assert_eq!(ResultKind::from_code("REFER"), ResultKind::Error);
        assert!(!ResultKind::from_code("").is_assessed());
    }
}
