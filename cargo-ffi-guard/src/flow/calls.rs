//! Calls and the ownership transitions they make: Rust allocations turned
//! into raw pointers and back, `mem::forget`, foreign calls (allocating,
//! releasing, consuming, writing out-parameters), and calls of Rust fns.

use std::rc::Rc;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprCall, Type};

use super::domain::{Env, Hint, Kind, ObjId, Val};
use super::facts::{Release, RustAlloc};
use super::known::{ForeignFn, type_of_interest};
use super::methods::RAW_PARTS;
use super::syntax::{
    call_span, callee, first_span, mut_ref_ident, out_param, path_ident, root_text, strip,
    strip_ptr,
};
use super::tables::{
    box_new_type, ctor_hint, is_ctor, is_diverging_call, is_foreign_path, is_pure, libc_alloc,
};
use super::walk::Ctx;

impl<'a> Ctx<'a> {
    pub(super) fn call(&mut self, c: &'a ExprCall, env: &mut Env) -> Val {
        let Some((segs, turbofish)) = callee(&c.func) else {
            let f = self.eval(&c.func, env);
            if f.hint == Hint::CFn {
                return self.c_fn_pointer_call(c, env);
            }
            self.escape(&f);
            for a in &c.args {
                let v = self.eval(a, env);
                self.mark_moved(a, env);
                self.escape(&v);
            }
            return Val::default();
        };
        if let [one] = segs.as_slice() {
            let local = env.var(one).map(|v| v.val.hint == Hint::CFn);
            if local.unwrap_or_else(|| self.idx.c_fn_statics.contains(one)) {
                return self.c_fn_pointer_call(c, env);
            }
        }
        let name = segs.last().map(String::as_str).unwrap_or("");
        let qual = if segs.len() >= 2 {
            segs[segs.len() - 2].as_str()
        } else {
            ""
        };
        let span = call_span(c);
        let arg0 = c.args.first();
        match (qual, name) {
            _ if is_diverging_call(qual, name) => {
                self.eval_args(c, env);
                env.diverged = true;
                Val::default()
            }
            ("Box", "into_raw" | "leak" | "into_non_null") => {
                let Some(a) = arg0 else { return Val::default() };
                let Some(v) = self.given_to_into_raw(a, env) else {
                    return Val::default();
                };
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
                if self.given_to_into_raw(a, env).is_none() {
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
                let o =
                    self.release_arg(Release::Rust(RustAlloc::Box(known.cloned())), a, span, env);
                Val {
                    owner_of: o,
                    hint: Hint::Box(known.cloned()),
                    ..Val::default()
                }
            }
            ("CString", "from_raw") => {
                self.releases.cstring = true;
                let Some(a) = arg0 else { return Val::default() };
                let o = self.release_arg(Release::Rust(RustAlloc::CString), a, span, env);
                Val {
                    owner_of: o,
                    hint: Hint::CString,
                    ..Val::default()
                }
            }
            ("Vec" | "String", "from_raw_parts") => {
                self.releases.vec = true;
                let Some(a) = arg0 else { return Val::default() };
                let o = self.release_arg(Release::Rust(RustAlloc::Vec), a, span, env);
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
                if let Some(a) = arg0
                    && let Some(var) = path_ident(a).and_then(|n| env.var(&n).cloned())
                    && !var.moved
                    && let Hint::Named(ty) = &var.val.hint
                    && self.apply_self_summary(&var, ty, "drop", span, env)
                {
                    self.mark_moved(a, env);
                    return Val::default();
                }
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
                        self.release_val(Release::C("free".to_owned()), v, a, span, env);
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
                // A Rust function: what its summary says it does to its
                // arguments happens here; the rest is its business.
                let vals = self.eval_args(c, env);
                if segs.len() == 1 {
                    let args: Vec<&'a Expr> = c.args.iter().collect();
                    self.apply_summary(name, &args, &vals, span, env);
                }
                for (a, v) in c.args.iter().zip(&vals) {
                    self.escape(v);
                    self.mark_moved(a, env);
                    if let Some(n) = mut_ref_ident(a)
                        && let Some(var) = env.var_mut(&n)
                    {
                        var.val.obj = None;
                        var.val.nul = false;
                        var.val.fields.clear();
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

    /// The value given to an `into_raw`, moved out of its local; `None`
    /// when it owns what a `from_raw` took back, which is then not released
    /// after all (a round trip through Rust).
    pub(super) fn given_to_into_raw(&mut self, a: &'a Expr, env: &mut Env) -> Option<Val> {
        let v = self.eval(a, env);
        self.mark_moved(a, env);
        if let Some(o) = v.owner_of {
            env.released.remove(&o);
            return None;
        }
        Some(v)
    }

    pub(super) fn eval_args(&mut self, c: &'a ExprCall, env: &mut Env) -> Vec<Val> {
        c.args.iter().map(|a| self.eval(a, env)).collect()
    }

    /// The foreign fn a call path names, if the crate declares it.
    pub(super) fn foreign_fn(&self, segs: &[String]) -> Option<Rc<ForeignFn>> {
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

    pub(super) fn foreign_call(
        &mut self,
        ff: &ForeignFn,
        c: &'a ExprCall,
        span: Span,
        env: &mut Env,
    ) -> Val {
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
                self.release_val(Release::C(ff.name.clone()), v.clone(), a, span, env);
                continue;
            }
            if ff.consumes.contains(&i) {
                self.escape(v);
            }
            self.hand_to_c(v, first_span(a), env);
            if let Some(n) = out_param(a).or_else(|| filled_in_place(a, env))
                && let Some((var, carried)) = env
                    .var(&n)
                    .map(|v| (v.name.clone(), !v.val.carried.is_empty()))
            {
                // C writes a pointer into the local: it is C's now.
                let kind = if let Some((_, free)) = ff.alloc_out.iter().find(|(p, _)| *p == i) {
                    // An allocating out-parameter (`alloc_out`, conventions,
                    // naming rule): the caller owns what C wrote, like a
                    // returned allocation.
                    Kind::CAlloc {
                        func: ff.name.clone(),
                        free_with: Some(free.clone()),
                    }
                } else if ffi_guard_syntax::alloc_prefix(&ff.name).is_some() {
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
                let owned = matches!(
                    kind,
                    Kind::CAlloc {
                        free_with: Some(_),
                        ..
                    }
                );
                let o = self.new_obj(kind, first_span(a), &var);
                // A struct C filled in (no pointer of Rust's put in it
                // before): the pointers in its fields are C's memory.
                if !carried {
                    self.c_filled.insert(o);
                }
                if owned {
                    self.leak_candidates.push((o, var.clone()));
                }
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

    pub(super) fn forget(&mut self, a: &'a Expr, span: Span, env: &mut Env) {
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

    pub(super) fn release_arg(
        &mut self,
        rel: Release,
        a: &'a Expr,
        site: Span,
        env: &mut Env,
    ) -> Option<ObjId> {
        let v = self.eval(a, env);
        self.release_val(rel, v, a, site, env)
    }

    pub(super) fn release_val(
        &mut self,
        rel: Release,
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
        let name = path_ident(strip_ptr(a)).unwrap_or_else(|| self.objs[o].name.clone());
        self.release_obj(rel, o, name, site, env);
        Some(o)
    }

    /// Object `o` (named `name`) is released by `rel` at `site`.
    pub(super) fn release_obj(
        &mut self,
        rel: Release,
        o: ObjId,
        name: String,
        site: Span,
        env: &mut Env,
    ) {
        self.touched.insert(o);
        if let Release::C(_) = rel {
            // Released by C: handed to C as much as any argument.
            self.handed.entry(o).or_insert(site);
        }
        self.check_mismatch(&rel, o, site);
        self.release_kinds.entry(o).or_insert_with(|| rel.clone());
        match env.released.get(&o).copied() {
            Some(first) => self.double_free(o, name, first, site),
            // Released by an earlier branch that did not leave, and again
            // here, outside any branch entered since.
            None if env
                .maybe_released
                .get(&o)
                .is_some_and(|(_, depth)| *depth >= self.branch_depth) =>
            {
                let first = env.maybe_released[&o].0;
                self.double_free(o, name, first, site);
                env.released.insert(o, site);
            }
            None => {
                env.released.insert(o, site);
            }
        }
    }

    /// The pointee type of a pointer expression, for `Box::from_raw`.
    pub(super) fn pointee_of(&self, a: &Expr, env: &Env) -> Option<String> {
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

    /// A call through a C-ABI fn pointer: a foreign call whose ownership
    /// is not declared. What it is given reaches C, and may be kept there.
    pub(super) fn c_fn_pointer_call(&mut self, c: &'a ExprCall, env: &mut Env) -> Val {
        let vals = self.eval_args(c, env);
        for (a, v) in c.args.iter().zip(&vals) {
            self.escape(v);
            self.mark_moved(a, env);
            self.hand_to_c(v, first_span(a), env);
        }
        Val::default()
    }

    /// `s.field` of a struct a foreign call filled in (see
    /// `Ctx::foreign_call`): a pointer C wrote, of the field's type.
    pub(super) fn c_field(&mut self, base: &Val, f: &syn::ExprField) -> Option<Val> {
        let o = base.obj.filter(|o| self.c_filled.contains(o))?;
        let syn::Member::Named(n) = &f.member else {
            return None;
        };
        let func = match &self.objs[o].kind {
            Kind::CRet { func, .. } | Kind::CAlloc { func, .. } => func.clone(),
            _ => return None,
        };
        let ty = self.idx.field_types.get(&n.to_string()).cloned().flatten();
        let kind = Kind::CRet { func, ty };
        Some(Val {
            obj: Some(self.new_obj(kind, f.span(), &n.to_string())),
            ..Val::default()
        })
    }

    pub(super) fn field_hint(&self, name: &str) -> Hint {
        if self.idx.c_fn_fields.get(name) == Some(&true) {
            return Hint::CFn;
        }
        match self.idx.field_types.get(name).cloned().flatten().as_deref() {
            Some("CString") => Hint::CString,
            Some("String") => Hint::String,
            Some("Vec") => Hint::Vec,
            _ => Hint::Unknown,
        }
    }
}

/// `s.as_mut_ptr()` of a local that is not an owning Rust buffer
/// (`MaybeUninit<S>`, a plain struct): C fills the local in place.
pub(super) fn filled_in_place(a: &Expr, env: &Env) -> Option<String> {
    let Expr::MethodCall(m) = strip(a) else {
        return None;
    };
    if m.method != "as_mut_ptr" {
        return None;
    }
    let name = path_ident(&m.receiver)?;
    let var = env.var(&name)?;
    (!var.val.hint.owned() && var.val.hint != Hint::StringRef).then_some(name)
}
