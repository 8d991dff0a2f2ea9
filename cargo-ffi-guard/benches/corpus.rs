//! The linter over a corpus of real FFI crates: the file named by
//! `FFI_GUARD_CORPUS_LIST` lists them, `NAME VERSION DIR` per line (the
//! sources of pinned crates fetched with `cargo fetch`, never built).
//! Skipped with a message when the variable is not set.
//!
//! `corpus/lint_all` is what `cargo ffi-guard check` does per package after
//! `cargo metadata`: read, parse, index and lint, two packages at a time.

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
