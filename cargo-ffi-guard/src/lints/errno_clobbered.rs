//! `errno_clobbered`: errno read after another call that may have overwritten it.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "errno_clobbered",
    default_level: Level::Warn,
    summary: "errno read after another call that may have overwritten it",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
