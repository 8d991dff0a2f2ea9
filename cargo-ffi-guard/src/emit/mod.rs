//! Renderers: diagnostics (data) in, text out. No analysis happens here.

pub mod cargo_json;
pub mod human;
pub mod json;
pub mod sarif;
pub mod short;

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
    /// cargo's package id and manifest, for cargo's message stream.
    pub id: String,
    pub manifest_path: PathBuf,
    /// The root of the package's workspace: cargo's messages name files
    /// relative to it, as rustc run by cargo does.
    pub workspace_root: PathBuf,
    /// The package's targets, and which one's module tree holds each file.
    pub targets: Vec<crate::workspace::TargetSpec>,
    pub file_targets: HashMap<String, usize>,
    /// The enclosing item (`mod::Type::fn`) of each diagnostic's primary
    /// line, by (file, line): what a baseline matches on.
    pub enclosing: HashMap<(String, usize), String>,
}
