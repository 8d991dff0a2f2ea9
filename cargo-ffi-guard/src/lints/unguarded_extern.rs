//! `unguarded_extern`: an extern block or exported extern \"C\" fn without #[ffi_guard].

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "unguarded_extern",
    default_level: Level::Allow,
    summary: "an extern block or exported extern \"C\" fn without #[ffi_guard]",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
