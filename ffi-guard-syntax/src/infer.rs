//! The inference rules of SPEC §2 and their resolution against explicit
//! options: what each function of a block allocates, releases, consumes, and
//! reads as a slice or a C string. Its first law: inference never produces a
//! finding on a correct program; where a rule is unsure, it infers nothing.
//!
//! The rules:
//! - **Pairs.** A fn returning a raw pointer is an allocation when the
//!   conventions table ([`crate::conventions`], extended by the package's
//!   `pairs`) says so, or when it is named
//!   `PREFIX_new|_create|_alloc|_open|_dup|_clone` (or `strdup`, `strndup`);
//!   its release names are the table's, or `PREFIX_free|_destroy|_delete|
//!   _release|_close|_unref` (plain `free` for `strdup`/`strndup`, and for
//!   the others only when the block declares it and no `PREFIX_` release).
//!   A table entry marked borrowed is never an allocation. Out-parameters
//!   pair the same way: the table's (`sqlite3_open_v2`'s `ppDb`), or the one
//!   `*mut *mut T` parameter (`T` not a byte, `c_char` or `c_void`) of a fn
//!   so named that returns no pointer.
//! - When the release is declared in the same block (taking exactly one
//!   raw pointer, not `skip`), the pair is certain: `alloc(free = F)` /
//!   `alloc_out(pp, free = F)` and `free(p)` on `F`. When it is not
//!   (bindgen emits one fn per block), the pair is *tentative*
//!   ([`Ownership::tentative_alloc`], [`Ownership::tentative_alloc_out`]):
//!   the runtime records the pointer, lets any guarded release take it,
//!   and reports it as a leak only once one of its release names has been
//!   called in the process. A release-shaped fn whose name is a release name
//!   (`PREFIX_free`, ..., `free`, or the table's) that no allocation of its
//!   block names is a *soft* release ([`Ownership::soft_frees`]): it releases
//!   only pointers that an allocation paired with it returned, and is a plain
//!   call for every other pointer. No finding comes from a pair that does
//!   not exist.
//! - **Slices.** An adjacent `(pointer, integer)` pair is a `slice` when the
//!   pointee is a primitive, `c_void` or `c_char` (a buffer, never a struct)
//!   and the integer's name is `len|n|count|size|length|nbytes|nelem|cap`,
//!   or the pointer's own name followed by `_len|_length|_count|_size|
//!   _nbytes|Len|Size` (`buf, buf_len`; `data, dataLen`). `version,
//!   stream_size` is no slice: the suffix belongs to another word.
//! - **C strings.** A `*const c_char` parameter is a `cstr` when no parameter
//!   follows it, or the next one is a raw pointer, a float or a `bool`.
//!   Followed by an integer that is not its length (`zSql, nByte`; `arg3,
//!   arg4`) or by a type it cannot see through (an alias), nothing is
//!   inferred: the integer may be its length.
//!
//! Explicit options win: an inferred fact is dropped when an explicit option
//! already says something about the same parameter (or, for `alloc`/`free`,
//! the same function). `infer = false` turns inference off; `skip` turns
//! every check of its function off, and a `skip` release pairs with no alloc.

use std::borrow::Cow;

use syn::{FnArg, ForeignItemFn, Ident, ItemForeignMod, Pat, Signature};

use crate::conventions::{Conventions, Role};
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
    /// `alloc_out(pp, free = F)`: out-parameters that receive an owned
    /// pointer, with the release function.
    pub alloc_out: Vec<(Ident, String)>,
    /// `text(p, n)`: `n` bytes, or a C string when `n` is negative.
    pub texts: Vec<(Ident, Ident)>,
    /// An inferred allocation whose release is not declared in this block:
    /// the names that may release it (see the module docs).
    pub tentative_alloc: Option<Vec<String>>,
    /// Inferred out-parameter allocations whose release is not declared in
    /// this block, with the names that may release them.
    pub tentative_alloc_out: Vec<(Ident, Vec<String>)>,
    /// Release-shaped parameters that release only what a paired allocation
    /// returned (see the module docs).
    pub soft_frees: Vec<Ident>,
    /// The conventions say the result is borrowed: it never leaks.
    pub borrowed: bool,
    /// The release may fail and keep its object (`sqlite3_close` with
    /// unfinalized statements): it counts only when the call returns 0.
    pub release_kept_on_error: bool,
}

const ALLOC_SUFFIXES: &[&str] = &["_new", "_create", "_alloc", "_open", "_dup", "_clone"];
const RELEASE_SUFFIXES: &[&str] = &[
    "_free", "_destroy", "_delete", "_release", "_close", "_unref",
];
const LENGTH_NAMES: &[&str] = &[
    "len", "n", "count", "size", "length", "nbytes", "nelem", "cap",
];
const LENGTH_SUFFIXES: &[&str] = &[
    "_len", "_length", "_count", "_size", "_nbytes", "Len", "Size",
];

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

/// `len|n|count|size|length|nbytes|nelem|cap`: a length of whatever buffer
/// precedes it.
pub fn is_length_name(name: &str) -> bool {
    LENGTH_NAMES.contains(&name)
}

/// Whether `len` names the length of the pointer parameter `ptr`: a plain
/// length name, or `ptr` followed by `_len|_length|_count|_size|_nbytes|Len|Size`.
pub fn is_length_of(ptr: &str, len: &str) -> bool {
    is_length_name(len)
        || len
            .strip_prefix(ptr)
            .is_some_and(|suffix| LENGTH_SUFFIXES.contains(&suffix))
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
/// function `sigs[alloc]`, if the naming rule makes them a pair in one block.
pub fn paired_release(sigs: &[&Signature], alloc: usize) -> Option<usize> {
    let sig = sigs.get(alloc)?;
    if !returns_pointer(sig) {
        return None;
    }
    let names = naming_release_names(&sig.ident.unraw_string())?;
    release_in(sigs, &names, true)
}

/// What the rules say one fn allocates and releases, before looking at
/// where its release is declared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Pairing {
    /// The result is owned; release names in order of preference.
    alloc: Option<Vec<String>>,
    /// Out-parameters that receive an owned pointer: index and release names.
    alloc_out: Vec<(usize, Vec<String>)>,
    /// The fn releases its one pointer parameter.
    release: bool,
    borrowed: bool,
}

fn pairing(sig: &Signature, conv: &Conventions) -> Pairing {
    let name = sig.ident.unraw_string();
    let mut out = Pairing::default();
    let role = conv.role(&name);
    let known = role.is_some();
    match role {
        Some(Role::Borrowed) => {
            out.borrowed = true;
            return out;
        }
        Some(Role::Allocates { free }) if returns_pointer(sig) => out.alloc = Some(free),
        Some(Role::AllocatesOut { param, free }) if is_out_param(sig, param) => {
            out.alloc_out.push((param, free));
        }
        Some(Role::Releases) => out.release = is_release_shape(sig),
        _ => {}
    }
    if !known {
        if let Some(names) = naming_release_names(&name) {
            if returns_pointer(sig) {
                out.alloc = Some(names);
            } else if let Some(i) = lone_out_param(sig) {
                out.alloc_out.push((i, names));
            }
        }
        out.release = release_prefix(&name).is_some() && is_release_shape(sig);
    }
    out
}

/// The naming rule's release names for an allocating name, `PREFIX_` ones
/// first, then plain `free` (which pairs only when declared in the block
/// and no `PREFIX_` one is).
fn naming_release_names(name: &str) -> Option<Vec<String>> {
    let prefix = alloc_prefix(name)?;
    let mut names: Vec<String> = if prefix.is_empty() {
        Vec::new()
    } else {
        RELEASE_SUFFIXES
            .iter()
            .map(|s| format!("{prefix}{s}"))
            .collect()
    };
    names.push("free".to_owned());
    Some(names)
}

/// The first of `names` declared in `sigs` as a release (one raw pointer
/// parameter). Plain `free` counts only when `with_free`.
fn release_in(sigs: &[&Signature], names: &[String], with_free: bool) -> Option<usize> {
    names
        .iter()
        .filter(|n| with_free || *n != "free")
        .find_map(|n| {
            sigs.iter()
                .position(|s| s.ident.unraw_string() == *n && is_release_shape(s))
        })
}

/// `*mut *mut T` / `*mut *const T` at parameter `i`.
fn is_out_param(sig: &Signature, i: usize) -> bool {
    let Some(FnArg::Typed(p)) = sig.inputs.iter().nth(i) else {
        return false;
    };
    types::raw_pointer(&p.ty)
        .filter(|outer| outer.mutable)
        .and_then(|outer| types::raw_pointer(outer.pointee))
        .is_some()
}

/// The one out-parameter of a fn returning no pointer, when its pointee's
/// pointee is an object (never a byte, `c_char` or `c_void` buffer, which
/// could be anything).
fn lone_out_param(sig: &Signature) -> Option<usize> {
    if returns_pointer(sig) {
        return None;
    }
    let outs: Vec<usize> = (0..sig.inputs.len())
        .filter(|&i| is_out_param(sig, i))
        .collect();
    let [i] = outs.as_slice() else { return None };
    let FnArg::Typed(p) = sig.inputs.iter().nth(*i)? else {
        return None;
    };
    let inner = types::raw_pointer(types::raw_pointer(&p.ty)?.pointee)?;
    (!types::is_buffer_pointee(inner.pointee) && types::raw_pointer(inner.pointee).is_none())
        .then_some(*i)
}

/// The `slice` pairs the rules find in one signature: adjacent
/// `(buffer pointer, length of it)` parameters.
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
                && is_length_of(&ptr_name.unraw_string(), &len_name.unraw_string());
            is_slice.then(|| (ptr_name.clone(), len_name.clone()))
        })
        .collect()
}

/// The `cstr` parameters the rules find in one signature: `*const c_char`
/// parameters followed by nothing, a raw pointer, a float or a `bool`.
pub fn inferred_cstrs(sig: &Signature) -> Vec<Ident> {
    let params: Vec<&FnArg> = sig.inputs.iter().collect();
    params
        .iter()
        .enumerate()
        .filter_map(|(i, arg)| {
            let FnArg::Typed(p) = arg else { return None };
            let name = param_name(arg)?;
            if !types::is_const_c_char_ptr(&p.ty) {
                return None;
            }
            let next_is_no_length = match params.get(i + 1) {
                None => true,
                Some(FnArg::Typed(n)) => {
                    types::raw_pointer(&n.ty).is_some()
                        || types::is_float(&n.ty)
                        || types::is_bool(&n.ty)
                }
                Some(FnArg::Receiver(_)) => false,
            };
            next_is_no_length.then(|| name.clone())
        })
        .collect()
}

/// Resolves every function of one block: explicit options, plus inference
/// over the whole block when `infer` is on, with the built-in conventions.
/// One result per input, in order.
pub fn resolve_block(fns: &[(&Signature, &FnOptions)], infer: bool) -> Vec<Ownership> {
    resolve_block_with(fns, infer, &Conventions::builtin())
}

/// [`resolve_block`] with a package's conventions.
pub fn resolve_block_with(
    fns: &[(&Signature, &FnOptions)],
    infer: bool,
    conv: &Conventions,
) -> Vec<Ownership> {
    let sigs: Vec<&Signature> = fns.iter().map(|(s, _)| *s).collect();
    let mut out: Vec<Ownership> = fns.iter().map(|(_, o)| resolve_explicit(o)).collect();
    if !infer {
        return out;
    }
    let pairings: Vec<Pairing> = sigs.iter().map(|s| pairing(s, conv)).collect();
    // A `skip` release is out of the ledger: pairing with it would report
    // every pointer of the alloc as leaked.
    let usable = |r: usize| !fns[r].1.skip;
    // Release functions named by an allocation, explicit or inferred, whose
    // own options say nothing about releasing: their one pointer is `free`d.
    let mut releases: Vec<usize> = Vec::new();
    for (i, (sig, opts)) in fns.iter().enumerate() {
        if opts.skip {
            continue;
        }
        let pair = &pairings[i];
        out[i].borrowed = pair.borrowed;
        if opts.alloc.is_none()
            && let Some(names) = &pair.alloc
        {
            match release_in(&sigs, names, true).filter(|&r| usable(r)) {
                Some(r) => out[i].alloc_free_with = Some(sigs[r].ident.unraw_string()),
                None => out[i].tentative_alloc = Some(tentative(names)),
            }
        }
        for (p, names) in &pair.alloc_out {
            let Some(param) = sig.inputs.iter().nth(*p).and_then(param_name) else {
                continue;
            };
            if opts.alloc_out.iter().any(|a| a.param == *param) {
                continue;
            }
            match release_in(&sigs, names, true).filter(|&r| usable(r)) {
                Some(r) => out[i]
                    .alloc_out
                    .push((param.clone(), sigs[r].ident.unraw_string())),
                None => out[i]
                    .tentative_alloc_out
                    .push((param.clone(), tentative(names))),
            }
        }
        let named = out[i]
            .alloc_free_with
            .iter()
            .chain(out[i].alloc_out.iter().map(|(_, f)| f));
        for free_with in named {
            if let Some(r) = sigs
                .iter()
                .position(|s| s.ident.unraw_string() == *free_with)
            {
                releases.push(r);
            }
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
    for &r in &releases {
        let (sig, opts) = fns[r];
        let explicit = !opts.free.is_empty() || !opts.consume.is_empty();
        if opts.skip || explicit || !is_release_shape(sig) || !out[r].frees.is_empty() {
            continue;
        }
        if let Some(p) = sig.inputs.first().and_then(param_name) {
            out[r].frees.push(p.clone());
        }
    }
    for (r, (sig, opts)) in fns.iter().enumerate() {
        let explicit = !opts.free.is_empty() || !opts.consume.is_empty();
        if opts.skip || explicit || !pairings[r].release || !out[r].frees.is_empty() {
            continue;
        }
        if let Some(p) = sig.inputs.first().and_then(param_name) {
            out[r].soft_frees.push(p.clone());
        }
    }
    for (o, sig) in out.iter_mut().zip(&sigs) {
        let releases = !o.frees.is_empty() || !o.soft_frees.is_empty();
        o.release_kept_on_error = releases
            && crate::conventions::release_kept_on_error(&sig.ident.unraw_string())
            && matches!(&sig.output, syn::ReturnType::Type(_, ty) if types::is_integer(ty));
    }
    out
}

/// The release names of a tentative pair: plain `free` only for the
/// allocations that name nothing else (`strdup`), since the crate may call
/// `free` for anything.
fn tentative(names: &[String]) -> Vec<String> {
    let own: Vec<String> = names.iter().filter(|n| *n != "free").cloned().collect();
    if own.is_empty() { names.to_vec() } else { own }
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
        alloc_out: opts
            .alloc_out
            .iter()
            .map(|a| (a.param.clone(), a.free_name()))
            .collect(),
        texts: opts
            .text
            .iter()
            .map(|s| (s.ptr.clone(), s.len.clone()))
            .collect(),
        ..Ownership::default()
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
    foreign_mod_ownership_with(m, &Conventions::builtin())
}

/// [`foreign_mod_ownership`] with a package's conventions.
pub fn foreign_mod_ownership_with<'m>(
    m: &'m ItemForeignMod,
    conv: &Conventions,
) -> syn::Result<Vec<(&'m ForeignItemFn, Ownership)>> {
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
    let resolved = resolve_block_with(&pairs, block.infer, conv);
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
    let slices = opts
        .slice
        .iter()
        .chain(&opts.text)
        .flat_map(|s| [&s.ptr, &s.len]);
    opts.free
        .iter()
        .chain(&opts.consume)
        .chain(&opts.cstr)
        .chain(opts.alloc_out.iter().map(|a| &a.param))
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
        for (p, n) in [
            ("buf", "buf_len"),
            ("name", "name_length"),
            ("item", "item_count"),
            ("chunk", "chunk_size"),
            ("out", "out_nbytes"),
            ("data", "dataLen"),
            ("buf", "bufSize"),
            ("anything", "len"),
        ] {
            assert!(is_length_of(p, n), "{p}, {n}");
        }
        // A suffix belongs to the pointer's own name, never to another word.
        for (p, n) in [
            ("version", "stream_size"),
            ("zSql", "nByte"),
            ("arg3", "arg4"),
            ("buf", "buf_lenient"),
            ("buf", "flags"),
            ("buf", "capacity"),
            ("buf", "num"),
            ("buf", "_len"),
        ] {
            assert!(!is_length_of(p, n), "{p}, {n}");
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
                fn two(a: *const c_char, b: *const c_char, scale: f64);
                fn aliased(path: *const c_char, mode: mode_t);
            }
        });
        assert_eq!(names(&get(&b, "getenv").cstrs), ["name"]);
        assert!(get(&b, "fill").cstrs.is_empty());
        assert_eq!(slices(get(&b, "fill")), [("out".into(), "cap".into())]);
        // Followed by an integer that may be its length: nothing inferred.
        assert!(get(&b, "put").cstrs.is_empty());
        assert!(get(&b, "raw").cstrs.is_empty());
        assert_eq!(names(&get(&b, "two").cstrs), ["a", "b"]);
        assert!(get(&b, "aliased").cstrs.is_empty());
    }

    #[test]
    fn real_signatures_infer_nothing_unsure() {
        let b = block(parse_quote! {
            extern "C" {
                pub fn deflateInit_(strm: z_streamp, level: c_int, version: *const c_char, stream_size: c_int) -> c_int;
                pub fn sqlite3_prepare_v3(db: *mut sqlite3, zSql: *const c_char, nByte: c_int, prepFlags: c_uint, ppStmt: *mut *mut sqlite3_stmt, pzTail: *mut *const c_char) -> c_int;
                pub fn sqlite3_bind_text(arg1: *mut sqlite3_stmt, arg2: c_int, arg3: *const c_char, arg4: c_int, arg5: Option<unsafe extern "C" fn(*mut c_void)>) -> c_int;
                pub fn write_all(data: *const u8, dataLen: usize, buf: *mut c_void, bufSize: u32);
            }
        });
        let d = get(&b, "deflateInit_");
        assert!(d.slices.is_empty() && d.cstrs.is_empty(), "{d:?}");
        let p = get(&b, "sqlite3_prepare_v3");
        assert!(p.slices.is_empty() && p.cstrs.is_empty(), "{p:?}");
        assert_eq!(
            p.tentative_alloc_out,
            [(
                quote::format_ident!("ppStmt"),
                vec!["sqlite3_finalize".to_string()]
            )]
        );
        let t = get(&b, "sqlite3_bind_text");
        assert!(t.slices.is_empty() && t.cstrs.is_empty(), "{t:?}");
        assert_eq!(
            slices(get(&b, "write_all")),
            [
                ("data".into(), "dataLen".into()),
                ("buf".into(), "bufSize".into())
            ]
        );
    }

    #[test]
    fn pairs_across_blocks_are_tentative() {
        // bindgen: one fn per block. The allocation names its possible
        // releases; the release releases only what such a pairing returned.
        let a = block(parse_quote! { extern "C" { pub fn widget_new() -> *mut Widget; } });
        let w = get(&a, "widget_new");
        assert_eq!(w.alloc_free_with, None);
        let releases = w.tentative_alloc.clone().unwrap();
        assert_eq!(releases[0], "widget_free");
        assert!(!releases.contains(&"free".to_string()), "{releases:?}");
        let r = block(parse_quote! { extern "C" { pub fn widget_free(w: *mut Widget); } });
        assert!(get(&r, "widget_free").frees.is_empty());
        assert_eq!(names(&get(&r, "widget_free").soft_frees), ["w"]);
        // strdup pairs with plain `free` only.
        let s = block(parse_quote! { extern "C" { fn strdup(s: *const c_char) -> *mut c_char; } });
        assert_eq!(
            get(&s, "strdup").tentative_alloc,
            Some(vec!["free".to_string()])
        );
        // The table: sqlite3_malloc64 is an alloc(free = sqlite3_free).
        let m = block(parse_quote! {
            extern "C" {
                pub fn sqlite3_malloc64(arg1: sqlite3_uint64) -> *mut c_void;
                pub fn sqlite3_free(arg1: *mut c_void);
                pub fn sqlite3_column_text(arg1: *mut sqlite3_stmt, iCol: c_int) -> *const c_uchar;
                pub fn sqlite3_open_v2(filename: *const c_char, ppDb: *mut *mut sqlite3, flags: c_int, zVfs: *const c_char) -> c_int;
                pub fn sqlite3_close_v2(arg1: *mut sqlite3) -> c_int;
            }
        });
        assert_eq!(
            get(&m, "sqlite3_malloc64").alloc_free_with.as_deref(),
            Some("sqlite3_free")
        );
        assert_eq!(names(&get(&m, "sqlite3_free").frees), ["arg1"]);
        let col = get(&m, "sqlite3_column_text");
        assert!(col.borrowed && col.tentative_alloc.is_none());
        assert_eq!(
            get(&m, "sqlite3_open_v2").alloc_out,
            [(quote::format_ident!("ppDb"), "sqlite3_close_v2".to_string())]
        );
        assert_eq!(names(&get(&m, "sqlite3_close_v2").frees), ["arg1"]);
        assert!(!get(&m, "sqlite3_close_v2").release_kept_on_error);
        let c = block(
            parse_quote! { extern "C" { pub fn sqlite3_close(arg1: *mut sqlite3) -> c_int; } },
        );
        assert!(get(&c, "sqlite3_close").release_kept_on_error);
        assert_eq!(names(&get(&c, "sqlite3_close").soft_frees), ["arg1"]);
    }

    #[test]
    fn out_parameters_by_name() {
        let b = block(parse_quote! {
            extern "C" {
                fn git_repository_open(out: *mut *mut git_repository, path: *const c_char) -> c_int;
                fn buf_open(out: *mut *mut c_char, n: usize) -> c_int;
                fn two_open(a: *mut *mut A, b: *mut *mut B) -> c_int;
            }
        });
        assert_eq!(
            get(&b, "git_repository_open").tentative_alloc_out[0].1[0],
            "git_repository_free"
        );
        assert!(get(&b, "buf_open").tentative_alloc_out.is_empty());
        assert!(get(&b, "two_open").tentative_alloc_out.is_empty());
    }

    #[test]
    fn package_pairs_extend_the_table() {
        let conv = Conventions::with_config(crate::Config {
            pairs: vec![("acme_get".into(), "acme_put".into())],
            borrowed: vec!["widget_new".into()],
        });
        let m: ItemForeignMod = parse_quote! {
            extern "C" {
                fn acme_get() -> *mut Acme;
                fn acme_put(a: *mut Acme);
                fn widget_new() -> *mut Widget;
                fn widget_free(w: *mut Widget);
            }
        };
        let b: Vec<(String, Ownership)> = foreign_mod_ownership_with(&m, &conv)
            .unwrap()
            .into_iter()
            .map(|(f, o)| (f.sig.ident.to_string(), o))
            .collect();
        assert_eq!(
            get(&b, "acme_get").alloc_free_with.as_deref(),
            Some("acme_put")
        );
        assert_eq!(names(&get(&b, "acme_put").frees), ["a"]);
        assert!(get(&b, "widget_new").borrowed);
        assert_eq!(get(&b, "widget_new").alloc_free_with, None);
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
