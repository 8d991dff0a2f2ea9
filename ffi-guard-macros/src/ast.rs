//! The IR: what the user wrote ([`Item`]), and the same item once validated
//! and understood ([`Block`], [`Export`]), with every decision taken, so that
//! `expand` only writes tokens.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{
    Abi, Attribute, ForeignItem, ForeignItemFn, Ident, ItemFn, ItemForeignMod, LitStr, ReturnType,
    Stmt, Token, Type, Visibility, token,
};

/// What `#[ffi_guard]` is written on.
pub enum Item {
    /// `extern "C" { .. }` / `unsafe extern "C" { .. }`: Rust calling C.
    ForeignMod(ItemForeignMod),
    /// An `extern "C" fn` defined in Rust: C calling Rust.
    Fn(Box<ItemFn>),
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Item> {
        let ahead = input.fork();
        ahead.call(Attribute::parse_outer)?;
        ahead.parse::<Visibility>()?;
        if peek_foreign_mod(&ahead) {
            return input.parse().map(Item::ForeignMod);
        }
        let lookahead = ahead.lookahead1();
        if lookahead.peek(Token![fn]) || peek_signature(&ahead) {
            if input.fork().parse::<ItemFn>().is_err()
                && input.fork().parse::<ForeignItemFn>().is_ok()
            {
                let f: ForeignItemFn = input.parse()?;
                return Err(syn::Error::new_spanned(
                    &f.sig.ident,
                    "`#[ffi_guard(...)]` on a declared fn is read by the guarded block around it; \
                     add `#[ffi_guard]` to its `extern` block",
                ));
            }
            return input.parse().map(|f| Item::Fn(Box::new(f)));
        }
        Err(wrong_item(input).unwrap_or_else(|| lookahead.error()))
    }
}

/// A guarded `extern` block, validated.
pub struct Block {
    /// The block's own attributes (`#[link]`, cfg, docs), kept on the raw block.
    pub attrs: Vec<Attribute>,
    /// The block's `#[cfg]`s, repeated on every wrapper.
    pub cfgs: Vec<Attribute>,
    pub unsafety: Option<Token![unsafe]>,
    pub abi: Abi,
    pub brace: token::Brace,
    /// The raw declarations (renamed) and the items that pass through, in order.
    pub raw_items: Vec<ForeignItem>,
    pub imports: Vec<Import>,
    /// `::ffi_guard_rt::__private`, or the renamed runtime's.
    pub rt: TokenStream,
}

/// One wrapper of a foreign fn.
pub struct Import {
    /// Docs, cfgs and every other attribute that belongs to the callable name.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    /// A 2024 `safe fn`: the wrapper is a safe fn.
    pub safe: bool,
    pub ident: Ident,
    /// The declaration renamed `__ffi_guard_raw_<name>`.
    pub raw_ident: Ident,
    pub params: Vec<Param>,
    pub output: ReturnType,
    pub returns: Returns,
    /// The name the runtime records (the Rust name).
    pub name: LitStr,
    pub alloc_free_with: Option<LitStr>,
    /// Empty with `skip`.
    pub checks: Vec<Check>,
    pub skip: bool,
    pub on_refused: Refused,
    /// What the call hands to the caller, recorded after it.
    pub owned: Owned,
}

/// Ownership that a call hands out, recorded after the call (empty with `skip`).
#[derive(Default)]
pub struct Owned {
    /// `alloc(free = F)`: the fn's name, for the compile-time check of its
    /// result type (an inferred alloc returns a pointer by construction).
    pub alloc_checked: Option<Ident>,
    /// An inferred allocation whose release is in another block: its release names.
    pub tentative: Option<Vec<LitStr>>,
    /// `alloc_out(pp, free = F)`.
    pub out: Vec<(Ident, LitStr)>,
    /// Inferred out-parameters whose release is in another block.
    pub tentative_out: Vec<(Ident, Vec<LitStr>)>,
    /// The release counts only when the call returns 0 (`sqlite3_close`).
    pub release_kept_on_error: bool,
}

/// A guarded export or callback, validated.
pub struct Export {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: syn::Signature,
    pub brace_span: Span,
    pub stmts: Vec<Stmt>,
    /// The fn is `unsafe`: its body keeps an unsafe context inside the closure.
    pub unsafe_body: bool,
    pub name: LitStr,
    pub alloc_free_with: Option<LitStr>,
    pub checks: Vec<Check>,
    pub skip: bool,
    pub owned: Owned,
    /// What the fn returns when its body panics or an argument is refused.
    pub on_error: OnError,
    /// The type the `on_error` value is checked against (the return type).
    pub ret: Type,
    pub rt: TokenStream,
}

/// A parameter of a wrapper, named (`_` gets a generated name).
pub struct Param {
    pub name: Ident,
    pub ty: Type,
}

/// One runtime call before the foreign call, in the order they are made.
/// Every option's parameter goes through the compile-time check of its type
/// (`__private::param`); `Pointer` is the plain check of every raw pointer.
pub enum Check {
    Pointer(Ident),
    /// A parameter whose type may be a raw pointer behind an alias.
    MaybePointer(Ident),
    NonNull(Ident),
    Slice(Ident, Ident),
    Text(Ident, Ident),
    Cstr(Ident),
    Release(Ident),
    /// An inferred release whose allocation is in another block.
    SoftRelease(Ident),
    Consume(Ident),
}

/// The shape of an import's result, which decides how the call is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    Unit,
    /// `-> !`: nothing runs after the call.
    Never,
    Value,
}

/// What an import returns when the runtime refuses the call (`proceed()` is false).
pub enum Refused {
    /// `return;`
    Unit,
    /// `return VALUE;`: `on_error` or the return type's zero value.
    Value(TokenStream),
    /// No value exists and the fn releases and consumes nothing, which the
    /// runtime never refuses: the result of `proceed()` is not consulted.
    Impossible,
}

/// What an export returns when it cannot run its body.
pub enum OnError {
    Unit,
    /// A default of the return type, or the user's `on_error`, with its span.
    Value(TokenStream),
}

fn peek_foreign_mod(input: ParseStream<'_>) -> bool {
    let ahead = input.fork();
    let _ = ahead.parse::<Option<Token![unsafe]>>();
    if ahead.parse::<Token![extern]>().is_err() {
        return false;
    }
    let _ = ahead.parse::<Option<LitStr>>();
    ahead.peek(token::Brace)
}

/// `const`, `async`, `unsafe`, `extern "abi"` before `fn`.
fn peek_signature(input: ParseStream<'_>) -> bool {
    let ahead = input.fork();
    ahead.parse::<Option<Token![const]>>().is_ok()
        && ahead.parse::<Option<Token![async]>>().is_ok()
        && ahead.parse::<Option<Token![unsafe]>>().is_ok()
        && ahead.parse::<Option<Abi>>().is_ok()
        && ahead.peek(Token![fn])
}

/// The error for an item that is neither an extern block nor a fn, naming
/// what it is, at its name.
fn wrong_item(input: ParseStream<'_>) -> Option<syn::Error> {
    use syn::Item as I;
    let item: syn::Item = input.fork().parse().ok()?;
    let (what, at): (&str, &dyn quote::ToTokens) = match &item {
        I::Struct(s) => ("a struct", &s.ident),
        I::Enum(e) => ("an enum", &e.ident),
        I::Union(u) => ("a union", &u.ident),
        I::Static(s) => ("a static", &s.ident),
        I::Const(c) => ("a const", &c.ident),
        I::Type(t) => ("a type alias", &t.ident),
        I::Trait(t) => ("a trait", &t.ident),
        I::Mod(m) => ("a module", &m.ident),
        I::Impl(i) => (
            "an impl block (put it on the `extern \"C\" fn`s inside)",
            &i.self_ty,
        ),
        I::Use(u) => ("a `use` item", &u.use_token),
        I::ExternCrate(e) => ("an `extern crate` item", &e.ident),
        I::Macro(m) => ("a macro", &m.mac.path),
        _ => ("this item", &item),
    };
    Some(syn::Error::new_spanned(
        at,
        format!(
            "`#[ffi_guard]` applies to an `extern \"C\" {{ .. }}` block or an `extern \"C\" fn`, not to {what}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse(tokens: TokenStream) -> Result<Item, String> {
        syn::parse2::<Item>(tokens).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_blocks_and_fns() {
        for tokens in [
            quote!(
                #[link(name = "c")]
                extern "C" {
                    fn f();
                }
            ),
            quote!(
                unsafe extern "C" {
                    safe fn f();
                }
            ),
            quote!(
                extern "C" {}
            ),
        ] {
            assert!(matches!(parse(tokens), Ok(Item::ForeignMod(_))));
        }
        for tokens in [
            quote!(
                #[unsafe(no_mangle)]
                pub extern "C" fn f() {}
            ),
            quote!(
                pub(crate) unsafe extern "C-unwind" fn f(p: *mut u8) {}
            ),
            quote!(
                fn not_extern() {}
            ),
        ] {
            assert!(matches!(parse(tokens), Ok(Item::Fn(_))));
        }
    }

    #[test]
    fn other_items_are_named_in_the_error() {
        let e = parse(quote!(impl Widget { extern "C" fn f() {} }))
            .err()
            .unwrap();
        assert!(
            e.ends_with("not to an impl block (put it on the `extern \"C\" fn`s inside)"),
            "{e}"
        );
        let e = parse(quote!(
            static X: u8 = 0;
        ))
        .err()
        .unwrap();
        assert!(e.ends_with("not to a static"), "{e}");
        let e = parse(quote!(
            fn widget_free(w: *mut Widget);
        ))
        .err()
        .unwrap();
        assert!(
            e.contains("add `#[ffi_guard]` to its `extern` block"),
            "{e}"
        );
    }
}
