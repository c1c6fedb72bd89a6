//! Which camera to use, as a site or a developer writes it (`--camera`,
//! settings): `auto`, `none`, `replay:<folder>[?fps=N&hold=S&decode=each]`,
//! `v4l:<index>` (or a bare index, or `/dev/video<index>`), `name:<text>`.

use super::replay::ReplayOptions;
use super::source::CameraError;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A parsed camera choice.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraSpec {
    /// The first USB camera that opens.
    Auto,
    /// No camera on this kiosk (CT import only).
    None,
    /// Loop the images of a folder, as if a camera were filming them.
    Replay(ReplayOptions),
    /// The V4L2 device `/dev/video<index>`.
    V4l(u32),
    /// The first camera whose name contains this text (case-insensitive).
    Name(String),
}

impl std::str::FromStr for CameraSpec {
    type Err = CameraError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_camera_spec(s)
    }
}

impl fmt::Display for CameraSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CameraSpec::Auto => write!(f, "auto"),
            CameraSpec::None => write!(f, "none"),
            CameraSpec::V4l(i) => write!(f, "v4l:{i}"),
            CameraSpec::Name(n) => write!(f, "name:{n}"),
            CameraSpec::Replay(r) => {
                write!(f, "replay:{}?fps={}", r.dir.display(), r.fps)?;
                if let Some(h) = r.hold {
                    write!(f, "&hold={}", h.as_secs_f64())?;
                }
                if r.decode_each {
                    write!(f, "&decode=each")?;
                }
                Ok(())
            }
        }
    }
}

/// Parses a camera choice; see the module header for the forms.
pub fn parse_camera_spec(s: &str) -> Result<CameraSpec, CameraError> {
    let t = s.trim();
    let bad = || CameraError::BadSpec(s.to_string());
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "auto" => return Ok(CameraSpec::Auto),
        "none" | "off" => return Ok(CameraSpec::None),
        _ => {}
    }
    if let Some(rest) = strip_prefix_ci(t, "replay:") {
        return parse_replay(rest).ok_or_else(bad);
    }
    if let Some(rest) = strip_prefix_ci(t, "name:") {
        let name = rest.trim();
        return if name.is_empty() {
            Err(bad())
        } else {
            Ok(CameraSpec::Name(name.to_string()))
        };
    }
    let index = strip_prefix_ci(t, "v4l:")
        .or_else(|| t.strip_prefix("/dev/video"))
        .unwrap_or(t);
    if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) {
        return index.parse().map(CameraSpec::V4l).map_err(|_| bad());
    }
    Err(bad())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `<dir>[?key=value&...]`; the query starts at the last `?`.
fn parse_replay(rest: &str) -> Option<CameraSpec> {
    let (dir, query) = match rest.rfind('?') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if dir.is_empty() {
        return None;
    }
    let mut opts = ReplayOptions::new(PathBuf::from(dir));
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=')?;
        match key.trim().to_ascii_lowercase().as_str() {
            "fps" => {
                let fps: f64 = value.trim().parse().ok()?;
                (fps.is_finite() && (0.0..=1000.0).contains(&fps)).then_some(())?;
                opts.fps = fps;
            }
            "hold" => {
                let secs: f64 = value.trim().parse().ok()?;
                (secs.is_finite() && (0.0..=3600.0).contains(&secs)).then_some(())?;
                opts.hold = (secs > 0.0).then(|| Duration::from_secs_f64(secs));
            }
            "decode" => match value.trim() {
                "each" => opts.decode_each = true,
                "once" => opts.decode_each = false,
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(CameraSpec::Replay(opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_forms() {
        assert_eq!(parse_camera_spec("auto"), Ok(CameraSpec::Auto));
        assert_eq!(parse_camera_spec(" AUTO "), Ok(CameraSpec::Auto));
        assert_eq!(parse_camera_spec("none"), Ok(CameraSpec::None));
        assert_eq!(parse_camera_spec("v4l:2"), Ok(CameraSpec::V4l(2)));
        assert_eq!(parse_camera_spec("0"), Ok(CameraSpec::V4l(0)));
        assert_eq!(parse_camera_spec("/dev/video3"), Ok(CameraSpec::V4l(3)));
        assert_eq!(
            parse_camera_spec("name:Dermlite"),
            Ok(CameraSpec::Name("Dermlite".into()))
        );
    }

    #[test]
    fn replay_with_options() {
        let CameraSpec::Replay(r) =
            parse_camera_spec("replay:/data/imgs?fps=12.5&hold=2").expect("valid")
        else {
            panic!("not a replay")
        };
        assert_eq!(r.dir, PathBuf::from("/data/imgs"));
        assert_eq!(r.fps, 12.5);
        assert_eq!(r.hold, Some(Duration::from_secs(2)));
        assert!(!r.decode_each);
        let CameraSpec::Replay(r) = parse_camera_spec("replay:imgs").expect("valid") else {
            panic!("not a replay")
        };
        assert_eq!(r.fps, 30.0);
        let s = parse_camera_spec("replay:a?fps=5&decode=each").expect("valid");
        assert_eq!(parse_camera_spec(&s.to_string()), Ok(s));
    }

    #[test]
    fn nonsense_is_refused() {
        for s in [
            "",
            "   ",
            "usb",
            "v4l:",
            "v4l:-1",
            "v4l:x",
            "name:",
            "replay:",
            "replay:?fps=3",
            "replay:d?fps=fast",
            "replay:d?fps=-3",
            "replay:d?speed=3",
            "99999999999",
        ] {
            assert!(
                matches!(parse_camera_spec(s), Err(CameraError::BadSpec(_))),
                "{s:?} was accepted"
            );
        }
    }
}
