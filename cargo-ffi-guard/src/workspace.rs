//! `cargo metadata` -> packages -> module trees -> parsed files.
//!
//! Nothing here builds, runs a build script or expands a proc macro: the
//! only process started is `cargo metadata --offline` (with `--no-deps`
//! unless the dependencies are read, see `crate::deps`), and every file is
//! read as text and parsed with syn.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use crate::fence::{self, Unread};
use crate::index::Index;
use crate::model::{Crate, ParseError, Problem, SourceFile};
use crate::parse;
use crate::span_map::{self, Moved};

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
    #[error(
        "cannot run `{cargo}` for `cargo metadata`: {error}; pass `--cargo` the path of a cargo binary"
    )]
    CannotRunCargo { cargo: String, error: String },
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
    /// The workspace root: no file outside it is read.
    pub workspace_root: PathBuf,
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
    load_with(manifest_path, workspace, names, false, None)
}

/// [`load`], and with `read_deps` the resolved dependency graph too (still
/// `--offline`: sources already on disk, no build). When cargo cannot
/// resolve it offline (dependencies not on disk), the workspace is loaded as
/// with `--no-deps` and `deps_note` says why. `cargo metadata` runs with the
/// cargo at `cargo` when given (`--cargo`): the only program `check` starts.
pub fn load_with(
    manifest_path: Option<&Path>,
    workspace: bool,
    names: &[String],
    read_deps: bool,
    cargo: Option<&Path>,
) -> Result<Workspace, WorkspaceError> {
    if read_deps {
        // The graph of the last run, while Cargo.lock and the manifests are
        // the same: one `--no-deps` call, as without dependencies.
        let mut ws = load_meta(manifest_path, workspace, names, false, cargo)?;
        if let Some(graph) = crate::deps::cache::read_graph(&ws) {
            graph.attach(&mut ws);
            return Ok(ws);
        }
        match load_meta(manifest_path, workspace, names, true, cargo) {
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
    load_meta(manifest_path, workspace, names, false, cargo)
}

fn load_meta(
    manifest_path: Option<&Path>,
    workspace: bool,
    names: &[String],
    with_deps: bool,
    cargo: Option<&Path>,
) -> Result<Workspace, WorkspaceError> {
    let mut cmd = cargo_metadata::MetadataCommand::new();
    if !with_deps {
        cmd.no_deps();
    }
    cmd.other_options(vec!["--offline".to_owned()]);
    if let Some(cargo) = cargo {
        cmd.cargo_path(cargo);
    }
    let program = cargo.map_or_else(
        || {
            std::env::var_os("CARGO")
                .map_or_else(|| "cargo".to_owned(), |c| c.to_string_lossy().into_owned())
        },
        |c| c.display().to_string(),
    );
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
    let meta = cmd.exec().map_err(|e| match e {
        cargo_metadata::Error::Io(error) => WorkspaceError::CannotRunCargo {
            cargo: program,
            error: error.to_string(),
        },
        cargo_metadata::Error::CargoMetadata { stderr } => WorkspaceError::Metadata {
            path: shown.display().to_string(),
            message: stderr.trim().to_owned(),
        },
        other => WorkspaceError::Metadata {
            path: shown.display().to_string(),
            message: other.to_string(),
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
    let workspace_root = meta.workspace_root.as_std_path().to_path_buf();
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
            workspace_root: workspace_root.clone(),
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

/// Read and parse every target's module tree and index the crate, on the
/// calling thread (which then lints it). Files are parsed on worker threads
/// when the crate has several and the positions of spans can be shared (see
/// `span_map`); otherwise here.
pub fn load_crate(pkg: &PackageSpec) -> Crate {
    let mut loader = Loader::new(pkg);
    let roots = loader.roots(pkg);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_PARSE_THREADS);
    if workers > 1 {
        if let Some(()) = loader.parse_on_workers(roots, workers) {
            return loader.finish(pkg);
        }
        // The positions could not be shared: parse everything here.
        loader = Loader::new(pkg);
        let roots = loader.roots(pkg);
        loader.parse_here(roots);
    } else {
        loader.parse_here(roots);
    }
    loader.finish(pkg)
}

/// Read and parse the module tree of one crate root (a dependency's lib),
/// without indexing it, on the calling thread. Only files inside `root` are
/// read; files that cannot be read or parsed are left out.
pub fn read_module_tree(root: &Path, src_path: &Path) -> Vec<SourceFile> {
    let mut loader = Loader::inside(root);
    let at = Site::Manifest {
        label: "the lib target of a dependency".to_owned(),
    };
    let roots = loader
        .admit(src_path, vec!["crate".to_owned()], true, 0, &at)
        .into_iter()
        .collect();
    loader.parse_here(roots);
    loader.files
}

/// A crate of one in-memory file, `src/lib.rs`: the front end without the
/// file system (for fuzzing and unit tests).
pub fn crate_from_source(text: &str) -> Crate {
    let job = Job {
        offset: 0,
        path: PathBuf::from("src/lib.rs"),
        rel: "src/lib.rs".to_owned(),
        text: text.to_owned(),
        module: vec!["crate".to_owned()],
        mod_rs: true,
        target: 0,
    };
    let parsed = parse_job(job, false);
    let targets = [("lib".to_owned(), "lib".to_owned())];
    finish(
        "input".to_owned(),
        PathBuf::from("."),
        parsed.file.into_iter().collect(),
        parsed.errors,
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

/// Parse threads per crate (the lint threads of other packages run too).
const MAX_PARSE_THREADS: usize = 4;
/// Modules nested deeper than this (inline or through files) are not read:
/// module paths are kept per module, so memory grows with the square of
/// the depth. Real crates stay under ten.
pub const MAX_MODULE_DEPTH: usize = 64;
/// The most source text read for one package.
pub const MAX_CRATE_BYTES: u64 = 512 << 20;

/// The stack of a parse worker: syn recurses once per nesting level, which
/// `parse::MAX_NESTING` bounds (reserved, not used).
const PARSE_STACK: usize = 64 << 20;

/// A file to parse, already read.
struct Job {
    /// Where its text starts in the source maps (see `span_map`).
    offset: u32,
    /// As the module tree names it (for the directories of its children).
    path: PathBuf,
    /// Relative to the package root, `/`-separated.
    rel: String,
    text: String,
    module: Vec<String>,
    /// A crate root, a `mod.rs` or a `#[path]` file: its children sit in
    /// its own directory.
    mod_rs: bool,
    target: usize,
}

/// What parsing a file produced, as plain data besides the tree.
struct FileOut {
    offset: u32,
    /// The text the lexer saw (see `parse::lexed_part`): its shadow is
    /// registered where the tree is linted.
    lexed: Option<(usize, usize)>,
    file: Option<SourceFile>,
    decls: Vec<ModDecl>,
    errors: Vec<ParseError>,
    /// Line and column of the first item, to check that the linting
    /// thread reads spans as the parsing thread did.
    first: Option<(usize, usize)>,
}

/// Parse one file: its tree, its `mod x;` declarations, what was lost.
/// `check`: note the first item's position (for `span_map`).
fn parse_job(job: Job, check: bool) -> FileOut {
    let mut out = FileOut {
        offset: job.offset,
        lexed: None,
        file: None,
        decls: Vec::new(),
        errors: Vec::new(),
        first: None,
    };
    let (content, _) = parse::lexed_part(&job.text);
    let skipped = job.text.len() - content.len();
    out.lexed = Some((skipped, job.text.len()));
    let parsed = match parse::parse(&job.text) {
        Ok(parsed) => parsed,
        Err(lost) => {
            out.errors
                .push(lost_error(&job.rel, lost, Problem::WholeFile));
            return out;
        }
    };
    for lost in parsed.lost {
        let (first, last) = lost.lines;
        out.errors
            .push(lost_error(&job.rel, lost, Problem::Lines(first, last)));
    }
    let dir = job
        .path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let child_dir = if job.mod_rs {
        dir.clone()
    } else {
        let stem = job
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        dir.join(stem.unwrap_or_default())
    };
    find_mods(
        &parsed.ast.items,
        parsed.own,
        (&child_dir, &dir),
        &job.module,
        false,
        (&job.rel, job.target),
        &mut out.decls,
    );
    if check {
        out.first = parsed.ast.items.first().map(|i| {
            let p = syn::spanned::Spanned::span(i).start();
            (p.line, p.column)
        });
    }
    out.file = Some(SourceFile {
        path: job.rel,
        text: job.text,
        ast: parsed.ast,
        module: job.module,
        target: job.target,
        module_id: 0,
        macro_types: parsed.macro_types,
    });
    out
}

fn lost_error(path: &str, lost: parse::Lost, problem: Problem) -> ParseError {
    ParseError {
        path: path.to_owned(),
        line: lost.line,
        column: lost.column,
        message: lost.message,
        problem,
    }
}

/// Walks the module trees of a package's targets: reads each file (see
/// `fence`), hands it to be parsed, and follows its `mod` declarations.
struct Loader {
    /// The package root, for relative paths.
    root: PathBuf,
    /// The canonical workspace root: no file outside it is read.
    fence: PathBuf,
    seen: HashSet<PathBuf>,
    files: Vec<SourceFile>,
    errors: Vec<ParseError>,
    /// Where the next file's text starts in the source maps.
    next_offset: u32,
    bytes_read: u64,
    targets: Vec<(String, String)>,
}

/// A `mod x;` found in a file, and where its file may be.
struct ModDecl {
    module: Vec<String>,
    candidates: Vec<(PathBuf, bool)>,
    /// Under `#[cfg]` or from a macro body: a missing file is no error.
    lenient: bool,
    /// The declaring file, relative to the package root.
    from: String,
    line: usize,
    column: usize,
    target: usize,
}

impl Loader {
    /// A loader for a dependency's sources: paths relative to `root`, and
    /// no file outside it read.
    fn inside(root: &Path) -> Loader {
        Loader {
            root: root.to_path_buf(),
            fence: fence::canonical_root(root),
            seen: HashSet::new(),
            files: Vec::new(),
            errors: Vec::new(),
            next_offset: span_map::next_position().unwrap_or(0) + span_map::GAP,
            bytes_read: 0,
            targets: vec![("lib".to_owned(), "lib".to_owned())],
        }
    }

    fn new(pkg: &PackageSpec) -> Loader {
        Loader {
            root: pkg.root.clone(),
            fence: fence::canonical_root(&pkg.workspace_root),
            seen: HashSet::new(),
            files: Vec::new(),
            errors: Vec::new(),
            // After whatever this thread lexed before (another package).
            next_offset: span_map::next_position().unwrap_or(0) + span_map::GAP,
            bytes_read: 0,
            targets: Vec::new(),
        }
    }

    /// The root file of every target, read.
    fn roots(&mut self, pkg: &PackageSpec) -> Vec<Job> {
        let mut jobs = Vec::new();
        for (t, target) in pkg.targets.iter().enumerate() {
            self.targets
                .push((target.name.clone(), target.kind.clone()));
            let label = format!("{} target `{}`", target.kind, target.name);
            let at = Site::Manifest { label };
            jobs.extend(self.admit(&target.src_path, vec!["crate".to_owned()], true, t, &at));
        }
        jobs
    }

    /// Read the file at `path` for the module `module`, unless it was read
    /// already; errors are noted at `at`.
    fn admit(
        &mut self,
        path: &Path,
        module: Vec<String>,
        mod_rs: bool,
        target: usize,
        at: &Site,
    ) -> Option<Job> {
        let rel = self.rel(path);
        let resolved = match fence::resolve(path, &self.fence) {
            Ok(p) => p,
            Err(why) => {
                self.unread(&rel, &why, at);
                return None;
            }
        };
        if !self.seen.insert(resolved.clone()) {
            return None;
        }
        let text = match fence::read(&resolved) {
            Ok(t) => t,
            Err(why) => {
                self.unread(&rel, &why, at);
                return None;
            }
        };
        self.bytes_read += text.len() as u64;
        if self.bytes_read > MAX_CRATE_BYTES {
            self.errors.push(ParseError {
                path: rel.clone(),
                line: 1,
                column: 1,
                message: format!(
                    "the package's files exceed {} MiB of source; `{rel}` and the files after it were not parsed",
                    MAX_CRATE_BYTES >> 20
                ),
                problem: Problem::WholeFile,
            });
            return None;
        }
        let offset = self.next_offset;
        let chars = parse::lexed_part(&text).0.chars().count() as u32;
        self.next_offset = offset + chars + span_map::GAP;
        Some(Job {
            offset,
            path: path.to_path_buf(),
            rel,
            text,
            module,
            mod_rs,
            target,
        })
    }

    /// Note why the file `rel` was not read, where the user can act on it.
    fn unread(&mut self, rel: &str, why: &Unread, at: &Site) {
        let (path, line, column) = match at {
            Site::Manifest { .. } => ("Cargo.toml".to_owned(), 1, 1),
            Site::Decl { from, line, column } => (from.clone(), *line, *column),
        };
        let what = match at {
            Site::Manifest { label } => {
                format!("the root file of the {label} declared in Cargo.toml, `{rel}`,")
            }
            Site::Decl { .. } => format!("`{rel}`"),
        };
        let (problem, path, line, column) = match why {
            Unread::Outside { .. } => (Problem::OutsideWorkspace, path, line, column),
            Unread::Missing => (Problem::MissingModule, path, line, column),
            // The file itself is named; nothing of it is shown.
            _ => (Problem::WholeFile, rel.to_owned(), 1, 1),
        };
        let message = match why {
            Unread::Outside { resolved } => format!(
                "{what} resolves to `{}`, outside the workspace root `{}`; it was not read",
                resolved.display(),
                self.fence.display()
            ),
            other => format!("{what} {}", other.describe()),
        };
        self.errors.push(ParseError {
            path,
            line,
            column,
            message,
            problem,
        });
    }

    /// The files of a parsed file's `mod` declarations, read.
    fn follow(&mut self, decls: Vec<ModDecl>) -> Vec<Job> {
        let mut jobs = Vec::new();
        for d in decls {
            let name = d.module.last().map_or("", String::as_str).to_owned();
            let at = Site::Decl {
                from: d.from.clone(),
                line: d.line,
                column: d.column,
            };
            if d.module.len() > MAX_MODULE_DEPTH {
                self.errors.push(ParseError {
                    path: d.from.clone(),
                    line: d.line,
                    column: d.column,
                    message: format!(
                        "module `{name}` is nested more than {MAX_MODULE_DEPTH} modules deep; its file was not read"
                    ),
                    problem: Problem::WholeFile,
                });
                continue;
            }
            match d.candidates.iter().find(|(p, _)| fence::exists(p)) {
                Some((p, is_mod_rs)) => {
                    let p = p.clone();
                    jobs.extend(self.admit(&p, d.module.clone(), *is_mod_rs, d.target, &at));
                }
                None if d.lenient => {}
                None => {
                    let names: Vec<String> =
                        d.candidates.iter().map(|(p, _)| self.rel(p)).collect();
                    self.errors.push(ParseError {
                        path: d.from.clone(),
                        line: d.line,
                        column: d.column,
                        message: format!(
                            "file not found for module `{name}`; looked for {}",
                            names.join(", ")
                        ),
                        problem: Problem::MissingModule,
                    });
                }
            }
        }
        jobs
    }

    /// Take in what parsing a file produced; returns the files it declares.
    fn take(&mut self, out: FileOut) -> Vec<Job> {
        self.errors.extend(out.errors);
        self.files.extend(out.file);
        self.follow(out.decls)
    }

    /// Parse every file on this thread, breadth first.
    fn parse_here(&mut self, roots: Vec<Job>) {
        let mut queue: std::collections::VecDeque<Job> = roots.into();
        while let Some(job) = queue.pop_front() {
            let out = parse_job(job, false);
            queue.extend(self.take(out));
        }
    }

    /// Parse every file on `workers` threads, then register the files'
    /// shadows here (see `span_map`). `None` when this thread cannot read
    /// the workers' spans; the loader is then in an unspecified state.
    fn parse_on_workers(&mut self, roots: Vec<Job>, workers: usize) -> Option<()> {
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let (out_tx, out_rx) = mpsc::channel::<Moved<Option<FileOut>>>();
        let job_rx = Mutex::new(job_rx);
        // Each parsed file's offset and lexed text, and the index of its
        // tree in `self.files` with the position of its first item there.
        let mut layout: Vec<(u32, String)> = Vec::new();
        let mut checks: Vec<(usize, Option<(usize, usize)>)> = Vec::new();
        let mut ok = true;
        std::thread::scope(|s| {
            let mut started = 0;
            for _ in 0..workers {
                let (job_rx, out_tx) = (&job_rx, out_tx.clone());
                let spawned = std::thread::Builder::new()
                    .name("ffi-guard-parse".to_owned())
                    .stack_size(PARSE_STACK)
                    .spawn_scoped(s, move || parse_worker(job_rx, &out_tx));
                if spawned.is_ok() {
                    started += 1;
                }
            }
            drop(out_tx);
            let mut pending = 0usize;
            for job in roots {
                pending += 1;
                if job_tx.send(job).is_err() {
                    ok = false;
                }
            }
            ok &= started > 0;
            while ok && pending > 0 {
                let Ok(Moved(out)) = out_rx.recv() else {
                    ok = false;
                    break;
                };
                pending -= 1;
                let Some(out) = out else {
                    ok = false;
                    break;
                };
                if let (Some(file), Some((from, to))) = (&out.file, out.lexed) {
                    layout.push((out.offset, file.text[from..to].to_owned()));
                    checks.push((self.files.len(), out.first));
                }
                for job in self.take(out) {
                    pending += 1;
                    if job_tx.send(job).is_err() {
                        ok = false;
                    }
                }
            }
            // Workers end when the jobs channel closes.
            drop(job_tx);
        });
        if !ok {
            return None;
        }
        layout.sort_by_key(|l| l.0);
        for (offset, lexed) in &layout {
            if !span_map::register_shadow(*offset, lexed) {
                return None;
            }
        }
        // Every file's first item must read the same here as it did there.
        let files = &self.files;
        let same = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            checks.iter().all(|(i, first)| {
                let here = files[*i].ast.items.first().map(|item| {
                    let p = syn::spanned::Spanned::span(item).start();
                    (p.line, p.column)
                });
                here == *first
            })
        }));
        same.unwrap_or(false).then_some(())
    }

    /// The crate: its files indexed, its metadata, and what its
    /// dependencies declare (read after the crate's own files).
    fn finish(self, pkg: &PackageSpec) -> Crate {
        let mut krate = finish(
            pkg.name.clone(),
            pkg.root.clone(),
            self.files,
            self.errors,
            &self.targets,
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

    /// `path` relative to the package root, `/`-separated. Joined by
    /// component, so a `\` inside a Unix file name stays part of the name.
    fn rel(&self, path: &Path) -> String {
        let p = path.strip_prefix(&self.root).unwrap_or(path);
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

/// Where a file was asked for: the manifest (a target's root) or a `mod`.
enum Site {
    Manifest {
        label: String,
    },
    Decl {
        from: String,
        line: usize,
        column: usize,
    },
}

/// A parse thread: takes files in the order they were handed out (so its
/// source map only moves forward), sends back each tree. A panic in the
/// parser is sent back as `None`.
fn parse_worker(jobs: &Mutex<mpsc::Receiver<Job>>, out: &mpsc::Sender<Moved<Option<FileOut>>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            span_map::move_to(job.offset).then(|| parse_job(job, true))
        }))
        .ok()
        .flatten();
        if out.send(Moved(parsed)).is_err() {
            return;
        }
    }
}

/// The `mod x;` declarations of `items`, with the files each may live in.
/// `child_dir` is where `mod x;` looks; `path_base` is what a `#[path]`
/// is relative to.
/// `site`: the declaring file (relative to the package root) and its target.
fn find_mods(
    items: &[syn::Item],
    own_count: usize,
    (child_dir, path_base): (&Path, &Path),
    module: &[String],
    lenient: bool,
    site: (&str, usize),
    out: &mut Vec<ModDecl>,
) {
    let (from, target) = site;
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
                find_mods(inner, inner.len(), (&dir, &dir), &child, lenient, site, out);
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
                    from: from.to_owned(),
                    line: start.line,
                    column: start.column + 1,
                    target,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per file, each item's name, line and column.
    type ItemPositions = Vec<(String, Vec<(String, usize, usize)>)>;

    /// Every item's name and position, file by file.
    fn positions(files: &[SourceFile]) -> ItemPositions {
        let mut out: Vec<_> = files
            .iter()
            .map(|f| {
                let items = f
                    .ast
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        syn::Item::Fn(f) => Some(&f.sig.ident),
                        syn::Item::Struct(s) => Some(&s.ident),
                        _ => None,
                    })
                    .map(|id| {
                        let p = id.span().start();
                        (id.to_string(), p.line, p.column)
                    })
                    .collect();
                (f.path.clone(), items)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn trees_parsed_on_workers_read_the_same_on_the_linting_thread() {
        let dir = std::env::temp_dir().join(format!("ffi-guard-workers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/b")).unwrap();
        let files = [
            (
                "src/lib.rs",
                "//! ünïcödé 🦀\nmod a;\nmod b;\npub fn root() {}\n",
            ),
            (
                "src/a.rs",
                "\u{feff}#!/shebang\npub struct Ä;\n  pub fn a_fn() { let _ = \"€€\"; }\n",
            ),
            ("src/b/mod.rs", "mod c;\n\n\n    pub fn b_fn() {}\n"),
            (
                "src/b/c.rs",
                "pub fn c1() {}\npub fn c2(x: Box<FnMut() -> u8 + 'static>) {}\npub fn c3() {}\n",
            ),
        ];
        for (p, t) in files {
            std::fs::write(dir.join(p), t).unwrap();
        }
        let pkg = PackageSpec {
            name: "w".to_owned(),
            root: dir.clone(),
            workspace_root: dir.clone(),
            targets: vec![TargetSpec {
                name: "w".to_owned(),
                kind: "lib".to_owned(),
                src_path: dir.join("src/lib.rs"),
            }],
            metadata: serde_json::Value::Null,
            id: "w".to_owned(),
            manifest_path: dir.join("Cargo.toml"),
            target_dir: dir.join("target"),
            deps: None,
        };
        let mut parallel = Loader::new(&pkg);
        let roots = parallel.roots(&pkg);
        assert_eq!(parallel.parse_on_workers(roots, 2), Some(()));
        let mut here = Loader::new(&pkg);
        let roots = here.roots(&pkg);
        here.parse_here(roots);
        let (p, h) = (positions(&parallel.files), positions(&here.files));
        assert_eq!(p.len(), 4);
        assert_eq!(p, h);
        let lost = |l: &Loader| -> Vec<(String, usize, usize)> {
            l.errors
                .iter()
                .map(|e| (e.path.clone(), e.line, e.column))
                .collect()
        };
        assert_eq!(lost(&parallel), lost(&here));
        assert_eq!(lost(&here).len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
