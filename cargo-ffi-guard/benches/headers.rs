//! The header checks on a real binding: `libz-sys` against the system's
//! `zlib.h` for four targets (x86_64 and aarch64 Linux, i686 Linux, x86_64
//! Windows). The crate's sources are found through `FFI_GUARD_LIBZ_SYS` (a
//! directory) or in cargo's registry; its manifest gets the `headers` table
//! in a copy under the target directory. Skipped with a message when
//! neither libz-sys nor libclang is there.
//!
//! `headers/libz_sys_4_targets` is read, parse, index and every lint of the
//! package (on the bench's thread) with the header checks; `headers/libz_sys_without_headers` the
//! same with the three header lints off, in the same run.

use std::path::{Path, PathBuf};

use cargo_ffi_guard::commands::check::lint_package;
use cargo_ffi_guard::config::Levels;
use cargo_ffi_guard::diag::Level;
use cargo_ffi_guard::workspace;
use criterion::{Criterion, criterion_group, criterion_main};

const TABLE: &str = r#"
[package.metadata.ffi-guard.headers]
files = ["zlib.h"]
cfgs = ['feature = "libc"']
targets = ["x86_64-unknown-linux-gnu", "i686-unknown-linux-gnu",
           "aarch64-unknown-linux-gnu", "x86_64-pc-windows-msvc"]

[workspace]
"#;

fn libz_sys() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FFI_GUARD_LIBZ_SYS") {
        return Some(PathBuf::from(dir));
    }
    let home = PathBuf::from(std::env::var_os("CARGO_HOME").unwrap_or_else(|| {
        Path::new(&std::env::var_os("HOME").unwrap_or_default())
            .join(".cargo")
            .into()
    }));
    let mut found: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libz-sys-"))
        })
        .collect();
    found.sort();
    found.pop()
}

/// A copy of the crate's manifest (with the table), build script and `src/lib.rs`.
fn scratch(src: &Path) -> std::io::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-libz-sys");
    std::fs::create_dir_all(dir.join("src"))?;
    let manifest = std::fs::read_to_string(src.join("Cargo.toml"))?;
    std::fs::write(dir.join("Cargo.toml"), manifest + TABLE)?;
    // `links = "z"` needs the build script to exist (it is never run).
    std::fs::copy(src.join("build.rs"), dir.join("build.rs"))?;
    std::fs::copy(src.join("src/lib.rs"), dir.join("src/lib.rs"))?;
    Ok(dir)
}

fn bench(c: &mut Criterion) {
    let Some(src) = libz_sys() else {
        eprintln!("headers bench skipped: no libz-sys sources (set FFI_GUARD_LIBZ_SYS)");
        return;
    };
    if let Err(e) = cargo_ffi_guard::headers::libclang_available() {
        eprintln!("headers bench skipped: {e}");
        return;
    }
    let dir = scratch(&src).expect("a scratch copy of libz-sys");
    let ws = workspace::load(Some(&dir.join("Cargo.toml")), false, &[]).expect("cargo metadata");
    let package = &ws.packages[0];
    let with = Levels::default();
    let mut without = Levels::default();
    for lint in ["layout_mismatch", "signature_mismatch", "constant_mismatch"] {
        without.set(lint, Level::Allow);
    }
    let mut g = c.benchmark_group("headers");
    g.sample_size(10);
    for (name, levels) in [
        ("libz_sys_4_targets", &with),
        ("libz_sys_without_headers", &without),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let (report, errors) = lint_package(package, levels);
                assert!(errors.is_empty(), "{errors:?}");
                // Span locations accumulate per thread: start each round afresh.
                proc_macro2::extra::invalidate_current_thread_spans();
                report.diagnostics.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
