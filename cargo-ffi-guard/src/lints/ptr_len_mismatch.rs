//! `ptr_len_mismatch`: a (pointer, length) pair taken from two different objects.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::Fact;
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
            message,
        } = fact
        else {
            continue;
        };
        out.push(
            Diagnostic::new(LINT.name, ptr.span(krate), format!("in the call to `{func}`, {message}"))
                .help(if message.contains("capacity()") {
                    "pass `len()`; to let C fill the spare capacity, pass `as_mut_ptr()` and call `set_len` afterwards"
                } else {
                    "take the pointer and the length from the same object"
                })
                .related(len.span(krate), "the length comes from here"),
        );
    }
}
