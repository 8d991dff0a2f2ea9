//! Per-fn summaries of the crate's own fns: which parameters a fn releases
//! on every path through it, and which it hands to C. A summary is computed
//! by walking the fn's body once, the first time a call passes the fn a
//! pointer the walk follows, and kept for every other call.

use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

use syn::{FnArg, Pat};

use super::domain::{Env, Kind, ObjId, Val, Var};
use super::facts::Release;
use super::tables::hint_of_type;
use super::walk::Ctx;

/// What a call of the fn does to its arguments, by position.
#[derive(Debug, Default)]
pub struct Summary {
    /// Released on every path that returns (null-checked paths aside).
    pub releases: Vec<(usize, Release)>,
    /// Handed to C on some path.
    pub hands_to_c: Vec<usize>,
}

/// What a method does to its receiver's fields: each field it releases on
/// every path, and how.
pub type SelfSummary = Vec<(String, Release)>;

/// Self summaries by (type, method), computed so far; `None` while one is
/// computed, or when none can be.
pub type SelfSummaries = std::collections::HashMap<(String, String), Option<Rc<SelfSummary>>>;

/// How deep summaries are computed inside other summaries' walks.
const MAX_NESTING: usize = 4;

impl<'a> Ctx<'a> {
    /// The summary of the crate's fn `name` (a free fn defined once).
    pub(super) fn summary(&self, name: &str) -> Option<Rc<Summary>> {
        if let Some(s) = self.idx.summaries.borrow().get(name) {
            return s.clone();
        }
        let f = (*self.idx.fn_items.get(name)?)?;
        // A fn that calls itself sees no summary of itself.
        self.idx
            .summaries
            .borrow_mut()
            .insert(name.to_owned(), None);
        let generics = f
            .sig
            .generics
            .type_params()
            .map(|t| t.ident.to_string())
            .collect();
        let summary = self.walk_for_summary(
            generics,
            &f.block,
            |cx, env| {
                let mut params: Vec<Option<ObjId>> = Vec::new();
                for input in &f.sig.inputs {
                    let FnArg::Typed(p) = input else {
                        params.push(None);
                        continue;
                    };
                    let Pat::Ident(id) = &*p.pat else {
                        params.push(None);
                        continue;
                    };
                    let name = id.ident.to_string();
                    let hint = hint_of_type(&p.ty);
                    cx.bind(&name, Val::default(), Some(hint), id.ident.span(), env);
                    params.push(env.var(&name).and_then(|v| v.val.obj));
                }
                params
            },
            |cx, env, params| {
                let mut s = Summary::default();
                for (i, o) in params.iter().enumerate() {
                    let Some(o) = *o else { continue };
                    if let Some(rel) = cx.released_on_every_exit(o, env) {
                        s.releases.push((i, rel));
                    }
                    if cx.handed.contains_key(&o) {
                        s.hands_to_c.push(i);
                    }
                }
                Rc::new(s)
            },
        );
        self.idx
            .summaries
            .borrow_mut()
            .insert(name.to_owned(), summary.clone());
        summary
    }

    /// Walks a body for a summary in a fresh context: `bind` binds its
    /// parameters, `finish` reads the walk's end. `None` when summaries
    /// nest too deep or the body was given up.
    fn walk_for_summary<P, T>(
        &self,
        generics: HashSet<String>,
        block: &'a syn::Block,
        bind: impl FnOnce(&mut Ctx<'a>, &mut Env) -> P,
        finish: impl FnOnce(&Ctx<'a>, &Env, P) -> T,
    ) -> Option<T> {
        let nesting = &self.idx.summary_nesting;
        if nesting.get() >= MAX_NESTING {
            return None;
        }
        nesting.set(nesting.get() + 1);
        let mut cx = Ctx::new(self.idx, self.file, "", false, None, generics, None);
        cx.exit_released = Some(Vec::new());
        let mut env = Env::default();
        env.scopes.push(Vec::new());
        let bound = bind(&mut cx, &mut env);
        cx.block(block, &mut env);
        nesting.set(nesting.get() - 1);
        (!cx.gave_up).then(|| finish(&cx, &env, bound))
    }

    /// The release `o` got on every path out of the summarized body (the
    /// end of `env`, and every early exit), if it got one.
    pub(super) fn released_on_every_exit(&self, o: ObjId, env: &Env) -> Option<Release> {
        let exits = self.exit_released.as_deref().unwrap_or_default();
        if env.diverged && exits.is_empty() {
            return None;
        }
        let at_end = env.diverged || env.released.contains_key(&o) || env.null.contains(&o);
        (at_end && exits.iter().all(|e| e.contains(&o)))
            .then(|| self.release_kinds.get(&o).cloned())
            .flatten()
    }

    /// What the method `name` of the crate's type `ty` (`drop` for its
    /// `Drop` impl) releases of its receiver's fields on every path.
    pub(super) fn self_summary(&self, ty: &str, name: &str) -> Option<Rc<SelfSummary>> {
        let key = (ty.to_owned(), name.to_owned());
        if let Some(s) = self.idx.self_summaries.borrow().get(&key) {
            return s.clone();
        }
        let f = (*self.idx.methods.get(&key)?)?;
        let fields = self.idx.struct_fields.get(ty)?.as_ref()?;
        self.idx
            .self_summaries
            .borrow_mut()
            .insert(key.clone(), None);
        let summary = self.walk_for_summary(
            HashSet::new(),
            &f.block,
            |cx, env| {
                let span = f.sig.ident.span();
                let mut me = Val::default();
                for field in fields {
                    let o = cx.new_obj(Kind::Unknown, span, field);
                    me.fields.push((field.clone(), o));
                }
                let objs = me.fields.clone();
                cx.bind("self", me, None, span, env);
                objs
            },
            |cx, env, objs| {
                Rc::new(
                    objs.iter()
                        .filter_map(|(field, o)| {
                            Some((field.clone(), cx.released_on_every_exit(*o, env)?))
                        })
                        .collect::<SelfSummary>(),
                )
            },
        );
        self.idx
            .self_summaries
            .borrow_mut()
            .insert(key, summary.clone());
        summary
    }

    /// The local `var` of the crate's type `ty` runs its method `name`
    /// (`drop` when it goes out of scope): the fields it releases are
    /// released here.
    pub(super) fn apply_self_summary(
        &mut self,
        var: &Var,
        ty: &str,
        name: &str,
        site: proc_macro2::Span,
        env: &mut Env,
    ) -> bool {
        let Some(s) = self.self_summary(ty, name) else {
            return false;
        };
        for (field, rel) in s.iter() {
            if let Some((_, o)) = var.val.fields.iter().find(|(f, _)| f == field) {
                let label = format!("{}.{field}", var.name);
                self.release_obj(rel.clone(), *o, label, site, env);
            }
        }
        true
    }

    /// What leaving the fn here (`return`, `?`) leaves released, for the
    /// summary being computed: released or known null on this path.
    pub(super) fn note_exit(&mut self, env: &Env) {
        if let Some(exits) = &mut self.exit_released {
            let done: BTreeSet<ObjId> = env
                .released
                .keys()
                .chain(env.null.iter())
                .copied()
                .collect();
            exits.push(done);
        }
    }

    /// A call of the crate's fn `name` with `vals`: what its summary says
    /// it does to them happens here. Summaries are looked up only for
    /// calls given a pointer the walk knows something about.
    pub(super) fn apply_summary(
        &mut self,
        name: &str,
        args: &[&'a syn::Expr],
        vals: &[Val],
        site: proc_macro2::Span,
        env: &mut Env,
    ) {
        let followed = vals.iter().any(|v| {
            v.objs().any(|o| {
                !matches!(self.objs[o].kind, Kind::Unknown) || env.released.contains_key(&o)
            })
        });
        if !followed {
            return;
        }
        let Some(s) = self.summary(name) else { return };
        for &i in &s.hands_to_c {
            if let (Some(a), Some(v)) = (args.get(i), vals.get(i)) {
                self.hand_to_c(v, super::syntax::first_span(a), env);
            }
        }
        for (i, rel) in &s.releases {
            if let (Some(a), Some(v)) = (args.get(*i), vals.get(*i)) {
                self.release_val(rel.clone(), v.clone(), a, site, env);
            }
        }
    }
}
