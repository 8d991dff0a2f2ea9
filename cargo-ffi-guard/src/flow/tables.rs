//! Tables of std and libc behaviour: which calls allocate, which read C
//! strings or buffers, which neither keep nor release their arguments, and
//! what kind of value a constructor or literal makes.

use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Macro, Type};

use super::domain::*;
use super::known::type_of_interest;
use super::syntax::*;

/// libc functions with NUL-terminated string parameters (0-based positions).
pub(super) const LIBC_CSTRS: &[(&str, &[usize])] = &[
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
pub(super) const LIBC_BUFS: &[&str] = &["read", "write", "pread", "pwrite", "send", "recv"];

pub(super) fn libc_alloc(segs: &[String]) -> Option<&'static str> {
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
pub(super) fn is_ctor(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

/// Standard functions that neither keep nor release their arguments.
pub(super) fn is_pure(qual: &str, name: &str) -> bool {
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
pub(super) fn ctor_hint(
    qual: &str,
    name: &str,
    arg: Option<&Expr>,
    env: &Env,
    self_ty: Option<&str>,
) -> Hint {
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
pub(super) fn box_new_type(a: &Expr, env: &Env, self_ty: Option<&str>) -> Option<String> {
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

pub(super) fn type_guess(e: &Expr, env: &Env, self_ty: Option<&str>) -> Option<String> {
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

pub(super) fn hint_of_type(ty: &Type) -> Hint {
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

pub(super) fn lit_hint(l: &Lit) -> Hint {
    match l {
        Lit::Str(s) => Hint::StrLit(s.value().ends_with('\0')),
        Lit::ByteStr(b) => Hint::ByteLit(b.value().last() == Some(&0)),
        Lit::CStr(_) => Hint::CStrLit,
        _ => Hint::Unknown,
    }
}

/// `'\0'`, `b'\0'` or `0`: the NUL character or byte, for `push`.
pub(super) fn is_nul_char(e: &Expr) -> bool {
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
pub(super) fn format_ends_nul(m: &Macro) -> bool {
    match m.parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated) {
        Ok(parts) => matches!(
            parts.first(),
            Some(Expr::Lit(l)) if matches!(&l.lit, Lit::Str(s) if s.value().ends_with('\0'))
        ),
        Err(_) => false,
    }
}

/// `concat!("a", "b\0")` is a literal; NUL-terminated when its last part is.
pub(super) fn concat_hint(m: &Macro) -> Hint {
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

/// Macros that never return: code after them on the same path does not run.
/// Both walks over a body (ownership and errno) end a path there.
pub(super) const DIVERGING_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

/// Macros whose arguments are formatted (and so evaluated, allocating) where
/// they stand: both walks read their arguments as code.
pub(super) const FORMAT_MACROS: &[&str] = &[
    "println",
    "print",
    "eprintln",
    "eprint",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "unreachable",
    "todo",
    "unimplemented",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "log",
];

/// A call through a binding module (`libc::`, `ffi::`, `sys::`, `raw::`,
/// `bindings::`, `*_sys::`, `*_ffi::`) is a foreign call whatever its name's
/// case; both walks use this one rule.
pub(super) fn is_foreign_path(segs: &[String]) -> bool {
    let Some((last, quals)) = segs.split_last() else {
        return false;
    };
    !matches!(last.as_str(), "Some" | "Ok" | "Err")
        && quals.iter().any(|q| {
            matches!(q.as_str(), "libc" | "ffi" | "sys" | "raw" | "bindings")
                || q.ends_with("_sys")
                || q.ends_with("_ffi")
        })
}
