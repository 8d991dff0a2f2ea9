//! The `#[ffi_guard]` attribute. Use it through `ffi_guard_rt::ffi_guard`.

use proc_macro::TokenStream;

/// Guards an `extern "C"` block (Rust calling C) or an `extern "C"` fn
/// (C calling Rust). See the README for every option.
#[proc_macro_attribute]
pub fn ffi_guard(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
