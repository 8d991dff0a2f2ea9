//! `cargo ffi-guard check`: load the workspace, lint each package on its own
//! thread (parse and lint on one thread: span locations are per thread),
//! apply `--fix` edits, render.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::config::Levels;
use crate::diag::{Edit, Level};
use crate::emit::{self, PackageReport};
use crate::engine;
use crate::workspace::{self, PackageSpec};
use crate::{CheckArgs, EXIT_CANNOT_RUN, Format};

/// Set by `run` (a process that exits when done): parsed crates are not
/// freed one node at a time.
static LEAVE_ASTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn run(args: &CheckArgs) -> anyhow::Result<u8> {
    LEAVE_ASTS.store(true, std::sync::atomic::Ordering::Relaxed);
    // Bad flags are reported before anything else runs.
    Levels::default().apply_flags(&args.deny, &args.warn, &args.allow)?;
    let workspaces = load_all(args)?;
    let mut packages = Vec::new();
    let mut levels = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for ws in &workspaces {
        let mut base = Levels::default();
        base.apply_metadata(&ws.metadata, "[workspace.metadata.ffi-guard]")?;
        for p in &ws.packages {
            // Two manifests of one workspace name its packages twice.
            if !seen.insert(p.root.clone()) {
                continue;
            }
            let mut l = base.clone();
            l.apply_metadata(
                &p.metadata,
                &format!("[package.metadata.ffi-guard] of `{}`", p.name),
            )?;
            l.apply_flags(&args.deny, &args.warn, &args.allow)?;
            levels.push(l);
            packages.push(p.clone());
        }
    }
    // The first manifest's workspace stands for the run where one root is
    // needed (paths of the human output, the SARIF repository root).
    let ws = &workspaces[0];
    let (mut reports, mut internal) = lint_packages(&packages, &levels);
    if args.fix {
        let fixed = apply_fixes(&reports)?;
        if fixed.0 > 0 {
            eprintln!(
                "ffi-guard: fixed {} place{} in {} file{}",
                fixed.0,
                if fixed.0 == 1 { "" } else { "s" },
                fixed.1,
                if fixed.1 == 1 { "" } else { "s" }
            );
        }
        (reports, internal) = lint_packages(&packages, &levels);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| ws.root.clone());
    let text = match args.format {
        Format::Human => emit::human::render(&reports, &cwd, std::io::stdout().is_terminal()),
        Format::Json => emit::json::render(&reports),
        Format::Sarif => emit::sarif::render(&reports, &repo_root(&ws.root)),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    for e in &internal {
        eprintln!("error: internal error, results are incomplete: {e}");
    }
    if !internal.is_empty() {
        return Ok(EXIT_CANNOT_RUN);
    }
    let denied = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .any(|d| d.level == Level::Deny);
    Ok(u8::from(denied))
}

/// The workspaces of every `--manifest-path` (or of the current directory),
/// in the order given. `cargo metadata` runs for each on its own thread: it
/// is a process start and a manifest read, most of the wall time of a small
/// crate's lint.
fn load_all(args: &CheckArgs) -> anyhow::Result<Vec<workspace::Workspace>> {
    if args.manifest_path.is_empty() {
        return Ok(vec![workspace::load_with(
            None,
            args.workspace,
            &args.packages,
            args.cargo.as_deref(),
        )?]);
    }
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = args
            .manifest_path
            .iter()
            .map(|m| {
                let h = s.spawn(move || {
                    workspace::load_with(
                        Some(m),
                        args.workspace,
                        &args.packages,
                        args.cargo.as_deref(),
                    )
                });
                (m, h)
            })
            .collect();
        handles
            .into_iter()
            .map(|(m, h)| match h.join() {
                Ok(r) => r.map_err(anyhow::Error::from),
                Err(_) => Err(anyhow::anyhow!(
                    "internal error while reading `{}`; please report it",
                    m.display()
                )),
            })
            .collect()
    });
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        out.push(r?);
    }
    Ok(out)
}

/// The stack of each lint thread.
const STACK_SIZE: usize = 256 << 20;

/// Lint every package, up to one thread per core; each package is parsed and
/// linted on one thread. Returns reports in package order.
pub fn lint_packages(
    packages: &[PackageSpec],
    levels: &[Levels],
) -> (Vec<PackageReport>, Vec<String>) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(packages.len())
        .max(1);
    let mut slots: Vec<Option<(PackageReport, Vec<String>)>> = Vec::new();
    slots.resize_with(packages.len(), || None);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    // Worker threads even for one package: syn and the lints recurse as
    // deep as the code nests, so each gets a large stack (reserved, not used).
    let mut spawned_any = false;
    std::thread::scope(|s| {
        for _ in 0..threads {
            let worker = || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(p) = packages.get(i) else { break };
                    let r = lint_package(p, &levels[i]);
                    if let Ok(mut d) = done.lock() {
                        d.push((i, r));
                    }
                }
            };
            let spawned = std::thread::Builder::new()
                .name("ffi-guard-lint".to_owned())
                .stack_size(STACK_SIZE)
                .spawn_scoped(s, worker);
            match spawned {
                Ok(_) => spawned_any = true,
                Err(e) => eprintln!("warning: cannot start a lint thread: {e}"),
            }
        }
    });
    if !spawned_any {
        for (i, p) in packages.iter().enumerate() {
            done.lock()
                .map(|mut d| d.push((i, lint_package(p, &levels[i]))))
                .ok();
        }
    }
    for (i, r) in done.into_inner().unwrap_or_default() {
        slots[i] = Some(r);
    }
    let mut reports = Vec::new();
    let mut internal = Vec::new();
    for (r, e) in slots.into_iter().flatten() {
        reports.push(r);
        internal.extend(e);
    }
    (reports, internal)
}

/// Parse, index and lint one package on the current thread.
pub fn lint_package(p: &PackageSpec, levels: &Levels) -> (PackageReport, Vec<String>) {
    let started = std::time::Instant::now();
    let krate = workspace::load_crate(p);
    if std::env::var_os("FFI_GUARD_TIMINGS").is_some() {
        eprintln!(
            "{}: load {} files, {} bytes {:?} (parse {} ms, macro bodies {} ms)",
            p.name,
            krate.files.len(),
            krate.files.iter().map(|f| f.text.len()).sum::<usize>(),
            started.elapsed(),
            crate::parse::PARSE_NS.with(|c| c.get()) / 1_000_000,
            crate::parse::EXPAND_NS.with(|c| c.get()) / 1_000_000,
        );
    }
    let outcome = engine::run_lints(&krate, levels);
    let mut texts = HashMap::new();
    for d in &outcome.diagnostics {
        for file in std::iter::once(&d.span.file).chain(d.related.iter().map(|r| &r.span.file)) {
            if texts.contains_key(file) {
                continue;
            }
            if let Some(f) = krate.files.iter().find(|f| &f.path == file) {
                texts.insert(file.clone(), f.text.clone());
            } else if let Ok(t) = read_inside(p, file) {
                // A file that was not parsed (`Cargo.toml`, a file that is
                // not Rust tokens): read with the same checks as any source.
                texts.insert(file.clone(), t);
            }
        }
    }
    let report = PackageReport {
        name: p.name.clone(),
        root: p.root.clone(),
        diagnostics: outcome.diagnostics,
        texts,
        files_linted: krate.files.len(),
    };
    if LEAVE_ASTS.load(std::sync::atomic::Ordering::Relaxed) {
        // Freeing every node of a large crate's trees takes a tenth of the
        // time parsing did; the process ends right after, so let it go.
        std::mem::forget(krate);
    }
    (report, outcome.internal_errors)
}

/// The text of `file` (relative to the package root), only when it is a
/// regular file inside the workspace root: never a FIFO, never a secret.
fn read_inside(p: &PackageSpec, file: &str) -> Result<String, crate::source::Unread> {
    let fence = crate::source::canonical_root(&p.workspace_root);
    crate::source::read(&crate::source::resolve(&p.root.join(file), &fence)?)
}

/// Write every machine-applicable edit. Identical edits (one type used in
/// two places) are applied once; an edit overlapping one already taken is
/// left for the next run. Returns (edits applied, files written).
fn apply_fixes(reports: &[PackageReport]) -> anyhow::Result<(usize, usize)> {
    let mut by_file: BTreeMap<PathBuf, Vec<&Edit>> = BTreeMap::new();
    for r in reports {
        for d in &r.diagnostics {
            for e in &d.fix {
                by_file.entry(r.root.join(&e.file)).or_default().push(e);
            }
        }
    }
    let (mut applied, mut files) = (0, 0);
    for (path, mut edits) in by_file {
        edits.sort_by(|a, b| (b.start, b.end, &b.text).cmp(&(a.start, a.end, &a.text)));
        edits.dedup();
        let mut text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read `{}` to fix it: {e}", path.display()))?;
        let mut floor = usize::MAX;
        let mut n = 0;
        for e in edits {
            if e.end > floor || e.end > text.len() || e.start > e.end {
                continue;
            }
            if !text.is_char_boundary(e.start) || !text.is_char_boundary(e.end) {
                continue;
            }
            text.replace_range(e.start..e.end, &e.text);
            floor = e.start;
            n += 1;
        }
        if n > 0 {
            std::fs::write(&path, text).map_err(|e| {
                anyhow::anyhow!("cannot write the fix to `{}`: {e}", path.display())
            })?;
            applied += n;
            files += 1;
        }
    }
    Ok((applied, files))
}

/// The git work tree holding `dir`, else `dir` itself.
fn repo_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}
