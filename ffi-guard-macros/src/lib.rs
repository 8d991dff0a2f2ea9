//! The `#[ffi_guard]` attribute. Use it through `ffi_guard_rt::ffi_guard`.
//!
//! Stages apart: [`ast`] reads what the user wrote, [`valid`] turns it into
//! a fully decided IR or the errors the user sees, [`expand`] writes tokens.
//! What the options mean (and the inference rules) lives in
//! `ffi-guard-syntax`, shared with the linter.

mod ast;
mod conventions;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Guards an `extern "C"` block (Rust calling C) or an `extern "C"` fn
/// (C calling Rust). See the README for every option.
#[proc_macro_attribute]
pub fn ffi_guard(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match guard(args.into(), item.clone()) {
        Ok(tokens) => tokens.into(),
        Err(e) => {
            // The error and the item as written: one error, no cascade of
            // "cannot find function" at the call sites.
            let mut out = e.to_compile_error();
            out.extend(expand::fallback(item));
            out.into()
        }
    }
}

fn guard(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    match syn::parse2::<ast::Item>(item)? {
        ast::Item::ForeignMod(m) => valid::block(args, m).map(|b| expand::block(&b)),
        ast::Item::Fn(f) => valid::export(args, *f).map(|e| expand::export(&e)),
    }
}
