//! What the ownership walk knows before it reads a body: which foreign
//! functions allocate,
//! release, consume or read slices and C strings (from `#[ffi_guard]`
//! options and the inference rules of `ffi-guard-syntax`, applied to every
//! extern block, guarded or not), and which Rust allocations the crate
//! gives back to Rust's allocator anywhere.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use syn::{FnArg, Item, Pat};

use ffi_guard_syntax::Conventions;

use super::summaries::{SelfSummaries, Summary};
use super::tables::is_c_fn_type;
use crate::model::Crate;

/// What the crate declares about one foreign function.
#[derive(Debug, Clone, Default)]
pub struct ForeignFn {
    pub name: String,
    /// `Some(F)`: the result is owned by the caller, released with `F`.
    pub alloc_free_with: Option<String>,
    /// Parameter positions the function releases.
    pub frees: Vec<usize>,
    /// Parameter positions whose ownership passes to C.
    pub consumes: Vec<usize>,
    /// `(pointer, length)` parameter positions.
    pub slices: Vec<(usize, usize)>,
    /// Parameter positions read as NUL-terminated strings.
    pub cstrs: Vec<usize>,
    pub params: Vec<String>,
    pub returns_pointer: bool,
    /// The pointee of the returned pointer.
    pub ret_pointee: Option<String>,
    /// For `*mut *T` parameters (out-parameters), `T`.
    pub out_pointees: Vec<Option<String>>,
    /// An allocation whose release its block does not declare: the names
    /// that may release it (`ffi_guard_syntax::Ownership::tentative_alloc`).
    pub tentative_alloc: Option<Vec<String>>,
    /// Out-parameters that receive a pointer the caller owns, each with
    /// the names that may release it.
    pub out_candidates: Vec<(usize, Vec<String>)>,
    /// Out-parameters whose pointer the caller owns, with the known
    /// foreign fn that releases it (resolved from `out_candidates`).
    pub alloc_out: Vec<(usize, String)>,
    /// The conventions say the result is borrowed: it never leaks.
    pub borrowed: bool,
    /// Its one raw pointer, when its name is a release name that no
    /// allocation of its block names (`Ownership::soft_frees`).
    pub soft_frees: Vec<usize>,
}

/// The crate-wide facts the dataflow reads.
///
/// Foreign fns are known by name at once; what each one does is resolved
/// (options parsed, inference run) per extern block, the first time a call
/// names one of its fns: binding crates declare thousands and call few.
#[derive(Debug, Default)]
pub struct Known<'a> {
    /// Every fn declared in an extern block of the crate: its block.
    foreign_names: HashMap<String, usize>,
    blocks: Vec<&'a syn::ItemForeignMod>,
    resolved: RefCell<HashMap<String, Rc<ForeignFn>>>,
    resolved_blocks: RefCell<HashSet<usize>>,
    /// Foreign fns declared outside the crate's sources (its dependencies,
    /// its generated bindings), resolved when the index is built.
    from_deps: HashMap<String, Rc<ForeignFn>>,
    /// C library conventions and the package's `pairs`/`borrowed`.
    conventions: Option<&'a Conventions>,
    /// `PREFIX` of every known `PREFIX_new|_open|..`: `PREFIX_free|_close|..`
    /// of one pointer releases it.
    alloc_prefixes: HashSet<String>,
    /// Names of the crate's own free functions (to tell `foo()` from a foreign `foo()`).
    pub rust_fns: HashSet<String>,
    /// Field name -> the pointee or owned type of that field, when every
    /// struct of the crate with a field of that name agrees.
    pub field_types: HashMap<String, Option<String>>,
    /// Field name -> whether every struct of the crate with a field of that
    /// name declares it a C-ABI fn pointer (`Option<extern "C" fn>`).
    pub c_fn_fields: HashMap<String, bool>,
    /// Statics of C-ABI fn pointer type.
    pub c_fn_statics: HashSet<String>,
    /// The crate's free fns by name; `None` for a name defined twice.
    pub fn_items: HashMap<String, Option<&'a syn::ItemFn>>,
    /// Summaries computed so far (`None`: being computed, or none).
    pub summaries: RefCell<HashMap<String, Option<Rc<Summary>>>>,
    pub summary_nesting: std::cell::Cell<usize>,
    /// Methods taking `self` of the crate's types, by (type, method);
    /// `Drop::drop` is `(type, "drop")`. `None` for a pair defined twice.
    pub methods: HashMap<(String, String), Option<&'a syn::ImplItemFn>>,
    /// Named fields of the crate's structs, by struct name; `None` for a
    /// name defined twice.
    pub struct_fields: HashMap<String, Option<Vec<String>>>,
    /// What a method does to the fields of its receiver, computed so far.
    pub self_summaries: RefCell<SelfSummaries>,
}

impl<'a> Known<'a> {
    pub fn build(krate: &'a Crate) -> Known<'a> {
        let mut known = Known {
            conventions: Some(&krate.deps.conventions),
            ..Known::default()
        };
        for file in &krate.files {
            known.items(&file.ast.items);
        }
        known.add_declared(krate.deps.declared());
        known
    }

    /// The other entry for foreign fns: declarations read outside the
    /// crate's sources (`crate::deps`). The crate's own declaration of a
    /// name wins; among these, the first.
    pub fn add_declared<'d>(
        &mut self,
        fns: impl Iterator<Item = &'d crate::deps::summary::DeclaredFn>,
    ) {
        let mut added = Vec::new();
        let fns: Vec<_> = fns.collect();
        let names = self.foreign_names.keys().map(String::as_str);
        let names = names.chain(fns.iter().map(|d| d.name.as_str()));
        self.alloc_prefixes = names
            .filter_map(ffi_guard_syntax::alloc_prefix)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        for d in fns {
            if self.foreign_names.contains_key(&d.name) || self.from_deps.contains_key(&d.name) {
                continue;
            }
            self.from_deps.insert(d.name.clone(), Rc::default());
            added.push(crate::deps::ownership::foreign_fn(d));
        }
        for mut ff in added {
            self.finish(&mut ff);
            self.from_deps.insert(ff.name.clone(), Rc::new(ff));
        }
    }

    /// What the inference left open, once per foreign fn: a crate's own
    /// declaration that says nothing about ownership takes what a
    /// dependency's declaration of the same name says; then the package's
    /// conventions and the known foreign fns settle tentative pairs
    /// ([`crate::deps::ownership::resolve`]).
    fn finish(&self, ff: &mut ForeignFn) {
        if ff.alloc_free_with.is_none()
            && ff.tentative_alloc.is_none()
            && ff.out_candidates.is_empty()
            && ff.frees.is_empty()
            && ff.consumes.is_empty()
            && let Some(dep) = self.from_deps.get(&ff.name)
        {
            ff.alloc_free_with.clone_from(&dep.alloc_free_with);
            ff.tentative_alloc.clone_from(&dep.tentative_alloc);
            ff.out_candidates.clone_from(&dep.out_candidates);
            ff.borrowed |= dep.borrowed;
            ff.frees.clone_from(&dep.frees);
            ff.consumes.clone_from(&dep.consumes);
        }
        // A soft release releases what an allocation paired with it
        // returned: the linter takes it as a release when an allocation of
        // its prefix is declared anywhere it can see.
        if ff.frees.is_empty()
            && ffi_guard_syntax::release_prefix(&ff.name)
                .is_some_and(|p| self.alloc_prefixes.contains(p))
        {
            ff.frees.clone_from(&ff.soft_frees);
        }
        let builtin = Conventions::builtin();
        let conventions = self.conventions.unwrap_or(&builtin);
        crate::deps::ownership::resolve(ff, conventions, |r| self.is_foreign(r));
    }

    /// The one place foreign fns become known: every fn of an extern block,
    /// resolved (options, inference) the first time a call names one.
    /// The crate's own blocks come through here; so can other ones.
    pub fn add_extern_block(&mut self, m: &'a syn::ItemForeignMod) {
        let block = self.blocks.len();
        self.blocks.push(m);
        for i in &m.items {
            if let syn::ForeignItem::Fn(f) = i {
                self.foreign_names
                    .entry(f.sig.ident.to_string())
                    .or_insert(block);
            }
        }
    }

    /// Whether the crate declares a foreign fn of that name.
    pub fn is_foreign(&self, name: &str) -> bool {
        self.foreign_names.contains_key(name) || self.from_deps.contains_key(name)
    }

    /// What the foreign fn of that name allocates, releases and reads.
    pub fn foreign(&self, name: &str) -> Option<Rc<ForeignFn>> {
        let Some(&block) = self.foreign_names.get(name) else {
            return self.from_deps.get(name).cloned();
        };
        if self.resolved_blocks.borrow_mut().insert(block)
            && let Some(m) = self.blocks.get(block)
        {
            let mut resolved = self.resolved.borrow_mut();
            let builtin = Conventions::builtin();
            for mut ff in resolve_foreign_mod(m, self.conventions.unwrap_or(&builtin)) {
                self.finish(&mut ff);
                resolved
                    .entry(ff.name.clone())
                    .or_insert_with(|| Rc::new(ff));
            }
        }
        self.resolved.borrow().get(name).cloned()
    }

    fn items(&mut self, items: &'a [Item]) {
        for item in items {
            match item {
                Item::ForeignMod(m) => self.add_extern_block(m),
                Item::Fn(f) => {
                    self.rust_fns.insert(f.sig.ident.to_string());
                    self.fn_items
                        .entry(f.sig.ident.to_string())
                        .and_modify(|seen| *seen = None)
                        .or_insert(Some(f));
                    // Extern blocks, fns and structs declared inside a body.
                    for stmt in &f.block.stmts {
                        if let syn::Stmt::Item(inner) = stmt {
                            self.items(std::slice::from_ref(inner));
                        }
                    }
                }
                Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        self.items(items);
                    }
                }
                Item::Static(s) if is_c_fn_type(&s.ty) => {
                    self.c_fn_statics.insert(s.ident.to_string());
                }
                Item::Impl(imp) => {
                    let Some(ty) = type_of_interest(&imp.self_ty) else {
                        continue;
                    };
                    for item in &imp.items {
                        if let syn::ImplItem::Fn(f) = item
                            && f.sig.receiver().is_some()
                        {
                            self.methods
                                .entry((ty.clone(), f.sig.ident.to_string()))
                                .and_modify(|seen| *seen = None)
                                .or_insert(Some(f));
                        }
                    }
                }
                Item::Struct(s) => {
                    let names: Vec<String> = s
                        .fields
                        .iter()
                        .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
                        .collect();
                    self.struct_fields
                        .entry(s.ident.to_string())
                        .and_modify(|seen| *seen = None)
                        .or_insert(Some(names));
                    for field in &s.fields {
                        if let Some(name) = &field.ident {
                            let c_fn = is_c_fn_type(&field.ty);
                            self.c_fn_fields
                                .entry(name.to_string())
                                .and_modify(|all| *all &= c_fn)
                                .or_insert(c_fn);
                            let ty = type_of_interest(&field.ty);
                            self.field_types
                                .entry(name.to_string())
                                .and_modify(|t| {
                                    if *t != ty {
                                        *t = None;
                                    }
                                })
                                .or_insert(ty);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Every fn of one extern block with its resolved ownership.
fn resolve_foreign_mod(m: &syn::ItemForeignMod, conventions: &Conventions) -> Vec<ForeignFn> {
    let mut out = Vec::new();
    for (f, own) in crate::deps::summary::block_ownership(m, conventions) {
        let params: Vec<String> = f
            .sig
            .inputs
            .iter()
            .map(|a| match a {
                FnArg::Typed(p) => match &*p.pat {
                    Pat::Ident(id) => id.ident.to_string(),
                    _ => String::new(),
                },
                FnArg::Receiver(_) => "self".to_owned(),
            })
            .collect();
        let pointee = |t: &syn::Type| match t {
            syn::Type::Ptr(p) => type_of_interest(&p.elem),
            _ => None,
        };
        let mut ff = ForeignFn {
            name: f.sig.ident.to_string(),
            ret_pointee: match &f.sig.output {
                syn::ReturnType::Type(_, t) => pointee(t),
                syn::ReturnType::Default => None,
            },
            out_pointees: f
                .sig
                .inputs
                .iter()
                .map(|a| match a {
                    FnArg::Typed(p) => match &*p.ty {
                        syn::Type::Ptr(outer) => pointee(&outer.elem),
                        _ => None,
                    },
                    FnArg::Receiver(_) => None,
                })
                .collect(),
            returns_pointer: matches!(&f.sig.output, syn::ReturnType::Type(_, t)
                if ffi_guard_syntax::types::raw_pointer(t).is_some()),
            ..ForeignFn::default()
        };
        if let Some(own) = own {
            let own = crate::deps::summary::Positions::of(&own, &params);
            ff.alloc_free_with = own.alloc_free_with;
            ff.frees = own.frees;
            ff.consumes = own.consumes;
            ff.slices = own.slices;
            ff.cstrs = own.cstrs;
            ff.tentative_alloc = own.tentative_alloc;
            ff.out_candidates = own.alloc_out;
            ff.borrowed = own.borrowed;
            ff.soft_frees = own.soft_frees;
        }
        ff.params = params;
        out.push(ff);
    }
    out
}

/// The type a field holds, as far as ownership goes: the pointee of a raw
/// pointer or `NonNull`, else the type's own last segment.
pub fn type_of_interest(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Ptr(p) => type_of_interest(&p.elem),
        syn::Type::Paren(p) => type_of_interest(&p.elem),
        syn::Type::Group(g) => type_of_interest(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if name == "NonNull" || name == "Box" {
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments
                    && let Some(syn::GenericArgument::Type(t)) = a.args.first()
                {
                    return type_of_interest(t);
                }
                return None;
            }
            Some(name)
        }
        _ => None,
    }
}
