//! Pillow-exact `ImageOps.fit(image, (w, h), Image.LANCZOS)`.
//!
//! A port of Pillow's `ImageOps.fit` (centre crop with a *fractional*, unrounded
//! box) and of `libImaging/Resample.c` for 8-bit images: Lanczos-3 whose support
//! widens with the downscale factor, coefficients in double precision normalised
//! to 22-bit fixed point, the horizontal pass first (rounded and clipped to 8 bits),
//! then the vertical pass. Every step keeps Pillow's arithmetic so that the output
//! equals Pillow's byte for byte; `tests/parity.rs` checks it on every sample image.
//!
//! Rows can be pushed one at a time as a decoder produces them ([`Fitter`]), so the
//! resampling of a large JPEG overlaps its decoding on another core.

use crate::frame::RgbFrame;

/// Fixed-point precision of Pillow's 8-bit resampling coefficients.
const PRECISION_BITS: u32 = 32 - 8 - 2;
/// Lanczos-3 support (in source pixels at scale 1).
const LANCZOS_SUPPORT: f64 = 3.0;
const CHANNELS: usize = 3;

/// The crop box `ImageOps.fit` computes: centred, fractional, in `f32` as Pillow's
/// C code receives it. `(left, top, right, bottom)`.
pub fn fit_box(in_w: usize, in_h: usize, out_w: usize, out_h: usize) -> [f32; 4] {
    let (w, h) = (in_w as f64, in_h as f64);
    let live_ratio = w / h;
    let out_ratio = out_w as f64 / out_h as f64;
    let (crop_w, crop_h) = if live_ratio == out_ratio {
        (w, h)
    } else if live_ratio >= out_ratio {
        (out_ratio * h, h)
    } else {
        (w, w / out_ratio)
    };
    let left = (w - crop_w) * 0.5;
    let top = (h - crop_h) * 0.5;
    [
        left as f32,
        top as f32,
        (left + crop_w) as f32,
        (top + crop_h) as f32,
    ]
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

fn lanczos(x: f64) -> f64 {
    if (-3.0..3.0).contains(&x) {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

/// Fixed-point filter taps for one axis: for each output sample, the first input
/// index, the tap count and `ksize` coefficients (Pillow's `precompute_coeffs` +
/// `normalize_coeffs_8bpc`).
#[derive(Debug, Clone)]
struct Taps {
    ksize: usize,
    first: Vec<usize>,
    count: Vec<usize>,
    k: Vec<i32>,
}

impl Taps {
    fn new(in_size: usize, in0: f32, in1: f32, out_size: usize) -> Taps {
        // Pillow: `filterscale = scale = (double)(in1 - in0) / outSize;` (float subtraction).
        let scale = f64::from(in1 - in0) / out_size as f64;
        let filterscale = scale.max(1.0);
        let support = LANCZOS_SUPPORT * filterscale;
        let ksize = support.ceil() as usize * 2 + 1;
        let mut first = Vec::with_capacity(out_size);
        let mut count = Vec::with_capacity(out_size);
        let mut k = vec![0i32; out_size * ksize];
        let mut weights = vec![0f64; ksize];
        for xx in 0..out_size {
            let center = f64::from(in0) + (xx as f64 + 0.5) * scale;
            let ss = 1.0 / filterscale;
            // C casts truncate toward zero, as `as` does.
            let xmin = ((center - support + 0.5) as i64).max(0);
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64);
            let n = (xmax - xmin).clamp(0, ksize as i64) as usize;
            let mut ww = 0.0;
            for (x, w) in weights.iter_mut().enumerate().take(n) {
                let v = lanczos(((x as i64 + xmin) as f64 - center + 0.5) * ss);
                *w = v;
                ww += v;
            }
            for (x, w) in weights.iter().enumerate().take(n) {
                let v = if ww != 0.0 { w / ww } else { *w };
                let fixed = v * f64::from(1u32 << PRECISION_BITS);
                k[xx * ksize + x] = if v < 0.0 {
                    (-0.5 + fixed) as i32
                } else {
                    (0.5 + fixed) as i32
                };
            }
            first.push(xmin as usize);
            count.push(n);
        }
        Taps {
            ksize,
            first,
            count,
            k,
        }
    }

    fn coeffs(&self, i: usize) -> &[i32] {
        &self.k[i * self.ksize..i * self.ksize + self.count[i]]
    }
}

#[inline(always)]
fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

const ROUND: i32 = 1 << (PRECISION_BITS - 1);

/// Integer dot product, written so that LLVM vectorises it. Integer sums are
/// associative, so the order differs from Pillow's loop without changing the result.
#[inline(always)]
fn dot(a: &[i32], b: &[i32]) -> i32 {
    let mut acc = [0i32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            acc[i] = acc[i].wrapping_add(x[i].wrapping_mul(y[i]));
        }
    }
    let mut sum = acc.iter().fold(0i32, |s, v| s.wrapping_add(*v));
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        sum = sum.wrapping_add(x.wrapping_mul(*y));
    }
    sum
}

/// Horizontal pass over one source row (packed RGB) into one output row.
#[inline(always)]
fn horizontal_row(taps: &Taps, span: (usize, usize), planes: &mut [Vec<i32>; 3], row: &[u8], out: &mut [u8]) {
    let (lo, hi) = span;
    for p in planes.iter_mut() {
        p.clear();
    }
    for px in row[lo * CHANNELS..hi * CHANNELS].chunks_exact(CHANNELS) {
        planes[0].push(i32::from(px[0]));
        planes[1].push(i32::from(px[1]));
        planes[2].push(i32::from(px[2]));
    }
    for (xx, o) in out.chunks_exact_mut(CHANNELS).enumerate() {
        let start = taps.first[xx] - lo;
        let k = taps.coeffs(xx);
        for c in 0..CHANNELS {
            let src = &planes[c][start..start + k.len()];
            o[c] = clip8(ROUND.wrapping_add(dot(src, k)));
        }
    }
}

/// Vertical pass for one output row: `rows` are the tap rows, in order.
#[inline(always)]
fn vertical_row(k: &[i32], rows: &[u8], stride: usize, acc: &mut [i32], out: &mut [u8]) {
    acc.fill(ROUND);
    for (ky, src) in k.iter().zip(rows.chunks_exact(stride)) {
        for (a, s) in acc.iter_mut().zip(src) {
            *a = a.wrapping_add(i32::from(*s).wrapping_mul(*ky));
        }
    }
    for (o, a) in out.iter_mut().zip(acc.iter()) {
        *o = clip8(*a);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn horizontal_row_avx2(taps: &Taps, span: (usize, usize), planes: &mut [Vec<i32>; 3], row: &[u8], out: &mut [u8]) {
    horizontal_row(taps, span, planes, row, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn vertical_row_avx2(k: &[i32], rows: &[u8], stride: usize, acc: &mut [i32], out: &mut [u8]) {
    vertical_row(k, rows, stride, acc, out)
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Why a fit could not be completed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FitError {
    #[error("image has no pixels ({0}x{1})")]
    Empty(usize, usize),
    #[error("row {got} has {len} bytes, expected {expected}")]
    RowLength { got: usize, len: usize, expected: usize },
    #[error("the image ended after {rows} of {needed} rows")]
    MissingRows { rows: usize, needed: usize },
}

/// A streaming `ImageOps.fit`: push the source rows in order (all of them, or
/// only those in [`Fitter::rows_needed`]), then [`Fitter::finish`].
pub struct Fitter {
    in_w: usize,
    out_w: usize,
    out_h: usize,
    horiz: Option<Taps>,
    /// Column span of the source the horizontal pass reads.
    span: (usize, usize),
    vert: Option<Taps>,
    y_first: usize,
    y_last: usize,
    /// Horizontally resampled rows `y_first..y_last`, `out_w * 3` bytes each.
    tmp: Vec<u8>,
    rows_in: usize,
    next_out: usize,
    out: Vec<u8>,
    planes: [Vec<i32>; 3],
    acc: Vec<i32>,
    avx2: bool,
}

impl Fitter {
    /// Plans the fit of an `in_w` x `in_h` image to `out_w` x `out_h`.
    pub fn new(in_w: usize, in_h: usize, out_w: usize, out_h: usize) -> Result<Fitter, FitError> {
        if in_w == 0 || in_h == 0 || out_w == 0 || out_h == 0 {
            return Err(FitError::Empty(in_w, in_h));
        }
        let b = fit_box(in_w, in_h, out_w, out_h);
        // Pillow: need_horizontal = xsize != imIn->xsize || box[0] || box[2] != xsize
        let need_h = out_w != in_w || b[0] != 0.0 || b[2] != out_w as f32;
        let need_v = out_h != in_h || b[1] != 0.0 || b[3] != out_h as f32;
        let horiz_taps = Taps::new(in_w, b[0], b[2], out_w);
        let vert_taps = Taps::new(in_h, b[1], b[3], out_h);
        let y_first = vert_taps.first[0];
        let y_last = vert_taps.first[out_h - 1] + vert_taps.count[out_h - 1];
        let span = if need_h {
            let lo = horiz_taps.first.iter().copied().min().unwrap_or(0);
            let hi = (0..out_w)
                .map(|i| horiz_taps.first[i] + horiz_taps.count[i])
                .max()
                .unwrap_or(in_w);
            (lo, hi)
        } else {
            (0, in_w)
        };
        let tmp_w = if need_h { out_w } else { in_w };
        let rows = if need_v { y_last - y_first } else { in_h };
        let (y_first, y_last) = if need_v { (y_first, y_last) } else { (0, in_h) };
        Ok(Fitter {
            in_w,
            out_w,
            out_h,
            horiz: need_h.then_some(horiz_taps),
            span,
            vert: need_v.then_some(vert_taps),
            y_first,
            y_last,
            tmp: vec![0; rows * tmp_w * CHANNELS],
            rows_in: 0,
            next_out: 0,
            out: vec![0; out_w * out_h * CHANNELS],
            planes: [Vec::new(), Vec::new(), Vec::new()],
            acc: vec![0; out_w * CHANNELS],
            avx2: has_avx2(),
        })
    }

    /// Width of the source image, in pixels.
    pub fn in_width(&self) -> usize {
        self.in_w
    }

    /// The source rows the fit reads; rows outside it may be skipped.
    pub fn rows_needed(&self) -> std::ops::Range<usize> {
        self.y_first..self.y_last
    }

    /// Feeds source row `y` (packed RGB, `in_w * 3` bytes). Rows must arrive in
    /// increasing order; rows outside [`Fitter::rows_needed`] are ignored.
    pub fn push_row(&mut self, y: usize, row: &[u8]) -> Result<(), FitError> {
        if row.len() != self.in_w * CHANNELS {
            return Err(FitError::RowLength {
                got: y,
                len: row.len(),
                expected: self.in_w * CHANNELS,
            });
        }
        if y < self.y_first || y >= self.y_last || y != self.y_first + self.rows_in {
            return Ok(());
        }
        let stride = self.tmp_stride();
        let t = self.rows_in;
        let dst = &mut self.tmp[t * stride..(t + 1) * stride];
        match &self.horiz {
            Some(taps) => {
                #[cfg(target_arch = "x86_64")]
                if self.avx2 {
                    // SAFETY: AVX2 support was checked at run time.
                    unsafe { horizontal_row_avx2(taps, self.span, &mut self.planes, row, dst) };
                } else {
                    horizontal_row(taps, self.span, &mut self.planes, row, dst);
                }
                #[cfg(not(target_arch = "x86_64"))]
                horizontal_row(taps, self.span, &mut self.planes, row, dst);
            }
            None => dst.copy_from_slice(row),
        }
        self.rows_in += 1;
        self.emit_ready_rows();
        Ok(())
    }

    fn tmp_stride(&self) -> usize {
        if self.horiz.is_some() {
            self.out_w * CHANNELS
        } else {
            self.in_w * CHANNELS
        }
    }

    /// Runs the vertical pass for every output row whose source rows have arrived.
    fn emit_ready_rows(&mut self) {
        let stride = self.tmp_stride();
        let Some(vert) = &self.vert else {
            return;
        };
        while self.next_out < self.out_h {
            let yy = self.next_out;
            let lo = vert.first[yy] - self.y_first;
            let n = vert.count[yy];
            if lo + n > self.rows_in {
                break;
            }
            let rows = &self.tmp[lo * stride..(lo + n) * stride];
            let out = &mut self.out[yy * stride..(yy + 1) * stride];
            let k = vert.coeffs(yy);
            #[cfg(target_arch = "x86_64")]
            if self.avx2 {
                // SAFETY: AVX2 support was checked at run time.
                unsafe { vertical_row_avx2(k, rows, stride, &mut self.acc, out) };
            } else {
                vertical_row(k, rows, stride, &mut self.acc, out);
            }
            #[cfg(not(target_arch = "x86_64"))]
            vertical_row(k, rows, stride, &mut self.acc, out);
            self.next_out += 1;
        }
    }

    /// The fitted image, once every needed row has been pushed.
    pub fn finish(self) -> Result<RgbFrame, FitError> {
        let needed = self.y_last - self.y_first;
        if self.rows_in < needed {
            return Err(FitError::MissingRows {
                rows: self.rows_in,
                needed,
            });
        }
        let data = if self.vert.is_some() { self.out } else { self.tmp };
        RgbFrame::new(self.out_w, self.out_h, data).ok_or(FitError::Empty(self.out_w, self.out_h))
    }
}

/// Fits a whole decoded frame (the non-streaming path).
pub fn fit(frame: &RgbFrame, out_w: usize, out_h: usize) -> Result<RgbFrame, FitError> {
    let mut fitter = Fitter::new(frame.width(), frame.height(), out_w, out_h)?;
    for y in fitter.rows_needed() {
        fitter.push_row(y, frame.row(y))?;
    }
    fitter.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_matches_pillow_examples() {
        // SOURCE.md: 311x224 gives (43.5, 0, 267.5, 224).
        assert_eq!(fit_box(311, 224, 224, 224), [43.5, 0.0, 267.5, 224.0]);
        assert_eq!(fit_box(3504, 2336, 224, 224), [584.0, 0.0, 2920.0, 2336.0]);
        assert_eq!(fit_box(200, 301, 224, 224), [0.0, 50.5, 200.0, 250.5]);
        assert_eq!(fit_box(224, 224, 224, 224), [0.0, 0.0, 224.0, 224.0]);
    }

    #[test]
    fn coefficients_sum_to_one_in_fixed_point() {
        let t = Taps::new(3504, 584.0, 2920.0, 224);
        for i in 0..224 {
            let s: i64 = t.coeffs(i).iter().map(|&v| i64::from(v)).sum();
            assert!((s - (1 << PRECISION_BITS)).abs() <= t.count[i] as i64, "{i}: {s}");
        }
    }

    #[test]
    fn same_size_is_a_copy_and_uniform_stays_uniform() {
        let data: Vec<u8> = (0..224 * 224 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let f = RgbFrame::new(224, 224, data.clone()).unwrap();
        assert_eq!(fit(&f, 224, 224).unwrap().data(), &data[..]);
        let u = RgbFrame::new(640, 300, vec![77; 640 * 300 * 3]).unwrap();
        assert!(fit(&u, 224, 224).unwrap().data().iter().all(|&v| v == 77));
    }

    #[test]
    fn missing_rows_are_an_error_not_garbage() {
        let mut f = Fitter::new(400, 300, 224, 224).unwrap();
        let row = vec![0u8; 400 * 3];
        for y in 0..10 {
            f.push_row(y, &row).unwrap();
        }
        assert!(matches!(f.finish(), Err(FitError::MissingRows { .. })));
        let mut f = Fitter::new(400, 300, 224, 224).unwrap();
        assert!(f.push_row(0, &row[..10]).is_err());
    }

    #[test]
    fn scalar_and_vector_paths_agree() {
        let (w, h) = (517, 389);
        let data: Vec<u8> = (0..w * h * 3).map(|i| ((i * 2654435761usize) >> 13) as u8).collect();
        let frame = RgbFrame::new(w, h, data).unwrap();
        let a = fit(&frame, 224, 224).unwrap();
        let mut f = Fitter::new(w, h, 224, 224).unwrap();
        f.avx2 = false;
        for y in 0..h {
            f.push_row(y, frame.row(y)).unwrap();
        }
        assert_eq!(a, f.finish().unwrap());
    }
}
