//! USB sticks on a kiosk with no desktop: which are mounted and what they are
//! called ([`import_roots`], [`root_name`]), a watcher that says when one comes
//! or goes ([`MountWatch`]), and the stick made writable for the length of an
//! export only ([`Writable`]). Mounting itself is the system's (udev and
//! `systemd-mount`, set up by `make install`; see `systemd/README.md`).

mod roots;
mod watch;
mod write;

pub use roots::{
    import_roots, mount_holding, mount_of, root_name, stick_label, sticks_in, still_mounted,
};
pub use watch::{MountWatch, WatchError};
pub use write::{fat_limit, StickError, Writable};
