//! `panic_across_ffi`: an extern \"C\" fn defined in Rust whose body can panic, without a guard.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "panic_across_ffi",
    default_level: Level::Warn,
    summary: "an extern \"C\" fn defined in Rust whose body can panic, without a guard",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
