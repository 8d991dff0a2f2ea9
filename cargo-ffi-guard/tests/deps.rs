//! Dependencies read from their sources (`tests/fixtures/deps`): `fixture-app`
//! calls `fixture-sys` through `fixture-wrap`'s re-export. Each test lints a
//! copy in a fresh directory, so the cache under its `target/` starts empty.

use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_ffi_guard::config::Levels;
use cargo_ffi_guard::{engine, workspace};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of fixture `name` in a new temporary directory.
fn copy(name: &str, test: &str) -> PathBuf {
    let dst = std::env::temp_dir().join(format!("ffi-guard-deps-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dst);
    copy_dir(&fixture(name), &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let name = e.file_name();
        if name == "target" || name == "Cargo.lock" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst.join(&name));
        } else {
            std::fs::copy(e.path(), dst.join(&name)).unwrap();
        }
    }
}

/// (lint, file, line) of each diagnostic.
type Found = Vec<(String, String, usize)>;

/// What linting `fixture-app` in `dir` with dependencies read found, and
/// (dependencies parsed, read from the cache, foreign fns known from them).
fn lint_app(dir: &Path) -> (Found, (usize, usize, usize)) {
    let ws = workspace::load_with(
        Some(&dir.join("Cargo.toml")),
        false,
        &["fixture-app".to_owned()],
        true,
        None,
    )
    .unwrap();
    assert_eq!(ws.deps_note, None);
    let krate = workspace::load_crate(&ws.packages[0]);
    let outcome = engine::run_lints(&krate, &Levels::default());
    assert!(
        outcome.internal_errors.is_empty(),
        "{:?}",
        outcome.internal_errors
    );
    let found = outcome
        .diagnostics
        .iter()
        .map(|d| (d.lint.to_owned(), d.span.file.clone(), d.span.line))
        .collect();
    let stats = (
        krate.deps.parsed,
        krate.deps.cached,
        krate.deps.dependency_fn_count(),
    );
    (found, stats)
}

/// The lines of `file` marked `// ~ lint`.
fn marked(file: &Path, lint: &str) -> Vec<usize> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            l.split_once("// ~ ")
                .is_some_and(|(_, m)| m.split_whitespace().any(|w| w == lint))
        })
        .map(|(i, _)| i + 1)
        .collect()
}

fn lines_of(found: &[(String, String, usize)], lint: &str) -> Vec<usize> {
    let mut v: Vec<usize> = found
        .iter()
        .filter(|(l, f, _)| l == lint && f == "src/lib.rs")
        .map(|(_, _, n)| *n)
        .collect();
    v.sort_unstable();
    v
}

/// Out-parameter allocations by the naming rule, a pair and a borrowed
/// result from the package's configuration, the conventions table, a pair
/// across the dependency's blocks, its C strings by the SPEC's rule, and a
/// declaration that clashes with the dependency's: exactly the marked lines.
#[test]
fn dependency_declarations_drive_the_ownership_lints_and_clashes() {
    let dir = copy("deps", "lints");
    let (found, (parsed, _, known)) = lint_app(&dir);
    let app = dir.join("app/src/lib.rs");
    for lint in [
        "unpaired_foreign_alloc",
        "clashing_extern_declarations",
        "str_as_cstr",
    ] {
        assert_eq!(
            lines_of(&found, lint),
            marked(&app, lint),
            "{lint}: {found:?}"
        );
    }
    // `fixture-wrap` (direct) and `fixture-sys` (re-exported by it).
    assert_eq!(parsed, 2);
    assert_eq!(known, 16);
    // The dependency's generated bindings were never built.
    assert!(
        found
            .iter()
            .any(|(l, f, _)| l == "bindings_not_read" && f.ends_with("sys/src/lib.rs")),
        "{found:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A second run parses no dependency; a new version of one, or a new
/// build output of its bindings, has it read again, and only it.
#[test]
fn the_cache_is_kept_until_a_dependency_changes() {
    let dir = copy("deps", "cache");
    let (first, (parsed, cached, _)) = lint_app(&dir);
    assert_eq!((parsed, cached), (2, 0));
    // The resolved graph is kept too: the second run asks cargo only for
    // the workspace (`--no-deps`).
    assert!(dir.join("target/ffi-guard/graph.json").is_file());
    let (second, (parsed, cached, _)) = lint_app(&dir);
    assert_eq!((parsed, cached), (0, 2));
    assert_eq!(first, second);

    let manifest = dir.join("sys/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("0.1.0", "0.2.0")).unwrap();
    let (_, (parsed, cached, _)) = lint_app(&dir);
    assert_eq!((parsed, cached), (1, 1), "the new version is read again");

    // A build output appears: its bindings are read, the warning goes.
    let out = dir.join("target/debug/build/fixture-sys-0123456789abcdef/out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("bindings.rs"),
        "extern \"C\" { pub fn thing_generated(x: ::std::os::raw::c_int) -> ::std::os::raw::c_int; }\n",
    )
    .unwrap();
    let (found, (parsed, _, known)) = lint_app(&dir);
    assert_eq!(parsed, 1);
    assert_eq!(known, 17);
    assert!(
        !found.iter().any(|(l, _, _)| l == "bindings_not_read"),
        "{found:?}"
    );

    // A corrupt cache file is read again and rewritten.
    for e in std::fs::read_dir(dir.join("target/ffi-guard/deps"))
        .unwrap()
        .flatten()
    {
        std::fs::write(e.path(), b"{").unwrap();
    }
    let (_, (parsed, cached, _)) = lint_app(&dir);
    assert_eq!((parsed, cached), (2, 0));
    let (_, (parsed, cached, _)) = lint_app(&dir);
    assert_eq!((parsed, cached), (0, 2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--no-deps` reads only the crate: no dependency is known, so nothing
/// is found in calls into it.
#[test]
fn no_deps_reads_only_the_crate() {
    let dir = copy("deps", "nodeps");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-ffi-guard"))
        .args([
            "check",
            "--no-deps",
            "--format",
            "json",
            "-p",
            "fixture-app",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!dir.join("target/ffi-guard").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Dependencies that are not on disk: said once, then linted as with
/// `--no-deps`, not a failure.
#[test]
fn missing_dependencies_are_said_once_and_linted_without() {
    let dir = copy("deps_missing", "missing");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-ffi-guard"))
        .args(["check", "--format", "json", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("not all on disk").count(), 1, "{stderr}");
    assert!(stderr.contains("--no-deps"), "{stderr}");
    assert!(
        stdout.contains("\"lint\":\"no_mangle_rust_abi\""),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
