//! `improper_ffi_type`: a Rust-only type (String, Vec, slice, tuple, char, dyn, Rust fn pointer) in an extern \"C\" signature.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "improper_ffi_type",
    default_level: Level::Deny,
    summary: "a Rust-only type (String, Vec, slice, tuple, char, dyn, Rust fn pointer) in an extern \"C\" signature",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
