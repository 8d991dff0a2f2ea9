//! The linted crate as the lints see it: its parsed files. The engine
//! (`workspace.rs`, `index.rs`) builds it; lints only read it.

use std::path::PathBuf;

/// One package target's module tree, parsed. Built once per package.
#[derive(Debug)]
pub struct Crate {
    pub package: String,
    /// The directory that holds the package's `Cargo.toml`.
    pub root: PathBuf,
    /// Every file of every linted target, in path order, each once.
    pub files: Vec<SourceFile>,
    /// Files of the module tree that syn could not parse.
    pub parse_errors: Vec<ParseError>,
}

/// A parsed file of the module tree.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the package root, `/`-separated (`src/ffi/mod.rs`).
    pub path: String,
    pub text: String,
    pub ast: syn::File,
    /// The module path of the file's top level (`crate::ffi`).
    pub module: Vec<String>,
}

/// A file that did not parse: where syn stopped and what it said.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}
