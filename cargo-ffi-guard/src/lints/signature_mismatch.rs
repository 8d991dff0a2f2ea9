//! `signature_mismatch`: an extern fn that differs from the C prototype.
//! The work is in `crate::headers`.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "signature_mismatch",
    default_level: Level::Deny,
    summary: "an extern fn whose parameters or return type differ from the C prototype",
    explanation: r#"### What it does

For a crate that names its C headers in `[package.metadata.ffi-guard.headers]`,
compares every fn of an extern block (by its `#[link_name]` or its name) and
every exported `extern "C"` fn with the C prototype of the same name, for each
configured target: the parameter count, variadic-ness, and each parameter and
the return type (integer width and signedness, pointer or value, what the
pointer points to, fn pointer signatures). A `// ffi-guard: c-name(name)`
comment names the C function when the names differ.

Const-ness of the pointee: a `*mut T` where the header has `const T *` is a
warning (Rust promises less than it could); a `*const T` where C's pointee is
not const is denied (C may write through memory Rust considers read-only).
`void *` matches any pointer, and a one-byte integer pointee matches any other
(`*const u8` for `const char *`). Old-style declarations without a prototype
(`int f();`) are compared by return type only.

### Why is this bad?

The linker matches symbols by name only. A parameter that is 8 bytes in Rust
and 4 in C, or a missing parameter, passes garbage in registers or on the
stack; nothing checks it until it crashes.

### Example

```rust
// header: int inflateInit2_(z_streamp strm, int windowBits, const char *version, int stream_size);
extern "C" {
    pub fn inflateInit2_(strm: *mut z_stream, window_bits: c_long, version: *const c_char) -> c_int;
}
```

### Use instead

```rust
extern "C" {
    pub fn inflateInit2_(strm: *mut z_stream, window_bits: c_int, version: *const c_char, stream_size: c_int) -> c_int;
}
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(crate::headers::diagnostics(cx, LINT.name));
}
