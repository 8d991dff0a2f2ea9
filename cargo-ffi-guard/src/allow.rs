//! `// ffi-guard: allow(..)` and `// ffi-guard: allow-file(..)` comments:
//! which diagnostics they silence, and which silence nothing
//! (`unused_allow`).
//!
//! - `// ffi-guard: allow(LINT, OTHER, reason = "..")` on the line before an
//!   item, statement, field, parameter or variant silences those lints on
//!   every line of that node. A diagnostic is silenced by a comment at its
//!   primary place or at its definition (its first related place).
//! - `// ffi-guard: allow-file(LINT)` among the file's leading comments (the
//!   comment and blank lines before its first line of code) silences the
//!   lint in the whole file.
//!
//! The reason is for the reader; it is parsed (a `)` or `,` inside its
//! quotes does not end the list) and otherwise ignored.

use std::collections::HashMap;

use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::config::Levels;
use crate::diag::{Diagnostic, Level, Span};
use crate::lints::{self, unused_allow};
use crate::model::Crate;

/// What one comment silences.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// These lines (1-based, inclusive).
    Lines(usize, usize),
    File,
}

/// One lint named by one allow comment.
#[derive(Debug, Clone)]
struct Allow {
    lint: String,
    file: String,
    scope: Scope,
    /// Where the comment is, for `unused_allow`.
    comment: Span,
    used: bool,
}

/// Drop the diagnostics that allow comments silence; when `levels` is given
/// and `unused_allow` is on, add one `unused_allow` per lint named in a
/// comment that silenced nothing (only for lints that ran: a comment naming a
/// lint that is off cannot be known to be unused).
pub fn apply(krate: &Crate, levels: Option<&Levels>, diagnostics: &mut Vec<Diagnostic>) {
    let mut allows = collect(krate);
    if allows.is_empty() {
        return;
    }
    diagnostics.retain(|d| !silence(&mut allows, d));
    let Some(levels) = levels else { return };
    let level = levels.get(unused_allow::LINT.name);
    if level == Level::Allow {
        return;
    }
    let mut unused: Vec<Diagnostic> = allows
        .iter()
        .filter(|a| !a.used && a.lint != unused_allow::LINT.name)
        .filter(|a| lints::find(&a.lint).is_none_or(|l| levels.get(l.name) != Level::Allow))
        .map(|a| {
            let mut d = unused_allow::diagnostic(
                a.comment.clone(),
                &a.lint,
                lints::find(&a.lint).is_some(),
            );
            d.level = level;
            d.package = krate.package.clone();
            d
        })
        .collect();
    // `allow(unused_allow)` silences these like any other lint.
    unused.retain(|d| !silence(&mut allows, d));
    diagnostics.extend(unused);
}

const MARK: &str = "ffi-guard: allow(";
const FILE_MARK: &str = "ffi-guard: allow-file(";

/// Every allow comment of the crate.
fn collect(krate: &Crate) -> Vec<Allow> {
    let mut out = Vec::new();
    for file in &krate.files {
        if !file.text.contains("ffi-guard: allow") {
            continue;
        }
        let lines: Vec<&str> = file.text.lines().collect();
        let mut nodes: Option<NodeLines> = None;
        let mut leading = true;
        for (i, raw) in lines.iter().enumerate() {
            let line = raw.trim_start_matches('\u{feff}');
            let t = line.trim_start();
            let Some(rest) = t.strip_prefix("//") else {
                leading &= t.is_empty();
                continue;
            };
            let indent = line.len() - t.len();
            let column = line[..indent].chars().count() + 1;
            let comment = Span {
                file: file.path.clone(),
                line: i + 1,
                column,
                end_line: i + 1,
                end_column: column + t.chars().count(),
            };
            let (args, scope) = if let Some(pos) = rest.find(FILE_MARK) {
                if !leading {
                    continue;
                }
                (&rest[pos + FILE_MARK.len()..], Scope::File)
            } else if let Some(pos) = rest.find(MARK) {
                // The first line of code after the comment (1-based), and
                // the last line of the largest node starting there.
                let Some(target) = (i + 1..lines.len())
                    .find(|&j| {
                        let l = lines[j].trim_start();
                        !l.is_empty() && !l.starts_with("//")
                    })
                    .map(|j| j + 1)
                else {
                    continue;
                };
                let nodes = nodes.get_or_insert_with(|| {
                    let mut n = NodeLines::default();
                    n.visit_file(&file.ast);
                    n
                });
                let last = nodes
                    .starts
                    .get(&target)
                    .copied()
                    .unwrap_or(target)
                    .max(target);
                // From the line after the comment: comments between it and
                // the code (another allow) are covered too.
                (&rest[pos + MARK.len()..], Scope::Lines(i + 2, last))
            } else {
                continue;
            };
            let Some(names) = lint_names(args) else {
                continue;
            };
            for lint in names {
                out.push(Allow {
                    lint,
                    file: file.path.clone(),
                    scope: scope.clone(),
                    comment: comment.clone(),
                    used: false,
                });
            }
        }
    }
    out
}

/// The lint names of `LINT, OTHER, reason = ".."` up to the closing `)`;
/// `None` when there is no closing `)`.
fn lint_names(args: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut closed = false;
    for c in args.chars() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
            current.push(c);
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                current.push(c);
            }
            ',' => parts.push(std::mem::take(&mut current)),
            ')' => {
                closed = true;
                break;
            }
            _ => current.push(c),
        }
    }
    if !closed {
        return None;
    }
    parts.push(current);
    Some(
        parts
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .filter(|p| {
                !p.strip_prefix("reason")
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
            .map(str::to_owned)
            .collect(),
    )
}

/// Whether an allow silences `d` (at its primary place, or at the
/// definition, its first related place); marks every allow that does.
fn silence(allows: &mut [Allow], d: &Diagnostic) -> bool {
    let mut hit = false;
    let places = std::iter::once(&d.span).chain(d.related.first().map(|r| &r.span));
    let places: Vec<&Span> = places.collect();
    for a in allows.iter_mut().filter(|a| a.lint == d.lint) {
        let covers = places.iter().any(|s| {
            s.file == a.file
                && match a.scope {
                    Scope::File => true,
                    Scope::Lines(first, last) => (first..=last).contains(&s.line),
                }
        });
        if covers {
            a.used = true;
            hit = true;
        }
    }
    hit
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

    #[test]
    fn reasons_are_skipped_with_their_commas_and_parens() {
        assert_eq!(
            lint_names(r#"panic_across_ffi, reason = "C (the caller) checks, always")  "#),
            Some(vec!["panic_across_ffi".to_owned()])
        );
        assert_eq!(
            lint_names("a, b)"),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(lint_names("a, b"), None);
    }

    fn lints_of(src: &str) -> Vec<(&'static str, usize)> {
        let krate = crate::workspace::crate_from_source(src);
        let cx = crate::context::LintContext::new(&krate);
        let mut out = Vec::new();
        for lint in crate::lints::ALL
            .iter()
            .filter(|l| l.default_level != Level::Allow)
        {
            (lint.check)(&cx, &mut out);
        }
        apply(&krate, Some(&Levels::default()), &mut out);
        let mut v: Vec<_> = out.iter().map(|d| (d.lint, d.span.line)).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn allow_with_a_reason_silences_and_an_idle_one_is_reported() {
        let src = "// ffi-guard: allow(panic_across_ffi, reason = \"C never passes None\")\n#[no_mangle]\npub extern \"C\" fn f(x: Option<i32>) -> i32 {\n    x.unwrap()\n}\n// ffi-guard: allow(panic_across_ffi)\npub fn g() {}\n";
        assert_eq!(lints_of(src), [("unused_allow", 6)]);
    }

    #[test]
    fn allow_file_works_only_among_leading_comments() {
        let src = "//! a crate\n// ffi-guard: allow-file(no_mangle_rust_abi)\n\n#[no_mangle]\npub fn a() {}\n";
        assert_eq!(lints_of(src), []);
        let late = "#[no_mangle]\npub fn a() {}\n// ffi-guard: allow-file(no_mangle_rust_abi)\n";
        assert_eq!(lints_of(late), [("no_mangle_rust_abi", 2)]);
    }

    #[test]
    fn an_unknown_lint_name_is_an_unused_allow() {
        let src = "// ffi-guard: allow(no_such_lint)\npub fn a() {}\n";
        assert_eq!(lints_of(src), [("unused_allow", 1)]);
    }
}
