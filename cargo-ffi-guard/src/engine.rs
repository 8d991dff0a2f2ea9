//! Runs the lints on a parsed crate: levels, `// ffi-guard: allow(..)`
//! comments, ordering. Lints return diagnostics; this decides which stay.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use syn::spanned::Spanned;
use syn::visit::Visit;

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
            d.level = level;
            d.package = krate.package.clone();
            outcome.diagnostics.push(d);
        }
    }
    let allows = Allows::collect(krate);
    outcome.diagnostics.retain(|d| !allows.silences(d));
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
    let allows = Allows::collect(&krate);
    out.retain(|d| !allows.silences(d));
    out
}

/// The `// ffi-guard: allow(LINT, ..)` comments of a crate: for each file,
/// the line ranges each lint is silenced on.
#[derive(Debug, Default)]
struct Allows {
    ranges: HashMap<String, Vec<(String, usize, usize)>>,
}

const MARK: &str = "ffi-guard: allow(";

impl Allows {
    fn collect(krate: &Crate) -> Allows {
        let mut allows = Allows::default();
        for file in &krate.files {
            if !file.text.contains(MARK) {
                continue;
            }
            let mut nodes = NodeLines::default();
            nodes.visit_file(&file.ast);
            let lines: Vec<&str> = file.text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let t = line.trim_start();
                let Some(rest) = t.strip_prefix("//") else {
                    continue;
                };
                let Some(pos) = rest.find(MARK) else { continue };
                let args = &rest[pos + MARK.len()..];
                let Some(end) = args.find(')') else { continue };
                // The first line of code after the comment (1-based).
                let Some(target) = (i + 1..lines.len())
                    .find(|&j| {
                        let l = lines[j].trim_start();
                        !l.is_empty() && !l.starts_with("//")
                    })
                    .map(|j| j + 1)
                else {
                    continue;
                };
                let last = nodes
                    .starts
                    .get(&target)
                    .copied()
                    .unwrap_or(target)
                    .max(target);
                for name in args[..end].split(',') {
                    allows.ranges.entry(file.path.clone()).or_default().push((
                        name.trim().to_owned(),
                        target,
                        last,
                    ));
                }
            }
        }
        allows
    }

    /// At the primary place, or at the definition (the first related place).
    fn silences(&self, d: &Diagnostic) -> bool {
        let hit = |file: &str, line: usize| {
            self.ranges.get(file).is_some_and(|v| {
                v.iter()
                    .any(|(n, a, b)| n == d.lint && (*a..=*b).contains(&line))
            })
        };
        hit(&d.span.file, d.span.line)
            || d.related
                .first()
                .is_some_and(|r| hit(&r.span.file, r.span.line))
    }
}

/// For each line where an item, statement, field or parameter starts
/// (attributes included), the last line of the largest such node.
#[derive(Default)]
struct NodeLines {
    starts: HashMap<usize, usize>,
}

impl NodeLines {
    fn note(&mut self, span: proc_macro2::Span) {
        let (s, e) = (span.start().line, span.end().line);
        let v = self.starts.entry(s).or_insert(e);
        *v = (*v).max(e);
    }
}

impl<'ast> Visit<'ast> for NodeLines {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        self.note(i.span());
        syn::visit::visit_item(self, i);
    }
    fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
        self.note(i.span());
        syn::visit::visit_impl_item(self, i);
    }
    fn visit_foreign_item(&mut self, i: &'ast syn::ForeignItem) {
        self.note(i.span());
        syn::visit::visit_foreign_item(self, i);
    }
    fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
        self.note(i.span());
        syn::visit::visit_trait_item(self, i);
    }
    fn visit_stmt(&mut self, i: &'ast syn::Stmt) {
        self.note(i.span());
        syn::visit::visit_stmt(self, i);
    }
    fn visit_field(&mut self, i: &'ast syn::Field) {
        self.note(i.span());
        syn::visit::visit_field(self, i);
    }
    fn visit_fn_arg(&mut self, i: &'ast syn::FnArg) {
        self.note(i.span());
        syn::visit::visit_fn_arg(self, i);
    }
    fn visit_variant(&mut self, i: &'ast syn::Variant) {
        self.note(i.span());
        syn::visit::visit_variant(self, i);
    }
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
