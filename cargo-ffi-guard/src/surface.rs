//! The FFI surface of a crate, shared by `missing_repr_c` and
//! `improper_ffi_type`: every type in an `extern "C"` signature, the crate's
//! types C can see (transitively, through by-value fields), and the types
//! the crate hands out itself as opaque handles.

use std::collections::{HashMap, HashSet, VecDeque};

use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::diag::Span;
use crate::index::{AdtKind, FnId, Index, ModuleId, TypeDef, TypeId, is_c_abi};
use crate::model::Crate;

/// One parameter or return type of an `extern "C"` signature.
#[derive(Debug, Clone, Copy)]
pub struct SigType<'a> {
    pub fn_id: FnId,
    pub file: usize,
    pub module: ModuleId,
    pub ty: &'a syn::Type,
    /// Declared in an extern block (C defines it) rather than in Rust.
    pub import: bool,
    pub generics: &'a syn::Generics,
}

/// How a type of the crate is reached from C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// By value in a signature.
    ByValue,
    /// Behind a pointer or reference in an extern block's signature.
    PtrImport,
    /// Behind a pointer or reference in a Rust-defined `extern "C"` fn.
    PtrExport,
    /// A by-value field of the type `owner`, which C can see.
    Field { owner: TypeId },
}

/// One place where C can reach a crate type.
#[derive(Debug, Clone)]
pub struct Use {
    pub ty: TypeId,
    pub reach: Reach,
    pub span: Span,
    /// Position for ordering: file index, then line and column.
    pub order: (usize, usize, usize),
}

/// The FFI surface of a crate.
#[derive(Debug)]
pub struct Surface<'a> {
    pub sig_types: Vec<SigType<'a>>,
    /// Every use of a crate type in a C-visible position, in file order.
    pub uses: &'a [Use],
    /// Types C can see, whose by-value fields C sees too.
    pub visible: &'a [TypeId],
    /// Types the crate hands out itself (`Box::into_raw`/`Arc::into_raw` of
    /// them, or an export returning a pointer to them).
    pub handed_out: &'a HashSet<TypeId>,
}

/// What resolving the surface found, kept in the lint context so that the
/// lints that read it resolve it once.
#[derive(Debug, Default)]
pub struct Facts {
    uses: Vec<Use>,
    visible: Vec<TypeId>,
    handed_out: HashSet<TypeId>,
}

impl<'a> Surface<'a> {
    /// The surface from a crate's signature types and their resolved facts
    /// (the lint context resolves them once, see `context.rs`).
    pub fn new(sig_types: Vec<SigType<'a>>, facts: &'a Facts) -> Surface<'a> {
        Surface {
            sig_types,
            uses: &facts.uses,
            visible: &facts.visible,
            handed_out: &facts.handed_out,
        }
    }

    /// Whether a use needs the type to have a C layout.
    pub fn needs_layout(&self, u: &Use) -> bool {
        needs_layout(u.reach, self.handed_out, u.ty)
    }
}

/// Each parameter and return type of every `extern "C"` signature.
pub fn sig_types(krate: &Crate) -> Vec<SigType<'_>> {
    let ix = &krate.index;
    let mut out = Vec::new();
    for (id, f) in ix.fns.iter().enumerate() {
        if !is_c_abi(f.abi.as_deref()) || f.rewritten {
            continue;
        }
        let Some(parts) = krate.fn_parts(f) else {
            continue;
        };
        let file = f.loc.file();
        let tys = parts
            .sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(pt) => Some(&*pt.ty),
                syn::FnArg::Receiver(_) => None,
            })
            .chain(match &parts.sig.output {
                syn::ReturnType::Type(_, t) => Some(&**t),
                syn::ReturnType::Default => None,
            });
        for ty in tys {
            out.push(SigType {
                fn_id: id,
                file,
                module: f.module,
                ty,
                import: f.is_foreign(),
                generics: &parts.sig.generics,
            });
        }
    }
    out
}

impl Facts {
    pub fn build(krate: &Crate, sig_types: &[SigType<'_>]) -> Facts {
        let ix = &krate.index;
        let mut s = Facts {
            handed_out: handed_out(krate),
            ..Facts::default()
        };
        // A type whose fields are all private to the crate is not part of
        // its C API: nothing outside could have built one, and a header
        // generator emits it as an opaque typedef. Behind a pointer from C,
        // it is a handle like one the crate hands out.
        for (id, def) in ix.types.iter().enumerate() {
            if let Some(item) = krate.item(&def.loc) {
                let fields = item_fields(item);
                if !fields.is_empty()
                    && fields
                        .iter()
                        .all(|f| !matches!(f.vis, syn::Visibility::Public(_)))
                {
                    s.handed_out.insert(id);
                }
            }
        }
        // Uses in signatures.
        let mut uses = Vec::new();
        for st in sig_types {
            let path = &krate.files[st.file].path;
            walk_adts(ix, st.module, st.ty, false, &mut |id, site, ptr| {
                let reach = match (ptr, st.import) {
                    (false, _) => Reach::ByValue,
                    (true, true) => Reach::PtrImport,
                    (true, false) => Reach::PtrExport,
                };
                uses.push(make_use(path, st.file, id, reach, site));
            });
        }
        // Types C can see: reached in a way that needs a C layout, or
        // declared with one; then their by-value fields, transitively.
        let mut seen = HashSet::new();
        let mut queue = VecDeque::new();
        for u in &uses {
            let def = &ix.types[u.ty];
            let c_layout = def.repr.c || def.repr.transparent;
            if (needs_layout(u.reach, &s.handed_out, u.ty) || c_layout) && seen.insert(u.ty) {
                queue.push_back(u.ty);
            }
        }
        while let Some(t) = queue.pop_front() {
            s.visible.push(t);
            let def = &ix.types[t];
            let Some(item) = krate.item(&def.loc) else {
                continue;
            };
            let path = &krate.files[def.loc.file].path;
            for field in item_fields(item) {
                walk_adts(ix, def.module, &field.ty, false, &mut |id, site, ptr| {
                    if ptr {
                        return;
                    }
                    uses.push(make_use(
                        path,
                        def.loc.file,
                        id,
                        Reach::Field { owner: t },
                        site,
                    ));
                    if seen.insert(id) {
                        queue.push_back(id);
                    }
                });
            }
        }
        uses.sort_by_key(|u| u.order);
        s.uses = uses;
        s
    }
}

fn needs_layout(reach: Reach, handed_out: &HashSet<TypeId>, ty: TypeId) -> bool {
    match reach {
        Reach::ByValue | Reach::PtrImport | Reach::Field { .. } => true,
        Reach::PtrExport => !handed_out.contains(&ty),
    }
}

fn make_use(path: &str, file: usize, ty: TypeId, reach: Reach, site: &syn::Type) -> Use {
    let span = type_span(path, site);
    Use {
        ty,
        reach,
        order: (file, span.line, span.column),
        span,
    }
}

/// The span of a type: for a path, its last segment's name (`Point` in
/// `types::Point<T>`), otherwise the whole type.
pub fn type_span(path: &str, ty: &syn::Type) -> Span {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(seg) => Span::from_syn(path, seg.ident.span()),
            None => Span::from_syn(path, ty.span()),
        },
        _ => Span::from_syn(path, ty.span()),
    }
}

/// The fields of a struct or union, and of every variant of an enum.
pub fn item_fields(item: &syn::Item) -> Vec<&syn::Field> {
    match item {
        syn::Item::Struct(s) => s.fields.iter().collect(),
        syn::Item::Union(u) => u.fields.named.iter().collect(),
        syn::Item::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter()).collect(),
        _ => Vec::new(),
    }
}

/// The last path segment's name of a type, and its first generic type argument.
pub fn last_segment(ty: &syn::Type) -> Option<(String, Option<&syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let seg = p.path.segments.last()?;
    let arg = match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), arg))
}

/// Call `f(type, site, behind_pointer)` for every crate type that `ty`
/// holds by value or behind one pointer level, seen from `module`. `site`
/// is the type as written where `ty` is used (aliases are followed but the
/// site stays where the user wrote it).
pub fn walk_adts<'t>(
    ix: &'t Index,
    module: ModuleId,
    ty: &'t syn::Type,
    ptr: bool,
    f: &mut dyn FnMut(TypeId, &'t syn::Type, bool),
) {
    walk_inner(ix, module, ty, ty, ptr, f, 0);
}

fn walk_inner<'t>(
    ix: &'t Index,
    module: ModuleId,
    ty: &'t syn::Type,
    site: &'t syn::Type,
    ptr: bool,
    f: &mut dyn FnMut(TypeId, &'t syn::Type, bool),
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    // Inside the written type, sub-types are their own sites; through an
    // alias the site stays the alias use.
    let same = std::ptr::eq(ty, site);
    macro_rules! go {
        ($t:expr, $ptr:expr) => {
            if same {
                walk_inner(ix, module, $t, $t, $ptr, f, depth + 1)
            } else {
                walk_inner(ix, module, $t, site, $ptr, f, depth + 1)
            }
        };
    }
    match ty {
        syn::Type::Ptr(p) => go!(&p.elem, true),
        syn::Type::Reference(r) => go!(&r.elem, true),
        syn::Type::Array(a) => go!(&a.elem, ptr),
        syn::Type::Paren(p) => go!(&p.elem, ptr),
        syn::Type::Group(g) => go!(&g.elem, ptr),
        syn::Type::BareFn(bf) if is_c_abi(crate::index::abi_name(&bf.abi).as_deref()) => {
            for a in &bf.inputs {
                go!(&a.ty, false);
            }
            if let syn::ReturnType::Type(_, t) = &bf.output {
                go!(t, false);
            }
        }
        syn::Type::Path(_) => {
            if let Some(id) = ix.resolve_adt(module, ty) {
                f(id, site, ptr);
                return;
            }
            if let Some((m2, t2)) = ix.resolve_alias(module, ty) {
                walk_inner(ix, m2, t2, site, ptr, f, depth + 1);
                return;
            }
            let Some((name, arg)) = last_segment(ty) else {
                return;
            };
            let Some(arg) = arg else { return };
            match name.as_str() {
                "Option" | "MaybeUninit" | "ManuallyDrop" | "Cell" | "UnsafeCell" => go!(arg, ptr),
                "NonNull" | "Box" | "AtomicPtr" => go!(arg, true),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Types the crate hands out itself: the type of a `Box::into_raw` or
/// `Arc::into_raw` argument, the pointee of a Rust `extern "C"` fn's returned
/// pointer, the pointee of an export's out-parameter (`*mut *mut T`), and a
/// type the crate builds itself (a struct literal outside tests): C did not
/// lay out a value that Rust built, it only holds a pointer to it.
fn handed_out(krate: &Crate) -> HashSet<TypeId> {
    let ix = &krate.index;
    let mut out = HashSet::new();
    for f in &ix.fns {
        let Some(parts) = krate.fn_parts(f) else {
            continue;
        };
        let c_export = f.is_rust_defined_c_fn();
        let ret = match &parts.sig.output {
            syn::ReturnType::Type(_, t) => Some(&**t),
            syn::ReturnType::Default => None,
        };
        if c_export {
            if let Some(t) = ret {
                walk_adts(ix, f.module, t, false, &mut |id, _, ptr| {
                    if ptr {
                        out.insert(id);
                    }
                });
            }
            for arg in &parts.sig.inputs {
                if let syn::FnArg::Typed(pt) = arg
                    && let syn::Type::Ptr(p) = &*pt.ty
                    && matches!(&*p.elem, syn::Type::Ptr(_))
                {
                    walk_adts(ix, f.module, &p.elem, false, &mut |id, _, _| {
                        out.insert(id);
                    });
                }
            }
        }
        let Some(block) = parts.block else { continue };
        if crate::index::has_attr(parts.attrs, "test") {
            continue;
        }
        let mut v = IntoRaw {
            locals: HashMap::new(),
            found: Vec::new(),
            any: false,
        };
        v.visit_block(block);
        for t in &v.found {
            if let Some(id) = ix.resolve_adt(f.module, t) {
                out.insert(id);
            }
        }
        // `fn new() -> *mut Widget { Box::into_raw(b) }`: the returned pointee.
        if v.any
            && let Some(t) = ret
        {
            walk_adts(ix, f.module, t, false, &mut |id, _, ptr| {
                if ptr {
                    out.insert(id);
                }
            });
        }
    }
    out
}

/// Finds `Box::into_raw(x)` / `Arc::into_raw(x)` and guesses `x`'s type.
struct IntoRaw {
    locals: HashMap<String, syn::Type>,
    found: Vec<syn::Type>,
    any: bool,
}

impl IntoRaw {
    fn type_of(&self, e: &syn::Expr) -> Option<syn::Type> {
        match e {
            syn::Expr::Paren(p) => self.type_of(&p.expr),
            syn::Expr::Struct(s) => Some(path_type(&s.path, s.path.segments.len())),
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                let segs = &p.path.segments;
                let last = segs.last()?.ident.to_string();
                if segs.len() >= 2 {
                    let owner = segs[segs.len() - 2].ident.to_string();
                    if matches!(owner.as_str(), "Box" | "Arc" | "Rc") && last == "new" {
                        if let Some(t) = generic_arg(&segs[segs.len() - 2]) {
                            return Some(t);
                        }
                        return c.args.first().and_then(|a| self.type_of(a));
                    }
                    return Some(path_type(&p.path, segs.len() - 1));
                }
                // A tuple struct constructor `Widget(..)`.
                Some(path_type(&p.path, segs.len()))
            }
            syn::Expr::Path(p) if p.path.segments.len() == 1 => self
                .locals
                .get(&p.path.segments[0].ident.to_string())
                .cloned(),
            _ => None,
        }
    }
}

fn generic_arg(seg: &syn::PathSegment) -> Option<syn::Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }),
        _ => None,
    }
}

/// The first `n` segments of `path` as a type.
fn path_type(path: &syn::Path, n: usize) -> syn::Type {
    let mut p = path.clone();
    while p.segments.len() > n {
        p.segments.pop();
    }
    // Drop a trailing `::` left by the pop.
    let segs: syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]> =
        p.segments.into_iter().collect();
    p.segments = segs;
    syn::Type::Path(syn::TypePath {
        qself: None,
        path: p,
    })
}

impl<'ast> Visit<'ast> for IntoRaw {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        let (pat, ty) = match &l.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some((*pt.ty).clone())),
            p => (p, None),
        };
        if let syn::Pat::Ident(pi) = pat {
            let ty = ty
                .map(|t| match last_segment(&t) {
                    Some((n, Some(arg))) if matches!(n.as_str(), "Box" | "Arc" | "Rc") => {
                        arg.clone()
                    }
                    _ => t,
                })
                .or_else(|| l.init.as_ref().and_then(|i| self.type_of(&i.expr)));
            if let Some(t) = ty {
                self.locals.insert(pi.ident.to_string(), t);
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
        if e.qself.is_none() && !e.path.is_ident("Self") {
            self.found.push(path_type(&e.path, e.path.segments.len()));
        }
        syn::visit::visit_expr_struct(self, e);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func {
            let segs = &p.path.segments;
            if segs.len() >= 2
                && segs
                    .last()
                    .is_some_and(|s| s.ident == "into_raw" || s.ident == "leak")
                && matches!(
                    segs[segs.len() - 2].ident.to_string().as_str(),
                    "Box" | "Arc" | "Rc"
                )
            {
                self.any = true;
                if let Some(t) = generic_arg(&segs[segs.len() - 2]) {
                    self.found.push(t);
                } else if let Some(t) = c.args.first().and_then(|a| self.type_of(a)) {
                    self.found.push(t);
                }
            }
        }
        syn::visit::visit_expr_call(self, c);
    }
}

/// `repr(C)`, `repr(transparent)`, or a primitive repr on a fieldless enum.
/// (A primitive repr on an enum with fields has a defined layout in Rust,
/// but not one a C header states plainly: SPEC §5 asks for `repr(C)` there.)
pub fn has_c_layout(krate: &Crate, def: &TypeDef) -> bool {
    def.repr.c
        || def.repr.transparent
        || (def.kind == AdtKind::Enum
            && def.repr.primitive.is_some()
            && matches!(krate.item(&def.loc), Some(syn::Item::Enum(e))
                if e.variants.iter().all(|v| v.fields.is_empty())))
}
