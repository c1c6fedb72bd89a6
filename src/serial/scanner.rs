//! The barcode scanner: bytes → lines (ended by CR, LF or CRLF) → patient IDs.
//!
//! Lines are trimmed, control characters dropped and empty lines ignored. A
//! line longer than [`MAX_LINE`] bytes is dropped (reported once) and the
//! bytes up to its end are discarded as they come, so garbage without a
//! newline never grows memory. A patient ID is 1–32 ASCII letters, digits
//! or `-_/.`; anything else is rejected with a reason for the log and the
//! screen, never a panic.

use super::link::{Consumer, Link};
use super::{SerialError, SerialEvent};

/// The longest line kept, in bytes.
pub const MAX_LINE: usize = 256;
/// The longest patient ID, in characters.
pub const MAX_PATIENT_ID: usize = 32;

/// Assembles complete lines from bytes as they arrive.
#[derive(Debug, Clone)]
pub struct LineAssembler {
    buf: Vec<u8>,
    max: usize,
    /// Discarding an overlong line up to its end.
    skipping: bool,
}

impl Default for LineAssembler {
    fn default() -> Self {
        LineAssembler::new(MAX_LINE)
    }
}

impl LineAssembler {
    /// An assembler keeping lines of at most `max` bytes (at least 1).
    pub fn new(max: usize) -> LineAssembler {
        LineAssembler {
            buf: Vec::new(),
            max: max.max(1),
            skipping: false,
        }
    }

    /// Feeds bytes; gives each line completed by them (trimmed, without
    /// control characters, never empty), or `LineTooLong` once for a line
    /// that outgrew the limit.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<String, SerialError>> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if !self.skipping {
                    let line = clean(&self.buf);
                    if !line.is_empty() {
                        out.push(Ok(line));
                    }
                }
                self.skipping = false;
                self.buf.clear();
            } else if self.skipping || b.is_ascii_control() {
                // discarded
            } else if self.buf.len() >= self.max {
                self.skipping = true;
                self.buf = Vec::new();
                out.push(Err(SerialError::LineTooLong { max: self.max }));
            } else {
                self.buf.push(b);
            }
        }
        out
    }

    /// Forgets a half-received line (the port was reopened).
    pub fn reset(&mut self) {
        self.buf = Vec::new();
        self.skipping = false;
    }

    /// Bytes held for the line being received.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// A line's text: UTF-8 (invalid bytes become U+FFFD), control characters
/// dropped, trimmed.
fn clean(bytes: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    text.trim().to_string()
}

/// The patient ID a scanned line holds, or why it is not one.
pub fn patient_id(line: &str) -> Result<String, SerialError> {
    let id = line.trim();
    if id.is_empty() {
        return Err(SerialError::EmptyPatientId);
    }
    let len = id.chars().count();
    if len > MAX_PATIENT_ID {
        return Err(SerialError::PatientIdTooLong {
            id: shown(id, MAX_PATIENT_ID),
            len,
            max: MAX_PATIENT_ID,
        });
    }
    if let Some(ch) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.')))
    {
        return Err(SerialError::PatientIdChar {
            id: shown(id, MAX_PATIENT_ID),
            ch,
        });
    }
    Ok(id.to_string())
}

/// The first `n` characters of a rejected line, safe to show and log.
fn shown(text: &str, n: usize) -> String {
    text.chars().take(n).flat_map(char::escape_debug).collect()
}

/// The scanner thread's work: each valid line becomes a `Barcode`, each
/// rejected one a log line and a `Status` text.
struct Scans {
    lines: LineAssembler,
}

impl Consumer for Scans {
    fn bytes(&mut self, link: &Link, data: &[u8]) {
        for line in self.lines.feed(data) {
            match line.and_then(|l| patient_id(&l)) {
                Ok(id) => {
                    log::info!("barcode scanned: {id}");
                    link.send(SerialEvent::Barcode(id));
                }
                Err(e) => {
                    log::warn!("barcode scan ignored: {e}");
                    link.say(format!("Scan ignored: {e}"));
                }
            }
        }
    }

    fn reset(&mut self) {
        self.lines.reset();
    }
}

/// Runs the scanner until a stop is requested.
pub(crate) fn run(mut link: Link) {
    let mut scans = Scans {
        lines: LineAssembler::default(),
    };
    link.run_reader(&mut scans);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_lines(a: &mut LineAssembler, bytes: &[u8]) -> Vec<String> {
        a.feed(bytes).into_iter().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn lines_end_at_cr_lf_or_crlf_and_may_arrive_in_pieces() {
        let mut a = LineAssembler::default();
        assert_eq!(
            ok_lines(&mut a, b"PAT-1\rPAT-2\nPAT"),
            vec!["PAT-1", "PAT-2"]
        );
        assert_eq!(ok_lines(&mut a, b"-3\r"), vec!["PAT-3"]);
        assert_eq!(ok_lines(&mut a, b"\nPAT-4\r\n\r\n"), vec!["PAT-4"]);
    }

    #[test]
    fn lines_are_trimmed_control_characters_dropped_empty_lines_ignored() {
        let mut a = LineAssembler::default();
        assert_eq!(
            ok_lines(&mut a, b"  AB\x02C\x03 \n\x1b\n   \n\t\n"),
            vec!["ABC"]
        );
        assert_eq!(ok_lines(&mut a, b"\xc3\xa9\xff\n"), vec!["é\u{fffd}"]);
    }

    #[test]
    fn overlong_garbage_is_bounded_and_reported_once() {
        let mut a = LineAssembler::new(16);
        let results = a.feed(&[b'x'; 10_000]);
        assert_eq!(results.len(), 1);
        assert!(matches!(
            results[0],
            Err(SerialError::LineTooLong { max: 16 })
        ));
        assert!(a.buffered() <= 16);
        assert!(a.feed(&[b'y'; 10_000]).is_empty());
        assert_eq!(a.buffered(), 0);
        assert!(a.feed(b"still garbage\n").is_empty());
        assert_eq!(ok_lines(&mut a, b"PAT-9\n"), vec!["PAT-9"]);
    }

    #[test]
    fn reset_forgets_a_partial_line() {
        let mut a = LineAssembler::default();
        assert!(a.feed(b"PAT-").is_empty());
        a.reset();
        assert_eq!(ok_lines(&mut a, b"7\n"), vec!["7"]);
    }

    #[test]
    fn valid_patient_ids() {
        assert_eq!(patient_id("PAT-0042").unwrap(), "PAT-0042");
        assert_eq!(patient_id(" a_b/c.9 ").unwrap(), "a_b/c.9");
        assert_eq!(patient_id("7").unwrap(), "7");
        assert_eq!(patient_id(&"A".repeat(32)).unwrap(), "A".repeat(32));
    }

    #[test]
    fn invalid_patient_ids_give_clear_reasons() {
        assert!(matches!(
            patient_id("   "),
            Err(SerialError::EmptyPatientId)
        ));
        let long = patient_id(&"A".repeat(33)).unwrap_err().to_string();
        assert!(
            long.contains("33 characters") && long.contains("at most 32"),
            "{long}"
        );
        let space = patient_id("PAT 42").unwrap_err().to_string();
        assert!(
            space.contains("' '") && space.contains("letters, digits"),
            "{space}"
        );
        assert!(matches!(
            patient_id("PÄT"),
            Err(SerialError::PatientIdChar { ch: 'Ä', .. })
        ));
        let quote = patient_id("a\"b;").unwrap_err().to_string();
        assert!(quote.contains("a\\\"b;"), "{quote}");
    }
}
