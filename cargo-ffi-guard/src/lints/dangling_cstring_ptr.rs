//! `dangling_cstring_ptr`: a pointer into a temporary or dropped CString/String/Vec passed to C.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "dangling_cstring_ptr",
    default_level: Level::Deny,
    summary: "a pointer into a temporary or dropped CString/String/Vec passed to C",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
