//! `path_outside_workspace`: a module file, `[lib] path` or symlink that
//! leads out of the workspace root. The front end (`workspace::Loader`, with
//! `fence::resolve`) refuses to open such a file; this lint reports it.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Problem;

pub static LINT: Lint = Lint {
    name: "path_outside_workspace",
    default_level: Level::Deny,
    summary: "a module path, `[lib] path` or symlink that leaves the workspace root; the file is not read",
    explanation: r#"### What it does

Reports a `#[path = ".."]` module, a target `path` in Cargo.toml, or a symlink
in the module tree that resolves (symlinks followed) to a file outside the
workspace root: an absolute path, a `..` that climbs out, a link to
`/etc/passwd` or `/proc/self/environ`. The file is never opened, so nothing
of it is linted or shown.

### Why is this bad?

A crate's sources belong to its workspace. A module read from elsewhere
depends on the machine it is built on, and a checkout that points a module
at a system file would otherwise make a CI log print that file. Nothing of
the file is linted, so its FFI code is not checked either.

### Example

```rust
#[path = "/etc/passwd"]
mod config;
```

### Use instead

```rust
// src/config.rs, inside the package
mod config;
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    for e in &krate.parse_errors {
        if e.problem != Problem::OutsideWorkspace {
            continue;
        }
        let span = e.span();
        out.push(
            Diagnostic::new(LINT.name, span, e.message.clone())
                .help("move the file into the workspace, or point the path at a file inside it"),
        );
    }
}
