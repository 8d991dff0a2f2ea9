//! The linter over a corpus of real FFI crates: the file named by
//! `FFI_GUARD_CORPUS_LIST` lists them, `NAME VERSION DIR` per line (the
//! sources of pinned crates fetched with `cargo fetch`, never built).
//! Skipped with a message when the variable is not set.
//!
//! `corpus/lint_all` is what `cargo ffi-guard check` does per package after
//! `cargo metadata`: read, parse, index and lint, two packages at a time.
//!
//! `deps/*` is the whole of `check` per crate, `cargo metadata` included,
//! one crate after another: `no_deps` (`--no-deps`), `cached` (dependencies
//! read, their summaries in the cache) and `uncached` (the cache removed
//! before each round: every dependency parsed). A crate whose dependencies
//! are not on disk is linted as with `--no-deps` in all three.

use std::path::PathBuf;

use cargo_ffi_guard::commands::check::lint_packages;
use cargo_ffi_guard::config::Levels;
use cargo_ffi_guard::workspace::{self, PackageSpec};
use criterion::{Criterion, criterion_group, criterion_main};

fn corpus() -> Option<Vec<PackageSpec>> {
    let list = PathBuf::from(std::env::var_os("FFI_GUARD_CORPUS_LIST")?);
    let text = std::fs::read_to_string(&list).ok()?;
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(dir) = line.split_whitespace().nth(2) else {
            continue;
        };
        let manifest = PathBuf::from(dir).join("Cargo.toml");
        match workspace::load(Some(&manifest), false, &[]) {
            Ok(ws) => out.extend(ws.packages),
            Err(e) => eprintln!("skipping {dir}: {e}"),
        }
    }
    (!out.is_empty()).then_some(out)
}

fn bench(c: &mut Criterion) {
    let Some(packages) = corpus() else {
        eprintln!(
            "corpus bench skipped: set FFI_GUARD_CORPUS_LIST to a file of `NAME VERSION DIR` lines"
        );
        return;
    };
    let levels = vec![Levels::default(); packages.len()];
    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);
    g.bench_function("lint_all", |b| {
        b.iter(|| {
            let (reports, errors) = lint_packages(&packages, &levels);
            assert!(errors.is_empty(), "{errors:?}");
            // Span locations accumulate per thread; the next round starts afresh.
            proc_macro2::extra::invalidate_current_thread_spans();
            reports.len()
        })
    });
    g.finish();
    deps(c);
}

/// The manifests of the corpus list.
fn manifests() -> Vec<PathBuf> {
    let Some(list) = std::env::var_os("FFI_GUARD_CORPUS_LIST") else {
        return Vec::new();
    };
    std::fs::read_to_string(list)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|d| PathBuf::from(d).join("Cargo.toml"))
        .collect()
}

/// `check` on each crate of the corpus, with and without its dependencies.
fn check_each(manifests: &[PathBuf], read_deps: bool) -> usize {
    let mut n = 0;
    for m in manifests {
        let Ok(ws) = workspace::load_with(Some(m), false, &[], read_deps, None) else {
            continue;
        };
        let levels = vec![Levels::default(); ws.packages.len()];
        let (reports, errors) = lint_packages(&ws.packages, &levels);
        assert!(errors.is_empty(), "{errors:?}");
        n += reports.len();
    }
    proc_macro2::extra::invalidate_current_thread_spans();
    n
}

fn deps(c: &mut Criterion) {
    let manifests = manifests();
    if manifests.is_empty() {
        return;
    }
    let caches: Vec<PathBuf> = manifests
        .iter()
        .filter_map(|m| workspace::load(Some(m), false, &[]).ok())
        .flat_map(|ws| ws.packages)
        .map(|p| p.target_dir.join("ffi-guard").join("deps"))
        .collect();
    let mut g = c.benchmark_group("deps");
    g.sample_size(10);
    g.bench_function("no_deps", |b| b.iter(|| check_each(&manifests, false)));
    check_each(&manifests, true);
    g.bench_function("cached", |b| b.iter(|| check_each(&manifests, true)));
    g.bench_function("uncached", |b| {
        b.iter_batched(
            || {
                for c in &caches {
                    let _ = std::fs::remove_dir_all(c);
                }
            },
            |()| check_each(&manifests, true),
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
