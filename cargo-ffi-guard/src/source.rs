//! A parsed file of the crate, the lowest layer of the linter's data:
//! the index (`index.rs`) reads these, and `model::Crate` holds them.

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
