//! The package's own C conventions (`pairs`, `borrowed` in
//! `[package.metadata.ffi-guard]`), read from `$CARGO_MANIFEST_DIR/Cargo.toml`
//! when a block is expanded, on top of the built-in table of
//! `ffi-guard-syntax`.

use std::sync::Mutex;

use ffi_guard_syntax::{Config, Conventions};
use proc_macro2::Span;

/// The conventions of the package being compiled. A manifest that cannot be
/// read (no `CARGO_MANIFEST_DIR`, as under some build tools) gives the
/// built-in table; a malformed `pairs` or `borrowed` is a compile error that
/// names the key.
pub fn of_package() -> syn::Result<Conventions> {
    // One expansion per extern block, hundreds of them in bindgen output:
    // the manifest is parsed again only when its text changed.
    static CACHE: Mutex<Option<(String, Conventions)>> = Mutex::new(None);
    let Some(text) = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(|dir| std::path::PathBuf::from(dir).join("Cargo.toml"))
        .and_then(|path| std::fs::read_to_string(path).ok())
    else {
        return Ok(Conventions::builtin());
    };
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((cached, conv)) = cache.as_ref()
        && *cached == text
    {
        return Ok(conv.clone());
    }
    let config = Config::from_manifest(&text)
        .map_err(|e| syn::Error::new(Span::call_site(), format!("in Cargo.toml, {e}")))?;
    let conv = Conventions::with_config(config);
    *cache = Some((text, conv.clone()));
    Ok(conv)
}
