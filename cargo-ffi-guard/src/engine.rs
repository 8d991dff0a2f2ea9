//! Runs the lints on a parsed crate: levels, `// ffi-guard: allow(..)`
//! comments, ordering. Lints return diagnostics; this decides which stay.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::config::Levels;
use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::lints::ALL;
use crate::model::Crate;

/// What linting one crate produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    /// Lints that panicked (a bug of the linter): their names and messages.
    pub internal_errors: Vec<String>,
}

/// Run every lint that is not at `allow`, on the thread that parsed `krate`.
pub fn run_lints(krate: &Crate, levels: &Levels) -> Outcome {
    let mut outcome = Outcome::default();
    // `FFI_GUARD_TIMINGS=1` prints how long each lint took, to find the slow one.
    let timings = std::env::var_os("FFI_GUARD_TIMINGS").is_some();
    let cx = LintContext::new(krate);
    for lint in ALL {
        let level = levels.get(lint.name);
        if level == Level::Allow {
            continue;
        }
        let mut found = Vec::new();
        let started = std::time::Instant::now();
        let ran = catch_unwind(AssertUnwindSafe(|| (lint.check)(&cx, &mut found)));
        if timings {
            eprintln!("{}: {} {:?}", krate.package, lint.name, started.elapsed());
        }
        if let Err(panic) = ran {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            outcome.internal_errors.push(format!(
                "lint `{}` failed on package `{}`: {msg}",
                lint.name, krate.package
            ));
            continue;
        }
        for mut d in found {
            // A lint may mark a finding softer than its level (the
            // const-ness differences of `signature_mismatch`).
            d.level = level.min(d.level);
            d.package = krate.package.clone();
            outcome.diagnostics.push(d);
        }
    }
    crate::allow::apply(krate, Some(levels), &mut outcome.diagnostics);
    let order: HashMap<&str, usize> = krate
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    outcome.diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                order
                    .get(d.span.file.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                d.span.file.clone(),
                d.span.line,
                d.span.column,
                d.lint,
            )
        };
        key(a).cmp(&key(b))
    });
    outcome.diagnostics.dedup();
    outcome
}

/// The fuzzing entry: one in-memory file through parse, index and every
/// lint, `allow` ones included. Unlike [`run_lints`], a lint's panic is not
/// caught here, so that the fuzzer sees it.
pub fn lint_source(text: &str) -> Vec<Diagnostic> {
    let krate = crate::workspace::crate_from_source(text);
    let cx = LintContext::new(&krate);
    let mut out = Vec::new();
    for lint in ALL {
        (lint.check)(&cx, &mut out);
    }
    crate::allow::apply(&krate, None, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lints(src: &str) -> Vec<(&'static str, usize)> {
        lint_source(src)
            .iter()
            .map(|d| (d.lint, d.span.line))
            .collect()
    }

    #[test]
    fn a_file_that_does_not_parse_is_one_parse_error() {
        assert_eq!(lints("fn broken( {"), [("parse_error", 1)]);
        assert_eq!(lints(""), []);
    }

    #[test]
    fn items_of_nested_cfg_if_and_own_macros_are_linted() {
        let src = "cfg_if::cfg_if! {\n if #[cfg(unix)] {\n  cfg_if::cfg_if! { if #[cfg(a)] {\n   #[no_mangle] pub fn deep() {}\n  } }\n } else {\n  #[no_mangle] pub fn other() {}\n }\n}\nffi_fn! {\n #[no_mangle] pub fn mine() {}\n}\n";
        let mut found: Vec<_> = lints(src)
            .into_iter()
            .filter(|(l, _)| *l == "no_mangle_rust_abi")
            .map(|(_, line)| line)
            .collect();
        found.sort_unstable();
        assert_eq!(found, [4, 7, 11]);
    }

    #[test]
    fn an_allow_comment_covers_the_whole_item() {
        let src = "// ffi-guard: allow(panic_across_ffi)\n#[no_mangle]\npub extern \"C\" fn f(x: Option<i32>) -> i32 {\n    x.unwrap()\n}\n#[no_mangle]\npub extern \"C\" fn g(x: Option<i32>) -> i32 {\n    x.unwrap()\n}\n";
        let found: Vec<_> = lints(src)
            .into_iter()
            .filter(|(l, _)| *l == "panic_across_ffi")
            .collect();
        assert_eq!(found, [("panic_across_ffi", 8)]);
    }
}
