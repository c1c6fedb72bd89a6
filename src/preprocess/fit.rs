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

/// Rows resampled together by the horizontal pass: one SIMD lane per row.
const LANES: usize = 8;

/// Horizontal pass over a group of up to [`LANES`] rows.
///
/// `group` holds `n` rows of the source span (`span_px` pixels from column
/// `lo`). They are transposed so that the same pixel of all rows sits side by
/// side; each output pixel is then a sum over its taps of one coefficient times
/// eight rows at once, which LLVM turns into 8-lane integer SIMD. Integer sums
/// are exact in any order, so this equals Pillow's row-by-row loop.
#[inline(always)]
fn horizontal_group(
    taps: &Taps,
    lo: usize,
    span_px: usize,
    group: &[u8],
    n: usize,
    tbuf: &mut Vec<u8>,
    out: &mut [u8],
) {
    let w3 = span_px * CHANNELS;
    tbuf.resize(w3 * LANES, 0);
    for r in 0..LANES {
        let src = if r < n {
            &group[r * w3..(r + 1) * w3]
        } else {
            &group[..w3]
        };
        for (i, &v) in src.iter().enumerate() {
            tbuf[i * LANES + r] = v;
        }
    }
    let ow3 = out.len() / n;
    for xx in 0..taps.first.len() {
        let start = taps.first[xx] - lo;
        let k = taps.coeffs(xx);
        let mut acc = [[ROUND; LANES]; CHANNELS];
        let px = &tbuf[start * CHANNELS * LANES..(start + k.len()) * CHANNELS * LANES];
        for (kt, p) in k.iter().zip(px.chunks_exact(CHANNELS * LANES)) {
            for c in 0..CHANNELS {
                for r in 0..LANES {
                    let v = i32::from(p[c * LANES + r]);
                    acc[c][r] = acc[c][r].wrapping_add(v.wrapping_mul(*kt));
                }
            }
        }
        for r in 0..n {
            for c in 0..CHANNELS {
                out[r * ow3 + xx * CHANNELS + c] = clip8(acc[c][r]);
            }
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

/// [`horizontal_group`] with explicit AVX2: an SSE2 byte transpose of 8 rows,
/// then per tap three `u8→i32` widening loads, multiplies and adds.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn horizontal_group_avx2(
    taps: &Taps,
    lo: usize,
    span_px: usize,
    group: &[u8],
    n: usize,
    tbuf: &mut Vec<u8>,
    out: &mut [u8],
) {
    use std::arch::x86_64::*;
    let w3 = span_px * CHANNELS;
    tbuf.resize(w3 * LANES, 0);
    let rows: [&[u8]; LANES] = std::array::from_fn(|r| {
        if r < n {
            &group[r * w3..(r + 1) * w3]
        } else {
            &group[..w3]
        }
    });
    let mut i = 0;
    while i + 8 <= w3 {
        // SAFETY: i + 8 <= w3 bytes are in every row; 64 bytes are written at i * 8.
        let a: [__m128i; LANES] =
            std::array::from_fn(|r| _mm_loadl_epi64(rows[r].as_ptr().add(i).cast()));
        let b0 = _mm_unpacklo_epi8(a[0], a[1]);
        let b1 = _mm_unpacklo_epi8(a[2], a[3]);
        let b2 = _mm_unpacklo_epi8(a[4], a[5]);
        let b3 = _mm_unpacklo_epi8(a[6], a[7]);
        let c0 = _mm_unpacklo_epi16(b0, b1);
        let c1 = _mm_unpackhi_epi16(b0, b1);
        let c2 = _mm_unpacklo_epi16(b2, b3);
        let c3 = _mm_unpackhi_epi16(b2, b3);
        let dst = tbuf.as_mut_ptr().add(i * LANES).cast::<__m128i>();
        _mm_storeu_si128(dst, _mm_unpacklo_epi32(c0, c2));
        _mm_storeu_si128(dst.add(1), _mm_unpackhi_epi32(c0, c2));
        _mm_storeu_si128(dst.add(2), _mm_unpacklo_epi32(c1, c3));
        _mm_storeu_si128(dst.add(3), _mm_unpackhi_epi32(c1, c3));
        i += 8;
    }
    for j in i..w3 {
        for (r, row) in rows.iter().enumerate() {
            tbuf[j * LANES + r] = row[j];
        }
    }
    let ow3 = out.len() / n;
    let round = _mm256_set1_epi32(ROUND);
    let zero = _mm256_setzero_si256();
    let max = _mm256_set1_epi32(255);
    let mut lanes = [[0i32; LANES]; CHANNELS];
    for xx in 0..taps.first.len() {
        let start = taps.first[xx] - lo;
        let k = taps.coeffs(xx);
        let px = &tbuf[start * CHANNELS * LANES..(start + k.len()) * CHANNELS * LANES];
        let (mut a0, mut a1, mut a2) = (round, round, round);
        for (kt, p) in k.iter().zip(px.chunks_exact(CHANNELS * LANES)) {
            let kv = _mm256_set1_epi32(*kt);
            // SAFETY: `p` holds 24 bytes; each load reads 8 of them.
            let v0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(p.as_ptr().cast()));
            let v1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(p.as_ptr().add(8).cast()));
            let v2 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(p.as_ptr().add(16).cast()));
            a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(v0, kv));
            a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(v1, kv));
            a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(v2, kv));
        }
        for (c, acc) in [a0, a1, a2].into_iter().enumerate() {
            // clip8: arithmetic shift, then clamp to 0..=255.
            let v = _mm256_min_epi32(
                _mm256_max_epi32(_mm256_srai_epi32::<{ PRECISION_BITS as i32 }>(acc), zero),
                max,
            );
            _mm256_storeu_si256(lanes[c].as_mut_ptr().cast(), v);
        }
        for r in 0..n {
            for c in 0..CHANNELS {
                out[r * ow3 + xx * CHANNELS + c] = lanes[c][r] as u8;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn vertical_row_avx2(
    k: &[i32],
    rows: &[u8],
    stride: usize,
    acc: &mut [i32],
    out: &mut [u8],
) {
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
    RowLength {
        got: usize,
        len: usize,
        expected: usize,
    },
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
    /// Rows received so far (from `y_first`).
    rows_seen: usize,
    /// Rows resampled into `tmp` so far.
    rows_in: usize,
    next_out: usize,
    out: Vec<u8>,
    /// Received rows (their span only) waiting to be resampled as a group.
    group: Vec<u8>,
    group_rows: usize,
    tbuf: Vec<u8>,
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
            rows_seen: 0,
            rows_in: 0,
            next_out: 0,
            out: vec![0; out_w * out_h * CHANNELS],
            group: Vec::with_capacity((span.1 - span.0) * CHANNELS * LANES),
            group_rows: 0,
            tbuf: Vec::new(),
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

    /// The source columns the fit reads; a row may be cropped to them.
    pub fn cols_needed(&self) -> std::ops::Range<usize> {
        self.span.0..self.span.1
    }

    /// Feeds source row `y` (packed RGB, `in_w * 3` bytes). Rows must arrive in
    /// increasing order; rows outside [`Fitter::rows_needed`] are ignored.
    pub fn push_row(&mut self, y: usize, row: &[u8]) -> Result<(), FitError> {
        self.push_row_at(y, 0, row)
    }

    /// Feeds part of source row `y`: `row` holds the pixels of columns
    /// `x0..x0 + row.len() / 3`, which must cover [`Fitter::cols_needed`].
    pub fn push_row_at(&mut self, y: usize, x0: usize, row: &[u8]) -> Result<(), FitError> {
        let (lo, hi) = self.span;
        let covers = row.len() % CHANNELS == 0 && x0 <= lo && x0 + row.len() / CHANNELS >= hi;
        let whole = x0 == 0 && row.len() == self.in_w * CHANNELS;
        if !covers || (self.horiz.is_none() && !whole) {
            return Err(FitError::RowLength {
                got: y,
                len: row.len(),
                expected: self.in_w * CHANNELS,
            });
        }
        if y < self.y_first || y >= self.y_last || y != self.y_first + self.rows_seen {
            return Ok(());
        }
        self.rows_seen += 1;
        if self.horiz.is_none() {
            let stride = self.tmp_stride();
            let t = self.rows_in;
            self.tmp[t * stride..(t + 1) * stride].copy_from_slice(row);
            self.rows_in += 1;
            self.emit_ready_rows();
            return Ok(());
        }
        self.group
            .extend_from_slice(&row[(lo - x0) * CHANNELS..(hi - x0) * CHANNELS]);
        self.group_rows += 1;
        if self.group_rows == LANES {
            self.flush_group();
        }
        Ok(())
    }

    /// Resamples the rows waiting in the group into `tmp`.
    fn flush_group(&mut self) {
        let n = self.group_rows;
        let Some(taps) = &self.horiz else {
            return;
        };
        if n == 0 {
            return;
        }
        let stride = self.out_w * CHANNELS;
        let t = self.rows_in;
        let out = &mut self.tmp[t * stride..(t + n) * stride];
        let (lo, hi) = self.span;
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: AVX2 support was checked at run time.
            unsafe {
                horizontal_group_avx2(taps, lo, hi - lo, &self.group, n, &mut self.tbuf, out)
            };
        } else {
            horizontal_group(taps, lo, hi - lo, &self.group, n, &mut self.tbuf, out);
        }
        #[cfg(not(target_arch = "x86_64"))]
        horizontal_group(taps, lo, hi - lo, &self.group, n, &mut self.tbuf, out);
        self.group.clear();
        self.group_rows = 0;
        self.rows_in += n;
        self.emit_ready_rows();
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
    pub fn finish(mut self) -> Result<RgbFrame, FitError> {
        self.flush_group();
        let needed = self.y_last - self.y_first;
        if self.rows_in < needed {
            return Err(FitError::MissingRows {
                rows: self.rows_in,
                needed,
            });
        }
        let data = if self.vert.is_some() {
            self.out
        } else {
            self.tmp
        };
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
            assert!(
                (s - (1 << PRECISION_BITS)).abs() <= t.count[i] as i64,
                "{i}: {s}"
            );
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
        let data: Vec<u8> = (0..w * h * 3)
            .map(|i| ((i * 2654435761usize) >> 13) as u8)
            .collect();
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
