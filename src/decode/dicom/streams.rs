//! The header of one compressed frame, checked against the DICOM header
//! before any decoder sees the frame: JPEG (the SOF segment), JPEG-LS (SOF55)
//! and JPEG 2000 (the SIZ segment of the codestream). The decoders size their
//! buffers from these headers, not from Rows and Columns, and the adapters of
//! `dicom-pixeldata` copy what they decode without checking its size: a
//! damaged frame header could otherwise cost gigabytes or write past a buffer
//! (caught as a panic, but not before the allocation).

use crate::decode::DecodeError;

/// What the DICOM header says one frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Expect {
    pub rows: usize,
    pub cols: usize,
    /// Bytes per sample: 1 or 2.
    pub bytes: usize,
}

/// The most tiles a JPEG 2000 frame may have: each costs the decoder its
/// own structures, and 1x1-pixel tiles would cost more than the image.
const MAX_TILES: u64 = 4096;

pub(super) fn corrupt(what: &str) -> DecodeError {
    DecodeError::Corrupt(format!("the DICOM pixel data is damaged ({what})"))
}

/// The JPEG frame header must describe exactly the image the DICOM header
/// does: one component, Columns x Rows, 8-bit samples in 8-bit pixels or
/// 9..=16-bit samples in 16-bit pixels (lossless only: no decoder here reads
/// 12-bit lossy JPEG).
pub(super) fn check_jpeg(stream: &[u8], e: Expect) -> Result<(), DecodeError> {
    let sof = frame_header(stream).ok_or_else(|| corrupt("no JPEG frame header"))?;
    if sof.jpeg_ls {
        return Err(corrupt("a JPEG-LS frame in a JPEG file"));
    }
    same_image(&sof, e, "JPEG")?;
    match (sof.precision, e.bytes, sof.lossless) {
        (8, 1, _) | (9..=16, 2, true) => Ok(()),
        (9..=16, 2, false) => Err(DecodeError::Unsupported(format!(
            "this DICOM file holds a {}-bit lossy JPEG, which the kiosk cannot read; export the slices uncompressed",
            sof.precision
        ))),
        _ => Err(corrupt("JPEG sample size")),
    }
}

/// JPEG-LS (lossless or near-lossless): one component, Columns x Rows,
/// 2..=8-bit samples in 8-bit pixels or 2..=16-bit samples in 16-bit pixels.
pub(super) fn check_jpeg_ls(stream: &[u8], e: Expect) -> Result<(), DecodeError> {
    let sof = frame_header(stream).ok_or_else(|| corrupt("no JPEG-LS frame header"))?;
    if !sof.jpeg_ls {
        return Err(corrupt("a JPEG frame in a JPEG-LS file"));
    }
    same_image(&sof, e, "JPEG-LS")?;
    match (sof.precision, e.bytes) {
        (2..=8, 1) | (2..=16, 2) => Ok(()),
        _ => Err(corrupt("JPEG-LS sample size")),
    }
}

fn same_image(sof: &Sof, e: Expect, what: &str) -> Result<(), DecodeError> {
    if sof.components != 1 || sof.height != e.rows || sof.width != e.cols {
        return Err(corrupt(&format!(
            "the {what} image does not match the DICOM header"
        )));
    }
    Ok(())
}

pub(super) struct Sof {
    pub precision: u8,
    pub height: usize,
    pub width: usize,
    pub components: u8,
    pub lossless: bool,
    pub jpeg_ls: bool,
}

/// The first start-of-frame segment of a JPEG or JPEG-LS stream.
pub(super) fn frame_header(s: &[u8]) -> Option<Sof> {
    if !s.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        while s.get(i) == Some(&0xFF) && s.get(i + 1) == Some(&0xFF) {
            i += 1; // fill bytes
        }
        let (&ff, &marker) = (s.get(i)?, s.get(i + 1)?);
        if ff != 0xFF {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*s.get(i + 2)?, *s.get(i + 3)?]));
        let sof = (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
        if sof || marker == 0xF7 {
            let b = s.get(i + 4..i + 10)?;
            return Some(Sof {
                precision: b[0],
                height: usize::from(u16::from_be_bytes([b[1], b[2]])),
                width: usize::from(u16::from_be_bytes([b[3], b[4]])),
                components: b[5],
                lossless: [0xC3, 0xC7, 0xCB, 0xCF].contains(&marker),
                jpeg_ls: marker == 0xF7,
            });
        }
        i += 2 + len;
    }
}

/// The JPEG 2000 SIZ segment: one component, not subsampled, Columns x Rows
/// (image area less its offset), at most 8 bits per 8-bit pixel or 16 per
/// 16-bit pixel, and no more than [`MAX_TILES`] tiles. A codestream wrapped
/// in a JP2 file (not allowed in DICOM, but sent) is read from its `jp2c` box.
pub(super) fn check_j2k(stream: &[u8], e: Expect) -> Result<(), DecodeError> {
    let cs = codestream(stream).ok_or_else(|| corrupt("no JPEG 2000 codestream"))?;
    let siz = siz(cs).ok_or_else(|| corrupt("no JPEG 2000 image header"))?;
    let (w, h) = (
        siz.x.saturating_sub(siz.x0) as usize,
        siz.y.saturating_sub(siz.y0) as usize,
    );
    if siz.components != 1 || siz.subsampled || w != e.cols || h != e.rows {
        return Err(corrupt(
            "the JPEG 2000 image does not match the DICOM header",
        ));
    }
    if siz.precision == 0 || usize::from(siz.precision) > 8 * e.bytes {
        return Err(corrupt("JPEG 2000 sample size"));
    }
    if siz.tile_w == 0 || siz.tile_h == 0 || siz.tile_x0 > siz.x0 || siz.tile_y0 > siz.y0 {
        return Err(corrupt("JPEG 2000 tiles"));
    }
    let across = u64::from(siz.x - siz.tile_x0).div_ceil(u64::from(siz.tile_w));
    let down = u64::from(siz.y - siz.tile_y0).div_ceil(u64::from(siz.tile_h));
    if across * down > MAX_TILES {
        return Err(corrupt("too many JPEG 2000 tiles"));
    }
    Ok(())
}

/// The codestream (from SOC, `FF4F`), bare or in a JP2 file's `jp2c` box.
fn codestream(s: &[u8]) -> Option<&[u8]> {
    if s.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
        return Some(s);
    }
    let mut i = 0usize;
    while i + 8 <= s.len() {
        let len = u32::from_be_bytes(s[i..i + 4].try_into().ok()?) as usize;
        let kind = &s[i + 4..i + 8];
        let (head, end) = match len {
            0 => (8, s.len()),
            1 => {
                let l = u64::from_be_bytes(s.get(i + 8..i + 16)?.try_into().ok()?);
                (16, i.checked_add(usize::try_from(l).ok()?)?)
            }
            l => (8, i.checked_add(l)?),
        };
        if end < i + head || end > s.len() {
            return None;
        }
        if kind == b"jp2c" {
            return s
                .get(i + head..end)
                .filter(|c| c.starts_with(&[0xFF, 0x4F]));
        }
        i = end;
    }
    None
}

struct Siz {
    x: u32,
    y: u32,
    x0: u32,
    y0: u32,
    tile_w: u32,
    tile_h: u32,
    tile_x0: u32,
    tile_y0: u32,
    components: u16,
    precision: u8,
    subsampled: bool,
}

/// SIZ right after SOC: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz,
/// XTOsiz, YTOsiz, Csiz, then Ssiz, XRsiz, YRsiz per component.
fn siz(cs: &[u8]) -> Option<Siz> {
    if cs.get(0..4)? != [0xFF, 0x4F, 0xFF, 0x51] {
        return None;
    }
    let b = cs.get(4..)?;
    let u32_at =
        |i: usize| -> Option<u32> { Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    let components = u16::from_be_bytes(b.get(36..38)?.try_into().ok()?);
    let first = b.get(38..41)?;
    Some(Siz {
        x: u32_at(4)?,
        y: u32_at(8)?,
        x0: u32_at(12)?,
        y0: u32_at(16)?,
        tile_w: u32_at(20)?,
        tile_h: u32_at(24)?,
        tile_x0: u32_at(28)?,
        tile_y0: u32_at(32)?,
        components,
        precision: (first[0] & 0x7F) + 1,
        subsampled: first[1] != 1 || first[2] != 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: Expect = Expect {
        rows: 2,
        cols: 3,
        bytes: 2,
    };

    #[test]
    fn the_jpeg_frame_header_is_found() {
        let s = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC3, 0, 11, 16, 0, 2, 0, 3, 1, 1, 0x11, 0,
        ];
        let sof = frame_header(&s).unwrap();
        assert_eq!(
            (sof.precision, sof.height, sof.width, sof.components),
            (16, 2, 3, 1)
        );
        assert!(sof.lossless && !sof.jpeg_ls);
        assert!(check_jpeg(&s, E).is_ok());
        assert!(check_jpeg_ls(&s, E).is_err(), "not a JPEG-LS frame");
        assert!(check_jpeg(&s, Expect { rows: 3, ..E }).is_err());
        assert!(frame_header(&s[..10]).is_none());
        assert!(frame_header(b"nope").is_none());
    }

    #[test]
    fn the_jpeg_ls_frame_header_is_found_and_checked() {
        // SOI, SOF55: 12-bit, 2 rows, 3 columns, 1 component.
        let mut s = vec![0xFF, 0xD8, 0xFF, 0xF7, 0, 11, 12, 0, 2, 0, 3, 1, 1, 0x11, 0];
        assert!(frame_header(&s).unwrap().jpeg_ls);
        assert!(check_jpeg_ls(&s, E).is_ok());
        assert!(check_jpeg(&s, E).is_err(), "not a JPEG frame");
        assert!(
            check_jpeg_ls(&s, Expect { bytes: 1, ..E }).is_err(),
            "12 bits in 8"
        );
        s[9] = 0x30; // 0x3000 rows
        let e = check_jpeg_ls(&s, E).unwrap_err();
        assert!(
            e.to_string().contains("does not match the DICOM header"),
            "{e}"
        );
    }

    /// A bare codestream: SOC and SIZ for a `w` x `h` single-tile image.
    fn j2k(w: u32, h: u32, components: u16, ssiz: u8) -> Vec<u8> {
        let mut s = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
        for v in [w, h, 0, 0, w, h, 0, 0] {
            s.extend(v.to_be_bytes());
        }
        s.extend(components.to_be_bytes());
        for _ in 0..components {
            s.extend([ssiz, 1, 1]);
        }
        s
    }

    #[test]
    fn the_jpeg_2000_size_is_checked_against_the_dicom_header() {
        assert!(check_j2k(&j2k(3, 2, 1, 0x8F), E).is_ok(), "16-bit signed");
        assert!(check_j2k(&j2k(3, 2, 1, 0x0B), E).is_ok(), "12-bit");
        for (bad, why) in [
            (j2k(3000, 2, 1, 0x0F), "wider"),
            (j2k(3, 2, 3, 0x07), "colour"),
            (j2k(3, 2, 1, 0x1F), "32-bit"),
            (j2k(3, 2, 1, 0x0F)[..20].to_vec(), "cut"),
            (
                b"\0\0\0\x0cjP  \r\n\x87\n".to_vec(),
                "JP2 without a codestream",
            ),
        ] {
            let e = check_j2k(&bad, E).unwrap_err();
            assert!(matches!(e, DecodeError::Corrupt(_)), "{why}: {e:?}");
        }
        // 1x1 tiles over a 3000 x 2000 image: refused before decoding.
        let mut tiny_tiles = j2k(3000, 2000, 1, 0x0F);
        tiny_tiles[24..32].copy_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        let big = Expect {
            rows: 2000,
            cols: 3000,
            bytes: 2,
        };
        assert!(check_j2k(&j2k(3000, 2000, 1, 0x0F), big).is_ok());
        let e = check_j2k(&tiny_tiles, big).unwrap_err();
        assert!(e.to_string().contains("tiles"), "{e}");
        // The same codestream in a JP2 file's jp2c box.
        let cs = j2k(3, 2, 1, 0x0F);
        let mut jp2 = b"\0\0\0\x0cjP  \r\n\x87\n".to_vec();
        jp2.extend((8 + cs.len() as u32).to_be_bytes());
        jp2.extend(b"jp2c");
        jp2.extend(&cs);
        assert!(check_j2k(&jp2, E).is_ok());
    }
}
