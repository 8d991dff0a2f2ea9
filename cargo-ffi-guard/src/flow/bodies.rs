//! Finds every function body of a file: free fns, methods of impls and
//! traits, fns nested in blocks and inline modules. Closures are found by
//! the dataflow itself, inside the bodies.

use syn::visit::Visit;
use syn::{Block, Generics, ImplItemFn, Item, ItemFn, ItemImpl, Signature, TraitItemFn};

/// One function body and what the dataflow needs from around it.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    pub sig: &'a Signature,
    pub block: &'a Block,
    /// The impl's self type (last path segment), for `self.field` types.
    pub self_ty: Option<&'a syn::Type>,
    /// Generics of the impl around the fn, if any (the fn's own are in `sig`).
    pub impl_generics: Option<&'a Generics>,
}

/// Calls `f` for every function body under `items`, nested ones included.
pub fn each_body<'a>(items: &'a [Item], f: &mut dyn FnMut(Body<'a>)) {
    let mut v = Finder {
        f,
        impls: Vec::new(),
    };
    for item in items {
        v.visit_item(item);
    }
}

struct Finder<'a, 'f> {
    f: &'f mut dyn FnMut(Body<'a>),
    impls: Vec<(&'a syn::Type, &'a Generics)>,
}

impl<'a> Visit<'a> for Finder<'a, '_> {
    fn visit_item_fn(&mut self, i: &'a ItemFn) {
        (self.f)(Body {
            sig: &i.sig,
            block: &i.block,
            self_ty: None,
            impl_generics: None,
        });
        // Items nested in the body are fns of their own, outside any impl.
        let saved = std::mem::take(&mut self.impls);
        syn::visit::visit_item_fn(self, i);
        self.impls = saved;
    }

    fn visit_item_impl(&mut self, i: &'a ItemImpl) {
        self.impls.push((&i.self_ty, &i.generics));
        syn::visit::visit_item_impl(self, i);
        self.impls.pop();
    }

    fn visit_impl_item_fn(&mut self, i: &'a ImplItemFn) {
        let around = self.impls.last().copied();
        (self.f)(Body {
            sig: &i.sig,
            block: &i.block,
            self_ty: around.map(|(t, _)| t),
            impl_generics: around.map(|(_, g)| g),
        });
        let saved = std::mem::take(&mut self.impls);
        syn::visit::visit_impl_item_fn(self, i);
        self.impls = saved;
    }

    /// Items nest in statements, not in expressions: only the block-like
    /// expressions are entered, so deep expression trees are never walked.
    fn visit_expr(&mut self, e: &'a syn::Expr) {
        match e {
            syn::Expr::Block(b) => self.visit_block(&b.block),
            syn::Expr::Unsafe(u) => self.visit_block(&u.block),
            syn::Expr::Loop(l) => self.visit_block(&l.body),
            syn::Expr::While(w) => self.visit_block(&w.body),
            syn::Expr::ForLoop(f) => self.visit_block(&f.body),
            syn::Expr::If(i) => {
                self.visit_block(&i.then_branch);
                if let Some((_, e)) = &i.else_branch {
                    self.visit_expr(e);
                }
            }
            _ => {}
        }
    }

    fn visit_trait_item_fn(&mut self, i: &'a TraitItemFn) {
        if let Some(block) = &i.default {
            (self.f)(Body {
                sig: &i.sig,
                block,
                self_ty: None,
                impl_generics: None,
            });
        }
        syn::visit::visit_trait_item_fn(self, i);
    }
}
