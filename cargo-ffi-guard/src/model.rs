//! The linted crate as the lints see it: its parsed files and the index of
//! its items. The engine (`workspace.rs`, `index.rs`) builds it; lints only
//! read it.

use std::path::PathBuf;

use crate::index::{FnDef, FnLoc, Index, ItemLoc};

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
    /// The FFI surface's resolved facts, computed once for the lints that
    /// share them (see `surface::Surface`).
    pub surface_facts: std::sync::OnceLock<crate::surface::Facts>,
    /// The ownership dataflow, computed once for the lints that read it
    /// (see `flow::analysis`).
    pub flow_analysis: std::cell::OnceCell<crate::flow::Analysis>,
}

/// A parsed file of the module tree.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the package root, `/`-separated (`src/ffi/mod.rs`).
    pub path: String,
    pub text: String,
    /// The parsed file. Items found inside macro invocations whose body
    /// parses as items (`cfg_if! { .. }`, a crate's own `ffi_fn! { .. }`) are
    /// appended to `ast.items` (and to inline modules' items), after the
    /// file's own items, so walking `ast.items` sees them too.
    pub ast: syn::File,
    /// The module path of the file's top level (`crate::ffi`).
    pub module: Vec<String>,
    /// Which target's module tree holds the file (index into `Index::targets`).
    pub target: usize,
    /// The index module of the file's top level.
    pub module_id: usize,
    /// Where (line, 0-based column) the name of each struct, enum or union
    /// defined in a macro body other than `cfg_if!` is: such a macro may add
    /// attributes (a `repr`) that the linter cannot see.
    pub macro_types: Vec<(usize, usize)>,
}

/// A file, or part of one, that was not read or did not parse: where, and
/// what was said.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub problem: Problem,
}

impl ParseError {
    /// Where the error is, as a diagnostic's (empty) span.
    pub fn span(&self) -> crate::diag::Span {
        crate::diag::Span {
            file: self.path.clone(),
            line: self.line,
            column: self.column,
            end_line: self.line,
            end_column: self.column,
        }
    }
}

/// What [`ParseError`] means for what was linted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Nothing of the file was linted (not read, or not Rust tokens).
    WholeFile,
    /// These lines (first, last) of the file were not linted; the rest was.
    Lines(usize, usize),
    /// The file of a `mod x;` does not exist; the error is at the `mod`.
    MissingModule,
    /// The file is outside the workspace root and was not opened
    /// (`path_outside_workspace`, not `parse_error`).
    OutsideWorkspace,
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
