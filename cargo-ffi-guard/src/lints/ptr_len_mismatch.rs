//! `ptr_len_mismatch`: a (pointer, length) pair taken from two different objects, or as_ptr() with capacity().

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "ptr_len_mismatch",
    default_level: Level::Warn,
    summary: "a (pointer, length) pair taken from two different objects, or as_ptr() with capacity()",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
