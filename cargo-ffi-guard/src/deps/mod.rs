//! Dependencies are read, never built: the foreign declarations (and
//! `#[ffi_guard]` options) of the packages a crate can call, from their
//! sources on disk, and the bindings their build scripts generated in an
//! `OUT_DIR` of a previous build.
//!
//! Which packages: the linted package's direct dependencies (normal and dev;
//! build dependencies only serve the build script, which is not linted),
//! and, through any number of steps, the dependencies those re-export
//! (`pub use libsqlite3_sys as ffi;`, `pub extern crate x;`): what the crate
//! can name in a call. `libc` is not read: its functions are known by name
//! (SPEC §4) and its declarations are for every platform at once.
//!
//! Each package read is summarized ([`cache::Summary`]) and cached under the
//! target directory by package id and checksum ([`cache`]); a second run
//! parses no dependency.

pub mod cache;
pub mod out_dir;
pub mod ownership;
pub mod summary;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use syn::Item;

use crate::model::SourceFile;
use ffi_guard_syntax::{Config, Conventions};
use out_dir::OutInclude;
use summary::{DeclaredFn, Reader};

/// The packages of a resolved dependency graph, shared by the linted packages.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
}

/// One package of the graph.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub version: String,
    /// The root file of its lib target, if it has one.
    pub lib: Option<PathBuf>,
    pub root: PathBuf,
    pub checksum: Option<String>,
    /// Its dependencies (normal ones): the name its code uses for each, and the node.
    pub deps: Vec<(String, usize)>,
}

/// What a linted package may read of its dependencies.
#[derive(Debug, Clone)]
pub struct DepsOf {
    pub graph: Arc<Graph>,
    /// Its direct (normal and dev) dependencies, each with whether it is
    /// only for some platforms (`[target.'cfg(..)'.dependencies]`).
    pub direct: Vec<(usize, bool)>,
}

/// The foreign fns of one package read.
#[derive(Debug, Clone)]
pub struct PackageFns {
    pub package: String,
    pub fns: Vec<DeclaredFn>,
}

/// What the lints know from outside the crate's own sources.
#[derive(Debug, Default)]
pub struct Known {
    /// Dependencies read, in the order found.
    pub packages: Vec<PackageFns>,
    /// Declarations of the crate's own generated bindings.
    pub own_bindings: Vec<DeclaredFn>,
    /// The crate's own `include!`s of `OUT_DIR` files no build provides: (file, include).
    pub missing_bindings: Vec<(String, OutInclude)>,
    /// The same for the dependencies read: (package, absolute file, include).
    pub dep_missing_bindings: Vec<(String, String, OutInclude)>,
    /// C library conventions with the package's `pairs` and `borrowed`.
    pub conventions: Conventions,
    /// Dependencies parsed this run, and read from the cache.
    pub parsed: usize,
    pub cached: usize,
    /// Rust name -> (package index, fn index), for calls. The crate's own
    /// bindings have package index `usize::MAX`.
    by_name: HashMap<String, (usize, usize)>,
}

impl Known {
    /// The declaration a call of `name` reaches outside the crate's sources.
    pub fn foreign(&self, name: &str) -> Option<&DeclaredFn> {
        let &(p, f) = self.by_name.get(name)?;
        if p == usize::MAX {
            self.own_bindings.get(f)
        } else {
            self.packages.get(p)?.fns.get(f)
        }
    }

    /// Whether any declaration outside the crate's sources has that name.
    pub fn is_foreign(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Every declaration read outside the crate's sources: its generated
    /// bindings first, then the dependencies in the order read.
    pub fn declared(&self) -> impl Iterator<Item = &DeclaredFn> {
        self.own_bindings
            .iter()
            .chain(self.packages.iter().flat_map(|p| &p.fns))
    }

    /// How many distinct foreign fns the dependencies declare.
    pub fn dependency_fn_count(&self) -> usize {
        self.packages
            .iter()
            .flat_map(|p| &p.fns)
            .map(|f| f.name.as_str())
            .collect::<HashSet<_>>()
            .len()
    }

    fn index(&mut self) {
        for (f, d) in self.own_bindings.iter().enumerate() {
            self.by_name
                .entry(d.name.clone())
                .or_insert((usize::MAX, f));
        }
        for (p, pkg) in self.packages.iter().enumerate() {
            for (f, d) in pkg.fns.iter().enumerate() {
                self.by_name.entry(d.name.clone()).or_insert((p, f));
            }
        }
    }
}

/// Where a package's build outputs are, and what its dependencies are.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub name: &'a str,
    pub target_dir: &'a Path,
    pub metadata: &'a serde_json::Value,
    pub deps: Option<&'a DepsOf>,
}

/// Read what the crate whose files are `files` knows from outside them.
pub fn load(cx: Context<'_>, files: &[SourceFile]) -> Known {
    let mut known = Known::default();
    // Malformed configuration is reported (and stops the run) before
    // linting starts.
    if let Ok(config) = conventions_config(cx.metadata) {
        known.conventions = Conventions::with_config(config);
    }
    let (fns, missing) = own_bindings(cx, files, &known.conventions);
    known.own_bindings = fns;
    known.missing_bindings = missing;
    if let Some(deps) = cx.deps {
        read_dependencies(deps, cx.target_dir, &mut known);
    }
    known.index();
    known
}

/// The package's `pairs` and `borrowed` (`metadata` is its
/// `[package.metadata]`, as `cargo metadata` gives it), read by the same
/// [`Config`] as the macro reads them: both accept and reject alike.
pub fn conventions_config(
    metadata: &serde_json::Value,
) -> Result<Config, ffi_guard_syntax::ConfigError> {
    const AT: &str = "package.metadata.ffi-guard";
    let Some(table) = metadata.get("ffi-guard") else {
        return Ok(Config::default());
    };
    // `cargo metadata` gives the TOML table as JSON; no TOML value is null.
    let table = toml::Value::try_from(table).map_err(|e| ffi_guard_syntax::ConfigError {
        key: AT.to_owned(),
        message: e.to_string(),
    })?;
    Config::from_table(&table, AT)
}

/// The crate's own `include!`d bindings, read from the newest build output.
fn own_bindings(
    cx: Context<'_>,
    files: &[SourceFile],
    conventions: &Conventions,
) -> (Vec<DeclaredFn>, Vec<(String, OutInclude)>) {
    let mut missing = Vec::new();
    let mut parsed = Vec::new();
    let conditional = summary::ConditionalModules::of(files);
    for f in files {
        for inc in out_dir::includes(&f.ast.items, conditional.holds(f)) {
            match out_dir::find(cx.target_dir, cx.name, &inc.rel) {
                Some(p) => {
                    if let Some(file) = parse_generated(&p) {
                        parsed.push((p.display().to_string(), file));
                    }
                }
                None if inc.conditional => {}
                None => missing.push((f.path.clone(), inc)),
            }
        }
    }
    let mut reader = Reader::default();
    reader.conventions = conventions.clone();
    for (_, file) in &parsed {
        reader.aliases(&file.items);
    }
    for f in files {
        reader.aliases(&f.ast.items);
    }
    for (path, file) in &parsed {
        reader.declarations(path, &file.items, false);
    }
    (reader.fns, missing)
}

/// Parse a generated file; one that does not parse is not read.
fn parse_generated(path: &Path) -> Option<syn::File> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut file = syn::parse_file(&text).ok()?;
    ffi_guard_syntax::normalize_safe_fns(&mut file.items);
    Some(file)
}

/// Summarize (or take from the cache) every dependency the crate can call.
fn read_dependencies(deps: &DepsOf, target_dir: &Path, known: &mut Known) {
    let graph = &deps.graph;
    let mut queue: VecDeque<(usize, bool)> = deps.direct.iter().copied().collect();
    let mut seen: HashSet<usize> = queue.iter().map(|(n, _)| *n).collect();
    while let Some((n, platform_specific)) = queue.pop_front() {
        let Some(node) = graph.nodes.get(n) else {
            continue;
        };
        if node.name == "libc" {
            continue;
        }
        let Some(lib) = &node.lib else { continue };
        let file = cache::path(target_dir, &node.name, &node.version, &node.id);
        let find = |rel: &str| out_dir::find(target_dir, &node.name, rel);
        let summary = match cache::read(&file, &node.id, node.checksum.as_deref(), find) {
            Some(s) => {
                known.cached += 1;
                s
            }
            None => {
                let s = summarize(node, lib, target_dir);
                cache::write(&file, &s);
                known.parsed += 1;
                s
            }
        };
        for (dep_name, d) in &node.deps {
            if summary.reexports.iter().any(|r| r == dep_name) && seen.insert(*d) {
                queue.push_back((*d, platform_specific));
            }
        }
        // A dependency for some platforms only may never be built here.
        let missing = summary
            .missing_bindings
            .into_iter()
            .filter(|(_, inc)| !platform_specific && !inc.conditional);
        for (file, inc) in missing {
            known
                .dep_missing_bindings
                .push((node.name.clone(), file, inc));
        }
        if !summary.fns.is_empty() {
            known.packages.push(PackageFns {
                package: node.name.clone(),
                fns: summary.fns,
            });
        }
    }
}

/// Read one dependency from its sources.
fn summarize(node: &Node, lib: &Path, target_dir: &Path) -> cache::Summary {
    let files = crate::workspace::read_module_tree(&node.root, lib);
    let mut hashed = Vec::new();
    if node.checksum.is_none() {
        for f in &files {
            hashed.push((node.root.join(&f.path), cache::fnv(f.text.as_bytes())));
        }
    }
    let mut bindings = Vec::new();
    let mut generated = Vec::new();
    let mut missing_bindings = Vec::new();
    let conditional = summary::ConditionalModules::of(&files);
    for f in &files {
        // `include!("bindings_zstd.rs")`: checked-in bindings.
        let path = node.root.join(&f.path);
        let dir = path.parent().unwrap_or(&node.root);
        for rel in out_dir::source_includes(&f.ast.items) {
            let p = dir.join(rel);
            if let Ok(bytes) = std::fs::read(&p)
                && node.checksum.is_none()
            {
                hashed.push((p.clone(), cache::fnv(&bytes)));
            }
            if let Some(file) = parse_generated(&p) {
                generated.push((p.display().to_string(), file));
            }
        }
        for inc in out_dir::includes(&f.ast.items, conditional.holds(f)) {
            let found = out_dir::find(target_dir, &node.name, &inc.rel);
            bindings.push((inc.rel.clone(), found.clone()));
            match found {
                Some(p) => {
                    if let Ok(bytes) = std::fs::read(&p) {
                        hashed.push((p.clone(), cache::fnv(&bytes)));
                    }
                    if let Some(file) = parse_generated(&p) {
                        generated.push((p.display().to_string(), file));
                    }
                }
                None => missing_bindings.push((node.root.join(&f.path).display().to_string(), inc)),
            }
        }
    }
    let mut reader = Reader::default();
    for f in &files {
        reader.aliases(&f.ast.items);
    }
    for (_, g) in &generated {
        reader.aliases(&g.items);
    }
    let mut reexports = Vec::new();
    for f in &files {
        reader.declarations(
            &node.root.join(&f.path).display().to_string(),
            &f.ast.items,
            false,
        );
        reexports_of(&f.ast.items, &mut reexports);
    }
    for (path, g) in &generated {
        reader.declarations(path, &g.items, false);
    }
    reexports.sort();
    reexports.dedup();
    cache::Summary {
        tool: cache::tool(),
        id: node.id.clone(),
        checksum: node.checksum.clone(),
        files: hashed,
        bindings,
        fns: reader.fns,
        reexports,
        missing_bindings,
    }
}

/// The first segments of `pub use` paths and the names of `pub extern crate`s.
fn reexports_of(items: &[Item], out: &mut Vec<String>) {
    fn first(tree: &syn::UseTree, out: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => out.push(p.ident.to_string()),
            syn::UseTree::Name(n) => out.push(n.ident.to_string()),
            syn::UseTree::Rename(r) => out.push(r.ident.to_string()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| first(t, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    for item in items {
        match item {
            Item::Use(u) if !matches!(u.vis, syn::Visibility::Inherited) => first(&u.tree, out),
            Item::ExternCrate(c) if !matches!(c.vis, syn::Visibility::Inherited) => {
                out.push(c.ident.to_string());
            }
            Item::Mod(m) if !matches!(m.vis, syn::Visibility::Inherited) => {
                if let Some((_, inner)) = &m.content {
                    reexports_of(inner, out);
                }
            }
            _ => {}
        }
    }
}
