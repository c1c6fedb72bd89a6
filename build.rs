//! Compiles the Slint UI (ui/app.slint). Debug info is always emitted so that
//! the testing backend can find elements by id in tests.
fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_debug_info(true);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("cargo:warning=Slint compile error: {e}");
        std::process::exit(1);
    }
}
