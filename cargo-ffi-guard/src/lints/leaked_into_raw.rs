//! `leaked_into_raw`: Box::into_raw, CString::into_raw, leak or forget of a value handed to C, never released.
//!
//! Its wording is here; its fact is `Fact::IntoRaw`, produced by `flow::detect` (`Ctx::handed_rust_allocations`);
//! the crate-wide releases it is checked against are `Analysis::box_releases`.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::{Fact, RustAlloc};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "leaked_into_raw",
    default_level: Level::Deny,
    summary: "Box::into_raw, CString::into_raw, leak or forget of a value handed to C, never released",
    explanation: r#"### What it does

Finds Rust allocations turned into raw pointers and handed to C (passed to a
foreign function, returned from or written out by an `extern "C"` fn) with
`Box::into_raw`, `CString::into_raw`, `Box::leak`, `Vec::leak`,
`Vec::into_raw_parts` or `mem::forget`, when nothing in the whole crate ever
gives that kind of allocation back to Rust: no `Box::from_raw` of the same
type, no `CString::from_raw`, no `Vec::from_raw_parts`. `Drop` impls and
every module of the crate are searched.

### Why is this bad?

C cannot free memory that Rust's allocator owns; only Rust can, by
rebuilding the owner with `from_raw` and dropping it. When the crate never
does that, every pointer handed out is leaked, and a C caller that "helpfully"
calls `free()` on it corrupts the heap.

### Example

```rust
#[unsafe(no_mangle)]
pub extern "C" fn widget_new() -> *mut Widget {
    Box::into_raw(Box::new(Widget::default()))
}
// no `widget_free` anywhere
```

### Use instead

```rust
#[unsafe(no_mangle)]
pub extern "C" fn widget_new() -> *mut Widget {
    Box::into_raw(Box::new(Widget::default()))
}

#[unsafe(no_mangle)]
pub extern "C" fn widget_free(w: *mut Widget) {
    if !w.is_null() {
        drop(unsafe { Box::from_raw(w) });
    }
}
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    let rel = &analysis.box_releases;
    for fact in &analysis.facts {
        let Fact::IntoRaw {
            alloc,
            how,
            site,
            handed,
        } = fact
        else {
            continue;
        };
        let (released, what) = match alloc {
            // A release of unknown type may be this one: stay quiet.
            RustAlloc::Box(Some(t)) => (
                rel.box_unknown || rel.box_types.contains(t),
                format!("`Box<{t}>`"),
            ),
            RustAlloc::Box(None) => (
                rel.box_unknown || !rel.box_types.is_empty() || rel.vec,
                "a box".to_owned(),
            ),
            RustAlloc::CString => (rel.cstring, "a `CString`".to_owned()),
            RustAlloc::Vec => (rel.vec || rel.box_unknown, "a `Vec`".to_owned()),
        };
        if released {
            continue;
        }
        out.push(
            Diagnostic::new(
                LINT.name,
                site.span(krate),
                format!(
                    "`{how}` hands {what} to C, but the crate never releases it with `{}`",
                    alloc.release_name()
                ),
            )
            .help(format!(
                "export a release function that rebuilds the owner with `{}` and drops it",
                alloc.release_name()
            ))
            .related(handed.span(krate), "the pointer reaches C here"),
        );
    }
}
