//! `str_as_cstr`: a Rust string pointer passed where C expects a NUL-terminated string.
//!
//! Its wording is here; its fact is `Fact::StrAsCstr`, produced by `flow::detect` (`Ctx::str_as_cstr`).

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::{Fact, RustText};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "str_as_cstr",
    default_level: Level::Deny,
    summary: "a Rust string pointer passed where C expects a NUL-terminated string",
    explanation: r#"### What it does

Finds the pointer of a `str` or `String` (`.as_ptr()`,
`.as_bytes().as_ptr()`, possibly cast) passed to a foreign parameter that
reads a NUL-terminated string: a `*const c_char` parameter not paired with a
length, or one marked `cstr(p)`. String literals ending in `\0` and
`c"..."` literals are NUL-terminated and fine, and so is a `String` the code
ends in a NUL itself before taking the pointer: `format!("{name}\0")`,
`String::from("..\0")`, or `s.push('\0')` / `s.push_str("..\0")` on the
same local, on every path to the call.

### Why is this bad?

Rust strings carry their length and have no terminating NUL. C reads past
the end until it happens to find a zero byte: garbage in the string, reads
of unrelated memory, or a crash.

### Example

```rust
fn load(w: *mut Widget, path: &str) -> i32 {
    unsafe { widget_load(w, path.as_ptr().cast()) }
}
```

### Use instead

```rust
fn load(w: *mut Widget, path: &str) -> Result<i32, NulError> {
    let path = CString::new(path)?;
    Ok(unsafe { widget_load(w, path.as_ptr()) })
}
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    for fact in &analysis.facts {
        let Fact::StrAsCstr {
            arg,
            func,
            param,
            what,
        } = fact
        else {
            continue;
        };
        let what = match what {
            RustText::Str => "a `&str`",
            RustText::String => "a `String`",
            RustText::StrLitNoNul => "a string literal without a trailing `\\0`",
            RustText::ByteLitNoNul => "a byte string literal without a trailing `\\0`",
        };
        out.push(
            Diagnostic::new(
                LINT.name,
                arg.span(krate),
                format!("{what} is passed as `{param}` of `{func}`, which reads a NUL-terminated C string"),
            )
            .help("convert with `CString::new(..)?` and pass its `as_ptr()`, or use a `c\"...\"` literal"),
        );
    }
}
