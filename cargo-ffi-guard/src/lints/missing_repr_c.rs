//! `missing_repr_c`: a type without #[repr(C)] that C can see.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "missing_repr_c",
    default_level: Level::Deny,
    summary: "a type without #[repr(C)] that C can see",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
