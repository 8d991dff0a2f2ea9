//! The walk over one function body's expressions.
//!
//! Every local binding holds a [`Val`]: the pointer object it refers to (if
//! any), the objects it carries (a struct or array of pointers), a length it
//! was computed from, and a type hint. Objects have a provenance ([`Kind`]).
//! The state of one path ([`Env`]) says which objects are released and
//! which point into dropped values; branches are evaluated on copies and
//! joined (see `domain.rs`). Loops run once, and once more when the first
//! run released a pointer bound outside the loop, so that a release
//! repeated by the next iteration is seen.
//!
//! Calls and the ownership transitions they make are in `calls.rs`, method
//! calls in `methods.rs`; what a transition means for the lints is decided
//! in `detect.rs`.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, Expr, ExprClosure, Local, Macro, Pat, Stmt, Type};

use super::bodies::Body;
use super::domain::{Env, Hint, Kind, MAX_DEPTH, Obj, ObjId, Reported, Val, Var, join, join_val};
use super::facts::{BoxReleases, Fact, Release, RustAlloc, Site};
use super::known::{Known, type_of_interest};
use super::methods::RAW_PARTS;
use super::syntax::{
    Names, block_end, byte_range, expr_attrs, first_span, has_cfg, idents, is_compound_assign,
    is_size_factor, null_test, offset, pat_idents, path_ident, root_text, strip, strip_pat_type,
};
use super::tables::{
    DIVERGING_MACROS, FORMAT_MACROS, concat_hint, format_ends_nul, hint_of_type, lit_hint,
};
use crate::diag::Edit;

/// What one body produced.
#[derive(Debug, Default)]
pub struct BodyOut {
    pub facts: Vec<Fact>,
    pub box_releases: BoxReleases,
}

/// Analyses one fn body, and the bodies of the closures inside it.
pub fn analyze_body(idx: &Known<'_>, file: usize, text: &str, body: &Body<'_>) -> BodyOut {
    let mut generics: HashSet<String> = body
        .sig
        .generics
        .type_params()
        .map(|t| t.ident.to_string())
        .collect();
    if let Some(g) = body.impl_generics {
        generics.extend(g.type_params().map(|t| t.ident.to_string()));
    }
    let extern_c = body.sig.abi.as_ref().is_some_and(|abi| {
        abi.name.as_ref().is_none_or(|n| {
            matches!(
                n.value().as_str(),
                "C" | "C-unwind" | "system" | "system-unwind"
            )
        })
    });
    let ret_ty = match &body.sig.output {
        syn::ReturnType::Type(_, t) if matches!(**t, Type::Ptr(_)) => type_of_interest(t),
        _ => None,
    };
    let self_ty = body.self_ty.and_then(type_of_interest);
    let mut cx = Ctx::new(idx, file, text, extern_c, ret_ty, generics, self_ty);
    let mut env = Env::default();
    env.scopes.push(Vec::new());
    for input in &body.sig.inputs {
        if let syn::FnArg::Typed(p) = input {
            let hint = hint_of_type(&p.ty);
            cx.bind_pat(&p.pat, Val::default(), Some(hint), &mut env);
        }
    }
    let v = cx.block(body.block, &mut env);
    if !env.diverged {
        let site = match body.block.stmts.last() {
            Some(Stmt::Expr(e, None)) => first_span(e),
            _ => block_end(body.block),
        };
        cx.ret(v, site, &mut env);
    }
    cx.finish()
}

/// Analyses a closure body as a function of its own: captured values are
/// unknown inside it (their fate was decided where the closure was made).
pub(super) fn analyze_closure(
    cx_parent: &Ctx<'_>,
    c: &ExprClosure,
    param: Option<Hint>,
    out: &mut BodyOut,
) {
    let mut cx = Ctx::new(
        cx_parent.idx,
        cx_parent.file,
        cx_parent.text,
        false,
        None,
        cx_parent.generics.clone(),
        cx_parent.self_ty.clone(),
    );
    cx.in_closure = true;
    let mut env = Env::default();
    env.scopes.push(Vec::new());
    let mut param = param;
    for input in &c.inputs {
        cx.bind_pat(input, Val::default(), param.take(), &mut env);
    }
    let v = cx.eval(&c.body, &mut env);
    if !env.diverged {
        cx.ret(v, first_span(&c.body), &mut env);
    }
    let mut o = cx.finish();
    out.facts.append(&mut o.facts);
    out.box_releases.merge(o.box_releases);
}

pub(super) struct Ctx<'a> {
    pub(super) idx: &'a Known<'a>,
    pub(super) file: usize,
    pub(super) text: &'a str,
    pub(super) extern_c: bool,
    pub(super) ret_ty: Option<String>,
    pub(super) generics: HashSet<String>,
    pub(super) self_ty: Option<String>,
    pub(super) objs: Vec<Obj>,
    /// Released or escaped on some path.
    pub(super) touched: HashSet<ObjId>,
    /// Escaped on some path (a subset of `touched`, which releases add to).
    pub(super) escaped: HashSet<ObjId>,
    /// Places the function leaves early (`return`, `?`) with each foreign
    /// allocation still held and not released on that path.
    pub(super) exits: Vec<(ObjId, Span)>,
    /// The release each object was given (for summaries).
    pub(super) release_kinds: HashMap<ObjId, Release>,
    /// Computing a summary: what each early exit left released.
    pub(super) exit_released: Option<Vec<std::collections::BTreeSet<ObjId>>>,
    /// Objects standing for a struct a foreign call filled in through
    /// `&mut s` or `s.as_mut_ptr()`.
    pub(super) c_filled: HashSet<ObjId>,
    /// How many branches (if, match arm, loop body) enclose the code being
    /// walked.
    pub(super) branch_depth: usize,
    /// First place each object was handed to C.
    pub(super) handed: HashMap<ObjId, Span>,
    pub(super) leak_candidates: Vec<(ObjId, String)>,
    /// Objects borrowed from each binding.
    pub(super) owners: HashMap<usize, Vec<ObjId>>,
    pub(super) next_binding: usize,
    /// Temporaries' pointers created in each statement being evaluated.
    pub(super) stmt_temps: Vec<Vec<ObjId>>,
    /// Paths leaving each enclosing loop by `break`, with the loop's scope depth.
    pub(super) break_envs: Vec<(usize, Vec<Env>)>,
    pub(super) second_pass: bool,
    /// Expression nesting being evaluated, and whether it ever went past
    /// [`MAX_DEPTH`] (then the body is given up, see [`Ctx::finish`]).
    pub(super) depth: usize,
    pub(super) gave_up: bool,
    /// Closures met in the body, each with what its first parameter is
    /// known to hold (the element an `Option`/`Result` combinator passes).
    pub(super) closures: Vec<(&'a ExprClosure, Option<Hint>)>,
    /// Set while evaluating a combinator's closure argument: the hint of
    /// the element it receives by value.
    pub(super) closure_param: Option<Hint>,
    /// The body is a closure's (its locals die when it returns).
    pub(super) in_closure: bool,
    /// `let b: Box<T> = Box::from_raw(..)`: the `T` for the release being evaluated.
    pub(super) let_box_ann: Option<String>,
    pub(super) facts: Vec<Fact>,
    pub(super) reported: HashSet<(Reported, usize, usize)>,
    pub(super) releases: BoxReleases,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        idx: &'a Known<'a>,
        file: usize,
        text: &'a str,
        extern_c: bool,
        ret_ty: Option<String>,
        generics: HashSet<String>,
        self_ty: Option<String>,
    ) -> Ctx<'a> {
        Ctx {
            idx,
            file,
            text,
            extern_c,
            ret_ty,
            generics,
            self_ty,
            objs: Vec::new(),
            touched: HashSet::new(),
            escaped: HashSet::new(),
            exits: Vec::new(),
            c_filled: HashSet::new(),
            release_kinds: HashMap::new(),
            exit_released: None,
            branch_depth: 0,
            handed: HashMap::new(),
            leak_candidates: Vec::new(),
            owners: HashMap::new(),
            next_binding: 0,
            stmt_temps: Vec::new(),
            break_envs: Vec::new(),
            second_pass: false,
            depth: 0,
            gave_up: false,
            closures: Vec::new(),
            closure_param: None,
            in_closure: false,
            let_box_ann: None,
            facts: Vec::new(),
            reported: HashSet::new(),
            releases: BoxReleases::default(),
        }
    }

    pub(super) fn site(&self, span: Span) -> Site {
        Site {
            file: self.file,
            span,
        }
    }

    /// Reports each (kind, place) once: loops run twice.
    pub(super) fn once(&mut self, kind: Reported, span: Span) -> bool {
        let s = span.start();
        self.reported.insert((kind, s.line, s.column))
    }

    pub(super) fn new_obj(&mut self, kind: Kind, site: Span, name: &str) -> ObjId {
        if let Kind::Rust(alloc, _) = &kind {
            self.releases.hand_out(alloc);
        }
        self.objs.push(Obj {
            kind,
            site,
            name: name.to_owned(),
            fix: None,
        });
        self.objs.len() - 1
    }

    pub(super) fn finish(mut self) -> BodyOut {
        if self.gave_up {
            // Generated code nested too deep to follow within the stack:
            // nothing is reported from this body, and it may release any
            // Rust allocation (so none is called leaked elsewhere).
            let mut releases = std::mem::take(&mut self.releases);
            releases.box_unknown = true;
            releases.cstring = true;
            releases.vec = true;
            return BodyOut {
                facts: Vec::new(),
                box_releases: releases,
            };
        }
        self.foreign_leaks();
        self.handed_rust_allocations();
        let mut out = BodyOut {
            facts: std::mem::take(&mut self.facts),
            box_releases: std::mem::take(&mut self.releases),
        };
        for (c, param) in std::mem::take(&mut self.closures) {
            analyze_closure(&self, c, param, &mut out);
        }
        out
    }

    // ---- bindings -------------------------------------------------------

    pub(super) fn bind_pat(&mut self, pat: &Pat, v: Val, ann: Option<Hint>, env: &mut Env) {
        match pat {
            Pat::Ident(p) if p.subpat.is_none() => {
                let name = p.ident.to_string();
                self.bind(&name, v, ann, p.ident.span(), env);
            }
            Pat::Type(t) => {
                let hint = hint_of_type(&t.ty);
                self.bind_pat(&t.pat, v, Some(hint), env);
            }
            Pat::Paren(p) => self.bind_pat(&p.pat, v, ann, env),
            // `let _ = x;` neither moves nor stores `x`.
            Pat::Wild(_) => {}
            // `let (p, len, cap) = v.into_raw_parts();`: the pointer part is
            // the allocation; the length and capacity are plain numbers.
            Pat::Tuple(t) if self.is_raw_parts(&v) => {
                for (i, elem) in t.elems.iter().enumerate() {
                    let part = if i == 0 {
                        Val {
                            obj: v.obj,
                            ..Val::default()
                        }
                    } else {
                        Val::default()
                    };
                    self.bind_pat(elem, part, None, env);
                }
            }
            _ => {
                // Destructuring: the parts are unknown values.
                self.escape(&v);
                let mut names = Vec::new();
                pat_idents(pat, &mut names);
                for (name, span) in names {
                    self.bind(&name, Val::default(), None, span, env);
                }
            }
        }
    }

    /// The tuple `Vec::into_raw_parts` returns: its first part is the buffer.
    pub(super) fn is_raw_parts(&self, v: &Val) -> bool {
        v.obj
            .is_some_and(|o| matches!(self.objs[o].kind, Kind::Rust(RustAlloc::Vec, RAW_PARTS)))
    }

    pub(super) fn bind(
        &mut self,
        name: &str,
        mut v: Val,
        ann: Option<Hint>,
        span: Span,
        env: &mut Env,
    ) {
        let binding = self.next_binding;
        self.next_binding += 1;
        if let Some(ann) = ann.filter(|h| *h != Hint::Unknown) {
            // `let p: *mut T = Box::into_raw(..)` names the box's type.
            if let (Hint::Ptr(Some(t)), Some(o)) = (&ann, v.obj)
                && let Kind::Rust(RustAlloc::Box(ty @ None), _) = &mut self.objs[o].kind
                && !self.generics.contains(t)
                && t != "c_void"
            {
                *ty = Some(t.clone());
            }
            v.hint = ann;
        }
        match v.obj {
            None => v.obj = Some(self.new_obj(Kind::Unknown, span, name)),
            Some(o) => {
                if matches!(
                    self.objs[o].kind,
                    Kind::CAlloc {
                        free_with: Some(_),
                        ..
                    }
                ) && !self.leak_candidates.iter().any(|(c, _)| *c == o)
                {
                    self.leak_candidates.push((o, name.to_owned()));
                }
            }
        }
        if let Some(scope) = env.scopes.last_mut() {
            scope.push(Var {
                name: name.to_owned(),
                binding,
                val: v,
                moved: false,
            });
        }
    }

    /// A value moved out of a local (`let t = s;`, `f(s)`): the local no
    /// longer frees anything when its scope ends.
    pub(super) fn mark_moved(&mut self, e: &Expr, env: &mut Env) {
        if let Some(name) = path_ident(e)
            && let Some(var) = env.var_mut(&name)
        {
            var.moved = true;
        }
    }

    /// The owned local `var` is dropped here: pointers into it dangle.
    pub(super) fn drop_var(&mut self, binding: usize, at: Span, env: &mut Env) {
        if let Some(objs) = self.owners.get(&binding) {
            for o in objs {
                env.dangling.entry(*o).or_insert(at);
            }
        }
    }

    /// The value can no longer be followed: it counts as taken care of.
    pub(super) fn escape(&mut self, v: &Val) {
        for o in v.objs() {
            self.touched.insert(o);
            self.escaped.insert(o);
        }
    }

    /// The value reaches C at `site`.
    pub(super) fn hand_to_c(&mut self, v: &Val, site: Span, env: &Env) {
        for o in v.objs().collect::<Vec<_>>() {
            self.handed.entry(o).or_insert(site);
            if let Some(dropped) = env.dangling.get(&o).copied() {
                self.dangling(o, dropped, site, false);
            }
        }
    }

    /// The value leaves the function.
    pub(super) fn ret(&mut self, v: Val, site: Span, env: &mut Env) {
        self.escape(&v);
        for o in v.objs() {
            if let Kind::Rust(RustAlloc::Box(ty @ None), _) = &mut self.objs[o].kind
                && let Some(t) = &self.ret_ty
                && !self.generics.contains(t)
                && t != "c_void"
            {
                *ty = Some(t.clone());
            }
            if let Some(dropped) = env.dangling.get(&o).copied() {
                self.dangling(o, dropped, site, true);
                continue;
            }
            if let Kind::Borrowed { temp, owner, .. } = self.objs[o].kind.clone() {
                let owner_live = owner.is_some_and(|b| {
                    env.scopes
                        .iter()
                        .flatten()
                        .any(|v| v.binding == b && v.val.hint.owned() && !v.moved)
                });
                if temp || owner_live {
                    self.dangling(o, site, site, true);
                }
            }
        }
        if self.extern_c {
            self.hand_to_c(&v, site, env);
        }
    }

    // ---- blocks and statements -------------------------------------------

    pub(super) fn block(&mut self, b: &'a Block, env: &mut Env) -> Val {
        env.scopes.push(Vec::new());
        let mut last = Val::default();
        let n = b.stmts.len();
        for (i, stmt) in b.stmts.iter().enumerate() {
            if env.diverged {
                break;
            }
            self.stmt_temps.push(Vec::new());
            let mut tail = false;
            match stmt {
                Stmt::Local(l) => self.local(l, env),
                Stmt::Item(_) => {}
                // A statement under `#[cfg]` may not be compiled (it is often
                // one of several alternatives): it runs on one path only.
                Stmt::Expr(e, Some(_)) if has_cfg(expr_attrs(e)) => {
                    let mut maybe = env.clone();
                    self.eval(e, &mut maybe);
                    *env = join(std::mem::take(env), maybe);
                }
                Stmt::Macro(m) if has_cfg(&m.attrs) => {
                    let mut maybe = env.clone();
                    self.mac(&m.mac, &mut maybe);
                    *env = join(std::mem::take(env), maybe);
                }
                Stmt::Expr(e, semi) => {
                    let v = self.eval(e, env);
                    if semi.is_none() && i + 1 == n {
                        // The block's value moves out of it.
                        self.mark_moved(e, env);
                        last = v;
                        tail = true;
                    }
                }
                Stmt::Macro(m) => {
                    self.mac(&m.mac, env);
                }
            }
            let temps = self.stmt_temps.pop().unwrap_or_default();
            match self.stmt_temps.last_mut() {
                // A block's tail temporaries live as long as the statement
                // around the block.
                Some(outer) if tail => outer.extend(temps),
                _ if tail => {}
                _ if temps.is_empty() => {}
                _ => {
                    let at = stmt.span();
                    for o in temps {
                        env.dangling.entry(o).or_insert(at);
                    }
                }
            }
        }
        let end = block_end(b);
        if let Some(scope) = env.scopes.pop() {
            for var in scope.iter().rev() {
                if var.val.hint.owned() && !var.moved {
                    self.drop_var(var.binding, end, env);
                }
                if let Hint::Named(ty) = &var.val.hint
                    && !var.moved
                    && !env.diverged
                {
                    self.apply_self_summary(var, ty, "drop", end, env);
                }
            }
        }
        last
    }

    pub(super) fn local(&mut self, l: &'a Local, env: &mut Env) {
        let ann = match &l.pat {
            Pat::Type(t) => Some(&*t.ty),
            _ => None,
        };
        self.let_box_ann = ann.and_then(|t| match hint_of_type(t) {
            Hint::Box(t) => t,
            _ => None,
        });
        let v = match &l.init {
            Some(init) => {
                let v = self.eval(&init.expr, env);
                self.mark_moved(&init.expr, env);
                if let Some((_, diverge)) = &init.diverge {
                    let mut e2 = env.clone();
                    self.eval(diverge, &mut e2);
                }
                v
            }
            None => Val::default(),
        };
        self.let_box_ann = None;
        if let (Some(o), Some(init)) = (v.obj, &l.init) {
            self.offer_fix(o, l, &init.expr);
        }
        self.bind_pat(&l.pat, v, None, env);
    }

    /// `let p = CString::new(x).unwrap().as_ptr();` can be rewritten to keep
    /// the string alive: bind it to a local first. Offered only for that
    /// exact shape, where the rewrite keeps the evaluation order.
    pub(super) fn offer_fix(&mut self, o: ObjId, l: &Local, init: &Expr) {
        let Kind::Borrowed { temp: true, .. } = self.objs[o].kind else {
            return;
        };
        let Pat::Ident(p) = strip_pat_type(&l.pat) else {
            return;
        };
        let mut e = init;
        loop {
            match e {
                Expr::Cast(c) => e = &c.expr,
                Expr::Paren(p) => e = &p.expr,
                Expr::MethodCall(m)
                    if matches!(
                        m.method.to_string().as_str(),
                        "cast" | "cast_mut" | "cast_const"
                    ) =>
                {
                    e = &m.receiver
                }
                _ => break,
            }
        }
        let Expr::MethodCall(m) = e else { return };
        if !matches!(m.method.to_string().as_str(), "as_ptr" | "as_mut_ptr") {
            return;
        }
        let name = format!("{}_owned", p.ident);
        if self.text.contains(&name) {
            return;
        }
        let (Some(let_start), Some(recv)) = (
            offset(self.text, l.let_token.span.start()),
            byte_range(self.text, m.receiver.span()),
        ) else {
            return;
        };
        let line_start = self.text[..let_start].rfind('\n').map_or(0, |i| i + 1);
        let indent: String = self.text[line_start..let_start]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let recv_text = &self.text[recv.0..recv.1];
        self.objs[o].fix = Some(vec![
            Edit {
                file: String::new(),
                start: let_start,
                end: let_start,
                text: format!("let {name} = {recv_text};\n{indent}"),
            },
            Edit {
                file: String::new(),
                start: recv.0,
                end: recv.1,
                text: name,
            },
        ]);
    }

    // ---- expressions ------------------------------------------------------

    pub(super) fn eval(&mut self, e: &'a Expr, env: &mut Env) -> Val {
        if self.gave_up || self.depth >= MAX_DEPTH {
            self.gave_up = true;
            return Val::default();
        }
        self.depth += 1;
        let v = self.eval_expr(e, env);
        self.depth -= 1;
        v
    }

    pub(super) fn eval_expr(&mut self, e: &'a Expr, env: &mut Env) -> Val {
        match e {
            Expr::Array(a) => self.collection(a.elems.iter(), env),
            Expr::Tuple(t) => self.collection(t.elems.iter(), env),
            Expr::Struct(s) => self.struct_literal(s, env),
            Expr::Assign(a) => {
                self.assign(&a.left, &a.right, env);
                Val::default()
            }
            Expr::Binary(b) => {
                let l = self.eval(&b.left, env);
                let r = self.eval(&b.right, env);
                if is_compound_assign(&b.op) {
                    if let Some(name) = path_ident(&b.left)
                        && let Some(var) = env.var_mut(&name)
                    {
                        var.val.obj = None;
                        // `s += "..\0"` ends the string in a NUL; `s += x` may not.
                        var.val.nul = matches!(b.op, syn::BinOp::AddAssign(_)) && r.ends_nul();
                    }
                    return Val::default();
                }
                let len = match &b.op {
                    syn::BinOp::Mul(_) | syn::BinOp::Div(_) => {
                        if is_size_factor(&b.right) {
                            l.len
                        } else if is_size_factor(&b.left) {
                            r.len
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                Val {
                    len,
                    ..Val::default()
                }
            }
            Expr::Block(b) => self.block(&b.block, env),
            Expr::Unsafe(u) => self.block(&u.block, env),
            Expr::TryBlock(t) => self.block(&t.block, env),
            Expr::Const(_) => Val::default(),
            Expr::Break(b) => {
                if let Some(x) = &b.expr {
                    let v = self.eval(x, env);
                    self.escape(&v);
                }
                if let Some((depth, list)) = self.break_envs.last_mut() {
                    let mut e2 = env.clone();
                    e2.scopes.truncate(*depth);
                    list.push(e2);
                }
                env.diverged = true;
                Val::default()
            }
            Expr::Continue(_) => {
                env.diverged = true;
                Val::default()
            }
            Expr::Return(r) => {
                if let Some(x) = &r.expr {
                    let v = self.eval(x, env);
                    self.mark_moved(x, env);
                    self.ret(v, first_span(x), env);
                }
                self.early_exit(r.return_token.span, env);
                env.diverged = true;
                Val::default()
            }
            Expr::Call(c) => self.call(c, env),
            Expr::MethodCall(m) => self.method(m, env),
            Expr::Cast(c) => {
                let v = self.eval(&c.expr, env);
                let is_str = matches!(
                    v.hint,
                    Hint::Str | Hint::String | Hint::StringRef | Hint::StrLit(_)
                );
                if is_str && matches!(*c.ty, Type::Ptr(_)) {
                    // `s as *const str as *const c_char`: the string's bytes.
                    let root = root_text(&c.expr);
                    let kind = Kind::Borrowed {
                        nul: v.ends_nul(),
                        src: v.hint,
                        owner_name: root.clone().unwrap_or_else(|| "its owner".to_owned()),
                        root,
                        mutable: false,
                        owner: None,
                        temp: false,
                    };
                    return Val {
                        obj: Some(self.new_obj(kind, first_span(&c.expr), "")),
                        ..Val::default()
                    };
                }
                v
            }
            Expr::Closure(c) => {
                self.closure(c, env);
                Val::default()
            }
            Expr::Async(a) => {
                let mut names = Names::default();
                names.visit_block(&a.block);
                self.capture(names.0, env);
                Val::default()
            }
            Expr::Await(a) => {
                let v = self.eval(&a.base, env);
                self.escape(&v);
                Val::default()
            }
            Expr::Field(f) => self.field(f, env),
            Expr::ForLoop(f) => {
                let it = self.eval(&f.expr, env);
                self.escape(&it);
                self.mark_moved(&f.expr, env);
                self.run_loop(None, Some(&f.pat), &f.body, false, env);
                Val::default()
            }
            Expr::While(w) => {
                self.run_loop(Some(&w.cond), None, &w.body, false, env);
                Val::default()
            }
            Expr::Loop(l) => {
                self.run_loop(None, None, &l.body, true, env);
                Val::default()
            }
            Expr::Group(g) => self.eval(&g.expr, env),
            Expr::Paren(p) => self.eval(&p.expr, env),
            Expr::If(i) => self.if_expr(i, env),
            Expr::Match(m) => self.match_expr(m, env),
            Expr::Index(i) => {
                // An element of a collection of pointers: any of them.
                let base = self.eval(&i.expr, env);
                self.eval(&i.index, env);
                Val {
                    carried: base.carried,
                    ..Val::default()
                }
            }
            Expr::Let(l) => {
                let v = self.eval(&l.expr, env);
                self.escape(&v);
                self.bind_pat(&l.pat, Val::default(), None, env);
                Val::default()
            }
            Expr::Lit(l) => Val {
                hint: lit_hint(&l.lit),
                ..Val::default()
            },
            Expr::Macro(m) => self.mac(&m.mac, env),
            Expr::Path(p) => match p.path.get_ident() {
                Some(id) => env
                    .var(&id.to_string())
                    .map(|v| v.val.clone())
                    .unwrap_or_default(),
                None => Val::default(),
            },
            Expr::Range(r) => {
                if let Some(s) = &r.start {
                    self.eval(s, env);
                }
                if let Some(s) = &r.end {
                    self.eval(s, env);
                }
                Val::default()
            }
            Expr::Reference(r) => {
                let v = self.eval(&r.expr, env);
                Val {
                    carried: v.objs().collect(),
                    nul: v.nul,
                    hint: v.hint,
                    ..Val::default()
                }
            }
            Expr::RawAddr(r) => {
                let v = self.eval(&r.expr, env);
                Val {
                    carried: v.objs().collect(),
                    ..Val::default()
                }
            }
            Expr::Repeat(r) => {
                let v = self.eval(&r.expr, env);
                self.escape(&v);
                self.eval(&r.len, env);
                Val {
                    carried: v.objs().collect(),
                    ..Val::default()
                }
            }
            Expr::Try(t) => {
                let v = self.eval(&t.expr, env);
                // The error path leaves the function here.
                self.early_exit(t.question_token.span, env);
                v
            }
            Expr::Unary(u) => {
                self.eval(&u.expr, env);
                Val::default()
            }
            Expr::Yield(y) => {
                if let Some(x) = &y.expr {
                    let v = self.eval(x, env);
                    self.escape(&v);
                }
                Val::default()
            }
            _ => Val::default(),
        }
    }

    // Arms of `eval_expr` with locals of their own are fns of their own:
    // the walk recurses through `eval_expr`, whose frame stays small.

    /// `S { f: x, .. }`: the fields carry their values, and name them.
    pub(super) fn struct_literal(&mut self, s: &'a syn::ExprStruct, env: &mut Env) -> Val {
        let mut v = Val::default();
        for f in &s.fields {
            let fv = self.collection(std::iter::once(&f.expr), env);
            if let (syn::Member::Named(n), [o]) = (&f.member, fv.carried.as_slice()) {
                v.fields.push((n.to_string(), *o));
            }
            v.carried.extend(fv.carried);
        }
        if let Some(rest) = &s.rest {
            let r = self.eval(rest, env);
            self.escape(&r);
        }
        // A value of a crate type with a `Drop` impl: its drop runs
        // at the end of its scope.
        v.hint = match s.path.segments.last().map(|l| l.ident.to_string()) {
            Some(t)
                if self
                    .idx
                    .methods
                    .contains_key(&(t.clone(), "drop".to_owned())) =>
            {
                Hint::Named(t)
            }
            _ => Hint::Unknown,
        };
        v
    }

    /// `x.f`: a pointer C wrote into a struct, the value a struct literal put
    /// there, the buffer of `into_raw_parts`, or what the field's type says.
    pub(super) fn field(&mut self, f: &'a syn::ExprField, env: &mut Env) -> Val {
        let b = self.eval(&f.base, env);
        if matches!(&f.member, syn::Member::Unnamed(i) if i.index == 0) && self.is_raw_parts(&b) {
            // `parts.0` of `into_raw_parts`: the buffer itself.
            return Val {
                obj: b.obj,
                ..Val::default()
            };
        }
        if let Some(v) = self.c_field(&b, f) {
            return v;
        }
        if let syn::Member::Named(n) = &f.member
            && let Some((_, o)) = b.fields.iter().find(|(k, _)| n == k)
        {
            return Val {
                obj: Some(*o),
                ..Val::default()
            };
        }
        let hint = match &f.member {
            syn::Member::Named(n) => self.field_hint(&n.to_string()),
            syn::Member::Unnamed(_) => Hint::Unknown,
        };
        Val {
            carried: b.carried,
            hint,
            ..Val::default()
        }
    }

    /// Elements stored in an array, tuple or struct: they escape into it,
    /// and the aggregate carries them (a pointer inside it can still dangle).
    pub(super) fn collection(
        &mut self,
        elems: impl Iterator<Item = &'a Expr>,
        env: &mut Env,
    ) -> Val {
        let mut out = Val::default();
        for e in elems {
            let v = self.eval(e, env);
            self.mark_moved(e, env);
            self.escape(&v);
            out.carried.extend(v.objs());
        }
        out
    }

    pub(super) fn assign(&mut self, lhs: &'a Expr, rhs: &'a Expr, env: &mut Env) {
        let mut v = self.eval(rhs, env);
        self.mark_moved(rhs, env);
        match strip(lhs) {
            Expr::Path(p)
                if p.path.get_ident().is_some()
                    && env.var(&p.path.segments[0].ident.to_string()).is_some() =>
            {
                let name = p.path.segments[0].ident.to_string();
                let Some((binding, old_hint)) =
                    env.var(&name).map(|v| (v.binding, v.val.hint.clone()))
                else {
                    return;
                };
                if old_hint.owned() {
                    // The old value is dropped by the assignment.
                    self.drop_var(binding, first_span(lhs), env);
                    self.owners.remove(&binding);
                }
                if v.obj.is_none() {
                    v.obj = Some(self.new_obj(Kind::Unknown, first_span(lhs), &name));
                }
                if v.hint == Hint::Unknown {
                    v.hint = old_hint;
                }
                if let Some(var) = env.var_mut(&name) {
                    var.val = v;
                    var.moved = false;
                }
            }
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                // `*out = p`: written through a pointer; in an export, to C.
                self.eval(&u.expr, env);
                self.escape(&v);
                if self.extern_c {
                    self.hand_to_c(&v, first_span(lhs), env);
                }
            }
            other => {
                // `h.field = v`: the struct's field holds `v` now.
                if let Expr::Field(f) = other
                    && let syn::Member::Named(n) = &f.member
                    && let Some(base) = path_ident(&f.base)
                    && let Some(var) = env.var_mut(&base)
                {
                    var.val.fields.retain(|(k, _)| n != k);
                    if let Some(o) = v.obj {
                        var.val.fields.push((n.to_string(), o));
                    }
                }
                self.eval(other, env);
                self.escape(&v);
            }
        }
    }

    pub(super) fn closure(&mut self, c: &'a ExprClosure, env: &mut Env) {
        let mut names = Names::default();
        names.visit_expr(&c.body);
        self.capture(names.0.clone(), env);
        if c.capture.is_some() {
            for n in names.0 {
                if let Some(var) = env.var_mut(&n) {
                    var.moved = true;
                }
            }
        }
        if !self.second_pass {
            let param = self.closure_param.take();
            self.closures.push((c, param));
        }
    }

    /// Every local named in `tokens` escapes (captured by a closure, or
    /// passed to a macro the analysis cannot read).
    pub(super) fn capture(&mut self, names: Vec<String>, env: &mut Env) {
        for n in names {
            if let Some(v) = env.var(&n).map(|v| v.val.clone()) {
                self.escape(&v);
            }
        }
    }

    pub(super) fn if_expr(&mut self, i: &'a syn::ExprIf, env: &mut Env) -> Val {
        env.scopes.push(Vec::new());
        self.eval(&i.cond, env);
        let mut then_env = env.clone();
        env.scopes.pop();
        // `if p.is_null() { return .. }`: nothing was allocated to release.
        if let Some((name, then_null)) = null_test(&i.cond)
            && let Some(o) = env.var(&name).and_then(|v| v.val.obj)
        {
            if then_null {
                then_env.null.insert(o);
            } else {
                env.null.insert(o);
            }
        }
        self.branch_depth += 1;
        let tv = self.block(&i.then_branch, &mut then_env);
        then_env.scopes.pop();
        let ev = match &i.else_branch {
            Some((_, e)) => self.eval(e, env),
            None => Val::default(),
        };
        self.branch_depth -= 1;
        let branches = [then_env, std::mem::take(env)];
        *env = self.join_branches(branches.to_vec());
        join_val(tv, ev)
    }

    /// Joins the paths out of exclusive branches. A release made by a
    /// branch that did not leave, and not by all of them, is remembered as
    /// a maybe-release (see `Ctx::release_val`).
    pub(super) fn join_branches(&mut self, branches: Vec<Env>) -> Env {
        let mut maybe: Vec<(ObjId, Span)> = Vec::new();
        for b in branches.iter().filter(|b| !b.diverged) {
            maybe.extend(b.released.iter().map(|(o, s)| (*o, *s)));
        }
        let mut out = branches.into_iter().reduce(join).unwrap_or_default();
        if !out.diverged {
            for (o, s) in maybe {
                if !out.released.contains_key(&o) {
                    out.maybe_released
                        .entry(o)
                        .or_insert((s, self.branch_depth));
                }
            }
        }
        out
    }

    pub(super) fn match_expr(&mut self, m: &'a syn::ExprMatch, env: &mut Env) -> Val {
        let s = self.eval(&m.expr, env);
        self.escape(&s);
        let mut arms: Vec<Env> = Vec::new();
        let mut val: Option<Val> = None;
        let n = m.arms.len();
        for (i, arm) in m.arms.iter().enumerate() {
            let mut e = if i + 1 == n {
                std::mem::take(env)
            } else {
                env.clone()
            };
            e.scopes.push(Vec::new());
            self.bind_pat(&arm.pat, Val::default(), None, &mut e);
            if let Some((_, g)) = &arm.guard {
                self.eval(g, &mut e);
            }
            self.branch_depth += 1;
            let v = self.eval(&arm.body, &mut e);
            self.branch_depth -= 1;
            e.scopes.pop();
            if !e.diverged {
                val = Some(match val {
                    None => v,
                    Some(prev) => join_val(prev, v),
                });
            }
            arms.push(e);
        }
        *env = if arms.is_empty() {
            Env {
                diverged: true,
                ..std::mem::take(env)
            }
        } else {
            self.join_branches(arms)
        };
        val.unwrap_or_default()
    }

    pub(super) fn run_loop(
        &mut self,
        cond: Option<&'a Expr>,
        pat: Option<&'a Pat>,
        body: &'a Block,
        infinite: bool,
        env: &mut Env,
    ) {
        let depth = env.scopes.len();
        self.break_envs.push((depth, Vec::new()));
        let entry = env.clone();
        let run = |cx: &mut Ctx<'a>, e: &mut Env| {
            cx.branch_depth += 1;
            e.scopes.push(Vec::new());
            if let Some(c) = cond {
                cx.eval(c, e);
            }
            if let Some(p) = pat {
                cx.bind_pat(p, Val::default(), None, e);
            }
            cx.block(body, e);
            e.scopes.truncate(depth);
            cx.branch_depth -= 1;
        };
        let mut cur = env.clone();
        run(self, &mut cur);
        // A pointer bound outside the loop and released inside it is
        // released again by the next iteration, unless the body leaves.
        let outer_release = !cur.diverged
            && cur.released.keys().any(|o| {
                !entry.released.contains_key(o)
                    && cur.scopes.iter().flatten().any(|v| v.val.obj == Some(*o))
            });
        if outer_release {
            let saved = self.second_pass;
            self.second_pass = true;
            let mut again = cur.clone();
            run(self, &mut again);
            self.second_pass = saved;
            cur = again;
        }
        let breaks = self.break_envs.pop().map(|(_, b)| b).unwrap_or_default();
        let mut out = if infinite {
            Env {
                diverged: true,
                ..entry.clone()
            }
        } else if cur.diverged {
            entry
        } else {
            cur
        };
        for b in breaks {
            out = join(out, b);
        }
        *env = out;
    }

    pub(super) fn mac(&mut self, m: &'a Macro, env: &mut Env) -> Val {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let name = name.as_str();
        if FORMAT_MACROS.contains(&name) {
            // Formatting and assertion arguments are only read: nothing
            // escapes, nothing is released.
            // `assert!`s run in release builds too, and a call among their
            // arguments may release (`assert_eq!(0, unsafe { sqlite3_finalize(s) })`):
            // what such arguments name is handed on, as to an unknown macro.
            if matches!(name, "assert" | "assert_eq" | "assert_ne") {
                let mut names = Vec::new();
                call_args(m.tokens.clone(), &mut names);
                self.capture(names, env);
            }
            if DIVERGING_MACROS.contains(&name) {
                env.diverged = true;
            }
            if matches!(name, "write" | "writeln") {
                // `write!(s, ..)` appends to `s`: its end is no longer known.
                let dst = m
                    .tokens
                    .clone()
                    .into_iter()
                    .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
                    .filter_map(|t| match t {
                        TokenTree::Ident(i) => Some(i.to_string()),
                        _ => None,
                    })
                    .last();
                if let Some(var) = dst.and_then(|d| env.var_mut(&d)) {
                    var.val.nul = false;
                }
            }
            return match name {
                "format" => Val {
                    hint: Hint::String,
                    nul: format_ends_nul(m),
                    ..Val::default()
                },
                _ => Val::default(),
            };
        }
        match name {
            "vec" => {
                let mut v = Val::default();
                let mut names = Vec::new();
                idents(m.tokens.clone(), &mut names);
                for n in names {
                    if let Some(var) = env.var(&n).map(|v| v.val.clone()) {
                        self.escape(&var);
                        v.carried.extend(var.objs());
                    }
                }
                v.hint = Hint::Vec;
                v
            }
            "addr_of" | "addr_of_mut" | "matches" | "debug_assert" | "cfg" | "stringify"
            | "concat" | "line" | "file" | "column" | "module_path" | "env" | "option_env"
            | "include_str" | "include_bytes" => Val {
                hint: if name == "concat" {
                    concat_hint(m)
                } else {
                    Hint::Unknown
                },
                ..Val::default()
            },
            "c" | "cstr" | "c_str" => Val {
                hint: Hint::CStrLit,
                ..Val::default()
            },
            _ => {
                {
                    let mut names = Vec::new();
                    idents(m.tokens.clone(), &mut names);
                    self.capture(names, env);
                }
                Val::default()
            }
        }
    }
}

/// The names among the arguments of the calls in `tokens` (`f(a, b.c)`
/// gives `a`, `b`, `c`), at any depth; a method's receiver is not one.
fn call_args(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    let mut prev_ident = false;
    for t in tokens {
        match t {
            TokenTree::Group(g) => {
                if prev_ident && g.delimiter() == proc_macro2::Delimiter::Parenthesis {
                    idents(g.stream(), out);
                } else {
                    call_args(g.stream(), out);
                }
                prev_ident = false;
            }
            TokenTree::Ident(_) => prev_ident = true,
            _ => prev_ident = false,
        }
    }
}
