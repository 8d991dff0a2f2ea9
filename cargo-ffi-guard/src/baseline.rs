//! `--write-baseline FILE` and `--baseline FILE`: adopting the linter on a
//! code base that already has findings.
//!
//! A finding is recorded by what survives unrelated edits: its lint, its
//! package, its file, the item that encloses it (`ffi::Widget::new`) and the
//! text of its line with the indentation trimmed, never its line number. So
//! a function added above a baselined finding leaves it baselined, while a
//! new finding (another line text, another item) is not. Identical keys are
//! counted: a baseline of one `unwrap()` in a function does not hide a
//! second, identical one added beside it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use syn::spanned::Spanned;

use crate::diag::Diagnostic;
use crate::emit::PackageReport;
use crate::model::Crate;

/// The baseline file's format version.
const VERSION: u32 = 1;

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub lint: String,
    pub package: String,
    /// Relative to the package root, `/`-separated.
    pub file: String,
    /// The enclosing item's path in its file (`mod::Type::fn`), empty at the
    /// top level.
    pub item: String,
    /// The diagnostic's line, indentation trimmed.
    pub line: String,
    /// How many findings share this key.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// Why a baseline could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the baseline `{path}` is not a baseline file ({message}); write one with --write-baseline"
    )]
    Format { path: String, message: String },
    #[error("cannot write the baseline `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Write every diagnostic of `reports` to `path`. Returns how many.
pub fn write(reports: &[PackageReport], path: &Path) -> Result<usize, BaselineError> {
    let mut counts: BTreeMap<Entry, usize> = BTreeMap::new();
    for r in reports {
        for d in &r.diagnostics {
            *counts.entry(key(r, d)).or_default() += 1;
        }
    }
    let total = counts.values().sum();
    let findings = counts
        .into_iter()
        .map(|(mut e, n)| {
            e.count = n;
            e
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&File {
        version: VERSION,
        findings,
    })
    .unwrap_or_default();
    text.push('\n');
    std::fs::write(path, text).map_err(|source| BaselineError::Write {
        path: path.display().to_string(),
        source,
    })?;
    Ok(total)
}

/// Read a baseline and drop from `reports` every diagnostic it records.
/// Returns how many were dropped.
pub fn apply(reports: &mut [PackageReport], path: &Path) -> Result<usize, BaselineError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: shown.clone(),
        source,
    })?;
    let file: File = serde_json::from_str(&text).map_err(|e| BaselineError::Format {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    if file.version != VERSION {
        return Err(BaselineError::Format {
            path: shown,
            message: format!("version {}, this tool reads {VERSION}", file.version),
        });
    }
    let mut left: HashMap<Entry, usize> = HashMap::new();
    for mut e in file.findings {
        let n = std::mem::replace(&mut e.count, 1);
        *left.entry(e).or_default() += n;
    }
    let mut dropped = 0;
    for r in reports.iter_mut() {
        let diagnostics = std::mem::take(&mut r.diagnostics);
        for d in diagnostics {
            match left.get_mut(&key(r, &d)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    dropped += 1;
                }
                _ => r.diagnostics.push(d),
            }
        }
    }
    Ok(dropped)
}

/// The baseline key of a diagnostic of `r`.
fn key(r: &PackageReport, d: &Diagnostic) -> Entry {
    let line = r
        .texts
        .get(&d.span.file)
        .and_then(|t| t.lines().nth(d.span.line.saturating_sub(1)))
        .unwrap_or("")
        .trim()
        .to_owned();
    Entry {
        lint: d.lint.to_owned(),
        package: r.name.clone(),
        file: d.span.file.clone(),
        item: r
            .enclosing
            .get(&(d.span.file.clone(), d.span.line))
            .cloned()
            .unwrap_or_default(),
        line,
        count: 1,
    }
}

/// The enclosing item of each diagnostic's primary line, by (file, line).
pub fn enclosing_items(krate: &Crate, diags: &[Diagnostic]) -> HashMap<(String, usize), String> {
    let mut out = HashMap::new();
    for d in diags {
        let k = (d.span.file.clone(), d.span.line);
        if out.contains_key(&k) {
            continue;
        }
        let Some(file) = krate.files.iter().find(|f| f.path == d.span.file) else {
            continue;
        };
        let mut path = Vec::new();
        innermost(&file.ast.items, d.span.line, &mut path);
        out.insert(k, path.join("::"));
    }
    out
}

/// Push onto `path` the names of the nested items that hold `line`.
fn innermost(items: &[syn::Item], line: usize, path: &mut Vec<String>) {
    for item in items {
        if !holds(item.span(), line) {
            continue;
        }
        match item {
            syn::Item::Mod(m) => {
                path.push(m.ident.to_string());
                if let Some((_, inner)) = &m.content {
                    innermost(inner, line, path);
                }
            }
            syn::Item::Impl(i) => {
                path.push(quote::ToTokens::to_token_stream(&i.self_ty).to_string());
                for ii in &i.items {
                    if let syn::ImplItem::Fn(f) = ii
                        && holds(ii.span(), line)
                    {
                        path.push(f.sig.ident.to_string());
                    }
                }
            }
            syn::Item::Trait(t) => {
                path.push(t.ident.to_string());
                for ti in &t.items {
                    if let syn::TraitItem::Fn(f) = ti
                        && holds(ti.span(), line)
                    {
                        path.push(f.sig.ident.to_string());
                    }
                }
            }
            syn::Item::ForeignMod(f) => {
                for fi in &f.items {
                    if let syn::ForeignItem::Fn(func) = fi
                        && holds(fi.span(), line)
                    {
                        path.push(func.sig.ident.to_string());
                    }
                }
            }
            other => {
                if let Some(name) = item_name(other) {
                    path.push(name);
                }
            }
        }
        return;
    }
}

fn holds(span: proc_macro2::Span, line: usize) -> bool {
    (span.start().line..=span.end().line).contains(&line)
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Fn(f) => &f.sig.ident,
        syn::Item::Struct(s) => &s.ident,
        syn::Item::Enum(e) => &e.ident,
        syn::Item::Union(u) => &u.ident,
        syn::Item::Static(s) => &s.ident,
        syn::Item::Const(c) => &c.ident,
        syn::Item::Type(t) => &t.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}
