//! `onemed admin reset-pin`: the console's way back into Admin when the PIN
//! is lost or `admin.toml` is damaged or missing on a kiosk with records (the
//! screen then refuses to offer a new PIN). Root only. The new PIN is read
//! twice from stdin (not echoed on a terminal); a damaged file is kept as
//! `admin.toml.damaged-<UTC time>`, the readable overrides are carried over,
//! and the wrong-PIN lock is cleared.

use super::Fatal;
use crate::admin::lockfile::LockFile;
use crate::admin::{pin, reset, AdminFile};
use crate::settings::Settings;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AdminCommand {
    /// Set a new admin PIN (root only; read twice from stdin). A damaged
    /// admin.toml is kept as admin.toml.damaged-<UTC time>, the settings it
    /// still holds are carried over, and the wrong-PIN lock is cleared.
    ResetPin {
        /// The kiosk's data folder (default: the settings' data_dir).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    match &args.command {
        AdminCommand::ResetPin { data } => reset_pin(&super::data_dir(settings, data.as_deref())?),
    }
}

fn reset_pin(dir: &Path) -> anyhow::Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(Fatal(
            "admin reset-pin must be run as root (sudo onemed admin reset-pin …): \
             it decides who can open Admin on this kiosk. Nothing was changed."
                .into(),
        )
        .into());
    }
    if !dir.is_dir() {
        return Err(Fatal(format!("{} is not a data folder", dir.display())).into());
    }
    let first = read_pin("New admin PIN (6 to 12 digits): ")?;
    if !pin::valid(&first) {
        return Err(Fatal("the PIN must be 6 to 12 digits. Nothing was changed.".into()).into());
    }
    let again = read_pin("The same PIN again: ")?;
    if first != again {
        return Err(Fatal("the two PINs differ. Nothing was changed.".into()).into());
    }
    let file = AdminFile::in_dir(dir);
    let existed = file.path().exists();
    let hash = pin::hash(&first)?;
    let done = reset::replace_pin(&file, hash)?;
    let lock = LockFile::in_dir(dir);
    match_owner(dir, &[file.path(), lock.path()]);
    println!("The new admin PIN is saved in {}.", file.path().display());
    if let Some(kept) = &done.damaged_kept {
        println!(
            "The damaged file was kept as {} (not deleted).",
            kept.display()
        );
    }
    if !done.kept.is_empty() {
        println!(
            "Settings carried over from the old file: {}.",
            done.kept.join(", ")
        );
    } else if existed {
        println!("Only the PIN was written: nothing else of the old file could be read.");
    } else {
        println!("There was no admin.toml: only the PIN was written.");
    }
    if !done.dropped.is_empty() {
        println!("Left out (could not be read): {}.", done.dropped.join(", "));
    }
    println!("The wrong-PIN lock is cleared.");
    log::warn!(
        "admin PIN reset from the console in {}: damaged file kept as {:?}, settings kept {:?}, left out {:?}, lock cleared",
        dir.display(),
        done.damaged_kept,
        done.kept,
        done.dropped
    );
    Ok(())
}

/// One line from stdin, without echo when stdin is a terminal.
fn read_pin(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
    }
    let echo = tty.then(NoEcho::new).flatten();
    let mut line = String::new();
    let n = stdin.lock().read_line(&mut line);
    drop(echo);
    if tty {
        eprintln!();
    }
    if n.map_err(|e| Fatal(format!("cannot read the PIN: {e}")))? == 0 {
        return Err(Fatal("no PIN was given on stdin. Nothing was changed.".into()).into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The terminal's echo turned off until dropped.
struct NoEcho(libc::termios);

impl NoEcho {
    fn new() -> Option<NoEcho> {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed termios they fill
        // in; failures are reported by their return values.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let old = t;
            t.c_lflag &= !libc::ECHO;
            (libc::tcsetattr(0, libc::TCSANOW, &t) == 0).then_some(NoEcho(old))
        }
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.0);
        }
    }
}

/// Gives the files written as root to the data folder's owner (the kiosk's
/// user), so that the kiosk can still read them.
fn match_owner(dir: &Path, files: &[&Path]) {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::metadata(dir) else {
        return;
    };
    for f in files {
        if let Err(e) = std::os::unix::fs::chown(f, Some(m.uid()), Some(m.gid())) {
            log::warn!(
                "cannot give {} to the data folder's owner: {e}",
                f.display()
            );
        }
    }
}
