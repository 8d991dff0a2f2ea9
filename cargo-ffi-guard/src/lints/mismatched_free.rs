//! `mismatched_free`: memory released by the wrong allocator.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::Fact;
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
            message,
            help,
            origin,
            origin_note,
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
        out.push(
            Diagnostic::new(LINT.name, release.span(krate), message.clone())
                .help(help.clone())
                .related(origin.span(krate), origin_note.clone()),
        );
    }
}
