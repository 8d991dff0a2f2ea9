//! Code generation only: every decision was taken in `valid`. The shapes
//! written here are the ones documented in `ffi_guard_rt::__private`.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ForeignItem, ItemForeignMod, LitStr};

use crate::ast::{Block, Check, Export, Import, OnError, Owned, Refused, Returns};
use crate::valid::lit;

/// The raw block of renamed declarations, then one wrapper per fn.
pub fn block(b: &Block) -> TokenStream {
    let Block {
        attrs,
        cfgs,
        unsafety,
        abi,
        brace,
        raw_items,
        imports,
        rt,
    } = b;
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
    let Export {
        attrs,
        vis,
        sig,
        brace_span,
        stmts,
        unsafe_body,
        name,
        alloc_free_with,
        checks,
        skip,
        owned,
        on_error,
        ret,
        rt,
    } = e;
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
    let checks = checks.iter().map(|c| check(c, rt));
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
    let returned = record_owned(owned, alloc_free_with.is_some(), rt);
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
    // A `-> !` export diverges on every path of the wrapper (the body, and
    // the `on_error` that must abort): the code after them is unreachable by
    // construction, not by the user's hand.
    let diverges = matches!(ret, syn::Type::Never(_)).then(|| quote!(#[allow(unreachable_code)]));
    // The runtime recognises a panic of a guarded export by the export's own
    // machine function on the stack; a copy inlined into a Rust caller has
    // none, so its panic would be caught but also printed by the previous
    // hook. C calls through the symbol or a pointer, so this costs C nothing.
    // A user's own `#[inline(..)]` is kept as written.
    let no_inline =
        (!attrs.iter().any(|a| a.path().is_ident("inline"))).then(|| quote!(#[inline(never)]));
    quote! {
        #(#attrs)*
        #diverges
        #no_inline
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
        owned,
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
        let checks = checks.iter().map(|c| check(c, rt));
        let proceed = match on_refused {
            Refused::Unit => quote!(if !__g.proceed() {
                return;
            }),
            Refused::Value(v) => quote!(if !__g.proceed() { return #v; }),
            Refused::Impossible => quote!(__g.proceed();),
        };
        let returned = record_owned(owned, alloc_free_with.is_some(), rt);
        let call_and_record = match returns {
            Returns::Unit => quote! { #call; #errno #returned __g.done(); },
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

/// One check before the call. An option's parameter goes through its
/// compile-time check (`__private::param`), with a marker type named after
/// the parameter so that the message names it. The whole call is spanned at
/// the parameter as the option names it, so that a wrong type is one error
/// there.
fn check(c: &Check, rt: &TokenStream) -> TokenStream {
    let marker = |p: &syn::Ident| quote_spanned!(p.span()=> #[allow(non_camel_case_types, dead_code)] struct #p {});
    let checked =
        |f: TokenStream, p: &syn::Ident| quote_spanned!(p.span()=> #rt::param::#f::<#p, _>(&#p));
    let (method, check, p) = match c {
        Check::Pointer(p) => {
            let ps = lit(p);
            return quote!(__g.pointer(#p, #ps););
        }
        Check::SoftRelease(p) => {
            let ps = lit(p);
            return quote!(__g.soft_release(#p, #ps););
        }
        Check::MaybePointer(p) => {
            let ps = lit(p);
            return quote!({
                #[allow(unused_imports)]
                use #rt::param::{ViaOther as _, ViaPointer as _};
                (&#rt::param::Probe(&#p)).announce(&mut __g, #ps);
            });
        }
        Check::NonNull(p) => (quote!(nonnull), quote!(nonnull), p),
        Check::Cstr(p) => (quote!(cstr), quote!(cstr), p),
        Check::Release(p) => (quote!(release), quote!(free), p),
        Check::Consume(p) => (quote!(consume), quote!(consume), p),
        Check::Slice(p, n) | Check::Text(p, n) => {
            let (ps, ns) = (lit(p), lit(n));
            let (method, len) = match c {
                Check::Slice(..) => (quote!(slice), quote!(slice_len)),
                _ => (quote!(text), quote!(text_len)),
            };
            let (pm, nm) = (marker(p), marker(n));
            let ptr = checked(method.clone(), p);
            let len = checked(len, n);
            let method = respan(method, p.span());
            return quote_spanned!(p.span()=> {
                #pm
                #nm
                __g.#method(#ptr, #len, #ps, #ns);
            });
        }
    };
    let ps = lit(p);
    let m = marker(p);
    let arg = checked(check, p);
    let method = respan(method, p.span());
    quote_spanned!(p.span()=> {
        #m
        __g.#method(#arg, #ps);
    })
}

/// `tokens` at `span`: interpolated tokens keep their own span inside
/// `quote_spanned!`, and the compiler reports a failed bound at the span of
/// the path and method it comes through.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let TokenTree::Group(g) = &t {
                let mut inner = Group::new(g.delimiter(), respan(g.stream(), span));
                inner.set_span(span);
                t = TokenTree::Group(inner);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// After the call: the pointers it handed to the caller.
fn record_owned(owned: &Owned, alloc: bool, rt: &TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    if alloc {
        match &owned.alloc_checked {
            Some(f) => {
                let rt = respan(rt.clone(), f.span());
                out.extend(quote_spanned!(f.span()=> {
                    #[allow(non_camel_case_types, dead_code)]
                    struct #f {}
                    __g.returned(#rt::param::alloc_result::<#f, _>(&__r));
                }));
            }
            None => out.extend(quote!(__g.returned(__r);)),
        }
    }
    if owned.release_kept_on_error {
        // The release failed and the object lives on: it is live again.
        out.extend(quote!(if __r != 0 {
            __g.release_failed();
        }));
    }
    if let Some(names) = &owned.tentative {
        out.extend(quote!(__g.returned_tentative(__r, &[#(#names),*]);));
    }
    for (pp, free) in &owned.out {
        let read = quote_spanned!(pp.span()=> #rt::param::alloc_out::<#pp, _>(&#pp));
        out.extend(quote_spanned!(pp.span()=> {
            #[allow(non_camel_case_types, dead_code)]
            struct #pp {}
            // SAFETY: the foreign call wrote `*pp` or left it as it was.
            __g.returned_out(unsafe { #read }, #free);
        }));
    }
    for (pp, names) in &owned.tentative_out {
        let read = quote_spanned!(pp.span()=> #rt::param::alloc_out::<#pp, _>(&#pp));
        out.extend(quote!({
            #[allow(non_camel_case_types, dead_code)]
            struct #pp {}
            // SAFETY: the foreign call wrote `*pp` or left it as it was.
            __g.returned_out_tentative(unsafe { #read }, &[#(#names),*]);
        }));
    }
    out
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

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;
    use crate::valid;

    fn expand_block(args: TokenStream, m: ItemForeignMod) -> String {
        let b = valid::block(args, m).unwrap_or_else(|e| panic!("{e}"));
        block(&b).to_string()
    }

    fn squash(s: &str) -> String {
        s.split_whitespace().collect()
    }

    #[test]
    fn errno_is_captured_right_after_the_call() {
        let out = squash(&expand_block(
            quote!(),
            parse_quote! {
                extern "C" {
                    fn strdup(s: *const c_char) -> *mut c_char;
                    fn free(p: *mut c_void);
                }
            },
        ));
        let want = squash(
            "let __r = unsafe { __ffi_guard_raw_strdup(s) }; ::ffi_guard_rt::__private::capture_errno(); \
             __g.returned(__r); __g.done(); __r",
        );
        assert!(out.contains(&want), "{out}");
        let want = squash(
            "unsafe { __ffi_guard_raw_free(p) }; ::ffi_guard_rt::__private::capture_errno(); __g.done();",
        );
        assert!(out.contains(&want), "{out}");
        // Inferred: strdup's result is released with `free`, `s` is a C string.
        assert!(
            out.contains(&squash(
                r#"FnInfo::new("strdup", ::core::option::Option::Some("free"))"#
            )),
            "{out}"
        );
        assert!(
            out.contains(&squash(
                r#"struct s {} __g.cstr(::ffi_guard_rt::__private::param::cstr::<s, _>(&s), "s");"#
            )),
            "{out}"
        );
        assert!(
            out.contains(&squash(
                r#"struct p {} __g.release(::ffi_guard_rt::__private::param::free::<p, _>(&p), "p");"#
            )),
            "{out}"
        );
        assert!(
            out.contains(&squash(
                r#"#[link_name = "strdup"] fn __ffi_guard_raw_strdup"#
            )),
            "{out}"
        );
    }

    #[test]
    fn checks_in_contract_order_then_proceed() {
        let out = squash(&expand_block(
            quote!(crate = "rt"),
            parse_quote! {
                extern "C" {
                    #[ffi_guard(slice(buf, len), nonnull(buf))]
                    fn put(w: *mut W, buf: *const u8, len: u32) -> isize;
                }
            },
        ));
        let want = squash(
            r#"__g.pointer(w, "w"); __g.pointer(buf, "buf");
               { #[allow(non_camel_case_types, dead_code)] struct buf {}
                 __g.nonnull(rt::__private::param::nonnull::<buf, _>(&buf), "buf"); }
               { #[allow(non_camel_case_types, dead_code)] struct buf {}
                 #[allow(non_camel_case_types, dead_code)] struct len {}
                 __g.slice(rt::__private::param::slice::<buf, _>(&buf),
                           rt::__private::param::slice_len::<len, _>(&len), "buf", "len"); }
               if !__g.proceed() { return 0; }"#,
        );
        assert!(out.contains(&want), "{out}");
        assert!(out.contains(&squash(
            "rt::__private::Call::new(&__FFI_GUARD_FN, rt::__private::Location::caller())"
        )));
    }

    #[test]
    fn owned_results_are_recorded_after_the_call() {
        let out = squash(&expand_block(
            quote!(),
            parse_quote! {
                extern "C" {
                    #[ffi_guard(alloc_out(ppDb, free = db_close), text(zSql, nByte))]
                    fn db_open(zSql: *const c_char, nByte: c_int, ppDb: *mut *mut Db) -> c_int;
                    fn db_close(db: *mut Db) -> c_int;
                    fn widget_new() -> *mut Widget;
                }
            },
        ));
        let want = squash(
            r#"let __r = unsafe { __ffi_guard_raw_db_open(zSql, nByte, ppDb) };
               ::ffi_guard_rt::__private::capture_errno();
               { #[allow(non_camel_case_types, dead_code)] struct ppDb {}
                 __g.returned_out(unsafe { ::ffi_guard_rt::__private::param::alloc_out::<ppDb, _>(&ppDb) }, "db_close"); }
               __g.done(); __r"#,
        );
        assert!(out.contains(&want), "{out}");
        assert!(out.contains(&squash(
            r#"__g.text(::ffi_guard_rt::__private::param::text::<zSql, _>(&zSql),
                        ::ffi_guard_rt::__private::param::text_len::<nByte, _>(&nByte), "zSql", "nByte");"#
        )), "{out}");
        // db_close releases what db_open's out-parameter received.
        assert!(
            out.contains(&squash(
                r#"__g.release(::ffi_guard_rt::__private::param::free::<db, _>(&db), "db");"#
            )),
            "{out}"
        );
        // widget_free is declared in no block seen here: a tentative pair.
        assert!(
            out.contains(&squash(
                r#"__g.returned_tentative(__r, &["widget_free", "widget_destroy""#
            )),
            "{out}"
        );
    }

    #[test]
    fn skip_is_the_raw_call_and_errno() {
        let out = squash(&expand_block(
            quote!(),
            parse_quote! { extern "C" { #[ffi_guard(skip)] fn getenv(name: *const c_char) -> *mut c_char; } },
        ));
        assert!(!out.contains("__g"), "{out}");
        let want = squash(
            "{ let __r = unsafe { __ffi_guard_raw_getenv(name) }; ::ffi_guard_rt::__private::capture_errno(); __r }",
        );
        assert!(out.contains(&want), "{out}");
    }

    #[test]
    fn unnamed_parameters_get_names_and_cfg_goes_to_both() {
        let out = squash(&expand_block(
            quote!(),
            parse_quote! {
                #[cfg(unix)]
                extern "C" {
                    #[cfg(target_os = "linux")]
                    /// Documented.
                    pub fn f(_: i32, _: *const u8);
                }
            },
        ));
        assert!(
            out.contains(&squash(
                "__ffi_guard_raw_f(__ffi_guard_arg0, __ffi_guard_arg1)"
            )),
            "{out}"
        );
        // The raw declaration and the wrapper both carry the fn's cfg; the
        // wrapper also carries the block's.
        assert_eq!(
            out.matches(&squash(r#"#[cfg(target_os = "linux")]"#))
                .count(),
            2,
            "{out}"
        );
        assert_eq!(out.matches(&squash("#[cfg(unix)]")).count(), 2, "{out}");
        assert!(out.contains(&squash("#[doc = r\" Documented.\"]")), "{out}");
    }

    #[test]
    fn export_runs_its_body_in_the_guard() {
        let f: syn::ItemFn = parse_quote! {
            #[unsafe(no_mangle)]
            pub extern "C" fn sum(buf: *const u8, len: usize) -> i32 { 0 }
        };
        let e = valid::export(quote!(on_error = -1, slice(buf, len)), f)
            .unwrap_or_else(|e| panic!("{e}"));
        let out = squash(&export(&e).to_string());
        assert!(out.starts_with(&squash(
            r#"#[unsafe(no_mangle)] #[inline(never)] pub extern "C" fn sum(buf: *const u8, len: usize) -> i32 {"#
        )));
        let want = squash(
            r#"let __ffi_guard_err = || -> i32 { -1 };
               __g.pointer(buf, "buf");
               { #[allow(non_camel_case_types, dead_code)] struct buf {}
                 #[allow(non_camel_case_types, dead_code)] struct len {}
                 __g.slice(::ffi_guard_rt::__private::param::slice::<buf, _>(&buf),
                           ::ffi_guard_rt::__private::param::slice_len::<len, _>(&len), "buf", "len"); }
               if !__g.proceed() { return __ffi_guard_err(); }"#,
        );
        assert!(out.contains(&want), "{out}");
        assert!(out.contains(&squash("None => __ffi_guard_err(),")), "{out}");
    }

    #[test]
    fn export_keeps_a_users_own_inline() {
        let f: syn::ItemFn = parse_quote! {
            #[inline]
            extern "C" fn cb(x: i32) {}
        };
        let e = valid::export(quote!(), f).unwrap_or_else(|e| panic!("{e}"));
        let out = squash(&export(&e).to_string());
        assert!(
            out.starts_with(&squash(r#"#[inline] extern "C" fn cb(x: i32) {"#)),
            "{out}"
        );
        assert!(!out.contains("inline(never)"), "{out}");
    }

    #[test]
    fn fallback_strips_per_fn_lists() {
        let item = quote! {
            extern "C" {
                #[ffi_guard(bogus)]
                fn f();
                #[ffi_guard_rt::ffi_guard(skip)]
                safe fn g();
            }
        };
        let out = fallback(item).to_string();
        assert!(!out.contains("ffi_guard"), "{out}");
        assert!(out.contains("safe fn g"), "{out}");
    }
}
