//! `str_as_cstr`: a str/String pointer passed where C expects a NUL-terminated string.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "str_as_cstr",
    default_level: Level::Deny,
    summary: "a str/String pointer passed where C expects a NUL-terminated string",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
