//! TIFF features checked before any pixel is decoded. The `tiff` crate reads
//! strips and tiles, 1-16 bits, LZW, deflate and PackBits exactly as Pillow
//! (libtiff) does; three kinds of file it cannot match are refused in words:
//! JPEG compression inside a TIFF (a different JPEG decoder, so different
//! pixels from the original pipeline's), palette colour (not read by the
//! crate), and tiles with separate colour planes (the crate panics on them).

use super::DecodeError;
use std::io::Cursor;
use tiff::decoder::Decoder;
use tiff::tags::Tag;

const COMPRESSION_OLD_JPEG: u16 = 6;
const COMPRESSION_JPEG: u16 = 7;
const PHOTOMETRIC_PALETTE: u16 = 3;
const PLANAR_SEPARATE: u16 = 2;

fn refuse(what: &str) -> DecodeError {
    DecodeError::Unsupported(format!("{what}; save the picture as PNG or JPEG"))
}

/// Refuses the TIFF features the kiosk cannot decode exactly.
pub fn check(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut d = Decoder::new(Cursor::new(bytes))
        .map_err(|e| DecodeError::Corrupt(format!("the TIFF header is damaged: {e}")))?;
    let mut tag = |t: Tag| d.find_tag_unsigned::<u16>(t).ok().flatten();
    let compression = tag(Tag::Compression);
    let photometric = tag(Tag::PhotometricInterpretation);
    let planar = tag(Tag::PlanarConfiguration);
    let tiled = tag(Tag::TileWidth).is_some();
    if matches!(compression, Some(COMPRESSION_JPEG | COMPRESSION_OLD_JPEG)) {
        return Err(refuse("a TIFF with JPEG compression inside"));
    }
    if photometric == Some(PHOTOMETRIC_PALETTE) {
        return Err(refuse("a palette-colour TIFF"));
    }
    if tiled && planar == Some(PLANAR_SEPARATE) {
        return Err(refuse("a TIFF in tiles with separate colour planes"));
    }
    Ok(())
}
