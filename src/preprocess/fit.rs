//! Pillow-exact `ImageOps.fit(image, (w, h), Image.LANCZOS)`.
//!
//! A port of Pillow's `ImageOps.fit` (centre crop with a *fractional*, unrounded
//! box) and of `libImaging/Resample.c` for 8-bit images: Lanczos-3 whose support
//! widens with the downscale factor, coefficients in double precision normalised
//! to 22-bit fixed point, the horizontal pass first (rounded and clipped to 8 bits),
//! then the vertical pass — or the vertical pass first when the height shrinks by
//! more than twice as much as the width (Pillow 12+'s `horizontal_first` rule in
//! `ImagingResampleInner`: tall portrait pictures). Every step keeps Pillow's
//! arithmetic so that the output equals Pillow's byte for byte;
//! `tests/it/parity_fit.rs` checks it on every sample image and
//! `tests/it/differential.rs` on a generated corpus of sizes and formats.
//!
//! Rows can be pushed one at a time as a decoder produces them ([`Fitter`]), so the
//! resampling of a large JPEG overlaps its decoding on another core.

use super::resample::*;
use crate::frame::RgbFrame;

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
    /// Pillow's order for this size: the vertical pass first. `tmp` then holds
    /// the source rows (their span only) and `group` the vertical pass's rows
    /// waiting for the horizontal pass.
    vertical_first: bool,
    /// One row of the vertical pass (vertical-first order).
    vrow: Vec<u8>,
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
        // Pillow: horizontal_first = !((in_h - out_h) > 0 && (in_h - out_h) > (in_w - out_w) * 2)
        let (dy, dx) = (in_h as i64 - out_h as i64, in_w as i64 - out_w as i64);
        let vertical_first = need_h && need_v && dy > 0 && dy > dx * 2;
        let tmp_w = if vertical_first {
            span.1 - span.0
        } else if need_h {
            out_w
        } else {
            in_w
        };
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
            acc: vec![0; tmp_w.max(out_w) * CHANNELS],
            avx2: has_avx2(),
            vertical_first,
            vrow: vec![0; if vertical_first { tmp_w * CHANNELS } else { 0 }],
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
        if self.vertical_first {
            let stride = self.tmp_stride();
            let t = self.rows_in;
            self.tmp[t * stride..(t + 1) * stride]
                .copy_from_slice(&row[(lo - x0) * CHANNELS..(hi - x0) * CHANNELS]);
            self.rows_in += 1;
            self.emit_vertical_first();
            return Ok(());
        }
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
        horizontal(
            self.avx2,
            taps,
            lo,
            hi - lo,
            &self.group,
            n,
            &mut self.tbuf,
            out,
        );
        self.group.clear();
        self.group_rows = 0;
        self.rows_in += n;
        self.emit_ready_rows();
    }

    /// Vertical-first order: the vertical pass for every output row whose
    /// source rows have arrived, then the horizontal pass, [`LANES`] rows at a time.
    fn emit_vertical_first(&mut self) {
        let (Some(vert), Some(horiz)) = (&self.vert, &self.horiz) else {
            return;
        };
        let (lo, hi) = self.span;
        let stride = (hi - lo) * CHANNELS;
        let ow3 = self.out_w * CHANNELS;
        while self.next_out < self.out_h {
            let yy = self.next_out;
            let first = vert.first[yy] - self.y_first;
            let n = vert.count[yy];
            if first + n > self.rows_in {
                break;
            }
            let rows = &self.tmp[first * stride..(first + n) * stride];
            let acc = &mut self.acc[..stride];
            vertical(
                self.avx2,
                vert.coeffs(yy),
                rows,
                stride,
                acc,
                &mut self.vrow,
            );
            self.group.extend_from_slice(&self.vrow);
            self.group_rows += 1;
            self.next_out += 1;
            if self.group_rows == LANES || self.next_out == self.out_h {
                let n = self.group_rows;
                let start = self.next_out - n;
                let out = &mut self.out[start * ow3..(start + n) * ow3];
                horizontal(
                    self.avx2,
                    horiz,
                    lo,
                    hi - lo,
                    &self.group,
                    n,
                    &mut self.tbuf,
                    out,
                );
                self.group.clear();
                self.group_rows = 0;
            }
        }
    }

    fn tmp_stride(&self) -> usize {
        if self.vertical_first {
            (self.span.1 - self.span.0) * CHANNELS
        } else if self.horiz.is_some() {
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
            vertical(self.avx2, vert.coeffs(yy), rows, stride, &mut self.acc, out);
            self.next_out += 1;
        }
    }

    /// The fitted image, once every needed row has been pushed.
    pub fn finish(mut self) -> Result<RgbFrame, FitError> {
        if !self.vertical_first {
            self.flush_group();
        }
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
    fn tall_portraits_take_the_vertical_pass_first_as_pillow_does() {
        // (in_h - out_h) > 2 * (in_w - out_w): 900 - 224 > 2 * (300 - 224).
        assert!(Fitter::new(300, 900, 224, 224).unwrap().vertical_first);
        assert!(!Fitter::new(1080, 1920, 224, 224).unwrap().vertical_first);
        assert!(!Fitter::new(900, 300, 224, 224).unwrap().vertical_first);
        assert!(Fitter::new(100, 250, 224, 224).unwrap().vertical_first);
    }

    #[test]
    fn scalar_and_vector_paths_agree() {
        for (w, h) in [(517, 389), (301, 907)] {
            scalar_and_vector_agree(w, h);
        }
    }

    fn scalar_and_vector_agree(w: usize, h: usize) {
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
