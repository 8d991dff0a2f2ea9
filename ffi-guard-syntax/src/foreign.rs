//! The fns an `extern` block declares, as every reader must see them.
//!
//! syn 2 keeps an edition-2024 `safe fn` of an `unsafe extern` block as
//! verbatim tokens, not as a `ForeignItem::Fn`. A reader that only matches
//! `ForeignItem::Fn` silently skips those declarations: their types go
//! unchecked and their alloc/free pairs are never inferred. The macro and the
//! linter read them through this module, so they see the same fns.

use std::borrow::Cow;

use proc_macro2::{TokenStream, TokenTree};
use syn::{ForeignItem, ForeignItemFn, Item, ItemForeignMod};

/// A `safe fn` declaration (verbatim tokens) read as the same declaration
/// without `safe`; `None` for any other verbatim item.
pub fn parse_safe_fn(tokens: &TokenStream) -> Option<ForeignItemFn> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let at = trees.windows(2).position(|w| {
        matches!((&w[0], &w[1]), (TokenTree::Ident(a), TokenTree::Ident(b)) if a == "safe" && b == "fn")
    })?;
    let rest: TokenStream = trees
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != at)
        .map(|(_, t)| t)
        .collect();
    syn::parse2(rest).ok()
}

/// Every fn the block declares, `safe fn`s included, in source order, each
/// with whether it was declared `safe`.
pub fn foreign_fns(m: &ItemForeignMod) -> Vec<(Cow<'_, ForeignItemFn>, bool)> {
    m.items
        .iter()
        .filter_map(|i| match i {
            ForeignItem::Fn(f) => Some((Cow::Borrowed(f), false)),
            ForeignItem::Verbatim(tokens) => parse_safe_fn(tokens).map(|f| (Cow::Owned(f), true)),
            _ => None,
        })
        .collect()
}

/// Rewrites every `safe fn` declared in the foreign blocks of `items` (and of
/// their inline modules, at any depth) into an ordinary `ForeignItem::Fn`, so
/// that a reader matching `ForeignItem::Fn` sees every declared fn. What is
/// lost is only the `safe` keyword, which no lint judges.
pub fn normalize_safe_fns(items: &mut [Item]) {
    for item in items {
        match item {
            Item::ForeignMod(m) => {
                for fi in &mut m.items {
                    if let ForeignItem::Verbatim(tokens) = fi
                        && let Some(f) = parse_safe_fn(tokens)
                    {
                        *fi = ForeignItem::Fn(f);
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, content)) = &mut m.content {
                    normalize_safe_fns(content);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    #[test]
    fn safe_fns_are_declared_fns() {
        let m: ItemForeignMod = parse_quote! {
            unsafe extern "C" {
                pub safe fn abs(x: i32) -> i32;
                fn free(p: *mut u8);
                static environ: *const u8;
            }
        };
        let fns = foreign_fns(&m);
        let names: Vec<(String, bool)> = fns
            .iter()
            .map(|(f, safe)| (f.sig.ident.to_string(), *safe))
            .collect();
        assert_eq!(
            names,
            [("abs".to_string(), true), ("free".to_string(), false)]
        );
    }

    #[test]
    fn normalize_reaches_nested_modules() {
        let mut file: syn::File = parse_quote! {
            unsafe extern "C" { safe fn a() -> *mut u8; }
            mod inner { mod deeper { unsafe extern "C" { pub safe fn b(); } } }
        };
        normalize_safe_fns(&mut file.items);
        let mut found = Vec::new();
        fn walk(items: &[Item], found: &mut Vec<String>) {
            for i in items {
                match i {
                    Item::ForeignMod(m) => m.items.iter().for_each(|fi| {
                        if let ForeignItem::Fn(f) = fi {
                            found.push(f.sig.ident.to_string());
                        }
                    }),
                    Item::Mod(m) => walk(&m.content.as_ref().unwrap().1, found),
                    _ => {}
                }
            }
        }
        walk(&file.items, &mut found);
        assert_eq!(found, ["a", "b"]);
    }
}
