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
const TOOL: &str = concat!(env!("CARGO_PKG_VERSION"), "/5");

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

/// Write the summary.
pub fn write(file: &Path, summary: &Summary) {
    if let Ok(text) = serde_json::to_vec(summary) {
        write_bytes(file, &text);
    }
}

/// The summary's version field for a new summary.
pub fn tool() -> String {
    TOOL.to_owned()
}

/// The resolved graph of the last run (`target/ffi-guard/graph.json`), kept
/// while Cargo.lock and the linted packages' manifests are the same, so a
/// run with dependencies starts one `cargo metadata --no-deps` as one
/// without them does.
#[derive(Debug, Serialize, Deserialize)]
pub struct GraphCache {
    tool: String,
    key: u64,
    graph: super::Graph,
    /// Each linted package's root and its direct dependencies.
    direct: Vec<(PathBuf, Vec<(usize, bool)>)>,
}

impl GraphCache {
    /// Give each package of `ws` its dependencies.
    pub fn attach(self, ws: &mut crate::workspace::Workspace) {
        let graph = std::sync::Arc::new(self.graph);
        for p in &mut ws.packages {
            let direct = self
                .direct
                .iter()
                .find(|(root, _)| *root == p.root)
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            p.deps = Some(super::DepsOf {
                graph: graph.clone(),
                direct,
            });
        }
    }
}

fn graph_file(ws: &crate::workspace::Workspace) -> Option<PathBuf> {
    Some(
        ws.packages
            .first()?
            .target_dir
            .join("ffi-guard")
            .join("graph.json"),
    )
}

/// What the graph depends on: Cargo.lock, the linted packages' manifests
/// and those of the graph's packages that have no registry checksum (path
/// and git packages, whose version may change without Cargo.lock knowing).
fn graph_key(ws: &crate::workspace::Workspace, graph: &super::Graph) -> Option<u64> {
    let mut bytes = std::fs::read(ws.root.join("Cargo.lock")).ok()?;
    let roots = ws.packages.iter().map(|p| &p.root);
    let unpinned = graph
        .nodes
        .iter()
        .filter(|n| n.checksum.is_none())
        .map(|n| &n.root);
    for root in roots.chain(unpinned) {
        bytes.extend_from_slice(root.to_string_lossy().as_bytes());
        bytes.extend(std::fs::read(root.join("Cargo.toml")).ok()?);
    }
    Some(fnv(&bytes))
}

/// The cached graph, if it still holds for `ws` (loaded without deps).
pub fn read_graph(ws: &crate::workspace::Workspace) -> Option<GraphCache> {
    let text = std::fs::read(graph_file(ws)?).ok()?;
    let g: GraphCache = serde_json::from_slice(&text).ok()?;
    let roots_match = ws
        .packages
        .iter()
        .all(|p| g.direct.iter().any(|(r, _)| *r == p.root));
    (g.tool == TOOL && roots_match && Some(g.key) == graph_key(ws, &g.graph)).then_some(g)
}

/// Keep the graph of `ws` (loaded with deps) for the next run.
pub fn write_graph(ws: &crate::workspace::Workspace) {
    let Some(file) = graph_file(ws) else { return };
    let Some(graph) = ws.packages.iter().find_map(|p| p.deps.as_ref()) else {
        return;
    };
    let Some(key) = graph_key(ws, &graph.graph) else {
        return;
    };
    let cache = GraphCache {
        tool: TOOL.to_owned(),
        key,
        graph: super::Graph {
            nodes: graph.graph.nodes.clone(),
        },
        direct: ws
            .packages
            .iter()
            .map(|p| {
                let d = p
                    .deps
                    .as_ref()
                    .map(|d| d.direct.clone())
                    .unwrap_or_default();
                (p.root.clone(), d)
            })
            .collect(),
    };
    let Ok(text) = serde_json::to_vec(&cache) else {
        return;
    };
    write_bytes(&file, &text);
}

/// Write aside and rename, so a reader never sees half a file; a cache
/// that cannot be written is only slower.
fn write_bytes(file: &Path, bytes: &[u8]) {
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = file.with_extension(format!("json.{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
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
