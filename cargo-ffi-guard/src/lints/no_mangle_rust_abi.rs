//! `no_mangle_rust_abi`: #[no_mangle] or #[export_name] on a fn without a C ABI.

use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "no_mangle_rust_abi",
    default_level: Level::Warn,
    summary: "#[no_mangle] or #[export_name] on a fn without a C ABI",
    explanation: "### What it does\n\nNot written yet.\n",
    check,
};

fn check(_krate: &Crate, _out: &mut Vec<Diagnostic>) {}
