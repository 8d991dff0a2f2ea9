//! `parse_error`: a file of the module tree that syn cannot parse.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level, Span};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "parse_error",
    default_level: Level::Deny,
    summary: "a file of the module tree that syn cannot parse",
    explanation: r#"### What it does

Reports a file of a target's module tree that cannot be read or parsed, at
the line and column where parsing stopped, and a `mod x;` whose file does not
exist. The rest of the crate is still linted; this file is not.

### Why is this bad?

Nothing in a file that does not parse is checked, so a clean run would hide
whatever that file does at the boundary. Usually the file uses syntax newer
than the parser knows, or is not meant to be compiled on its own.

### Example

```rust
pub extern "C" fn broken( { }
```

### Use instead

```rust
pub extern "C" fn fixed() {}
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    for e in &krate.parse_errors {
        let span = Span {
            file: e.path.clone(),
            line: e.line,
            column: e.column,
            end_line: e.line,
            end_column: e.column,
        };
        out.push(
            Diagnostic::new(
                LINT.name,
                span,
                format!("cannot parse `{}`: {}", e.path, e.message),
            )
            .help("nothing in this file was linted; fix the syntax or the module path"),
        );
    }
}
