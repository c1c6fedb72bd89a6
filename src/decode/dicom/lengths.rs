//! Every element length the file declares must fit in what remains of the
//! file, checked before the parser runs: it allocates a value's declared
//! length before reading it, so one damaged length could cost gigabytes.
//!
//! The walk reads the file as `dicom-object` does, so that its lengths are
//! the ones the parser will use:
//! - the file meta group (explicit VR little endian) is as long as its group
//!   length (0002,0000) says, whatever groups it holds; then the transfer
//!   syntax's encoding: explicit or implicit VR, little or big endian;
//! - a deflated data set (1.2.840.10008.1.2.1.99) is inflated here first, to
//!   at most [`MAX_INFLATED`] bytes (a few kilobytes of deflate can claim
//!   gigabytes), and the walk goes on over the inflated bytes, which are what
//!   the parser is then given ([`Body::Inflated`]);
//! - in implicit VR the VR comes from the standard dictionary (OW for pixel
//!   and overlay data, UN when unknown); an unknown explicit VR is UN;
//! - sequences and items are walked into, encapsulated fragments skipped;
//!   any element of undefined length but pixel data is a sequence of items.
//!
//! Where the parser would lose its place, the file is refused: a tag of the
//! item group (FFFE) other than item, item end and sequence end, and a value
//! of a fixed-width VR (US, UL, FD, AT, ...) that is not a whole number of
//! values (the parser reads the whole ones and skips no more), and a
//! delimiter (item end, sequence end) with a length, which has none. Fuzzing
//! found all three: 700-5000 byte files that cost 0.5-4.3 GB.

use super::{DecodeError, DEFLATED, EXPLICIT_BE, IMPLICIT_LE};
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use std::io::Read;

/// The most a deflated data set may inflate to: no more than the largest
/// file the kiosk reads at all ([`crate::decode::MAX_FILE_BYTES`]).
pub(super) const MAX_INFLATED: usize = crate::decode::MAX_FILE_BYTES as usize;

/// What the parser is to read, once every length in it has been checked.
#[derive(Debug, PartialEq)]
pub(super) enum Body<'a> {
    /// The file as it is (from `DICM`).
    Plain(&'a [u8]),
    /// A deflated file: its meta group (from `DICM`) and its data set
    /// inflated, explicit VR little endian.
    Inflated { meta: &'a [u8], dataset: Vec<u8> },
}

pub(super) const SHORT_VRS: [&[u8; 2]; 21] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
    b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
];
const UNDEFINED: u32 = u32::MAX;

/// Byte order: the meta group is always little endian; a data set in
/// explicit VR big endian is `Be`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    Le,
    Be,
}

fn u16_at(b: &[u8], i: usize, o: Order) -> Option<u16> {
    let two = [*b.get(i)?, *b.get(i + 1)?];
    Some(match o {
        Order::Le => u16::from_le_bytes(two),
        Order::Be => u16::from_be_bytes(two),
    })
}

fn u32_at(b: &[u8], i: usize, o: Order) -> Option<u32> {
    let four = b.get(i..i + 4)?.try_into().ok()?;
    Some(match o {
        Order::Le => u32::from_le_bytes(four),
        Order::Be => u32::from_be_bytes(four),
    })
}

/// The VR the implicit VR little endian decoder gives a tag.
fn implicit_vr(group: u16, element: u16) -> VR {
    if (group, element) == (0x7FE0, 0x0010) || (group >> 8 == 0x60 && element == 0x3000) {
        return VR::OW;
    }
    StandardDataDictionary
        .by_tag(Tag(group, element))
        .map_or(VR::UN, |e| e.vr().relaxed())
}

/// The width of one value of a VR the parser reads as numbers (1: any length).
fn value_width(vr: VR) -> u32 {
    match vr {
        VR::US | VR::OW | VR::SS => 2,
        VR::AT | VR::FL | VR::OF | VR::SL | VR::OL | VR::UL => 4,
        VR::FD | VR::OD | VR::SV | VR::OV | VR::UV => 8,
        _ => 1,
    }
}

/// `body` starts at `DICM`. A deflated data set is inflated (to at most
/// [`MAX_INFLATED`] bytes) and walked in turn.
pub(super) fn check(body: &[u8]) -> Result<Body<'_>, DecodeError> {
    check_capped(body, MAX_INFLATED)
}

pub(super) fn check_capped(body: &[u8], cap: usize) -> Result<Body<'_>, DecodeError> {
    // (0002,0000) of 4 bytes comes first, or the parser refuses the file. It
    // checks neither the VR (UL) nor the value; the meta group is as long as
    // the value says.
    let Some((group_length, start)) = group_length(body) else {
        return Ok(Body::Plain(body));
    };
    let meta_end = start + group_length as usize;
    let (syntax, data_start) = walk_meta(body, start, meta_end)?;
    let rest = body.get(data_start..).unwrap_or_default();
    match syntax.as_str() {
        DEFLATED => {
            let dataset = inflate(rest, cap)?;
            walk(&dataset, 0, true, Order::Le)?;
            Ok(Body::Inflated {
                meta: &body[..data_start],
                dataset,
            })
        }
        EXPLICIT_BE => walk(body, data_start, true, Order::Be).map(|()| Body::Plain(body)),
        IMPLICIT_LE => walk(body, data_start, false, Order::Le).map(|()| Body::Plain(body)),
        _ => walk(body, data_start, true, Order::Le).map(|()| Body::Plain(body)),
    }
}

/// Inflates a deflated data set (raw deflate, RFC 1951), refusing it as soon
/// as it would exceed `cap` bytes: nothing beyond the cap is ever allocated.
pub(super) fn inflate(deflated: &[u8], cap: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => DecodeError::Truncated,
            _ => DecodeError::Corrupt(format!(
                "the DICOM file's deflated data cannot be inflated ({e})"
            )),
        })?;
    if out.len() > cap {
        return Err(DecodeError::Corrupt(format!(
            "the DICOM file's deflated data inflates to more than {} MB",
            cap >> 20
        )));
    }
    Ok(out)
}

/// The meta group from `pos` (just after the group length) up to where the
/// meta reader stops (at or past `meta_end`): its transfer syntax and where
/// the data set starts.
fn walk_meta(body: &[u8], mut pos: usize, meta_end: usize) -> Result<(String, usize), DecodeError> {
    let mut syntax = String::new();
    while pos < meta_end {
        // Explicit VR little endian (an item-group tag: no VR, as the
        // decoder reads it).
        let (Some(group), Some(element)) = (
            u16_at(body, pos, Order::Le),
            u16_at(body, pos + 2, Order::Le),
        ) else {
            break;
        };
        let header = if group == 0xFFFE {
            u32_at(body, pos + 4, Order::Le).map(|len| (VR::UN, len, 8))
        } else {
            explicit_header(body, pos, Order::Le)
        };
        let Some((_, len, head)) = header else {
            break;
        };
        pos += head;
        // The meta reader skips or reads each value by its length, never
        // walking into one, and would read an undefined length as 4 GB.
        if len == UNDEFINED {
            return Err(DecodeError::Corrupt(format!(
                "the DICOM file is damaged (meta element ({group:04X},{element:04X}) has no length)"
            )));
        }
        fits(body, pos, len)?;
        if (group, element) == (0x0002, 0x0010) {
            syntax = String::from_utf8_lossy(&body[pos..pos + len as usize])
                .trim_end_matches(['\0', ' '])
                .to_string();
        }
        pos += len as usize;
    }
    Ok((syntax, pos))
}

/// The data set from `pos` to the end of `body`.
fn walk(body: &[u8], mut pos: usize, explicit: bool, o: Order) -> Result<(), DecodeError> {
    let mut fragments = false;
    while let (Some(group), Some(element)) = (u16_at(body, pos, o), u16_at(body, pos + 2, o)) {
        // Items: tag + 32-bit length. Implicit VR: the same, the VR from the
        // dictionary. Explicit VR: tag, two VR letters, then a 16-bit length
        // or 2 reserved bytes + a 32-bit length.
        let (vr, len, head) = if group == 0xFFFE || !explicit {
            match u32_at(body, pos + 4, o) {
                Some(len) if group == 0xFFFE => (VR::UN, len, 8),
                Some(len) => (implicit_vr(group, element), len, 8),
                None => return Ok(()),
            }
        } else {
            match explicit_header(body, pos, o) {
                Some(h) => h,
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
                0xE000 => {}
                // Delimiters have no value (PS3.5 7.5): a length here is one
                // the parser may read as a value's, where this walk would not
                // (found by fuzzing: a sequence delimiter outside any
                // sequence, claiming 4 GB, in a 792-byte file).
                0xE00D | 0xE0DD if len != 0 => {
                    return Err(DecodeError::Corrupt(format!(
                    "the DICOM file is damaged (delimiter FFFE,{element:04X} claims {len} bytes)"
                )))
                }
                0xE00D => {}
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
        if len % value_width(vr) != 0 {
            return Err(DecodeError::Corrupt(format!(
                "the DICOM element ({group:04X},{element:04X}) holds {len} bytes, not a whole number of {} values",
                vr.to_string()
            )));
        }
        // Walk into sequences; skip other values.
        if vr != VR::SQ {
            pos += len as usize;
        }
    }
    Ok(())
}

/// The explicit VR element header at `pos`: its VR (UN when unknown, as the
/// parser has it), value length and header size (8 with a 16-bit length, 12
/// with a 32-bit one).
fn explicit_header(body: &[u8], pos: usize, o: Order) -> Option<(VR, u32, usize)> {
    let letters = body.get(pos + 4..pos + 6)?;
    let (len, head) = if SHORT_VRS.iter().any(|s| s.as_slice() == letters) {
        (u32::from(u16_at(body, pos + 6, o)?), 8)
    } else {
        (u32_at(body, pos + 8, o)?, 12)
    };
    let vr = VR::from_binary([letters[0], letters[1]]).unwrap_or(VR::UN);
    Some((vr, len, head))
}

/// The value of (0002,0000) when it has 4 bytes, and where the meta group
/// starts: as the parser reads it, whatever its VR.
fn group_length(body: &[u8]) -> Option<(u32, usize)> {
    if u32_at(body, 4, Order::Le)? != 0x0000_0002 {
        return None;
    }
    let (_, len, head) = explicit_header(body, 4, Order::Le)?;
    (len == 4).then_some(())?;
    Some((u32_at(body, 4 + head, Order::Le)?, 4 + head + 4))
}

fn fits(body: &[u8], pos: usize, len: u32) -> Result<(), DecodeError> {
    if body.len().saturating_sub(pos) < len as usize {
        Err(DecodeError::Truncated)
    } else {
        Ok(())
    }
}
