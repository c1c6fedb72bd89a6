//! Compiles the Slint UI (ui/app.slint) with its translations bundled
//! (translations/<lang>/LC_MESSAGES/onemed.po, no default context, so the
//! screens and the words built in Rust share one catalogue). Debug info is
//! always emitted so that the testing backend can find elements by id.
fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_debug_info(true)
        .with_bundled_translations("translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("cargo:warning=Slint compile error: {e}");
        std::process::exit(1);
    }
}
