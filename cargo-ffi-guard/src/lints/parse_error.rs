//! `parse_error`: a file of the module tree that syn cannot parse.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;
use crate::model::Problem;

pub static LINT: Lint = Lint {
    name: "parse_error",
    default_level: Level::Deny,
    summary: "a file of the module tree, or part of one, that syn cannot parse",
    explanation: r#"### What it does

Reports a file of a target's module tree that cannot be read or parsed, at
the line and column where parsing stopped, and a `mod x;` whose file does not
exist. When syn rejects one item (Rust 2015 syntax such as
`Box<FnMut(u8) -> R + 'a>`), only that item is skipped, and the message names
its lines; every other item of the file is still linted. A file that is not
a sequence of Rust tokens at all (an unclosed delimiter), that is not a
regular file (a directory, a FIFO, a device), that is over 16 MiB, or that
nests delimiters more than 256 levels deep (the inner part) is not linted
and named here.

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
        let help = match e.problem {
            Problem::WholeFile => {
                "nothing in this file was linted; fix the syntax or the module path".to_owned()
            }
            Problem::Lines(first, last) if first == last => {
                format!("line {first} was not linted; the rest of the file was")
            }
            Problem::Lines(first, last) => {
                format!("lines {first}-{last} were not linted; the rest of the file was")
            }
            Problem::MissingModule => {
                "create the file, or fix the path or module name that points to it".to_owned()
            }
            Problem::OutsideWorkspace => continue,
        };
        let span = e.span();
        let message = match e.problem {
            Problem::MissingModule => e.message.clone(),
            _ => format!("cannot parse `{}`: {}", e.path, e.message),
        };
        out.push(Diagnostic::new(LINT.name, span, message).help(help));
    }
}
