//! `constant_mismatch`: a const or enum discriminant that differs from the
//! C macro or enumerator. The work is in `crate::headers`.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "constant_mismatch",
    default_level: Level::Deny,
    summary: "a const or fieldless-enum discriminant whose value differs from the C macro or enumerator",
    explanation: r#"### What it does

For a crate that names its C headers in `[package.metadata.ffi-guard.headers]`,
compares every integer `const` of the crate with the object-like macro or the
enumerator of the same name (libclang evaluates the macro for each configured
target), and every discriminant of a fieldless enum whose type matches a C
enum with the enumerator of the same name (or the one enumerator whose name
ends in `_VARIANT`, as `Z_OK` for `Ok`). Values are compared as the Rust
const's type holds them (`0xFFFF_FFFF` of a `c_uint` equals C's `-1`).

Constants whose Rust value the checker cannot compute (a call, a `const fn`)
and macros that are not integer constant expressions are not compared.

### Why is this bad?

A flag renumbered in a new library version, or a value copied wrongly, makes
the Rust side ask C for something else than it means, silently.

### Example

```rust
// header: #define Z_BEST_COMPRESSION 9
pub const Z_BEST_COMPRESSION: c_int = 6;
```

### Use instead

```rust
pub const Z_BEST_COMPRESSION: c_int = 9;
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(crate::headers::diagnostics(cx, LINT.name));
}
