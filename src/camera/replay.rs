//! A camera stand-in that loops the images of a folder (`--camera
//! replay:<dir>?fps=30`): for demos, tests and benches on machines without a
//! camera. Images are taken in name order, decoded once with the kiosk's own
//! decoder and cached (files that do not decode are skipped with a warning),
//! and handed out at the set frame rate; the still is the image on show, at
//! full resolution. A JPEG file stands for an MJPEG camera's frame: its
//! still carries the file's bytes as the camera's own JPEG (see [`Still`]).

use super::scale::downscale_to_fit;
use super::source::{CameraError, FrameSource, Still};
use crate::decode::{self, Limits};
use crate::frame::RgbFrame;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Decoded images cached in memory at most; beyond this, the remaining images
/// are kept as file bytes and decoded when shown.
const CACHE_BUDGET_BYTES: usize = 512 << 20;
/// Images taken from one folder at most.
const MAX_IMAGES: usize = 1000;

/// How a folder is replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    pub dir: PathBuf,
    /// Frames per second handed out; 0 hands them out as fast as asked.
    pub fps: f64,
    /// Show each image this long before the next (default: a new image
    /// every frame).
    pub hold: Option<Duration>,
    /// Decode the file for every frame, as an MJPEG camera's frames are
    /// decoded, instead of decoding it once (for benches).
    pub decode_each: bool,
    /// Scale preview frames (not stills) to fit within this size, once.
    pub preview_max: Option<(usize, usize)>,
}

impl ReplayOptions {
    /// 30 fps, a new image every frame, decoded once, previews at full size.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ReplayOptions {
            dir: dir.into(),
            fps: 30.0,
            hold: None,
            decode_each: false,
            preview_max: None,
        }
    }
}

enum Pixels {
    Cached {
        full: RgbFrame,
        preview: Option<RgbFrame>,
    },
    /// Decoded from the file's bytes each time it is shown.
    Encoded,
}

struct Image {
    name: String,
    pixels: Pixels,
    /// The file's bytes, kept when they are decoded for each frame or when
    /// they are a JPEG (then they are the "camera's" own compressed frame).
    bytes: Option<Vec<u8>>,
    is_jpeg: bool,
}

/// Loops a folder of images; see the module header.
pub struct ReplaySource {
    opts: ReplayOptions,
    images: Vec<Image>,
    /// The image on show (the last one handed out).
    current: usize,
    shown_since: Option<Instant>,
    next_due: Option<Instant>,
}

impl ReplaySource {
    /// Reads and decodes the folder's images; an error when none decodes.
    pub fn open(opts: ReplayOptions) -> Result<Self, CameraError> {
        let files = list_files(&opts.dir)?;
        let limits = Limits::default();
        let mut images = Vec::new();
        let mut cached_bytes = 0usize;
        for path in files.into_iter().take(MAX_IMAGES) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let decoded = decode::read_file(&path)
                .and_then(|bytes| decode::decode(&bytes, &limits).map(|(_, f)| (bytes, f)));
            let (bytes, full) = match decoded {
                Ok(ok) => ok,
                Err(e) => {
                    log::warn!("replay: skipping {}: {e}", path.display());
                    continue;
                }
            };
            let size = full.data().len();
            let is_jpeg = decode::sniff(&bytes) == Some(decode::ImageFormat::Jpeg);
            let encoded = opts.decode_each || cached_bytes + size > CACHE_BUDGET_BYTES;
            let pixels = if encoded {
                Pixels::Encoded
            } else {
                cached_bytes += size;
                let preview = opts
                    .preview_max
                    .map(|(w, h)| downscale_to_fit(full.clone(), w, h))
                    .filter(|p| p.width() != full.width() || p.height() != full.height());
                Pixels::Cached { full, preview }
            };
            images.push(Image {
                name,
                pixels,
                bytes: (encoded || is_jpeg).then_some(bytes),
                is_jpeg,
            });
        }
        if images.is_empty() {
            return Err(CameraError::Replay(format!(
                "no image in {} could be decoded",
                opts.dir.display()
            )));
        }
        log::info!(
            "replay: {} images from {} at {} fps",
            images.len(),
            opts.dir.display(),
            opts.fps
        );
        Ok(ReplaySource {
            opts,
            images,
            current: 0,
            shown_since: None,
            next_due: None,
        })
    }

    /// How many images are looped.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Never true: opening fails when no image decodes.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The file name of the image on show.
    pub fn current_name(&self) -> &str {
        self.images
            .get(self.current)
            .map_or("", |i| i.name.as_str())
    }

    /// Sleeps until the next frame is due.
    fn pace(&mut self) {
        if self.opts.fps.is_nan() || self.opts.fps <= 0.0 {
            return;
        }
        let period = Duration::from_secs_f64(1.0 / self.opts.fps);
        if let Some(due) = self.next_due {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let now = Instant::now();
        // Keep the cadence, but do not burst to catch up after a stall.
        let base = match self.next_due {
            Some(due) if now.saturating_duration_since(due) < period => due,
            _ => now,
        };
        self.next_due = Some(base + period);
    }

    fn advance(&mut self) {
        let now = Instant::now();
        let move_on = match (self.shown_since, self.opts.hold) {
            (None, _) => false,
            (Some(t), Some(hold)) => now.duration_since(t) >= hold,
            (Some(_), None) => true,
        };
        if move_on {
            self.current = (self.current + 1) % self.images.len();
        }
        if move_on || self.shown_since.is_none() {
            self.shown_since = Some(now);
        }
    }

    fn pixels(&self, preview: bool) -> Result<RgbFrame, CameraError> {
        let image = self
            .images
            .get(self.current)
            .ok_or_else(|| CameraError::Replay("no image to show".into()))?;
        match &image.pixels {
            Pixels::Cached {
                preview: Some(p), ..
            } if preview => Ok(p.clone()),
            Pixels::Cached { full, .. } => Ok(full.clone()),
            Pixels::Encoded => {
                let bytes = image.bytes.as_deref().unwrap_or_default();
                let (_, full) = decode::decode(bytes, &Limits::default())
                    .map_err(|e| CameraError::BadFrame(format!("{}: {e}", image.name)))?;
                Ok(match (preview, self.opts.preview_max) {
                    (true, Some((w, h))) => downscale_to_fit(full, w, h),
                    _ => full,
                })
            }
        }
    }
}

impl FrameSource for ReplaySource {
    fn describe(&self) -> String {
        format!(
            "replay of {} images from {} at {} fps",
            self.images.len(),
            self.opts.dir.display(),
            self.opts.fps
        )
    }

    /// A replayed folder stands in for a camera: demos, tests, benches.
    fn label(&self) -> String {
        "Demo camera".into()
    }

    fn next_frame(&mut self) -> Result<RgbFrame, CameraError> {
        self.pace();
        self.advance();
        self.pixels(true)
    }

    /// The image on show; a JPEG file's bytes come with it as the camera's
    /// own JPEG (its picture is their decode with the default limits, as
    /// [`Still::from_jpeg`] decodes).
    fn capture_still(&mut self) -> Result<Still, CameraError> {
        let full = self.pixels(false)?;
        let jpeg = self
            .images
            .get(self.current)
            .filter(|i| i.is_jpeg)
            .and_then(|i| i.bytes.clone());
        Ok(match jpeg {
            Some(jpeg) => Still::decoded_jpeg(jpeg, full),
            None => Still::raw(full),
        })
    }
}

/// The folder's files (not sub-folders), sorted by name.
fn list_files(dir: &Path) -> Result<Vec<PathBuf>, CameraError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CameraError::Replay(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_png(dir: &Path, name: &str, w: u32, h: u32, v: u8) {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([v, v, v]));
        img.save(dir.join(name)).expect("write png");
    }

    #[test]
    fn loops_in_name_order_and_skips_junk() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_png(dir.path(), "b.png", 40, 30, 20);
        write_png(dir.path(), "a.png", 40, 30, 10);
        std::fs::write(dir.path().join("c.jpg"), b"not a jpeg").expect("write");
        let mut opts = ReplayOptions::new(dir.path());
        opts.fps = 0.0;
        let mut src = ReplaySource::open(opts).expect("opens");
        assert_eq!(src.len(), 2);
        let seen: Vec<u8> = (0..5)
            .map(|_| src.next_frame().expect("frame").data()[0])
            .collect();
        assert_eq!(seen, [10, 20, 10, 20, 10]);
        assert_eq!(src.current_name(), "a.png");
    }

    #[test]
    fn preview_is_scaled_and_still_is_full() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_png(dir.path(), "big.png", 400, 300, 50);
        let mut opts = ReplayOptions::new(dir.path());
        opts.fps = 0.0;
        opts.preview_max = Some((100, 100));
        for decode_each in [false, true] {
            opts.decode_each = decode_each;
            let mut src = ReplaySource::open(opts.clone()).expect("opens");
            let p = src.next_frame().expect("frame");
            assert_eq!((p.width(), p.height()), (100, 75));
            let s = src.capture_still().expect("still");
            assert_eq!((s.frame().width(), s.frame().height()), (400, 300));
            assert_eq!(s.jpeg(), None, "a PNG is no camera JPEG");
        }
    }

    #[test]
    fn a_jpeg_file_is_the_camera_jpeg_of_its_still() {
        let dir = tempfile::tempdir().expect("tempdir");
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
            .encode_image(&img)
            .expect("encode");
        std::fs::write(dir.path().join("a.jpg"), &jpeg).expect("write");
        let (_, decoded) = decode::decode(&jpeg, &Limits::default()).expect("decode");
        let mut opts = ReplayOptions::new(dir.path());
        opts.fps = 0.0;
        for decode_each in [false, true] {
            opts.decode_each = decode_each;
            let mut src = ReplaySource::open(opts.clone()).expect("opens");
            src.next_frame().expect("frame");
            let still = src.capture_still().expect("still");
            assert_eq!(still.jpeg(), Some(jpeg.as_slice()));
            assert_eq!(*still.frame(), decoded);
        }
    }

    #[test]
    fn hold_keeps_an_image_on_show() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_png(dir.path(), "a.png", 20, 20, 1);
        write_png(dir.path(), "b.png", 20, 20, 2);
        let mut opts = ReplayOptions::new(dir.path());
        opts.fps = 0.0;
        opts.hold = Some(Duration::from_secs(60));
        let mut src = ReplaySource::open(opts).expect("opens");
        for _ in 0..4 {
            assert_eq!(src.next_frame().expect("frame").data()[0], 1);
        }
    }

    #[test]
    fn empty_or_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            ReplaySource::open(ReplayOptions::new(dir.path())),
            Err(CameraError::Replay(_))
        ));
        assert!(matches!(
            ReplaySource::open(ReplayOptions::new(dir.path().join("missing"))),
            Err(CameraError::Replay(_))
        ));
    }
}
