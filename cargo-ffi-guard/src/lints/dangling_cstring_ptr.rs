//! `dangling_cstring_ptr`: a pointer into a CString temporary or a dropped value, passed to C.
//!
//! Its wording is here; its fact is `Fact::Dangling`, produced by `flow::detect` (`Ctx::dangling`) when the walk
//! uses a pointer whose owner it dropped.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::Fact;
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "dangling_cstring_ptr",
    default_level: Level::Deny,
    summary: "a pointer into a CString temporary or a dropped value, passed to C",
    explanation: r#"### What it does

Finds `as_ptr()`/`as_mut_ptr()` of a `CString`, `String` or `Vec` whose
owner is gone when the pointer reaches C: a temporary dropped at the end of
the `let` statement that took the pointer, a local dropped by `drop()` or
by the end of its block, or a local of the function returning the pointer.
A temporary used within the same call statement
(`f(CString::new(x)?.as_ptr())`) lives until the call returns and is fine.

### Why is this bad?

The pointer points into freed memory. C reads whatever the allocator put
there since: garbage, another string, or a crash.

### Example

```rust
let name = CString::new("widget").unwrap().as_ptr();
unsafe { widget_load(w, name) }; // the CString was dropped on the line above
```

### Use instead

```rust
let name = CString::new("widget").unwrap();
unsafe { widget_load(w, name.as_ptr()) };
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    for fact in &analysis.facts {
        let Fact::Dangling {
            as_ptr,
            owner,
            dropped,
            used,
            returned,
            fix,
        } = fact
        else {
            continue;
        };
        let message = match (returned, owner) {
            (true, None) => "returns a pointer into a temporary, which is dropped when the function returns".to_owned(),
            (true, Some(o)) => format!("returns a pointer into `{o}`, which is dropped when the function returns"),
            (false, None) => {
                "pointer into a temporary that is dropped at the end of its statement, then passed to C".to_owned()
            }
            (false, Some(o)) => format!("pointer into `{o}` is passed to C after `{o}` was dropped"),
        };
        let mut d = Diagnostic::new(LINT.name, as_ptr.span(krate), message)
            .help("bind the owning value to a local that lives until C is done with the pointer");
        if !*returned {
            d = d
                .related(dropped.span(krate), "dropped here")
                .related(used.span(krate), "used by C here");
        }
        if let Some(edits) = fix {
            let path = krate
                .files
                .get(as_ptr.file)
                .map(|f| f.path.clone())
                .unwrap_or_default();
            for e in edits {
                let mut e = e.clone();
                e.file = path.clone();
                d = d.fix(e);
            }
        }
        out.push(d);
    }
}
