//! `double_free`: the same pointer released twice on one path.
//!
//! Its wording is here; its fact is `Fact::DoubleFree`, produced by `flow::detect` (`Ctx::double_free`) when
//! `Ctx::release_val` (`flow/calls.rs`) releases an object already released.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::Fact;
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "double_free",
    default_level: Level::Deny,
    summary: "the same pointer released twice on one path",
    explanation: r#"### What it does

Finds a pointer released twice on one path through a function: in
straight-line code, after a loop that released it, or by two iterations of
a loop that releases a pointer bound outside it. Releases are
`Box::from_raw`, `CString::from_raw`, `Vec::from_raw_parts` (unless the
rebuilt owner is leaked again with `into_raw`, `mem::forget` or
`ManuallyDrop`), `libc::free` and every foreign release function. Exclusive
branches (`if`/`else`, `match` arms) are separate paths: a pointer released
in one branch and again in another is fine. A release counts after a branch
only when every branch made it.

### Why is this bad?

The second release hands the allocator a block it already took back: heap
corruption, and with a little attacker control, arbitrary code execution.

### Example

```rust
unsafe { widget_free(w) };
if failed {
    unsafe { widget_free(w) };
}
```

### Use instead

```rust
unsafe { widget_free(w) };
let w = std::ptr::null_mut::<Widget>(); // or restructure so one path releases once
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    for fact in &analysis.facts {
        let Fact::DoubleFree {
            name,
            second,
            first,
            origin,
            in_loop,
        } = fact
        else {
            continue;
        };
        let message = if *in_loop {
            format!("`{name}` is released again by the next iteration of the loop")
        } else {
            format!("`{name}` is released a second time")
        };
        let mut d = Diagnostic::new(LINT.name, second.span(krate), message)
            .help("release each pointer once; after a release, do not use the pointer again (set it to null if it lives on)");
        if !*in_loop {
            d = d.related(first.span(krate), "first released here");
        }
        if let Some(origin) = origin {
            d = d.related(origin.span(krate), "allocated here");
        }
        out.push(d);
    }
}
