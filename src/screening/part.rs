//! A part of a visit: one tool, and for eye tools one eye.

use serde::{Deserialize, Serialize};

/// The eye an image shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Eye {
    Right,
    Left,
}

impl Eye {
    /// "Left eye" / "Right eye".
    pub fn label(self) -> &'static str {
        match self {
            Eye::Left => "Left eye",
            Eye::Right => "Right eye",
        }
    }

    /// The stored code: "left" / "right".
    pub fn as_str(self) -> &'static str {
        match self {
            Eye::Left => "left",
            Eye::Right => "right",
        }
    }

    pub fn parse(s: &str) -> Option<Eye> {
        match s {
            "left" => Some(Eye::Left),
            "right" => Some(Eye::Right),
            _ => None,
        }
    }

    /// Both eyes, in the order they are screened.
    pub const BOTH: [Eye; 2] = [Eye::Right, Eye::Left];
}

/// One thing a visit screens: a tool, and the eye for eye tools.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Part {
    pub tool: String,
    pub eye: Option<Eye>,
}

impl Part {
    pub fn new(tool: &str, eye: Option<Eye>) -> Part {
        Part {
            tool: tool.to_string(),
            eye,
        }
    }
}
