//! The narrow image type that flows between pipeline stages: an 8-bit RGB
//! frame, row-major, 3 bytes per pixel, no padding.

/// An 8-bit RGB image, row-major, tightly packed (`data.len() == w * h * 3`).
#[derive(Clone, PartialEq, Eq)]
pub struct RgbFrame {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

impl std::fmt::Debug for RgbFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbFrame({}x{})", self.width, self.height)
    }
}

impl RgbFrame {
    /// Wraps packed RGB bytes; `None` when the length does not match the size.
    pub fn new(width: usize, height: usize, data: Vec<u8>) -> Option<Self> {
        let expected = width.checked_mul(height)?.checked_mul(3)?;
        (data.len() == expected && width > 0 && height > 0).then_some(Self {
            width,
            height,
            data,
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The packed RGB bytes, row-major.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// One row of packed RGB bytes.
    pub fn row(&self, y: usize) -> &[u8] {
        let stride = self.width * 3;
        &self.data[y * stride..(y + 1) * stride]
    }

    /// The pixel at (x, y) as `[r, g, b]`.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }
}
