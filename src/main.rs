//! The `onemed` binary: a thin shim into the library.

fn main() -> std::process::ExitCode {
    fixed_mmap_threshold();
    onemed::cli::main()
}

/// Large buffers (a 3504x2336 still is 24.5 MB of RGB; its PNG, its preview,
/// the camera's frames) are given back to the system when freed. glibc's
/// default threshold rises to the size of each large block freed (up to
/// 32 MB), after which such buffers come from the heap, whose freed space is
/// kept and fragments: a camp day replayed through the kiosk (`onemed bench
/// --day 30`, fundus camera) peaked at 596 MB with it, 310 MB with this, and
/// ended at 358 vs 101 MB resident. Two malloc arenas at most, whatever the
/// threads (the camera's grabber is a new thread at each opening, and each
/// new thread's arena keeps what it freed), as the systemd unit's
/// `MALLOC_ARENA_MAX=2` says for the kiosk, here for every run of the binary.
fn fixed_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any
    // other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
