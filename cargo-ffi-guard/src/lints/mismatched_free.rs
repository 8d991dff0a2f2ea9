//! `mismatched_free`: memory released by the wrong allocator.
//!
//! Its wording is here; its fact is `Fact::Mismatch`, produced by `flow::detect` (`Ctx::check_mismatch`).

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::{Fact, Origin, Release};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "mismatched_free",
    default_level: Level::Deny,
    summary: "memory released by the wrong allocator",
    explanation: r#"### What it does

Follows each pointer to its release and checks that the release belongs to
the allocator that produced it:
- `Box::from_raw`, `CString::from_raw` or `Vec::from_raw_parts` on memory a
  foreign allocating function returned (or wrote to an out-parameter);
- the same on a pointer any other foreign function returned or wrote out,
  unless the crate itself hands that kind of allocation to C (a `Box` of
  that type or `c_void`, a `CString`, a `Vec`): then it may be user data
  coming back, and is not reported;
- parameters of exports and callbacks are never followed, since they may
  well be pointers Rust handed out;
- `libc::free` or a foreign release function on a pointer from
  `Box::into_raw`, `CString::into_raw` or a leaked `Vec`;
- `CString::from_raw` on a pointer from `Box::into_raw`, and the reverse;
- a release of a pointer borrowed with `as_ptr()` from a value that still
  owns it;
- a foreign allocation released by a release function other than its pair.

### Why is this bad?

Each allocator keeps its own bookkeeping. Giving a block to the wrong one
corrupts the heap, usually far from the bug, and often only in release
builds or on another platform (Windows runs several C heaps side by side).

### Example

```rust
let s = unsafe { widget_name(w) }; // allocated with malloc by the library
drop(unsafe { CString::from_raw(s) });
```

### Use instead

```rust
let s = unsafe { widget_name(w) };
let owned = unsafe { CStr::from_ptr(s) }.to_owned();
unsafe { widget_string_free(s) };
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    for fact in &analysis.facts {
        let Fact::Mismatch {
            release,
            by,
            origin,
            from,
            round_trip,
        } = fact
        else {
            continue;
        };
        if let Some(rt) = round_trip
            && analysis.box_releases.may_round_trip(&rt.alloc, &rt.types)
        {
            continue;
        }
        let (message, help, note) = wording(by, from);
        out.push(
            Diagnostic::new(LINT.name, release.span(krate), message)
                .help(help)
                .related(origin.span(krate), note),
        );
    }
}

/// The message, help and origin note of one mismatch.
fn wording(by: &Release, from: &Origin) -> (String, String, String) {
    let rel = by.name();
    match (by, from) {
        (Release::Rust(_), Origin::CReturned { func }) => (
            format!("`{rel}` takes ownership of a pointer that `{func}` returned from C"),
            "memory from C goes back to C: release it with the library's release function, or copy it".to_owned(),
            format!("returned by `{func}` here"),
        ),
        (Release::Rust(_), Origin::CAllocated { func, free_with }) => (
            format!("`{rel}` takes ownership of memory that `{func}` allocated in C"),
            match free_with {
                Some(f) => format!("release it with `{f}`"),
                None => "release it with the library's own release function".to_owned(),
            },
            format!("allocated by `{func}` here"),
        ),
        (Release::Rust(_), Origin::Borrowed { owner }) => (
            format!("`{rel}` on a pointer borrowed with `as_ptr()`: `{owner}` still owns that memory"),
            "hand ownership over with `into_raw()` instead of `as_ptr()`, or do not release the pointer".to_owned(),
            "borrowed here".to_owned(),
        ),
        (Release::Rust(_), Origin::Rust { alloc, how }) => (
            format!("`{rel}` on a pointer that came from `{how}`"),
            format!("release it with `{}`", alloc.release_name()),
            format!("allocated by `{how}` here"),
        ),
        (Release::C(f), Origin::Rust { alloc, how }) => (
            format!("`{f}` releases memory that Rust allocated (`{how}`)"),
            format!("give it back to Rust with `{}`", alloc.release_name()),
            format!("allocated by `{how}` here"),
        ),
        (Release::C(f), Origin::Borrowed { owner }) => (
            format!("`{f}` releases a pointer borrowed from `{owner}`, which Rust still owns"),
            "do not release borrowed memory; let its owner drop it".to_owned(),
            "borrowed here".to_owned(),
        ),
        (Release::C(f), Origin::CAllocated { func, free_with }) => {
            let g = free_with.as_deref().unwrap_or("its own release function");
            (
                format!("`{func}` memory released with `{f}`; its release function is `{g}`"),
                format!("release it with `{g}`"),
                format!("allocated by `{func}` here"),
            )
        }
        (Release::C(f), Origin::CReturned { func }) => (
            format!("`{f}` releases a pointer that `{func}` returned from C"),
            "release it with the library's release function".to_owned(),
            format!("returned by `{func}` here"),
        ),
    }
}
