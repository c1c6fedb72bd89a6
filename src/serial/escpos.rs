//! ESC/POS encoding of a receipt (the visit slip): pure functions from
//! [`PrintLine`]s (the screening core's slip lines) to the printer's bytes, and to the same slip as plain text.
//!
//! Bytes of a slip: `ESC @` (initialise); per line `ESC a n` (align),
//! `ESC E n` (bold), `GS ! n` (double width and height), then the text
//! word-wrapped to the paper width (half of it for double lines), each row
//! ended by `LF`; then `ESC d 3` (feed) and `GS V 66 0` (partial cut).
//! Printers start in code page 437, so text is reduced to printable ASCII:
//! dashes and `·` become `-`, accented letters lose their accents, anything
//! else becomes `?`, and control characters are dropped (so no text can
//! smuggle a printer command in).

pub use crate::screening::slip::PrintLine;

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;
const LF: u8 = 0x0a;
/// Lines fed after the slip so the text clears the cutter.
const FEED_LINES: u8 = 3;
/// `GS ! n` value for double width and double height.
const DOUBLE_SIZE: u8 = 0x11;

/// The printer's bytes for a slip on paper `width` characters wide.
pub fn encode(lines: &[PrintLine], width: u32) -> Vec<u8> {
    let width = paper_width(width);
    let mut out = vec![ESC, b'@'];
    for line in lines {
        out.extend_from_slice(&[ESC, b'a', u8::from(line.center)]);
        out.extend_from_slice(&[ESC, b'E', u8::from(line.bold)]);
        let size = if line.double { DOUBLE_SIZE } else { 0 };
        out.extend_from_slice(&[GS, b'!', size]);
        for row in rows(line, width) {
            out.extend_from_slice(row.as_bytes());
            out.push(LF);
        }
    }
    out.extend_from_slice(&[ESC, b'd', FEED_LINES]);
    out.extend_from_slice(&[GS, b'V', 66, 0]);
    out
}

/// The same slip as plain text: the same wrapped rows, centred rows padded
/// to the middle of the paper, each row ended by `\n`.
pub fn plain_text(lines: &[PrintLine], width: u32) -> String {
    let width = paper_width(width);
    let mut out = String::new();
    for line in lines {
        for row in rows(line, width) {
            if line.center {
                let pad = width.saturating_sub(row.len()) / 2;
                out.push_str(&" ".repeat(pad));
            }
            out.push_str(&row);
            out.push('\n');
        }
    }
    out
}

/// At least two characters, so a double line still holds one.
fn paper_width(width: u32) -> usize {
    usize::try_from(width).unwrap_or(usize::MAX).max(2)
}

/// A line's printed rows: its text in printable ASCII, wrapped to the width
/// the line's size allows.
fn rows(line: &PrintLine, width: usize) -> Vec<String> {
    let width = if line.double { width / 2 } else { width };
    wrap(&to_printable(&line.text), width)
}

/// Word-wraps ASCII text to `width` characters per row: words are separated
/// by single spaces, a word longer than a row is split. Empty text gives one
/// empty row (a blank line on the slip).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while !word.is_empty() {
            if row.is_empty() {
                let take = word.len().min(width);
                row.extend(word.drain(..take));
                if !word.is_empty() {
                    rows.push(std::mem::take(&mut row));
                }
            } else if row.chars().count() + 1 + word.len() <= width {
                row.push(' ');
                row.extend(word.drain(..));
            } else {
                rows.push(std::mem::take(&mut row));
            }
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// Text reduced to what a code page 437 printer prints the same: printable
/// ASCII. See the module header for the mapping.
pub fn to_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            if !c.is_ascii_control() {
                out.push(c);
            } else if matches!(c, '\t' | '\n' | '\r') {
                out.push(' ');
            }
        } else if c.is_whitespace() {
            out.push(' ');
        } else if !c.is_control() {
            out.push_str(&ascii_for(c));
        }
    }
    out
}

/// The ASCII stand-in for one non-ASCII character.
fn ascii_for(c: char) -> String {
    let folded = match c {
        '—' | '–' | '‒' | '―' | '‐' | '‑' | '−' | '·' => "-",
        '•' => "*",
        '‘' | '’' | '‚' | '′' => "'",
        '“' | '”' | '„' | '″' => "\"",
        '…' => "...",
        '×' => "x",
        '÷' => "/",
        '≤' => "<=",
        '≥' => ">=",
        '€' => "EUR",
        _ => {
            let lower = c.to_lowercase().next().unwrap_or(c);
            let letter = fold_letter(lower);
            return match letter {
                Some(l) if c.is_uppercase() => l.to_ascii_uppercase(),
                Some(l) => l.to_string(),
                None => "?".to_string(),
            };
        }
    };
    folded.to_string()
}

/// A lower-case accented Latin letter without its accent.
fn fold_letter(c: char) -> Option<String> {
    let s = match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'é' | 'è' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'í' | 'ì' | 'î' | 'ï' | 'ī' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ß' => "ss",
        'ś' | 'š' => "s",
        'ť' => "t",
        'ú' | 'ù' | 'û' | 'ü' | 'ū' | 'ů' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    };
    Some(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_slip_byte_for_byte() {
        let lines = [
            PrintLine::new("OneMed").bold().double().center(),
            PrintLine::new("Patient PAT-1"),
        ];
        let mut want = vec![0x1b, b'@'];
        want.extend_from_slice(&[0x1b, b'a', 1, 0x1b, b'E', 1, 0x1d, b'!', 0x11]);
        want.extend_from_slice(b"OneMed\n");
        want.extend_from_slice(&[0x1b, b'a', 0, 0x1b, b'E', 0, 0x1d, b'!', 0]);
        want.extend_from_slice(b"Patient PAT-1\n");
        want.extend_from_slice(&[0x1b, b'd', 3, 0x1d, b'V', 66, 0]);
        assert_eq!(encode(&lines, 32), want);
    }

    #[test]
    fn empty_slip_is_init_feed_and_cut() {
        assert_eq!(
            encode(&[], 32),
            vec![0x1b, b'@', 0x1b, b'd', 3, 0x1d, b'V', 66, 0]
        );
    }

    #[test]
    fn long_lines_wrap_at_words_and_double_lines_at_half_width() {
        let text = "Signs of diabetic retinopathy found";
        assert_eq!(
            wrap(text, 16),
            vec!["Signs of", "diabetic", "retinopathy", "found"]
        );
        let lines = [PrintLine::new(text), PrintLine::new(text).double()];
        assert_eq!(
            plain_text(&lines, 20),
            "Signs of diabetic\nretinopathy found\nSigns of\ndiabetic\nretinopath\ny found\n"
        );
        let bytes = encode(&lines[1..], 20);
        let body = &bytes[11..bytes.len() - 7];
        assert_eq!(body, b"Signs of\ndiabetic\nretinopath\ny found\n");
    }

    #[test]
    fn a_word_longer_than_the_paper_is_split() {
        assert_eq!(wrap("ab abcdefghij", 4), vec!["ab", "abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
        assert_eq!(wrap("   ", 4), vec![""]);
        assert_eq!(wrap("a  b\tc", 10), vec!["a b c"]);
    }

    #[test]
    fn plain_text_centres_rows_and_keeps_blank_lines() {
        let lines = [
            PrintLine::new("OK").center(),
            PrintLine::new(""),
            PrintLine::new("left"),
        ];
        assert_eq!(plain_text(&lines, 10), "    OK\n\nleft\n");
    }

    #[test]
    fn non_ascii_maps_to_ascii_and_unknown_to_question_mark() {
        assert_eq!(to_printable("Café — 5–7 · ok"), "Cafe - 5-7 - ok");
        assert_eq!(to_printable("ÉCOLE naïve Straße"), "ECOLE naive Strasse");
        assert_eq!(to_printable("“quoted” it’s…"), "\"quoted\" it's...");
        assert_eq!(to_printable("✓ 日本"), "? ??");
        assert_eq!(to_printable("a\u{a0}b"), "a b");
    }

    #[test]
    fn control_characters_cannot_inject_commands() {
        let lines = [PrintLine::new("A\u{1b}@B\u{1d}V\u{7f}C")];
        let bytes = encode(&lines, 32);
        assert_eq!(&bytes[11..bytes.len() - 7], b"A@BVC\n");
        assert_eq!(bytes.iter().filter(|&&b| b == 0x1b).count(), 4);
    }

    #[test]
    fn tiny_widths_do_not_panic() {
        let lines = [PrintLine::new("hello world").double()];
        assert_eq!(plain_text(&lines, 0), "h\ne\nl\nl\no\nw\no\nr\nl\nd\n");
        assert!(!encode(&lines, 1).is_empty());
    }
}
