//! The inference rules of SPEC §2 and their resolution against explicit
//! options: what each function of a block allocates, releases, consumes, and
//! reads as a slice or a C string.
//!
//! The rules, word for word:
//! - a fn named `PREFIX_new|_create|_alloc|_open|_dup|_clone` (or exactly
//!   `strdup`, `strndup`) returning a raw pointer, where the same block
//!   declares `PREFIX_free|_destroy|_delete|_release|_close|_unref` (or `free`)
//!   taking exactly one pointer, is an `alloc`/`free` pair; the `PREFIX_`
//!   release is preferred over plain `free`;
//! - an adjacent `(pointer, integer)` parameter pair is a `slice` when the
//!   pointee is a primitive, `c_void` or `c_char` (never a struct) and the
//!   integer's name is `len|n|count|size|length|nbytes|nelem|cap` or ends in
//!   `_len|_length|_count|_size|_nbytes`;
//! - a `*const c_char` parameter not followed by such a length is a `cstr`.
//!
//! Explicit options win: an inferred fact is dropped when an explicit option
//! already says something about the same parameter (or, for `alloc`/`free`,
//! the same function). `infer = false` turns inference off; `skip` turns
//! every check of its function off, and a `skip` release pairs with no alloc.

use std::borrow::Cow;

use syn::{FnArg, ForeignItemFn, Ident, ItemForeignMod, Pat, Signature};

use crate::foreign;
use crate::options::{self, FnOptions, Place};
use crate::types;

/// What one function does with ownership, explicit options and inference resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// The function returns an owned pointer, to be released by this function.
    pub alloc_free_with: Option<String>,
    /// Parameters the function releases.
    pub frees: Vec<Ident>,
    /// Parameters whose ownership passes to the other side.
    pub consumes: Vec<Ident>,
    /// `(pointer, length)` parameter pairs.
    pub slices: Vec<(Ident, Ident)>,
    /// NUL-terminated string parameters.
    pub cstrs: Vec<Ident>,
    /// Parameters that must not be null (never inferred).
    pub nonnull: Vec<Ident>,
    /// `skip`: no checks; every list above is empty.
    pub skip: bool,
}

const ALLOC_SUFFIXES: &[&str] = &["_new", "_create", "_alloc", "_open", "_dup", "_clone"];
const RELEASE_SUFFIXES: &[&str] = &[
    "_free", "_destroy", "_delete", "_release", "_close", "_unref",
];
const LENGTH_NAMES: &[&str] = &[
    "len", "n", "count", "size", "length", "nbytes", "nelem", "cap",
];
const LENGTH_SUFFIXES: &[&str] = &["_len", "_length", "_count", "_size", "_nbytes"];

/// `Some(PREFIX)` for `PREFIX_new|_create|_alloc|_open|_dup|_clone` (non-empty
/// PREFIX); `Some("")` for `strdup` and `strndup`, which pair with plain `free`.
pub fn alloc_prefix(name: &str) -> Option<&str> {
    if name == "strdup" || name == "strndup" {
        return Some("");
    }
    strip_suffix(name, ALLOC_SUFFIXES)
}

/// `Some(PREFIX)` for `PREFIX_free|_destroy|_delete|_release|_close|_unref`
/// (non-empty PREFIX); `Some("")` for plain `free`, which any allocating
/// function may pair with.
pub fn release_prefix(name: &str) -> Option<&str> {
    if name == "free" {
        return Some("");
    }
    strip_suffix(name, RELEASE_SUFFIXES)
}

/// `len|n|count|size|length|nbytes|nelem|cap`, or a name ending in
/// `_len|_length|_count|_size|_nbytes`.
pub fn is_length_name(name: &str) -> bool {
    LENGTH_NAMES.contains(&name) || strip_suffix(name, LENGTH_SUFFIXES).is_some()
}

/// Whether `sig` could be a release function: exactly one parameter, a raw pointer.
pub fn is_release_shape(sig: &Signature) -> bool {
    let params: Vec<_> = sig.inputs.iter().collect();
    matches!(params.as_slice(), [FnArg::Typed(p)] if types::raw_pointer(&p.ty).is_some())
}

/// Whether `sig` returns a raw pointer.
pub fn returns_pointer(sig: &Signature) -> bool {
    match &sig.output {
        syn::ReturnType::Type(_, ty) => types::raw_pointer(ty).is_some(),
        syn::ReturnType::Default => false,
    }
}

/// The name a parameter is bound to, when it is a plain identifier (not `_`).
pub fn param_name(arg: &FnArg) -> Option<&Ident> {
    match arg {
        FnArg::Typed(p) => match &*p.pat {
            Pat::Ident(id) => Some(&id.ident),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    }
}

/// The inferred release function's index in `sigs` for the allocating
/// function `sigs[alloc]`, if the rules make them a pair.
pub fn paired_release(sigs: &[&Signature], alloc: usize) -> Option<usize> {
    let sig = sigs.get(alloc)?;
    let name = sig.ident.to_string();
    let prefix = alloc_prefix(&name)?;
    if !returns_pointer(sig) {
        return None;
    }
    let release_with = |wanted: &str| {
        sigs.iter().position(|s| {
            release_prefix(&s.ident.to_string()) == Some(wanted) && is_release_shape(s)
        })
    };
    let own = if prefix.is_empty() {
        None
    } else {
        release_with(prefix)
    };
    own.or_else(|| release_with(""))
}

/// The `slice` pairs the rules find in one signature: adjacent
/// `(buffer pointer, length-named integer)` parameters.
pub fn inferred_slices(sig: &Signature) -> Vec<(Ident, Ident)> {
    let params: Vec<&FnArg> = sig.inputs.iter().collect();
    params
        .windows(2)
        .filter_map(|pair| {
            let (FnArg::Typed(p), FnArg::Typed(n)) = (pair[0], pair[1]) else {
                return None;
            };
            let ptr = types::raw_pointer(&p.ty)?;
            let (ptr_name, len_name) = (param_name(pair[0])?, param_name(pair[1])?);
            let is_slice = types::is_buffer_pointee(ptr.pointee)
                && types::is_integer(&n.ty)
                && is_length_name(&len_name.unraw_string());
            is_slice.then(|| (ptr_name.clone(), len_name.clone()))
        })
        .collect()
}

/// The `cstr` parameters the rules find in one signature: `*const c_char`
/// parameters that are not the pointer of an inferred slice.
pub fn inferred_cstrs(sig: &Signature) -> Vec<Ident> {
    let slices = inferred_slices(sig);
    sig.inputs
        .iter()
        .filter_map(|arg| {
            let FnArg::Typed(p) = arg else { return None };
            let name = param_name(arg)?;
            (types::is_const_c_char_ptr(&p.ty) && !slices.iter().any(|(s, _)| s == name))
                .then(|| name.clone())
        })
        .collect()
}

/// Resolves every function of one block: explicit options, plus inference
/// over the whole block when `infer` is on. One result per input, in order.
pub fn resolve_block(fns: &[(&Signature, &FnOptions)], infer: bool) -> Vec<Ownership> {
    let sigs: Vec<&Signature> = fns.iter().map(|(s, _)| *s).collect();
    let mut out: Vec<Ownership> = fns.iter().map(|(_, o)| resolve_explicit(o)).collect();
    if !infer {
        return out;
    }
    // Release functions named by an `alloc`, explicit or inferred, whose own
    // options say nothing about releasing: their one pointer is `free`d.
    let mut releases: Vec<usize> = Vec::new();
    for (i, (sig, opts)) in fns.iter().enumerate() {
        if opts.skip {
            continue;
        }
        // A `skip` release is out of the ledger: pairing with it would
        // report every pointer of the alloc as leaked.
        if opts.alloc.is_none()
            && let Some(r) = paired_release(&sigs, i)
            && !fns[r].1.skip
        {
            out[i].alloc_free_with = Some(sigs[r].ident.unraw_string());
        }
        if let Some(free_with) = &out[i].alloc_free_with
            && let Some(r) = sigs
                .iter()
                .position(|s| s.ident.unraw_string() == *free_with)
        {
            releases.push(r);
        }
        let mentioned = mentioned_params(opts);
        for (p, n) in inferred_slices(sig) {
            if !mentioned.contains(&&p) && !mentioned.contains(&&n) {
                out[i].slices.push((p, n));
            }
        }
        for c in inferred_cstrs(sig) {
            if !mentioned.contains(&&c) {
                out[i].cstrs.push(c);
            }
        }
    }
    for r in releases {
        let (sig, opts) = fns[r];
        let explicit = !opts.free.is_empty() || !opts.consume.is_empty();
        if opts.skip || explicit || !is_release_shape(sig) || !out[r].frees.is_empty() {
            continue;
        }
        if let Some(p) = sig.inputs.first().and_then(param_name) {
            out[r].frees.push(p.clone());
        }
    }
    out
}

/// Resolves explicit options alone (exports, or a block with `infer = false`).
pub fn resolve_explicit(opts: &FnOptions) -> Ownership {
    if opts.skip {
        return Ownership {
            skip: true,
            ..Ownership::default()
        };
    }
    Ownership {
        alloc_free_with: opts.alloc.as_ref().map(|a| a.free_name()),
        frees: opts.free.clone(),
        consumes: opts.consume.clone(),
        slices: opts
            .slice
            .iter()
            .map(|s| (s.ptr.clone(), s.len.clone()))
            .collect(),
        cstrs: opts.cstr.clone(),
        nonnull: opts.nonnull.clone(),
        skip: false,
    }
}

/// Reads the options of an export or callback (`extern "C" fn` defined in
/// Rust) from its attributes: `None` when it has no `#[ffi_guard]`. Exports
/// use explicit options only.
pub fn export_ownership(attrs: &[syn::Attribute]) -> syn::Result<Option<Ownership>> {
    Ok(options::parse_attrs(attrs, Place::Export)?.map(|o| resolve_explicit(&o.func)))
}

/// Reads a whole `extern` block as written in source, guarded or not: the
/// block's `#[ffi_guard(...)]` (if any), each fn's options, and inference.
/// Variadic fns are included (their options are still meaningful to a linter).
/// A 2024 `safe fn` (verbatim tokens in syn) takes part in inference, as in
/// the macro, but is returned only once the AST went through
/// [`normalize_safe_fns`](crate::foreign::normalize_safe_fns), which makes it
/// a `ForeignItem::Fn`. The first malformed `#[ffi_guard]` attribute is the error.
pub fn foreign_mod_ownership(m: &ItemForeignMod) -> syn::Result<Vec<(&ForeignItemFn, Ownership)>> {
    let block = options::parse_attrs(&m.attrs, Place::Block)?
        .unwrap_or_default()
        .block;
    let fns = foreign::foreign_fns(m);
    let opts = fns
        .iter()
        .map(|(f, _)| {
            Ok(options::parse_attrs(&f.attrs, Place::ForeignFn)?
                .unwrap_or_default()
                .func)
        })
        .collect::<syn::Result<Vec<FnOptions>>>()?;
    let pairs: Vec<(&Signature, &FnOptions)> = fns.iter().map(|(f, _)| &f.sig).zip(&opts).collect();
    let resolved = resolve_block(&pairs, block.infer);
    Ok(fns
        .iter()
        .zip(resolved)
        .filter_map(|((f, _), own)| match f {
            Cow::Borrowed(f) => Some((*f, own)),
            Cow::Owned(_) => None,
        })
        .collect())
}

fn mentioned_params(opts: &FnOptions) -> Vec<&Ident> {
    let slices = opts.slice.iter().flat_map(|s| [&s.ptr, &s.len]);
    opts.free
        .iter()
        .chain(&opts.consume)
        .chain(&opts.cstr)
        .chain(slices)
        .collect()
}

fn strip_suffix<'a>(name: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    suffixes
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .filter(|p| !p.is_empty())
}

/// `r#type` reads as `type`, as rustc links it.
trait UnrawString {
    fn unraw_string(&self) -> String;
}

impl UnrawString for Ident {
    fn unraw_string(&self) -> String {
        syn::ext::IdentExt::unraw(self).to_string()
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn block(m: ItemForeignMod) -> Vec<(String, Ownership)> {
        foreign_mod_ownership(&m)
            .unwrap()
            .into_iter()
            .map(|(f, o)| (f.sig.ident.to_string(), o))
            .collect()
    }

    fn get<'a>(b: &'a [(String, Ownership)], name: &str) -> &'a Ownership {
        &b.iter().find(|(n, _)| n == name).unwrap().1
    }

    fn names(ids: &[Ident]) -> Vec<String> {
        ids.iter().map(|i| i.to_string()).collect()
    }

    fn slices(o: &Ownership) -> Vec<(String, String)> {
        o.slices
            .iter()
            .map(|(p, n)| (p.to_string(), n.to_string()))
            .collect()
    }

    #[test]
    fn name_predicates() {
        for n in [
            "widget_new",
            "widget_create",
            "widget_alloc",
            "file_open",
            "buf_dup",
            "obj_clone",
        ] {
            assert!(alloc_prefix(n).is_some_and(|p| !p.is_empty()), "{n}");
        }
        assert_eq!(alloc_prefix("widget_new"), Some("widget"));
        assert_eq!(alloc_prefix("strdup"), Some(""));
        assert_eq!(alloc_prefix("strndup"), Some(""));
        assert_eq!(alloc_prefix("_new"), None);
        assert_eq!(alloc_prefix("new"), None);
        assert_eq!(alloc_prefix("renew_widget"), None);
        assert_eq!(alloc_prefix("malloc"), None);
        for n in [
            "w_free",
            "w_destroy",
            "w_delete",
            "w_release",
            "w_close",
            "w_unref",
        ] {
            assert_eq!(release_prefix(n), Some("w"), "{n}");
        }
        assert_eq!(release_prefix("free"), Some(""));
        assert_eq!(release_prefix("_free"), None);
        assert_eq!(release_prefix("freedom"), None);
        for n in [
            "len", "n", "count", "size", "length", "nbytes", "nelem", "cap",
        ] {
            assert!(is_length_name(n), "{n}");
        }
        for n in [
            "buf_len",
            "name_length",
            "item_count",
            "chunk_size",
            "out_nbytes",
        ] {
            assert!(is_length_name(n), "{n}");
        }
        for n in ["flags", "mode", "fd", "lenient", "_len", "capacity", "num"] {
            assert!(!is_length_name(n), "{n}");
        }
    }

    #[test]
    fn alloc_free_pair_by_prefix() {
        let b = block(parse_quote! {
            extern "C" {
                fn widget_new(name: *const c_char) -> *mut Widget;
                fn widget_free(w: *mut Widget);
                fn widget_poke(w: *mut Widget) -> i32;
            }
        });
        assert_eq!(
            get(&b, "widget_new").alloc_free_with.as_deref(),
            Some("widget_free")
        );
        assert_eq!(names(&get(&b, "widget_free").frees), ["w"]);
        assert_eq!(get(&b, "widget_poke"), &Ownership::default());
    }

    #[test]
    fn every_alloc_and_release_suffix_pairs() {
        for (a, r) in [
            ("x_create", "x_destroy"),
            ("x_alloc", "x_delete"),
            ("x_open", "x_close"),
            ("x_dup", "x_release"),
            ("x_clone", "x_unref"),
        ] {
            let (a, r) = (quote::format_ident!("{a}"), quote::format_ident!("{r}"));
            let b = block(parse_quote! { extern "C" { fn #a() -> *mut X; fn #r(x: *mut X); } });
            assert_eq!(get(&b, &a.to_string()).alloc_free_with, Some(r.to_string()));
            assert_eq!(names(&get(&b, &r.to_string()).frees), ["x"]);
        }
    }

    #[test]
    fn prefix_release_is_preferred_over_plain_free() {
        let b = block(parse_quote! {
            extern "C" {
                fn free(p: *mut c_void);
                fn buf_new(n: usize) -> *mut u8;
                fn buf_free(b: *mut u8);
                fn strdup(s: *const c_char) -> *mut c_char;
            }
        });
        assert_eq!(
            get(&b, "buf_new").alloc_free_with.as_deref(),
            Some("buf_free")
        );
        assert_eq!(get(&b, "strdup").alloc_free_with.as_deref(), Some("free"));
        assert_eq!(names(&get(&b, "free").frees), ["p"]);
        assert_eq!(names(&get(&b, "buf_free").frees), ["b"]);
    }

    #[test]
    fn plain_free_pairs_when_no_prefix_release() {
        let b = block(parse_quote! {
            extern "C" {
                fn cfg_open(path: *const c_char) -> *mut Cfg;
                fn free(p: *mut c_void);
            }
        });
        assert_eq!(get(&b, "cfg_open").alloc_free_with.as_deref(), Some("free"));
    }

    #[test]
    fn never_pairs_without_a_release_in_the_block() {
        let b = block(parse_quote! {
            extern "C" {
                fn widget_new() -> *mut Widget;
                fn gadget_free(g: *mut Gadget);
                fn strdup(s: *const c_char) -> *mut c_char;
            }
        });
        assert_eq!(get(&b, "widget_new").alloc_free_with, None);
        assert_eq!(get(&b, "strdup").alloc_free_with, None);
        assert!(get(&b, "gadget_free").frees.is_empty());
    }

    #[test]
    fn never_pairs_a_non_pointer_return_or_a_release_of_another_shape() {
        let b = block(parse_quote! {
            extern "C" {
                fn sock_open(port: u16) -> c_int;
                fn sock_close(fd: c_int) -> c_int;
                fn file_open(p: *const c_char) -> *mut File;
                fn file_close(f: *mut File, flags: c_int) -> c_int;
            }
        });
        for f in ["sock_open", "file_open"] {
            assert_eq!(get(&b, f).alloc_free_with, None, "{f}");
        }
        assert!(get(&b, "sock_close").frees.is_empty());
        assert!(get(&b, "file_close").frees.is_empty());
    }

    #[test]
    fn slice_by_adjacent_pointer_and_length() {
        let b = block(parse_quote! {
            extern "C" {
                fn w(buf: *const u8, len: usize);
                fn x(dst: *mut c_void, dst_size: libc::size_t, src: *const f64, count: c_int);
                fn y(s: *const std::ffi::c_char, n: usize);
                fn z(flags: *const bool, nelem: u32);
            }
        });
        assert_eq!(slices(get(&b, "w")), [("buf".into(), "len".into())]);
        assert_eq!(
            slices(get(&b, "x")),
            [
                ("dst".into(), "dst_size".into()),
                ("src".into(), "count".into())
            ]
        );
        assert_eq!(slices(get(&b, "y")), [("s".into(), "n".into())]);
        assert!(
            get(&b, "y").cstrs.is_empty(),
            "a c_char buffer with a length is no cstr"
        );
        assert_eq!(slices(get(&b, "z")), [("flags".into(), "nelem".into())]);
    }

    #[test]
    fn never_a_slice_for_struct_pointee_other_names_or_distance() {
        let b = block(parse_quote! {
            extern "C" {
                fn a(items: *const Item, len: usize);
                fn b(buf: *const u8, flags: usize);
                fn c(buf: *const u8, fd: c_int, len: usize);
                fn d(len: usize, buf: *const u8);
                fn e(buf: *const u8, len: f64);
                fn f(argv: *const *const c_char, count: usize);
                fn g(_: *const u8, len: usize);
            }
        });
        for f in ["a", "b", "c", "d", "e", "f", "g"] {
            assert!(get(&b, f).slices.is_empty(), "{f}");
        }
    }

    #[test]
    fn cstr_for_const_c_char_without_length() {
        let b = block(parse_quote! {
            extern "C" {
                fn getenv(name: *const libc::c_char) -> *mut c_char;
                fn fill(out: *mut c_char, cap: usize);
                fn put(s: *const core::ffi::c_char, fd: c_int);
                fn raw(s: *const u8);
            }
        });
        assert_eq!(names(&get(&b, "getenv").cstrs), ["name"]);
        assert!(get(&b, "fill").cstrs.is_empty());
        assert_eq!(slices(get(&b, "fill")), [("out".into(), "cap".into())]);
        assert_eq!(names(&get(&b, "put").cstrs), ["s"]);
        assert!(get(&b, "raw").cstrs.is_empty());
    }

    #[test]
    fn explicit_options_win() {
        let b = block(parse_quote! {
            extern "C" {
                #[ffi_guard(alloc(free = widget_destroy))]
                fn widget_new() -> *mut Widget;
                fn widget_free(w: *mut Widget);
                fn widget_destroy(w: *mut Widget);
                #[ffi_guard(cstr(s), nonnull(s))]
                fn put(s: *const c_char, len: usize);
                #[ffi_guard(consume(w))]
                fn pool_free(w: *mut Widget);
                fn pool_new() -> *mut Widget;
            }
        });
        assert_eq!(
            get(&b, "widget_new").alloc_free_with.as_deref(),
            Some("widget_destroy")
        );
        assert_eq!(names(&get(&b, "widget_destroy").frees), ["w"]);
        assert!(
            get(&b, "widget_free").frees.is_empty(),
            "no alloc names widget_free"
        );
        let put = get(&b, "put");
        assert!(put.slices.is_empty());
        assert_eq!(names(&put.cstrs), ["s"]);
        assert_eq!(names(&put.nonnull), ["s"]);
        let pool_free = get(&b, "pool_free");
        assert!(pool_free.frees.is_empty());
        assert_eq!(names(&pool_free.consumes), ["w"]);
    }

    #[test]
    fn explicit_and_inferred_compose_on_other_params() {
        let b = block(parse_quote! {
            extern "C" {
                #[ffi_guard(nonnull(buf), cstr(path))]
                fn wr(path: *const c_char, buf: *const u8, len: usize);
            }
        });
        let o = get(&b, "wr");
        assert_eq!(slices(o), [("buf".into(), "len".into())]);
        assert_eq!(names(&o.cstrs), ["path"]);
        assert_eq!(names(&o.nonnull), ["buf"]);
    }

    #[test]
    fn infer_false_turns_inference_off() {
        let b = block(parse_quote! {
            #[ffi_guard(infer = false)]
            extern "C" {
                fn widget_new() -> *mut Widget;
                fn widget_free(w: *mut Widget);
                fn put(s: *const c_char, buf: *const u8, len: usize);
                #[ffi_guard(free(p))]
                fn free(p: *mut c_void);
            }
        });
        assert_eq!(get(&b, "widget_new"), &Ownership::default());
        assert_eq!(get(&b, "widget_free"), &Ownership::default());
        assert_eq!(get(&b, "put"), &Ownership::default());
        assert_eq!(names(&get(&b, "free").frees), ["p"]);
    }

    #[test]
    fn skip_turns_every_check_off() {
        let b = block(parse_quote! {
            extern "C" {
                #[ffi_guard(skip)]
                fn widget_new(name: *const c_char) -> *mut Widget;
                fn widget_free(w: *mut Widget);
                #[ffi_guard(skip)]
                fn put(buf: *const u8, len: usize);
            }
        });
        assert_eq!(
            get(&b, "widget_new"),
            &Ownership {
                skip: true,
                ..Ownership::default()
            }
        );
        assert!(get(&b, "widget_free").frees.is_empty());
        assert!(get(&b, "put").skip && get(&b, "put").slices.is_empty());
    }

    #[test]
    fn exports_use_explicit_options_only() {
        let f: syn::ItemFn = parse_quote! {
            #[ffi_guard(free(w), on_error = -1)]
            #[unsafe(no_mangle)]
            extern "C" fn widget_free(w: *mut Widget, buf: *const u8, len: usize) -> i32 { 0 }
        };
        let o = export_ownership(&f.attrs).unwrap().unwrap();
        assert_eq!(names(&o.frees), ["w"]);
        assert!(o.slices.is_empty(), "no inference on exports");
        let plain: syn::ItemFn = parse_quote! { extern "C" fn f() {} };
        assert!(export_ownership(&plain.attrs).unwrap().is_none());
    }

    #[test]
    fn malformed_attribute_is_an_error() {
        let m: ItemForeignMod = parse_quote! { extern "C" { #[ffi_guard(bogus)] fn f(); } };
        let e = foreign_mod_ownership(&m).unwrap_err().to_string();
        assert!(e.starts_with("unknown option `bogus`"), "{e}");
    }

    #[test]
    fn safe_fns_take_part_in_inference() {
        // `widget_new` is a 2024 `safe fn` (verbatim tokens in syn): it still
        // pairs with `widget_free`, which then releases its pointer.
        let b = block(parse_quote! {
            unsafe extern "C" {
                safe fn widget_new() -> *mut Widget;
                fn widget_free(w: *mut Widget);
            }
        });
        assert_eq!(names(&get(&b, "widget_free").frees), ["w"]);
    }

    #[test]
    fn a_skipped_release_pairs_with_nothing() {
        // `skip` on the release opts it out of the ledger: an inferred pair
        // would then report every `widget_new` pointer as leaked although
        // the program releases it.
        let b = block(parse_quote! {
            extern "C" {
                fn widget_new() -> *mut Widget;
                #[ffi_guard(skip)]
                fn widget_free(w: *mut Widget);
            }
        });
        assert_eq!(get(&b, "widget_new").alloc_free_with, None);
        assert!(get(&b, "widget_free").skip);
    }
}
