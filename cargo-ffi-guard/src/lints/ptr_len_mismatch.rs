//! `ptr_len_mismatch`: a (pointer, length) pair taken from two different objects.
//!
//! Its wording is here; its fact is `Fact::PtrLen`, produced by `flow::detect` (`Ctx::ptr_len`).

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::{Fact, PtrLenProblem};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "ptr_len_mismatch",
    default_level: Level::Warn,
    summary: "a (pointer, length) pair taken from two different objects",
    explanation: r#"### What it does

Looks at the arguments of every `(pointer, length)` parameter pair of a
foreign function (`slice(p, n)`, or inferred: a buffer pointer followed by a
length-named integer) and warns when the pointer is `a.as_ptr()` but the
length is `b.len()` of another object, or when a read pointer
(`as_ptr()`) is paired with `capacity()`. `as_mut_ptr()` with
`capacity()`, followed by `set_len`, is the correct way to let C fill a
buffer and is never flagged.

### Why is this bad?

C trusts the length. A length from another object lets it read or write
past the end of the buffer; `capacity()` counts elements that were never
initialized.

### Example

```rust
unsafe { widget_write(w, header.as_ptr(), body.len()) };
```

### Use instead

```rust
unsafe { widget_write(w, header.as_ptr(), header.len()) };
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    for fact in &analysis.facts {
        let Fact::PtrLen {
            ptr,
            len,
            func,
            problem,
        } = fact
        else {
            continue;
        };
        let (message, help) = match problem {
            PtrLenProblem::OtherObject { ptr, len } => (
                format!("the pointer comes from `{ptr}` but the length from `{len}`"),
                "take the pointer and the length from the same object",
            ),
            PtrLenProblem::ReadCapacity { root } => (
                format!(
                    "`{root}.as_ptr()` is paired with `{root}.capacity()`: C may read elements that were never initialized"
                ),
                "pass `len()`; to let C fill the spare capacity, pass `as_mut_ptr()` and call `set_len` afterwards",
            ),
        };
        out.push(
            Diagnostic::new(
                LINT.name,
                ptr.span(krate),
                format!("in the call to `{func}`, {message}"),
            )
            .help(help)
            .related(len.span(krate), "the length comes from here"),
        );
    }
}
