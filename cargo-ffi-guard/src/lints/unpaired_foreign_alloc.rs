//! `unpaired_foreign_alloc`: the result of a foreign allocating function is neither released nor handed on.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "unpaired_foreign_alloc",
    default_level: Level::Deny,
    summary: "the result of a foreign allocating function is neither released nor handed on",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
