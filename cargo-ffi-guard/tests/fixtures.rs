//! Every lint fixture crate under `tests/fixtures/<lint>/`, through the whole
//! engine (cargo metadata, module tree, index, allow comments): the lines
//! marked `// ~ <lint>` (once per expected diagnostic) must be exactly the
//! lines where `<lint>` reports, file by file. Directories that are not lint
//! names (`test_cmd`) are crates for other tests and are skipped.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use cargo_ffi_guard::config::Levels;
use cargo_ffi_guard::diag::Level;
use cargo_ffi_guard::{engine, lints, workspace};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// (file, line) -> how many diagnostics of `lint` the markers expect.
fn markers(root: &Path, lint: &str) -> BTreeMap<(String, usize), usize> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            // A folder with its own manifest is another fixture crate.
            if p.is_dir() && !p.join("Cargo.toml").is_file() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = fs::read_to_string(&p).unwrap_or_default();
                let rel = p
                    .strip_prefix(root)
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                for (i, line) in text.lines().enumerate() {
                    let Some((_, marks)) = line.split_once("// ~ ") else {
                        continue;
                    };
                    let n = marks.split_whitespace().filter(|m| *m == lint).count();
                    if n > 0 {
                        *out.entry((rel.clone(), i + 1)).or_default() += n;
                    }
                }
            }
        }
    }
    out
}

/// Lint the fixture of `lint` with that lint on, and compare with its
/// markers; so too each crate in a folder of it (cases that need a crate of
/// their own, such as crate-wide facts the main fixture would change).
fn check_fixture(lint: &'static str) -> Result<(), String> {
    let root = fixtures_dir().join(lint);
    check_dir(&root, lint)?;
    let mut subcrates: Vec<PathBuf> = fs::read_dir(&root)
        .map_err(|e| format!("{lint}: {e}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    subcrates.sort();
    for dir in subcrates {
        check_dir(&dir, lint)?;
    }
    Ok(())
}

/// Lint the fixture crate in `dir` with `lint` on, and compare with its markers.
fn check_dir(dir: &Path, lint: &'static str) -> Result<(), String> {
    let dir = dir.to_path_buf();
    let ws = workspace::load(Some(&dir.join("Cargo.toml")), false, &[])
        .map_err(|e| format!("{lint}: {e}"))?;
    let mut levels = Levels::default();
    if levels.get(lint) == Level::Allow {
        levels.set(lint, Level::Warn);
    }
    let mut got = BTreeMap::new();
    for p in &ws.packages {
        let krate = workspace::load_crate(p);
        let outcome = engine::run_lints(&krate, &levels);
        if !outcome.internal_errors.is_empty() {
            return Err(format!("{lint}: {:?}", outcome.internal_errors));
        }
        for d in outcome.diagnostics.iter().filter(|d| d.lint == lint) {
            *got.entry((d.span.file.clone(), d.span.line))
                .or_insert(0usize) += 1;
        }
    }
    let want = markers(&dir, lint);
    if got == want {
        return Ok(());
    }
    let mut msg = format!("fixture `{lint}` differs from its `// ~ {lint}` markers:\n");
    for (k, n) in &want {
        if got.get(k) != Some(n) {
            msg.push_str(&format!(
                "  expected {n} at {}:{}, got {}\n",
                k.0,
                k.1,
                got.get(k).unwrap_or(&0)
            ));
        }
    }
    for (k, n) in &got {
        if !want.contains_key(k) {
            msg.push_str(&format!("  unexpected {n} at {}:{}\n", k.0, k.1));
        }
    }
    Err(msg)
}

#[test]
fn every_lint_fixture_matches_its_markers() {
    let mut failures = Vec::new();
    let mut seen = 0;
    for lint in lints::ALL {
        if !fixtures_dir().join(lint.name).join("Cargo.toml").is_file() {
            continue;
        }
        seen += 1;
        if let Err(e) = check_fixture(lint.name) {
            failures.push(e);
        }
    }
    assert!(seen >= 6, "fixtures missing: only {seen} found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fixtures of this crate's own lints each have a positive marker, so a
/// lint that silently reports nothing cannot pass.
#[test]
fn own_fixtures_have_markers() {
    for lint in [
        "missing_repr_c",
        "improper_ffi_type",
        "no_mangle_rust_abi",
        "panic_across_ffi",
        "unguarded_extern",
        "parse_error",
    ] {
        let dir = fixtures_dir().join(lint);
        assert!(
            !markers(&dir, lint).is_empty(),
            "{lint} fixture has no markers"
        );
    }
}

/// `mod x;` as x.rs and x/mod.rs, non-mod.rs folders, `#[path]` (also inside
/// an inline module), inline modules, a custom `[lib] path`, `cfg_if!`
/// branches, a crate's own item macro, bins, examples, tests and benches:
/// every file is linted once, and `build.rs` is not.
#[test]
fn module_tree_reaches_every_file() {
    let dir = fixtures_dir().join("module_tree");
    check_dir(&dir, "no_mangle_rust_abi").unwrap();
    let ws = workspace::load(Some(&dir.join("Cargo.toml")), false, &[]).unwrap();
    let krate = workspace::load_crate(&ws.packages[0]);
    let files: Vec<&str> = krate.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        files,
        [
            "benches/b.rs",
            "examples/ex.rs",
            "lib/a.rs",
            "lib/a/b.rs",
            "lib/inline/child.rs",
            "lib/inline/q.rs",
            "lib/other/c.rs",
            "lib/other/p.rs",
            "lib/other_only.rs",
            "lib/root.rs",
            "lib/unix_only.rs",
            "src/bin/tool.rs",
            "tests/t.rs",
        ]
    );
    assert!(krate.parse_errors.is_empty(), "{:?}", krate.parse_errors);
}

/// Names resolve across modules: `use .. as`, globs, `super`, re-exports
/// and aliases all lead to the one struct.
#[test]
fn index_resolves_paths_across_modules() {
    let src = r#"
        mod types { pub struct Point { pub x: i32 } pub mod deep { pub use super::Point as P2; } }
        mod glob { pub use crate::types::*; }
        mod user {
            use super::glob::Point;
            use crate::types::deep::P2 as Renamed;
            pub type Alias = Renamed;
            pub extern "C" fn a(p: Point) {}
            pub extern "C" fn b(p: Renamed) {}
            pub extern "C" fn c(p: Alias) {}
            pub extern "C" fn d(p: super::types::Point) {}
            pub extern "C" fn e(p: self::Alias) {}
        }
    "#;
    let krate = workspace::crate_from_source(src);
    let ix = &krate.index;
    let point = ix.types.iter().position(|t| t.name == "Point").unwrap();
    let mut n = 0;
    for (_, f) in ix.exports() {
        let parts = krate.fn_parts(f).unwrap();
        let syn::FnArg::Typed(pt) = &parts.sig.inputs[0] else {
            panic!()
        };
        assert_eq!(
            ix.resolve_adt(f.module, &pt.ty),
            Some(point),
            "fn {}",
            f.name
        );
        n += 1;
    }
    assert_eq!(n, 5);
}
