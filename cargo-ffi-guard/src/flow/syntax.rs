//! Syntax helpers shared by the walks over bodies: callee paths, spans,
//! the names an expression or pattern mentions, byte offsets.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, Expr, ExprCall, Macro, Pat, Type};

use super::methods::*;

/// The path a call calls: its segments, and a turbofish on the type segment
/// (`Box::<T>::from_raw`) or on a qualified self type (`<Box<T>>::from_raw`).
pub(super) fn callee(f: &Expr) -> Option<(Vec<String>, Option<&Type>)> {
    let Expr::Path(p) = strip(f) else { return None };
    let mut segs: Vec<String> = Vec::new();
    let mut tf = None;
    if let Some(q) = &p.qself
        && let Type::Path(tp) = &*q.ty
        && let Some(last) = tp.path.segments.last()
    {
        segs.push(last.ident.to_string());
        if let syn::PathArguments::AngleBracketed(a) = &last.arguments
            && let Some(syn::GenericArgument::Type(t)) = a.args.first()
        {
            tf = Some(t);
        }
    }
    let n = p.path.segments.len();
    for (i, s) in p.path.segments.iter().enumerate() {
        segs.push(s.ident.to_string());
        if i + 2 == n
            && let syn::PathArguments::AngleBracketed(a) = &s.arguments
            && let Some(syn::GenericArgument::Type(t)) = a.args.first()
        {
            tf = Some(t);
        }
    }
    Some((segs, tf))
}

pub(super) fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip(&p.expr),
        Expr::Group(g) => strip(&g.expr),
        _ => e,
    }
}

/// Through casts, `.cast()` and parentheses to the pointer's local.
pub(super) fn strip_ptr(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_ptr(&p.expr),
        Expr::Group(g) => strip_ptr(&g.expr),
        Expr::Cast(c) => strip_ptr(&c.expr),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "cast" | "cast_mut" | "cast_const"
            ) =>
        {
            strip_ptr(&m.receiver)
        }
        _ => e,
    }
}

pub(super) fn strip_pat_type(p: &Pat) -> &Pat {
    match p {
        Pat::Type(t) => strip_pat_type(&t.pat),
        _ => p,
    }
}

pub(super) fn path_ident(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}

/// `&mut x`, `&raw mut x`, `addr_of_mut!(x)`, `x.as_mut_ptr()`: C may write
/// a pointer into the local `x`.
pub(super) fn out_param(a: &Expr) -> Option<String> {
    match strip(a) {
        Expr::Reference(r) if r.mutability.is_some() => path_ident(&r.expr),
        Expr::RawAddr(r) if matches!(r.mutability, syn::PointerMutability::Mut(_)) => {
            path_ident(&r.expr)
        }
        Expr::Cast(c) => out_param(&c.expr),
        Expr::Macro(m)
            if m.mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "addr_of_mut") =>
        {
            let inner: Expr = m.mac.parse_body().ok()?;
            path_ident(&inner)
        }
        _ => None,
    }
}

pub(super) fn mut_ref_ident(a: &Expr) -> Option<String> {
    match strip(a) {
        Expr::Reference(r) if r.mutability.is_some() => path_ident(&r.expr),
        _ => None,
    }
}

/// The receiver of `.as_ptr()` / `.len()` as written, through views, so that
/// `s.as_bytes().as_ptr()` and `s.len()` name the same object.
/// Only locals and field chains (`buf`, `self.inner.buf`) are named; other
/// receivers cannot be compared and give `None`.
pub(super) fn root_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Paren(p) => root_text(&p.expr),
        Expr::Group(g) => root_text(&g.expr),
        Expr::Reference(r) => root_text(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => root_text(&u.expr),
        Expr::MethodCall(m) if VIEW_METHODS.contains(&m.method.to_string().as_str()) => {
            root_text(&m.receiver)
        }
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        Expr::Field(f) => {
            let base = root_text(&f.base)?;
            Some(match &f.member {
                syn::Member::Named(n) => format!("{base}.{n}"),
                syn::Member::Unnamed(i) => format!("{base}.{}", i.index),
            })
        }
        _ => None,
    }
}

/// The locals a closure or async block names (its captures, at most).
#[derive(Default)]
pub(super) struct Names(pub(super) Vec<String>);

impl<'ast> Visit<'ast> for Names {
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(id) = p.path.get_ident() {
            self.0.push(id.to_string());
        }
    }

    fn visit_macro(&mut self, m: &'ast Macro) {
        idents(m.tokens.clone(), &mut self.0);
    }
}

pub(super) fn is_size_factor(e: &Expr) -> bool {
    match strip(e) {
        Expr::Lit(_) => true,
        Expr::Call(c) => {
            callee(&c.func).is_some_and(|(s, _)| s.last().is_some_and(|n| n == "size_of"))
        }
        Expr::Cast(c) => is_size_factor(&c.expr),
        _ => false,
    }
}

pub(super) fn is_compound_assign(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

pub(super) fn pat_idents(p: &Pat, out: &mut Vec<(String, Span)>) {
    match p {
        Pat::Ident(i) => {
            out.push((i.ident.to_string(), i.ident.span()));
            if let Some((_, s)) = &i.subpat {
                pat_idents(s, out);
            }
        }
        Pat::Or(o) => {
            if let Some(first) = o.cases.first() {
                pat_idents(first, out);
            }
        }
        Pat::Paren(x) => pat_idents(&x.pat, out),
        Pat::Reference(r) => pat_idents(&r.pat, out),
        Pat::Slice(s) => s.elems.iter().for_each(|e| pat_idents(e, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pat_idents(&f.pat, out)),
        Pat::Tuple(t) => t.elems.iter().for_each(|e| pat_idents(e, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|e| pat_idents(e, out)),
        Pat::Type(t) => pat_idents(&t.pat, out),
        _ => {}
    }
}

pub(super) fn idents(tokens: TokenStream, out: &mut Vec<String>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

/// Whether the attributes include `#[cfg(..)]` (or `cfg_attr`).
pub(super) fn has_cfg(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("cfg"))
}

/// The outer attributes of the expression kinds that start statements.
pub(super) fn expr_attrs(e: &Expr) -> &[syn::Attribute] {
    match e {
        Expr::Unsafe(x) => &x.attrs,
        Expr::Block(x) => &x.attrs,
        Expr::Call(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        Expr::Macro(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::Assign(x) => &x.attrs,
        Expr::ForLoop(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::Return(x) => &x.attrs,
        Expr::Paren(x) => &x.attrs,
        _ => &[],
    }
}

/// The span of an expression's first token. `Spanned::span` prints the
/// whole expression to tokens; this is for places that only need a line.
pub(super) fn first_span(e: &Expr) -> Span {
    match e {
        Expr::Path(p) => match (&p.qself, p.path.segments.first()) {
            (Some(q), _) => q.lt_token.span,
            (None, Some(s)) => s.ident.span(),
            (None, None) => e.span(),
        },
        Expr::Call(c) => first_span(&c.func),
        Expr::MethodCall(m) => first_span(&m.receiver),
        Expr::Field(f) => first_span(&f.base),
        Expr::Index(i) => first_span(&i.expr),
        Expr::Try(t) => first_span(&t.expr),
        Expr::Cast(c) => first_span(&c.expr),
        Expr::Await(a) => first_span(&a.base),
        Expr::Binary(b) => first_span(&b.left),
        Expr::Lit(l) => l.lit.span(),
        Expr::Reference(r) => r.and_token.span,
        Expr::Paren(p) => p.paren_token.span.open(),
        Expr::Tuple(t) => t.paren_token.span.open(),
        Expr::Array(a) => a.bracket_token.span.open(),
        Expr::Unsafe(u) => u.unsafe_token.span,
        Expr::Block(b) => b.block.brace_token.span.open(),
        Expr::Macro(m) => m
            .mac
            .path
            .segments
            .first()
            .map_or_else(|| e.span(), |s| s.ident.span()),
        Expr::Struct(s) => s
            .path
            .segments
            .first()
            .map_or_else(|| e.span(), |s| s.ident.span()),
        Expr::Group(g) => first_span(&g.expr),
        Expr::If(i) => i.if_token.span,
        Expr::Match(m) => m.match_token.span,
        Expr::Closure(c) => c.or1_token.span,
        _ => e.span(),
    }
}

/// From a call's first token to its closing parenthesis.
pub(super) fn call_span(c: &ExprCall) -> Span {
    let first = first_span(&c.func);
    first.join(c.paren_token.span.close()).unwrap_or(first)
}

pub(super) fn block_end(b: &Block) -> Span {
    b.brace_token.span.close()
}

/// Byte offset of a line/column (1-based line, 0-based char column).
pub(super) fn offset(text: &str, at: proc_macro2::LineColumn) -> Option<usize> {
    let line_start = if at.line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(at.line - 2)?.0 + 1
    };
    let line = &text[line_start..];
    let col = line
        .char_indices()
        .nth(at.column)
        .map_or(line.len(), |(i, _)| i);
    Some(line_start + col)
}

pub(super) fn byte_range(text: &str, span: Span) -> Option<(usize, usize)> {
    let start = offset(text, span.start())?;
    let end = offset(text, span.end())?;
    (start <= end && end <= text.len()).then_some((start, end))
}

/// `p.is_null()`, `p == ptr::null_mut()` (then-branch null: `true`), or
/// their negations (`!p.is_null()`, `p != null()`: `false`): the local tested.
pub(super) fn null_test(cond: &Expr) -> Option<(String, bool)> {
    let is_null_call = |e: &Expr| {
        matches!(strip(e), Expr::Call(c) if callee(&c.func).is_some_and(|(s, _)| {
            s.last().is_some_and(|n| n == "null" || n == "null_mut")
        }))
    };
    match strip(cond) {
        Expr::MethodCall(m) if m.method == "is_null" => Some((path_ident(&m.receiver)?, true)),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            let (name, null) = null_test(&u.expr)?;
            Some((name, !null))
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) => {
            let name = if is_null_call(&b.right) {
                path_ident(&b.left)?
            } else if is_null_call(&b.left) {
                path_ident(&b.right)?
            } else {
                return None;
            };
            Some((name, matches!(b.op, syn::BinOp::Eq(_))))
        }
        _ => None,
    }
}
