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
Calls of code the fn is handed from outside count as places that can
panic: a closure or `Box<dyn Fn..>` it was given (also through a `void *`
cast back to `*mut F`), a Rust-ABI `fn` pointer, a field every struct
declares with such a type, and a method of a type parameter
(`T::create()`). Other calls are not followed: a panic inside a called
function of the crate is not seen.

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
    let closure_fields = closure_fields(krate);
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
            handed: Handed::of_signature(parts.sig, &closure_fields),
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
    handed: Handed<'a>,
}

/// Code the crate is handed from outside, as an extern "C" fn sees it:
/// calling it runs code the fn cannot vouch for, which may panic.
struct Handed<'a> {
    /// The fn's type parameters (`T::create(..)` runs `T`'s code), and those
    /// of them bound by `Fn`/`FnMut`/`FnOnce` (closures).
    generics: HashSet<String>,
    closure_generics: HashSet<String>,
    /// Locals and parameters holding a closure, `dyn Fn`, or Rust-ABI fn
    /// pointer (or a pointer to a closure type parameter).
    locals: HashSet<String>,
    /// Field names every struct of the crate declares with such a type.
    fields: &'a HashSet<String>,
}

impl<'a> Handed<'a> {
    fn of_signature(sig: &syn::Signature, fields: &'a HashSet<String>) -> Handed<'a> {
        let mut h = Handed {
            generics: HashSet::new(),
            closure_generics: HashSet::new(),
            locals: HashSet::new(),
            fields,
        };
        for t in sig.generics.type_params() {
            let name = t.ident.to_string();
            if t.bounds.iter().any(is_fn_bound) {
                h.closure_generics.insert(name.clone());
            }
            h.generics.insert(name);
        }
        if let Some(w) = &sig.generics.where_clause {
            for pred in &w.predicates {
                if let syn::WherePredicate::Type(t) = pred
                    && t.bounds.iter().any(is_fn_bound)
                    && let syn::Type::Path(p) = &t.bounded_ty
                    && let Some(id) = p.path.get_ident()
                {
                    h.closure_generics.insert(id.to_string());
                }
            }
        }
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input
                && let syn::Pat::Ident(id) = &*pt.pat
                && h.is_code_type(&pt.ty)
            {
                h.locals.insert(id.ident.to_string());
            }
        }
        h
    }

    /// A closure or Rust fn type: `F: Fn..`, `&dyn Fn..`, `Box<dyn Fn..>`,
    /// `impl Fn..`, `fn(..)`, or a pointer or reference to one of them.
    fn is_code_type(&self, ty: &syn::Type) -> bool {
        match ty {
            syn::Type::BareFn(f) => f.abi.is_none(),
            syn::Type::TraitObject(t) => t.bounds.iter().any(is_fn_bound),
            syn::Type::ImplTrait(t) => t.bounds.iter().any(is_fn_bound),
            syn::Type::Reference(r) => self.is_code_type(&r.elem),
            syn::Type::Ptr(p) => self.is_code_type(&p.elem),
            syn::Type::Paren(p) => self.is_code_type(&p.elem),
            syn::Type::Path(p) => {
                if let Some(id) = p.path.get_ident() {
                    return self.closure_generics.contains(&id.to_string());
                }
                let Some(last) = p.path.segments.last() else {
                    return false;
                };
                matches!(
                    last.ident.to_string().as_str(),
                    "Box" | "Rc" | "Arc" | "Option"
                ) && matches!(&last.arguments, syn::PathArguments::AngleBracketed(a)
                        if matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if self.is_code_type(t)))
            }
            _ => false,
        }
    }

    /// `data as *mut F`, `&mut *(data as *mut F)`, `data.cast::<F>()`: the
    /// closure the caller passed through a `void *`.
    fn is_code_expr(&self, e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Cast(c) => self.is_code_type(&c.ty),
            syn::Expr::Paren(p) => self.is_code_expr(&p.expr),
            syn::Expr::Unary(u) => self.is_code_expr(&u.expr),
            syn::Expr::Reference(r) => self.is_code_expr(&r.expr),
            syn::Expr::Unsafe(u) => match u.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => self.is_code_expr(e),
                _ => false,
            },
            syn::Expr::MethodCall(m) => match m.method.to_string().as_str() {
                "cast" | "cast_mut" => m.turbofish.as_ref().is_some_and(|t| {
                    matches!(t.args.first(), Some(syn::GenericArgument::Type(t)) if self.is_code_type(t))
                }),
                "as_ref" | "as_mut" | "unwrap" | "expect" => self.is_code_expr(&m.receiver),
                _ => false,
            },
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|id| self.locals.contains(&id.to_string())),
            _ => false,
        }
    }

    /// What a call's callee is, when it is handed-in code.
    fn callee(&self, f: &syn::Expr) -> Option<String> {
        match f {
            syn::Expr::Paren(p) => self.callee(&p.expr),
            syn::Expr::Field(fe) => match &fe.member {
                syn::Member::Named(n) if self.fields.contains(&n.to_string()) => {
                    Some(format!("a call of the `{n}` it was handed"))
                }
                _ => None,
            },
            syn::Expr::Path(p) => {
                let segs = &p.path.segments;
                if segs.len() >= 2 && self.generics.contains(&segs[0].ident.to_string()) {
                    let path = segs
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::");
                    return Some(format!("`{path}`, code of a type parameter"));
                }
                let id = p.path.get_ident()?.to_string();
                self.locals
                    .contains(&id)
                    .then(|| format!("a call of `{id}`, code it was handed"))
            }
            other => self
                .is_code_expr(other)
                .then(|| "a call of code it was handed".to_owned()),
        }
    }
}

/// `Fn(..)`, `FnMut(..)`, `FnOnce(..)` (any path ending so).
fn is_fn_bound(b: &syn::TypeParamBound) -> bool {
    matches!(b, syn::TypeParamBound::Trait(t)
        if t.path.segments.last().is_some_and(|s| matches!(s.ident.to_string().as_str(), "Fn" | "FnMut" | "FnOnce")))
}

/// Field names that every struct of the crate with a field of that name
/// declares as a closure or Rust fn type (`Box<dyn Fn..>`, `fn(..)`).
fn closure_fields(krate: &Crate) -> HashSet<String> {
    let none = HashSet::new();
    let probe = Handed {
        generics: HashSet::new(),
        closure_generics: HashSet::new(),
        locals: HashSet::new(),
        fields: &none,
    };
    let mut all: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for def in &krate.index.types {
        let Some(item) = krate.item(&def.loc) else {
            continue;
        };
        for f in crate::surface::item_fields(item) {
            if let Some(name) = &f.ident {
                let code = probe.is_code_type(&f.ty);
                all.entry(name.to_string())
                    .and_modify(|a| *a &= code)
                    .or_insert(code);
            }
        }
    }
    all.into_iter()
        .filter(|(_, a)| *a)
        .map(|(n, _)| n)
        .collect()
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
        if let Some(what) = self.handed.callee(&c.func) {
            self.sites.push((c.func.span(), what));
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        syn::visit::visit_local(self, l);
        let (pat, ty) = match &l.pat {
            syn::Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            other => (other, None),
        };
        if let syn::Pat::Ident(id) = pat {
            let name = id.ident.to_string();
            let code = ty.is_some_and(|t| self.handed.is_code_type(t))
                || l.init
                    .as_ref()
                    .is_some_and(|i| self.handed.is_code_expr(&i.expr));
            if code {
                self.handed.locals.insert(name);
            } else {
                self.handed.locals.remove(&name);
            }
        }
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
