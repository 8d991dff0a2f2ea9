//! `panic_across_ffi`: an extern \"C\" fn defined in Rust whose body can panic, without a guard.

use std::collections::HashSet;

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level, Span};
use crate::index::FnId;
use crate::lints::Lint;
use crate::model::Crate;

pub static LINT: Lint = Lint {
    name: "panic_across_ffi",
    default_level: Level::Warn,
    summary: "an extern \"C\" fn defined in Rust whose body can panic, without a guard",
    explanation: r#"### What it does

Finds `extern "C"` fns defined in Rust (exports and callbacks) whose body can
panic: `unwrap`, `expect`, `panic!`, `unreachable!`, `todo!`,
`unimplemented!`, the `assert!` family, indexing, and `/` or `%` by something
other than a literal. Code inside a `catch_unwind` closure is exempt, and so
is a closure given to one of the crate's own fns that runs it under
`catch_unwind` (such as git2's `panic::wrap`); so are fns with
`#[ffi_guard]` (the guard catches the panic) and `extern "C-unwind"` fns.
Calls are not followed: a panic inside a called function is not seen.

The diagnostic points at the first place that can panic; the fn and the other
places are listed as notes.

### Why is this bad?

A panic that reaches an `extern "C"` frame aborts the process (since Rust
1.81); C code has no chance to clean up, and a library must not kill the
program that loaded it over a bad argument.

### Example

```rust
#[unsafe(no_mangle)]
pub extern "C" fn parse_port(s: *const c_char) -> u16 {
    unsafe { CStr::from_ptr(s) }.to_str().unwrap().parse().unwrap()
}
```

### Use instead

```rust
#[ffi_guard(on_error = 0)]
#[unsafe(no_mangle)]
pub extern "C" fn parse_port(s: *const c_char) -> u16 {
    unsafe { CStr::from_ptr(s) }.to_str().ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let wrappers = catch_wrappers(krate);
    for (_, f) in krate.index.exports() {
        if f.guarded || f.rewritten || f.abi.as_deref().is_some_and(|a| a.ends_with("-unwind")) {
            continue;
        }
        let Some(parts) = krate.fn_parts(f) else {
            continue;
        };
        let Some(block) = parts.block else { continue };
        let file = &krate.files[f.loc.file()];
        let mut v = Panics {
            sites: Vec::new(),
            krate,
            module: f.module,
            wrappers: &wrappers,
        };
        v.visit_block(block);
        let Some((first, what)) = v.sites.first().cloned() else {
            continue;
        };
        let mut d = Diagnostic::new(
            LINT.name,
            Span::from_syn(&file.path, first),
            format!(
                "extern \"C\" fn `{}` can panic here ({what}), and a panic cannot unwind into C",
                f.name
            ),
        )
        .help("add #[ffi_guard] to catch the panic at the boundary, or handle the error without panicking")
        .related(
            Span::join(&file.path, parts.sig.fn_token.span, parts.sig.ident.span()),
            format!("`{}` is called from C", f.name),
        );
        for (span, what) in v.sites.iter().skip(1) {
            d = d.related(
                Span::from_syn(&file.path, *span),
                format!("can also panic here ({what})"),
            );
        }
        out.push(d);
    }
}

/// The crate's own fns that run a closure under `catch_unwind` (git2's
/// `panic::wrap`, curl's `panic::catch`): a closure given to them is caught.
fn catch_wrappers(krate: &Crate) -> HashSet<FnId> {
    struct CallsCatch(bool);
    impl<'ast> Visit<'ast> for CallsCatch {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if p.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "catch_unwind")
            {
                self.0 = true;
            }
        }
    }
    let mut out = HashSet::new();
    for (id, f) in krate.index.fns.iter().enumerate() {
        if f.is_rust_defined_c_fn() {
            continue;
        }
        let Some(block) = krate.fn_parts(f).and_then(|p| p.block) else {
            continue;
        };
        let mut v = CallsCatch(false);
        v.visit_block(block);
        if v.0 {
            out.insert(id);
        }
    }
    out
}

/// Places in a body that can panic, in source order.
struct Panics<'a> {
    sites: Vec<(proc_macro2::Span, String)>,
    krate: &'a Crate,
    module: usize,
    wrappers: &'a HashSet<FnId>,
}

const PANIC_MACROS: &[&str] = &[
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
];

impl Panics<'_> {
    fn mac(&mut self, mac: &syn::Macro) {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return;
        };
        if PANIC_MACROS.contains(&name.as_str()) {
            self.sites.push((mac.path.span(), format!("`{name}!`")));
        }
        // Best effort: arguments of format-like and `vec!` macros are expressions.
        let args = mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated);
        if let Ok(args) = args {
            for e in &args {
                self.visit_expr(e);
            }
        }
    }
}

fn is_literal(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(_) => true,
        syn::Expr::Paren(p) => is_literal(&p.expr),
        syn::Expr::Unary(u) => matches!(u.op, syn::UnOp::Neg(_)) && is_literal(&u.expr),
        _ => false,
    }
}

fn is_catch_unwind(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "catch_unwind"),
        _ => false,
    }
}

impl<'ast> Visit<'ast> for Panics<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        // The closure given to `catch_unwind` (or to a crate fn that runs it
        // under `catch_unwind`) may panic: that is its point.
        if is_catch_unwind(&c.func) {
            return;
        }
        if let syn::Expr::Path(p) = &*c.func
            && self
                .krate
                .index
                .resolve_fn(self.module, &p.path)
                .is_some_and(|id| self.wrappers.contains(&id))
        {
            return;
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        if name == "unwrap" || name == "expect" {
            self.visit_expr(&m.receiver);
            self.sites.push((m.method.span(), format!("`.{name}()`")));
            for a in &m.args {
                self.visit_expr(a);
            }
            return;
        }
        if name == "catch_unwind" {
            return;
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_index(&mut self, i: &'ast syn::ExprIndex) {
        syn::visit::visit_expr_index(self, i);
        self.sites.push((i.span(), "indexing".to_owned()));
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        syn::visit::visit_expr_binary(self, b);
        let what = match b.op {
            syn::BinOp::Div(_) | syn::BinOp::DivAssign(_) => "division",
            syn::BinOp::Rem(_) | syn::BinOp::RemAssign(_) => "remainder",
            _ => return,
        };
        if !is_literal(&b.right) {
            self.sites
                .push((b.op.span(), format!("{what} by a value that may be zero")));
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.mac(m);
    }

    // Nested fn items are separate fns, not this body.
    fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
    fn visit_item_impl(&mut self, _: &'ast syn::ItemImpl) {}
}
