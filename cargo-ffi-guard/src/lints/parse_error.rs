//! `parse_error`: a file of the module tree that syn cannot parse.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "parse_error",
    default_level: Level::Deny,
    summary: "a file of the module tree that syn cannot parse",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
