//! Preprocessing: file bytes or a camera frame to the model's input, exactly as
//! the original OneMed app prepared it — RGB, `ImageOps.fit` to 224x224 with
//! Lanczos ([`fit`]), then `x / 127.0 - 1` as `f32`, NHWC ([`to_tensor`]).
//!
//! Large JPEGs are decoded on the calling thread while a second thread resamples
//! the rows already decoded, so a 3504x2336 fundus photo costs little more than
//! its decode.

pub mod fit;
mod resample;

use crate::decode::{self, jpeg, DecodeError, ImageFormat, Limits};
use crate::frame::RgbFrame;
use sha2::{Digest, Sha256};
use std::time::Instant;

pub use fit::{fit, fit_box, FitError, Fitter};

/// The model-input normalisation: `x / scale + offset` per channel value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Normalize {
    pub scale: f32,
    pub offset: f32,
}

/// Why preprocessing failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PrepareError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("resampling failed: {0}")]
    Fit(#[from] FitError),
}

/// A decoded and fitted image, ready for quality checks and the model.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The container format (`None` for a camera frame).
    pub format: Option<ImageFormat>,
    /// Size of the upright source image.
    pub width: usize,
    pub height: usize,
    /// The `size` x `size` RGB image the model sees.
    pub fitted: RgbFrame,
    /// Milliseconds spent decoding (for streamed JPEGs: until the last row).
    pub decode_ms: f64,
    /// Milliseconds of resampling not hidden behind the decode.
    pub preprocess_ms: f64,
}

/// Images at least this large are resampled on a second thread while decoding.
const STREAM_MIN_PIXELS: usize = 1_000_000;

/// Fits a camera frame (already decoded) to `size` x `size`.
pub fn prepare_frame(frame: &RgbFrame, size: usize) -> Result<Prepared, PrepareError> {
    let t0 = Instant::now();
    let fitted = fit(frame, size, size)?;
    Ok(Prepared {
        format: None,
        width: frame.width(),
        height: frame.height(),
        fitted,
        decode_ms: 0.0,
        preprocess_ms: ms(t0, Instant::now()),
    })
}

/// Decodes file bytes and fits them to `size` x `size`.
pub fn prepare(bytes: &[u8], limits: &Limits, size: usize) -> Result<Prepared, PrepareError> {
    let t0 = Instant::now();
    let probe = decode::probe(bytes, limits)?;
    if probe.format != ImageFormat::Jpeg || probe.orientation != 1 {
        let (probe, frame) = decode::decode(bytes, limits)?;
        let t1 = Instant::now();
        let fitted = fit(&frame, size, size)?;
        return Ok(Prepared {
            format: Some(probe.format),
            width: frame.width(),
            height: frame.height(),
            fitted,
            decode_ms: ms(t0, t1),
            preprocess_ms: ms(t1, Instant::now()),
        });
    }
    let fitter = Fitter::new(probe.width, probe.height, size, size)?;
    let (fitted, t_decoded) = if probe.width * probe.height >= STREAM_MIN_PIXELS {
        stream_jpeg(bytes, fitter)?
    } else {
        inline_jpeg(bytes, fitter)?
    };
    Ok(Prepared {
        format: Some(probe.format),
        width: probe.width,
        height: probe.height,
        fitted,
        decode_ms: ms(t0, t_decoded),
        preprocess_ms: ms(t_decoded, Instant::now()),
    })
}

fn push_batch(fitter: &mut Fitter, b: &jpeg::Batch<'_>) -> Result<(), FitError> {
    for (i, row) in b.rows.chunks_exact(b.width * 3).enumerate() {
        fitter.push_row_at(b.y0 + i, b.x0, row)?;
    }
    Ok(())
}

/// Decode and fit on this thread (small images).
fn inline_jpeg(bytes: &[u8], mut fitter: Fitter) -> Result<(RgbFrame, Instant), PrepareError> {
    let mut fit_err = None;
    let (rows, cols) = (fitter.rows_needed(), fitter.cols_needed());
    let decoded = jpeg::decode_region(bytes, rows, Some(cols), &mut |b| {
        push_batch(&mut fitter, &b).map_err(|e| {
            fit_err = Some(e);
            stopped()
        })
    });
    if let Some(e) = fit_err {
        return Err(e.into());
    }
    decoded?;
    let t = Instant::now();
    Ok((fitter.finish()?, t))
}

/// The error a decode returns when the resampler stopped taking rows.
fn stopped() -> DecodeError {
    DecodeError::Corrupt("resampling stopped".into())
}

/// A batch of rows handed to the resampling thread.
struct Owned {
    y0: usize,
    x0: usize,
    width: usize,
    rows: Vec<u8>,
}

/// Decode here, fit on a second thread as batches of rows arrive. Buffers
/// travel back to the decoder to be refilled, so no row is copied.
fn stream_jpeg(bytes: &[u8], mut fitter: Fitter) -> Result<(RgbFrame, Instant), PrepareError> {
    use std::sync::mpsc;
    let (rows, cols) = (fitter.rows_needed(), fitter.cols_needed());
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Owned>(8);
        let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
        let worker = std::thread::Builder::new()
            .name("fit".into())
            .spawn_scoped(s, move || -> Result<RgbFrame, FitError> {
                for mut o in rx {
                    push_batch(
                        &mut fitter,
                        &jpeg::Batch {
                            y0: o.y0,
                            x0: o.x0,
                            width: o.width,
                            rows: &mut o.rows,
                        },
                    )?;
                    let _ = back_tx.send(o.rows);
                }
                fitter.finish()
            })
            .map_err(|e| DecodeError::Io(format!("cannot start the resampling thread: {e}")))?;
        let decoded = jpeg::decode_region(bytes, rows, Some(cols), &mut |b| {
            let fresh = back_rx.try_recv().unwrap_or_default();
            let full = std::mem::replace(b.rows, fresh);
            tx.send(Owned {
                y0: b.y0,
                x0: b.x0,
                width: b.width,
                rows: full,
            })
            .map_err(|_| stopped())
        });
        let t = Instant::now();
        drop(tx);
        let fitted = worker
            .join()
            .map_err(|_| PrepareError::Decode(DecodeError::Corrupt("resampler failed".into())))?;
        // A decode error explains a fit that ran short; a fit error explains
        // a decode that was stopped.
        match (decoded, fitted) {
            (Ok(_), Ok(f)) => Ok((f, t)),
            (Err(d), Err(f)) if d == stopped() => Err(f.into()),
            (Err(d), _) => Err(d.into()),
            (Ok(_), Err(f)) => Err(f.into()),
        }
    })
}

fn ms(a: Instant, b: Instant) -> f64 {
    (b - a).as_secs_f64() * 1000.0
}

/// The model input tensor (NHWC, `f32`) of a fitted frame.
pub fn to_tensor(fitted: &RgbFrame, norm: &Normalize) -> Vec<f32> {
    let mut out = vec![0.0; fitted.data().len()];
    fill_tensor(fitted, norm, &mut out);
    out
}

/// [`to_tensor`] written straight into `out` (the inference request's own
/// input tensor: no intermediate copy). `out` must have one value per byte.
pub fn fill_tensor(fitted: &RgbFrame, norm: &Normalize, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(fitted.data()) {
        *o = f32::from(v) / norm.scale + norm.offset;
    }
}

/// sha256 of the fitted RGB bytes (row-major), as hex: the traceable identity of
/// exactly what the model saw.
pub fn input_sha256(fitted: &RgbFrame) -> String {
    hex(&Sha256::digest(fitted.data()))
}

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
