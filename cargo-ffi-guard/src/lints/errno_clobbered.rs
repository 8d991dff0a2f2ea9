//! `errno_clobbered`: errno read after another call that may have changed it.
//!
//! Its wording is here; its fact is `Fact::Errno`, produced by the errno walk (`flow/errno.rs`, `Walker::read`).

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::flow::{Clobber, Fact};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "errno_clobbered",
    default_level: Level::Warn,
    summary: "errno read after another call that may have changed it",
    explanation: r#"### What it does

Finds reads of errno (`io::Error::last_os_error()`,
`*libc::__errno_location()`, `libc::__error()`, `errno::errno()`,
`Errno::last()`) that follow a foreign call when, on every path between the
two, something else ran first: a call of any Rust function, a method, a
macro (printing, formatting, logging), an allocation or another foreign
call whose result is dropped (`unsafe { close(fd) };`). `is_null()`,
`len()`, comparisons, casts, `ptr::eq`, `NonNull::new` and constructors such
as `Err(..)` do not count. A foreign call whose result is kept starts a
window of its own: errno read after it is taken to be that call's. A
statement under `#[cfg]` may not be compiled and is walked as a branch.

### Why is this bad?

errno is a thread-wide variable that any libc call may overwrite, even on
success: `println!` writes to stdout, an allocation may call `mmap`. The
error reported is then someone else's, or `0`.

### Example

```rust
let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY) };
if fd < 0 {
    eprintln!("open failed");
    return Err(io::Error::last_os_error());
}
```

### Use instead

```rust
let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY) };
if fd < 0 {
    let err = io::Error::last_os_error();
    eprintln!("open failed: {err}");
    return Err(err);
}
```

With `#[ffi_guard]` on the extern block, `ffi_guard_rt::last_os_error()`
returns the errno captured right after the call, whatever ran since.
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let analysis = cx.ownership();
    for fact in &analysis.facts {
        let Fact::Errno {
            read,
            call,
            clobber,
            clobber_what,
        } = fact
        else {
            continue;
        };
        let clobber_what = match clobber_what {
            Clobber::Call(path) => format!("`{path}()`"),
            Clobber::Method(name) => format!("`.{name}()`"),
            Clobber::Macro(name) => format!("`{name}!`"),
            Clobber::Unnamed => "a call".to_owned(),
        };
        out.push(
            Diagnostic::new(
                LINT.name,
                read.span(krate),
                format!("errno is read after {clobber_what} ran, which may have overwritten it"),
            )
            .help("read errno first, right after the foreign call, and keep the value")
            .related(call.span(krate), "the foreign call whose errno is meant")
            .related(clobber.span(krate), "may overwrite errno"),
        );
    }
}
