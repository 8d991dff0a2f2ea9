//! `bindings_not_read`: an `include!` of generated bindings that no build output provides.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level, Span};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "bindings_not_read",
    default_level: Level::Warn,
    summary: "an `include!` of bindings generated in OUT_DIR that no build output on disk provides",
    explanation: r#"### What it does

Finds `include!(concat!(env!("OUT_DIR"), "/bindings.rs"))` (any file of
`OUT_DIR`), in the crate or in a dependency it reads, for which no previous
build left the file in the target directory
(`target/<profile>/build/<package>-<hash>/out/`, also under a target
triple). ffi-guard never builds and never runs a build script, so the
declarations in that file were not seen: calls into them are not known
allocations or releases, and their signatures are not compared.

### Why is this bad?

A `-sys` crate that generates its bindings with bindgen at build time has
no declaration in its sources at all. Linting it, or a crate that calls it,
without the generated file says "0 findings" about code that was never read.

### Example

```rust
include!(concat!(env!("OUT_DIR"), "/bindings.rs")); // never built here
```

### Use instead

Build the package once (`cargo build`, or `cargo check`, which runs build
scripts too) with the same target directory; the next `cargo ffi-guard
check` reads the newest generated file it finds there.
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let help = |pkg: &str, rel: &str| {
        format!(
            "build `{pkg}` once (`cargo build` or `cargo check`): ffi-guard then reads `target/*/build/{pkg}-*/out/{rel}` without building"
        )
    };
    for (file, inc) in &krate.deps.missing_bindings {
        out.push(
            Diagnostic::new(
                LINT.name,
                at(file, inc),
                format!(
                    "`{}` is included from `OUT_DIR`, but no build output provides it, so its declarations were not read",
                    inc.rel
                ),
            )
            .help(help(&krate.package, &inc.rel)),
        );
    }
    for (pkg, file, inc) in &krate.deps.dep_missing_bindings {
        out.push(
            Diagnostic::new(
                LINT.name,
                at(file, inc),
                format!(
                    "the dependency `{pkg}` includes `{}` from `OUT_DIR`, but no build output provides it, so its declarations were not read",
                    inc.rel
                ),
            )
            .help(help(pkg, &inc.rel)),
        );
    }
}

fn at(file: &str, inc: &crate::deps::out_dir::OutInclude) -> Span {
    Span {
        file: file.to_owned(),
        line: inc.line,
        column: inc.column,
        end_line: inc.line,
        end_column: inc.column + "include".len(),
    }
}
