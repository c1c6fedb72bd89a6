//! The kiosk firmware under systemd: the unit passes `systemd-analyze verify`
//! and scores at most 2.0 on `systemd-analyze security`; the sysusers file
//! creates the kiosk user with only its device groups; the real kiosk binary
//! (under Xvfb) sends READY=1 and watchdog pings that stop while the process
//! is frozen; `scripts/install.sh` lays out a tree that `onemed` can run from.

use crate::common;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = "onemed-kiosk.service";
const TOOLS: [&str; 5] = [
    "cataract",
    "diabetic-retinopathy",
    "redness",
    "skin-lesion",
    "covid-ct",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn unit_text() -> String {
    fs::read_to_string(repo().join("systemd").join(UNIT)).unwrap()
}

/// A copy of the unit in `dir` whose ExecStart runs the binary under test.
fn unit_with_built_binary(dir: &Path) -> PathBuf {
    let text = unit_text().replace("/usr/local/bin/onemed", env!("CARGO_BIN_EXE_onemed"));
    assert!(
        text.contains(env!("CARGO_BIN_EXE_onemed")),
        "ExecStart not found"
    );
    let path = dir.join(UNIT);
    fs::write(&path, text).unwrap();
    path
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/setup-system.sh installs it)"))
}

fn text(o: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    let d = tempfile::tempdir().unwrap();
    let unit = unit_with_built_binary(d.path());
    let o = run(Command::new("systemd-analyze").arg("verify").arg(&unit));
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains(UNIT), "verify complains:\n{stderr}");
}

#[test]
fn verify_would_catch_a_broken_unit() {
    // The same check on the unit as shipped (binary not installed here) and on
    // a misspelt directive must fail, or the test above proves nothing.
    let d = tempfile::tempdir().unwrap();
    let missing = unit_text().replace("/usr/local/bin/onemed", "/nonexistent/onemed");
    fs::write(d.path().join(UNIT), missing).unwrap();
    let o = run(Command::new("systemd-analyze")
        .arg("verify")
        .arg(d.path().join(UNIT)));
    assert!(!o.status.success(), "{}", text(&o));
    let typo = unit_with_built_binary(d.path());
    let t = fs::read_to_string(&typo)
        .unwrap()
        .replace("Type=notify", "Type=notfy");
    fs::write(&typo, t).unwrap();
    let o = run(Command::new("systemd-analyze").arg("verify").arg(&typo));
    // verify exits 0 on a bad value: it only warns, naming the unit.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(UNIT) && stderr.contains("notfy"),
        "{}",
        text(&o)
    );
}

/// "→ Overall exposure level for x.service: 1.2 OK 🙂" → 1.2
fn exposure(report: &str) -> Option<f64> {
    let line = report
        .lines()
        .find(|l| l.contains("Overall exposure level for"))?;
    let after = line.rsplit_once(':')?.1.trim_start();
    after.split_whitespace().next()?.parse().ok()
}

#[test]
fn exposure_is_parsed_from_the_report() {
    assert_eq!(
        exposure("x\n→ Overall exposure level for a.service: 1.2 OK 🙂\n"),
        Some(1.2)
    );
    assert_eq!(
        exposure("→ Overall exposure level for a.service: 9.6 UNSAFE 😨"),
        Some(9.6)
    );
    assert_eq!(exposure("no summary"), None);
}

#[test]
fn security_exposure_is_at_most_2() {
    let d = tempfile::tempdir().unwrap();
    let unit = unit_with_built_binary(d.path());
    let o = run(Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit));
    let report = String::from_utf8_lossy(&o.stdout).to_string();
    let score = exposure(&report).unwrap_or_else(|| panic!("no score in:\n{}", text(&o)));
    assert!(score <= 2.0, "exposure {score} > 2.0:\n{report}");
    // The same tool rates an unhardened service as exposed, so the score is real.
    let bare = d.path().join("bare.service");
    fs::write(
        &bare,
        format!(
            "[Service]\nExecStart={} kiosk\n",
            env!("CARGO_BIN_EXE_onemed")
        ),
    )
    .unwrap();
    let o = run(Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&bare));
    let bare_score = exposure(&String::from_utf8_lossy(&o.stdout)).unwrap();
    assert!(bare_score > 5.0, "bare service scored {bare_score}");
}

#[test]
fn sysusers_creates_the_kiosk_user_with_only_its_device_groups() {
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc");
    fs::create_dir_all(&etc).unwrap();
    // A minimal base system without render/input groups: sysusers must add them.
    fs::write(etc.join("passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    fs::write(
        etc.join("group"),
        "root:x:0:\nvideo:x:44:\ndialout:x:20:\nsudo:x:27:\ndisk:x:6:\n",
    )
    .unwrap();
    let conf = root.path().join("usr/lib/sysusers.d");
    fs::create_dir_all(&conf).unwrap();
    fs::copy(
        repo().join("systemd/onemed.sysusers"),
        conf.join("onemed.conf"),
    )
    .unwrap();
    let o = run(Command::new("systemd-sysusers").arg(format!("--root={}", root.path().display())));
    assert!(o.status.success(), "{}", text(&o));
    let passwd = fs::read_to_string(etc.join("passwd")).unwrap();
    let user = passwd
        .lines()
        .find(|l| l.starts_with("onemed:"))
        .unwrap_or_else(|| panic!("no onemed user in\n{passwd}"));
    let f: Vec<&str> = user.split(':').collect();
    assert_eq!(f[5], "/var/lib/onemed");
    assert_eq!(f[6], "/usr/sbin/nologin");
    assert_ne!(f[2], "0");
    let group = fs::read_to_string(etc.join("group")).unwrap();
    let mut member_of: Vec<&str> = group
        .lines()
        .filter(|l| {
            l.rsplit(':')
                .next()
                .is_some_and(|m| m.split(',').any(|u| u == "onemed"))
        })
        .filter_map(|l| l.split(':').next())
        .collect();
    member_of.sort_unstable();
    assert_eq!(member_of, ["dialout", "input", "render", "video"]);
}

/// Ended on drop by SIGKILL (ends stopped ones too); SIGTERM first for Xvfb's lock files.
struct Reaped(Child, bool);

impl Drop for Reaped {
    fn drop(&mut self) {
        if self.1 {
            let pid = self.0.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Xvfb on the first free display from a per-process starting number.
fn start_xvfb() -> (Reaped, String) {
    let first = 140 + std::process::id() % 300;
    for n in first..first + 40 {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists()
            || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        {
            continue;
        }
        let child = Command::new("Xvfb")
            .arg(format!(":{n}"))
            .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Xvfb: {e} (scripts/setup-system.sh)"));
        let mut x = Reaped(child, true);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return (x, format!(":{n}"));
            }
            if x.0.try_wait().unwrap().is_some() {
                break; // display taken meanwhile: try the next one
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("no free X display for Xvfb");
}

/// Notification datagrams received until `deadline` or until `stop` says so.
fn receive(
    sock: &UnixDatagram,
    deadline: Instant,
    mut stop: impl FnMut(&str) -> bool,
) -> Vec<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            let m = String::from_utf8_lossy(&buf[..n]).to_string();
            let done = stop(&m);
            got.push(m);
            if done {
                break;
            }
        }
    }
    got
}

fn signal(pid: u32, sig: &str) {
    let o = run(Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string()));
    assert!(o.status.success(), "{}", text(&o));
}

fn is_ping(m: &str) -> bool {
    m.lines().any(|l| l == "WATCHDOG=1")
}

#[test]
fn kiosk_sends_ready_then_watchdog_pings_that_stop_while_frozen() {
    let d = tempfile::tempdir().unwrap();
    let (_xvfb, display) = start_xvfb();
    let sock_path = d.path().join("notify");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let config = d.path().join("kiosk.toml");
    fs::write(&config, "").unwrap(); // defaults, whatever /etc/onemed holds
    let log = d.path().join("kiosk.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onemed"));
    cmd.args(["--config"])
        .arg(&config)
        .args(["kiosk", "--camera", "none"])
        .env("DISPLAY", &display)
        .env("SLINT_BACKEND", "winit-software")
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "1000000")
        .env_remove("WATCHDOG_PID")
        .env("ONEMED_MODELS", common::models_dir())
        .env("XDG_DATA_HOME", d.path().join("data"))
        .env("XDG_CACHE_HOME", d.path().join("cache"))
        .env_remove("STATE_DIRECTORY")
        .env_remove("CACHE_DIRECTORY")
        .env_remove("ONEMED_CONFIG")
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).unwrap());
    if let Some(ov) = std::env::var_os("OPENVINO_INSTALL_DIR") {
        cmd.env("OPENVINO_INSTALL_DIR", ov);
    }
    let kiosk = Reaped(cmd.spawn().unwrap(), false);
    let pid = kiosk.0.id();
    let log_text = || fs::read_to_string(&log).unwrap_or_default();

    let got = receive(&sock, Instant::now() + Duration::from_secs(180), |m| {
        m.lines().any(|l| l == "READY=1")
    });
    assert!(
        got.iter()
            .any(|m| m.contains("READY=1\nSTATUS=home screen ready")),
        "no READY=1; got {got:?}\n{}",
        log_text()
    );

    let mut pings = 0;
    let got = receive(&sock, Instant::now() + Duration::from_secs(30), |m| {
        pings += usize::from(is_ping(m));
        pings >= 3
    });
    assert!(
        pings >= 3,
        "{pings} pings after READY: {got:?}\n{}",
        log_text()
    );

    // Frozen: pings already in flight are drained, then none may come.
    signal(pid, "STOP");
    receive(&sock, Instant::now() + Duration::from_millis(300), |_| {
        false
    });
    let frozen = receive(&sock, Instant::now() + Duration::from_secs(3), |_| false);
    let frozen_pings = frozen.iter().filter(|m| is_ping(m)).count();
    signal(pid, "CONT");
    assert_eq!(frozen_pings, 0, "pings while stopped: {frozen:?}");

    // Thawed, the same process pings again.
    let again = receive(&sock, Instant::now() + Duration::from_secs(30), is_ping);
    assert!(
        again.iter().any(|m| is_ping(m)),
        "no ping after SIGCONT: {again:?}"
    );
}

/// The venv holding the openvino wheel (the Makefile exports its path).
fn venv() -> PathBuf {
    std::env::var_os("OPENVINO_INSTALL_DIR")
        .map(PathBuf::from)
        .filter(|p| p.join("lib").is_dir())
        .unwrap_or_else(|| repo().join(".venv"))
}

fn install(destdir: &Path, prefix: &str) -> Output {
    run(Command::new("bash")
        .arg(repo().join("scripts/install.sh"))
        .env("DESTDIR", destdir)
        .env("PREFIX", prefix)
        .env("BIN", env!("CARGO_BIN_EXE_onemed"))
        .env("SHARED", common::shared_dir())
        .env("VENV", venv())
        .env_remove("UNITDIR"))
}

/// Relative paths of the files under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn install_lays_out_a_tree_that_runs_and_keeps_site_settings() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    let o = install(&root, "/usr/local");
    assert!(o.status.success(), "{}", text(&o));

    let bin = root.join("usr/local/bin/onemed");
    assert!(fs::metadata(&bin).unwrap().permissions().mode() & 0o111 != 0);
    let unit = fs::read_to_string(root.join("etc/systemd/system").join(UNIT)).unwrap();
    assert!(unit.contains("\nExecStart=/usr/local/bin/onemed kiosk --fullscreen\n"));
    assert!(root.join("etc/sysusers.d/onemed.conf").is_file());
    assert!(root.join("etc/modules-load.d/onemed.conf").is_file());
    let conf = root.join("etc/onemed/kiosk.toml");
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        fs::read_to_string(repo().join("systemd/kiosk.toml")).unwrap()
    );
    assert_eq!(
        files_under(&root.join("opt/onemed/models")),
        files_under(&common::models_dir())
    );

    // USB sticks: the udev rule that mounts them read-only, the unit that
    // makes one writable, the polkit rule that lets the kiosk start it, and
    // the command the installed settings name for it.
    let rules =
        fs::read_to_string(root.join("etc/udev/rules.d/90-onemed-usb-sticks.rules")).unwrap();
    assert!(
        rules.contains("systemd-mount") && rules.contains("--options=ro,"),
        "{rules}"
    );
    assert!(root
        .join("etc/systemd/system/onemed-stick-rw@.service")
        .is_file());
    assert!(root
        .join("etc/polkit-1/rules.d/50-onemed-sticks.rules")
        .is_file());
    let write = root.join("usr/local/lib/onemed/stick-write");
    assert!(fs::metadata(&write).unwrap().permissions().mode() & 0o111 != 0);

    // As installed, the settings name the fixed places the runtime finder knows.
    let s = onemed::settings::Settings::read(&conf).unwrap();
    let opt = Path::new(onemed::engine::runtime::INSTALLED_RUNTIME);
    assert_eq!(s.openvino_runtime.as_deref(), Some(opt));
    assert_eq!(
        s.usb_write_command,
        vec!["/usr/local/lib/onemed/stick-write"]
    );
    assert_eq!(
        s.models_dir.as_deref(),
        Some(Path::new("/opt/onemed/models"))
    );

    // The same settings pointed into DESTDIR: the installed binary loads every
    // model with the installed runtime, with no fallback from the environment.
    let staged = d.path().join("staged.toml");
    let text_conf = fs::read_to_string(&conf).unwrap();
    let inside = root.join("opt/onemed");
    fs::write(
        &staged,
        text_conf.replace("\"/opt/onemed", &format!("\"{}", inside.display())),
    )
    .unwrap();
    let o = run(Command::new(&bin)
        .arg("--config")
        .arg(&staged)
        .arg("models")
        .env_remove("ONEMED_MODELS")
        .env_remove("OPENVINO_INSTALL_DIR")
        .env_remove("ONEMED_CONFIG")
        .env("XDG_CACHE_HOME", d.path().join("cache")));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", text(&o));
    let runtime = format!("runtime: {}/openvino/libopenvino_c.so", inside.display());
    assert!(out.contains(&runtime), "{}", text(&o));
    assert!(!out.contains("UNAVAILABLE"), "{out}");
    for tool in TOOLS {
        assert!(
            out.contains(&format!("{}/models/{tool}", inside.display())),
            "{tool}: {out}"
        );
    }

    // A second install (another PREFIX) keeps the site's own settings.
    fs::write(&conf, "# this site's settings\ncamera = \"v4l:1\"\n").unwrap();
    let o = install(&root, "/usr");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        "# this site's settings\ncamera = \"v4l:1\"\n"
    );
    let unit = fs::read_to_string(root.join("etc/systemd/system").join(UNIT)).unwrap();
    assert!(unit.contains("\nExecStart=/usr/bin/onemed kiosk --fullscreen\n"));
    assert!(root.join("usr/bin/onemed").is_file());
}

#[test]
fn install_refuses_without_models() {
    let d = tempfile::tempdir().unwrap();
    let o = run(Command::new("bash")
        .arg(repo().join("scripts/install.sh"))
        .env("DESTDIR", d.path().join("root"))
        .env("BIN", env!("CARGO_BIN_EXE_onemed"))
        .env("SHARED", d.path().join("no-shared"))
        .env("VENV", venv()));
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("models not found"),
        "{}",
        text(&o)
    );
    assert!(!d.path().join("root/usr/local/bin/onemed").exists());
}

/// What systemd does for `LoadCredentialEncrypted=`, by hand: a key sealed
/// with `systemd-creds` to the host key, decrypted into a credentials folder,
/// opens an encrypted register for the real `onemed`.
#[test]
fn a_register_key_sealed_by_systemd_creds_opens_an_encrypted_register() {
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("key");
    fs::write(&key, [0x42u8; 32]).unwrap();
    let cred = d.path().join("onemed-register-key");
    let o = run(Command::new("systemd-creds")
        .args(["encrypt", "--name=register-key", "--with-key=host"])
        .arg(&key)
        .arg(&cred));
    assert!(o.status.success(), "{}", text(&o));
    let sealed = fs::read(&cred).unwrap();
    assert!(!sealed.windows(32).any(|w| w == [0x42u8; 32]));
    let creds = d.path().join("credentials");
    fs::create_dir(&creds).unwrap();
    let o = run(Command::new("systemd-creds")
        .args(["decrypt", "--name=register-key"])
        .arg(&cred)
        .arg(creds.join("register-key")));
    assert!(o.status.success(), "{}", text(&o));
    let data = d.path().join("data");
    let photo = common::datasets_dir().join("skin-lesion/benign/25.jpg");
    let o = run(Command::new(env!("CARGO_BIN_EXE_onemed"))
        .args([
            "screen",
            "--tool",
            "skin-lesion",
            "--patient",
            "P-CRED",
            "--data",
        ])
        .arg(&data)
        .arg(&photo)
        .env("ONEMED_MODELS", common::models_dir())
        .env("CREDENTIALS_DIRECTORY", &creds)
        .env_remove("ONEMED_CONFIG"));
    assert!(o.status.success(), "{}", text(&o));
    let db = fs::read(data.join("register.sqlite3")).unwrap();
    assert!(!db.starts_with(b"SQLite format 3"), "the register is plain");
    let unit = unit_text();
    assert!(
        unit.contains(
            "LoadCredentialEncrypted=register-key:/etc/credstore.encrypted/onemed-register-key"
        ),
        "the unit loads the key"
    );
}

#[test]
fn example_settings_parse_with_every_key_uncommented() {
    let example = fs::read_to_string(repo().join("systemd/kiosk.toml")).unwrap();
    let all: String = example
        .lines()
        .map(|l| match l.strip_prefix('#') {
            // "#key = value" and "#[section]"; prose is "# text".
            Some(rest)
                if rest.starts_with('[') || (!rest.starts_with(' ') && rest.contains(" = ")) =>
            {
                rest
            }
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(all, example, "no commented keys found");
    let s = onemed::settings::Settings::parse(Path::new("kiosk.toml"), &all)
        .unwrap_or_else(|e| panic!("{e}\n{all}"));
    assert_eq!(
        s.warnings,
        Vec::<String>::new(),
        "every example value is valid"
    );
    assert_eq!(s.camera, "auto");
    assert_eq!(s.import_paths, [PathBuf::from("/srv/ct")]);
    assert_eq!(s.export_recipients.len(), 1);
    assert_eq!(s.gate_margin.get("skin-lesion"), Some(&0.6));
    assert!(s.serial.trigger.is_some() && s.serial.scanner.is_some());
    assert_eq!(s.serial.printer.map(|p| p.width), Some(32));
}

/// The polkit rule, run by node with polkit's API stood in: the kiosk user
/// may start and stop a stick's unit, and nothing else; nobody else gains
/// anything from it.
#[test]
fn polkit_lets_the_kiosk_user_make_a_stick_writable_and_nothing_else() {
    let rule = repo().join("systemd/50-onemed-sticks.rules");
    let script = format!(
        r#"
const polkit = {{ Result: {{ YES: "yes", NOT_HANDLED: "not handled" }}, rules: [],
  addRule(f) {{ this.rules.push(f); }} }};
new Function("polkit", require("fs").readFileSync({rule:?}, "utf8"))(polkit);
const ask = (user, id, unit, verb) => polkit.rules[0](
  {{ id, lookup: (k) => ({{ unit, verb }})[k] }}, {{ user }});
const m = "org.freedesktop.systemd1.manage-units";
console.log(JSON.stringify([
  ask("onemed", m, "onemed-stick-rw@media-onemed-sdb1.service", "start"),
  ask("onemed", m, "onemed-stick-rw@media-onemed-My\\x20Stick.service", "stop"),
  ask("onemed", m, "onemed-stick-rw@media-onemed-sdb1.service", "restart"),
  ask("onemed", m, "onemed-stick-rw@etc.service", "start"),
  ask("onemed", m, "onemed-kiosk.service", "stop"),
  ask("onemed", m, "ssh.service", "start"),
  ask("nurse", m, "onemed-stick-rw@media-onemed-sdb1.service", "start"),
  ask("onemed", "org.freedesktop.login1.reboot", "", ""),
]));
"#
    );
    let o = run(Command::new("node").arg("-e").arg(&script));
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let want = r#"["yes","yes","not handled","not handled","not handled","not handled","not handled","not handled"]"#;
    assert_eq!(out.trim(), want);
}

#[test]
fn the_stick_unit_passes_systemd_analyze_verify() {
    let d = tempfile::tempdir().unwrap();
    let unit = d.path().join("onemed-stick-rw@media-onemed-sdb1.service");
    fs::copy(repo().join("systemd/onemed-stick-rw@.service"), &unit).unwrap();
    let o = run(Command::new("systemd-analyze").arg("verify").arg(&unit));
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("Unknown"), "{out}");
}
