//! The `onemed` binary: a thin shim into the library.

fn main() -> std::process::ExitCode {
    onemed::cli::main()
}
