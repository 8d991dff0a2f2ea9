//! `cargo ffi-guard test` end to end: the real binary runs `cargo test` on
//! the fixture crates of `tests/fixtures/test_cmd/`, which use the real
//! runtime and macro over real C.
//!
//! The fixtures are copied once under the target's tmp folder (their
//! `ffi-guard-rt` path made absolute, the workspace's `Cargo.lock` beside
//! them so they resolve to the versions already built), and all of them
//! build into one shared target folder, so the runtime is compiled once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-ffi-guard");

#[test]
fn clean_crate_passes_with_no_findings() {
    let run = run_fixture("clean");
    assert_eq!(run.code, Some(0), "{}", run.all);
    assert!(
        run.stdout.contains("\nffi-guard: no findings\n"),
        "{}",
        run.all
    );
    assert!(run.reports_dir().is_dir(), "{}", run.all);
}

#[test]
fn leaking_crate_fails_and_names_the_leak() {
    let run = run_fixture("leaky");
    assert_eq!(run.code, Some(1), "{}", run.all);
    let (line, column) = line_of("leaky/src/lib.rs", "thing_new(v)");
    // One group: the unit tests and tests/more.rs leak from the same line.
    let header = format!(
        "error[leak]: 3 pointers from thing_new never released with thing_free\n  --> leaky/src/lib.rs:{line}:{column}\n"
    );
    assert!(
        run.stdout.contains(&header),
        "expected\n{header}in\n{}",
        run.all
    );
    assert!(run.stdout.contains("   = count: 3"), "{}", run.all);
    assert!(
        run.stdout.contains("   = from: fixture_leaky-"),
        "{}",
        run.all
    );
    assert!(run.stdout.contains(", more-"), "{}", run.all);
    assert!(
        run.stdout.contains(
            "the tests passed, but 1 of the groups above is of a kind that fails the run"
        ),
        "{}",
        run.all
    );

    // The kept folder reads back through `report`, as CI would.
    let out = Command::new(BIN)
        .args(["report", "--format", "json"])
        .arg(run.reports_dir())
        .output()
        .expect("run cargo-ffi-guard report");
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["findings"][0]["kind"], "leak");
    assert_eq!(doc["findings"][0]["count"], 3);
    assert_eq!(doc["findings"][0]["site"]["line"], line);
}

#[test]
fn aborted_process_still_reports_from_its_journal() {
    let run = run_fixture("aborting");
    assert_eq!(run.code, Some(1), "{}", run.all);
    let (line, _) = line_of("aborting/src/lib.rs", "thing_free(t);\n        }");
    assert!(run.stdout.contains("error[double_free]:"), "{}", run.all);
    assert!(
        run.stdout
            .contains(&format!("  --> aborting/src/lib.rs:{line}:")),
        "{}",
        run.all
    );
    assert!(
        run.stdout
            .contains("died) exited without writing its whole report"),
        "{}",
        run.all
    );
    assert!(
        run.stdout.contains("ffi-guard: `cargo test` failed"),
        "{}",
        run.all
    );
}

#[test]
fn failing_tests_fail_the_run_and_show_cargo_output() {
    let run = run_fixture("failing");
    assert_eq!(run.code, Some(1), "{}", run.all);
    assert!(run.all.contains("planted failure"), "{}", run.all);
    assert!(run.all.contains("test result: FAILED"), "{}", run.all);
    assert!(
        run.stdout
            .contains("ffi-guard: `cargo test` failed (exit status 101)"),
        "{}",
        run.all
    );
}

/// The README's quick start: the bundled example's planted runtime bugs.
#[test]
fn bundled_example_reports_its_planted_bugs() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/widget");
    // From the repository's root, as the README's quick start runs it.
    let run = run_manifest_with(
        &["--check"],
        &example.join("Cargo.toml"),
        &example.join("../.."),
    );
    // `--check` first: the static findings the runtime cannot see.
    for lint in [
        "missing_repr_c",
        "leaked_into_raw",
        "double_free",
        "unpaired_foreign_alloc",
    ] {
        assert!(
            run.stdout.contains(&format!("error[{lint}]")),
            "no {lint} in\n{}",
            run.all
        );
    }
    let runtime_part = run.stdout.find("error[leak]").expect("the runtime report");
    assert!(
        run.stdout.find("error[missing_repr_c]") < Some(runtime_part),
        "{}",
        run.all
    );
    assert_eq!(run.code, Some(1), "{}", run.all);
    let lib = std::fs::read_to_string(example.join("src/lib.rs")).expect("read the example");
    let (line, column) = position(&lib, "ffi::widget_new(name.as_ptr())");
    let wrapper_leak = format!(
        "error[leak]: 2 pointers from widget_new never released with widget_free\n  --> examples/widget/src/lib.rs:{line}:{column}\n"
    );
    assert!(
        run.stdout.contains(&wrapper_leak),
        "expected\n{wrapper_leak}in\n{}",
        run.all
    );
    assert!(run.stdout.contains("error[leak]: 1 pointer from widget_new never released with widget_free\n  --> examples/widget/tests/planted.rs:"), "{}", run.all);
    assert!(run.stdout.contains("error[double_free]:"), "{}", run.all);
    assert!(run.stdout.contains("error[panic]:"), "{}", run.all);
    assert!(
        run.stdout
            .contains(": widget_each at examples/widget/c/widget.c:"),
        "{}",
        run.all
    );
    assert!(
        run.stdout.contains("ffi-guard: 5 findings in 4 groups (3 leak, 1 double_free, 1 panic) from 2 test processes\n"),
        "{}",
        run.all
    );
    // Report mode (the example's .cargo/config.toml): every test passed.
    assert!(
        run.stdout
            .contains("the tests passed, but 4 of the groups above"),
        "{}",
        run.all
    );
}

#[test]
fn missing_manifest_is_exit_2_with_the_path() {
    let missing = scratch("missing").join("nowhere/Cargo.toml");
    let out = Command::new(BIN)
        .arg("test")
        .arg("--manifest-path")
        .arg(&missing)
        .output()
        .expect("run cargo-ffi-guard");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "manifest not found: {} does not exist",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("pass --manifest-path"), "{stderr}");
}

#[test]
fn missing_cargo_is_exit_2_naming_it() {
    let dir = scratch("no-cargo");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
    )
    .expect("write Cargo.toml");
    let cargo = dir.join("no-such-cargo");
    let out = Command::new(BIN)
        .arg("test")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO", &cargo)
        .output()
        .expect("run cargo-ffi-guard");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot run `{}`: not found", cargo.display())),
        "{stderr}"
    );
}

#[test]
fn unknown_kind_in_fail_on_is_exit_2_before_running_tests() {
    let dir = scratch("bad-gate");
    std::fs::create_dir_all(dir.join("src")).expect("create the crate");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bad-gate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.ffi-guard]\ntest.fail-on = [\"leak\", \"leek\"]\n\n[workspace]\n",
    )
    .expect("write Cargo.toml");
    std::fs::write(dir.join("src/lib.rs"), "").expect("write lib.rs");
    let out = Command::new(BIN)
        .arg("test")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .expect("run cargo-ffi-guard");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown finding kind `leek`"), "{stderr}");
    assert!(
        stderr.contains("valid kinds: leak, double_free,"),
        "{stderr}"
    );
    // Nothing was built or run.
    assert!(!dir.join("target/debug").exists());
}

#[test]
fn unknown_kind_in_workspace_fail_on_names_the_workspace_table() {
    let dir = scratch("bad-workspace-gate");
    std::fs::create_dir_all(dir.join("member/src")).expect("create the member");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"member\"]\n\n\
         [workspace.metadata.ffi-guard]\ntest.fail-on = [\"use-after-free\"]\n",
    )
    .expect("write the workspace manifest");
    std::fs::write(
        dir.join("member/Cargo.toml"),
        "[package]\nname = \"member\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .expect("write the member manifest");
    std::fs::write(dir.join("member/src/lib.rs"), "").expect("write lib.rs");
    // The member has no table of its own: the workspace's applies.
    let out = Command::new(BIN)
        .arg("test")
        .arg("--manifest-path")
        .arg(dir.join("member/Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .expect("run cargo-ffi-guard");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown finding kind `use-after-free` in `test.fail-on` of `[workspace.metadata.ffi-guard]"),
        "{stderr}"
    );
}

/// What one `cargo ffi-guard test` printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    /// stdout and stderr, for failure messages and for cargo's own output.
    all: String,
}

impl Run {
    /// The folder named on the `reports kept in` line.
    fn reports_dir(&self) -> PathBuf {
        let line = self
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("ffi-guard: reports kept in "))
            .unwrap_or_else(|| panic!("no `reports kept in` line in\n{}", self.all));
        PathBuf::from(line)
    }
}

fn run_fixture(name: &str) -> Run {
    let root = fixtures();
    run_manifest(&root.join(name).join("Cargo.toml"), root)
}

/// `cargo ffi-guard test --manifest-path MANIFEST` run in `cwd`, building
/// into the fixtures' shared target folder.
fn run_manifest(manifest: &Path, cwd: &Path) -> Run {
    run_manifest_with(&[], manifest, cwd)
}

fn run_manifest_with(flags: &[&str], manifest: &Path, cwd: &Path) -> Run {
    let out: Output = Command::new(BIN)
        .arg("test")
        .args(flags)
        .arg("--manifest-path")
        .arg(manifest)
        // Not the crate's folder: its own .cargo/config.toml must still apply.
        .current_dir(cwd)
        .env("CARGO_TARGET_DIR", fixtures().join("target"))
        .env_remove("FFI_GUARD_MODE")
        .env_remove("FFI_GUARD_REPORT_DIR")
        .env_remove("FFI_GUARD_BACKTRACE")
        .env_remove("FFI_GUARD_SUMMARY")
        .output()
        .expect("run cargo-ffi-guard");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Run {
        code: out.status.code(),
        all: format!("--- stdout\n{stdout}\n--- stderr\n{stderr}"),
        stdout,
    }
}

/// 1-based line and column of the first occurrence of `needle` in a fixture file.
fn line_of(file: &str, needle: &str) -> (u64, u64) {
    let path = source().join(file);
    let text = std::fs::read_to_string(&path).expect("read the fixture");
    position(&text, needle)
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
fn position(text: &str, needle: &str) -> (u64, u64) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in\n{text}"));
    let before = &text[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let column = (at - before.rfind('\n').map_or(0, |i| i + 1)) as u64 + 1;
    (line, column)
}

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test_cmd")
}

/// The fixture crates, copied once per test binary run.
fn fixtures() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test_cmd");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root");
        let runtime = workspace.join("ffi-guard-rt");
        for entry in std::fs::read_dir(source()).expect("read the fixtures") {
            let path = entry.expect("a fixture entry").path();
            let name = path.file_name().expect("a name").to_owned();
            if name == "reports" || !path.is_dir() {
                continue;
            }
            let to = root.join(&name);
            let _ = std::fs::remove_dir_all(to.join("src"));
            copy_dir(&path, &to);
            let manifest = to.join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest) {
                let text = text.replace(
                    "path = \"../../../../../ffi-guard-rt\"",
                    &format!("path = {:?}", runtime.display().to_string()),
                );
                std::fs::write(&manifest, text).expect("rewrite the manifest");
                std::fs::copy(workspace.join("Cargo.lock"), to.join("Cargo.lock"))
                    .expect("copy the workspace's Cargo.lock");
            }
        }
        root
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a fixture folder");
    for entry in std::fs::read_dir(from).expect("read a fixture folder") {
        let path = entry.expect("a fixture entry").path();
        let dest = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy a fixture file");
        }
    }
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("test_cmd-scratch")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}
