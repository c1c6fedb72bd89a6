//! The one EXIF fact we use: the orientation tag (0x0112) of a JPEG's APP1
//! segment, so an image is analysed the way up the nurse sees it.

/// The EXIF orientation (1..=8) in an APP1 payload, if it is an EXIF block
/// that has one.
pub fn orientation(app1: &[u8]) -> Option<u8> {
    let tiff = app1.strip_prefix(b"Exif\0\0")?;
    let big = match tiff.get(0..4)? {
        b"II*\0" => false,
        b"MM\0*" => true,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(i..i + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(i..i + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries).find_map(|n| {
        let e = ifd + 2 + n * 12;
        (u16_at(e)? == 0x0112 && u16_at(e + 2)? == 3)
            .then(|| u16_at(e + 8))
            .flatten()
            .and_then(|v| u8::try_from(v).ok())
            .filter(|v| (1..=8).contains(v))
    })
}

#[cfg(test)]
mod tests {
    use super::orientation;

    fn block(big: bool, value: u16) -> Vec<u8> {
        let mut v = b"Exif\0\0".to_vec();
        let w16 = |x: u16| {
            if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        };
        let w32 = |x: u32| {
            if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        };
        v.extend_from_slice(if big { b"MM\0*" } else { b"II*\0" });
        v.extend_from_slice(&w32(8));
        v.extend_from_slice(&w16(1));
        v.extend_from_slice(&w16(0x0112));
        v.extend_from_slice(&w16(3));
        v.extend_from_slice(&w32(1));
        v.extend_from_slice(&w16(value));
        v.extend_from_slice(&[0, 0]);
        v
    }

    #[test]
    fn reads_both_byte_orders() {
        assert_eq!(orientation(&block(false, 6)), Some(6));
        assert_eq!(orientation(&block(true, 8)), Some(8));
    }

    #[test]
    fn ignores_garbage_and_out_of_range() {
        assert_eq!(orientation(&block(false, 9)), None);
        assert_eq!(orientation(b"Exif\0\0II*\0\xff\xff\xff\xff"), None);
        assert_eq!(orientation(b"http://ns.adobe.com/xap/1.0/"), None);
        let b = block(true, 3);
        for cut in 0..b.len() {
            let _ = orientation(&b[..cut]);
        }
    }
}
