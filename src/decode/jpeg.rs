//! JPEG decoding with libjpeg-turbo (the `mozjpeg` crate), set up as Pillow sets
//! up its own libjpeg-turbo: slow-integer DCT, fancy upsampling. That makes the
//! decoded pixels identical to Pillow's. Rows are handed to a sink as they are
//! decoded, so a consumer (the resampler) can work on another core meanwhile.
//!
//! libjpeg reports fatal errors by unwinding; the unwind is caught here and
//! becomes a [`DecodeError`]. A file that ends early is an error too (libjpeg
//! would otherwise pad it with grey), as it is in Pillow.

use super::{exif, DecodeError};
use mozjpeg::{DctMethod, Decompress, Marker};
use mozjpeg_sys::{jpeg_common_struct, J_COLOR_SPACE};
use std::os::raw::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What libjpeg reported through the error manager.
enum Failure {
    Truncated,
    Fatal(String),
}

fn message(cinfo: &mut jpeg_common_struct) -> String {
    // SAFETY: `err` is the error manager installed in `error_mgr`, alive as long as `cinfo`.
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
                    unsafe extern "C-unwind" fn(&mut jpeg_common_struct, &[u8; 80]),
                    unsafe extern "C-unwind" fn(&mut jpeg_common_struct, &mut [u8; 80]),
                >(fmt);
                f(cinfo, &mut buf);
                let text = buf.split(|&c| c == 0).next().unwrap_or_default();
                String::from_utf8_lossy(text).into_owned()
            }
            None => format!("libjpeg error {code}"),
        }
    }
}

extern "C-unwind" fn error_exit(cinfo: &mut jpeg_common_struct) {
    let msg = message(cinfo);
    std::panic::resume_unwind(Box::new(Failure::Fatal(msg)));
}

extern "C-unwind" fn emit_message(cinfo: &mut jpeg_common_struct, level: c_int) {
    // Level -1 is a warning. Running out of data is the one we refuse.
    // SAFETY: as in `message`.
    let code = unsafe { cinfo.err.as_ref().map(|e| e.msg_code) };
    if level < 0 && code == Some(mozjpeg_sys::JWRN_JPEG_EOF as c_int) {
        std::panic::resume_unwind(Box::new(Failure::Truncated));
    }
}

fn error_mgr() -> mozjpeg_sys::jpeg_error_mgr {
    // SAFETY: jpeg_std_error fills every field of a zeroed struct.
    let mut err: mozjpeg_sys::jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { mozjpeg_sys::jpeg_std_error(&mut err) };
    err.error_exit = Some(error_exit);
    err.emit_message = Some(emit_message);
    err
}

fn map_unwind(payload: Box<dyn std::any::Any + Send>) -> DecodeError {
    match payload.downcast::<Failure>() {
        Ok(f) => match *f {
            Failure::Truncated => DecodeError::Truncated,
            Failure::Fatal(m) => DecodeError::Corrupt(m),
        },
        Err(other) => {
            let text = other
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| other.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "JPEG decoder failed".into());
            DecodeError::Corrupt(text)
        }
    }
}

fn guarded<T>(f: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(map_unwind(p)))
}

/// Width, height and EXIF orientation (1..=8) from the header alone.
pub fn probe(bytes: &[u8]) -> Result<(usize, usize, u8), DecodeError> {
    guarded(|| {
        let d = Decompress::with_err(error_mgr())
            .with_markers(&[Marker::APP(1)])
            .from_mem(bytes)
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        let orientation = d
            .markers()
            .find_map(|m| exif::orientation(m.data))
            .unwrap_or(1);
        Ok((d.width(), d.height(), orientation))
    })
}

/// Decodes to packed RGB in batches of rows: `on_batch(first_row, buf)` gets a
/// buffer of whole rows (`width * 3` bytes each). It may swap the buffer for
/// another (a recycled one), which the decoder then reuses for the next batch.
pub fn decode_batches(
    bytes: &[u8],
    on_batch: &mut dyn FnMut(usize, &mut Vec<u8>) -> Result<(), DecodeError>,
) -> Result<(usize, usize), DecodeError> {
    guarded(|| {
        let mut d = Decompress::with_err(error_mgr())
            .from_mem(bytes)
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        if matches!(d.color_space(), J_COLOR_SPACE::JCS_CMYK | J_COLOR_SPACE::JCS_YCCK) {
            return Err(DecodeError::Unsupported(
                "CMYK JPEG (print colours); save the image as an RGB JPEG or PNG".into(),
            ));
        }
        d.dct_method(DctMethod::IntegerSlow);
        d.do_fancy_upsampling(true);
        let mut started = d.rgb().map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        let (w, h) = (started.width(), started.height());
        let stride = w * 3;
        let mut buf = Vec::new();
        let mut y = 0;
        while y < h {
            let n = BATCH_ROWS.min(h - y);
            buf.resize(n * stride, 0);
            started
                .read_scanlines_into::<u8>(&mut buf[..])
                .map_err(|_| DecodeError::Truncated)?;
            on_batch(y, &mut buf)?;
            y += n;
        }
        started
            .finish()
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        Ok((w, h))
    })
}

/// Rows decoded per batch: large enough to amortise hand-over, small enough to
/// keep the resampler busy early.
pub const BATCH_ROWS: usize = 32;
