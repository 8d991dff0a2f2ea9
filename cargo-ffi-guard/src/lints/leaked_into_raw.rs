//! `leaked_into_raw`: Box::into_raw, CString::into_raw, leak or forget of a value handed to C, never released.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "leaked_into_raw",
    default_level: Level::Deny,
    summary: "Box::into_raw, CString::into_raw, leak or forget of a value handed to C, never released",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
