//! The linted crate as the lints see it: its parsed files (`source.rs`) and
//! the index of its items (`index.rs`). `workspace.rs` builds it; it is plain
//! data, and the analyses the lints share live in the lint context
//! (`context.rs`).

use std::path::PathBuf;

use crate::index::{FnDef, FnLoc, Index, ItemLoc};
pub use crate::source::{ParseError, Problem, SourceFile};

/// One package's targets (lib, bins, examples, tests, benches), parsed.
/// Built once per package.
#[derive(Debug)]
pub struct Crate {
    pub package: String,
    /// The directory that holds the package's `Cargo.toml`.
    pub root: PathBuf,
    /// Every file of every linted target, in path order, each once.
    pub files: Vec<SourceFile>,
    /// Files of the module tree that syn could not parse (or read).
    pub parse_errors: Vec<ParseError>,
    /// Items, modules and name resolution across the crate's modules.
    pub index: Index,
    /// `[package.metadata]` (the `headers` table of `headers/` reads it).
    pub metadata: serde_json::Value,
    /// What is known from outside the crate's sources: its dependencies'
    /// declarations, its own generated bindings, C library conventions.
    pub deps: crate::deps::Known,
}

/// The parts of a fn that the lints read, wherever the fn is declared.
#[derive(Debug, Clone, Copy)]
pub struct FnParts<'a> {
    pub attrs: &'a [syn::Attribute],
    pub sig: &'a syn::Signature,
    /// `None` for a foreign fn (declared in an extern block).
    pub block: Option<&'a syn::Block>,
}

impl Crate {
    /// The item at `loc`, if the locator is valid.
    pub fn item(&self, loc: &ItemLoc) -> Option<&syn::Item> {
        /// Items of a module, or statements of a fn body.
        enum Level<'a> {
            Items(&'a [syn::Item]),
            Stmts(&'a [syn::Stmt]),
        }
        fn at<'a>(level: &Level<'a>, i: u32) -> Option<&'a syn::Item> {
            match level {
                Level::Items(items) => items.get(i as usize),
                Level::Stmts(stmts) => match stmts.get(i as usize)? {
                    syn::Stmt::Item(item) => Some(item),
                    _ => None,
                },
            }
        }
        let file = self.files.get(loc.file)?;
        let mut level = Level::Items(&file.ast.items);
        let (last, outer) = loc.path.split_last()?;
        for &i in outer {
            level = match at(&level, i)? {
                syn::Item::Mod(m) => Level::Items(&m.content.as_ref()?.1),
                syn::Item::Fn(f) => Level::Stmts(&f.block.stmts),
                _ => return None,
            };
        }
        at(&level, *last)
    }

    /// The attributes, signature and body of an indexed fn.
    pub fn fn_parts(&self, f: &FnDef) -> Option<FnParts<'_>> {
        match &f.loc {
            FnLoc::Item(loc) => match self.item(loc)? {
                syn::Item::Fn(item) => Some(FnParts {
                    attrs: &item.attrs,
                    sig: &item.sig,
                    block: Some(&item.block),
                }),
                _ => None,
            },
            FnLoc::Impl(loc, i) => match self.item(loc)? {
                syn::Item::Impl(imp) => match imp.items.get(*i as usize)? {
                    syn::ImplItem::Fn(m) => Some(FnParts {
                        attrs: &m.attrs,
                        sig: &m.sig,
                        block: Some(&m.block),
                    }),
                    _ => None,
                },
                _ => None,
            },
            FnLoc::Foreign(loc, i) => match self.item(loc)? {
                syn::Item::ForeignMod(fm) => match fm.items.get(*i as usize)? {
                    syn::ForeignItem::Fn(f) => Some(FnParts {
                        attrs: &f.attrs,
                        sig: &f.sig,
                        block: None,
                    }),
                    _ => None,
                },
                _ => None,
            },
        }
    }
}
