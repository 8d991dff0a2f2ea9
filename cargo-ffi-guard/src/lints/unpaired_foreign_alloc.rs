//! `unpaired_foreign_alloc`: a foreign allocation that is never released with its paired free function.
//!
//! Its wording is here; its fact is `Fact::ForeignLeak`, produced by `flow::detect` (`Ctx::foreign_leaks`).

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::Fact;
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "unpaired_foreign_alloc",
    default_level: Level::Deny,
    summary: "a foreign allocation that is never released with its paired free function",
    explanation: r#"### What it does

Follows the result of a foreign allocating function (one with
`#[ffi_guard(alloc(free = F))]`, one the inference rules pair with a release
function in its extern block, guarded or not, or `libc::malloc`,
`calloc`, `realloc`, `strdup`, ...) bound to a local, and reports it when, on
every path, it is neither released with its paired free function nor
returned, stored in a field, struct or collection, moved into a closure,
passed to a Rust function or given to a `consume` function.

### Why is this bad?

The memory belongs to the C library's allocator and only its release
function gives it back. Forgetting it leaks on every call; long-running
programs grow until they are killed.

### Example

```rust
let w = unsafe { widget_new(name.as_ptr()) };
unsafe { widget_write(w, buf.as_ptr(), buf.len()) };
// `w` is never released
```

### Use instead

```rust
let w = unsafe { widget_new(name.as_ptr()) };
unsafe { widget_write(w, buf.as_ptr(), buf.len()) };
unsafe { widget_free(w) };
```

or wrap the pointer in a type whose `Drop` calls `widget_free`.
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    for fact in &analysis.facts {
        let Fact::ForeignLeak {
            func,
            free_with,
            binding,
            site,
            exit,
        } = fact
        else {
            continue;
        };
        let help = format!(
            "call `{free_with}({binding})` when done, or keep it in a wrapper whose `Drop` calls `{free_with}`"
        );
        out.push(match exit {
            None => Diagnostic::new(
                LINT.name,
                site.span(krate),
                format!("`{binding}` holds memory from `{func}` that is never released with `{free_with}`"),
            )
            .help(help),
            Some(exit) => Diagnostic::new(
                LINT.name,
                site.span(krate),
                format!("`{binding}` holds memory from `{func}` that is not released with `{free_with}` when the function leaves early"),
            )
            .help(help)
            .related(exit.span(krate), "leaves here without releasing it"),
        });
    }
}
