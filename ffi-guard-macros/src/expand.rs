//! Code generation only: every decision was taken in `valid`. The shapes
//! written here are the ones documented in `ffi_guard_rt::__private`.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ForeignItem, ItemForeignMod, LitStr};

use crate::ast::{Block, Check, Export, Import, OnError, Refused, Returns};

/// The raw block of renamed declarations, then one wrapper per fn.
pub fn block(b: &Block) -> TokenStream {
    let Block { attrs, cfgs, unsafety, abi, brace, raw_items, imports, rt } = b;
    let mut raw = TokenStream::new();
    brace.surround(&mut raw, |tokens| {
        for item in raw_items {
            item.to_tokens(tokens);
        }
    });
    let wrappers = imports.iter().map(|i| import(i, cfgs, rt));
    quote! {
        #(#attrs)*
        #unsafety #abi #raw
        #(#wrappers)*
    }
}

/// The export rebuilt around its own body, keeping its signature, attributes
/// and brace span, so rustc's errors in the body still point at user code.
pub fn export(e: &Export) -> TokenStream {
    let Export { attrs, vis, sig, brace_span, stmts, unsafe_body, name, alloc_free_with, checks, skip, on_error, ret, rt } =
        e;
    let info = fn_info(rt, name, alloc_free_with.as_ref());
    // A `Location` built at the fn's name: the site of an export's findings
    // is its own definition.
    let site = quote_spanned!(sig.ident.span()=> ::core::panic::Location::caller());
    let err_fn = match on_error {
        OnError::Unit => None,
        OnError::Value(v) => {
            // Checked once, at the value's own span: a wrong type points at it.
            let checked = quote_spanned!(v.span()=> || -> #ret { #v });
            Some(quote!(let __ffi_guard_err = #checked;))
        }
    };
    let err = match on_error {
        OnError::Unit => quote!(()),
        OnError::Value(_) => quote!(__ffi_guard_err()),
    };
    let checks = checks.iter().map(check);
    let proceed = (!skip).then(|| quote!(if !__g.proceed() { return #err; }));
    let output = match &sig.output {
        syn::ReturnType::Default => TokenStream::new(),
        syn::ReturnType::Type(arrow, ty) => quote!(#arrow #ty),
    };
    let body = if *unsafe_body {
        quote!({ unsafe { #(#stmts)* } })
    } else {
        quote!({ #(#stmts)* })
    };
    let returned = alloc_free_with.is_some().then(|| quote!(__g.returned(__r);));
    let inner = quote! {
        #info
        let mut __g = #rt::Export::new(&__FFI_GUARD_FN, #site);
        #err_fn
        #(#checks)*
        #proceed
        // The body of an `unsafe fn` keeps its unsafe context; its own
        // unsafe blocks stay as they were written.
        #[allow(unused_unsafe)]
        let __ffi_guard_body = move || #output #body;
        match __g.run(__ffi_guard_body) {
            ::core::option::Option::Some(__r) => { #returned __r }
            ::core::option::Option::None => #err,
        }
    };
    let mut group = Group::new(Delimiter::Brace, inner);
    group.set_span(*brace_span);
    quote! {
        #(#attrs)*
        #vis #sig #group
    }
}

/// What is emitted after a `compile_error!`: the item as written, without the
/// per-fn `#[ffi_guard(...)]` lists of a block, so that the one error is all
/// the user sees (call sites still resolve; no attribute runs again).
pub fn fallback(item: TokenStream) -> TokenStream {
    let Ok(mut m) = syn::parse2::<ItemForeignMod>(item.clone()) else {
        return item;
    };
    for i in &mut m.items {
        match i {
            ForeignItem::Fn(f) => f.attrs.retain(|a| !ffi_guard_syntax::is_ffi_guard_attr(a)),
            ForeignItem::Verbatim(tokens) => *tokens = strip_attr_tokens(tokens.clone()),
            _ => {}
        }
    }
    m.into_token_stream()
}

fn import(i: &Import, cfgs: &[syn::Attribute], rt: &TokenStream) -> TokenStream {
    let Import {
        attrs,
        vis,
        safe,
        ident,
        raw_ident,
        params,
        output,
        returns,
        name,
        alloc_free_with,
        checks,
        skip,
        on_refused,
    } = i;
    let unsafety = (!safe).then(|| quote!(unsafe));
    let names: Vec<_> = params.iter().map(|p| &p.name).collect();
    let tys = params.iter().map(|p| &p.ty);
    let call = quote!(unsafe { #raw_ident(#(#names),*) });
    let errno = quote!(#rt::capture_errno(););
    let body = if *skip {
        match returns {
            Returns::Unit => quote! { #call; #errno },
            Returns::Never => quote! { #call },
            Returns::Value => quote! { let __r = #call; #errno __r },
        }
    } else {
        let info = fn_info(rt, name, alloc_free_with.as_ref());
        let checks = checks.iter().map(check);
        let proceed = match on_refused {
            Refused::Unit => quote!(if !__g.proceed() { return; }),
            Refused::Value(v) => quote!(if !__g.proceed() { return #v; }),
            Refused::NeverRefused => quote!(__g.proceed();),
        };
        let returned = alloc_free_with.is_some().then(|| quote!(__g.returned(__r);));
        let call_and_record = match returns {
            Returns::Unit => quote! { #call; #errno __g.done(); },
            Returns::Never => quote! { __g.done(); #call },
            Returns::Value => quote! { let __r = #call; #errno #returned __g.done(); __r },
        };
        quote! {
            #info
            let mut __g = #rt::Call::new(&__FFI_GUARD_FN, #rt::Location::caller());
            #(#checks)*
            #proceed
            #call_and_record
        }
    };
    quote! {
        #(#cfgs)*
        #(#attrs)*
        #[allow(dead_code, clippy::missing_safety_doc, clippy::too_many_arguments)]
        #[track_caller]
        #[inline]
        #vis #unsafety fn #ident(#(#names: #tys),*) #output {
            #body
        }
    }
}

fn fn_info(rt: &TokenStream, name: &LitStr, free_with: Option<&LitStr>) -> TokenStream {
    let free_with = match free_with {
        Some(f) => quote!(::core::option::Option::Some(#f)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        static __FFI_GUARD_FN: #rt::FnInfo = #rt::FnInfo::new(#name, #free_with);
    }
}

fn check(c: &Check) -> TokenStream {
    let s = |p: &syn::Ident| LitStr::new(&syn::ext::IdentExt::unraw(p).to_string(), p.span());
    match c {
        Check::Pointer(p) => {
            let ps = s(p);
            quote!(__g.pointer(#p, #ps);)
        }
        Check::NonNull(p) => {
            let ps = s(p);
            quote!(__g.nonnull(#p, #ps);)
        }
        Check::Slice(p, n) => {
            let (ps, ns) = (s(p), s(n));
            quote!(__g.slice(#p, #n as usize, #ps, #ns);)
        }
        Check::Cstr(p) => {
            let ps = s(p);
            quote!(__g.cstr(#p, #ps);)
        }
        Check::Release(p) => {
            let ps = s(p);
            quote!(__g.release(#p, #ps);)
        }
        Check::Consume(p) => {
            let ps = s(p);
            quote!(__g.consume(#p, #ps);)
        }
    }
}

/// Removes `#[ffi_guard...]` / `#[path::ffi_guard...]` attributes from raw
/// item tokens (a `safe fn`, which syn keeps verbatim).
fn strip_attr_tokens(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        if let (TokenTree::Punct(p), Some(TokenTree::Group(g))) = (&trees[i], trees.get(i + 1))
            && p.as_char() == '#'
            && g.delimiter() == Delimiter::Bracket
            && is_guard_path(g.stream())
        {
            i += 2;
            continue;
        }
        out.push(trees[i].clone());
        i += 1;
    }
    out.into_iter().collect()
}

fn is_guard_path(attr: TokenStream) -> bool {
    let mut last = None;
    for t in attr {
        match t {
            TokenTree::Ident(id) => last = Some(id),
            TokenTree::Punct(p) if p.as_char() == ':' => {}
            _ => break,
        }
    }
    last.is_some_and(|id| id == "ffi_guard")
}
