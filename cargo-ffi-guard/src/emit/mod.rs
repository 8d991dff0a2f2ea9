//! Renderers: diagnostics (data) in, text out. No analysis happens here.

pub mod human;
pub mod json;
pub mod sarif;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::diag::Diagnostic;

/// One linted package's diagnostics, with what the renderers need to show
/// them: where the package is and the text of the files they point into.
#[derive(Debug, Default)]
pub struct PackageReport {
    pub name: String,
    pub root: PathBuf,
    pub diagnostics: Vec<Diagnostic>,
    /// File text by package-relative path, for the files diagnostics point into.
    pub texts: HashMap<String, String>,
    pub files_linted: usize,
}
