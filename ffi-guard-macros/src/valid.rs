//! Every compile error the user can see, with its span, and every decision
//! the expansion needs: from [`Item`](crate::ast::Item) to [`Block`] or [`Export`].

use ffi_guard_syntax::infer::param_name;
use ffi_guard_syntax::types::{self, Scalar};
use ffi_guard_syntax::{FnOptions, Ownership, Place, parse_attrs, parse_options};
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt;
use syn::{
    Attribute, FnArg, ForeignItem, ForeignItemFn, Ident, ItemFn, ItemForeignMod, LitStr,
    ReturnType, Type,
};

use crate::ast::{Block, Check, Export, Import, OnError, Owned, Param, Refused, Returns};

/// Validates a guarded `extern` block against its options.
pub fn block(args: TokenStream, m: ItemForeignMod) -> syn::Result<Block> {
    let block_opts = parse_options(args, Place::Block)?.block;
    let rt = runtime_path(block_opts.krate.as_ref());
    let mut errors = Errors::default();

    // Every fn of the block, wrapped or not, takes part in inference, as in
    // the linter's reading of the same block.
    struct Decl {
        f: ForeignItemFn,
        safe: bool,
        opts: FnOptions,
        variadic: bool,
    }
    let mut decls: Vec<Decl> = Vec::new();
    // The raw block, in source order: `Ok(index into decls)` or an item that passes through.
    let mut order: Vec<Result<usize, ForeignItem>> = Vec::new();
    for item in m.items {
        let (mut f, safe) = match item {
            ForeignItem::Fn(f) => (f, false),
            ForeignItem::Verbatim(tokens) => match ffi_guard_syntax::parse_safe_fn(&tokens) {
                Some(f) => (f, true),
                None => {
                    order.push(Err(ForeignItem::Verbatim(tokens)));
                    continue;
                }
            },
            other => {
                order.push(Err(other));
                continue;
            }
        };
        let opts = match parse_attrs(&f.attrs, Place::ForeignFn) {
            Ok(o) => o.map(|o| o.func).unwrap_or_default(),
            Err(e) => {
                errors.push(e);
                FnOptions::default()
            }
        };
        f.attrs.retain(|a| !ffi_guard_syntax::is_ffi_guard_attr(a));
        let variadic = f.sig.variadic.is_some();
        order.push(Ok(decls.len()));
        decls.push(Decl {
            f,
            safe,
            opts,
            variadic,
        });
    }

    let conventions = crate::conventions::of_package()?;
    let pairs: Vec<_> = decls.iter().map(|d| (&d.f.sig, &d.opts)).collect();
    let resolved = ffi_guard_syntax::resolve_block_with(&pairs, block_opts.infer, &conventions);
    let sigs: Vec<&syn::Signature> = decls.iter().map(|d| &d.f.sig).collect();
    for d in &decls {
        let named = d.opts.alloc.iter().map(|a| (&a.free, "alloc(free = "));
        let named = named.chain(
            d.opts
                .alloc_out
                .iter()
                .map(|a| (&a.free, "alloc_out(.., free = ")),
        );
        for (free, shown) in named {
            errors.extend(check_release_named(free, shown, &sigs, &resolved).err());
        }
    }

    let mut imports = Vec::new();
    let mut raw_fns: Vec<Option<ForeignItem>> = Vec::new();
    for (d, own) in decls.iter().zip(resolved) {
        if d.variadic {
            // Variadics cannot be wrapped on stable: the declaration passes through.
            errors.extend(check_options(&d.f.sig, &d.opts).err());
            raw_fns.push(Some(ForeignItem::Fn(d.f.clone())));
            continue;
        }
        match import(d.f.clone(), d.safe, &d.opts, own) {
            Ok((raw, imp)) => {
                raw_fns.push(Some(ForeignItem::Fn(raw)));
                imports.push(imp);
            }
            Err(e) => {
                errors.push(e);
                raw_fns.push(None);
            }
        }
    }
    errors.finish()?;

    let raw_items = order
        .into_iter()
        .filter_map(|o| match o {
            Ok(i) => raw_fns[i].take(),
            Err(item) => Some(item),
        })
        .collect();
    let cfgs = m
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .cloned()
        .collect();
    Ok(Block {
        attrs: m.attrs,
        cfgs,
        unsafety: m.unsafety,
        abi: m.abi,
        brace: m.brace_token,
        raw_items,
        imports,
        rt,
    })
}

/// Validates a guarded export or callback against its options.
pub fn export(args: TokenStream, f: ItemFn) -> syn::Result<Export> {
    let sig = &f.sig;
    check_abi(sig)?;
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new_spanned(
            c,
            "`#[ffi_guard]` cannot guard a `const fn`",
        ));
    }
    if let Some(a) = &sig.asyncness {
        return Err(syn::Error::new_spanned(
            a,
            "`#[ffi_guard]` cannot guard an `async fn`",
        ));
    }
    let opts = parse_options(args, Place::Export)?;
    let rt = runtime_path(opts.block.krate.as_ref());
    let opts = opts.func;
    check_options(sig, &opts)?;
    let own = ffi_guard_syntax::resolve_explicit(&opts);
    let ret = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    let on_error = match &opts.on_error {
        Some(value) => OnError::Value(value.to_token_stream()),
        None if types::is_unit(&ret) => OnError::Unit,
        None => match default_value(&ret, true) {
            Some(v) => OnError::Value(v),
            None if matches!(ret, Type::Never(_)) => {
                return Err(syn::Error::new_spanned(
                    &ret,
                    format!(
                        "`{}` returns `!`, which has no value to return when its body panics or an argument is refused; \
                         add `on_error = std::process::abort()`: `#[ffi_guard(on_error = std::process::abort())]`",
                        sig.ident.unraw()
                    ),
                ));
            }
            None => {
                return Err(syn::Error::new_spanned(
                    &ret,
                    format!(
                        "`{}` returns `{}`, which has no value to return when its body panics or an argument is refused; \
                         add `on_error = VALUE`: `#[ffi_guard(on_error = VALUE)]`",
                        sig.ident.unraw(),
                        show(&ret)
                    ),
                ));
            }
        },
    };
    let params: Vec<(Ident, Type)> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(p) => Some((param_name(a)?.clone(), (*p.ty).clone())),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let checks = checks(&params, &own);
    let name = lit(&sig.ident);
    let owned = owned(&own, opts.alloc.as_ref().map(|_| &sig.ident));
    Ok(Export {
        owned,
        vis: f.vis,
        unsafe_body: sig.unsafety.is_some(),
        name,
        alloc_free_with: own
            .alloc_free_with
            .as_ref()
            .map(|s| LitStr::new(s, Span::call_site())),
        checks,
        skip: own.skip,
        on_error,
        ret,
        rt,
        brace_span: f.block.brace_token.span.join(),
        stmts: f.block.stmts,
        sig: f.sig,
        attrs: f.attrs,
    })
}

/// The wrapper of one foreign fn, and its renamed raw declaration.
fn import(
    mut raw: ForeignItemFn,
    safe: bool,
    opts: &FnOptions,
    own: Ownership,
) -> syn::Result<(ForeignItemFn, Import)> {
    check_options(&raw.sig, opts)?;
    let sig = &raw.sig;
    let fn_name = sig.ident.unraw().to_string();

    let params: Vec<Param> = sig
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match a {
            FnArg::Typed(p) => {
                let name = param_name(a)
                    .cloned()
                    .unwrap_or_else(|| format_ident!("__ffi_guard_arg{}", i));
                Some(Param {
                    name,
                    ty: (*p.ty).clone(),
                })
            }
            FnArg::Receiver(_) => None,
        })
        .collect();
    let named: Vec<(Ident, Type)> = params
        .iter()
        .map(|p| (p.name.clone(), p.ty.clone()))
        .collect();

    let mut own = own;
    if !own.soft_frees.is_empty() && refused(sig, opts, &own).is_err() {
        // Inference never makes a compile error: a soft release whose fn
        // has no value to return when refused is left unchecked.
        own.soft_frees.clear();
    }
    let on_refused = refused(sig, opts, &own)?;

    let (mut raw_attrs, mut wrapper_attrs) = (Vec::new(), Vec::new());
    let mut has_link_name = false;
    for attr in std::mem::take(&mut raw.attrs) {
        let path = attr.path();
        if path.is_ident("link_name") || path.is_ident("link_ordinal") {
            has_link_name |= path.is_ident("link_name");
            raw_attrs.push(attr);
        } else if path.is_ident("cfg") {
            raw_attrs.push(attr.clone());
            wrapper_attrs.push(attr);
        } else if path.is_ident("cfg_attr") && mentions_link_name(&attr) {
            raw_attrs.push(attr);
        } else {
            wrapper_attrs.push(attr);
        }
    }
    let link_name = LitStr::new(&fn_name, sig.ident.span());
    if !has_link_name {
        raw_attrs.insert(0, syn::parse_quote!(#[link_name = #link_name]));
    }
    let raw_ident = format_ident!("__ffi_guard_raw_{}", fn_name);

    let import = Import {
        attrs: wrapper_attrs,
        vis: raw.vis.clone(),
        safe,
        ident: raw.sig.ident.clone(),
        raw_ident: raw_ident.clone(),
        checks: checks(&named, &own),
        params,
        returns: match &raw.sig.output {
            ReturnType::Default => Returns::Unit,
            ReturnType::Type(_, ty) if types::is_unit(ty) => Returns::Unit,
            ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => Returns::Never,
            ReturnType::Type(..) => Returns::Value,
        },
        output: raw.sig.output.clone(),
        name: lit(&raw.sig.ident),
        alloc_free_with: own
            .alloc_free_with
            .as_ref()
            .map(|s| LitStr::new(s, Span::call_site())),
        skip: own.skip,
        on_refused,
        owned: owned(&own, opts.alloc.as_ref().map(|_| &raw.sig.ident)),
    };
    raw.attrs = raw_attrs;
    raw.vis = syn::Visibility::Inherited;
    raw.sig.ident = raw_ident;
    raw.sig.unsafety = None;
    Ok((raw, import))
}

/// What the wrapper returns when the runtime refuses the call.
fn refused(sig: &syn::Signature, opts: &FnOptions, own: &Ownership) -> syn::Result<Refused> {
    let ty = match &sig.output {
        _ if own.skip => return Ok(Refused::Unit),
        ReturnType::Default => return Ok(Refused::Unit),
        ReturnType::Type(_, ty) if types::is_unit(ty) => return Ok(Refused::Unit),
        ReturnType::Type(_, ty) => ty,
    };
    if let Some(v) = &opts.on_error {
        return Ok(Refused::Value(v.to_token_stream()));
    }
    if let Some(v) = default_value(ty, false) {
        return Ok(Refused::Value(v));
    }
    let released = own
        .frees
        .first()
        .or(own.soft_frees.first())
        .map(|p| ("free", p));
    let Some((what, p)) = released.or_else(|| own.consumes.first().map(|p| ("consume", p))) else {
        return Ok(Refused::Impossible);
    };
    let inferred = if opts.free.is_empty() && opts.consume.is_empty() {
        " (inferred: an allocating fn names it as its release)"
    } else {
        ""
    };
    Err(syn::Error::new_spanned(
        ty,
        format!(
            "`{what}({p})` on `{}`{inferred} needs a value to return when the runtime refuses the call, \
             and `{}` has none; add `on_error = VALUE`: `#[ffi_guard({what}({p}), on_error = VALUE)]`",
            sig.ident.unraw(),
            show(ty)
        ),
    ))
}

/// The explicit options against the signature: every named parameter exists
/// and has the right kind of type; `alloc` needs a pointer result.
fn check_options(sig: &syn::Signature, opts: &FnOptions) -> syn::Result<()> {
    let mut errors = Errors::default();
    let params: Vec<(String, &Type)> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(p) => Some((param_name(a)?.unraw().to_string(), &*p.ty)),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let fn_name = sig.ident.unraw().to_string();
    let lookup = |shown: &str, p: &Ident| -> syn::Result<&Type> {
        let wanted = p.unraw().to_string();
        if let Some((_, ty)) = params.iter().find(|(n, _)| *n == wanted) {
            return Ok(ty);
        }
        let expected = if params.is_empty() {
            format!("`{fn_name}` has no named parameters")
        } else {
            let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
            format!("expected one of: {}", names.join(", "))
        };
        Err(syn::Error::new(
            p.span(),
            format!("`{shown}` names no parameter of `{fn_name}`; {expected}"),
        ))
    };
    // What the signature shows is judged here; a type the macro cannot see
    // through (an alias: `z_streamp`, `uInt`) is judged by the compiler,
    // through the traits of `__private::param`, with the same words.
    let pointer = |shown: &str, p: &Ident, ty: &Type| -> syn::Result<()> {
        if !surely_not_pointer(ty) {
            return Ok(());
        }
        Err(syn::Error::new(
            p.span(),
            format!(
                "`{shown}` needs a raw pointer parameter, but `{}` has type `{}`",
                p.unraw(),
                show(ty)
            ),
        ))
    };
    let integer = |shown: &str, n: &Ident, ty: &Type| -> syn::Result<()> {
        if !surely_not_integer(ty) {
            return Ok(());
        }
        Err(syn::Error::new(
            n.span(),
            format!(
                "`{shown}` needs an integer length, but `{}` has type `{}`",
                n.unraw(),
                show(ty)
            ),
        ))
    };
    let lists = [
        ("free", &opts.free),
        ("consume", &opts.consume),
        ("cstr", &opts.cstr),
        ("nonnull", &opts.nonnull),
    ];
    for (option, list) in lists {
        for p in list {
            let shown = format!("{option}({})", p.unraw());
            match lookup(&shown, p) {
                Ok(ty) => errors.extend(pointer(&shown, p, ty).err()),
                Err(e) => errors.push(e),
            }
        }
    }
    let pairs = opts
        .slice
        .iter()
        .map(|s| ("slice", s))
        .chain(opts.text.iter().map(|s| ("text", s)));
    for (option, s) in pairs {
        let shown = format!("{option}({}, {})", s.ptr.unraw(), s.len.unraw());
        match lookup(&shown, &s.ptr) {
            Ok(ty) => errors.extend(pointer(&shown, &s.ptr, ty).err()),
            Err(e) => errors.push(e),
        }
        match lookup(&shown, &s.len) {
            Ok(ty) => errors.extend(integer(&shown, &s.len, ty).err()),
            Err(e) => errors.push(e),
        }
    }
    for a in &opts.alloc_out {
        let shown = format!("alloc_out({}, free = ..)", a.param.unraw());
        match lookup(&shown, &a.param) {
            Ok(ty) if !could_be_out_param(ty) => errors.push(syn::Error::new(
                a.param.span(),
                format!(
                    "`{shown}` needs an out-parameter `*mut *mut T`, but `{}` has type `{}`",
                    a.param.unraw(),
                    show(ty)
                ),
            )),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if let Some(alloc) = &opts.alloc {
        let found = match &sig.output {
            ReturnType::Default => Some("returns nothing".to_string()),
            ReturnType::Type(_, ty) if surely_not_pointer(ty) => {
                Some(format!("returns `{}`", show(ty)))
            }
            ReturnType::Type(..) => None,
        };
        if let Some(found) = found {
            errors.push(syn::Error::new(
                alloc.span,
                format!("`alloc(free = ..)` needs a fn that returns a raw pointer, but `{fn_name}` {found}"),
            ));
        }
    }
    errors.finish()
}

/// `alloc(free = F)` or `alloc_out(pp, free = F)` where `F` is declared in
/// the same block: `F` must release something and must not be `skip`, or
/// every pointer of the `alloc` would be reported as leaked although the
/// program frees it.
fn check_release_named(
    free: &syn::Path,
    shown: &str,
    sigs: &[&syn::Signature],
    resolved: &[Ownership],
) -> syn::Result<()> {
    if free.segments.len() != 1 {
        return Ok(());
    }
    let name = free.segments[0].ident.unraw().to_string();
    let Some(i) = sigs.iter().position(|s| s.ident.unraw() == name) else {
        return Ok(());
    };
    let own = &resolved[i];
    if own.skip {
        return Err(syn::Error::new_spanned(
            free,
            format!(
                "`{shown}{name})` names `{name}`, which is `skip`: the runtime never sees it release, \
                 so every pointer would be reported as leaked; remove `skip` from `{name}`"
            ),
        ));
    }
    if !own.frees.is_empty() || !own.consumes.is_empty() {
        return Ok(());
    }
    let param = sigs[i]
        .inputs
        .iter()
        .find_map(|a| match a {
            FnArg::Typed(p) if types::raw_pointer(&p.ty).is_some() => {
                param_name(a).map(|id| id.unraw().to_string())
            }
            _ => None,
        })
        .unwrap_or_else(|| "p".to_string());
    Err(syn::Error::new_spanned(
        free,
        format!(
            "`{shown}{name})` names `{name}`, which releases nothing in this block; \
             add `#[ffi_guard(free({param}))]` to `{name}`"
        ),
    ))
}

fn check_abi(sig: &syn::Signature) -> syn::Result<()> {
    const ABIS: [&str; 4] = ["C", "C-unwind", "system", "system-unwind"];
    let at = {
        let (fn_token, ident) = (&sig.fn_token, &sig.ident);
        quote!(#fn_token #ident)
    };
    match &sig.abi {
        Some(abi) => match &abi.name {
            None => Ok(()),
            Some(name) if ABIS.contains(&name.value().as_str()) => Ok(()),
            Some(name) => Err(syn::Error::new_spanned(
                name,
                format!(
                    "`#[ffi_guard]` guards functions that C calls; `extern \"{}\"` is not a C ABI: \
                     use `extern \"C\"`, `extern \"C-unwind\"` or `extern \"system\"`",
                    name.value()
                ),
            )),
        },
        None => Err(syn::Error::new_spanned(
            at,
            format!(
                "`#[ffi_guard]` on a fn guards C calling Rust, and `{}` is not `extern \"C\"`; add `extern \"C\"` \
                 (to guard Rust calling C, put `#[ffi_guard]` on the `extern \"C\" {{ .. }}` block)",
                sig.ident.unraw()
            ),
        )),
    }
}

/// The runtime calls, in order: every raw pointer, then the resolved options.
fn checks(params: &[(Ident, Type)], own: &Ownership) -> Vec<Check> {
    if own.skip {
        return Vec::new();
    }
    // Options name parameters by their user-written ident; the calls use the
    // signature's binding, found by name.
    // The binding's name at the option's span: errors about the option's
    // parameter point at the option.
    let param = |p: &Ident| {
        let wanted = p.unraw().to_string();
        let mut found = params
            .iter()
            .map(|(n, _)| n)
            .find(|n| n.unraw() == wanted)
            .cloned()
            .unwrap_or_else(|| p.clone());
        found.set_span(p.span());
        found
    };
    let mut out: Vec<Check> = params
        .iter()
        .filter_map(|(n, ty)| match types::raw_pointer(ty) {
            Some(p) if is_sized_pointee(p.pointee) => Some(Check::Pointer(n.clone())),
            Some(_) => None,
            // `z_streamp`, `voidpf`: a pointer once the alias is resolved.
            None if !surely_not_pointer(ty) && types::type_name(ty).is_some() => {
                Some(Check::MaybePointer(n.clone()))
            }
            None => None,
        })
        .collect();
    out.extend(own.nonnull.iter().map(|p| Check::NonNull(param(p))));
    out.extend(
        own.slices
            .iter()
            .map(|(p, n)| Check::Slice(param(p), param(n))),
    );
    out.extend(
        own.texts
            .iter()
            .map(|(p, n)| Check::Text(param(p), param(n))),
    );
    out.extend(own.cstrs.iter().map(|p| Check::Cstr(param(p))));
    out.extend(own.frees.iter().map(|p| Check::Release(param(p))));
    out.extend(own.soft_frees.iter().map(|p| Check::SoftRelease(param(p))));
    out.extend(own.consumes.iter().map(|p| Check::Consume(param(p))));
    out
}

/// What the call hands out, recorded after it. `alloc_fn`: the fn's name
/// when its `alloc` is explicit (its result type is then checked).
fn owned(own: &Ownership, alloc_fn: Option<&Ident>) -> Owned {
    if own.skip {
        return Owned::default();
    }
    let lits = |names: &[String]| {
        names
            .iter()
            .map(|n| LitStr::new(n, Span::call_site()))
            .collect::<Vec<_>>()
    };
    Owned {
        alloc_checked: alloc_fn.cloned(),
        tentative: own.tentative_alloc.as_deref().map(lits),
        out: own
            .alloc_out
            .iter()
            .map(|(p, f)| (p.clone(), LitStr::new(f, Span::call_site())))
            .collect(),
        tentative_out: own
            .tentative_alloc_out
            .iter()
            .map(|(p, names)| (p.clone(), lits(names)))
            .collect(),
        release_kept_on_error: own.release_kept_on_error,
    }
}

/// A type that the signature shows is no raw pointer: a primitive scalar, a
/// reference, an array, a tuple, a fn pointer, `!`. A path that is not a
/// primitive may be an alias of a pointer: the compiler decides.
fn surely_not_pointer(ty: &Type) -> bool {
    if types::raw_pointer(ty).is_some() {
        return false;
    }
    types::scalar(ty).is_some() || !matches!(strip(ty), Type::Path(_) | Type::Macro(_))
}

/// A type that the signature shows is no integer (see [`surely_not_pointer`]).
fn surely_not_integer(ty: &Type) -> bool {
    if types::is_integer(ty) {
        return false;
    }
    types::scalar(ty).is_some() || !matches!(strip(ty), Type::Path(_) | Type::Macro(_))
}

/// `*mut *mut T`, `*mut *const T`, or a path the compiler must judge.
fn could_be_out_param(ty: &Type) -> bool {
    match types::raw_pointer(ty) {
        Some(outer) => outer.mutable && !surely_not_pointer(outer.pointee),
        None => !surely_not_pointer(ty),
    }
}

fn strip(mut ty: &Type) -> &Type {
    while let Type::Paren(syn::TypeParen { elem, .. }) | Type::Group(syn::TypeGroup { elem, .. }) =
        ty
    {
        ty = elem;
    }
    ty
}

/// The value a return type has when nothing better is known: null, `None`,
/// `false`, and for imports zero.
fn default_value(ty: &Type, export: bool) -> Option<TokenStream> {
    if let Some(p) = types::raw_pointer(ty) {
        return Some(if p.mutable {
            quote!(::core::ptr::null_mut())
        } else {
            quote!(::core::ptr::null())
        });
    }
    if types::is_option(ty) {
        return Some(quote!(::core::option::Option::None));
    }
    match types::scalar(ty)? {
        Scalar::Bool => Some(quote!(false)),
        Scalar::Integer if !export => Some(quote!(0)),
        Scalar::Float if !export => Some(quote!(0.0)),
        _ => None,
    }
}

fn mentions_link_name(attr: &Attribute) -> bool {
    attr.meta.to_token_stream().into_iter().any(|t| match t {
        TokenTree::Group(g) => g
            .stream()
            .into_iter()
            .any(|t| matches!(t, TokenTree::Ident(i) if i == "link_name")),
        _ => false,
    })
}

/// Pointers to unsized pointees (`[T]`, `str`, `dyn Trait`) are fat; the
/// runtime takes thin ones.
fn is_sized_pointee(ty: &Type) -> bool {
    !matches!(
        ty,
        Type::Slice(_) | Type::TraitObject(_) | Type::ImplTrait(_)
    ) && types::type_name(ty).is_none_or(|n| n != "str")
}

fn runtime_path(krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(p) => quote!(#p::__private),
        None => quote!(::ffi_guard_rt::__private),
    }
}

/// A parameter or fn name as the runtime shows it: `r#type` is `type`.
pub(crate) fn lit(ident: &Ident) -> LitStr {
    LitStr::new(&ident.unraw().to_string(), ident.span())
}

/// A type as a user writes it, for messages: `*mut Widget`, not `* mut Widget`.
fn show(ty: &Type) -> String {
    let s = ty.to_token_stream().to_string();
    [
        (" :: ", "::"),
        (":: ", "::"),
        ("* ", "*"),
        ("& ", "&"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
    ]
    .iter()
    .fold(s, |s, (from, to)| s.replace(from, to))
}

/// Errors gathered across a block, so the user sees every one in one build.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    fn extend(&mut self, e: Option<syn::Error>) {
        if let Some(e) = e {
            self.push(e);
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn block_err(args: TokenStream, m: ItemForeignMod) -> String {
        match block(args, m) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn option_naming_a_missing_parameter() {
        let e = block_err(
            quote!(),
            parse_quote! { extern "C" { #[ffi_guard(free(p))] fn widget_free(w: *mut Widget); } },
        );
        assert_eq!(
            e,
            "`free(p)` names no parameter of `widget_free`; expected one of: w"
        );
    }

    #[test]
    fn slice_on_a_non_pointer_and_a_non_integer_length() {
        let e = block_err(
            quote!(),
            parse_quote! { extern "C" { #[ffi_guard(slice(n, buf))] fn w(buf: *const u8, n: usize); } },
        );
        assert_eq!(
            e,
            "`slice(n, buf)` needs a raw pointer parameter, but `n` has type `usize`"
        );
    }

    #[test]
    fn alloc_needs_a_pointer_result() {
        let e = block_err(
            quote!(),
            parse_quote! { extern "C" { #[ffi_guard(alloc(free = f))] fn count() -> i32; } },
        );
        assert_eq!(
            e,
            "`alloc(free = ..)` needs a fn that returns a raw pointer, but `count` returns `i32`"
        );
    }

    #[test]
    fn refused_release_needs_a_value() {
        let e = block_err(
            quote!(),
            parse_quote! { extern "C" { #[ffi_guard(free(w))] fn w_close(w: *mut W) -> Status; } },
        );
        assert!(
            e.starts_with("`free(w)` on `w_close` needs a value to return"),
            "{e}"
        );
        assert!(block(
            quote!(),
            parse_quote! { extern "C" { #[ffi_guard(free(w), on_error = Status::Ok)] fn w_close(w: *mut W) -> Status; } },
        )
        .is_ok());
    }

    #[test]
    fn alloc_names_a_release_that_releases() {
        let e = block_err(
            quote!(infer = false),
            parse_quote! {
                extern "C" {
                    #[ffi_guard(alloc(free = widget_free))]
                    fn widget_new() -> *mut W;
                    fn widget_free(w: *mut W);
                }
            },
        );
        assert_eq!(
            e,
            "`alloc(free = widget_free)` names `widget_free`, which releases nothing in this block; \
             add `#[ffi_guard(free(w))]` to `widget_free`"
        );
        // Inference makes the named function a release; a release elsewhere is not checked.
        for (args, m) in [
            (
                quote!(),
                parse_quote! { extern "C" { #[ffi_guard(alloc(free = widget_free))] fn widget_new() -> *mut W; fn widget_free(w: *mut W); } },
            ),
            (
                quote!(infer = false),
                parse_quote! { extern "C" { #[ffi_guard(alloc(free = free))] fn make() -> *mut W; } },
            ),
        ] {
            assert!(block(args, m).is_ok());
        }
    }

    #[test]
    fn safe_fn_is_read() {
        let b = block(
            quote!(),
            parse_quote! { unsafe extern "C" { pub safe fn abs(x: i32) -> i32; } },
        )
        .unwrap();
        assert!(b.imports[0].safe);
        assert_eq!(b.imports[0].ident, "abs");
    }

    #[test]
    fn variadics_and_statics_pass_through() {
        let b = block(
            quote!(),
            parse_quote! { extern "C" { fn printf(f: *const c_char, ...) -> c_int; static environ: *const *const c_char; } },
        )
        .unwrap();
        assert!(b.imports.is_empty());
        assert_eq!(b.raw_items.len(), 2);
    }

    #[test]
    fn export_needs_a_c_abi_and_an_error_value() {
        let e = export(quote!(), parse_quote! { pub fn f() {} })
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("add `extern \"C\"`"), "{e}");
        let e = export(
            quote!(),
            parse_quote! { pub extern "C" fn f() -> i32 { 0 } },
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("add `on_error = VALUE`"), "{e}");
        for f in [
            parse_quote! { extern "C" fn f() {} },
            parse_quote! { extern "C-unwind" fn f() -> *mut u8 { todo!() } },
            parse_quote! { extern "system" fn f() -> bool { true } },
            parse_quote! { extern fn f() -> Option<&'static u8> { None } },
        ] {
            assert!(export(quote!(), f).is_ok());
        }
    }
}
