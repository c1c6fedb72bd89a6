//! The capture trigger: a foot pedal or the camera's shutter button on a
//! USB-serial adapter. The setting `match` says what it sends:
//! `byte:0x20` or `byte:32` (each such byte is a trigger) or `line:SNAP`
//! (each line equal to `SNAP`, trimmed, is a trigger).

use super::link::{Consumer, Link};
use super::scanner::{LineAssembler, MAX_LINE};
use super::{SerialError, SerialEvent};

/// Recognises triggers in the bytes a trigger device sends.
#[derive(Debug, Clone)]
pub struct Matcher {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Byte(u8),
    Line { text: String, lines: LineAssembler },
}

impl Matcher {
    /// Parses a `match` setting: `byte:0x20`, `byte:32` or `line:SNAP`.
    pub fn parse(spec: &str) -> Result<Matcher, SerialError> {
        let bad = |reason: &str| SerialError::BadTrigger {
            spec: spec.chars().take(64).flat_map(char::escape_debug).collect(),
            reason: reason.to_string(),
        };
        let spec_t = spec.trim();
        let (kind, value) = spec_t
            .split_once(':')
            .ok_or_else(|| bad("it needs a kind and a value separated by ':'"))?;
        let kind = match kind.trim().to_ascii_lowercase().as_str() {
            "byte" => Kind::Byte(parse_byte(value.trim()).map_err(|r| bad(&r))?),
            "line" => {
                let text = value.trim();
                if text.is_empty() {
                    return Err(bad("the line is empty"));
                }
                if text.len() > MAX_LINE {
                    return Err(bad(&format!("the line is longer than {MAX_LINE} bytes")));
                }
                if text.chars().any(char::is_control) {
                    return Err(bad("the line contains a control character"));
                }
                Kind::Line {
                    text: text.to_string(),
                    lines: LineAssembler::default(),
                }
            }
            _ => return Err(bad("the kind must be byte or line")),
        };
        Ok(Matcher { kind })
    }

    /// Feeds bytes as they arrive; gives how many triggers they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        match &mut self.kind {
            Kind::Byte(b) => bytes.iter().filter(|&x| x == b).count(),
            Kind::Line { text, lines } => lines
                .feed(bytes)
                .into_iter()
                .filter(|line| matches!(line, Ok(l) if l == text))
                .count(),
        }
    }

    /// Forgets a half-received line (the port was reopened).
    pub fn reset(&mut self) {
        if let Kind::Line { lines, .. } = &mut self.kind {
            lines.reset();
        }
    }
}

/// A byte value: `0x20` (hex) or `32` (decimal), 0–255.
fn parse_byte(value: &str) -> Result<u8, String> {
    let parsed = match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(hex) => u8::from_str_radix(hex, 16),
        None => value.parse::<u8>(),
    };
    parsed.map_err(|_| {
        format!(
            "\"{}\" is not a byte (0x00-0xFF or 0-255)",
            value.escape_debug()
        )
    })
}

impl Consumer for Matcher {
    fn bytes(&mut self, link: &Link, data: &[u8]) {
        for _ in 0..self.feed(data) {
            log::info!("capture trigger");
            link.send(SerialEvent::Trigger);
        }
    }

    fn reset(&mut self) {
        Matcher::reset(self);
    }
}

/// Runs the trigger until a stop is requested.
pub(crate) fn run(mut link: Link, mut matcher: Matcher) {
    link.run_reader(&mut matcher);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_specs_in_hex_and_decimal_match_only_that_byte() {
        for spec in ["byte:0x20", "byte:32", " BYTE: 0X20 "] {
            let mut m = Matcher::parse(spec).unwrap();
            assert_eq!(m.feed(b"abc"), 0, "{spec}");
            assert_eq!(m.feed(b"a b  c"), 3, "{spec}");
            assert_eq!(m.feed(b" "), 1, "{spec}");
        }
        let mut m = Matcher::parse("byte:0xff").unwrap();
        assert_eq!(m.feed(&[0xfe, 0xff, 0x00]), 1);
    }

    #[test]
    fn line_spec_matches_whole_trimmed_lines_across_reads() {
        let mut m = Matcher::parse("line:SNAP").unwrap();
        assert_eq!(m.feed(b"SNAPX\nsnap\r\nXSNAP\n"), 0);
        assert_eq!(m.feed(b"  SNAP \r\nSN"), 1);
        assert_eq!(m.feed(b"AP\rSNAP\n"), 2);
        assert_eq!(m.feed(b"SNAP"), 0);
        m.reset();
        assert_eq!(m.feed(b"\n"), 0);
    }

    #[test]
    fn bad_specs_are_clear_errors() {
        for (spec, why) in [
            ("", "separated by ':'"),
            ("0x20", "separated by ':'"),
            ("byte:256", "not a byte"),
            ("byte:0x1ff", "not a byte"),
            ("byte:space", "not a byte"),
            ("byte:", "not a byte"),
            ("line:", "empty"),
            ("line:   ", "empty"),
            ("word:SNAP", "byte or line"),
        ] {
            let err = Matcher::parse(spec).unwrap_err().to_string();
            assert!(err.contains(why), "{spec}: {err}");
            assert!(err.contains("byte:0x20, byte:32 or line:SNAP"), "{err}");
        }
    }
}
