//! `cargo metadata` -> packages -> module trees -> parsed files.
//!
//! Nothing here builds, runs a build script or expands a proc macro: the
//! only process started is `cargo metadata --offline` (with `--no-deps`
//! unless the dependencies are read, see `crate::deps`), and every file is
//! read as text and parsed with syn.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::index::Index;
use crate::model::{Crate, ParseError, SourceFile};

/// Why the packages to lint could not be found.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("no file at `{0}`; pass `--manifest-path` the path of a crate's Cargo.toml")]
    ManifestMissing(PathBuf),
    #[error("`{0}` is not a Cargo.toml; pass `--manifest-path` the path of a crate's Cargo.toml")]
    NotAManifest(PathBuf),
    #[error(
        "`{0}` is not inside a crate (no Cargo.toml there or in any parent directory); run in a crate or pass `--manifest-path path/to/Cargo.toml`"
    )]
    NoManifestFound(PathBuf),
    #[error("`cargo metadata` failed for `{path}`:\n{message}")]
    Metadata { path: String, message: String },
    #[error("package `{name}` is not a member of this workspace; members: {members}")]
    UnknownPackage { name: String, members: String },
}

/// The packages `cargo metadata` lists, narrowed to those to lint.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    /// `[workspace.metadata]`.
    pub metadata: serde_json::Value,
    pub packages: Vec<PackageSpec>,
    /// Why the dependencies are not read although they were asked for
    /// (not on disk): said once, then linted as with `--no-deps`.
    pub deps_note: Option<String>,
}

/// One package to lint.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    pub name: String,
    /// cargo's package id (as in `cargo metadata` and its message stream).
    pub id: String,
    /// The package's `Cargo.toml`.
    pub manifest_path: PathBuf,
    /// The directory of the package's Cargo.toml.
    pub root: PathBuf,
    pub targets: Vec<TargetSpec>,
    /// `[package.metadata]`.
    pub metadata: serde_json::Value,
    /// Cargo's target directory, where build outputs and the cache are.
    pub target_dir: PathBuf,
    /// The dependencies to read; `None` with `--no-deps`.
    pub deps: Option<crate::deps::DepsOf>,
}

/// One target (crate root) of a package.
#[derive(Debug, Clone)]
pub struct TargetSpec {
    pub name: String,
    pub kind: String,
    pub src_path: PathBuf,
}

/// Ask cargo for the workspace and pick packages: `-p` names, `--workspace`,
/// or by default the root package (every member for a virtual manifest).
pub fn load(
    manifest_path: Option<&Path>,
    workspace: bool,
    names: &[String],
) -> Result<Workspace, WorkspaceError> {
    load_with(manifest_path, workspace, names, false)
}

/// [`load`], and with `read_deps` the resolved dependency graph too (still
/// `--offline`: sources already on disk, no build). When cargo cannot
/// resolve it offline (dependencies not on disk), the workspace is loaded as
/// with `--no-deps` and `deps_note` says why.
pub fn load_with(
    manifest_path: Option<&Path>,
    workspace: bool,
    names: &[String],
    read_deps: bool,
) -> Result<Workspace, WorkspaceError> {
    if read_deps {
        // The graph of the last run, while Cargo.lock and the manifests are
        // the same: one `--no-deps` call, as without dependencies.
        let mut ws = load_meta(manifest_path, workspace, names, false)?;
        if let Some(graph) = crate::deps::cache::read_graph(&ws) {
            graph.attach(&mut ws);
            return Ok(ws);
        }
        match load_meta(manifest_path, workspace, names, true) {
            Ok(full) => {
                crate::deps::cache::write_graph(&full);
                return Ok(full);
            }
            Err(WorkspaceError::Metadata { message, .. }) => {
                let first = message
                    .lines()
                    .find(|l| l.starts_with("error"))
                    .unwrap_or("cargo cannot resolve them offline")
                    .trim_start_matches("error: ");
                ws.deps_note = Some(format!(
                    "the dependencies of `{}` are not all on disk ({first}); linting without them, as with `--no-deps` (`cargo fetch` once makes them readable)",
                    ws.root.display()
                ));
                return Ok(ws);
            }
            Err(e) => return Err(e),
        }
    }
    load_meta(manifest_path, workspace, names, false)
}

fn load_meta(
    manifest_path: Option<&Path>,
    workspace: bool,
    names: &[String],
    with_deps: bool,
) -> Result<Workspace, WorkspaceError> {
    let mut cmd = cargo_metadata::MetadataCommand::new();
    if !with_deps {
        cmd.no_deps();
    }
    cmd.other_options(vec!["--offline".to_owned()]);
    // The package the user points at: the manifest given, or the nearest
    // Cargo.toml above the current directory (as cargo picks it).
    let (shown, pointed) = match manifest_path {
        Some(p) => {
            let p = manifest_file(p)?;
            cmd.manifest_path(&p);
            (p.clone(), p)
        }
        None => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let Some(dir) = cwd.ancestors().find(|d| d.join("Cargo.toml").is_file()) else {
                return Err(WorkspaceError::NoManifestFound(cwd));
            };
            let m = dir.join("Cargo.toml");
            (cwd, m)
        }
    };
    let pointed = std::fs::canonicalize(&pointed).unwrap_or(pointed);
    let meta = cmd.exec().map_err(|e| WorkspaceError::Metadata {
        path: shown.display().to_string(),
        message: match e {
            cargo_metadata::Error::CargoMetadata { stderr } => stderr.trim().to_owned(),
            other => other.to_string(),
        },
    })?;
    let members: Vec<&cargo_metadata::Package> = meta.workspace_packages();
    let chosen: Vec<&cargo_metadata::Package> = if !names.is_empty() {
        let mut out = Vec::new();
        for n in names {
            match members.iter().find(|p| p.name.as_str() == n) {
                Some(p) => out.push(*p),
                None => {
                    let mut all: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                    all.sort_unstable();
                    return Err(WorkspaceError::UnknownPackage {
                        name: n.clone(),
                        members: all.join(", "),
                    });
                }
            }
        }
        out
    } else if workspace {
        members.clone()
    } else if let Some(p) = members
        .iter()
        .find(|p| std::fs::canonicalize(p.manifest_path.as_std_path()).is_ok_and(|m| m == pointed))
    {
        // A package's own manifest: that package, as cargo does.
        vec![*p]
    } else if let Some(root) = meta.root_package() {
        vec![root]
    } else {
        // A virtual manifest: every member.
        members.clone()
    };
    let target_dir = meta.target_directory.as_std_path().to_path_buf();
    let graph = with_deps.then(|| dep_graph(&meta));
    let packages = chosen
        .into_iter()
        .map(|p| PackageSpec {
            target_dir: target_dir.clone(),
            deps: graph.as_ref().map(|(g, ids)| crate::deps::DepsOf {
                graph: g.clone(),
                direct: direct_deps(&meta, &p.id, ids),
            }),
            name: p.name.to_string(),
            id: p.id.repr.clone(),
            manifest_path: p.manifest_path.as_std_path().to_path_buf(),
            root: p
                .manifest_path
                .parent()
                .map_or_else(|| PathBuf::from("."), |d| d.as_std_path().to_path_buf()),
            targets: p
                .targets
                .iter()
                .filter(|t| !t.kind.iter().any(|k| k.to_string() == "custom-build"))
                .map(|t| TargetSpec {
                    name: t.name.clone(),
                    kind: t.kind.first().map_or_else(String::new, |k| k.to_string()),
                    src_path: t.src_path.as_std_path().to_path_buf(),
                })
                .collect(),
            metadata: p.metadata.clone(),
        })
        .collect();
    Ok(Workspace {
        root: meta.workspace_root.as_std_path().to_path_buf(),
        metadata: meta.workspace_metadata.clone(),
        packages,
        deps_note: None,
    })
}

/// The resolved packages as a graph, and each package id's node.
fn dep_graph(
    meta: &cargo_metadata::Metadata,
) -> (
    std::sync::Arc<crate::deps::Graph>,
    std::collections::HashMap<String, usize>,
) {
    let checksums =
        crate::deps::cache::lock_checksums(&meta.workspace_root.as_std_path().join("Cargo.lock"));
    let ids: std::collections::HashMap<String, usize> = meta
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.repr.clone(), i))
        .collect();
    let mut nodes: Vec<crate::deps::Node> = meta
        .packages
        .iter()
        .map(|p| crate::deps::Node {
            id: p.id.repr.clone(),
            name: p.name.to_string(),
            version: p.version.to_string(),
            lib: p
                .targets
                .iter()
                .find(|t| {
                    t.is_lib()
                        || t.kind.iter().any(|k| {
                            matches!(
                                k.to_string().as_str(),
                                "rlib" | "dylib" | "staticlib" | "cdylib"
                            )
                        })
                })
                .map(|t| t.src_path.as_std_path().to_path_buf()),
            root: p
                .manifest_path
                .parent()
                .map_or_else(|| PathBuf::from("."), |d| d.as_std_path().to_path_buf()),
            checksum: p.source.as_ref().and_then(|s| {
                checksums
                    .get(&(p.name.to_string(), p.version.to_string(), s.repr.clone()))
                    .cloned()
            }),
            deps: Vec::new(),
        })
        .collect();
    if let Some(resolve) = &meta.resolve {
        for n in &resolve.nodes {
            let Some(&i) = ids.get(&n.id.repr) else {
                continue;
            };
            nodes[i].deps = n
                .deps
                .iter()
                .filter(|d| {
                    d.dep_kinds
                        .iter()
                        .any(|k| k.kind == cargo_metadata::DependencyKind::Normal)
                })
                .filter_map(|d| Some((d.name.clone(), *ids.get(&d.pkg.repr)?)))
                .collect();
        }
    }
    (std::sync::Arc::new(crate::deps::Graph { nodes }), ids)
}

/// The direct normal and dev dependencies of package `id` (build
/// dependencies serve only the build script, which is not linted).
fn direct_deps(
    meta: &cargo_metadata::Metadata,
    id: &cargo_metadata::PackageId,
    ids: &std::collections::HashMap<String, usize>,
) -> Vec<(usize, bool)> {
    let Some(node) = meta
        .resolve
        .as_ref()
        .and_then(|r| r.nodes.iter().find(|n| &n.id == id))
    else {
        return Vec::new();
    };
    node.deps
        .iter()
        .filter_map(|d| {
            let kinds: Vec<_> = d
                .dep_kinds
                .iter()
                .filter(|k| k.kind != cargo_metadata::DependencyKind::Build)
                .collect();
            let platform_specific = kinds.iter().all(|k| k.target.is_some());
            (!kinds.is_empty()).then_some((*ids.get(&d.pkg.repr)?, platform_specific))
        })
        .collect()
}

/// The Cargo.toml that `--manifest-path` means: the file itself, or the
/// Cargo.toml inside a directory.
fn manifest_file(p: &Path) -> Result<PathBuf, WorkspaceError> {
    if p.is_dir() {
        let m = p.join("Cargo.toml");
        return if m.is_file() {
            Ok(m)
        } else {
            Err(WorkspaceError::NotAManifest(p.to_path_buf()))
        };
    }
    if !p.exists() {
        return Err(WorkspaceError::ManifestMissing(p.to_path_buf()));
    }
    if p.file_name().is_none_or(|n| n != "Cargo.toml") {
        return Err(WorkspaceError::NotAManifest(p.to_path_buf()));
    }
    Ok(p.to_path_buf())
}

/// Read and parse every target's module tree and index the crate. Runs on
/// the calling thread: proc-macro2 keeps span locations per thread, so the
/// lints must run on the thread that parsed.
pub fn load_crate(pkg: &PackageSpec) -> Crate {
    let mut loader = Loader {
        root: &pkg.root,
        seen: HashSet::new(),
        files: Vec::new(),
        errors: Vec::new(),
        target: 0,
        target_label: String::new(),
    };
    let mut targets = Vec::new();
    for (t, target) in pkg.targets.iter().enumerate() {
        loader.target = t;
        loader.target_label = format!("{} target `{}`", target.kind, target.name);
        targets.push((target.name.clone(), target.kind.clone()));
        loader.load_file(&target.src_path, vec!["crate".to_owned()], true, None);
    }
    let mut krate = finish(
        pkg.name.clone(),
        pkg.root.clone(),
        loader.files,
        loader.errors,
        &targets,
    );
    krate.metadata = pkg.metadata.clone();
    krate.deps = crate::deps::load(
        crate::deps::Context {
            name: &pkg.name,
            target_dir: &pkg.target_dir,
            metadata: &pkg.metadata,
            deps: pkg.deps.as_ref(),
        },
        &krate.files,
    );
    krate
}

/// Read and parse the module tree of one crate root (a dependency's lib),
/// without indexing it. Files that cannot be read or parsed are left out.
pub fn read_module_tree(root: &Path, src_path: &Path) -> Vec<SourceFile> {
    let mut loader = Loader {
        root,
        seen: HashSet::new(),
        files: Vec::new(),
        errors: Vec::new(),
        target: 0,
        target_label: String::new(),
    };
    loader.load_file(src_path, vec!["crate".to_owned()], true, None);
    loader.files
}

/// A crate of one in-memory file, `src/lib.rs`: the front end without the
/// file system (for fuzzing and unit tests).
pub fn crate_from_source(text: &str) -> Crate {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    match parse(text) {
        Ok((ast, _, macro_types)) => files.push(SourceFile {
            path: "src/lib.rs".to_owned(),
            text: text.to_owned(),
            ast,
            module: vec!["crate".to_owned()],
            target: 0,
            module_id: 0,
            macro_types,
        }),
        Err(e) => errors.push(syn_error("src/lib.rs", &e)),
    }
    let targets = [("lib".to_owned(), "lib".to_owned())];
    finish(
        "input".to_owned(),
        PathBuf::from("."),
        files,
        errors,
        &targets,
    )
}

fn finish(
    package: String,
    root: PathBuf,
    mut files: Vec<SourceFile>,
    mut parse_errors: Vec<ParseError>,
    targets: &[(String, String)],
) -> Crate {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    parse_errors.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    let index = Index::build(&mut files, targets);
    Crate {
        package,
        root,
        files,
        parse_errors,
        index,
        metadata: serde_json::Value::Null,
        deps: crate::deps::Known::default(),
    }
}

/// A parsed file, how many top-level items are its own, and where the names
/// of types from opaque macro bodies are.
type Parsed = (syn::File, usize, Vec<(usize, usize)>);

thread_local! {
    /// Time spent parsing and opening macro bodies on this thread, for
    /// `FFI_GUARD_TIMINGS`.
    pub static PARSE_NS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    pub static EXPAND_NS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Parse a file and append the items found in its macro invocations.
/// Also returns how many top-level items are the file's own, and where the
/// types defined in opaque macro bodies are (see `SourceFile::macro_types`).
fn parse(text: &str) -> syn::Result<Parsed> {
    let t0 = std::time::Instant::now();
    let mut ast = syn::parse_file(text)?;
    let t1 = std::time::Instant::now();
    let own = ast.items.len();
    let mut macro_types = Vec::new();
    expand_macro_items(&mut ast.items, 0, &mut macro_types);
    // Edition 2024 `safe fn`s of `unsafe extern` blocks are verbatim tokens in
    // syn; make them ordinary foreign fns so every lint sees them.
    ffi_guard_syntax::normalize_safe_fns(&mut ast.items);
    PARSE_NS.with(|c| c.set(c.get() + (t1 - t0).as_nanos() as u64));
    EXPAND_NS.with(|c| c.set(c.get() + t1.elapsed().as_nanos() as u64));
    Ok((ast, own, macro_types))
}

fn syn_error(path: &str, e: &syn::Error) -> ParseError {
    let start = e.span().start();
    ParseError {
        path: path.to_owned(),
        line: start.line.max(1),
        column: start.column + 1,
        message: e.to_string(),
    }
}

/// How deeply macro bodies inside macro bodies are opened.
const MAX_MACRO_DEPTH: usize = 8;

/// Best effort: the items of `cfg_if! { if #[cfg(..)] { items } else { items } }`
/// (every branch) and of any other macro whose body parses as items, appended
/// after the items that are already there. Recurses into inline modules.
fn expand_macro_items(
    items: &mut Vec<syn::Item>,
    depth: usize,
    macro_types: &mut Vec<(usize, usize)>,
) {
    if depth > MAX_MACRO_DEPTH {
        return;
    }
    let mut extra = Vec::new();
    for item in items.iter_mut() {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &mut m.content {
                    expand_macro_items(inner, depth, macro_types);
                }
            }
            // `macro_rules!` bodies are patterns, not items.
            syn::Item::Macro(m) if m.ident.is_none() => {
                let before = extra.len();
                items_in_tokens(m.mac.tokens.clone(), &mut extra, 0);
                if !is_cfg_if(&m.mac) {
                    for it in &extra[before..] {
                        note_types(it, macro_types);
                    }
                }
            }
            _ => {}
        }
    }
    if !extra.is_empty() {
        expand_macro_items(&mut extra, depth + 1, macro_types);
        items.extend(extra);
    }
}

fn is_cfg_if(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "cfg_if")
}

/// Note where the name of each struct, enum and union of `item` is.
fn note_types(item: &syn::Item, out: &mut Vec<(usize, usize)>) {
    let ident = match item {
        syn::Item::Struct(s) => &s.ident,
        syn::Item::Enum(e) => &e.ident,
        syn::Item::Union(u) => &u.ident,
        syn::Item::Mod(m) => {
            if let Some((_, inner)) = &m.content {
                inner.iter().for_each(|i| note_types(i, out));
            }
            return;
        }
        _ => return,
    };
    let p = ident.span().start();
    out.push((p.line, p.column));
}

fn items_in_tokens(tokens: TokenStream, out: &mut Vec<syn::Item>, depth: usize) {
    if depth > MAX_MACRO_DEPTH || tokens.is_empty() {
        return;
    }
    if let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) {
        out.extend(file.items);
        return;
    }
    // `cfg_if!`-style bodies: the braced groups at the top level hold items.
    for tt in tokens {
        if let TokenTree::Group(g) = tt
            && g.delimiter() == Delimiter::Brace
        {
            items_in_tokens(g.stream(), out, depth + 1);
        }
    }
}

struct Loader<'a> {
    root: &'a Path,
    seen: HashSet<PathBuf>,
    files: Vec<SourceFile>,
    errors: Vec<ParseError>,
    target: usize,
    /// `test target `ffi-tests``, for the message when a target's root is missing.
    target_label: String,
}

/// A `mod x;` found in a file, and where its file may be.
struct ModDecl {
    module: Vec<String>,
    candidates: Vec<(PathBuf, bool)>,
    /// Under `#[cfg]` or from a macro body: a missing file is no error.
    lenient: bool,
    line: usize,
    column: usize,
}

impl Loader<'_> {
    /// Load one file of the module tree and everything it declares.
    /// `mod_rs`: a crate root, a `mod.rs` or a `#[path]` file, whose
    /// children sit in its own directory.
    fn load_file(
        &mut self,
        path: &Path,
        module: Vec<String>,
        mod_rs: bool,
        from: Option<&ModDecl>,
    ) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if !self.seen.insert(key) {
            return;
        }
        let rel = self.rel(path);
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                if from.is_some_and(|d| d.lenient) {
                    return;
                }
                let message = match from {
                    None => format!(
                        "cannot read the root file of the {} declared in Cargo.toml: {e}",
                        self.target_label
                    ),
                    Some(_) => format!("cannot read the file: {e}"),
                };
                self.errors.push(ParseError {
                    path: rel,
                    line: 1,
                    column: 1,
                    message,
                });
                return;
            }
        };
        let (ast, own, macro_types) = match parse(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.errors.push(syn_error(&rel, &e));
                return;
            }
        };
        let dir = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let child_dir = if mod_rs {
            dir.clone()
        } else {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            dir.join(stem.unwrap_or_default())
        };
        let mut decls = Vec::new();
        find_mods(
            &ast.items, own, &child_dir, &dir, &module, false, &mut decls,
        );
        let target = self.target;
        self.files.push(SourceFile {
            path: rel.clone(),
            text,
            ast,
            module,
            target,
            module_id: 0,
            macro_types,
        });
        for d in decls {
            match d.candidates.iter().find(|(p, _)| p.is_file()) {
                Some((p, is_mod_rs)) => {
                    let p = p.clone();
                    self.load_file(&p, d.module.clone(), *is_mod_rs, Some(&d));
                }
                None if d.lenient => {}
                None => {
                    let names: Vec<String> =
                        d.candidates.iter().map(|(p, _)| self.rel(p)).collect();
                    self.errors.push(ParseError {
                        path: rel.clone(),
                        line: d.line,
                        column: d.column,
                        message: format!(
                            "file not found for module `{}`; looked for {}",
                            d.module.last().map_or("", String::as_str),
                            names.join(", ")
                        ),
                    });
                }
            }
        }
    }

    /// `path` relative to the package root, `/`-separated. Joined by
    /// component, so a `\` inside a Unix file name stays part of the name.
    fn rel(&self, path: &Path) -> String {
        let p = path.strip_prefix(self.root).unwrap_or(path);
        if p.has_root() {
            return p.to_string_lossy().into_owned();
        }
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The `mod x;` declarations of `items`, with the files each may live in.
/// `child_dir` is where `mod x;` looks; `path_base` is what a `#[path]`
/// is relative to.
fn find_mods(
    items: &[syn::Item],
    own_count: usize,
    child_dir: &Path,
    path_base: &Path,
    module: &[String],
    lenient: bool,
    out: &mut Vec<ModDecl>,
) {
    // Items appended from macro bodies come after the file's own items
    // (`own_count`); their modules may be for another platform, so a missing
    // file is fine.
    for (i, item) in items.iter().enumerate() {
        let syn::Item::Mod(m) = item else { continue };
        let name = m.ident.to_string();
        let mut child = module.to_vec();
        child.push(name.clone());
        let cfgd = m
            .attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"));
        let lenient = lenient || cfgd || i >= own_count;
        let path_attr = m.attrs.iter().find_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        });
        match &m.content {
            Some((_, inner)) => {
                // `#[path = "."] mod m { mod a; }`: the path names the
                // directory of the inline module's children.
                let dir = match &path_attr {
                    Some(p) => child_dir.join(p),
                    None => child_dir.join(&name),
                };
                find_mods(inner, inner.len(), &dir, &dir, &child, lenient, out);
            }
            None => {
                let candidates = match path_attr {
                    Some(p) => vec![(path_base.join(p), true)],
                    None => vec![
                        (child_dir.join(format!("{name}.rs")), false),
                        (child_dir.join(&name).join("mod.rs"), true),
                    ],
                };
                let start = m.mod_token.span.start();
                out.push(ModDecl {
                    module: child,
                    candidates,
                    lenient,
                    line: start.line,
                    column: start.column + 1,
                });
            }
        }
    }
}
