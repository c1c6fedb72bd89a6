//! Image statistics measured on the fitted frame (exactly what the model sees):
//! brightness, contrast, clipping, sharpness, and the colour layout that tells
//! one kind of medical image from another. Pure and cheap: one pass over the
//! pixels, one over the luma plane.

use crate::frame::RgbFrame;

/// A pixel is near-black when no channel exceeds this (a fundus camera's
/// surround, a lens cap, the pupil in shadow).
pub const NEAR_BLACK: u8 = 32;
/// A pixel is coloured when its channel spread (max - min) is at least this
/// fraction of its brightest channel (HSV saturation) ...
pub const COLOUR_SATURATION: f32 = 0.2;
/// ... and at least this many levels (JPEG noise on grey stays below).
/// Relative, so a dim colour photo still counts as colour.
pub const COLOUR_MIN_SPREAD: u8 = 8;
/// A lit pixel is red-dominant when red >= this x green (fundus: nearly all).
pub const RED_OVER_GREEN: f32 = 1.8;
/// Laplacian values within this many pixels of a near-black pixel are ignored,
/// so a crisp black border (a fundus camera's field stop) does not pass for
/// detail in an out-of-focus image.
const EDGE_GUARD: usize = 4;
/// Corner patches are 1/8 of each side (28 px of 224).
const CORNER_DIV: usize = 8;

/// What [`measure`] reports about one fitted frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metrics {
    /// Mean BT.601 luma, 0..255.
    pub mean_luma: f32,
    /// Standard deviation of luma (contrast).
    pub std_luma: f32,
    /// Fraction of pixels that are near-black ([`NEAR_BLACK`]).
    pub dark_fraction: f32,
    /// Fraction of pixels with a channel clipped at 255.
    pub saturated_fraction: f32,
    /// Variance of the 4-neighbour Laplacian of luma away from near-black
    /// regions (low = blurred).
    pub laplacian_var: f32,
    /// Fraction of coloured pixels ([`COLOUR_SATURATION`], [`COLOUR_MIN_SPREAD`]).
    pub colour_fraction: f32,
    /// Fraction of the four corner patches that is near-black. Recorded, not
    /// used by the kind rules: the sample fundus photos have no dark corners
    /// in the centre crop, and dermatoscopes often do.
    pub corner_dark_fraction: f32,
    /// Mean red / mean green over the central half of the frame. Recorded, not
    /// used by the kind rules: skin lesions reach 2.8, fundus photos 2.3-3.8.
    pub centre_red_ratio: f32,
    /// Fraction of lit (not near-black) pixels with red >= [`RED_OVER_GREEN`] x green.
    pub red_fraction: f32,
    /// Mean blue / mean green over lit pixels (fundus photos have little blue).
    pub blue_green_ratio: f32,
}

/// BT.601 luma in 1/256 steps (77 + 150 + 29 = 256): 0 ..= 255 * 256.
fn luma_fixed(r: u32, g: u32, b: u32) -> u32 {
    77 * r + 150 * g + 29 * b
}

fn ratio(num: u64, den: u64) -> f32 {
    if den == 0 {
        0.0
    } else {
        (num as f64 / den as f64) as f32
    }
}

/// Measures a fitted frame. Frames smaller than 3x3 report zero sharpness.
pub fn measure(fitted: &RgbFrame) -> Metrics {
    let (w, h) = (fitted.width(), fitted.height());
    let n = (w * h) as u64;
    // Ratios as integers: red >= 1.8 green is 5 red >= 9 green, and so on.
    let red_num = (RED_OVER_GREEN * 5.0).round() as u32;
    let sat_pct = (COLOUR_SATURATION * 100.0).round() as u32;
    let (near_black, min_spread) = (u32::from(NEAR_BLACK), u32::from(COLOUR_MIN_SPREAD));
    let mut luma = Vec::with_capacity(w * h);
    let mut black = Vec::with_capacity(w * h);
    let (mut sum, mut sum2) = (0u64, 0u64);
    let (mut dark, mut clipped, mut coloured, mut reddish) = (0u64, 0u64, 0u64, 0u64);
    let (mut corner, mut corner_black) = (0u64, 0u64);
    let (mut centre_r, mut centre_g) = (0u64, 0u64);
    let (mut lit_g, mut lit_b) = (0u64, 0u64);
    let (cw, ch) = ((w / CORNER_DIV).max(1), (h / CORNER_DIV).max(1));
    let (x0, x1, y0, y1) = (w / 4, w - w / 4, h / 4, h - h / 4);
    for y in 0..h {
        let corner_row = y < ch || y >= h - ch;
        let centre_row = y >= y0 && y < y1;
        for (x, p) in fitted.row(y).chunks_exact(3).enumerate() {
            let (r, g, b) = (u32::from(p[0]), u32::from(p[1]), u32::from(p[2]));
            let l = luma_fixed(r, g, b);
            luma.push(l as i32);
            sum += u64::from(l);
            sum2 += u64::from(l) * u64::from(l);
            let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
            let is_black = mx <= near_black;
            black.push(is_black);
            dark += u64::from(is_black);
            if !is_black {
                lit_g += u64::from(g);
                lit_b += u64::from(b);
                reddish += u64::from(5 * r >= red_num * g);
            }
            clipped += u64::from(mx == 255);
            let spread = mx - mn;
            coloured += u64::from(spread >= min_spread && 100 * spread >= sat_pct * mx);
            if corner_row && (x < cw || x >= w - cw) {
                corner += 1;
                corner_black += u64::from(is_black);
            }
            if centre_row && x >= x0 && x < x1 {
                centre_r += u64::from(r);
                centre_g += u64::from(g);
            }
        }
    }
    let mean = sum as f64 / n as f64 / 256.0;
    let var = (sum2 as f64 / n as f64 / 65536.0 - mean * mean).max(0.0);
    let lap_guard = (dark > 0).then(|| near_black_nearby(&black, w, h));
    Metrics {
        mean_luma: mean as f32,
        std_luma: var.sqrt() as f32,
        dark_fraction: ratio(dark, n),
        saturated_fraction: ratio(clipped, n),
        laplacian_var: laplacian_var(&luma, lap_guard.as_deref(), w, h),
        colour_fraction: ratio(coloured, n),
        corner_dark_fraction: ratio(corner_black, corner),
        centre_red_ratio: ratio(centre_r, centre_g.max(1)),
        red_fraction: ratio(reddish, n - dark),
        blue_green_ratio: ratio(lit_b, lit_g.max(1)),
    }
}

/// For each pixel: is a near-black pixel within [`EDGE_GUARD`] (a square
/// window)? Two separable running counts.
fn near_black_nearby(black: &[bool], w: usize, h: usize) -> Vec<bool> {
    let g = EDGE_GUARD;
    let mut rows = vec![0u16; w * h];
    for (src, dst) in black.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        let mut count: u16 = src[..g.min(w)].iter().map(|&b| u16::from(b)).sum();
        for x in 0..w {
            if x + g < w {
                count += u16::from(src[x + g]);
            }
            dst[x] = count;
            if x >= g {
                count -= u16::from(src[x - g]);
            }
        }
    }
    let mut out = vec![false; w * h];
    let mut count: Vec<u16> = vec![0; w];
    for row in rows.chunks_exact(w).take(g.min(h)) {
        count.iter_mut().zip(row).for_each(|(c, &v)| *c += v);
    }
    for y in 0..h {
        if y + g < h {
            count
                .iter_mut()
                .zip(&rows[(y + g) * w..(y + g + 1) * w])
                .for_each(|(c, &v)| *c += v);
        }
        out[y * w..(y + 1) * w]
            .iter_mut()
            .zip(&count)
            .for_each(|(o, &c)| *o = c > 0);
        if y >= g {
            count
                .iter_mut()
                .zip(&rows[(y - g) * w..(y - g + 1) * w])
                .for_each(|(c, &v)| *c -= v);
        }
    }
    out
}

/// Variance of `l(x-1) + l(x+1) + l(y-1) + l(y+1) - 4 l(x, y)` (luma in 1/256
/// steps) over interior pixels not flagged in `skip`; 0 when none qualify.
fn laplacian_var(luma: &[i32], skip: Option<&[bool]>, w: usize, h: usize) -> f32 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let (mut s, mut s2, mut count) = (0i64, 0i64, 0u64);
    for y in 1..h - 1 {
        let (up, row, down) = (
            &luma[(y - 1) * w..y * w],
            &luma[y * w..(y + 1) * w],
            &luma[(y + 1) * w..(y + 2) * w],
        );
        let laps = row
            .windows(3)
            .zip(&up[1..])
            .zip(&down[1..])
            .map(|((c, &u), &d)| i64::from(c[0] + c[2] + u + d - 4 * c[1]));
        match skip {
            None => {
                for v in laps {
                    s += v;
                    s2 += v * v;
                }
                count += (w - 2) as u64;
            }
            Some(skip) => {
                for (v, _) in laps
                    .zip(&skip[y * w + 1..(y + 1) * w - 1])
                    .filter(|(_, &k)| !k)
                {
                    s += v;
                    s2 += v * v;
                    count += 1;
                }
            }
        }
    }
    if count == 0 {
        return 0.0;
    }
    let mean = s as f64 / count as f64;
    ((s2 as f64 / count as f64 - mean * mean) / 65536.0).max(0.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> RgbFrame {
        let f = &f;
        let data = (0..h)
            .flat_map(|y| (0..w).flat_map(move |x| f(x, y)))
            .collect();
        RgbFrame::new(w, h, data).expect("valid size")
    }

    #[test]
    fn uniform_grey_is_flat_and_colourless() {
        let m = measure(&frame(224, 224, |_, _| [128, 128, 128]));
        assert!((m.mean_luma - 128.0).abs() < 0.01, "{m:?}");
        assert_eq!(
            (m.std_luma, m.laplacian_var, m.colour_fraction),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(
            (
                m.saturated_fraction,
                m.dark_fraction,
                m.corner_dark_fraction
            ),
            (0.0, 0.0, 0.0)
        );
        assert!((m.centre_red_ratio - 1.0).abs() < 1e-6 && (m.blue_green_ratio - 1.0).abs() < 1e-6);
    }

    #[test]
    fn checkerboard_is_sharp_and_half_dark() {
        let m = measure(&frame(64, 64, |x, y| {
            if (x + y) % 2 == 0 {
                [0; 3]
            } else {
                [255; 3]
            }
        }));
        assert!(
            (m.mean_luma - 127.5).abs() < 0.01 && (m.std_luma - 127.5).abs() < 0.01,
            "{m:?}"
        );
        assert_eq!(m.dark_fraction, 0.5);
        assert_eq!(m.saturated_fraction, 0.5);
        // Every Laplacian touches a black pixel, so none is counted.
        assert_eq!(m.laplacian_var, 0.0);
    }

    #[test]
    fn sharp_grey_detail_has_a_high_laplacian() {
        let m = measure(&frame(64, 64, |x, y| {
            if (x / 2 + y / 2) % 2 == 0 {
                [60; 3]
            } else {
                [200; 3]
            }
        }));
        assert!(m.laplacian_var > 10_000.0, "{m:?}");
    }

    #[test]
    fn orange_disc_on_black_looks_like_a_fundus() {
        let m = measure(&frame(224, 224, |x, y| {
            let (dx, dy) = (x as f32 - 111.5, y as f32 - 111.5);
            if dx * dx + dy * dy > 110.0 * 110.0 {
                [2, 2, 2]
            } else {
                [200, 80, 30]
            }
        }));
        assert_eq!(m.corner_dark_fraction, 1.0);
        assert!((m.centre_red_ratio - 2.5).abs() < 1e-3);
        assert_eq!(m.red_fraction, 1.0);
        assert!((m.blue_green_ratio - 0.375).abs() < 1e-3);
        assert_eq!(m.colour_fraction, 1.0 - m.dark_fraction);
    }

    #[test]
    fn colour_is_relative_to_brightness() {
        // Skin tone at full and at 15% brightness: coloured both times.
        assert_eq!(
            measure(&frame(8, 8, |_, _| [200, 150, 130])).colour_fraction,
            1.0
        );
        assert_eq!(
            measure(&frame(8, 8, |_, _| [30, 22, 19])).colour_fraction,
            1.0
        );
        // JPEG-like noise on grey is not colour.
        assert_eq!(
            measure(&frame(8, 8, |x, _| [120, 120 + (x % 3) as u8, 118])).colour_fraction,
            0.0
        );
        // One clipped channel counts as clipped.
        assert_eq!(
            measure(&frame(8, 8, |_, _| [255, 180, 90])).saturated_fraction,
            1.0
        );
        assert_eq!(
            measure(&frame(8, 8, |_, _| [254, 254, 254])).saturated_fraction,
            0.0
        );
    }

    #[test]
    fn a_crisp_black_border_is_not_detail() {
        // A flat disc on black: all the Laplacian energy is at the border.
        let m = measure(&frame(224, 224, |x, y| {
            let (dx, dy) = (x as f32 - 111.5, y as f32 - 111.5);
            if dx * dx + dy * dy > 100.0 * 100.0 {
                [0, 0, 0]
            } else {
                [180, 90, 40]
            }
        }));
        assert!(m.laplacian_var < 0.01, "{m:?}");
    }

    #[test]
    fn tiny_frames_do_not_panic() {
        let m = measure(&frame(1, 1, |_, _| [10, 20, 30]));
        assert_eq!(m.laplacian_var, 0.0);
        let m = measure(&frame(2, 5, |_, _| [0, 0, 0]));
        assert_eq!((m.red_fraction, m.blue_green_ratio), (0.0, 0.0));
    }
}
