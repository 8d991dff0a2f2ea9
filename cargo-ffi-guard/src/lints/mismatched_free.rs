//! `mismatched_free`: memory released by the wrong allocator.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "mismatched_free",
    default_level: Level::Deny,
    summary: "memory released by the wrong allocator",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
