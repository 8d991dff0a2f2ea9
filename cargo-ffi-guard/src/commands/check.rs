//! `cargo ffi-guard check`: load the workspace, lint each package on its own
//! thread (parse and lint on one thread: span locations are per thread),
//! apply `--fix` edits, render.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::config::Levels;
use crate::diag::Level;
use crate::emit::{self, PackageReport};
use crate::engine;
use crate::fix;
use crate::workspace::{self, PackageSpec};
use crate::{CheckArgs, EXIT_CANNOT_RUN, Format, MessageFormat, baseline};

/// Set by `run` (a process that exits when done): parsed crates are not
/// freed one node at a time.
static LEAVE_ASTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn run(args: &CheckArgs) -> anyhow::Result<u8> {
    LEAVE_ASTS.store(true, std::sync::atomic::Ordering::Relaxed);
    // Bad flags are reported before anything else runs.
    Levels::default().apply_flags(&args.deny, &args.warn, &args.allow)?;
    let json_stream = args.message_format == Some(MessageFormat::Json);
    // rustc's messages first, as an editor shows them in the order read.
    let cargo_check_ok = if args.with_cargo_check {
        if !json_stream {
            anyhow::bail!("--with-cargo-check needs --message-format json");
        }
        cargo_check_stream(args)?
    } else {
        true
    };
    let workspaces = load_all(args)?;
    for ws in &workspaces {
        if let Some(note) = &ws.deps_note {
            eprintln!("note: {note}");
        }
    }
    let mut packages = Vec::new();
    let mut levels = Vec::new();
    let mut ws_roots = Vec::new();
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
            // A malformed `headers` table stops the run before any lint.
            crate::headers::Config::from_metadata(
                &p.metadata,
                &format!("[package.metadata.ffi-guard] of `{}`", p.name),
            )
            .map_err(anyhow::Error::msg)?;
            crate::deps::conventions_config(&p.metadata).map_err(|error| {
                crate::config::ConfigError::Conventions {
                    origin: format!("[package.metadata.ffi-guard] of `{}`", p.name),
                    error,
                }
            })?;
            levels.push(l);
            packages.push(p.clone());
            ws_roots.push(ws.root.clone());
        }
    }
    let lint = || {
        let (mut reports, internal) = lint_packages(&packages, &levels);
        for (r, root) in reports.iter_mut().zip(&ws_roots) {
            r.workspace_root = root.clone();
        }
        (reports, internal)
    };
    let (mut reports, mut internal) = lint();
    if args.fix {
        let fixed = fix::apply(&reports, args.allow_dirty)?;
        if fixed.0 > 0 {
            eprintln!(
                "ffi-guard: fixed {} place{} in {} file{}",
                fixed.0,
                if fixed.0 == 1 { "" } else { "s" },
                fixed.1,
                if fixed.1 == 1 { "" } else { "s" }
            );
        }
        (reports, internal) = lint();
    }
    if let Some(path) = &args.write_baseline {
        let n = baseline::write(&reports, path)?;
        eprintln!(
            "ffi-guard: recorded {n} finding{} in the baseline {}",
            if n == 1 { "" } else { "s" },
            path.display()
        );
    }
    if let Some(path) = &args.baseline {
        let n = baseline::apply(&mut reports, path)?;
        eprintln!(
            "ffi-guard: {n} finding{} recorded in the baseline {} not shown",
            if n == 1 { "" } else { "s" },
            path.display()
        );
    }
    let denied = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .any(|d| d.level == Level::Deny);
    let cwd = std::env::current_dir().unwrap_or_else(|_| workspaces[0].root.clone());
    let text = match (args.message_format, args.format) {
        (Some(MessageFormat::Json), _) => {
            let mut t = emit::cargo_json::render(&reports);
            t.push_str(&emit::cargo_json::build_finished(
                cargo_check_ok && !denied && internal.is_empty(),
            ));
            t
        }
        (Some(MessageFormat::Short), _) => emit::short::render(&reports),
        (Some(MessageFormat::Human), _) | (None, Format::Human) => {
            emit::human::render(&reports, &cwd, std::io::stdout().is_terminal())
        }
        (None, Format::Json) => emit::json::render(&reports),
        (None, Format::Sarif) => {
            let roots: Vec<PathBuf> = workspaces.iter().map(|w| w.root.clone()).collect();
            emit::sarif::render(&reports, &emit::sarif::run_root(&roots))
        }
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
    // Writing a baseline records the findings; it does not fail on them.
    if args.write_baseline.is_some() {
        return Ok(0);
    }
    Ok(u8::from(denied || !cargo_check_ok))
}

/// `--with-cargo-check`: run `cargo check --message-format=json` on the same
/// manifests and packages and pass its lines on, all but its closing
/// `build-finished` (the stream gets one, at its end). Returns whether the
/// build succeeded.
fn cargo_check_stream(args: &CheckArgs) -> anyhow::Result<bool> {
    use std::io::BufRead;
    let manifests: Vec<Option<&PathBuf>> = if args.manifest_path.is_empty() {
        vec![None]
    } else {
        args.manifest_path.iter().map(Some).collect()
    };
    let mut ok = true;
    for manifest in manifests {
        let cargo = super::test::cargo_program();
        let mut cmd = std::process::Command::new(&cargo);
        cmd.args(["check", "--message-format=json", "--all-targets"]);
        if let Some(m) = manifest {
            cmd.arg("--manifest-path").arg(m);
        }
        if args.workspace {
            cmd.arg("--workspace");
        }
        for p in &args.packages {
            cmd.arg("-p").arg(p);
        }
        cmd.stdout(std::process::Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot run `{} check`: {e}", cargo.to_string_lossy()))?;
        if let Some(out) = child.stdout.take() {
            let mut stdout = std::io::stdout().lock();
            for line in std::io::BufReader::new(out).lines() {
                let line = line?;
                if line.starts_with("{\"reason\":\"build-finished\"") {
                    continue;
                }
                let _ = writeln!(stdout, "{line}");
                let _ = stdout.flush();
            }
        }
        ok &= child.wait()?.success();
    }
    Ok(ok)
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
            !args.no_deps,
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
                        !args.no_deps,
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
        eprintln!(
            "{}: dependencies: {} parsed, {} cached, {} foreign fns known from them",
            p.name,
            krate.deps.parsed,
            krate.deps.cached,
            krate.deps.dependency_fn_count()
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
        enclosing: crate::baseline::enclosing_items(&krate, &outcome.diagnostics),
        diagnostics: outcome.diagnostics,
        texts,
        files_linted: krate.files.len(),
        id: p.id.clone(),
        manifest_path: p.manifest_path.clone(),
        workspace_root: PathBuf::new(),
        targets: p.targets.clone(),
        file_targets: krate
            .files
            .iter()
            .map(|f| (f.path.clone(), f.target))
            .collect(),
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
fn read_inside(p: &PackageSpec, file: &str) -> Result<String, crate::fence::Unread> {
    let fence = crate::fence::canonical_root(&p.workspace_root);
    crate::fence::read(&crate::fence::resolve(&p.root.join(file), &fence)?)
}
