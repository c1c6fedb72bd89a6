//! Every element length the file declares must fit in what remains of the
//! file, checked before the parser runs: it allocates a value's declared
//! length before reading it, so one damaged length could cost gigabytes.
//! The walk follows the parser (file meta group in explicit VR little
//! endian, then the transfer syntax's encoding; sequences and items are
//! walked into, encapsulated fragments skipped) and stops, allowing the
//! parser to decide, where it cannot follow. Any element of undefined length
//! but pixel data is walked into as a sequence, as the parser reads it. A tag of the item group (FFFE)
//! other than item, item end and sequence end is refused: past it the parser
//! reads lengths from inside values (found by fuzzing: 1.4 GB for a 5 kB file).

use super::{DecodeError, DEFLATED, EXPLICIT_BE, IMPLICIT_LE};

pub(super) const SHORT_VRS: [&[u8; 2]; 21] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
    b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
];
const UNDEFINED: u32 = u32::MAX;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// `body` starts at `DICM`.
pub(super) fn check(body: &[u8]) -> Result<(), DecodeError> {
    let mut pos = 4;
    let mut meta = true;
    let mut explicit = true;
    let mut fragments = false;
    let mut syntax = String::new();
    while let (Some(group), Some(element)) = (u16_at(body, pos), u16_at(body, pos + 2)) {
        if meta && group != 0x0002 {
            meta = false;
            match syntax.as_str() {
                EXPLICIT_BE | DEFLATED => return Err(super::unsupported_syntax(&syntax)),
                IMPLICIT_LE => explicit = false,
                _ => {}
            }
        }
        // Items and implicit VR: tag + 32-bit length. Explicit VR: tag, two VR
        // letters, then a 16-bit length or 2 reserved bytes + a 32-bit length.
        let (vr, len, head) = if group == 0xFFFE || !explicit {
            match u32_at(body, pos + 4) {
                Some(len) => (None, len, 8),
                None => return Ok(()),
            }
        } else {
            let Some(vr) = body.get(pos + 4..pos + 6) else {
                return Ok(());
            };
            let len = if SHORT_VRS.iter().any(|s| s.as_slice() == vr) {
                u16_at(body, pos + 6).map(|l| (u32::from(l), 8))
            } else {
                u32_at(body, pos + 8).map(|l| (l, 12))
            };
            match len {
                Some((len, head)) => (Some(vr), len, head),
                None => return Ok(()),
            }
        };
        pos += head;
        if group == 0xFFFE {
            match element {
                0xE000 if len != UNDEFINED => {
                    fits(body, pos, len)?;
                    if fragments {
                        pos += len as usize; // a fragment of compressed pixels
                    }
                }
                0xE000 | 0xE00D => {}
                0xE0DD => fragments = false,
                // No other tag exists in group FFFE: the parser would lose
                // its place and read a length from inside a value.
                _ => {
                    return Err(DecodeError::Corrupt(format!(
                        "the DICOM file is damaged (unknown item tag FFFE,{element:04X})"
                    )))
                }
            }
            continue;
        }
        if len == UNDEFINED {
            // Pixel data of undefined length holds fragments; the parser reads
            // any other element of undefined length (an SQ, or a UN or OB) as
            // a sequence of items in the same encoding, and so does this walk
            // (found by fuzzing: stopping here let an OB of undefined length
            // hide a 1 GB length in an 800-byte file).
            if (group, element) == (0x7FE0, 0x0010) {
                fragments = true;
            }
            continue;
        }
        fits(body, pos, len)?;
        let value = &body[pos..pos + len as usize];
        if meta && (group, element) == (0x0002, 0x0010) {
            syntax = String::from_utf8_lossy(value)
                .trim_end_matches(['\0', ' '])
                .to_string();
        }
        // Walk into sequences (implicit VR: a value that starts with an item).
        let sequence = match vr {
            Some(vr) => vr == b"SQ",
            None => value.starts_with(&[0xFE, 0xFF, 0x00, 0xE0]),
        };
        if !sequence {
            pos += len as usize;
        }
    }
    Ok(())
}

fn fits(body: &[u8], pos: usize, len: u32) -> Result<(), DecodeError> {
    if body.len().saturating_sub(pos) < len as usize {
        Err(DecodeError::Truncated)
    } else {
        Ok(())
    }
}
