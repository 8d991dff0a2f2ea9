//! The Rust side: the crate's C-layout types, extern fns and constants,
//! with their `cfg`s, laid out for one target by the rules of `repr(C)`,
//! `repr(transparent)`, `repr(packed)`, `repr(align)` and primitive enum
//! reprs. Names resolve through the crate's index (`use`, aliases, paths);
//! where two items share a name under different `cfg`s, the one active on
//! the target is taken.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::diag::Span;
use crate::index::{ModuleId, TypeBinding};
use crate::model::Crate;

use super::target::Target;

/// An item with the `cfg` attributes of every enclosing item.
#[derive(Debug)]
pub struct Scoped<'a, T> {
    pub module: ModuleId,
    pub file: usize,
    pub cfgs: Vec<&'a syn::Attribute>,
    /// The conditions of the `cfg_if!` branches around the item (a
    /// predicate, and whether it must be false).
    pub branch: Branch,
    pub item: &'a T,
    /// The name a `// ffi-guard: c-name(..)` comment gives, if any.
    pub c_name: Option<String>,
}

/// `cfg_if!` conditions: each predicate and whether it must be false.
pub type Branch = Rc<[(syn::Meta, bool)]>;

/// Where the walk is: what every item there shares.
struct Here<'a> {
    module: ModuleId,
    file: usize,
    cfgs: Vec<&'a syn::Attribute>,
    branch: Branch,
}

impl<'a> Here<'a> {
    fn of<T>(&self, item: &'a T, c_name: Option<String>) -> Scoped<'a, T> {
        Scoped {
            module: self.module,
            file: self.file,
            cfgs: self.cfgs.clone(),
            branch: self.branch.clone(),
            item,
            c_name,
        }
    }
}

/// A `cfg_if!` branch body: where it is (line, column) and its conditions.
#[derive(Debug)]
struct Region {
    start: (usize, usize),
    end: (usize, usize),
    conds: Vec<(syn::Meta, bool)>,
}

/// A foreign fn, or an exported `extern "C"` fn.
#[derive(Debug)]
pub struct RFn<'a> {
    pub at: Scoped<'a, syn::Signature>,
    /// The symbol (`#[link_name]`, `#[export_name]` or the ident).
    pub symbol: String,
}

/// Everything the comparison reads from the crate.
#[derive(Debug, Default)]
pub struct RustSide<'a> {
    pub adts: Vec<Scoped<'a, syn::Item>>,
    pub fns: Vec<RFn<'a>>,
    pub consts: Vec<Scoped<'a, syn::ItemConst>>,
    aliases: HashMap<(ModuleId, String), Vec<Scoped<'a, syn::ItemType>>>,
    adt_by_name: HashMap<(ModuleId, String), Vec<usize>>,
    const_by_name: HashMap<String, Vec<usize>>,
    /// ADTs defined in a macro body other than `cfg_if!`: the macro may
    /// turn them into something else (`git_enum!` makes an integer alias),
    /// so they are unknown to the checker.
    pub macro_made: std::collections::HashSet<usize>,
    /// `macro_rules!` of the crate, by name (for macros in type position).
    macros: HashMap<String, Vec<Scoped<'a, syn::ItemMacro>>>,
}

/// A Rust type as laid out on one target.
#[derive(Debug, Clone, PartialEq)]
pub enum RTy {
    Void,
    Bool,
    Int {
        size: u64,
        signed: bool,
    },
    Float(u64),
    Ptr {
        pointee: Box<RTy>,
        mutable: bool,
    },
    /// An `extern "C"` fn pointer (also inside `Option`).
    Fn(Box<RSig>),
    Array(Box<RTy>, u64),
    /// One of [`RustSide::adts`].
    Adt(usize),
    /// A zero-sized marker (`PhantomData`, `()` as a field).
    Zst,
    /// Anything the checker does not know: never a finding.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RSig {
    pub params: Vec<RTy>,
    pub ret: RTy,
    pub variadic: bool,
}

/// A field as laid out.
#[derive(Debug, Clone)]
pub struct RField {
    pub name: String,
    pub offset: u64,
    pub ty: RTy,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub size: u64,
    pub align: u64,
    pub fields: Vec<RField>,
    /// All fields are zero-sized: an opaque type, only seen behind pointers.
    pub opaque: bool,
}

const MAX_DEPTH: usize = 32;

impl<'a> RustSide<'a> {
    pub fn collect(krate: &'a Crate) -> RustSide<'a> {
        let mut side = RustSide::default();
        for (fi, file) in krate.files.iter().enumerate() {
            let mut cfgs = file_cfgs(krate, fi);
            side.walk(krate, fi, file.module_id, &file.ast.items, &mut cfgs, &[]);
        }
        side
    }

    fn walk(
        &mut self,
        krate: &'a Crate,
        file: usize,
        module: ModuleId,
        items: &'a [syn::Item],
        cfgs: &mut Vec<&'a syn::Attribute>,
        outer: &[(syn::Meta, bool)],
    ) {
        let text = &krate.files[file].text;
        let mut regions = Vec::new();
        for item in items {
            if let syn::Item::Macro(m) = item
                && m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "cfg_if")
            {
                cfg_if_regions(m.mac.tokens.clone(), &[], &mut regions, 0);
            }
        }
        for item in items {
            let depth = cfgs.len();
            let start = syn::spanned::Spanned::span(item).start();
            let pos = (start.line, start.column);
            let mut conds: Vec<(syn::Meta, bool)> = outer.to_vec();
            if let Some(r) = regions
                .iter()
                .filter(|r| r.start <= pos && pos <= r.end)
                .min_by_key(|r| (r.end.0 - r.start.0, r.end.1.abs_diff(r.start.1)))
            {
                conds.extend(r.conds.iter().cloned());
            }
            let branch: Branch = conds.clone().into();
            let (attrs, line) = attrs_and_line(item);
            cfgs.extend(attrs.iter().filter(|a| a.path().is_ident("cfg")));
            let here = Here {
                module,
                file,
                cfgs: cfgs.clone(),
                branch,
            };
            let c_name = line.and_then(|l| c_name_comment(text, l));
            match item {
                syn::Item::Struct(syn::ItemStruct { ident, .. })
                | syn::Item::Union(syn::ItemUnion { ident, .. })
                | syn::Item::Enum(syn::ItemEnum { ident, .. }) => {
                    let at = ident.span().start();
                    if krate.files[file]
                        .macro_types
                        .contains(&(at.line, at.column))
                    {
                        self.macro_made.insert(self.adts.len());
                    }
                    self.adt_by_name
                        .entry((module, ident.to_string()))
                        .or_default()
                        .push(self.adts.len());
                    self.adts.push(here.of(item, c_name));
                }
                syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                    if let Some(name) = &m.ident {
                        self.macros
                            .entry(name.to_string())
                            .or_default()
                            .push(here.of(m, None));
                    }
                }
                syn::Item::Type(t) => {
                    self.aliases
                        .entry((module, t.ident.to_string()))
                        .or_default()
                        .push(here.of(t, None));
                }
                syn::Item::Const(c) => {
                    self.const_by_name
                        .entry(c.ident.to_string())
                        .or_default()
                        .push(self.consts.len());
                    self.consts.push(here.of(c, c_name));
                }
                syn::Item::ForeignMod(fm) => {
                    for fi in &fm.items {
                        let syn::ForeignItem::Fn(f) = fi else {
                            continue;
                        };
                        let symbol = symbol(&f.attrs, "link_name")
                            .unwrap_or_else(|| f.sig.ident.to_string());
                        let line = f.sig.fn_token.span.start().line;
                        let mut at = here.of(&f.sig, c_name_comment(text, line));
                        at.cfgs
                            .extend(f.attrs.iter().filter(|a| a.path().is_ident("cfg")));
                        self.fns.push(RFn { at, symbol });
                    }
                }
                syn::Item::Fn(f)
                    if crate::index::is_c_abi(crate::index::abi_name(&f.sig.abi).as_deref())
                        && f.sig.abi.is_some()
                        && (crate::index::has_attr(&f.attrs, "no_mangle")
                            || symbol(&f.attrs, "export_name").is_some()) =>
                {
                    let symbol =
                        symbol(&f.attrs, "export_name").unwrap_or_else(|| f.sig.ident.to_string());
                    self.fns.push(RFn {
                        at: here.of(&f.sig, c_name),
                        symbol,
                    });
                }
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        let mut path = krate.index.modules[module].path.clone();
                        path.push(m.ident.to_string());
                        let target = krate.index.modules[module].target;
                        if let Some(id) = krate
                            .index
                            .modules
                            .iter()
                            .position(|md| md.target == target && md.path == path)
                        {
                            self.walk(krate, file, id, inner, cfgs, &conds);
                        }
                    }
                }
                _ => {}
            }
            cfgs.truncate(depth);
        }
    }

    /// The active ADT `(module, name)` stands for on `t`.
    fn adt_in(&self, module: ModuleId, name: &str, t: &Target, cfgs: &[String]) -> Option<usize> {
        self.adt_by_name
            .get(&(module, name.to_owned()))?
            .iter()
            .copied()
            .find(|&i| live(&self.adts[i], t, cfgs))
    }

    /// Whether an item is compiled on `t`.
    pub fn active<T>(&self, s: &Scoped<'_, T>, t: &Target, cfgs: &[String]) -> bool {
        live(s, t, cfgs)
    }

    /// The value of a const named `name` active on `t` (same module first).
    pub fn const_value(
        &self,
        krate: &Crate,
        module: ModuleId,
        name: &str,
        t: &Target,
        cfgs: &[String],
        depth: usize,
    ) -> Option<i128> {
        let ids = self.const_by_name.get(name)?;
        let active: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&i| live(&self.consts[i], t, cfgs))
            .collect();
        let pick = active
            .iter()
            .copied()
            .find(|&i| self.consts[i].module == module)
            .or_else(|| (active.len() == 1).then(|| active[0]))?;
        let c = &self.consts[pick];
        self.eval(krate, c.module, &c.item.expr, t, cfgs, depth + 1)
    }

    /// An integer constant expression: literals, `-`, `!`, `+ - * / % << >>
    /// & | ^`, casts, parentheses, blocks of one expression, other consts.
    pub fn eval(
        &self,
        krate: &Crate,
        module: ModuleId,
        e: &syn::Expr,
        t: &Target,
        cfgs: &[String],
        depth: usize,
    ) -> Option<i128> {
        if depth > MAX_DEPTH {
            return None;
        }
        let ev = |e: &syn::Expr| self.eval(krate, module, e, t, cfgs, depth + 1);
        match e {
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Int(i) => i.base10_parse::<i128>().ok(),
                syn::Lit::Bool(b) => Some(i128::from(b.value)),
                syn::Lit::Byte(b) => Some(i128::from(b.value())),
                _ => None,
            },
            syn::Expr::Paren(p) => ev(&p.expr),
            syn::Expr::Group(g) => ev(&g.expr),
            syn::Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
                syn::Stmt::Expr(e, None) => ev(e),
                _ => None,
            },
            syn::Expr::Unary(u) => {
                let v = ev(&u.expr)?;
                match u.op {
                    syn::UnOp::Neg(_) => v.checked_neg(),
                    syn::UnOp::Not(_) => Some(!v),
                    _ => None,
                }
            }
            syn::Expr::Binary(b) => {
                let (l, r) = (ev(&b.left)?, ev(&b.right)?);
                use syn::BinOp::*;
                match b.op {
                    Add(_) => l.checked_add(r),
                    Sub(_) => l.checked_sub(r),
                    Mul(_) => l.checked_mul(r),
                    Div(_) => l.checked_div(r),
                    Rem(_) => l.checked_rem(r),
                    Shl(_) => u32::try_from(r).ok().and_then(|r| l.checked_shl(r)),
                    Shr(_) => u32::try_from(r).ok().and_then(|r| l.checked_shr(r)),
                    BitAnd(_) => Some(l & r),
                    BitOr(_) => Some(l | r),
                    BitXor(_) => Some(l ^ r),
                    _ => None,
                }
            }
            syn::Expr::Cast(c) => {
                let v = ev(&c.expr)?;
                match self.lower(krate, module, &c.ty, t, cfgs, depth + 1) {
                    RTy::Int { size, signed } => Some(wrap(v, size, signed)),
                    _ => None,
                }
            }
            syn::Expr::Path(p) if p.qself.is_none() => {
                let name = p.path.segments.last()?.ident.to_string();
                self.const_value(krate, module, &name, t, cfgs, depth + 1)
            }
            _ => None,
        }
    }

    /// Lower a type written in `module` for target `t`.
    pub fn lower(
        &self,
        krate: &Crate,
        module: ModuleId,
        ty: &syn::Type,
        t: &Target,
        cfgs: &[String],
        depth: usize,
    ) -> RTy {
        if depth > MAX_DEPTH {
            return RTy::Unknown;
        }
        let lower = |ty: &syn::Type| self.lower(krate, module, ty, t, cfgs, depth + 1);
        match ty {
            syn::Type::Paren(p) => lower(&p.elem),
            syn::Type::Group(g) => lower(&g.elem),
            syn::Type::Tuple(tu) if tu.elems.is_empty() => RTy::Zst,
            syn::Type::Never(_) => RTy::Void,
            syn::Type::Ptr(p) => RTy::Ptr {
                pointee: Box::new(pointee(lower(&p.elem))),
                mutable: p.mutability.is_some(),
            },
            syn::Type::Reference(r) => RTy::Ptr {
                pointee: Box::new(pointee(lower(&r.elem))),
                mutable: r.mutability.is_some(),
            },
            syn::Type::Array(a) => {
                let elem = lower(&a.elem);
                match self.eval(krate, module, &a.len, t, cfgs, depth + 1) {
                    Some(n) if n >= 0 => RTy::Array(Box::new(elem), n as u64),
                    _ => RTy::Unknown,
                }
            }
            syn::Type::BareFn(f) => {
                if !crate::index::is_c_abi(
                    f.abi
                        .as_ref()
                        .and_then(|a| a.name.as_ref())
                        .map(|n| n.value())
                        .as_deref(),
                ) || f.abi.is_none()
                {
                    return RTy::Unknown;
                }
                RTy::Fn(Box::new(RSig {
                    params: f.inputs.iter().map(|a| lower(&a.ty)).collect(),
                    ret: match &f.output {
                        syn::ReturnType::Default => RTy::Void,
                        syn::ReturnType::Type(_, ty) => void_if_unit(lower(ty)),
                    },
                    variadic: f.variadic.is_some(),
                }))
            }
            syn::Type::Macro(m) => match self.expand(&m.mac, t, cfgs) {
                Some(ty) => self.lower(krate, module, &ty, t, cfgs, depth + 1),
                None => RTy::Unknown,
            },
            syn::Type::Path(p) if p.qself.is_none() => {
                self.lower_path(krate, module, ty, p, t, cfgs, depth)
            }
            _ => RTy::Unknown,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_path(
        &self,
        krate: &Crate,
        module: ModuleId,
        ty: &syn::Type,
        p: &syn::TypePath,
        t: &Target,
        cfgs: &[String],
        depth: usize,
    ) -> RTy {
        let ix = &krate.index;
        let Some(last) = p.path.segments.last() else {
            return RTy::Unknown;
        };
        let name = last.ident.to_string();
        match ix.resolve_type_path(module, ty) {
            Some(TypeBinding::Adt(id)) => {
                let def = &ix.types[id];
                return match self.adt_in(def.module, &def.name, t, cfgs) {
                    Some(i) if !self.macro_made.contains(&i) => RTy::Adt(i),
                    _ => RTy::Unknown,
                };
            }
            Some(TypeBinding::Alias(a)) => {
                let def = &ix.aliases[a];
                let Some(alias) = self
                    .aliases
                    .get(&(def.module, def.name.clone()))
                    .and_then(|v| v.iter().find(|s| live(s, t, cfgs)))
                else {
                    return RTy::Unknown;
                };
                return self.lower(krate, alias.module, &alias.item.ty, t, cfgs, depth + 1);
            }
            Some(TypeBinding::Module(_)) => return RTy::Unknown,
            None => {}
        }
        let arg = || match &last.arguments {
            syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                syn::GenericArgument::Type(ty) => Some(ty),
                _ => None,
            }),
            _ => None,
        };
        let int = |size: u64, signed: bool| RTy::Int { size, signed };
        match name.as_str() {
            "u8" => int(1, false),
            "i8" => int(1, true),
            "u16" => int(2, false),
            "i16" => int(2, true),
            "u32" => int(4, false),
            "i32" => int(4, true),
            "u64" => int(8, false),
            "i64" => int(8, true),
            "u128" => int(16, false),
            "i128" => int(16, true),
            "usize" | "size_t" | "uintptr_t" => int(t.ptr, false),
            "isize" | "ssize_t" | "intptr_t" | "ptrdiff_t" => int(t.ptr, true),
            "f32" | "c_float" => RTy::Float(4),
            "f64" | "c_double" => RTy::Float(8),
            "bool" => RTy::Bool,
            "char" => int(4, false),
            "c_char" => int(1, t.char_signed),
            "c_schar" | "int8_t" => int(1, true),
            "c_uchar" | "uint8_t" => int(1, false),
            "c_short" | "int16_t" => int(2, true),
            "c_ushort" | "uint16_t" => int(2, false),
            "c_int" | "int32_t" => int(4, true),
            "c_uint" | "uint32_t" => int(4, false),
            "c_long" => int(t.long, true),
            "c_ulong" => int(t.long, false),
            "c_longlong" | "int64_t" => int(8, true),
            "c_ulonglong" | "uint64_t" => int(8, false),
            "c_void" => RTy::Void,
            "PhantomData" | "PhantomPinned" => RTy::Zst,
            "NonNull" => RTy::Ptr {
                pointee: Box::new(arg().map_or(RTy::Unknown, |a| {
                    pointee(self.lower(krate, module, a, t, cfgs, depth + 1))
                })),
                mutable: true,
            },
            "Box" => RTy::Ptr {
                pointee: Box::new(arg().map_or(RTy::Unknown, |a| {
                    pointee(self.lower(krate, module, a, t, cfgs, depth + 1))
                })),
                mutable: true,
            },
            "MaybeUninit" | "ManuallyDrop" | "UnsafeCell" | "Cell" => arg()
                .map_or(RTy::Unknown, |a| {
                    self.lower(krate, module, a, t, cfgs, depth + 1)
                }),
            "Option" => match arg().map(|a| self.lower(krate, module, a, t, cfgs, depth + 1)) {
                Some(inner @ (RTy::Fn(_) | RTy::Ptr { .. }))
                    if !matches!(arg(), Some(syn::Type::Ptr(_))) =>
                {
                    inner
                }
                _ => RTy::Unknown,
            },
            _ => RTy::Unknown,
        }
    }

    /// A type written as a call of one of the crate's `macro_rules!` whose
    /// active definition has one rule of `$name:frag` parameters separated
    /// by commas and a body that is one of them (`if_zng!(usize, c_ulong)`).
    fn expand(&self, mac: &syn::Macro, t: &Target, cfgs: &[String]) -> Option<syn::Type> {
        use proc_macro2::TokenTree;
        let name = mac.path.segments.last()?.ident.to_string();
        let def = self
            .macros
            .get(&name)?
            .iter()
            .find(|m| t.active(&m.cfgs, cfgs))?;
        let rules: Vec<TokenTree> = def.item.mac.tokens.clone().into_iter().collect();
        // `(matcher) => { body }` and nothing else.
        let [
            TokenTree::Group(matcher),
            TokenTree::Punct(eq),
            TokenTree::Punct(gt),
            TokenTree::Group(body),
            rest @ ..,
        ] = rules.as_slice()
        else {
            return None;
        };
        if eq.as_char() != '='
            || gt.as_char() != '>'
            || rest
                .iter()
                .any(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
        {
            return None;
        }
        let split = |ts: proc_macro2::TokenStream| -> Vec<Vec<TokenTree>> {
            let mut out = vec![Vec::new()];
            for tt in ts {
                match &tt {
                    TokenTree::Punct(p) if p.as_char() == ',' => out.push(Vec::new()),
                    _ => out.last_mut().expect("never empty").push(tt),
                }
            }
            out
        };
        let params: Vec<String> = split(matcher.stream())
            .into_iter()
            .map(|p| match p.as_slice() {
                [TokenTree::Punct(d), TokenTree::Ident(i), ..] if d.as_char() == '$' => {
                    Some(i.to_string())
                }
                _ => None,
            })
            .collect::<Option<_>>()?;
        let args = split(mac.tokens.clone());
        if args.len() != params.len() {
            return None;
        }
        let body: Vec<TokenTree> = body.stream().into_iter().collect();
        let [TokenTree::Punct(d), TokenTree::Ident(var)] = body.as_slice() else {
            return None;
        };
        if d.as_char() != '$' {
            return None;
        }
        let at = params.iter().position(|p| p == &var.to_string())?;
        syn::parse2(args[at].iter().cloned().collect()).ok()
    }

    /// Size and alignment of a lowered type; `None` when unknown.
    pub fn size_align(
        &self,
        krate: &Crate,
        ty: &RTy,
        t: &Target,
        cfgs: &[String],
        memo: &Memo,
    ) -> Option<(u64, u64)> {
        match ty {
            RTy::Void | RTy::Unknown => None,
            RTy::Zst => Some((0, 1)),
            RTy::Bool => Some((1, 1)),
            RTy::Int { size, .. } | RTy::Float(size) => {
                let align = match size {
                    8 => t.align8,
                    16 => 16,
                    s => *s,
                };
                Some((*size, align))
            }
            RTy::Ptr { .. } | RTy::Fn(_) => Some((t.ptr, t.ptr)),
            RTy::Array(e, n) => {
                let (s, a) = self.size_align(krate, e, t, cfgs, memo)?;
                Some((s.checked_mul(*n)?, a))
            }
            RTy::Adt(i) => {
                let l = self.layout(krate, *i, t, cfgs, memo)?;
                Some((l.size, l.align))
            }
        }
    }

    /// The layout of ADT `i` on `t`, or `None` when it has no C layout or a
    /// field the checker cannot lay out.
    pub fn layout(
        &self,
        krate: &Crate,
        i: usize,
        t: &Target,
        cfgs: &[String],
        memo: &Memo,
    ) -> Option<Layout> {
        if let Some(hit) = memo.borrow().get(&i) {
            return hit.clone();
        }
        // A type that contains itself by value has no layout.
        memo.borrow_mut().insert(i, None);
        let out = (|| -> Option<Layout> {
            let adt = &self.adts[i];
            let file = &krate.files[adt.file].path;
            let repr = Repr::read(item_attrs(adt.item));
            let fields: Vec<&syn::Field> = match adt.item {
                syn::Item::Struct(s) => s.fields.iter().collect(),
                syn::Item::Union(u) => u.fields.named.iter().collect(),
                syn::Item::Enum(e) => {
                    if !e.variants.iter().all(|v| v.fields.is_empty()) {
                        return None;
                    }
                    let (size, signed) = repr.int.or(repr.c.then_some((4, true)))?;
                    let _ = signed;
                    let align = if size == 8 { t.align8 } else { size };
                    return Some(Layout {
                        size,
                        align,
                        fields: Vec::new(),
                        opaque: e.variants.is_empty(),
                    });
                }
                _ => return None,
            };
            if !(repr.c || repr.transparent) {
                return None;
            }
            let is_union = matches!(adt.item, syn::Item::Union(_));
            let mut out = Vec::new();
            let (mut size, mut align) = (0u64, 1u64);
            for (n, f) in fields.iter().enumerate() {
                let mut attrs: Vec<&syn::Attribute> = f.attrs.iter().collect();
                attrs.retain(|a| a.path().is_ident("cfg"));
                if !t.active(&attrs, cfgs) {
                    continue;
                }
                let ty = self.lower(krate, adt.module, &f.ty, t, cfgs, 0);
                let (fs, mut fa) = self.size_align(krate, &ty, t, cfgs, memo)?;
                if let Some(p) = repr.packed {
                    fa = fa.min(p);
                }
                let offset = if is_union { 0 } else { size.div_ceil(fa) * fa };
                size = if is_union { size.max(fs) } else { offset + fs };
                align = align.max(fa);
                let name = f
                    .ident
                    .as_ref()
                    .map_or_else(|| n.to_string(), |i| i.to_string());
                let span = Span::from_syn(
                    file,
                    f.ident
                        .as_ref()
                        .map_or_else(|| syn::spanned::Spanned::span(&f.ty), |i| i.span()),
                );
                out.push(RField {
                    name,
                    offset,
                    ty,
                    span,
                });
            }
            if let Some(a) = repr.align {
                align = align.max(a);
            }
            let opaque = !out.is_empty() && size == 0
                || out.is_empty() && matches!(adt.item, syn::Item::Struct(_));
            Some(Layout {
                size: size.div_ceil(align) * align,
                align,
                fields: out,
                opaque,
            })
        })();
        memo.borrow_mut().insert(i, out.clone());
        out
    }
}

/// Whether an item is compiled on `t`: its `cfg`s and `cfg_if!` branches.
fn live<T>(s: &Scoped<'_, T>, t: &Target, cfgs: &[String]) -> bool {
    t.active(&s.cfgs, cfgs)
        && s.branch
            .iter()
            .all(|(m, negated)| t.cfg(m, cfgs) != *negated)
}

/// The branch bodies of a `cfg_if!` (its tokens), nested ones included,
/// each with the conditions under which it is compiled.
fn cfg_if_regions(
    tokens: proc_macro2::TokenStream,
    outer: &[(syn::Meta, bool)],
    out: &mut Vec<Region>,
    depth: usize,
) {
    use proc_macro2::TokenTree;
    if depth > MAX_DEPTH {
        return;
    }
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut previous: Vec<syn::Meta> = Vec::new();
    let mut i = 0;
    while i < tts.len() {
        // `if #[cfg(pred)] { body }` or `else { body }`
        let pred = match (&tts[i], tts.get(i + 1), tts.get(i + 2)) {
            (TokenTree::Ident(kw), Some(TokenTree::Punct(hash)), Some(TokenTree::Group(attr)))
                if kw == "if" && hash.as_char() == '#' =>
            {
                i += 3;
                match syn::parse2::<syn::Meta>(attr.stream()) {
                    Ok(syn::Meta::List(l)) if l.path.is_ident("cfg") => {
                        l.parse_args::<syn::Meta>().ok()
                    }
                    _ => None,
                }
            }
            (TokenTree::Ident(kw), _, _) if kw == "else" => {
                i += 1;
                continue;
            }
            (TokenTree::Group(_), _, _) => None,
            _ => return,
        };
        let Some(TokenTree::Group(body)) = tts.get(i) else {
            return;
        };
        i += 1;
        let mut conds = outer.to_vec();
        conds.extend(previous.iter().map(|p| (p.clone(), true)));
        if let Some(p) = &pred {
            conds.push((p.clone(), false));
        }
        let (s, e) = (body.span().start(), body.span().end());
        // Nested `cfg_if!` inside this body.
        let inner: Vec<TokenTree> = body.stream().into_iter().collect();
        for w in inner.windows(3) {
            if let [
                TokenTree::Ident(name),
                TokenTree::Punct(bang),
                TokenTree::Group(g),
            ] = w
                && name == "cfg_if"
                && bang.as_char() == '!'
            {
                cfg_if_regions(g.stream(), &conds, out, depth + 1);
            }
        }
        out.push(Region {
            start: (s.line, s.column),
            end: (e.line, e.column),
            conds,
        });
        match pred {
            Some(p) => previous.push(p),
            // `else { .. }` ends the chain.
            None => return,
        }
    }
}

/// Layouts computed so far on one target.
pub type Memo = RefCell<HashMap<usize, Option<Layout>>>;

/// `c_void` behind a pointer is `void`; everything else is itself.
fn pointee(t: RTy) -> RTy {
    t
}

/// `-> ()` is `void`.
pub fn void_if_unit(t: RTy) -> RTy {
    if t == RTy::Zst { RTy::Void } else { t }
}

/// Truncate `v` to an integer of `size` bytes.
pub fn wrap(v: i128, size: u64, signed: bool) -> i128 {
    if size >= 16 {
        return v;
    }
    let bits = size * 8;
    let m = v & ((1i128 << bits) - 1);
    if signed && m >> (bits - 1) == 1 {
        m - (1i128 << bits)
    } else {
        m
    }
}

/// The reprs that matter for layout.
#[derive(Debug, Default)]
pub struct Repr {
    pub c: bool,
    pub transparent: bool,
    /// `repr(u8)` etc.: size and signedness.
    pub int: Option<(u64, bool)>,
    pub packed: Option<u64>,
    pub align: Option<u64>,
}

impl Repr {
    pub fn read(attrs: &[syn::Attribute]) -> Repr {
        let mut r = Repr::default();
        for a in attrs.iter().filter(|a| a.path().is_ident("repr")) {
            let _ = a.parse_nested_meta(|m| {
                let name = m
                    .path
                    .get_ident()
                    .map(|i| i.to_string())
                    .unwrap_or_default();
                let arg = || -> Option<u64> {
                    let inner = || -> syn::Result<u64> {
                        let content;
                        syn::parenthesized!(content in m.input);
                        content.parse::<syn::LitInt>()?.base10_parse()
                    };
                    inner().ok()
                };
                match name.as_str() {
                    "C" => r.c = true,
                    "transparent" => r.transparent = true,
                    "packed" => {
                        r.packed = Some(if m.input.peek(syn::token::Paren) {
                            arg().unwrap_or(1)
                        } else {
                            1
                        })
                    }
                    "align" => r.align = arg(),
                    "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" => {
                        let size = name[1..].parse::<u64>().unwrap_or(8) / 8;
                        r.int = Some((size, name.starts_with('i')));
                    }
                    _ => {}
                }
                Ok(())
            });
        }
        r
    }
}

pub fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    attrs_and_line(item).0
}

/// The attributes of an item and the line of its keyword.
fn attrs_and_line(item: &syn::Item) -> (&[syn::Attribute], Option<usize>) {
    match item {
        syn::Item::Struct(s) => (&s.attrs, Some(s.struct_token.span.start().line)),
        syn::Item::Union(u) => (&u.attrs, Some(u.union_token.span.start().line)),
        syn::Item::Enum(e) => (&e.attrs, Some(e.enum_token.span.start().line)),
        syn::Item::Const(c) => (&c.attrs, Some(c.const_token.span.start().line)),
        syn::Item::Fn(f) => (&f.attrs, Some(f.sig.fn_token.span.start().line)),
        syn::Item::Type(t) => (&t.attrs, None),
        syn::Item::ForeignMod(f) => (&f.attrs, None),
        syn::Item::Mod(m) => (&m.attrs, None),
        _ => (&[], None),
    }
}

/// `#[link_name = ".."]` / `#[export_name = ".."]` (also inside `unsafe(..)`).
fn symbol(attrs: &[syn::Attribute], key: &str) -> Option<String> {
    attrs.iter().find_map(|a| {
        let nv = if a.path().is_ident(key) {
            a.meta.require_name_value().ok()?.clone()
        } else if a.path().is_ident("unsafe") {
            let nv = a.parse_args::<syn::MetaNameValue>().ok()?;
            if !nv.path.is_ident(key) {
                return None;
            }
            nv
        } else {
            return None;
        };
        match nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    })
}

/// A `// ffi-guard: c-name(..)` comment among the comments and attributes
/// right above line `line` (1-based) of `text`, or on that line.
fn c_name_comment(text: &str, line: usize) -> Option<String> {
    const MARK: &str = "ffi-guard: c-name(";
    if !text.contains(MARK) {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    // Upwards from the line above the keyword, through comments and
    // attributes only.
    let mut i = line.checked_sub(1)?;
    for _ in 0..16 {
        i = i.checked_sub(1)?;
        let l = lines.get(i)?.trim();
        if let Some(pos) = l.find(MARK)
            && l.starts_with("//")
        {
            let rest = &l[pos + MARK.len()..];
            return rest.find(')').map(|end| rest[..end].trim().to_owned());
        }
        let attr_or_comment =
            l.starts_with("//") || l.starts_with("#[") || l.ends_with(']') || l.ends_with(',');
        if !attr_or_comment {
            return None;
        }
    }
    None
}

/// The `cfg` attributes on the `mod x;` items that lead to file `fi`.
fn file_cfgs(krate: &Crate, fi: usize) -> Vec<&syn::Attribute> {
    let mut out = Vec::new();
    let mut module = krate.files[fi].module_id;
    let modules = &krate.index.modules;
    for _ in 0..MAX_DEPTH {
        let Some(parent) = modules[module].parent else {
            break;
        };
        let name = modules[module].path.last().cloned().unwrap_or_default();
        let pfile = modules[parent].file;
        if let Some(f) = krate.files.get(pfile)
            && f.module_id == parent
        {
            for item in &f.ast.items {
                if let syn::Item::Mod(m) = item
                    && m.ident == name
                    && m.content.is_none()
                {
                    out.extend(m.attrs.iter().filter(|a| a.path().is_ident("cfg")));
                }
            }
        }
        module = parent;
    }
    out
}
