//! Structural equivalence with C headers (SPEC §4): the crate's `repr(C)`
//! types, extern fns and constants against the headers named in
//! `[package.metadata.ffi-guard.headers]`, for every configured target,
//! without compiling the crate.
//!
//! - `config`: the `headers` table;
//! - `clang`: libclang, loaded at run time, lays the C side out per target;
//! - `c`: the C model it fills;
//! - `target`: what a triple means for layout and `cfg`;
//! - `rust`: the Rust side laid out per target;
//! - `compare`: the first difference of each item.
//!
//! The three lints (`layout_mismatch`, `signature_mismatch`,
//! `constant_mismatch`) share one run per package, kept in the `Crate`.

pub mod c;
pub mod clang;
pub mod compare;
pub mod config;
pub mod rust;
pub mod target;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level, Span};
use crate::model::Crate;

pub use config::Config;

/// Equal differences (place, lint, C item, text) and their targets.
type Groups = BTreeMap<(Span, &'static str, String, String), (Vec<String>, compare::Finding)>;

static SAID_MISSING: AtomicBool = AtomicBool::new(false);

/// The diagnostics of lint `lint` (the header checks run once per lint
/// context).
pub fn diagnostics(cx: &LintContext<'_>, lint: &str) -> Vec<Diagnostic> {
    cx.header_findings()
        .iter()
        .filter(|d| d.lint == lint)
        .cloned()
        .collect()
}

/// Read the headers and compare, for every configured target.
pub fn check_crate(krate: &Crate) -> Vec<Diagnostic> {
    let Ok(Some(config)) = Config::from_metadata(&krate.metadata, "") else {
        return Vec::new();
    };
    if let Err(e) = clang::ensure_loaded() {
        if !SAID_MISSING.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: ffi-guard: `{}` asks for header checks, but libclang was not found ({e}); \
                 install it (Debian/Ubuntu: `apt-get install libclang-dev`, or set LIBCLANG_PATH); \
                 layout_mismatch, signature_mismatch and constant_mismatch are skipped",
                krate.package
            );
        }
        return Vec::new();
    }
    let prepared = match config.prepare(&krate.root) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "warning: ffi-guard: header checks of `{}` skipped: {e}",
                krate.package
            );
            return Vec::new();
        }
    };
    let side = rust::RustSide::collect(krate);
    let mut names: Vec<String> = side
        .consts
        .iter()
        .map(|c| c.c_name.clone().unwrap_or_else(|| c.item.ident.to_string()))
        .filter(|n| n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'))
        .collect();
    names.sort();
    names.dedup();
    let models = read_all(krate, &config, &prepared, &names);
    let mut findings: Vec<(String, compare::Finding)> = Vec::new();
    for (triple, model) in config.targets.iter().zip(models) {
        let model = match model {
            Ok(m) => m,
            Err(e) => {
                eprintln!(
                    "warning: ffi-guard: the headers of `{}` were not checked for `{triple}`: {e}",
                    krate.package
                );
                continue;
            }
        };
        let t = target::Target::new(triple);
        let ctx = compare::Ctx {
            krate,
            side: &side,
            t: &t,
            cfgs: &config.cfgs,
            c: &model,
            memo: Default::default(),
        };
        let mut out = Vec::new();
        ctx.run(&mut out);
        findings.extend(out.into_iter().map(|f| (triple.clone(), f)));
    }
    group(findings)
}

/// Parse the headers for each target, on up to two threads.
fn read_all(
    krate: &Crate,
    config: &Config,
    prepared: &config::Prepared,
    names: &[String],
) -> Vec<Result<c::CModel, String>> {
    let root = krate.root.as_path();
    let read = |triple: &String| {
        clang::ensure_loaded()?;
        let model = clang::read(&clang::Request {
            root,
            files: &config.files,
            args: &prepared.args,
            own_dirs: &prepared.own_dirs,
            target: triple,
            consts: names,
        })?;
        if model.errors.is_empty() {
            Ok(model)
        } else {
            Err(format!("libclang reported: {}", model.errors.join("; ")))
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(config.targets.len());
    if threads <= 1 {
        return config.targets.iter().map(read).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<c::CModel, String>>> =
        (0..config.targets.len()).map(|_| None).collect();
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = config.targets.get(i) else {
                        break;
                    };
                    let r = read(t);
                    if let Ok(mut d) = done.lock() {
                        d.push((i, r));
                    }
                }
            });
        }
    });
    for (i, r) in done.into_inner().unwrap_or_default() {
        slots[i] = Some(r);
    }
    slots
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Err("the header reader stopped".to_owned())))
        .collect()
}

/// One diagnostic per difference, naming every target it shows on.
fn group(findings: Vec<(String, compare::Finding)>) -> Vec<Diagnostic> {
    let mut groups: Groups = BTreeMap::new();
    for (triple, f) in findings {
        let key = (
            f.span.clone(),
            f.lint,
            f.c_item.clone(),
            f.difference.clone(),
        );
        groups
            .entry(key)
            .or_insert_with(|| (Vec::new(), f))
            .0
            .push(triple);
    }
    groups
        .into_values()
        .map(|(targets, f)| {
            let on = targets.join(", ");
            let mut d = Diagnostic::new(
                f.lint,
                f.span.clone(),
                format!(
                    "{} differs from C's `{}` on {on}: {}",
                    f.rust_item, f.c_item, f.difference
                ),
            )
            .related(
                Span {
                    file: f.c_loc.file.clone(),
                    line: f.c_loc.line.max(1),
                    column: f.c_loc.column.max(1),
                    end_line: f.c_loc.line.max(1),
                    end_column: f.c_loc.column.max(1),
                },
                format!("C's `{}` is declared here", f.c_item),
            );
            d.help = Some(match &f.note {
                Some(n) => format!("make the Rust declaration match the header; note: {n}"),
                None => "make the Rust declaration match the header".to_owned(),
            });
            if f.warn {
                d.level = Level::Warn;
            }
            d
        })
        .collect()
}

/// Whether libclang can be loaded (for tests that must not pass silently
/// without it).
pub fn libclang_available() -> Result<(), String> {
    clang::ensure_loaded()
}
