//! `clashing_extern_declarations`: one foreign symbol declared with two different signatures.

use std::collections::HashMap;

use crate::context::LintContext;
use crate::deps::summary::{ConditionalModules, DeclaredFn, Reader};
use crate::diag::{Diagnostic, Level, Span};
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "clashing_extern_declarations",
    default_level: Level::Deny,
    summary: "one foreign symbol declared with two different signatures, in the crate or between the crate and a dependency it reads",
    explanation: r#"### What it does

Compares every foreign fn the crate declares with the other declarations of
the same symbol (its `#[link_name]` when it has one): the crate's own, its
generated bindings, and those of the dependencies it reads (rustc's own
lint stops at the crate boundary). Types are compared as the C ABI sees
them on the targets ffi-guard knows, after the package's type aliases and
C's integer names are resolved: `c_int` and `i32` are the same, `c_long` and
`i64` are not (4 bytes on Windows), any two pointers are the same. A
difference is reported only when it is real on some target: types it
cannot resolve, types passed by value under any name (a
`repr(transparent)` wrapper is its field), `c_char` against `i8` or `u8`,
and declarations under `#[cfg]` (they may be for different targets) are
left alone. Against a dependency, a declaration clashes only when it
matches none of the dependency's declarations of that symbol.

### Why is this bad?

Only one of the two can match the C function. Calling through the other
passes arguments in the wrong registers or widths, or reads a return value
that is not there: undefined behavior that no compiler error shows.

### Example

```rust
extern "C" { fn deflateBound(strm: *mut z_stream, len: c_ulong) -> c_ulong; } // libz-sys
extern "C" { fn deflateBound(strm: *mut z_stream, len: u64) -> u64; }        // here
```

### Use instead

Call the dependency's declaration (`libz_sys::deflateBound`) instead of
declaring the function again, or declare it with the same types.
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let own = own_declarations(krate);
    // Within the crate: each declaration against the first unconditional one.
    let mut first: HashMap<&str, &DeclaredFn> = HashMap::new();
    for d in own.iter().filter(|d| !d.conditional) {
        let Some(f) = first.get(d.symbol.as_str()) else {
            first.insert(&d.symbol, d);
            continue;
        };
        if let Some(why) = d.sig.difference(&f.sig) {
            out.push(
                Diagnostic::new(
                    LINT.name,
                    span(d),
                    format!(
                        "`{}` is declared again with a different signature: {why}",
                        d.symbol
                    ),
                )
                .related(span(f), "the first declaration")
                .help("declare it once and use that declaration everywhere"),
            );
        }
    }
    // Against the generated bindings and the dependencies read.
    let mut others: HashMap<&str, Vec<(&str, &DeclaredFn)>> = HashMap::new();
    for d in &krate.deps.own_bindings {
        others
            .entry(&d.symbol)
            .or_default()
            .push(("the crate's generated bindings", d));
    }
    for p in &krate.deps.packages {
        for d in &p.fns {
            others.entry(&d.symbol).or_default().push((&p.package, d));
        }
    }
    for d in own.iter().filter(|d| !d.conditional) {
        let Some(theirs) = others.get(d.symbol.as_str()) else {
            continue;
        };
        let mut packages: Vec<&str> = theirs.iter().map(|(p, _)| *p).collect();
        packages.dedup();
        for pkg in packages {
            let decls: Vec<&DeclaredFn> = theirs
                .iter()
                .filter(|(p, _)| *p == pkg)
                .map(|(_, d)| *d)
                .collect();
            let diffs: Vec<String> = decls
                .iter()
                .filter_map(|t| d.sig.difference(&t.sig))
                .collect();
            if diffs.len() < decls.len() {
                continue;
            }
            let who = if pkg.starts_with("the crate") {
                pkg.to_owned()
            } else {
                format!("the dependency `{pkg}`")
            };
            out.push(
                Diagnostic::new(
                    LINT.name,
                    span(d),
                    format!(
                        "`{}` is declared here with a signature that differs from {who}'s: {}",
                        d.symbol, diffs[0]
                    ),
                )
                .related(span(decls[0]), format!("{who} declares it here"))
                .help(format!(
                    "call {who}'s declaration instead of declaring `{}` again, or declare it with the same types",
                    d.symbol
                )),
            );
        }
    }
}

fn span(d: &DeclaredFn) -> Span {
    Span {
        file: d.file.clone(),
        line: d.line,
        column: d.column,
        end_line: d.line,
        end_column: d.column + d.name.chars().count(),
    }
}

/// The foreign fns of the crate's sources, with the `#[cfg]`s of the file
/// modules around them.
fn own_declarations(krate: &Crate) -> Vec<DeclaredFn> {
    let conditional = ConditionalModules::of(&krate.files);
    let mut reader = Reader::default();
    for f in &krate.files {
        reader.aliases(&f.ast.items);
    }
    for f in &krate.files {
        reader.declarations(&f.path, &f.ast.items, conditional.holds(f));
    }
    reader.fns
}
