//! `unused_allow`: a `// ffi-guard: allow(..)` comment that silences nothing.
//!
//! It needs every other lint's findings, so the engine raises it after them
//! (`crate::allow::apply`); `check` finds nothing on its own.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level, Span};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "unused_allow",
    default_level: Level::Warn,
    summary: "a `// ffi-guard: allow(..)` comment that silences nothing",
    explanation: r#"### What it does

Finds `// ffi-guard: allow(LINT)` and `// ffi-guard: allow-file(LINT)`
comments that silenced no diagnostic in this run, and those that name no
lint. A comment naming a lint that is turned off (`allow` in the
configuration or by flag) is not reported: that lint did not run, so
nothing is known about what the comment would silence.

### Why is this bad?

The bug the comment was written for is gone (or moved), and the comment now
hides the next one that lands on that item. A misspelt lint name silences
nothing at all.

### Example

```rust
// ffi-guard: allow(panic_across_ffi, reason = "validated by the caller")
#[no_mangle]
pub extern "C" fn widget_len(w: *const Widget) -> usize {
    unsafe { w.as_ref() }.map_or(0, |w| w.len)   // no longer panics
}
```

### Use instead

```rust
#[no_mangle]
pub extern "C" fn widget_len(w: *const Widget) -> usize {
    unsafe { w.as_ref() }.map_or(0, |w| w.len)
}
```
"#,
    check,
};

fn check(_cx: &LintContext<'_>, _out: &mut Vec<Diagnostic>) {}

/// The diagnostic for an allow comment at `comment` naming `lint`; `known`
/// is whether `lint` is a lint of this tool.
pub fn diagnostic(comment: Span, lint: &str, known: bool) -> Diagnostic {
    if known {
        Diagnostic::new(
            LINT.name,
            comment,
            format!("this `allow({lint})` silences nothing"),
        )
        .help("remove the comment, or move it to the line before the item or statement that has the finding")
    } else {
        Diagnostic::new(
            LINT.name,
            comment,
            format!("`{lint}` in this allow comment is not a lint of ffi-guard"),
        )
        .help("`cargo ffi-guard lints` lists every lint name")
    }
}
