//! Small previews for the import grid: the slice decoded as the analysis would
//! decode it (the DICOM lung window included), then shrunk by averaging boxes
//! of pixels. For display only; the model never sees a preview.

use super::ImportError;
use crate::decode::{self, Limits};
use crate::frame::RgbFrame;
use std::path::Path;

/// A preview of the image file at `path` whose longer side is at most `max_side`
/// (smaller images are not enlarged).
pub fn thumbnail(path: &Path, max_side: usize) -> Result<RgbFrame, ImportError> {
    if max_side == 0 {
        return Err(ImportError::PreviewSize);
    }
    let slice_error = |source| ImportError::Slice {
        name: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        source,
    };
    let bytes = decode::read_file(path).map_err(slice_error)?;
    let (_, frame) = decode::decode(&bytes, &Limits::default()).map_err(slice_error)?;
    Ok(downscale(&frame, max_side))
}

/// Shrinks `frame` so its longer side is at most `max_side` (at least 1),
/// keeping the aspect ratio; each output pixel is the rounded mean of the
/// source pixels that fall in it.
pub fn downscale(frame: &RgbFrame, max_side: usize) -> RgbFrame {
    let (w, h) = (frame.width(), frame.height());
    let longest = w.max(h);
    let max_side = max_side.max(1);
    if longest <= max_side {
        return frame.clone();
    }
    let scaled = |side: usize| ((side * max_side + longest / 2) / longest).clamp(1, max_side);
    let (tw, th) = (scaled(w), scaled(h));
    let mut sums = vec![0u64; tw * th * 3];
    let mut counts = vec![0u64; tw * th];
    let columns: Vec<usize> = (0..w).map(|x| x * tw / w).collect();
    for y in 0..h {
        let oy = y * th / h;
        for (x, px) in frame.row(y).chunks_exact(3).enumerate() {
            let o = oy * tw + columns[x];
            counts[o] += 1;
            for (s, &v) in sums[o * 3..o * 3 + 3].iter_mut().zip(px) {
                *s += u64::from(v);
            }
        }
    }
    let data = sums
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let n = counts[i / 3].max(1);
            ((s + n / 2) / n) as u8
        })
        .collect();
    // Sizes and lengths agree by construction; fall back to the original if not.
    RgbFrame::new(tw, th, data).unwrap_or_else(|| frame.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_are_averaged_and_aspect_kept() {
        // 4x2: left half black, right half white → 2x1: black, white.
        let row = [[0u8; 3], [0; 3], [255; 3], [255; 3]].concat();
        let f = RgbFrame::new(4, 2, [row.clone(), row].concat()).unwrap();
        let t = downscale(&f, 2);
        assert_eq!((t.width(), t.height()), (2, 1));
        assert_eq!(t.pixel(0, 0), [0, 0, 0]);
        assert_eq!(t.pixel(1, 0), [255, 255, 255]);
    }

    #[test]
    fn small_images_are_not_enlarged_and_thin_ones_keep_a_pixel() {
        let f = RgbFrame::new(3, 3, vec![7; 27]).unwrap();
        assert_eq!(downscale(&f, 100), f);
        let thin = RgbFrame::new(1000, 1, vec![9; 3000]).unwrap();
        let t = downscale(&thin, 10);
        assert_eq!((t.width(), t.height()), (10, 1));
        assert_eq!(t.pixel(5, 0), [9, 9, 9]);
    }
}
