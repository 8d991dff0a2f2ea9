//! Path-insensitive classification of the types that matter at the boundary:
//! `c_char`, `std::ffi::c_char`, `libc::c_char`, `core::ffi::c_char` and
//! `std::os::raw::c_char` are all the same `c_char` here, since the linter
//! sees source before name resolution and the macro sees tokens.

use syn::{Type, TypePtr};

/// A raw pointer type, `*const T` or `*mut T`.
#[derive(Debug, Clone, Copy)]
pub struct RawPointer<'a> {
    pub mutable: bool,
    pub pointee: &'a Type,
}

/// What a scalar return type's zero value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Integer,
    Float,
    Bool,
}

/// `*const T` / `*mut T`, looking through parentheses and invisible groups.
pub fn raw_pointer(ty: &Type) -> Option<RawPointer<'_>> {
    match strip(ty) {
        Type::Ptr(TypePtr {
            mutability, elem, ..
        }) => Some(RawPointer {
            mutable: mutability.is_some(),
            pointee: elem,
        }),
        _ => None,
    }
}

/// The last segment of a plain type path without generic arguments
/// (`libc::size_t` gives `size_t`); `None` for anything else.
pub fn type_name(ty: &Type) -> Option<String> {
    match strip(ty) {
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            last.arguments.is_none().then(|| last.ident.to_string())
        }
        _ => None,
    }
}

/// The integer types, Rust's own and C's aliases (`c_int`, `size_t`, `uint32_t`, ...).
pub fn is_integer(ty: &Type) -> bool {
    type_name(ty).is_some_and(|n| INTEGERS.contains(&n.as_str()))
}

/// `f32`, `f64`, `c_float`, `c_double`.
pub fn is_float(ty: &Type) -> bool {
    type_name(ty).is_some_and(|n| FLOATS.contains(&n.as_str()))
}

/// `bool`.
pub fn is_bool(ty: &Type) -> bool {
    type_name(ty).is_some_and(|n| n == "bool")
}

/// The kind of a scalar type, if it is one.
pub fn scalar(ty: &Type) -> Option<Scalar> {
    if is_integer(ty) {
        Some(Scalar::Integer)
    } else if is_float(ty) {
        Some(Scalar::Float)
    } else if is_bool(ty) {
        Some(Scalar::Bool)
    } else {
        None
    }
}

/// `c_char` under any path.
pub fn is_c_char(ty: &Type) -> bool {
    type_name(ty).is_some_and(|n| n == "c_char")
}

/// `c_void` under any path.
pub fn is_c_void(ty: &Type) -> bool {
    type_name(ty).is_some_and(|n| n == "c_void")
}

/// A pointee that makes a pointer a buffer: a primitive number, `bool`,
/// `c_void` or `c_char`. Never a struct, never another pointer.
pub fn is_buffer_pointee(ty: &Type) -> bool {
    scalar(ty).is_some() || is_c_void(ty)
}

/// `*const c_char`, the C string parameter.
pub fn is_const_c_char_ptr(ty: &Type) -> bool {
    raw_pointer(ty).is_some_and(|p| !p.mutable && is_c_char(p.pointee))
}

/// `Option<..>` under any path.
pub fn is_option(ty: &Type) -> bool {
    match strip(ty) {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Option" && !s.arguments.is_none()),
        _ => false,
    }
}

/// `()`.
pub fn is_unit(ty: &Type) -> bool {
    matches!(strip(ty), Type::Tuple(t) if t.elems.is_empty())
}

const INTEGERS: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "c_char",
    "c_schar",
    "c_uchar",
    "c_short",
    "c_ushort",
    "c_int",
    "c_uint",
    "c_long",
    "c_ulong",
    "c_longlong",
    "c_ulonglong",
    "c_size_t",
    "c_ssize_t",
    "c_ptrdiff_t",
    "size_t",
    "ssize_t",
    "ptrdiff_t",
    "intptr_t",
    "uintptr_t",
    "off_t",
    "off64_t",
    "socklen_t",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
];

const FLOATS: &[&str] = &["f32", "f64", "c_float", "c_double"];

fn strip(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Paren(p) => ty = &p.elem,
            Type::Group(g) => ty = &g.elem,
            _ => return ty,
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    #[test]
    fn c_char_under_every_path() {
        for ty in [
            parse_quote!(c_char),
            parse_quote!(std::ffi::c_char),
            parse_quote!(libc::c_char),
            parse_quote!(::core::ffi::c_char),
            parse_quote!(std::os::raw::c_char),
        ] {
            assert!(is_c_char(&ty), "{}", quote::quote!(#ty));
            assert!(is_buffer_pointee(&ty));
        }
        assert!(is_const_c_char_ptr(&parse_quote!(*const std::ffi::c_char)));
        assert!(!is_const_c_char_ptr(&parse_quote!(*mut c_char)));
    }

    #[test]
    fn integers_floats_and_others() {
        for ty in [
            parse_quote!(usize),
            parse_quote!(libc::size_t),
            parse_quote!(c_uchar),
            parse_quote!(c_int),
        ] {
            assert_eq!(scalar(&ty), Some(Scalar::Integer));
        }
        assert_eq!(scalar(&parse_quote!(f64)), Some(Scalar::Float));
        assert_eq!(scalar(&parse_quote!(bool)), Some(Scalar::Bool));
        assert!(is_buffer_pointee(&parse_quote!(core::ffi::c_void)));
        assert!(!is_buffer_pointee(&parse_quote!(Widget)));
        assert!(!is_buffer_pointee(&parse_quote!(*const u8)));
        assert!(!is_integer(&parse_quote!(Vec<u8>)));
        assert!(is_option(&parse_quote!(Option<&Widget>)));
        assert!(!is_option(&parse_quote!(Widget)));
        assert!(is_unit(&parse_quote!(())));
        assert!(raw_pointer(&parse_quote!((*mut Widget))).is_some_and(|p| p.mutable));
    }
}
