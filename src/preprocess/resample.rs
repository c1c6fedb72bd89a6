//! Pillow's 8-bit Lanczos resampling (`libImaging/Resample.c`): the taps of
//! each output pixel (support widening with the downscale factor, double
//! precision coefficients normalised to 22-bit fixed point), and the
//! horizontal and vertical passes, each with an AVX2 variant that computes
//! the same integers. [`super::fit::Fitter`] drives them row by row.

/// Fixed-point precision of Pillow's 8-bit resampling coefficients.
pub(super) const PRECISION_BITS: u32 = 32 - 8 - 2;
/// Lanczos-3 support (in source pixels at scale 1).
pub(super) const LANCZOS_SUPPORT: f64 = 3.0;
pub(super) const CHANNELS: usize = 3;

pub(super) fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

pub(super) fn lanczos(x: f64) -> f64 {
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
pub(super) struct Taps {
    pub(super) ksize: usize,
    pub(super) first: Vec<usize>,
    pub(super) count: Vec<usize>,
    pub(super) k: Vec<i32>,
}

impl Taps {
    pub(super) fn new(in_size: usize, in0: f32, in1: f32, out_size: usize) -> Taps {
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

    pub(super) fn coeffs(&self, i: usize) -> &[i32] {
        &self.k[i * self.ksize..i * self.ksize + self.count[i]]
    }
}

#[inline(always)]
pub(super) fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

pub(super) const ROUND: i32 = 1 << (PRECISION_BITS - 1);

/// Rows resampled together by the horizontal pass: one SIMD lane per row.
pub(super) const LANES: usize = 8;

/// Horizontal pass over a group of up to [`LANES`] rows.
///
/// `group` holds `n` rows of the source span (`span_px` pixels from column
/// `lo`). They are transposed so that the same pixel of all rows sits side by
/// side; each output pixel is then a sum over its taps of one coefficient times
/// eight rows at once, which LLVM turns into 8-lane integer SIMD. Integer sums
/// are exact in any order, so this equals Pillow's row-by-row loop.
#[inline(always)]
pub(super) fn horizontal_group(
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
pub(super) fn vertical_row(k: &[i32], rows: &[u8], stride: usize, acc: &mut [i32], out: &mut [u8]) {
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
pub(super) unsafe fn horizontal_group_avx2(
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
pub(super) unsafe fn vertical_row_avx2(
    k: &[i32],
    rows: &[u8],
    stride: usize,
    acc: &mut [i32],
    out: &mut [u8],
) {
    vertical_row(k, rows, stride, acc, out)
}

pub(super) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`horizontal_group`], with AVX2 when `avx2` says the CPU has it.
#[allow(clippy::too_many_arguments)]
pub(super) fn horizontal(
    avx2: bool,
    taps: &Taps,
    lo: usize,
    span_px: usize,
    group: &[u8],
    n: usize,
    tbuf: &mut Vec<u8>,
    out: &mut [u8],
) {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller checked AVX2 support at run time (`has_avx2`).
        return unsafe { horizontal_group_avx2(taps, lo, span_px, group, n, tbuf, out) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    horizontal_group(taps, lo, span_px, group, n, tbuf, out)
}

/// [`vertical_row`], with AVX2 when `avx2` says the CPU has it.
pub(super) fn vertical(
    avx2: bool,
    k: &[i32],
    rows: &[u8],
    stride: usize,
    acc: &mut [i32],
    out: &mut [u8],
) {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller checked AVX2 support at run time (`has_avx2`).
        return unsafe { vertical_row_avx2(k, rows, stride, acc, out) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    vertical_row(k, rows, stride, acc, out)
}
