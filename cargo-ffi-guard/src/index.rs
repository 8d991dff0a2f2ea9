//! The crate's items and names, resolved across modules.
//!
//! Answers the two questions the lints ask: which struct, enum or union of
//! the crate a type path in a given module means (through `use ... as`,
//! globs, `self`/`super`/`crate`, type aliases and re-exports), and which
//! foreign and exported fns exist. Built once per crate from the parsed
//! files; never reads anything else.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

use crate::source::SourceFile;

/// Index into [`Index::modules`].
pub type ModuleId = usize;
/// Index into [`Index::types`].
pub type TypeId = usize;
/// Index into [`Index::aliases`].
pub type AliasId = usize;
/// Index into [`Index::fns`].
pub type FnId = usize;

/// Where an item sits: its file, then its position in the file's items, in
/// the items of each inline module on the way down. A step through a free
/// fn is an index into its body's statements (items declared in a body).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemLoc {
    pub file: usize,
    pub path: Vec<u32>,
}

/// Where a fn sits: a free fn item, the n-th item of an impl block, or the
/// n-th item of an extern block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FnLoc {
    Item(ItemLoc),
    Impl(ItemLoc, u32),
    Foreign(ItemLoc, u32),
}

impl FnLoc {
    /// The file the fn is in (index into `Crate::files`).
    pub fn file(&self) -> usize {
        match self {
            FnLoc::Item(l) | FnLoc::Impl(l, _) | FnLoc::Foreign(l, _) => l.file,
        }
    }
}

/// All indexed items of one crate (every target of one package).
#[derive(Debug, Default)]
pub struct Index {
    pub targets: Vec<Target>,
    pub modules: Vec<Module>,
    pub types: Vec<TypeDef>,
    pub aliases: Vec<AliasDef>,
    pub fns: Vec<FnDef>,
    pub foreign_blocks: Vec<ForeignBlock>,
    fns_by_name: HashMap<String, Vec<FnId>>,
    module_ids: HashMap<(usize, Vec<String>), ModuleId>,
    /// Answers already given, by (module, path, namespace): resolution
    /// through glob re-exports (libc has thousands) is costly.
    cache: Mutex<HashMap<(ModuleId, String, Ns), Option<Found>>>,
    /// Every name the crate binds (items, modules, import renames).
    names: HashSet<String>,
    /// Complete answers of single-name lookups in a module.
    lookups: Mutex<HashMap<(ModuleId, String, Ns), Option<Found>>>,
}

/// Lookups under way in one query: a (module, name) seen again is a cycle,
/// and an answer that met a cycle is not cached (it may be incomplete).
#[derive(Default)]
struct Visited {
    seen: HashSet<(ModuleId, String, Ns)>,
    cut: bool,
}

/// One crate root: a lib, bin, example, test or bench target.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub kind: String,
    pub root: ModuleId,
}

/// A module: a file's top level or an inline `mod x { .. }`.
#[derive(Debug)]
pub struct Module {
    /// `["crate", "ffi", "sys"]`.
    pub path: Vec<String>,
    pub target: usize,
    /// The file that holds the module's items (`usize::MAX` when the file of
    /// a `mod x;` was not found).
    pub file: usize,
    pub parent: Option<ModuleId>,
    pub root: ModuleId,
    types: HashMap<String, TypeBinding>,
    values: HashMap<String, FnId>,
    imports: Vec<Import>,
}

/// What a name in the type namespace stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeBinding {
    Adt(TypeId),
    Alias(AliasId),
    Module(ModuleId),
}

#[derive(Debug, Clone)]
struct Import {
    /// The name the import binds (`None` for a glob).
    name: Option<String>,
    path: Vec<String>,
}

/// Struct, enum or union.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdtKind {
    Struct,
    Enum,
    Union,
}

impl AdtKind {
    pub fn name(self) -> &'static str {
        match self {
            AdtKind::Struct => "struct",
            AdtKind::Enum => "enum",
            AdtKind::Union => "union",
        }
    }
}

/// A `#[repr(..)]`, read from `repr` and `cfg_attr(.., repr(..))` attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repr {
    pub c: bool,
    pub transparent: bool,
    /// `u8`, `i32`, ... on an enum.
    pub primitive: Option<String>,
    pub packed: bool,
    pub align: bool,
}

/// A struct, enum or union of the crate.
#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub kind: AdtKind,
    pub module: ModuleId,
    pub loc: ItemLoc,
    pub repr: Repr,
    /// Defined inside a macro body (other than `cfg_if!`) or under an
    /// attribute macro: the macro may add a `repr` or rewrite the type, so
    /// its layout is unknown here.
    pub opaque_origin: bool,
}

/// A `type X = ..;` of the crate; the aliased type is kept to resolve through it.
#[derive(Debug, Clone)]
pub struct AliasDef {
    pub name: String,
    pub module: ModuleId,
    pub loc: ItemLoc,
    pub ty: syn::Type,
}

/// What kind of fn an indexed fn is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnKind {
    /// A free fn item with a body.
    Free,
    /// A fn in an `impl` block.
    Method,
    /// Declared in the extern block `ForeignBlock` number `block`.
    Foreign { block: usize },
}

/// A fn of the crate: free, in an impl, or declared in an extern block.
#[derive(Debug, Clone)]
pub struct FnDef {
    pub name: String,
    pub module: ModuleId,
    pub loc: FnLoc,
    pub kind: FnKind,
    /// The ABI string: `None` for the Rust ABI, `Some("C")` for a bare
    /// `extern`. Foreign fns carry their block's ABI.
    pub abi: Option<String>,
    /// `#[no_mangle]` or `#[export_name]`, also inside `unsafe(..)` or `cfg_attr`.
    pub exported: bool,
    /// `#[ffi_guard]` on the fn, or (for a foreign fn) on its block.
    pub guarded: bool,
    /// Under an attribute macro other than `#[ffi_guard]` (on the fn or its
    /// block, e.g. `#[wasm_bindgen]`): what C sees is what the macro
    /// generates, not the signature written here.
    pub rewritten: bool,
}

impl FnDef {
    /// A fn defined in Rust that C can call: any C-compatible ABI, or an
    /// exported symbol (`extern "C"` fns in `impl` blocks count too).
    pub fn is_rust_defined_c_fn(&self) -> bool {
        !matches!(self.kind, FnKind::Foreign { .. }) && is_c_abi(self.abi.as_deref())
    }

    pub fn is_foreign(&self) -> bool {
        matches!(self.kind, FnKind::Foreign { .. })
    }
}

/// An `extern "ABI" { .. }` block.
#[derive(Debug, Clone)]
pub struct ForeignBlock {
    pub module: ModuleId,
    pub loc: ItemLoc,
    pub abi: String,
    pub guarded: bool,
    pub rewritten: bool,
}

/// Whether an ABI string is one C can call or be called through (`None` is
/// the Rust ABI).
pub fn is_c_abi(abi: Option<&str>) -> bool {
    match abi {
        None => false,
        Some(a) => !matches!(
            a,
            "Rust" | "rust-call" | "rust-intrinsic" | "platform-intrinsic"
        ),
    }
}

/// The ABI an `extern` spells out: a bare `extern` is `"C"`.
pub fn abi_name(abi: &Option<syn::Abi>) -> Option<String> {
    abi.as_ref().map(|a| match &a.name {
        Some(name) => name.value(),
        None => "C".to_owned(),
    })
}

/// Whether `attrs` hold the attribute `name` (last path segment), directly,
/// inside `unsafe(..)` or inside `cfg_attr(pred, ..)`.
pub fn has_attr(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|a| meta_has(&a.meta, name))
}

fn meta_has(meta: &Meta, name: &str) -> bool {
    let path = meta.path();
    if path.segments.last().is_some_and(|s| s.ident == name) {
        return true;
    }
    let Meta::List(list) = meta else {
        return false;
    };
    let inner = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated);
    let Ok(inner) = inner else {
        return false;
    };
    if path.is_ident("unsafe") {
        inner.iter().any(|m| meta_has(m, name))
    } else if path.is_ident("cfg_attr") {
        inner.iter().skip(1).any(|m| meta_has(m, name))
    } else {
        false
    }
}

/// Read `#[repr(..)]`, also through `cfg_attr`.
pub fn read_repr(attrs: &[Attribute]) -> Repr {
    let mut repr = Repr::default();
    for a in attrs {
        collect_repr(&a.meta, &mut repr);
    }
    repr
}

fn collect_repr(meta: &Meta, repr: &mut Repr) {
    let Meta::List(list) = meta else { return };
    let Ok(inner) = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) else {
        return;
    };
    if list.path.is_ident("cfg_attr") {
        for m in inner.iter().skip(1) {
            collect_repr(m, repr);
        }
        return;
    }
    if !list.path.is_ident("repr") {
        return;
    }
    for m in &inner {
        let Some(id) = m.path().get_ident() else {
            continue;
        };
        match id.to_string().as_str() {
            "C" => repr.c = true,
            "transparent" => repr.transparent = true,
            "packed" => repr.packed = true,
            "align" => repr.align = true,
            p @ ("u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64"
            | "i128" | "isize") => repr.primitive = Some(p.to_owned()),
            _ => {}
        }
    }
}

/// Namespaces a path can be looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
enum Ns {
    #[default]
    Type,
    Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Type(TypeBinding),
    Value(FnId),
}

/// How deep resolution follows imports before giving up (glob cycles).
const MAX_DEPTH: usize = 24;

impl Index {
    /// Index every file. `targets` are `(name, kind)` pairs; each file's
    /// `target` and `module` say where it sits. Fills in `module_id`.
    pub fn build(files: &mut [SourceFile], targets: &[(String, String)]) -> Index {
        let mut ix = Index::default();
        for (t, (name, kind)) in targets.iter().enumerate() {
            let root = ix.module(t, &["crate".to_owned()], usize::MAX);
            ix.targets.push(Target {
                name: name.clone(),
                kind: kind.clone(),
                root,
            });
        }
        for (fi, file) in files.iter_mut().enumerate() {
            let m = ix.module(file.target, &file.module, fi);
            ix.modules[m].file = fi;
            file.module_id = m;
        }
        for (fi, file) in files.iter().enumerate() {
            let items: Vec<(usize, &syn::Item)> = file.ast.items.iter().enumerate().collect();
            let path = file.module.clone();
            let macro_types: HashSet<(usize, usize)> = file.macro_types.iter().copied().collect();
            ix.walk_items(
                fi,
                file.target,
                file.module_id,
                &path,
                &items,
                &mut Vec::new(),
                &macro_types,
                false,
            );
        }
        let mut names = HashSet::new();
        for m in &ix.modules {
            names.extend(m.types.keys().cloned());
            names.extend(m.values.keys().cloned());
            names.extend(m.imports.iter().filter_map(|i| i.name.clone()));
        }
        ix.names = names;
        ix
    }

    /// The module with that path in that target, created on first sight.
    fn module(&mut self, target: usize, path: &[String], file: usize) -> ModuleId {
        if let Some(&id) = self.module_ids.get(&(target, path.to_vec())) {
            return id;
        }
        let parent = if path.len() > 1 {
            Some(self.module(target, &path[..path.len() - 1], usize::MAX))
        } else {
            None
        };
        let id = self.modules.len();
        let root = parent.map_or(id, |p| self.modules[p].root);
        self.modules.push(Module {
            path: path.to_vec(),
            target,
            file,
            parent,
            root,
            types: HashMap::new(),
            values: HashMap::new(),
            imports: Vec::new(),
        });
        self.module_ids.insert((target, path.to_vec()), id);
        if let Some(p) = parent {
            let name = path[path.len() - 1].clone();
            self.modules[p]
                .types
                .entry(name)
                .or_insert(TypeBinding::Module(id));
        }
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_items(
        &mut self,
        file: usize,
        target: usize,
        module: ModuleId,
        mpath: &[String],
        items: &[(usize, &syn::Item)],
        loc: &mut Vec<u32>,
        macro_types: &HashSet<(usize, usize)>,
        in_body: bool,
    ) {
        for &(i, item) in items {
            loc.push(i as u32);
            let here = ItemLoc {
                file,
                path: loc.clone(),
            };
            match item {
                syn::Item::Mod(m) => {
                    let mut child = mpath.to_vec();
                    child.push(m.ident.to_string());
                    let cid = self.module(target, &child, usize::MAX);
                    if let Some((_, inner)) = &m.content {
                        self.modules[cid].file = file;
                        let inner: Vec<(usize, &syn::Item)> = inner.iter().enumerate().collect();
                        self.walk_items(file, target, cid, &child, &inner, loc, macro_types, false);
                    }
                }
                syn::Item::Struct(s) => {
                    let m = in_macro(macro_types, &s.ident);
                    self.add_type(
                        module,
                        &s.ident,
                        AdtKind::Struct,
                        here,
                        &s.attrs,
                        m,
                        in_body,
                    )
                }
                syn::Item::Enum(e) => {
                    let m = in_macro(macro_types, &e.ident);
                    self.add_type(module, &e.ident, AdtKind::Enum, here, &e.attrs, m, in_body)
                }
                syn::Item::Union(u) => {
                    let m = in_macro(macro_types, &u.ident);
                    self.add_type(module, &u.ident, AdtKind::Union, here, &u.attrs, m, in_body)
                }
                syn::Item::Type(t) => {
                    let id = self.aliases.len();
                    self.aliases.push(AliasDef {
                        name: t.ident.to_string(),
                        module,
                        loc: here,
                        ty: (*t.ty).clone(),
                    });
                    let slot = self.modules[module].types.entry(t.ident.to_string());
                    bind(slot, TypeBinding::Alias(id), in_body);
                }
                syn::Item::Fn(f) => {
                    let id = self.add_fn(FnDef {
                        name: f.sig.ident.to_string(),
                        module,
                        loc: FnLoc::Item(here),
                        kind: FnKind::Free,
                        abi: abi_name(&f.sig.abi),
                        exported: is_exported(&f.attrs),
                        guarded: has_attr(&f.attrs, "ffi_guard"),
                        rewritten: has_attr_macro(&f.attrs),
                    });
                    let slot = self.modules[module].values.entry(f.sig.ident.to_string());
                    bind(slot, id, in_body);
                    // Best effort: items declared inside the fn's body (an
                    // extern block, a struct) count as items of its module.
                    let inner: Vec<(usize, &syn::Item)> = f
                        .block
                        .stmts
                        .iter()
                        .enumerate()
                        .filter_map(|(j, st)| match st {
                            syn::Stmt::Item(it) => Some((j, it)),
                            _ => None,
                        })
                        .collect();
                    if !inner.is_empty() {
                        self.walk_items(
                            file,
                            target,
                            module,
                            mpath,
                            &inner,
                            loc,
                            macro_types,
                            true,
                        );
                    }
                }
                syn::Item::Impl(imp) => {
                    for (j, ii) in imp.items.iter().enumerate() {
                        if let syn::ImplItem::Fn(m) = ii {
                            self.add_fn(FnDef {
                                name: m.sig.ident.to_string(),
                                module,
                                loc: FnLoc::Impl(here.clone(), j as u32),
                                kind: FnKind::Method,
                                abi: abi_name(&m.sig.abi),
                                exported: is_exported(&m.attrs),
                                guarded: has_attr(&m.attrs, "ffi_guard"),
                                rewritten: has_attr_macro(&m.attrs) || has_attr_macro(&imp.attrs),
                            });
                        }
                    }
                }
                syn::Item::ForeignMod(fm) => {
                    let block = self.foreign_blocks.len();
                    let abi = fm
                        .abi
                        .name
                        .as_ref()
                        .map_or_else(|| "C".to_owned(), |n| n.value());
                    let guarded = has_attr(&fm.attrs, "ffi_guard");
                    let rewritten = has_attr_macro(&fm.attrs);
                    self.foreign_blocks.push(ForeignBlock {
                        module,
                        loc: here.clone(),
                        abi: abi.clone(),
                        guarded,
                        rewritten,
                    });
                    for (j, fi) in fm.items.iter().enumerate() {
                        if let syn::ForeignItem::Fn(f) = fi {
                            let id = self.add_fn(FnDef {
                                name: f.sig.ident.to_string(),
                                module,
                                loc: FnLoc::Foreign(here.clone(), j as u32),
                                kind: FnKind::Foreign { block },
                                abi: Some(abi.clone()),
                                exported: false,
                                guarded: guarded || has_attr(&f.attrs, "ffi_guard"),
                                rewritten: rewritten || has_attr_macro(&f.attrs),
                            });
                            let slot = self.modules[module].values.entry(f.sig.ident.to_string());
                            bind(slot, id, in_body);
                        }
                    }
                }
                syn::Item::Use(u) => {
                    let mut out = Vec::new();
                    flatten_use(&u.tree, &mut Vec::new(), &mut out);
                    self.modules[module].imports.extend(out);
                }
                _ => {}
            }
            loc.pop();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_type(
        &mut self,
        module: ModuleId,
        ident: &syn::Ident,
        kind: AdtKind,
        loc: ItemLoc,
        attrs: &[Attribute],
        from_macro: bool,
        in_body: bool,
    ) {
        let id = self.types.len();
        self.types.push(TypeDef {
            name: ident.to_string(),
            kind,
            module,
            loc,
            repr: read_repr(attrs),
            opaque_origin: from_macro || has_attr_macro(attrs),
        });
        let slot = self.modules[module].types.entry(ident.to_string());
        bind(slot, TypeBinding::Adt(id), in_body);
    }

    fn add_fn(&mut self, def: FnDef) -> FnId {
        let id = self.fns.len();
        self.fns_by_name
            .entry(def.name.clone())
            .or_default()
            .push(id);
        self.fns.push(def);
        id
    }

    /// Every indexed fn of that name (free, method or foreign).
    pub fn fns_named(&self, name: &str) -> impl Iterator<Item = (FnId, &FnDef)> {
        self.fns_by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(move |&id| (id, &self.fns[id]))
    }

    /// Foreign fns (declared in extern blocks).
    pub fn foreign_fns(&self) -> impl Iterator<Item = (FnId, &FnDef)> {
        self.fns.iter().enumerate().filter(|(_, f)| f.is_foreign())
    }

    /// Fns defined in Rust with a C-compatible ABI (exports and callbacks).
    pub fn exports(&self) -> impl Iterator<Item = (FnId, &FnDef)> {
        self.fns
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_rust_defined_c_fn())
    }

    /// The struct, enum or union a type means in `module`, through aliases
    /// (`None` for a type from outside the crate, a primitive, or anything
    /// that is not a plain path).
    pub fn resolve_adt(&self, module: ModuleId, ty: &syn::Type) -> Option<TypeId> {
        self.resolve_adt_depth(module, ty, 0)
    }

    fn resolve_adt_depth(&self, module: ModuleId, ty: &syn::Type, depth: usize) -> Option<TypeId> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.resolve_type_path(module, ty)? {
            TypeBinding::Adt(id) => Some(id),
            TypeBinding::Alias(a) => {
                let alias = &self.aliases[a];
                self.resolve_adt_depth(alias.module, &alias.ty, depth + 1)
            }
            TypeBinding::Module(_) => None,
        }
    }

    /// Follow type aliases of the crate: the aliased type and the module it
    /// is written in, or `None` when `ty` is not a crate alias.
    pub fn resolve_alias(
        &self,
        module: ModuleId,
        ty: &syn::Type,
    ) -> Option<(ModuleId, &syn::Type)> {
        let mut cur: Option<(ModuleId, &syn::Type)> = None;
        let (mut m, mut t) = (module, ty);
        for _ in 0..MAX_DEPTH {
            match self.resolve_type_path(m, t) {
                Some(TypeBinding::Alias(a)) => {
                    let alias = &self.aliases[a];
                    cur = Some((alias.module, &alias.ty));
                    (m, t) = (alias.module, &alias.ty);
                }
                _ => break,
            }
        }
        cur
    }

    /// What a type path means in `module`, one step (aliases not followed).
    pub fn resolve_type_path(&self, module: ModuleId, ty: &syn::Type) -> Option<TypeBinding> {
        let path = match ty {
            syn::Type::Path(p) if p.qself.is_none() => &p.path,
            syn::Type::Paren(p) => return self.resolve_type_path(module, &p.elem),
            syn::Type::Group(g) => return self.resolve_type_path(module, &g.elem),
            _ => return None,
        };
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        match self.resolve_cached(module, &segs, Ns::Type)? {
            Found::Type(b) => Some(b),
            Found::Value(_) => None,
        }
    }

    /// The crate fn a value path (a call's callee) means in `module`.
    pub fn resolve_fn(&self, module: ModuleId, path: &syn::Path) -> Option<FnId> {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        match self.resolve_cached(module, &segs, Ns::Value)? {
            Found::Value(f) => Some(f),
            Found::Type(_) => None,
        }
    }

    fn resolve_cached(&self, module: ModuleId, segs: &[String], ns: Ns) -> Option<Found> {
        let key = (module, segs.join("::"), ns);
        if let Ok(cache) = self.cache.lock()
            && let Some(hit) = cache.get(&key)
        {
            return *hit;
        }
        let found = self.resolve_path(module, segs, ns, 0, &mut Visited::default());
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, found);
        }
        found
    }

    fn resolve_path(
        &self,
        from: ModuleId,
        segs: &[String],
        ns: Ns,
        depth: usize,
        visited: &mut Visited,
    ) -> Option<Found> {
        if depth > MAX_DEPTH || segs.is_empty() || from >= self.modules.len() {
            return None;
        }
        let mut cur = from;
        let mut rest = segs;
        // Leading `crate`, `self`, `super` (any number of them) pick the module.
        let mut anchored = false;
        while let Some((first, tail)) = rest.split_first() {
            match first.as_str() {
                "crate" if !anchored => cur = self.modules[cur].root,
                "self" => {}
                "super" => cur = self.modules[cur].parent?,
                _ => break,
            }
            anchored = true;
            rest = tail;
            if rest.is_empty() {
                return Some(Found::Type(TypeBinding::Module(cur)));
            }
        }
        if rest.first().is_some_and(|s| s == "Self") {
            return None;
        }
        for (i, seg) in rest.iter().enumerate() {
            let last = i + 1 == rest.len();
            let want = if last { ns } else { Ns::Type };
            let found = self.lookup(cur, seg, want, depth + 1, visited)?;
            if last {
                return Some(found);
            }
            match found {
                Found::Type(TypeBinding::Module(m)) => cur = m,
                // `Enum::Variant`, `Type::assoc`: not a module; stop here.
                _ => return None,
            }
        }
        None
    }

    /// A name in `module`: its own items, then named imports, then globs.
    fn lookup(
        &self,
        module: ModuleId,
        name: &str,
        ns: Ns,
        depth: usize,
        visited: &mut Visited,
    ) -> Option<Found> {
        // Names nothing in the crate binds (`u8`, `Option`, std types) miss at once.
        if !self.names.contains(name) {
            return None;
        }
        let key = (module, name.to_owned(), ns);
        if let Ok(cache) = self.lookups.lock()
            && let Some(hit) = cache.get(&key)
        {
            return *hit;
        }
        if depth > MAX_DEPTH || !visited.seen.insert(key.clone()) {
            visited.cut = true;
            return None;
        }
        let outer_cut = std::mem::take(&mut visited.cut);
        let found = self.lookup_uncached(module, name, ns, depth, visited);
        // A name found is found, cycle or not; a miss is only final when no
        // cycle cut the search short.
        if (found.is_some() || !visited.cut)
            && let Ok(mut cache) = self.lookups.lock()
        {
            cache.insert(key, found);
        }
        visited.cut |= outer_cut;
        found
    }

    fn lookup_uncached(
        &self,
        module: ModuleId,
        name: &str,
        ns: Ns,
        depth: usize,
        visited: &mut Visited,
    ) -> Option<Found> {
        let m = &self.modules[module];
        match ns {
            Ns::Type => {
                if let Some(&b) = m.types.get(name) {
                    return Some(Found::Type(b));
                }
            }
            Ns::Value => {
                if let Some(&f) = m.values.get(name) {
                    return Some(Found::Value(f));
                }
            }
        }
        for imp in &m.imports {
            if imp.name.as_deref() == Some(name) {
                // `use a::b::{self}` binds the module `b`.
                let path = match imp.path.last().map(String::as_str) {
                    Some("self") => &imp.path[..imp.path.len() - 1],
                    _ => &imp.path[..],
                };
                if let Some(f) = self.resolve_path(module, path, ns, depth + 1, visited) {
                    return Some(f);
                }
            }
        }
        for imp in m.imports.iter().filter(|i| i.name.is_none()) {
            // `use Enum::*` brings variants, which are not types: only
            // globs of modules are followed.
            if let Some(Found::Type(TypeBinding::Module(target))) =
                self.resolve_path(module, &imp.path, Ns::Type, depth + 1, visited)
            {
                if target == module {
                    continue;
                }
                if let Some(f) = self.lookup(target, name, ns, depth + 1, visited) {
                    return Some(f);
                }
            }
        }
        None
    }
}

/// Bind a name: a module-level item replaces what is there, an item inside
/// a fn body never shadows a module-level one.
fn bind<V>(slot: std::collections::hash_map::Entry<'_, String, V>, v: V, in_body: bool) {
    match slot {
        std::collections::hash_map::Entry::Occupied(mut o) => {
            if !in_body {
                o.insert(v);
            }
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(v);
        }
    }
}

fn in_macro(set: &HashSet<(usize, usize)>, ident: &syn::Ident) -> bool {
    if set.is_empty() {
        return false;
    }
    let p = ident.span().start();
    set.contains(&(p.line, p.column))
}

/// Attributes the compiler (or a tool) reads itself; anything else on an
/// item is an attribute macro, which may rewrite the item.
const BUILTIN_ATTRS: &[&str] = &[
    "cfg",
    "cfg_attr",
    "link",
    "link_name",
    "link_ordinal",
    "link_section",
    "no_mangle",
    "export_name",
    "unsafe",
    "doc",
    "allow",
    "warn",
    "deny",
    "forbid",
    "expect",
    "inline",
    "cold",
    "must_use",
    "deprecated",
    "track_caller",
    "target_feature",
    "repr",
    "derive",
    "used",
    "naked",
    "linkage",
    "ffi_guard",
    "test",
    "ignore",
    "should_panic",
    "coverage",
    "optimize",
    "automatically_derived",
    "non_exhaustive",
    "no_coverage",
    "instruction_set",
    "rustc_std_internal_symbol",
    "unstable",
    "stable",
    "rustfmt",
    "clippy",
    "diagnostic",
    "macro_export",
    "macro_use",
    "path",
    "debugger_visualizer",
    "collapse_debuginfo",
    "patchable_function_entry",
    "sanitize",
    "no_sanitize",
    "rustdoc",
    "doc_cfg",
];

/// Whether an attribute macro (not a built-in attribute, not `#[ffi_guard]`)
/// sits on the item.
pub fn has_attr_macro(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        let first = path.segments.first().map(|s| s.ident.to_string());
        let last = path.segments.last().map(|s| s.ident.to_string());
        match (first.as_deref(), last.as_deref()) {
            (Some("rustfmt" | "clippy" | "diagnostic" | "rustdoc"), _) => false,
            (_, Some(name)) => !BUILTIN_ATTRS.contains(&name),
            _ => false,
        }
    })
}

fn is_exported(attrs: &[Attribute]) -> bool {
    has_attr(attrs, "no_mangle") || has_attr(attrs, "export_name")
}

fn flatten_use(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Import>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            let mut path = prefix.clone();
            path.push(name.clone());
            let bound = if name == "self" {
                prefix.last().cloned()
            } else {
                Some(name)
            };
            if bound.is_some() {
                out.push(Import { name: bound, path });
            }
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            let name = r.rename.to_string();
            if name != "_" {
                out.push(Import {
                    name: Some(name),
                    path,
                });
            }
        }
        syn::UseTree::Glob(_) => out.push(Import {
            name: None,
            path: prefix.clone(),
        }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, out);
            }
        }
    }
}
