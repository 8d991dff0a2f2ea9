//! What is read of a package's foreign declarations: each foreign fn's
//! symbol, its signature reduced to what the C ABI sees, its ownership roles,
//! and where it is declared. One reader serves the linted crate and its
//! dependencies, so the two sides of a comparison are always read alike.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use syn::{ForeignItemFn, Item, Type};

use ffi_guard_syntax::{Conventions, types};

/// The width of an integer, as far as the targets ffi-guard knows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Width {
    /// The same number of bits on every target.
    Bits(u8),
    /// `c_long`/`c_ulong`: 4 bytes on Windows and 32-bit targets, 8 elsewhere.
    CLong,
    /// `usize`/`isize`/`size_t`: the pointer's width.
    Pointer,
}

/// A parameter or return type as the C ABI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Abi {
    /// Any pointer: raw, reference, `NonNull`, `Box`, `Option` of those, fn pointers.
    Pointer,
    /// An integer; `signed` is `None` where it depends on the target (`c_char`).
    Int {
        width: Width,
        signed: Option<bool>,
    },
    Float(u8),
    Bool,
    /// A type passed by value that is not a scalar (a struct, an enum), by name.
    Named(String),
    /// A type the reader cannot classify: never compared.
    Unknown,
}

/// A foreign fn's signature, as the C ABI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sig {
    /// `C` or `system` (which differ on 32-bit Windows).
    pub abi: String,
    pub params: Vec<Abi>,
    /// `None` for `()` and `!`.
    pub ret: Option<Abi>,
    pub variadic: bool,
}

/// One foreign fn declaration of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredFn {
    /// The Rust name callers use.
    pub name: String,
    /// The linked symbol: `#[link_name]` when given, else the name.
    pub symbol: String,
    pub sig: Sig,
    /// Parameter names, in order (empty strings for patterns).
    pub param_names: Vec<String>,
    /// The pointee of a returned raw pointer.
    pub ret_pointee: Option<String>,
    /// For each parameter of type `*mut *T` (an out-parameter), `T`.
    pub out_pointees: Vec<Option<String>>,
    pub returns_pointer: bool,
    /// `(pointer, length)` and C-string parameter positions.
    pub slices: Vec<(usize, usize)>,
    pub cstrs: Vec<usize>,
    /// From `#[ffi_guard]` options and the inference rules of its block.
    pub alloc_free_with: Option<String>,
    pub frees: Vec<usize>,
    pub consumes: Vec<usize>,
    /// An inferred allocation whose release its block does not declare:
    /// the names that may release it, in order of preference.
    pub tentative_alloc: Option<Vec<String>>,
    /// Out-parameters that receive a pointer the caller owns (`alloc_out`,
    /// the conventions, the naming rule), each with the names that may
    /// release it: one when its block declares the release.
    pub alloc_out: Vec<(usize, Vec<String>)>,
    /// The conventions say the result is borrowed: it never leaks.
    pub borrowed: bool,
    /// Release-shaped parameters of a fn named as a release that no
    /// allocation of its block names (`Ownership::soft_frees`).
    pub soft_frees: Vec<usize>,
    /// The fn, or a block or inline module around it, has a `#[cfg]`, or it
    /// comes from a macro body: it may not exist on every target.
    pub conditional: bool,
    /// Where it is declared (the package's own relative path, or an absolute
    /// path for generated bindings).
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// Collects the declarations of one package's files.
#[derive(Debug, Default)]
pub struct Reader<'a> {
    /// `type X = T;` of the package, by name.
    aliases: HashMap<String, &'a Type>,
    /// The C library conventions the inference reads: the built-in table
    /// for a dependency (its summary is cached, whoever reads it), the
    /// package's configuration too for its own generated bindings.
    pub conventions: Conventions,
    pub fns: Vec<DeclaredFn>,
}

impl<'a> Reader<'a> {
    /// Note the type aliases of `items` (call for every file first).
    pub fn aliases(&mut self, items: &'a [Item]) {
        for item in items {
            match item {
                Item::Type(t) if t.generics.params.is_empty() => {
                    self.aliases.insert(t.ident.to_string(), &t.ty);
                }
                Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.aliases(inner);
                    }
                }
                _ => {}
            }
        }
    }

    /// Read the foreign fns of `items` (a file's, or an inline module's).
    /// `file` names it in what is recorded; `conditional` says the items
    /// are under a `#[cfg]` already.
    pub fn declarations(&mut self, file: &str, items: &[Item], conditional: bool) {
        let macro_lines = macro_lines(items);
        for item in items {
            match item {
                Item::ForeignMod(m) => {
                    let line = m.abi.extern_token.span.start().line;
                    let from_macro = macro_lines.iter().any(|(a, b)| (*a..=*b).contains(&line));
                    let cond = conditional || has_cfg(&m.attrs) || from_macro;
                    self.foreign_mod(file, m, cond);
                }
                Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.declarations(file, inner, conditional || has_cfg(&m.attrs));
                    }
                }
                Item::Fn(f) => {
                    let inner: Vec<Item> = f
                        .block
                        .stmts
                        .iter()
                        .filter_map(|s| match s {
                            syn::Stmt::Item(i @ Item::ForeignMod(_)) => Some(i.clone()),
                            _ => None,
                        })
                        .collect();
                    if !inner.is_empty() {
                        self.declarations(file, &inner, conditional || has_cfg(&f.attrs));
                    }
                }
                _ => {}
            }
        }
    }

    fn foreign_mod(&mut self, file: &str, m: &syn::ItemForeignMod, conditional: bool) {
        let abi = m
            .abi
            .name
            .as_ref()
            .map_or_else(|| "C".to_owned(), syn::LitStr::value);
        let owned = block_ownership(m, &self.conventions);
        for (f, own) in owned {
            let param_names: Vec<String> = f
                .sig
                .inputs
                .iter()
                .map(|a| {
                    ffi_guard_syntax::infer::param_name(a)
                        .map_or_else(String::new, |i| i.to_string())
                })
                .collect();
            let param_types: Vec<&Type> = f
                .sig
                .inputs
                .iter()
                .filter_map(|a| match a {
                    syn::FnArg::Typed(p) => Some(&*p.ty),
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            let ret = match &f.sig.output {
                syn::ReturnType::Type(_, t)
                    if !types::is_unit(t) && !matches!(**t, Type::Never(_)) =>
                {
                    Some(self.abi_of(t))
                }
                _ => None,
            };
            let abis: Vec<Abi> = param_types.iter().map(|t| self.abi_of(t)).collect();
            let start = f.sig.ident.span().start();
            let own = own
                .map(|o| Positions::of(&o, &param_names))
                .unwrap_or_default();
            self.fns.push(DeclaredFn {
                name: f.sig.ident.to_string(),
                symbol: link_name(&f.attrs).unwrap_or_else(|| f.sig.ident.to_string()),
                sig: Sig {
                    abi: abi.clone(),
                    params: abis.clone(),
                    ret,
                    variadic: f.sig.variadic.is_some(),
                },
                ret_pointee: match &f.sig.output {
                    syn::ReturnType::Type(_, t) => pointee_name(t),
                    syn::ReturnType::Default => None,
                },
                out_pointees: param_types
                    .iter()
                    .map(|t| {
                        types::raw_pointer(t)
                            .and_then(|p| types::raw_pointer(p.pointee))
                            .and_then(|p| pointee_name(p.pointee))
                    })
                    .collect(),
                returns_pointer: matches!(&f.sig.output, syn::ReturnType::Type(_, t)
                    if types::raw_pointer(t).is_some()),
                slices: own.slices,
                cstrs: own.cstrs,
                param_names,
                alloc_free_with: own.alloc_free_with,
                frees: own.frees,
                consumes: own.consumes,
                tentative_alloc: own.tentative_alloc,
                alloc_out: own.alloc_out,
                borrowed: own.borrowed,
                soft_frees: own.soft_frees,
                conditional: conditional || has_cfg(&f.attrs),
                file: file.to_owned(),
                line: start.line,
                column: start.column + 1,
            });
        }
    }

    /// What the C ABI sees of `ty`, type aliases of the package followed.
    pub fn abi_of(&self, ty: &Type) -> Abi {
        self.abi_at(ty, 0)
    }

    fn abi_at(&self, ty: &Type, depth: usize) -> Abi {
        if depth > 16 {
            return Abi::Unknown;
        }
        match ty {
            Type::Paren(p) => self.abi_at(&p.elem, depth + 1),
            Type::Group(g) => self.abi_at(&g.elem, depth + 1),
            Type::Ptr(_) | Type::Reference(_) | Type::BareFn(_) => Abi::Pointer,
            Type::Path(p) if p.qself.is_none() => {
                let Some(last) = p.path.segments.last() else {
                    return Abi::Unknown;
                };
                let name = last.ident.to_string();
                if matches!(name.as_str(), "NonNull" | "Box") {
                    return Abi::Pointer;
                }
                if name == "Option" {
                    // `Option<&T>`, `Option<NonNull<T>>`, `Option<extern fn>`.
                    return match option_arg(last) {
                        Some(inner) if self.abi_at(inner, depth + 1) == Abi::Pointer => {
                            Abi::Pointer
                        }
                        _ => Abi::Unknown,
                    };
                }
                if let Some(abi) = scalar_abi(&name) {
                    return abi;
                }
                if let Some(t) = self.aliases.get(&name)
                    && !matches!(t, Type::Path(tp) if tp.path.segments.last().is_some_and(|s| s.ident == last.ident))
                {
                    return self.abi_at(t, depth + 1);
                }
                if last.arguments.is_none() && p.path.segments.len() == 1 {
                    Abi::Named(name)
                } else {
                    Abi::Unknown
                }
            }
            _ => Abi::Unknown,
        }
    }
}

/// The type argument of `Option<T>`.
fn option_arg(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Rust's scalars and C's aliases for them, under any path.
fn scalar_abi(name: &str) -> Option<Abi> {
    let int = |bits, signed| Abi::Int {
        width: Width::Bits(bits),
        signed: Some(signed),
    };
    Some(match name {
        "i8" | "c_schar" | "int8_t" => int(8, true),
        "u8" | "c_uchar" | "uint8_t" => int(8, false),
        "i16" | "c_short" | "int16_t" => int(16, true),
        "u16" | "c_ushort" | "uint16_t" => int(16, false),
        "i32" | "c_int" | "int32_t" => int(32, true),
        "u32" | "c_uint" | "uint32_t" => int(32, false),
        "i64" | "c_longlong" | "int64_t" => int(64, true),
        "u64" | "c_ulonglong" | "uint64_t" => int(64, false),
        "i128" => int(128, true),
        "u128" => int(128, false),
        "c_char" => Abi::Int {
            width: Width::Bits(8),
            signed: None,
        },
        "c_long" => Abi::Int {
            width: Width::CLong,
            signed: Some(true),
        },
        "c_ulong" => Abi::Int {
            width: Width::CLong,
            signed: Some(false),
        },
        "isize" | "ssize_t" | "intptr_t" | "ptrdiff_t" => Abi::Int {
            width: Width::Pointer,
            signed: Some(true),
        },
        "usize" | "size_t" | "uintptr_t" => Abi::Int {
            width: Width::Pointer,
            signed: Some(false),
        },
        "f32" | "c_float" => Abi::Float(32),
        "f64" | "c_double" => Abi::Float(64),
        "bool" => Abi::Bool,
        "c_void" => Abi::Unknown,
        _ => return None,
    })
}

impl Abi {
    /// How `self` and `other` differ on some target, if they surely do.
    /// Anything unknown, and two types by value of any names (a
    /// `repr(transparent)` wrapper is its field), are never a difference.
    pub fn differs(&self, other: &Abi) -> bool {
        match (self, other) {
            (Abi::Unknown, _) | (_, Abi::Unknown) => false,
            (Abi::Named(_), _) | (_, Abi::Named(_)) => false,
            (
                Abi::Int {
                    width: w1,
                    signed: s1,
                },
                Abi::Int {
                    width: w2,
                    signed: s2,
                },
            ) => w1 != w2 || matches!((s1, s2), (Some(a), Some(b)) if a != b),
            (a, b) => a != b,
        }
    }

    /// As a reader would write it.
    pub fn describe(&self) -> String {
        match self {
            Abi::Pointer => "a pointer".to_owned(),
            Abi::Int { width, signed } => {
                let sign = match signed {
                    Some(true) => "signed ",
                    Some(false) => "unsigned ",
                    None => "",
                };
                match width {
                    Width::Bits(b) => format!("a {sign}{b}-bit integer"),
                    Width::CLong => format!("a {sign}C long"),
                    Width::Pointer => format!("a {sign}pointer-sized integer"),
                }
            }
            Abi::Float(b) => format!("a {b}-bit float"),
            Abi::Bool => "a bool".to_owned(),
            Abi::Named(n) => format!("`{n}` by value"),
            Abi::Unknown => "an unknown type".to_owned(),
        }
    }
}

impl Sig {
    /// The first way `self` and `other` surely differ on some target.
    pub fn difference(&self, other: &Sig) -> Option<String> {
        fn abi(a: &str) -> &str {
            a.strip_suffix("-unwind").unwrap_or(a)
        }
        if abi(&self.abi) != abi(&other.abi) {
            return Some(format!(
                "`extern \"{}\"` against `extern \"{}\"`",
                self.abi, other.abi
            ));
        }
        if self.variadic != other.variadic {
            return Some("variadic against not variadic".to_owned());
        }
        if self.params.len() != other.params.len() {
            return Some(format!(
                "{} parameters against {}",
                self.params.len(),
                other.params.len()
            ));
        }
        for (i, (a, b)) in self.params.iter().zip(&other.params).enumerate() {
            if a.differs(b) {
                return Some(format!(
                    "parameter {} is {} against {}",
                    i + 1,
                    a.describe(),
                    b.describe()
                ));
            }
        }
        match (&self.ret, &other.ret) {
            (Some(a), Some(b)) if a.differs(b) => Some(format!(
                "it returns {} against {}",
                a.describe(),
                b.describe()
            )),
            (Some(a), None) if *a != Abi::Unknown => {
                Some(format!("it returns {} against nothing", a.describe()))
            }
            (None, Some(b)) if *b != Abi::Unknown => {
                Some(format!("it returns nothing against {}", b.describe()))
            }
            _ => None,
        }
    }
}

/// `#[link_name = ".."]`.
fn link_name(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("link_name") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// Every fn of an extern block with its ownership (options and the
/// inference rules of `ffi-guard-syntax`, the macro's, with `conventions`).
/// A malformed `#[ffi_guard]` is the macro's error to report; the block
/// still declares its fns, read without options.
pub fn block_ownership<'m>(
    m: &'m syn::ItemForeignMod,
    conventions: &Conventions,
) -> Vec<(&'m ForeignItemFn, Option<ffi_guard_syntax::Ownership>)> {
    match ffi_guard_syntax::foreign_mod_ownership_with(m, conventions) {
        Ok(r) => r.into_iter().map(|(f, o)| (f, Some(o))).collect(),
        Err(_) => m
            .items
            .iter()
            .filter_map(|i| match i {
                syn::ForeignItem::Fn(f) => Some((f, None)),
                _ => None,
            })
            .collect(),
    }
}

/// What one fn's [`Ownership`](ffi_guard_syntax::Ownership) says, by
/// parameter position (`params`: the parameter names, in order).
#[derive(Debug, Default)]
pub struct Positions {
    pub alloc_free_with: Option<String>,
    pub frees: Vec<usize>,
    pub consumes: Vec<usize>,
    pub slices: Vec<(usize, usize)>,
    pub cstrs: Vec<usize>,
    pub tentative_alloc: Option<Vec<String>>,
    pub alloc_out: Vec<(usize, Vec<String>)>,
    pub borrowed: bool,
    pub soft_frees: Vec<usize>,
}

impl Positions {
    pub fn of(o: &ffi_guard_syntax::Ownership, params: &[String]) -> Positions {
        let pos = |id: &syn::Ident| params.iter().position(|p| id == p);
        let certain_out = o.alloc_out.iter().map(|(p, f)| (p, vec![last_segment(f)]));
        let tentative_out = o.tentative_alloc_out.iter().map(|(p, f)| (p, f.clone()));
        Positions {
            alloc_free_with: o.alloc_free_with.as_deref().map(last_segment),
            frees: o.frees.iter().filter_map(pos).collect(),
            consumes: o.consumes.iter().filter_map(pos).collect(),
            slices: o
                .slices
                .iter()
                .filter_map(|(p, n)| Some((pos(p)?, pos(n)?)))
                .collect(),
            cstrs: o.cstrs.iter().filter_map(pos).collect(),
            tentative_alloc: o.tentative_alloc.clone(),
            alloc_out: certain_out
                .chain(tentative_out)
                .filter_map(|(p, f)| Some((pos(p)?, f)))
                .collect(),
            borrowed: o.borrowed,
            soft_frees: o.soft_frees.iter().filter_map(pos).collect(),
        }
    }
}

/// Where (first and last line) each item macro of `items` is: items a macro
/// body added sit inside its span.
pub fn macro_lines(items: &[Item]) -> Vec<(usize, usize)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Macro(m) => {
                let s = syn::spanned::Spanned::span(m);
                Some((s.start().line, s.end().line))
            }
            _ => None,
        })
        .collect()
}

/// The file modules declared under `#[cfg]` (or in a macro body): what
/// they hold may not be compiled on this target.
#[derive(Debug, Default)]
pub struct ConditionalModules(std::collections::HashSet<Vec<String>>);

impl ConditionalModules {
    pub fn of(files: &[crate::model::SourceFile]) -> ConditionalModules {
        let mut set = std::collections::HashSet::new();
        for f in files {
            cfg_modules(&f.ast.items, &f.module, &mut set);
        }
        ConditionalModules(set)
    }

    /// Whether `file`'s module, or one around it, is conditional.
    pub fn holds(&self, file: &crate::model::SourceFile) -> bool {
        (1..=file.module.len()).any(|n| self.0.contains(&file.module[..n]))
    }
}

/// The paths of `mod x;` modules under `#[cfg]` or from a macro body.
fn cfg_modules(
    items: &[Item],
    module: &[String],
    out: &mut std::collections::HashSet<Vec<String>>,
) {
    let macro_lines = macro_lines(items);
    for item in items {
        let Item::Mod(m) = item else { continue };
        let mut path = module.to_vec();
        path.push(m.ident.to_string());
        let line = m.mod_token.span.start().line;
        if has_cfg(&m.attrs) || macro_lines.iter().any(|(a, b)| (*a..=*b).contains(&line)) {
            out.insert(path.clone());
        }
        if let Some((_, inner)) = &m.content {
            cfg_modules(inner, &path, out);
        }
    }
}

/// Whether the attributes hold a `#[cfg]` or `#[cfg_attr]`.
pub fn has_cfg(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
}

/// The last segment of a pointee's path, through further pointers.
fn pointee_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Ptr(p) => pointee_name(&p.elem),
        Type::Paren(p) => pointee_name(&p.elem),
        Type::Group(g) => pointee_name(&g.elem),
        _ => types::type_name(ty),
    }
}

/// `a::b::free` -> `free`.
pub fn last_segment(path: &str) -> String {
    path.rsplit("::").next().unwrap_or(path).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(src: &str) -> Vec<DeclaredFn> {
        let file = syn::parse_file(src).unwrap();
        let mut r = Reader::default();
        r.aliases(&file.items);
        r.declarations("src/lib.rs", &file.items, false);
        r.fns
    }

    #[test]
    fn aliases_and_c_names_reduce_to_one_abi() {
        let f = read(
            "pub type git_off_t = i64;\nextern \"C\" {\n #[link_name = \"real\"] fn a(x: c_int, y: git_off_t, z: *const c_char) -> libc::size_t;\n fn b(x: i32, y: i64, z: &u8) -> usize;\n}",
        );
        assert_eq!(f[0].symbol, "real");
        assert_eq!(f[0].sig.difference(&f[1].sig), None);
    }

    #[test]
    fn widths_that_differ_on_some_target_differ() {
        let f = read(
            "extern \"C\" { fn a(x: c_long); fn b(x: i64); fn c(x: u32); fn d(x: c_char); fn e(x: u8); fn g(x: Handle); fn h(x: *mut u8); }",
        );
        let d = |i: usize, j: usize| f[i].sig.difference(&f[j].sig);
        assert!(d(0, 1).is_some(), "c_long is 4 bytes on Windows");
        assert!(d(1, 2).is_some());
        assert_eq!(d(3, 4), None, "c_char's signedness depends on the target");
        assert_eq!(
            d(5, 6),
            None,
            "a type by value may be a transparent pointer"
        );
    }
}
