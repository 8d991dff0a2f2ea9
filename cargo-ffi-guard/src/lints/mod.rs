//! The registry: every lint, declared once, in its own file.
//!
//! `cargo ffi-guard lints`, `explain` and the SARIF `rules` all read [`ALL`].

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};

pub mod bindings_not_read;
pub mod clashing_extern_declarations;
pub mod dangling_cstring_ptr;
pub mod double_free;
pub mod errno_clobbered;
pub mod improper_ffi_type;
pub mod leaked_into_raw;
pub mod mismatched_free;
pub mod missing_repr_c;
pub mod no_mangle_rust_abi;
pub mod panic_across_ffi;
pub mod parse_error;
pub mod path_outside_workspace;
pub mod ptr_len_mismatch;
pub mod str_as_cstr;
pub mod unguarded_extern;
pub mod unpaired_foreign_alloc;
pub mod unused_allow;
// Structural equivalence with C headers (`crate::headers`).
pub mod constant_mismatch;
pub mod layout_mismatch;
pub mod signature_mismatch;

/// A lint: its stable name, default level, one-line summary, long text and check.
#[derive(Debug)]
pub struct Lint {
    pub name: &'static str,
    pub default_level: Level,
    pub summary: &'static str,
    /// Markdown, in sections: `### What it does`, `### Why is this bad?`,
    /// `### Example`, `### Use instead`.
    pub explanation: &'static str,
    pub check: fn(&LintContext<'_>, &mut Vec<Diagnostic>),
}

/// Every lint, in the order of the catalogue.
pub static ALL: &[&Lint] = &[
    &missing_repr_c::LINT,
    &improper_ffi_type::LINT,
    &leaked_into_raw::LINT,
    &unpaired_foreign_alloc::LINT,
    &mismatched_free::LINT,
    &double_free::LINT,
    &dangling_cstring_ptr::LINT,
    &str_as_cstr::LINT,
    &ptr_len_mismatch::LINT,
    &panic_across_ffi::LINT,
    &errno_clobbered::LINT,
    &no_mangle_rust_abi::LINT,
    &unguarded_extern::LINT,
    &parse_error::LINT,
    &unused_allow::LINT,
    &layout_mismatch::LINT,
    &signature_mismatch::LINT,
    &constant_mismatch::LINT,
    &clashing_extern_declarations::LINT,
    &bindings_not_read::LINT,
    &path_outside_workspace::LINT,
];

/// The lint of that name.
pub fn find(name: &str) -> Option<&'static Lint> {
    ALL.iter().copied().find(|l| l.name == name)
}
