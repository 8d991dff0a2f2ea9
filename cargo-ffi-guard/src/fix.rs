//! `--fix`: writes the lints' machine-applicable edits.
//!
//! What it will write, and what it refuses (as `cargo fix` does):
//! - only regular files inside the package: a file reached through an
//!   absolute `#[path]`, a `..` or a symlink that leads out of the package is
//!   left alone (and named on stderr);
//! - no file with uncommitted changes, nor one outside a git work tree,
//!   unless `--allow-dirty` is given: the edit would mix with the user's own
//!   and could not be undone with git;
//! - a leading byte-order mark stays first: no edit lands before it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diag::Edit;
use crate::emit::PackageReport;

/// Why `--fix` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(
        "--fix would change files with uncommitted changes, or outside version control:\n{files}\n\
         commit or stash the changes first (so the fix can be reviewed and undone with git), \
         or pass --allow-dirty to fix anyway"
    )]
    Dirty { files: String },
    #[error("cannot read `{path}` to fix it: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the fix to `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// The UTF-8 byte-order mark.
const BOM: &str = "\u{feff}";

/// Write every machine-applicable edit. Identical edits (one type used in
/// two places) are applied once; an edit overlapping one already taken is
/// left for the next run. Returns (edits applied, files written).
pub fn apply(reports: &[PackageReport], allow_dirty: bool) -> Result<(usize, usize), FixError> {
    let mut by_file: BTreeMap<PathBuf, Vec<&Edit>> = BTreeMap::new();
    for r in reports {
        for d in &r.diagnostics {
            for e in &d.fix {
                match inside_package(&r.root, &e.file) {
                    Some(path) => by_file.entry(path).or_default().push(e),
                    None => eprintln!(
                        "warning: not fixing `{}`: it is outside the package `{}` (an absolute or `..` path, or a symlink out)",
                        e.file, r.name
                    ),
                }
            }
        }
    }
    if !allow_dirty {
        let dirty: Vec<String> = by_file
            .keys()
            .filter_map(|p| vcs_state(p).map(|why| format!("  {} ({why})", p.display())))
            .collect();
        if !dirty.is_empty() {
            return Err(FixError::Dirty {
                files: dirty.join("\n"),
            });
        }
    }
    let (mut applied, mut files) = (0, 0);
    for (path, mut edits) in by_file {
        edits.sort_by(|a, b| (b.start, b.end, &b.text).cmp(&(a.start, a.end, &a.text)));
        edits.dedup();
        let mut text = std::fs::read_to_string(&path).map_err(|source| FixError::Read {
            path: path.display().to_string(),
            source,
        })?;
        // Nothing goes before a byte-order mark.
        let floor_bom = if text.starts_with(BOM) { BOM.len() } else { 0 };
        let mut floor = usize::MAX;
        let mut n = 0;
        for e in edits {
            let (start, end) = (e.start.max(floor_bom), e.end.max(floor_bom));
            if end > floor || end > text.len() || start > end {
                continue;
            }
            if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            text.replace_range(start..end, &e.text);
            floor = start;
            n += 1;
        }
        if n > 0 {
            std::fs::write(&path, text).map_err(|source| FixError::Write {
                path: path.display().to_string(),
                source,
            })?;
            applied += n;
            files += 1;
        }
    }
    Ok((applied, files))
}

/// The real path of `file` (relative to the package `root`) when it is a
/// regular file inside the package once every symlink is resolved.
fn inside_package(root: &Path, file: &str) -> Option<PathBuf> {
    // An absolute `file` replaces the root in `join`; `..` and symlinks are
    // resolved by `canonicalize`: what is left must be under the real root.
    let root = root.canonicalize().ok()?;
    let real = root.join(file).canonicalize().ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

/// Why `--fix` must not touch `path` without `--allow-dirty`: it has
/// uncommitted changes (or is untracked), or is in no git work tree.
fn vcs_state(path: &Path) -> Option<&'static str> {
    let dir = path.parent()?;
    let name = path.file_name()?;
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--ignored",
            "--",
        ])
        .arg(name)
        .output();
    match out {
        Ok(o) if o.status.success() => {
            if o.stdout.is_empty() {
                None
            } else if o.stdout.starts_with(b"??") {
                Some("not committed")
            } else if o.stdout.starts_with(b"!!") {
                Some("ignored by git")
            } else {
                Some("uncommitted changes")
            }
        }
        _ => Some("not in a git work tree"),
    }
}
