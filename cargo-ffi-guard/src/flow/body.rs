//! The dataflow over one function body.
//!
//! Every local binding holds a [`Val`]: the pointer object it refers to (if
//! any), the objects it carries (a struct or array of pointers), a length it
//! was computed from, and a type hint. Objects have a provenance ([`Kind`]).
//! The state of one path ([`Env`]) says which objects are released and
//! which point into dropped values; branches are evaluated on copies and
//! joined, keeping only what holds on every path that reaches the join
//! (a release counts only when every branch made it). Loops run once, and
//! once more when the first run released a pointer bound outside the loop,
//! so that a release repeated by the next iteration is seen.
//!
//! What happens to an object across all paths is collected per body:
//! whether it was released or escaped anywhere (for leaks), and where it was
//! handed to C.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, Expr, ExprCall, ExprClosure, ExprMethodCall, Lit, Local, Macro, Pat, Stmt, Type};

use super::index::{BoxReleases, ForeignFn, OwnershipIndex, last_segment, type_of_interest};
use super::walk::Body;
use super::{DIVERGING_MACROS, FORMAT_MACROS, Fact, RustAlloc, Site, is_foreign_path};
use crate::diag::Edit;

/// What one body produced.
#[derive(Debug, Default)]
pub struct BodyOut {
    pub facts: Vec<Fact>,
    pub box_releases: BoxReleases,
}

/// Analyses one fn body, and the bodies of the closures inside it.
pub fn analyze_body(idx: &OwnershipIndex<'_>, file: usize, text: &str, body: &Body<'_>) -> BodyOut {
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
fn analyze_closure(cx_parent: &Ctx<'_>, c: &ExprClosure, out: &mut BodyOut) {
    let mut cx = Ctx::new(
        cx_parent.idx,
        cx_parent.file,
        cx_parent.text,
        false,
        None,
        cx_parent.generics.clone(),
        cx_parent.self_ty.clone(),
    );
    let mut env = Env::default();
    env.scopes.push(Vec::new());
    for input in &c.inputs {
        cx.bind_pat(input, Val::default(), None, &mut env);
    }
    let v = cx.eval(&c.body, &mut env);
    if !env.diverged {
        cx.ret(v, first_span(&c.body), &mut env);
    }
    let mut o = cx.finish();
    out.facts.append(&mut o.facts);
    out.box_releases.merge(o.box_releases);
}

type ObjId = usize;

/// Deepest expression nesting followed; deeper bodies (generated code,
/// huge literals) are given up rather than overflowing the stack.
pub(super) const MAX_DEPTH: usize = 100;

/// What a value is, as far as ownership and strings go.
#[derive(Clone, Debug, Default, PartialEq)]
enum Hint {
    #[default]
    Unknown,
    CString,
    String,
    /// `&str` or `str`.
    Str,
    /// `&String`: a Rust string, owned elsewhere.
    StringRef,
    /// A string literal; `true` when it ends in `\0`.
    StrLit(bool),
    ByteLit(bool),
    CStrLit,
    Vec,
    Box(Option<String>),
    /// A raw pointer to this type.
    Ptr(Option<String>),
    Named(String),
}

impl Hint {
    /// Values whose drop frees the memory their `as_ptr()` points into.
    fn owned(&self) -> bool {
        matches!(
            self,
            Hint::CString | Hint::String | Hint::Vec | Hint::Box(_)
        )
    }

    /// Sources whose `as_ptr()` is certainly a borrow of Rust memory.
    fn rust_memory(&self) -> bool {
        matches!(
            self,
            Hint::CString
                | Hint::String
                | Hint::Vec
                | Hint::Str
                | Hint::StringRef
                | Hint::StrLit(_)
                | Hint::ByteLit(_)
                | Hint::CStrLit
                | Hint::Box(_)
        )
    }

    fn rust_alloc(&self) -> Option<RustAlloc> {
        match self {
            Hint::CString => Some(RustAlloc::CString),
            Hint::String | Hint::Vec => Some(RustAlloc::Vec),
            Hint::Box(t) => Some(RustAlloc::Box(t.clone())),
            _ => None,
        }
    }
}

/// Where a pointer object came from.
#[derive(Clone, Debug)]
enum Kind {
    /// A pointer the analysis knows nothing about (a parameter, a field).
    Unknown,
    /// Memory of Rust's allocator turned into a raw pointer, and how.
    Rust(RustAlloc, &'static str),
    /// `as_ptr()`/`as_mut_ptr()` of a value.
    Borrowed {
        src: Hint,
        /// The receiver, as written (for comparing with a length's object).
        root: Option<String>,
        mutable: bool,
        /// The local binding that owns the memory, if any.
        owner: Option<usize>,
        owner_name: String,
        /// The receiver was a temporary, dropped at the end of the statement.
        temp: bool,
        /// The borrowed text ends in a NUL (see [`Val::nul`]).
        nul: bool,
    },
    /// Memory allocated in C; `free_with` is its paired release when known.
    CAlloc {
        func: String,
        free_with: Option<String>,
    },
    /// A pointer a foreign fn returned or wrote to an out-parameter without
    /// being known to allocate: C's memory, unless it is a Rust pointer
    /// coming back (user data), of a type `ty` the crate hands out.
    CRet { func: String, ty: Option<String> },
}

#[derive(Clone, Debug)]
struct Obj {
    kind: Kind,
    site: Span,
    name: String,
    fix: Option<Vec<Edit>>,
}

#[derive(Clone, Debug, Default)]
struct Val {
    obj: Option<ObjId>,
    /// Pointer objects inside this value (struct fields, array elements).
    carried: Vec<ObjId>,
    /// `x.len()` / `x.capacity()`: the receiver, whether capacity, the span.
    len: Option<(String, bool, Span)>,
    hint: Hint,
    /// This value owns what `Box/CString/Vec::from_raw` took from this object.
    owner_of: Option<ObjId>,
    /// A string (or bytes) whose text the code made end in `\0`:
    /// `format!("..\0")`, `String::from("..\0")`, `s.push('\0')`.
    nul: bool,
}

impl Val {
    /// The text ends in a NUL: a terminated literal, or a string made so.
    fn ends_nul(&self) -> bool {
        self.nul || matches!(self.hint, Hint::StrLit(true) | Hint::ByteLit(true))
    }

    fn objs(&self) -> impl Iterator<Item = ObjId> + '_ {
        self.obj.iter().chain(self.carried.iter()).copied()
    }
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    binding: usize,
    val: Val,
    moved: bool,
}

/// The state of one path through the body.
#[derive(Clone, Debug, Default)]
struct Env {
    scopes: Vec<Vec<Var>>,
    /// Objects released on every path to here, with the release site.
    released: BTreeMap<ObjId, Span>,
    /// Objects pointing into a value dropped on every path to here.
    dangling: BTreeMap<ObjId, Span>,
    /// No path continues from here (return, break, continue, panic).
    diverged: bool,
}

impl Env {
    fn var(&self, name: &str) -> Option<&Var> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|v| v.name == name)
    }

    fn var_mut(&mut self, name: &str) -> Option<&mut Var> {
        self.scopes
            .iter_mut()
            .rev()
            .flat_map(|s| s.iter_mut().rev())
            .find(|v| v.name == name)
    }
}

/// How a release gives memory back.
#[derive(Clone, Debug)]
enum Rel {
    Rust(RustAlloc),
    /// A C release function, by name (`free`, `widget_free`).
    C(String),
}

impl Rel {
    fn name(&self) -> String {
        match self {
            Rel::Rust(k) => k.release_name().to_owned(),
            Rel::C(f) => f.clone(),
        }
    }
}

struct Ctx<'a> {
    idx: &'a OwnershipIndex<'a>,
    file: usize,
    text: &'a str,
    extern_c: bool,
    ret_ty: Option<String>,
    generics: HashSet<String>,
    self_ty: Option<String>,
    objs: Vec<Obj>,
    /// Released or escaped on some path.
    touched: HashSet<ObjId>,
    /// First place each object was handed to C.
    handed: HashMap<ObjId, Span>,
    leak_candidates: Vec<(ObjId, String)>,
    /// Objects borrowed from each binding.
    owners: HashMap<usize, Vec<ObjId>>,
    next_binding: usize,
    /// Temporaries' pointers created in each statement being evaluated.
    stmt_temps: Vec<Vec<ObjId>>,
    /// Paths leaving each enclosing loop by `break`, with the loop's scope depth.
    break_envs: Vec<(usize, Vec<Env>)>,
    second_pass: bool,
    /// Expression nesting being evaluated, and whether it ever went past
    /// [`MAX_DEPTH`] (then the body is given up, see [`Ctx::finish`]).
    depth: usize,
    gave_up: bool,
    closures: Vec<&'a ExprClosure>,
    /// `let b: Box<T> = Box::from_raw(..)`: the `T` for the release being evaluated.
    let_box_ann: Option<String>,
    facts: Vec<Fact>,
    reported: HashSet<(u8, usize, usize)>,
    releases: BoxReleases,
}

impl<'a> Ctx<'a> {
    fn new(
        idx: &'a OwnershipIndex<'a>,
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
            let_box_ann: None,
            facts: Vec::new(),
            reported: HashSet::new(),
            releases: BoxReleases::default(),
        }
    }

    fn site(&self, span: Span) -> Site {
        Site {
            file: self.file,
            span,
        }
    }

    /// Reports each (kind, place) once: loops run twice.
    fn once(&mut self, kind: u8, span: Span) -> bool {
        let s = span.start();
        self.reported.insert((kind, s.line, s.column))
    }

    fn new_obj(&mut self, kind: Kind, site: Span, name: &str) -> ObjId {
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

    fn finish(mut self) -> BodyOut {
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
        for (o, binding) in std::mem::take(&mut self.leak_candidates) {
            if self.touched.contains(&o) {
                continue;
            }
            if let Kind::CAlloc {
                func,
                free_with: Some(free_with),
            } = self.objs[o].kind.clone()
                && self.once(1, self.objs[o].site)
            {
                self.facts.push(Fact::ForeignLeak {
                    func,
                    free_with,
                    binding,
                    site: self.site(self.objs[o].site),
                });
            }
        }
        let mut handed: Vec<(ObjId, Span)> = self.handed.iter().map(|(o, s)| (*o, *s)).collect();
        handed.sort_by_key(|(o, _)| *o);
        for (o, at) in handed {
            if let Kind::Rust(alloc, how) = &self.objs[o].kind {
                let (alloc, how) = (alloc.clone(), *how);
                if self.once(2, self.objs[o].site) {
                    self.facts.push(Fact::IntoRaw {
                        alloc,
                        how: how.to_owned(),
                        site: self.site(self.objs[o].site),
                        handed: self.site(at),
                    });
                }
            }
        }
        let mut out = BodyOut {
            facts: std::mem::take(&mut self.facts),
            box_releases: std::mem::take(&mut self.releases),
        };
        for c in std::mem::take(&mut self.closures) {
            analyze_closure(&self, c, &mut out);
        }
        out
    }

    // ---- bindings -------------------------------------------------------

    fn bind_pat(&mut self, pat: &Pat, v: Val, ann: Option<Hint>, env: &mut Env) {
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
    fn is_raw_parts(&self, v: &Val) -> bool {
        v.obj
            .is_some_and(|o| matches!(self.objs[o].kind, Kind::Rust(RustAlloc::Vec, RAW_PARTS)))
    }

    fn bind(&mut self, name: &str, mut v: Val, ann: Option<Hint>, span: Span, env: &mut Env) {
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
    fn mark_moved(&mut self, e: &Expr, env: &mut Env) {
        if let Some(name) = path_ident(e)
            && let Some(var) = env.var_mut(&name)
        {
            var.moved = true;
        }
    }

    /// The owned local `var` is dropped here: pointers into it dangle.
    fn drop_var(&mut self, binding: usize, at: Span, env: &mut Env) {
        if let Some(objs) = self.owners.get(&binding) {
            for o in objs {
                env.dangling.entry(*o).or_insert(at);
            }
        }
    }

    /// The value can no longer be followed: it counts as taken care of.
    fn escape(&mut self, v: &Val) {
        for o in v.objs() {
            self.touched.insert(o);
        }
    }

    /// The value reaches C at `site`.
    fn hand_to_c(&mut self, v: &Val, site: Span, env: &Env) {
        for o in v.objs().collect::<Vec<_>>() {
            self.handed.entry(o).or_insert(site);
            if let Some(dropped) = env.dangling.get(&o).copied() {
                self.dangling(o, dropped, site, false);
            }
        }
    }

    fn dangling(&mut self, o: ObjId, dropped: Span, used: Span, returned: bool) {
        let obj = &self.objs[o];
        let Kind::Borrowed {
            owner_name, temp, ..
        } = &obj.kind
        else {
            return;
        };
        let owner = if *temp {
            "a temporary".to_owned()
        } else {
            format!("`{owner_name}`")
        };
        let (as_ptr, fix) = (obj.site, obj.fix.clone());
        if self.once(3, as_ptr) {
            self.facts.push(Fact::Dangling {
                as_ptr: self.site(as_ptr),
                owner,
                dropped: self.site(dropped),
                used: self.site(used),
                returned,
                fix,
            });
        }
    }

    /// The value leaves the function.
    fn ret(&mut self, v: Val, site: Span, env: &mut Env) {
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

    fn block(&mut self, b: &'a Block, env: &mut Env) -> Val {
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
            }
        }
        last
    }

    fn local(&mut self, l: &'a Local, env: &mut Env) {
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
    fn offer_fix(&mut self, o: ObjId, l: &Local, init: &Expr) {
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

    fn eval(&mut self, e: &'a Expr, env: &mut Env) -> Val {
        if self.gave_up || self.depth >= MAX_DEPTH {
            self.gave_up = true;
            return Val::default();
        }
        self.depth += 1;
        let v = self.eval_expr(e, env);
        self.depth -= 1;
        v
    }

    fn eval_expr(&mut self, e: &'a Expr, env: &mut Env) -> Val {
        match e {
            Expr::Array(a) => self.collection(a.elems.iter(), env),
            Expr::Tuple(t) => self.collection(t.elems.iter(), env),
            Expr::Struct(s) => {
                let mut v = self.collection(s.fields.iter().map(|f| &f.expr), env);
                if let Some(rest) = &s.rest {
                    let r = self.eval(rest, env);
                    self.escape(&r);
                }
                v.hint = Hint::Unknown;
                v
            }
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
            Expr::Field(f) => {
                let b = self.eval(&f.base, env);
                if matches!(&f.member, syn::Member::Unnamed(i) if i.index == 0)
                    && self.is_raw_parts(&b)
                {
                    // `parts.0` of `into_raw_parts`: the buffer itself.
                    return Val {
                        obj: b.obj,
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
                self.eval(&i.expr, env);
                self.eval(&i.index, env);
                Val::default()
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
            Expr::Try(t) => self.eval(&t.expr, env),
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

    /// Elements stored in an array, tuple or struct: they escape into it,
    /// and the aggregate carries them (a pointer inside it can still dangle).
    fn collection(&mut self, elems: impl Iterator<Item = &'a Expr>, env: &mut Env) -> Val {
        let mut out = Val::default();
        for e in elems {
            let v = self.eval(e, env);
            self.mark_moved(e, env);
            self.escape(&v);
            out.carried.extend(v.objs());
        }
        out
    }

    fn assign(&mut self, lhs: &'a Expr, rhs: &'a Expr, env: &mut Env) {
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
                self.eval(other, env);
                self.escape(&v);
            }
        }
    }

    fn closure(&mut self, c: &'a ExprClosure, env: &mut Env) {
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
            self.closures.push(c);
        }
    }

    /// Every local named in `tokens` escapes (captured by a closure, or
    /// passed to a macro the analysis cannot read).
    fn capture(&mut self, names: Vec<String>, env: &mut Env) {
        for n in names {
            if let Some(v) = env.var(&n).map(|v| v.val.clone()) {
                self.escape(&v);
            }
        }
    }

    fn if_expr(&mut self, i: &'a syn::ExprIf, env: &mut Env) -> Val {
        env.scopes.push(Vec::new());
        self.eval(&i.cond, env);
        let mut then_env = env.clone();
        env.scopes.pop();
        let tv = self.block(&i.then_branch, &mut then_env);
        then_env.scopes.pop();
        let ev = match &i.else_branch {
            Some((_, e)) => self.eval(e, env),
            None => Val::default(),
        };
        *env = join(then_env, std::mem::take(env));
        join_val(tv, ev)
    }

    fn match_expr(&mut self, m: &'a syn::ExprMatch, env: &mut Env) -> Val {
        let s = self.eval(&m.expr, env);
        self.escape(&s);
        let mut out: Option<Env> = None;
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
            let v = self.eval(&arm.body, &mut e);
            e.scopes.pop();
            if !e.diverged {
                val = Some(match val {
                    None => v,
                    Some(prev) => join_val(prev, v),
                });
            }
            out = Some(match out {
                None => e,
                Some(prev) => join(prev, e),
            });
        }
        *env = match out {
            Some(out) => out,
            None => Env {
                diverged: true,
                ..std::mem::take(env)
            },
        };
        val.unwrap_or_default()
    }

    fn run_loop(
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
            e.scopes.push(Vec::new());
            if let Some(c) = cond {
                cx.eval(c, e);
            }
            if let Some(p) = pat {
                cx.bind_pat(p, Val::default(), None, e);
            }
            cx.block(body, e);
            e.scopes.truncate(depth);
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

    // ---- calls ------------------------------------------------------------

    fn call(&mut self, c: &'a ExprCall, env: &mut Env) -> Val {
        let Some((segs, turbofish)) = callee(&c.func) else {
            let f = self.eval(&c.func, env);
            self.escape(&f);
            for a in &c.args {
                let v = self.eval(a, env);
                self.mark_moved(a, env);
                self.escape(&v);
            }
            return Val::default();
        };
        let name = segs.last().map(String::as_str).unwrap_or("");
        let qual = if segs.len() >= 2 {
            segs[segs.len() - 2].as_str()
        } else {
            ""
        };
        let span = call_span(c);
        let arg0 = c.args.first();
        match (qual, name) {
            ("Box", "into_raw" | "leak" | "into_non_null") => {
                let Some(a) = arg0 else { return Val::default() };
                let v = self.eval(a, env);
                self.mark_moved(a, env);
                if let Some(o) = v.owner_of {
                    env.released.remove(&o);
                    return Val::default();
                }
                let ty = turbofish
                    .and_then(type_of_interest)
                    .or_else(|| match &v.hint {
                        Hint::Box(t) => t.clone(),
                        _ => None,
                    })
                    .or_else(|| box_new_type(a, env, self.self_ty.as_deref()))
                    .filter(|t| !self.generics.contains(t));
                let how = if name == "leak" {
                    "Box::leak"
                } else {
                    "Box::into_raw"
                };
                let o = self.new_obj(Kind::Rust(RustAlloc::Box(ty), how), span, "");
                Val {
                    obj: Some(o),
                    ..Val::default()
                }
            }
            ("CString", "into_raw") | ("Vec" | "String", "leak" | "into_raw_parts") => {
                let Some(a) = arg0 else { return Val::default() };
                let v = self.eval(a, env);
                self.mark_moved(a, env);
                if let Some(o) = v.owner_of {
                    env.released.remove(&o);
                    return Val::default();
                }
                let (alloc, how) = if qual == "CString" {
                    (RustAlloc::CString, "CString::into_raw")
                } else if name == "leak" {
                    (RustAlloc::Vec, "Vec::leak")
                } else {
                    (RustAlloc::Vec, RAW_PARTS)
                };
                let o = self.new_obj(Kind::Rust(alloc, how), span, "");
                Val {
                    obj: Some(o),
                    ..Val::default()
                }
            }
            ("Box", "from_raw" | "from_non_null") => {
                let Some(a) = arg0 else { return Val::default() };
                let ty = turbofish
                    .and_then(type_of_interest)
                    .or_else(|| self.let_box_ann.take())
                    .or_else(|| self.pointee_of(a, env));
                let known = ty
                    .as_ref()
                    .filter(|t| !self.generics.contains(*t) && *t != "c_void" && *t != "_");
                match known {
                    Some(t) => {
                        self.releases.box_types.insert(t.clone());
                    }
                    None => self.releases.box_unknown = true,
                }
                let o = self.release_arg(Rel::Rust(RustAlloc::Box(known.cloned())), a, span, env);
                Val {
                    owner_of: o,
                    hint: Hint::Box(known.cloned()),
                    ..Val::default()
                }
            }
            ("CString", "from_raw") => {
                self.releases.cstring = true;
                let Some(a) = arg0 else { return Val::default() };
                let o = self.release_arg(Rel::Rust(RustAlloc::CString), a, span, env);
                Val {
                    owner_of: o,
                    hint: Hint::CString,
                    ..Val::default()
                }
            }
            ("Vec" | "String", "from_raw_parts") => {
                self.releases.vec = true;
                let Some(a) = arg0 else { return Val::default() };
                let o = self.release_arg(Rel::Rust(RustAlloc::Vec), a, span, env);
                for rest in c.args.iter().skip(1) {
                    self.eval(rest, env);
                }
                Val {
                    owner_of: o,
                    hint: Hint::Vec,
                    ..Val::default()
                }
            }
            ("mem" | "", "forget") => {
                if let Some(a) = arg0 {
                    self.forget(a, span, env);
                }
                Val::default()
            }
            ("ManuallyDrop", "new") => {
                if let Some(a) = arg0 {
                    self.forget(a, span, env);
                }
                Val::default()
            }
            ("mem" | "", "drop") if !self.idx.rust_fns.contains("drop") => {
                if let Some(a) = arg0 {
                    match path_ident(a).and_then(|n| {
                        env.var(&n)
                            .map(|v| (v.binding, v.val.hint.owned(), v.moved))
                    }) {
                        Some((binding, true, false)) => {
                            self.drop_var(binding, span, env);
                            self.mark_moved(a, env);
                        }
                        _ => {
                            let v = self.eval(a, env);
                            self.escape(&v);
                        }
                    }
                }
                Val::default()
            }
            _ => {
                if let Some(alloc) = libc_alloc(&segs) {
                    let vals = self.eval_args(c, env);
                    if name == "realloc" || name == "reallocarray" {
                        // The old block moves into the new one.
                        if let Some(v) = vals.first() {
                            self.escape(v);
                        }
                    }
                    let o = self.new_obj(
                        Kind::CAlloc {
                            func: alloc.to_owned(),
                            free_with: Some("free".to_owned()),
                        },
                        span,
                        "",
                    );
                    return Val {
                        obj: Some(o),
                        ..Val::default()
                    };
                }
                // `libc::free`, or a bare `free` that is neither the crate's
                // own Rust fn nor declared in one of its extern blocks (a
                // declared `free` is a foreign release, below).
                if name == "free"
                    && (qual == "libc"
                        || (segs.len() == 1
                            && !self.idx.rust_fns.contains("free")
                            && !self.idx.is_foreign("free")))
                {
                    let vals = self.eval_args(c, env);
                    if let (Some(a), Some(v)) = (arg0, vals.into_iter().next()) {
                        self.release_val(Rel::C("free".to_owned()), v, a, span, env);
                    }
                    return Val::default();
                }
                if let Some(ff) = self.foreign_fn(&segs) {
                    return self.foreign_call(&ff, c, span, env);
                }
                if is_foreign_path(&segs) {
                    let vals = self.eval_args(c, env);
                    for (i, v) in vals.iter().enumerate() {
                        // libc takes no ownership but through `free` and
                        // `realloc`, handled above; other bindings may.
                        if qual != "libc" {
                            self.escape(v);
                        }
                        if let Some(a) = c.args.get(i) {
                            self.hand_to_c(v, first_span(a), env);
                        }
                    }
                    if qual == "libc" {
                        self.libc_checks(name, c, &vals);
                    }
                    return Val::default();
                }
                if is_ctor(name) {
                    let mut v = self.collection(c.args.iter(), env);
                    v.hint = Hint::Unknown;
                    return v;
                }
                if is_pure(qual, name) {
                    let vals = self.eval_args(c, env);
                    if name == "size_of_val"
                        && let Some(a) = arg0
                    {
                        return Val {
                            len: root_text(a).map(|r| (r, false, first_span(a))),
                            ..Val::default()
                        };
                    }
                    drop(vals);
                    return Val::default();
                }
                // A Rust function: whatever it receives is its business.
                let vals = self.eval_args(c, env);
                for (a, v) in c.args.iter().zip(&vals) {
                    self.escape(v);
                    self.mark_moved(a, env);
                    if let Some(n) = mut_ref_ident(a)
                        && let Some(var) = env.var_mut(&n)
                    {
                        var.val.obj = None;
                        var.val.nul = false;
                    }
                }
                let hint = ctor_hint(qual, name, c.args.first(), env, self.self_ty.as_deref());
                // `String::from("..\0")` keeps the literal's text, NUL included.
                let nul = matches!(
                    (qual, name),
                    ("String" | "Vec", "from")
                        | (
                            "String",
                            "from_utf8" | "from_utf8_unchecked" | "from_utf8_lossy"
                        )
                ) && vals.first().is_some_and(Val::ends_nul);
                Val {
                    hint,
                    nul,
                    ..Val::default()
                }
            }
        }
    }

    fn eval_args(&mut self, c: &'a ExprCall, env: &mut Env) -> Vec<Val> {
        c.args.iter().map(|a| self.eval(a, env)).collect()
    }

    /// The foreign fn a call path names, if the crate declares it.
    fn foreign_fn(&self, segs: &[String]) -> Option<Rc<ForeignFn>> {
        let name = segs.last()?;
        if !self.idx.is_foreign(name) {
            return None;
        }
        let ff = self.idx.foreign(name)?;
        match segs.len() {
            1 => (!self.idx.rust_fns.contains(name)).then_some(ff),
            _ => {
                let qual = &segs[segs.len() - 2];
                qual.chars()
                    .next()
                    .is_some_and(|c| c.is_lowercase() || c == '_')
                    .then_some(ff)
            }
        }
    }

    fn foreign_call(&mut self, ff: &ForeignFn, c: &'a ExprCall, span: Span, env: &mut Env) -> Val {
        let vals = self.eval_args(c, env);
        // A declared `free` releases its pointer even when no allocating
        // function of its block pairs with it.
        let frees: &[usize] = if ff.frees.is_empty() && ff.name == "free" && ff.params.len() == 1 {
            &[0]
        } else {
            &ff.frees
        };
        for (i, (a, v)) in c.args.iter().zip(&vals).enumerate() {
            if frees.contains(&i) {
                self.release_val(Rel::C(ff.name.clone()), v.clone(), a, span, env);
                continue;
            }
            if ff.consumes.contains(&i) {
                self.escape(v);
            }
            self.hand_to_c(v, first_span(a), env);
            if let Some(n) = out_param(a)
                && let Some(var) = env.var(&n).map(|v| v.name.clone())
            {
                // C writes a pointer into the local: it is C's now.
                let kind = if ffi_guard_syntax::alloc_prefix(&ff.name).is_some() {
                    Kind::CAlloc {
                        func: ff.name.clone(),
                        free_with: None,
                    }
                } else {
                    Kind::CRet {
                        func: ff.name.clone(),
                        ty: ff.out_pointees.get(i).cloned().flatten(),
                    }
                };
                let o = self.new_obj(kind, first_span(a), &var);
                if let Some(var) = env.var_mut(&n) {
                    var.val.obj = Some(o);
                }
            }
        }
        for &i in &ff.cstrs {
            if let (Some(a), Some(v)) = (c.args.get(i), vals.get(i)) {
                let param = ff.params.get(i).cloned().unwrap_or_default();
                self.str_as_cstr(v, a, &ff.name, &param);
            }
        }
        for &(p, n) in &ff.slices {
            if let (Some(pv), Some(nv), Some(pa)) = (vals.get(p), vals.get(n), c.args.get(p)) {
                self.ptr_len(pv, nv, pa, &ff.name);
            }
        }
        match &ff.alloc_free_with {
            Some(free_with) => {
                let o = self.new_obj(
                    Kind::CAlloc {
                        func: ff.name.clone(),
                        free_with: Some(free_with.clone()),
                    },
                    span,
                    "",
                );
                Val {
                    obj: Some(o),
                    ..Val::default()
                }
            }
            None if ff.returns_pointer => {
                let kind = Kind::CRet {
                    func: ff.name.clone(),
                    ty: ff.ret_pointee.clone(),
                };
                Val {
                    obj: Some(self.new_obj(kind, span, "")),
                    ..Val::default()
                }
            }
            None => Val::default(),
        }
    }

    /// Checks of well-known libc functions that the crate does not declare.
    fn libc_checks(&mut self, name: &str, c: &'a ExprCall, vals: &[Val]) {
        if let Some((_, cstrs)) = LIBC_CSTRS.iter().find(|(n, _)| *n == name) {
            for &i in *cstrs {
                if let (Some(a), Some(v)) = (c.args.get(i), vals.get(i)) {
                    self.str_as_cstr(
                        v,
                        a,
                        &format!("libc::{name}"),
                        &format!("argument {}", i + 1),
                    );
                }
            }
        }
        if LIBC_BUFS.contains(&name)
            && let (Some(pv), Some(nv), Some(pa)) = (vals.get(1), vals.get(2), c.args.get(1))
        {
            self.ptr_len(pv, nv, pa, &format!("libc::{name}"));
        }
    }

    fn str_as_cstr(&mut self, v: &Val, a: &Expr, func: &str, param: &str) {
        let Some(o) = v.obj else { return };
        let Kind::Borrowed { src, nul, .. } = &self.objs[o].kind else {
            return;
        };
        if *nul {
            // `format!("{name}\0")`, `s.push('\0')`: terminated by the code.
            return;
        }
        let what = match src {
            Hint::Str => "a `&str`",
            Hint::String | Hint::StringRef => "a `String`",
            Hint::StrLit(false) => "a string literal without a trailing `\\0`",
            Hint::ByteLit(false) => "a byte string literal without a trailing `\\0`",
            _ => return,
        };
        if self.once(4, a.span()) {
            self.facts.push(Fact::StrAsCstr {
                arg: self.site(a.span()),
                func: func.to_owned(),
                param: param.to_owned(),
                what: what.to_owned(),
            });
        }
    }

    fn ptr_len(&mut self, pv: &Val, nv: &Val, pa: &Expr, func: &str) {
        let (Some(o), Some((lroot, cap, lspan))) = (pv.obj, &nv.len) else {
            return;
        };
        let Kind::Borrowed {
            root: Some(proot),
            mutable,
            ..
        } = &self.objs[o].kind
        else {
            return;
        };
        let message = if proot != lroot {
            format!("the pointer comes from `{proot}` but the length from `{lroot}`")
        } else if *cap && !mutable {
            format!(
                "`{proot}.as_ptr()` is paired with `{lroot}.capacity()`: C may read elements that were never initialized"
            )
        } else {
            return;
        };
        if self.once(5, pa.span()) {
            self.facts.push(Fact::PtrLen {
                ptr: self.site(pa.span()),
                len: self.site(*lspan),
                func: func.to_owned(),
                message,
            });
        }
    }

    fn forget(&mut self, a: &'a Expr, span: Span, env: &mut Env) {
        let v = self.eval(a, env);
        if let Some(o) = v.owner_of {
            // `forget(Box::from_raw(p))` or of its owner: nothing released.
            env.released.remove(&o);
        }
        if let Some(name) = path_ident(a)
            && let Some((binding, hint)) = env.var(&name).map(|v| (v.binding, v.val.hint.clone()))
        {
            if let Some(alloc) = hint.rust_alloc() {
                // Pointers borrowed from the forgotten value now own its memory.
                for o in self.owners.get(&binding).cloned().unwrap_or_default() {
                    if let Kind::Borrowed { .. } = self.objs[o].kind {
                        self.releases.hand_out(&alloc);
                        self.objs[o].kind = Kind::Rust(alloc.clone(), "mem::forget");
                        self.objs[o].site = span;
                    }
                }
            }
            self.mark_moved(a, env);
        }
    }

    fn release_arg(&mut self, rel: Rel, a: &'a Expr, site: Span, env: &mut Env) -> Option<ObjId> {
        let v = self.eval(a, env);
        self.release_val(rel, v, a, site, env)
    }

    fn release_val(
        &mut self,
        rel: Rel,
        v: Val,
        a: &Expr,
        site: Span,
        env: &mut Env,
    ) -> Option<ObjId> {
        let o = match v.obj {
            Some(o) => o,
            None => {
                // A local whose value branches disagreed on: follow it from here.
                let name = path_ident(strip_ptr(a))?;
                let var_name = env.var(&name)?.name.clone();
                let o = self.new_obj(Kind::Unknown, first_span(a), &var_name);
                if let Some(var) = env.var_mut(&name) {
                    var.val.obj = Some(o);
                }
                o
            }
        };
        self.touched.insert(o);
        if let Rel::C(_) = rel {
            // Released by C: handed to C as much as any argument.
            self.handed.entry(o).or_insert(site);
        }
        self.check_mismatch(&rel, o, site);
        match env.released.get(&o).copied() {
            Some(first) => {
                let second = site;
                if self.once(6, second) {
                    let obj = &self.objs[o];
                    let name = path_ident(strip_ptr(a)).unwrap_or_else(|| obj.name.clone());
                    let origin = (!matches!(obj.kind, Kind::Unknown)).then(|| self.site(obj.site));
                    let in_loop = first.start() == second.start();
                    self.facts.push(Fact::DoubleFree {
                        name,
                        second: self.site(second),
                        first: self.site(first),
                        origin,
                        in_loop,
                    });
                }
            }
            None => {
                env.released.insert(o, site);
            }
        }
        Some(o)
    }

    fn check_mismatch(&mut self, rel: &Rel, o: ObjId, site: Span) {
        let obj = &self.objs[o];
        let mut round_trip = None;
        let (message, help, note) = match (rel, &obj.kind) {
            (Rel::Rust(k), Kind::CRet { func, ty }) => {
                let mut types: Vec<String> = ty.iter().cloned().collect();
                if let RustAlloc::Box(Some(t)) = k {
                    types.push(t.clone());
                }
                round_trip = Some(super::RoundTrip {
                    alloc: k.clone(),
                    types,
                });
                (
                    format!("`{}` takes ownership of a pointer that `{func}` returned from C", k.release_name()),
                    "memory from C goes back to C: release it with the library's release function, or copy it".to_owned(),
                    format!("returned by `{func}` here"),
                )
            }
            (Rel::Rust(k), Kind::CAlloc { func, free_with }) => (
                format!("`{}` takes ownership of memory that `{func}` allocated in C", k.release_name()),
                match free_with {
                    Some(f) => format!("release it with `{f}`"),
                    None => "release it with the library's own release function".to_owned(),
                },
                format!("allocated by `{func}` here"),
            ),
            (Rel::Rust(k), Kind::Borrowed { src, owner_name, .. }) if src.rust_memory() => (
                format!(
                    "`{}` on a pointer borrowed with `as_ptr()`: `{owner_name}` still owns that memory",
                    k.release_name()
                ),
                "hand ownership over with `into_raw()` instead of `as_ptr()`, or do not release the pointer".to_owned(),
                "borrowed here".to_owned(),
            ),
            (Rel::Rust(RustAlloc::CString), Kind::Rust(RustAlloc::Box(_), how))
            | (Rel::Rust(RustAlloc::Box(_)), Kind::Rust(RustAlloc::CString, how)) => {
                let back = match &obj.kind {
                    Kind::Rust(k, _) => k.release_name(),
                    _ => "",
                };
                (
                    format!("`{}` on a pointer that came from `{how}`", rel.name()),
                    format!("release it with `{back}`"),
                    format!("allocated by `{how}` here"),
                )
            }
            (Rel::C(f), Kind::Rust(k, how)) => (
                format!("`{f}` releases memory that Rust allocated (`{how}`)"),
                format!("give it back to Rust with `{}`", k.release_name()),
                format!("allocated by `{how}` here"),
            ),
            (Rel::C(f), Kind::Borrowed { src, owner_name, .. }) if src.rust_memory() => (
                format!("`{f}` releases a pointer borrowed from `{owner_name}`, which Rust still owns"),
                "do not release borrowed memory; let its owner drop it".to_owned(),
                "borrowed here".to_owned(),
            ),
            (
                Rel::C(f),
                Kind::CAlloc {
                    func,
                    free_with: Some(g),
                },
            ) if last_segment(f) != last_segment(g) => (
                format!("`{func}` memory released with `{f}`; its release function is `{g}`"),
                format!("release it with `{g}`"),
                format!("allocated by `{func}` here"),
            ),
            _ => return,
        };
        let origin = obj.site;
        if self.once(7, site) {
            self.facts.push(Fact::Mismatch {
                release: self.site(site),
                message,
                help,
                origin: self.site(origin),
                origin_note: note,
                round_trip,
            });
        }
    }

    /// The pointee type of a pointer expression, for `Box::from_raw`.
    fn pointee_of(&self, a: &Expr, env: &Env) -> Option<String> {
        match a {
            Expr::Paren(p) => self.pointee_of(&p.expr, env),
            Expr::Group(g) => self.pointee_of(&g.expr, env),
            Expr::Cast(c) => match &*c.ty {
                Type::Ptr(_) => type_of_interest(&c.ty).filter(|t| t != "_"),
                _ => None,
            },
            Expr::MethodCall(m) => match m.method.to_string().as_str() {
                "cast" | "cast_mut" => m.turbofish.as_ref().and_then(|t| match t.args.first() {
                    Some(syn::GenericArgument::Type(t)) => type_of_interest(t),
                    _ => None,
                }),
                "as_ptr" => self.pointee_of(&m.receiver, env),
                _ => None,
            },
            Expr::Field(f) => match &f.member {
                syn::Member::Named(n) => {
                    self.idx.field_types.get(&n.to_string()).cloned().flatten()
                }
                syn::Member::Unnamed(_) => None,
            },
            Expr::Path(p) => {
                let var = env.var(&p.path.get_ident()?.to_string())?;
                match &var.val.hint {
                    Hint::Ptr(t) => t.clone(),
                    _ => match var.val.obj.map(|o| &self.objs[o].kind) {
                        Some(Kind::Rust(RustAlloc::Box(t), _)) => t.clone(),
                        _ => None,
                    },
                }
            }
            _ => None,
        }
    }

    fn field_hint(&self, name: &str) -> Hint {
        match self.idx.field_types.get(name).cloned().flatten().as_deref() {
            Some("CString") => Hint::CString,
            Some("String") => Hint::String,
            Some("Vec") => Hint::Vec,
            _ => Hint::Unknown,
        }
    }

    fn method(&mut self, m: &'a ExprMethodCall, env: &mut Env) -> Val {
        let name = m.method.to_string();
        let span = first_span(&m.receiver)
            .join(m.paren_token.span.close())
            .unwrap_or(m.method.span());
        match name.as_str() {
            "as_ptr" | "as_mut_ptr" => {
                let info = self.receiver_info(&m.receiver, env);
                let rv = self.eval(&m.receiver, env);
                if let Some(o) = rv.obj
                    && matches!(self.objs[o].kind, Kind::Rust(..))
                {
                    // `Vec::leak(v).as_mut_ptr()`: the leaked memory itself.
                    return Val {
                        obj: Some(o),
                        ..Val::default()
                    };
                }
                for a in &m.args {
                    self.eval(a, env);
                }
                let at = m
                    .dot_token
                    .span
                    .join(m.paren_token.span.close())
                    .unwrap_or(m.method.span());
                let o = self.new_obj(
                    Kind::Borrowed {
                        nul: rv.ends_nul(),
                        src: info.hint,
                        root: info.root.clone(),
                        mutable: name == "as_mut_ptr",
                        owner: info.owner,
                        owner_name: info.root.unwrap_or_else(|| "its owner".to_owned()),
                        temp: info.temp,
                    },
                    at,
                    "",
                );
                if info.temp
                    && let Some(t) = self.stmt_temps.last_mut()
                {
                    t.push(o);
                }
                if let Some(b) = info.owner {
                    self.owners.entry(b).or_default().push(o);
                }
                Val {
                    obj: Some(o),
                    carried: rv.carried,
                    ..Val::default()
                }
            }
            "into_raw" | "leak" | "into_raw_parts" => {
                let info = self.receiver_info(&m.receiver, env);
                let rv = self.eval(&m.receiver, env);
                if let Some(o) = rv.owner_of {
                    env.released.remove(&o);
                    return Val::default();
                }
                let hint = if rv.hint == Hint::Unknown {
                    info.hint
                } else {
                    rv.hint.clone()
                };
                let alloc = match (name.as_str(), &hint) {
                    ("into_raw", Hint::CString) => Some((RustAlloc::CString, "CString::into_raw")),
                    ("leak", Hint::Vec | Hint::String) => Some((RustAlloc::Vec, "Vec::leak")),
                    ("into_raw_parts", Hint::Vec | Hint::String) => {
                        Some((RustAlloc::Vec, RAW_PARTS))
                    }
                    _ => None,
                };
                match alloc {
                    Some((alloc, how)) => {
                        self.mark_moved(&m.receiver, env);
                        let o = self.new_obj(Kind::Rust(alloc, how), span, "");
                        Val {
                            obj: Some(o),
                            ..Val::default()
                        }
                    }
                    None => {
                        self.escape(&rv);
                        Val::default()
                    }
                }
            }
            "len" | "capacity" => {
                self.eval(&m.receiver, env);
                Val {
                    len: root_text(&m.receiver).map(|r| (r, name == "capacity", span)),
                    ..Val::default()
                }
            }
            "cast" | "cast_mut" | "cast_const" | "unwrap" | "expect" | "unwrap_unchecked" => {
                let v = self.eval(&m.receiver, env);
                for a in &m.args {
                    self.eval(a, env);
                }
                v
            }
            _ if PTR_METHODS.contains(&name.as_str()) => {
                self.eval(&m.receiver, env);
                for a in &m.args {
                    let v = self.eval(a, env);
                    if name.starts_with("write") {
                        self.escape(&v);
                        if self.extern_c {
                            self.hand_to_c(&v, first_span(a), env);
                        }
                    }
                }
                Val::default()
            }
            _ => {
                let info_hint = self.owned_hint(m, env);
                let rv = self.eval(&m.receiver, env);
                if !VIEW_METHODS.contains(&name.as_str()) {
                    self.escape(&rv);
                }
                let mut appended_nul = false;
                for a in &m.args {
                    let v = self.eval(a, env);
                    appended_nul = v.ends_nul() || is_nul_char(a);
                    self.mark_moved(a, env);
                    self.escape(&v);
                }
                self.track_nul(&name, &m.receiver, m.args.len() == 1 && appended_nul, env);
                Val {
                    nul: KEEPS_TEXT.contains(&name.as_str()) && rv.ends_nul(),
                    hint: info_hint,
                    carried: if VIEW_METHODS.contains(&name.as_str()) {
                        rv.carried
                    } else {
                        Vec::new()
                    },
                    ..Val::default()
                }
            }
        }
    }

    /// A method called on a string local changes what its text ends with:
    /// `s.push('\0')` and `s.push_str("..\0")` end it in a NUL (`appended_nul`),
    /// anything else that edits it leaves the end unknown.
    fn track_nul(&mut self, method: &str, recv: &Expr, appended_nul: bool, env: &mut Env) {
        let Some(var) = path_ident(recv).and_then(|n| env.var_mut(&n)) else {
            return;
        };
        if APPENDS.contains(&method) {
            var.val.nul = appended_nul;
        } else if EDITS.contains(&method) {
            var.val.nul = false;
        }
    }

    /// What the receiver of `.as_ptr()` is: its kind, whether a temporary,
    /// its text, and the local that owns it.
    /// What an owning conversion (`to_string`, `to_vec`, `to_owned`, ...)
    /// makes of its receiver; `Unknown` for any other method.
    fn owned_hint(&self, m: &ExprMethodCall, env: &Env) -> Hint {
        match m.method.to_string().as_str() {
            "to_string" | "into_string" | "to_string_lossy" => Hint::String,
            "to_vec" | "into_bytes" => Hint::Vec,
            "to_owned" | "clone" => match self.receiver_info(&m.receiver, env).hint {
                Hint::CStrLit | Hint::CString => Hint::CString,
                Hint::Str | Hint::StrLit(_) | Hint::String | Hint::StringRef => Hint::String,
                Hint::Vec => Hint::Vec,
                _ => Hint::Unknown,
            },
            _ => Hint::Unknown,
        }
    }

    fn receiver_info(&self, e: &Expr, env: &Env) -> RecvInfo {
        let root = root_text(e);
        let mut info = RecvInfo {
            hint: Hint::Unknown,
            temp: false,
            root,
            owner: None,
        };
        let mut e = e;
        loop {
            match e {
                Expr::Paren(p) => e = &p.expr,
                Expr::Group(g) => e = &g.expr,
                Expr::Reference(r) => e = &r.expr,
                Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
                Expr::Try(t) => e = &t.expr,
                Expr::MethodCall(m)
                    if VIEW_METHODS.contains(&m.method.to_string().as_str())
                        || UNWRAPS.contains(&m.method.to_string().as_str()) =>
                {
                    e = &m.receiver
                }
                _ => break,
            }
        }
        match e {
            Expr::Lit(l) => info.hint = lit_hint(&l.lit),
            Expr::Path(p) => {
                if let Some(var) = p.path.get_ident().and_then(|id| env.var(&id.to_string())) {
                    info.hint = var.val.hint.clone();
                    if info.hint.owned() {
                        info.owner = Some(var.binding);
                    }
                }
            }
            Expr::Field(f) => {
                if let syn::Member::Named(n) = &f.member {
                    info.hint = self.field_hint(&n.to_string());
                }
            }
            Expr::Call(c) => {
                if let Some((segs, _)) = callee(&c.func) {
                    let name = segs.last().map(String::as_str).unwrap_or("");
                    let qual = if segs.len() >= 2 {
                        segs[segs.len() - 2].as_str()
                    } else {
                        ""
                    };
                    let hint = ctor_hint(qual, name, c.args.first(), env, self.self_ty.as_deref());
                    info.temp = hint.owned();
                    info.hint = hint;
                }
            }
            Expr::MethodCall(m) => {
                let hint = self.owned_hint(m, env);
                info.temp = hint.owned();
                info.hint = hint;
            }
            Expr::Macro(m) => {
                let name = m
                    .mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                match name.as_str() {
                    "format" => {
                        info.hint = Hint::String;
                        info.temp = true;
                    }
                    "vec" => {
                        info.hint = Hint::Vec;
                        info.temp = true;
                    }
                    "concat" => info.hint = concat_hint(&m.mac),
                    "c" | "cstr" | "c_str" => info.hint = Hint::CStrLit,
                    _ => {}
                }
            }
            _ => {}
        }
        info
    }

    fn mac(&mut self, m: &'a Macro, env: &mut Env) -> Val {
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

struct RecvInfo {
    hint: Hint,
    temp: bool,
    root: Option<String>,
    owner: Option<usize>,
}

const PTR_METHODS: &[&str] = &[
    "is_null",
    "add",
    "offset",
    "sub",
    "wrapping_add",
    "wrapping_sub",
    "wrapping_offset",
    "byte_add",
    "byte_sub",
    "byte_offset",
    "read",
    "read_unaligned",
    "read_volatile",
    "write",
    "write_unaligned",
    "write_volatile",
    "write_bytes",
    "is_aligned",
    "addr",
    "expose_provenance",
    "as_ref",
    "as_mut",
    "as_uninit_ref",
    "offset_from",
    "copy_from",
    "copy_to",
    "copy_from_nonoverlapping",
    "copy_to_nonoverlapping",
    "eq",
    "ne",
    "set_len",
    "is_empty",
];

/// Methods that return a view of their receiver, owning nothing.
const VIEW_METHODS: &[&str] = &[
    "as_bytes",
    "as_bytes_with_nul",
    "as_str",
    "as_slice",
    "as_mut_slice",
    "as_c_str",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "as_deref",
    "iter",
    "to_bytes",
    "to_bytes_with_nul",
];

/// How `Kind::Rust` names `Vec::into_raw_parts`, whose value is a
/// (pointer, length, capacity) tuple rather than a pointer.
const RAW_PARTS: &str = "Vec::into_raw_parts";

/// Methods whose result has their receiver's text (or bytes), so a string
/// ending in NUL still does.
const KEEPS_TEXT: &[&str] = &[
    "to_string",
    "to_owned",
    "into",
    "clone",
    "to_vec",
    "into_bytes",
    "into_boxed_str",
    "into_boxed_slice",
    "as_bytes",
    "as_str",
    "as_mut_str",
    "as_slice",
    "as_mut_slice",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "as_deref",
];

/// `String`/`Vec` methods that append their one argument at the end.
const APPENDS: &[&str] = &["push", "push_str", "extend_from_slice"];

/// `String`/`Vec` methods that change the text in other ways.
const EDITS: &[&str] = &[
    "extend",
    "append",
    "insert",
    "insert_str",
    "truncate",
    "clear",
    "pop",
    "remove",
    "retain",
    "drain",
    "split_off",
    "replace_range",
    "resize",
    "as_mut_vec",
    "as_mut_str",
    "as_mut_slice",
];

const UNWRAPS: &[&str] = &["unwrap", "expect", "unwrap_unchecked"];

/// libc functions with NUL-terminated string parameters (0-based positions).
const LIBC_CSTRS: &[(&str, &[usize])] = &[
    ("strlen", &[0]),
    ("puts", &[0]),
    ("open", &[0]),
    ("creat", &[0]),
    ("fopen", &[0, 1]),
    ("getenv", &[0]),
    ("setenv", &[0, 1]),
    ("unsetenv", &[0]),
    ("strdup", &[0]),
    ("strcmp", &[0, 1]),
    ("access", &[0]),
    ("stat", &[0]),
    ("lstat", &[0]),
    ("unlink", &[0]),
    ("mkdir", &[0]),
    ("rmdir", &[0]),
    ("chdir", &[0]),
    ("chmod", &[0]),
    ("rename", &[0, 1]),
    ("symlink", &[0, 1]),
    ("dlopen", &[0]),
    ("dlsym", &[1]),
    ("opendir", &[0]),
    ("realpath", &[0]),
    ("atoi", &[0]),
    ("execv", &[0]),
    ("execvp", &[0]),
    ("system", &[0]),
    ("perror", &[0]),
    ("fputs", &[0]),
];

/// libc functions taking `(fd, buf, count)`.
const LIBC_BUFS: &[&str] = &["read", "write", "pread", "pwrite", "send", "recv"];

fn libc_alloc(segs: &[String]) -> Option<&'static str> {
    const ALLOCS: &[&str] = &[
        "malloc",
        "calloc",
        "realloc",
        "reallocarray",
        "strdup",
        "strndup",
        "aligned_alloc",
    ];
    if segs.len() >= 2 && segs[segs.len() - 2] == "libc" {
        let name = segs.last()?;
        return ALLOCS.iter().find(|a| *a == name).copied();
    }
    None
}

/// `Some(x)`, `Ok(x)`, `Wrapper(x)`: a tuple struct or variant constructor.
fn is_ctor(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

/// Standard functions that neither keep nor release their arguments.
fn is_pure(qual: &str, name: &str) -> bool {
    matches!(
        (qual, name),
        (
            "ptr",
            "null"
                | "null_mut"
                | "eq"
                | "copy"
                | "copy_nonoverlapping"
                | "write_bytes"
                | "read"
                | "read_unaligned"
        ) | (
            "mem",
            "size_of" | "size_of_val" | "align_of" | "zeroed" | "swap"
        ) | ("", "size_of" | "size_of_val" | "align_of")
            | ("slice", "from_raw_parts" | "from_raw_parts_mut")
            | ("CStr", "from_ptr")
    )
}

/// The kind of value a constructor call makes.
fn ctor_hint(qual: &str, name: &str, arg: Option<&Expr>, env: &Env, self_ty: Option<&str>) -> Hint {
    match (qual, name) {
        (
            "CString",
            "new"
            | "from"
            | "from_vec_unchecked"
            | "from_vec_with_nul"
            | "from_vec_with_nul_unchecked"
            | "default",
        ) => Hint::CString,
        (
            "String",
            "from"
            | "new"
            | "with_capacity"
            | "from_utf8"
            | "from_utf8_lossy"
            | "from_utf8_unchecked",
        ) => Hint::String,
        ("Vec", "new" | "with_capacity" | "from") => Hint::Vec,
        ("Box", "new") => Hint::Box(arg.and_then(|a| type_guess(a, env, self_ty))),
        _ => Hint::Unknown,
    }
}

/// The type of `Box::new(x)`'s argument in `Box::into_raw(Box::new(x))`.
fn box_new_type(a: &Expr, env: &Env, self_ty: Option<&str>) -> Option<String> {
    match strip(a) {
        Expr::Call(c) => {
            let (segs, _) = callee(&c.func)?;
            if segs.len() >= 2 && segs[segs.len() - 2] == "Box" && segs.last()? == "new" {
                return type_guess(c.args.first()?, env, self_ty);
            }
            None
        }
        Expr::Path(p) => match &env.var(&p.path.get_ident()?.to_string())?.val.hint {
            Hint::Box(t) => t.clone(),
            _ => None,
        },
        _ => None,
    }
}

fn type_guess(e: &Expr, env: &Env, self_ty: Option<&str>) -> Option<String> {
    let resolve = |s: String| {
        if s == "Self" {
            self_ty.map(str::to_owned)
        } else {
            Some(s)
        }
    };
    match strip(e) {
        Expr::Struct(s) => resolve(s.path.segments.last()?.ident.to_string()),
        // `Box::new(0u64)`: a suffixed literal names its type.
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) if !i.suffix().is_empty() => Some(i.suffix().to_owned()),
            Lit::Float(f) if !f.suffix().is_empty() => Some(f.suffix().to_owned()),
            Lit::Bool(_) => Some("bool".to_owned()),
            _ => None,
        },
        Expr::Call(c) => {
            let (segs, _) = callee(&c.func)?;
            if segs.len() >= 2 {
                let t = &segs[segs.len() - 2];
                if is_ctor(t) {
                    return resolve(t.clone());
                }
            }
            // A tuple struct: `Foo(x)`.
            let last = segs.last()?;
            (segs.len() == 1 && is_ctor(last) && !matches!(last.as_str(), "Some" | "Ok" | "Err"))
                .then(|| last.clone())
        }
        Expr::Path(p) => {
            let id = p.path.get_ident()?.to_string();
            match &env.var(&id)?.val.hint {
                Hint::Named(t) => Some(t.clone()),
                Hint::CString => Some("CString".to_owned()),
                Hint::String => Some("String".to_owned()),
                _ => None,
            }
        }
        _ => None,
    }
}

fn hint_of_type(ty: &Type) -> Hint {
    match ty {
        Type::Ptr(p) => Hint::Ptr(type_of_interest(&p.elem)),
        Type::Reference(r) => match &*r.elem {
            Type::Path(p) if p.path.is_ident("str") => Hint::Str,
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String") => {
                Hint::StringRef
            }
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "CString") => {
                Hint::CStrLit
            }
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "CStr") => {
                Hint::CStrLit
            }
            _ => Hint::Unknown,
        },
        Type::Paren(p) => hint_of_type(&p.elem),
        Type::Group(g) => hint_of_type(&g.elem),
        Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return Hint::Unknown;
            };
            match last.ident.to_string().as_str() {
                "CString" => Hint::CString,
                "String" => Hint::String,
                "Vec" => Hint::Vec,
                "Box" => Hint::Box(match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => match a.args.first() {
                        Some(syn::GenericArgument::Type(t)) => type_of_interest(t),
                        _ => None,
                    },
                    _ => None,
                }),
                "str" => Hint::Str,
                other => Hint::Named(other.to_owned()),
            }
        }
        _ => Hint::Unknown,
    }
}

fn lit_hint(l: &Lit) -> Hint {
    match l {
        Lit::Str(s) => Hint::StrLit(s.value().ends_with('\0')),
        Lit::ByteStr(b) => Hint::ByteLit(b.value().last() == Some(&0)),
        Lit::CStr(_) => Hint::CStrLit,
        _ => Hint::Unknown,
    }
}

/// `'\0'`, `b'\0'` or `0`: the NUL character or byte, for `push`.
fn is_nul_char(e: &Expr) -> bool {
    match strip(e) {
        Expr::Lit(l) => match &l.lit {
            Lit::Char(c) => c.value() == '\0',
            Lit::Byte(b) => b.value() == 0,
            Lit::Int(i) => i.base10_digits() == "0",
            _ => false,
        },
        Expr::Cast(c) => is_nul_char(&c.expr),
        _ => false,
    }
}

/// `format!("{name}\0", ..)`: the format string's text ends in a NUL, so the
/// formatted string does.
fn format_ends_nul(m: &Macro) -> bool {
    match m.parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated) {
        Ok(parts) => matches!(
            parts.first(),
            Some(Expr::Lit(l)) if matches!(&l.lit, Lit::Str(s) if s.value().ends_with('\0'))
        ),
        Err(_) => false,
    }
}

/// `concat!("a", "b\0")` is a literal; NUL-terminated when its last part is.
fn concat_hint(m: &Macro) -> Hint {
    match m.parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated) {
        Ok(parts) => match parts.last() {
            Some(Expr::Lit(l)) => match &l.lit {
                Lit::Str(s) => Hint::StrLit(s.value().ends_with('\0')),
                _ => Hint::Unknown,
            },
            _ => Hint::Unknown,
        },
        Err(_) => Hint::Unknown,
    }
}

/// The path a call calls: its segments, and a turbofish on the type segment
/// (`Box::<T>::from_raw`) or on a qualified self type (`<Box<T>>::from_raw`).
fn callee(f: &Expr) -> Option<(Vec<String>, Option<&Type>)> {
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

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip(&p.expr),
        Expr::Group(g) => strip(&g.expr),
        _ => e,
    }
}

/// Through casts, `.cast()` and parentheses to the pointer's local.
fn strip_ptr(e: &Expr) -> &Expr {
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

fn strip_pat_type(p: &Pat) -> &Pat {
    match p {
        Pat::Type(t) => strip_pat_type(&t.pat),
        _ => p,
    }
}

fn path_ident(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}

/// `&mut x`, `&raw mut x`, `addr_of_mut!(x)`, `x.as_mut_ptr()`: C may write
/// a pointer into the local `x`.
fn out_param(a: &Expr) -> Option<String> {
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

fn mut_ref_ident(a: &Expr) -> Option<String> {
    match strip(a) {
        Expr::Reference(r) if r.mutability.is_some() => path_ident(&r.expr),
        _ => None,
    }
}

/// The receiver of `.as_ptr()` / `.len()` as written, through views, so that
/// `s.as_bytes().as_ptr()` and `s.len()` name the same object.
/// Only locals and field chains (`buf`, `self.inner.buf`) are named; other
/// receivers cannot be compared and give `None`.
fn root_text(e: &Expr) -> Option<String> {
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
struct Names(Vec<String>);

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

fn is_size_factor(e: &Expr) -> bool {
    match strip(e) {
        Expr::Lit(_) => true,
        Expr::Call(c) => {
            callee(&c.func).is_some_and(|(s, _)| s.last().is_some_and(|n| n == "size_of"))
        }
        Expr::Cast(c) => is_size_factor(&c.expr),
        _ => false,
    }
}

fn is_compound_assign(op: &syn::BinOp) -> bool {
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

fn join(a: Env, b: Env) -> Env {
    if a.diverged {
        return b;
    }
    if b.diverged {
        return a;
    }
    let mut out = a;
    out.released.retain(|k, _| b.released.contains_key(k));
    out.dangling.retain(|k, _| b.dangling.contains_key(k));
    for (sa, sb) in out.scopes.iter_mut().zip(&b.scopes) {
        for (va, vb) in sa.iter_mut().zip(sb) {
            if va.val.obj != vb.val.obj {
                va.val.obj = None;
            }
            if va.val.hint != vb.val.hint {
                va.val.hint = Hint::Unknown;
            }
            // Terminated only when every path terminated it.
            va.val.nul &= vb.val.nul;
            va.moved |= vb.moved;
        }
    }
    out
}

fn join_val(a: Val, b: Val) -> Val {
    let mut carried = a.carried;
    carried.extend(b.carried);
    carried.extend(a.obj.filter(|o| Some(*o) != b.obj));
    carried.extend(b.obj.filter(|o| Some(*o) != a.obj));
    Val {
        obj: if a.obj == b.obj { a.obj } else { None },
        carried,
        len: None,
        hint: if a.hint == b.hint {
            a.hint
        } else {
            Hint::Unknown
        },
        owner_of: None,
        nul: a.nul && b.nul,
    }
}

fn pat_idents(p: &Pat, out: &mut Vec<(String, Span)>) {
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

fn idents(tokens: TokenStream, out: &mut Vec<String>) {
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

fn block_end(b: &Block) -> Span {
    b.brace_token.span.close()
}

/// Byte offset of a line/column (1-based line, 0-based char column).
fn offset(text: &str, at: proc_macro2::LineColumn) -> Option<usize> {
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

fn byte_range(text: &str, span: Span) -> Option<(usize, usize)> {
    let start = offset(text, span.start())?;
    let end = offset(text, span.end())?;
    (start <= end && end <= text.len()).then_some((start, end))
}
