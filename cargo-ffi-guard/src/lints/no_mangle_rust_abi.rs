//! `no_mangle_rust_abi`: #[no_mangle] or #[export_name] on a fn without a C ABI.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Edit, Level, Span, byte_offset};
use crate::index::{FnKind, is_c_abi};
use crate::lints::Lint;

pub static LINT: Lint = Lint {
    name: "no_mangle_rust_abi",
    default_level: Level::Warn,
    summary: "#[no_mangle] or #[export_name] on a fn without a C ABI",
    explanation: r#"### What it does

Finds fns exported under a fixed symbol name (`#[no_mangle]` or
`#[export_name = ".."]`, also written inside `unsafe(..)` or `cfg_attr`)
whose ABI is not one C can call: no `extern "C"` (or bare `extern`,
`"C-unwind"`, `"system"`). Statics are fine. `--fix` adds `extern "C"`.

### Why is this bad?

An exported symbol is there for another language to call, but the Rust ABI
is unspecified: arguments may travel in other registers than C puts them in,
so the callee reads garbage.

### Example

```rust
#[unsafe(no_mangle)]
pub fn add(a: i32, b: i32) -> i32 { a + b }
```

### Use instead

```rust
#[unsafe(no_mangle)]
pub extern "C" fn add(a: i32, b: i32) -> i32 { a + b }
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    for f in &krate.index.fns {
        if !f.exported
            || f.rewritten
            || matches!(f.kind, FnKind::Foreign { .. })
            || is_c_abi(f.abi.as_deref())
        {
            continue;
        }
        let Some(parts) = krate.fn_parts(f) else {
            continue;
        };
        let file = &krate.files[f.loc.file()];
        let fn_token = parts.sig.fn_token.span;
        // An explicit `extern "Rust"` is replaced; otherwise `extern "C" ` goes before `fn`.
        let (start, end) = match &parts.sig.abi {
            Some(abi) => {
                let s = Span::from_syn(&file.path, syn::spanned::Spanned::span(abi));
                (
                    byte_offset(&file.text, s.line, s.column),
                    byte_offset(&file.text, s.end_line, s.end_column),
                )
            }
            None => {
                let s = Span::from_syn(&file.path, fn_token);
                let at = byte_offset(&file.text, s.line, s.column);
                (at, at)
            }
        };
        let span = Span::join(&file.path, fn_token, parts.sig.ident.span());
        let mut d = Diagnostic::new(
            LINT.name,
            span,
            format!(
                "`{}` is exported with a fixed symbol name but uses the Rust ABI, which C cannot call",
                f.name
            ),
        )
        .help("declare it `extern \"C\"`");
        if let (Some(start), Some(end)) = (start, end) {
            let text = if parts.sig.abi.is_some() {
                "extern \"C\"".to_owned()
            } else {
                "extern \"C\" ".to_owned()
            };
            d = d.fix(Edit {
                file: file.path.clone(),
                start,
                end,
                text,
            });
        }
        out.push(d);
    }
}
