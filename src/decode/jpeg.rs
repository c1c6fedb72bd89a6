//! JPEG decoding with libjpeg-turbo (`mozjpeg-sys`), set up as Pillow sets up
//! its own libjpeg-turbo: slow-integer DCT, fancy upsampling. That makes the
//! decoded pixels identical to Pillow's.
//!
//! Only what the fit reads is decoded in full: rows above the crop are skipped
//! (`jpeg_skip_scanlines`) and columns outside it are cropped
//! (`jpeg_crop_scanline`), with a margin so that upsampling at the crop edge
//! never touches a pixel that is used. Rows reach the caller in batches as they
//! are decoded, so the resampler can run on another core meanwhile.
//!
//! libjpeg reports fatal errors by unwinding (the `C-unwind` ABI); the unwind
//! is caught here and becomes a [`DecodeError`]. A file that ends early is an
//! error too (libjpeg would otherwise pad it with grey), as it is in Pillow;
//! so is a scan whose data stops at a marker before the image is complete
//! (Pillow pads that one: found by the malformed-file corpus, a 65 kB JPEG
//! whose header claims 7000x7000 was decoded to 49 megapixels of grey).

use super::{exif, DecodeError};
use mozjpeg_sys as ffi;
use std::ops::Range;
use std::os::raw::{c_int, c_ulong};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Rows decoded per batch: large enough to amortise hand-over, small enough to
/// keep the resampler busy early.
pub const BATCH_ROWS: usize = 32;

/// Extra columns decoded on each side of the requested span, so that the
/// upsampler's edge handling at the crop border stays outside the used pixels.
const CROP_MARGIN: usize = 32;

/// What libjpeg reported through the error manager.
enum Failure {
    Truncated,
    Fatal(String),
}

fn message(cinfo: &mut ffi::jpeg_common_struct) -> String {
    // SAFETY: `err` points to the error manager owned by the `Decoder`.
    unsafe {
        let Some(err) = cinfo.err.as_ref() else {
            return "unknown libjpeg error".into();
        };
        let code = err.msg_code;
        match err.format_message {
            Some(fmt) => {
                let mut buf = [0u8; 80];
                // libjpeg writes into the buffer; the binding declares it `&[u8; 80]`.
                let f = std::mem::transmute::<
                    unsafe extern "C-unwind" fn(&mut ffi::jpeg_common_struct, &[u8; 80]),
                    unsafe extern "C-unwind" fn(&mut ffi::jpeg_common_struct, &mut [u8; 80]),
                >(fmt);
                f(cinfo, &mut buf);
                let text = buf.split(|&c| c == 0).next().unwrap_or_default();
                String::from_utf8_lossy(text).into_owned()
            }
            None => format!("libjpeg error {code}"),
        }
    }
}

extern "C-unwind" fn error_exit(cinfo: &mut ffi::jpeg_common_struct) {
    let msg = message(cinfo);
    std::panic::resume_unwind(Box::new(Failure::Fatal(msg)));
}

extern "C-unwind" fn emit_message(cinfo: &mut ffi::jpeg_common_struct, level: c_int) {
    // Level -1 is a warning. Running out of data is the one we refuse: at the
    // end of the file, or at a marker before the scan is complete ("premature
    // end of data segment": a header claiming more pixels than the data holds,
    // which libjpeg would pad with grey).
    // SAFETY: as in `message`.
    let code = unsafe { cinfo.err.as_ref().map(|e| e.msg_code) };
    let out_of_data = [ffi::JWRN_JPEG_EOF as c_int, ffi::JWRN_HIT_MARKER as c_int];
    if level < 0 && code.is_some_and(|c| out_of_data.contains(&c)) {
        std::panic::resume_unwind(Box::new(Failure::Truncated));
    }
}

fn map_unwind(payload: Box<dyn std::any::Any + Send>) -> DecodeError {
    match payload.downcast::<Failure>() {
        Ok(f) => match *f {
            Failure::Truncated => DecodeError::Truncated,
            Failure::Fatal(m) => DecodeError::Corrupt(m),
        },
        Err(other) => DecodeError::Corrupt(
            other
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| other.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "JPEG decoder failed".into()),
        ),
    }
}

/// Runs libjpeg calls, turning its unwinds into errors.
fn guarded<T>(f: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(map_unwind(p)))
}

/// A libjpeg decompressor reading from memory, destroyed on drop.
struct Decoder<'a> {
    cinfo: Box<ffi::jpeg_decompress_struct>,
    _err: Box<ffi::jpeg_error_mgr>,
    _bytes: &'a [u8],
}

impl Drop for Decoder<'_> {
    fn drop(&mut self) {
        // SAFETY: created by jpeg_CreateDecompress; destroying is valid in any state.
        unsafe { ffi::jpeg_destroy_decompress(&mut self.cinfo) };
    }
}

impl<'a> Decoder<'a> {
    /// Creates the decompressor and reads the header (inside `guarded`).
    fn open(bytes: &'a [u8], save_app1: bool) -> Decoder<'a> {
        // SAFETY: zeroed structs are what libjpeg expects before initialising them;
        // both boxes outlive every libjpeg call made through this Decoder.
        unsafe {
            let mut err: Box<ffi::jpeg_error_mgr> = Box::new(std::mem::zeroed());
            ffi::jpeg_std_error(&mut err);
            err.error_exit = Some(error_exit);
            err.emit_message = Some(emit_message);
            let mut cinfo: Box<ffi::jpeg_decompress_struct> = Box::new(std::mem::zeroed());
            cinfo.common.err = &mut *err;
            ffi::jpeg_CreateDecompress(
                &mut *cinfo,
                ffi::JPEG_LIB_VERSION,
                std::mem::size_of::<ffi::jpeg_decompress_struct>(),
            );
            let mut d = Decoder {
                cinfo,
                _err: err,
                _bytes: bytes,
            };
            ffi::jpeg_mem_src(&mut d.cinfo, bytes.as_ptr(), bytes.len() as c_ulong);
            if save_app1 {
                ffi::jpeg_save_markers(&mut d.cinfo, 0xE1, 0xFFFF);
            }
            d
        }
    }

    fn read_header(&mut self) -> Result<(), DecodeError> {
        // SAFETY: the source is set; errors unwind into `guarded`.
        let r = unsafe { ffi::jpeg_read_header(&mut self.cinfo, 1) };
        if r == 1 {
            Ok(())
        } else {
            Err(DecodeError::Corrupt("no image in the JPEG file".into()))
        }
    }

    fn orientation(&self) -> u8 {
        let mut m = self.cinfo.marker_list;
        // SAFETY: libjpeg's saved-marker list, valid until the decoder is destroyed.
        unsafe {
            while let Some(marker) = m.as_ref() {
                if marker.marker == 0xE1 && !marker.data.is_null() {
                    let data = std::slice::from_raw_parts(marker.data, marker.data_length as usize);
                    if let Some(o) = exif::orientation(data) {
                        return o;
                    }
                }
                m = marker.next;
            }
        }
        1
    }
}

/// Pillow's CMYK JPEG to RGB: the samples are taken as Adobe stores them
/// (inverted, Pillow's rawmode `CMYK;I`), then `libImaging/Convert.c`'s
/// `cmyk2rgb`: `r = nk - c * nk / 255` with `nk = 255 - k`, in its integer
/// arithmetic.
fn cmyk_to_rgb(four: &[u8], rgb: &mut [u8]) {
    let muldiv255 = |a: u32, b: u32| {
        let t = a * b + 128;
        ((t >> 8) + t) >> 8
    };
    for (p, o) in four.chunks_exact(4).zip(rgb.chunks_exact_mut(3)) {
        let nk = u32::from(p[3]);
        for (ch, &v) in o.iter_mut().zip(&p[..3]) {
            let c = 255 - u32::from(v);
            *ch = nk.saturating_sub(muldiv255(c, nk)).min(255) as u8;
        }
    }
}

/// Width, height and EXIF orientation (1..=8) from the header alone.
pub fn probe(bytes: &[u8]) -> Result<(usize, usize, u8), DecodeError> {
    let mut d = Decoder::open(bytes, true);
    guarded(|| {
        d.read_header()?;
        Ok((
            d.cinfo.image_width as usize,
            d.cinfo.image_height as usize,
            d.orientation(),
        ))
    })
}

/// A batch of decoded rows.
pub struct Batch<'b> {
    /// Source row of the first row in `rows`.
    pub y0: usize,
    /// Source column of the first pixel of each row.
    pub x0: usize,
    /// Whole rows of packed RGB, `width * 3` bytes each.
    pub width: usize,
    /// The buffer; the callee may swap it for another (recycled) one.
    pub rows: &'b mut Vec<u8>,
}

/// Decodes to packed RGB, calling `on_batch` for batches of rows in order.
/// Only `rows` are delivered (others are skipped) and, when `cols` is given,
/// each row covers at least those columns (libjpeg widens the crop to whole
/// blocks). With `rows = 0..height` and no `cols`, every pixel is delivered.
pub fn decode_region(
    bytes: &[u8],
    rows: Range<usize>,
    cols: Option<Range<usize>>,
    on_batch: &mut dyn FnMut(Batch<'_>) -> Result<(), DecodeError>,
) -> Result<(usize, usize), DecodeError> {
    let mut d = Decoder::open(bytes, false);
    guarded(|| {
        d.read_header()?;
        let c = &mut *d.cinfo;
        // Four components are print colours (CMYK, or YCCK which libjpeg turns
        // into CMYK); they become RGB as Pillow turns them ([`cmyk_to_rgb`]).
        let cmyk = matches!(
            c.jpeg_color_space,
            ffi::J_COLOR_SPACE::JCS_CMYK | ffi::J_COLOR_SPACE::JCS_YCCK
        );
        if c.num_components == 4 && !cmyk {
            return Err(DecodeError::Unsupported(
                "a JPEG with four colour channels that are not CMYK".into(),
            ));
        }
        c.out_color_space = if cmyk {
            ffi::J_COLOR_SPACE::JCS_CMYK
        } else {
            ffi::J_COLOR_SPACE::JCS_RGB
        };
        c.dct_method = ffi::J_DCT_METHOD::JDCT_ISLOW;
        c.do_fancy_upsampling = 1;
        // SAFETY: header read, parameters set; errors unwind into `guarded`.
        unsafe { ffi::jpeg_start_decompress(c) };
        let (w, h) = (c.output_width as usize, c.output_height as usize);
        let (mut x0, mut cw) = (0usize, w);
        if let Some(cols) = cols {
            let lo = cols.start.saturating_sub(CROP_MARGIN);
            let hi = (cols.end + CROP_MARGIN).min(w);
            if lo > 0 || hi < w {
                let mut xoff = lo as ffi::JDIMENSION;
                let mut width = (hi - lo) as ffi::JDIMENSION;
                // SAFETY: after start_decompress, before any scanline is read.
                unsafe { ffi::jpeg_crop_scanline(c, &mut xoff, &mut width) };
                (x0, cw) = (xoff as usize, width as usize);
            }
        }
        let stride = cw * 3;
        let (first, last) = (rows.start.min(h), rows.end.min(h));
        if first > 0 {
            // SAFETY: as above.
            unsafe { ffi::jpeg_skip_scanlines(c, first as ffi::JDIMENSION) };
        }
        let mut buf = Vec::new();
        let mut four = if cmyk { vec![0u8; cw * 4] } else { Vec::new() };
        let mut y = first;
        while y < last {
            let n = BATCH_ROWS.min(last - y);
            buf.resize(n * stride, 0);
            let mut done = 0;
            while done < n {
                let row = &mut buf[done * stride..(done + 1) * stride];
                let mut ptr = if cmyk {
                    four.as_mut_ptr()
                } else {
                    row.as_mut_ptr()
                };
                // SAFETY: `ptr` points at a whole output row (`cw` pixels of 3
                // bytes, or of 4 for CMYK) inside `buf` or `four`.
                let got = unsafe { ffi::jpeg_read_scanlines(c, &mut ptr, 1) } as usize;
                if got == 0 {
                    return Err(DecodeError::Truncated);
                }
                if cmyk {
                    cmyk_to_rgb(&four, row);
                }
                done += got;
            }
            on_batch(Batch {
                y0: y,
                x0,
                width: cw,
                rows: &mut buf,
            })?;
            y += n;
        }
        if last < h {
            // SAFETY: as above; reading the rest checks the file is complete.
            unsafe { ffi::jpeg_skip_scanlines(c, (h - last) as ffi::JDIMENSION) };
        }
        // SAFETY: every scanline has been read or skipped.
        unsafe { ffi::jpeg_finish_decompress(c) };
        Ok((w, h))
    })
}
