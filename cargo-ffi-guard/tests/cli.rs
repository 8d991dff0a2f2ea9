//! The built binary, run as users run it: every exit status, every bad-input
//! message, the three output formats (snapshots, paths redacted), `--fix`,
//! and the promise that `check` never builds or runs anything.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-ffi-guard"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh copy of a fixture crate in a temporary directory.
fn copy_fixture(name: &str, tag: &str) -> PathBuf {
    let dst = std::env::temp_dir().join(format!("ffi-guard-cli-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dst);
    copy_dir(&fixture(name), &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap().flatten() {
        let p = e.path();
        let to = dst.join(e.file_name());
        if p.is_dir() {
            if e.file_name() != "target" {
                copy_dir(&p, &to);
            }
        } else {
            fs::copy(&p, &to).unwrap();
        }
    }
}

#[test]
fn exit_0_when_nothing_is_denied() {
    let o = run(&["check"], &fixture("unguarded_extern"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 errors"), "{}", stdout(&o));
}

#[test]
fn exit_1_on_a_deny_finding() {
    let o = run(&["check"], &fixture("missing_repr_c"));
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("error[missing_repr_c]: struct `Point` crosses the FFI boundary by value"),
        "{out}"
    );
    assert!(out.contains(" --> src/lib.rs:12:"), "{out}");
}

#[test]
fn cargo_passes_its_subcommand_name_first() {
    let o = run(
        &["ffi-guard", "check", "--format", "json"],
        &fixture("missing_repr_c"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("{\"lint\":"), "{}", stdout(&o));
}

#[test]
fn deny_warnings_turns_warnings_into_errors() {
    let dir = fixture("no_mangle_rust_abi");
    assert_eq!(run(&["check"], &dir).status.code(), Some(0));
    let o = run(&["check", "--deny", "warnings"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("error[no_mangle_rust_abi]"),
        "{}",
        stdout(&o)
    );
    let o = run(
        &[
            "check",
            "--allow",
            "missing_repr_c",
            "--allow",
            "leaked_into_raw",
        ],
        &fixture("missing_repr_c"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn package_metadata_sets_levels() {
    // The fixture's [package.metadata.ffi-guard] warns on unguarded_extern.
    let o = run(&["check", "--format", "json"], &fixture("cli_build_script"));
    assert!(
        stdout(&o).contains("\"lint\":\"unguarded_extern\",\"level\":\"warn\""),
        "{}",
        stdout(&o)
    );
}

#[test]
fn exit_2_on_an_unknown_lint_flag_with_a_suggestion() {
    let o = run(
        &["check", "--deny", "missing_repr"],
        &fixture("missing_repr_c"),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("unknown lint `missing_repr`"), "{e}");
    assert!(e.contains("did you mean `missing_repr_c`?"), "{e}");
    assert!(
        e.contains("valid lints: missing_repr_c, improper_ffi_type"),
        "{e}"
    );
}

#[test]
fn exit_2_on_an_unknown_lint_in_metadata() {
    let dir = copy_fixture("no_mangle_rust_abi", "meta");
    let manifest = dir.join("Cargo.toml");
    let mut toml = fs::read_to_string(&manifest).unwrap();
    toml = toml.replace(
        "[workspace]",
        "[package.metadata.ffi-guard]\ndeny = [\"no_such_lint\"]\n\n[workspace]",
    );
    fs::write(&manifest, toml).unwrap();
    let o = run(&["check"], &dir);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("unknown lint `no_such_lint` in [package.metadata.ffi-guard]"),
        "{e}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// `pairs` and `borrowed` are read by the macro's own reader
/// (`ffi_guard_syntax::Config`): what it rejects stops `check` with exit 2,
/// naming the key; what it accepts is no error.
#[test]
fn exit_2_on_malformed_pairs_or_borrowed_as_the_macro_rejects_them() {
    let dir = copy_fixture("no_mangle_rust_abi", "conventions");
    let manifest = dir.join("Cargo.toml");
    let original = fs::read_to_string(&manifest).unwrap();
    for (table, key) in [
        ("pairs = [[\"a_new\"]]", "pairs"),
        ("pairs = [[\"a_new\", 3]]", "pairs"),
        ("borrowed = \"a_get\"", "borrowed"),
        ("borrowed = [\"not a name\"]", "borrowed"),
    ] {
        let toml = original.replace(
            "[workspace]",
            &format!("[package.metadata.ffi-guard]\n{table}\n\n[workspace]"),
        );
        fs::write(&manifest, &toml).unwrap();
        let text = ffi_guard_syntax::Config::from_manifest(&toml);
        assert!(text.is_err(), "the macro rejects `{table}`");
        let o = run(&["check"], &dir);
        assert_eq!(o.status.code(), Some(2), "{table}");
        let e = stderr(&o);
        // Named once: by the shared conventions reader, or, for a value of
        // the wrong type, by the configuration's key check that runs first.
        let at = format!("`package.metadata.ffi-guard.{key}`");
        let typed = format!("`{key}` must be");
        assert_eq!(
            e.matches(&at).count() + e.matches(&typed).count(),
            1,
            "{table}: {e}"
        );
    }
    let toml = original.replace(
        "[workspace]",
        "[package.metadata.ffi-guard]\npairs = [[\"a_new\", \"a_free\"]]\nborrowed = [\"a_get\"]\n\n[workspace]",
    );
    fs::write(&manifest, &toml).unwrap();
    assert!(ffi_guard_syntax::Config::from_manifest(&toml).is_ok());
    let o = run(&["check"], &dir);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn exit_2_on_a_missing_manifest() {
    let o = run(
        &["check", "--manifest-path", "/nonexistent/Cargo.toml"],
        Path::new("/"),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("no file at `/nonexistent/Cargo.toml`"), "{e}");
    assert!(e.contains("--manifest-path"), "{e}");
}

#[test]
fn exit_2_on_a_path_that_is_not_a_crate() {
    let dir = std::env::temp_dir().join(format!("ffi-guard-not-a-crate-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let o = run(
        &["check", "--manifest-path", dir.to_str().unwrap()],
        Path::new("/"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not a Cargo.toml"), "{}", stderr(&o));
    let o = run(&["check"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not inside a crate"),
        "{}",
        stderr(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn exit_2_on_a_broken_manifest() {
    let dir =
        std::env::temp_dir().join(format!("ffi-guard-broken-manifest-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("Cargo.toml"), "[package\nname = ").unwrap();
    let o = run(&["check"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`cargo metadata` failed"),
        "{}",
        stderr(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn exit_2_on_an_unknown_package_and_a_bad_flag() {
    let o = run(&["check", "-p", "nope"], &fixture("missing_repr_c"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("package `nope` is not a member"),
        "{}",
        stderr(&o)
    );
    let o = run(&["check", "--format", "xml"], &fixture("missing_repr_c"));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn lints_and_explain() {
    let o = run(&["lints"], Path::new("/"));
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    // A header line, then one line per lint of the registry.
    assert_eq!(
        out.lines().count(),
        cargo_ffi_guard::lints::ALL.len() + 1,
        "{out}"
    );
    assert!(out.contains("unguarded_extern"), "{out}");
    let o = run(&["explain", "missing_repr_c"], Path::new("/"));
    assert_eq!(o.status.code(), Some(0));
    for section in [
        "### What it does",
        "### Why is this bad?",
        "### Example",
        "### Use instead",
    ] {
        assert!(stdout(&o).contains(section), "{section}");
    }
    let o = run(&["explain", "missing_rep_c"], Path::new("/"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `missing_repr_c`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_never_runs_build_scripts_or_proc_macros() {
    let dir = copy_fixture("cli_build_script", "build");
    let o = run(&["check"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("error[missing_repr_c]"),
        "{}",
        stdout(&o)
    );
    assert!(!dir.join("BUILD_SCRIPT_RAN").exists(), "build.rs ran");
    assert!(!dir.join("PROC_MACRO_RAN").exists(), "the proc macro ran");
    // The target directory holds at most ffi-guard's own cache.
    let built: Vec<_> = fs::read_dir(dir.join("target"))
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        built.iter().all(|n| n == "ffi-guard"),
        "something was built: {built:?}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn fix_adds_repr_c_and_extern_c_then_lints_again() {
    let dir = copy_fixture("cli_build_script", "fix");
    let o = run(
        &[
            "check",
            "--fix",
            // A copy in a temporary folder is under no version control.
            "--allow-dirty",
            "--deny",
            "warnings",
            "--allow",
            "unguarded_extern",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("fixed 2 places in 1 file"),
        "{}",
        stderr(&o)
    );
    let src = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(src.starts_with("#[repr(C)]\npub struct Point"), "{src}");
    assert!(src.contains("pub extern \"C\" fn rust_abi()"), "{src}");
    let _ = fs::remove_dir_all(&dir);
}

/// Replace the parts of output that depend on where the tests run.
fn redact(s: &str) -> String {
    let root = fixture("");
    s.replace(root.to_str().unwrap(), "[FIXTURES]/")
}

/// Snapshots cover this crate's own output; the ownership lints have theirs.
const OWNERSHIP_OFF: &[&str] = &[
    "--allow",
    "leaked_into_raw",
    "--allow",
    "unpaired_foreign_alloc",
    "--allow",
    "mismatched_free",
    "--allow",
    "double_free",
    "--allow",
    "dangling_cstring_ptr",
    "--allow",
    "str_as_cstr",
    "--allow",
    "ptr_len_mismatch",
    "--allow",
    "errno_clobbered",
];

fn run_own(args: &[&str], cwd: &Path) -> Output {
    let all: Vec<&str> = args.iter().chain(OWNERSHIP_OFF).copied().collect();
    run(&all, cwd)
}

#[test]
fn snapshot_human() {
    let o = run_own(&["check"], &fixture("missing_repr_c"));
    insta::assert_snapshot!("human_missing_repr_c", redact(&stdout(&o)));
}

#[test]
fn snapshot_json() {
    let o = run_own(
        &["check", "--format", "json", "--deny", "warnings"],
        &fixture("no_mangle_rust_abi"),
    );
    insta::assert_snapshot!("json_no_mangle_rust_abi", redact(&stdout(&o)));
    for line in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "lint",
            "level",
            "message",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "help",
            "package",
            "related",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }
}

#[test]
fn snapshot_sarif() {
    let o = run_own(
        &["check", "--format", "sarif"],
        &fixture("improper_ffi_type"),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert_eq!(
        run0["tool"]["driver"]["rules"].as_array().unwrap().len(),
        cargo_ffi_guard::lints::ALL.len()
    );
    let uri = run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    // Relative to the repository root, as code scanning wants.
    assert_eq!(
        uri,
        "cargo-ffi-guard/tests/fixtures/improper_ffi_type/src/lib.rs"
    );
    // Rules are long; the snapshot keeps the results.
    insta::assert_json_snapshot!("sarif_improper_ffi_type_results", run0["results"]);
}

/// A virtual workspace of two members, in a temporary directory.
fn two_member_workspace(tag: &str, root_extra: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ffi-guard-ws-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for m in ["a", "b"] {
        fs::create_dir_all(dir.join(m).join("src")).unwrap();
        fs::write(
            dir.join(m).join("Cargo.toml"),
            format!("[package]\nname = \"{m}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
        fs::write(
            dir.join(m).join("src/lib.rs"),
            format!("#[no_mangle]\npub fn {m}_export() {{}}\n"),
        )
        .unwrap();
    }
    fs::write(
        dir.join("Cargo.toml"),
        format!("[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n{root_extra}"),
    )
    .unwrap();
    dir
}

fn packages_in(o: &Output) -> Vec<String> {
    let mut p: Vec<String> = stdout(o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["package"].as_str().map(str::to_owned))
        .collect();
    p.sort();
    p.dedup();
    p
}

#[test]
fn package_selection_follows_cargo() {
    let dir = two_member_workspace("select", "");
    let json = ["check", "--format", "json"];
    assert_eq!(
        packages_in(&run(&json, &dir)),
        ["a", "b"],
        "virtual manifest: every member"
    );
    let o = run(&["check", "--format", "json", "-p", "b"], &dir);
    assert_eq!(packages_in(&o), ["b"]);
    let o = run(
        &[
            "check",
            "--format",
            "json",
            "--manifest-path",
            "a/Cargo.toml",
        ],
        &dir,
    );
    assert_eq!(packages_in(&o), ["a"], "a member's manifest: that member");
    let o = run(
        &["check", "--format", "json", "--workspace"],
        &dir.join("a"),
    );
    assert_eq!(packages_in(&o), ["a", "b"]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn workspace_metadata_then_package_metadata_then_flags() {
    let dir = two_member_workspace(
        "levels",
        "\n[workspace.metadata.ffi-guard]\ndeny = [\"no_mangle_rust_abi\"]\n",
    );
    let o = run(&["check", "--format", "json"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("\"level\":\"deny\""), "{}", stdout(&o));
    // The package table overrides the workspace's for that package only.
    let manifest = dir.join("a/Cargo.toml");
    let mut toml = fs::read_to_string(&manifest).unwrap();
    toml.push_str("\n[package.metadata.ffi-guard]\nallow = [\"no_mangle_rust_abi\"]\n");
    fs::write(&manifest, toml).unwrap();
    let o = run(&["check", "--format", "json"], &dir);
    assert_eq!(packages_in(&o), ["b"]);
    assert_eq!(o.status.code(), Some(1));
    // Flags override both.
    let o = run(&["check", "--warn", "no_mangle_rust_abi"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let _ = fs::remove_dir_all(&dir);
}

/// Generated code nests deeply; parsing and linting it must not overflow
/// the stack (the lint threads get a large one), even in a debug build.
#[test]
fn deeply_nested_generated_code_is_linted() {
    let dir = std::env::temp_dir().join(format!("ffi-guard-deep-{}", std::process::id()));
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"deep\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    let sum = vec!["x"; 5000].join(" + ");
    fs::write(
        dir.join("src/lib.rs"),
        format!("#[no_mangle]\npub extern \"C\" fn f(x: i32) -> i32 {{\n    ({sum}) / x\n}}\n"),
    )
    .unwrap();
    let o = run(&["check", "--format", "json"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\"lint\":\"panic_across_ffi\""),
        "{}",
        stdout(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn several_manifests_lint_in_one_run() {
    let a = fixture("missing_repr_c").join("Cargo.toml");
    let b = fixture("double_free").join("Cargo.toml");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let o = run(
        &[
            "check",
            "--manifest-path",
            a,
            "--manifest-path",
            b,
            "--manifest-path",
            a,
            "--format",
            "json",
        ],
        &fixture("missing_repr_c"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    let from = |lint: &str| lines.iter().filter(|d| d["lint"] == lint).count();
    assert!(from("missing_repr_c") > 0, "{}", stdout(&o));
    assert!(from("double_free") > 0, "{}", stdout(&o));
    // A manifest given twice is linted once.
    let alone = run(
        &["check", "--manifest-path", a, "--format", "json"],
        &fixture("missing_repr_c"),
    );
    let alone_repr = stdout(&alone)
        .lines()
        .filter(|l| l.contains("\"lint\":\"missing_repr_c\""))
        .count();
    assert_eq!(from("missing_repr_c"), alone_repr);
}

#[test]
fn one_bad_manifest_among_several_is_exit_2() {
    let a = fixture("missing_repr_c").join("Cargo.toml");
    let o = run(
        &[
            "check",
            "--manifest-path",
            a.to_str().unwrap(),
            "--manifest-path",
            "/nonexistent/Cargo.toml",
        ],
        &fixture("missing_repr_c"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/Cargo.toml"),
        "{}",
        stderr(&o)
    );
}
