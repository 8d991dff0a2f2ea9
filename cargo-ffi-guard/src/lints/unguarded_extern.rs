//! `unguarded_extern`: an extern block or exported extern \"C\" fn without #[ffi_guard].

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level, Span};
use crate::index::is_c_abi;
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "unguarded_extern",
    default_level: Level::Allow,
    summary: "an extern block or exported extern \"C\" fn without #[ffi_guard]",
    explanation: r#"### What it does

Finds extern blocks, and `extern "C"` fns defined in Rust (exports and
callbacks), that carry no `#[ffi_guard]`. Off by default: turn it on
(`deny = ["unguarded_extern"]` in `[package.metadata.ffi-guard]`) to require
a guard on every crossing.

### Why is this bad?

An unguarded crossing is invisible to `cargo ffi-guard test`: its leaks,
double frees and bad pointers are not recorded, and a panic in an unguarded
export unwinds into C (undefined behaviour) instead of becoming a finding.

### Example

```rust
unsafe extern "C" {
    fn widget_new() -> *mut Widget;
}
```

### Use instead

```rust
use ffi_guard_rt::ffi_guard;

#[ffi_guard]
unsafe extern "C" {
    fn widget_new() -> *mut Widget;
}
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let ix = &krate.index;
    for b in &ix.foreign_blocks {
        if b.guarded || !is_c_abi(Some(&b.abi)) {
            continue;
        }
        let Some(syn::Item::ForeignMod(fm)) = krate.item(&b.loc) else {
            continue;
        };
        let file = &krate.files[b.loc.file];
        let span = Span::from_syn(&file.path, fm.abi.extern_token.span);
        out.push(
            Diagnostic::new(
                LINT.name,
                span,
                format!("extern \"{}\" block without #[ffi_guard]", b.abi),
            )
            .help("add #[ffi_guard] (from ffi_guard_rt) to the block"),
        );
    }
    for (_, f) in ix.exports() {
        if f.guarded {
            continue;
        }
        let Some(parts) = krate.fn_parts(f) else {
            continue;
        };
        let file = &krate.files[f.loc.file()];
        let span = Span::join(&file.path, parts.sig.fn_token.span, parts.sig.ident.span());
        out.push(
            Diagnostic::new(
                LINT.name,
                span,
                format!(
                    "extern \"C\" fn `{}` is callable from C without #[ffi_guard]",
                    f.name
                ),
            )
            .help("add #[ffi_guard] (from ffi_guard_rt) to the fn"),
        );
    }
}
