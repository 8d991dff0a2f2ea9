//! `layout_mismatch`: a `repr(C)` type that differs from the C type of the
//! same name in the configured headers. The work is in `crate::headers`.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "layout_mismatch",
    default_level: Level::Deny,
    summary: "a #[repr(C)] type whose layout differs from the C header's type of the same name",
    explanation: r#"### What it does

For a crate that names its C headers in `[package.metadata.ffi-guard.headers]`,
lays out every `#[repr(C)]` (also `transparent`, `packed`, `align`, and
primitive-repr enums) struct, union and enum of the crate for each configured
target, and compares it with the C type of the same name (the typedef or the
tag), as libclang lays it out for that target: size, alignment, field count,
field order, field offsets and field types. A `// ffi-guard: c-name(struct foo)`
comment above the type names the C type when the names differ. The message
names the targets and the first difference; the C declaration is a note.

Nothing of the crate is compiled. Opaque types (only zero-sized fields, such
as `_private: [u8; 0]`) and C types that are only declared are not compared.
C bitfields are compared by the record's size and alignment only (the
diagnostic says so in a note). Types the checker cannot lay out (a generic
parameter, a type from a dependency it does not know) are never a finding.

### Why is this bad?

`#[repr(C)]` says "lay this out as C would", not "these are the C struct's
fields". When the library adds a field, or a binding writes `c_long` where the
header says `int` (the same on Linux x86_64, not on Windows), C reads and
writes at offsets Rust does not expect: memory corruption, on some targets only.

### Example

```rust
// header: typedef struct { int len; char *data; } buf_t;
#[repr(C)]
pub struct buf_t { len: std::os::raw::c_long, data: *mut std::os::raw::c_char }
```

### Use instead

```rust
#[repr(C)]
pub struct buf_t { len: std::os::raw::c_int, data: *mut std::os::raw::c_char }
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(crate::headers::diagnostics(cx, LINT.name));
}
