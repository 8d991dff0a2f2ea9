//! The summary of a dependency, cached under the target directory
//! (`target/ffi-guard/deps/<name>-<version>-<id hash>.json`) and kept while
//! its package id, checksum and the files it was read from are the same.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::out_dir::OutInclude;
use super::summary::DeclaredFn;

/// What is kept of one dependency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The version of ffi-guard that wrote it: another one reads again.
    pub tool: String,
    pub id: String,
    /// The registry's checksum (from Cargo.lock), when the package has one.
    pub checksum: Option<String>,
    /// Files whose content the summary depends on, with their hash: every
    /// source file of a package without a checksum, and generated bindings.
    pub files: Vec<(PathBuf, u64)>,
    /// The `OUT_DIR` files the sources include, and where each was found.
    pub bindings: Vec<(String, Option<PathBuf>)>,
    pub fns: Vec<DeclaredFn>,
    /// The crate names of its `pub use`/`pub extern crate` items.
    pub reexports: Vec<String>,
    /// `include!`s of `OUT_DIR` files that no build output provides, by file.
    pub missing_bindings: Vec<(String, OutInclude)>,
}

/// The version of ffi-guard and of the summary (bump the second part when
/// what is read of a declaration changes: old summaries are then read again).
const TOOL: &str = concat!(env!("CARGO_PKG_VERSION"), "/3");

/// The cache file of a package.
pub fn path(target_dir: &Path, name: &str, version: &str, id: &str) -> PathBuf {
    target_dir
        .join("ffi-guard")
        .join("deps")
        .join(format!("{name}-{version}-{:016x}.json", fnv(id.as_bytes())))
}

/// The cached summary at `file` if it still describes the package:
/// `find_bindings` says where each `OUT_DIR` file is found today.
pub fn read(
    file: &Path,
    id: &str,
    checksum: Option<&str>,
    find_bindings: impl Fn(&str) -> Option<PathBuf>,
) -> Option<Summary> {
    let text = std::fs::read(file).ok()?;
    // A cache that does not parse is read again from the sources.
    let s: Summary = serde_json::from_slice(&text).ok()?;
    let fresh = s.tool == TOOL
        && s.id == id
        && s.checksum.as_deref() == checksum
        && s.bindings.iter().all(|(rel, at)| find_bindings(rel) == *at)
        && s.files
            .iter()
            .all(|(p, h)| std::fs::read(p).is_ok_and(|b| fnv(&b) == *h));
    fresh.then_some(s)
}

/// Write the summary; a cache that cannot be written is only slower.
pub fn write(file: &Path, summary: &Summary) {
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(text) = serde_json::to_vec(summary) else {
        return;
    };
    // Written aside and renamed, so a reader never sees half a file.
    let tmp = file.with_extension(format!("json.{}", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The summary's version field for a new summary.
pub fn tool() -> String {
    TOOL.to_owned()
}

/// FNV-1a, 64 bits: a content hash stable across runs and builds.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `(name, version, source)` -> checksum, from a Cargo.lock.
pub fn lock_checksums(lock: &Path) -> HashMap<(String, String, String), String> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Locked>,
    }
    #[derive(Deserialize)]
    struct Locked {
        name: String,
        version: String,
        source: Option<String>,
        checksum: Option<String>,
    }
    let Ok(text) = std::fs::read_to_string(lock) else {
        return HashMap::new();
    };
    let Ok(lock) = toml::from_str::<Lock>(&text) else {
        return HashMap::new();
    };
    lock.package
        .into_iter()
        .filter_map(|p| Some(((p.name, p.version, p.source?), p.checksum?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_or_stale_cache_is_not_read() {
        let dir = std::env::temp_dir().join(format!("ffi-guard-cache-{}", std::process::id()));
        let file = path(&dir, "x", "1.0.0", "id");
        let s = Summary {
            tool: tool(),
            id: "id".into(),
            checksum: Some("c".into()),
            files: Vec::new(),
            bindings: Vec::new(),
            fns: Vec::new(),
            reexports: vec!["y".into()],
            missing_bindings: Vec::new(),
        };
        write(&file, &s);
        assert!(read(&file, "id", Some("c"), |_| None).is_some());
        assert!(read(&file, "id", Some("other"), |_| None).is_none());
        assert!(read(&file, "id2", Some("c"), |_| None).is_none());
        std::fs::write(&file, b"{not json").unwrap();
        assert!(read(&file, "id", Some("c"), |_| None).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
