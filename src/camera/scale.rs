//! Fast downscaling of preview frames for the screen. Display only: what the
//! model sees is always prepared from the full-resolution still by the
//! Pillow-exact `preprocess::fit`.
//!
//! 2x2 box averaging while the frame is at least twice the target, then one
//! bilinear pass (8-bit fixed-point weights) for the remaining factor, so large
//! reductions do not alias and 1080p → 720p costs a few milliseconds.

use crate::frame::RgbFrame;

/// The largest size with the frame's aspect ratio that fits within
/// `max_w` x `max_h` (never larger than the frame itself, never 0).
pub fn fit_within(width: usize, height: usize, max_w: usize, max_h: usize) -> (usize, usize) {
    if width <= max_w && height <= max_h {
        return (width, height);
    }
    let s = (max_w as f64 / width as f64).min(max_h as f64 / height as f64);
    let w = ((width as f64 * s).round() as usize).clamp(1, max_w.max(1));
    let h = ((height as f64 * s).round() as usize).clamp(1, max_h.max(1));
    (w, h)
}

/// Scales `frame` down to fit within `max_w` x `max_h`, keeping the aspect
/// ratio; a frame that already fits is returned as it is.
pub fn downscale_to_fit(frame: RgbFrame, max_w: usize, max_h: usize) -> RgbFrame {
    let (tw, th) = fit_within(frame.width(), frame.height(), max_w, max_h);
    if (tw, th) == (frame.width(), frame.height()) {
        return frame;
    }
    let mut cur = frame;
    while cur.width() >= 2 * tw && cur.height() >= 2 * th {
        cur = halve(&cur);
    }
    if (cur.width(), cur.height()) == (tw, th) {
        cur
    } else {
        bilinear(&cur, tw, th)
    }
}

/// Averages each 2x2 block (an odd last row or column is dropped).
fn halve(src: &RgbFrame) -> RgbFrame {
    let (w, h) = (src.width() / 2, src.height() / 2);
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let (a, b) = (src.row(2 * y), src.row(2 * y + 1));
        for x in 0..w {
            let i = 6 * x;
            for c in 0..3 {
                let sum = u16::from(a[i + c])
                    + u16::from(a[i + 3 + c])
                    + u16::from(b[i + c])
                    + u16::from(b[i + 3 + c]);
                out.push(((sum + 2) >> 2) as u8);
            }
        }
    }
    RgbFrame::new(w, h, out).unwrap_or_else(|| src.clone())
}

/// Source index pairs and 8-bit weights for one axis (pixel centres aligned).
fn taps(src: usize, dst: usize) -> Vec<(usize, usize, u32)> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|d| {
            let s = ((d as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (s.floor() as usize).min(src - 1);
            let i1 = (i0 + 1).min(src - 1);
            let f = ((s - i0 as f64) * 256.0).round().clamp(0.0, 256.0) as u32;
            (i0, i1, f)
        })
        .collect()
}

fn bilinear(src: &RgbFrame, dw: usize, dh: usize) -> RgbFrame {
    let xs = taps(src.width(), dw);
    let ys = taps(src.height(), dh);
    let mut out = vec![0u8; dw * dh * 3];
    for (orow, &(y0, y1, fy)) in out.chunks_exact_mut(dw * 3).zip(&ys) {
        let (r0, r1) = (src.row(y0), src.row(y1));
        for (o, &(x0, x1, fx)) in orow.chunks_exact_mut(3).zip(&xs) {
            for c in 0..3 {
                let top = u32::from(r0[3 * x0 + c]) * (256 - fx) + u32::from(r0[3 * x1 + c]) * fx;
                let bot = u32::from(r1[3 * x0 + c]) * (256 - fx) + u32::from(r1[3 * x1 + c]) * fx;
                o[c] = ((top * (256 - fy) + bot * fy + 32768) >> 16) as u8;
            }
        }
    }
    RgbFrame::new(dw, dh, out).unwrap_or_else(|| src.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: usize, h: usize, rgb: [u8; 3]) -> RgbFrame {
        RgbFrame::new(w, h, rgb.repeat(w * h)).expect("size")
    }

    #[test]
    fn fits_keeping_aspect() {
        assert_eq!(fit_within(1920, 1080, 1280, 720), (1280, 720));
        assert_eq!(fit_within(3504, 2336, 1280, 720), (1080, 720));
        assert_eq!(fit_within(640, 480, 1280, 720), (640, 480));
        assert_eq!(fit_within(10_000, 1, 100, 100), (100, 1));
    }

    #[test]
    fn solid_colour_survives_every_path() {
        for (w, h) in [(1920, 1080), (3504, 2336), (1281, 721), (4000, 3)] {
            let out = downscale_to_fit(solid(w, h, [200, 100, 7]), 1280, 720);
            let (ew, eh) = fit_within(w, h, 1280, 720);
            assert_eq!((out.width(), out.height()), (ew, eh));
            assert!(out.data().chunks_exact(3).all(|p| p == [200, 100, 7]));
        }
    }

    #[test]
    fn small_frames_are_untouched() {
        let f = solid(320, 240, [1, 2, 3]);
        assert_eq!(downscale_to_fit(f.clone(), 1280, 720), f);
    }

    #[test]
    fn halving_averages() {
        let f = RgbFrame::new(2, 2, vec![0, 0, 0, 4, 4, 4, 8, 8, 8, 12, 12, 12]).expect("size");
        assert_eq!(halve(&f).data(), &[6, 6, 6]);
    }
}
