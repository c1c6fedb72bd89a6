//! `onemed admin reset-pin` through the real binary with the PIN piped in:
//! a damaged `admin.toml` kept beside the new one, the readable overrides
//! carried over, the lock cleared, and short or mismatching PINs refused.

use super::common::text;
use onemed::admin::{pin, AdminFile};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn reset_pin(data: &Path, stdin: &str, uid: Option<u32>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onemed"));
    cmd.args(["admin", "reset-pin", "--data"])
        .arg(data)
        .env_remove("ONEMED_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(uid) = uid {
        std::os::unix::process::CommandExt::uid(&mut cmd, uid);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const DAMAGED: &str = "operator = \"Nurse Asha\"\ncamera = \"none\"\ncolour = \"blue\"\npin_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g\"\n";

fn damaged_data() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("admin.toml"), DAMAGED).unwrap();
    std::fs::write(d.path().join("admin-lock.toml"), "failures = 20\n").unwrap();
    d
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

#[test]
fn reset_pin_keeps_the_damaged_file_and_the_readable_settings() {
    if !running_as_root() {
        eprintln!("skipped: reset-pin is root-only and this test does not run as root");
        return;
    }
    let d = damaged_data();
    let o = reset_pin(d.path(), "135790\n135790\n", None);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    // The damaged file is kept, byte for byte, under a dated name.
    let kept: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("admin.toml.damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read_to_string(d.path().join(&kept[0])).unwrap(),
        DAMAGED
    );
    assert!(out.contains(&kept[0]), "{out}");
    // The new file: the new PIN, and what could still be read.
    let now = AdminFile::in_dir(d.path()).load().unwrap();
    assert!(pin::verify("135790", now.pin_hash.as_deref().unwrap()));
    assert_eq!(now.operator.as_deref(), Some("Nurse Asha"));
    assert_eq!(now.camera.as_deref(), Some("none"));
    assert!(out.contains("operator") && out.contains("camera"), "{out}");
    // The lock is cleared.
    let lock = std::fs::read_to_string(d.path().join("admin-lock.toml")).unwrap_or_default();
    assert!(!lock.contains("failures = 20"), "{lock}");
    // And the command is in the help.
    let help = text(&super::common::onemed(&["--help"]).stdout);
    assert!(help.contains("admin"), "{help}");
}

#[test]
fn reset_pin_refuses_short_or_mismatching_pins_and_non_root() {
    let d = damaged_data();
    if running_as_root() {
        for (stdin, why) in [
            ("12345\n12345\n", "6 to 12 digits"),
            ("135790\n135791\n", "differ"),
        ] {
            let o = reset_pin(d.path(), stdin, None);
            assert_eq!(o.status.code(), Some(2), "{stdin:?}");
            assert!(text(&o.stderr).contains(why), "{}", text(&o.stderr));
        }
        let o = reset_pin(d.path(), "135790\n135790\n", Some(65534));
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o.stderr).contains("root"), "{}", text(&o.stderr));
    } else {
        let o = reset_pin(d.path(), "135790\n135790\n", None);
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o.stderr).contains("root"), "{}", text(&o.stderr));
    }
    // Nothing was changed.
    assert_eq!(
        std::fs::read_to_string(d.path().join("admin.toml")).unwrap(),
        DAMAGED
    );
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 2);
}
