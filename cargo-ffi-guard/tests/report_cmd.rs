//! `cargo ffi-guard report` on hand-written report folders: the real binary,
//! no build of any crate.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-ffi-guard");

fn reports() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test_cmd/reports")
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report_cmd")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

fn report(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .arg("report")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run cargo-ffi-guard")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn human_report_merges_processes_and_fails() {
    let dir = reports();
    let out = report(&[dir.to_str().expect("utf-8 path")], &dir);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    // The same leak from two test binaries: one group, counts summed.
    assert!(
        stdout.contains(
            "error[leak]: 3 pointers from widget_new never released with widget_free\n  --> src/lib.rs:42:17\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("   = from: leaks-9f8e7d6c (pid 4250), widget-1a2b3c4d (pid 4242)\n"),
        "{stdout}"
    );
    // The journal of a process that died: its whole line is read, the cut one dropped.
    assert!(stdout.contains("error[double_free]: double free of a pointer from widget_new\n  --> tests/crash.rs:9:9\n"), "{stdout}");
    assert!(
        stdout.contains("crash-77aa66bb (pid 999, died) exited without writing its whole report"),
        "{stdout}"
    );
    assert!(stdout.contains("cut short"), "{stdout}");
    assert!(!stdout.contains("use_after_free"), "{stdout}");
    // The panic's backtrace is shown.
    assert!(
        stdout.contains("        0: leaks::on_item at src/lib.rs:91\n        1: widget_each\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "ffi-guard: 5 findings in 3 groups (3 leak, 1 double_free, 1 panic) from 3 test processes; 1 process died before finishing its report\n"
        ),
        "{stdout}"
    );
}

#[test]
fn json_report_is_one_merged_document() {
    let dir = reports();
    let out = report(
        &[dir.to_str().expect("utf-8 path"), "--format", "json"],
        &dir,
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["program"], "merged");
    assert!(doc["pid"].is_null());
    assert_eq!(doc["sources"].as_array().map(Vec::len), Some(3));
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 3);
    assert_eq!(findings[0]["kind"], "leak");
    assert_eq!(findings[0]["count"], 3);
    assert_eq!(findings[0]["free_with"], "widget_free");
    assert_eq!(
        findings[0]["message"],
        "3 pointers from widget_new never released with widget_free"
    );
    assert_eq!(
        findings[0]["programs"],
        serde_json::json!(["leaks-9f8e7d6c", "widget-1a2b3c4d"])
    );
    // Notes go to stderr, so stdout stays one document.
    assert!(stderr.contains("cut short"), "{stderr}");
}

#[test]
fn empty_folder_is_no_reports_and_exit_0() {
    let dir = scratch("empty");
    let out = report(&[dir.to_str().expect("utf-8 path")], &dir);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("no reports in {}", dir.display())),
        "{stderr}"
    );
}

#[test]
fn folder_of_runs_names_the_last_run() {
    let target = scratch("runs");
    let runs = target.join("ffi-guard/reports");
    std::fs::create_dir_all(runs.join("20260101T000000Z-1")).expect("create a run folder");
    std::fs::write(runs.join("last-run"), "20260101T000000Z-1\n").expect("write last-run");
    let out = report(&[runs.to_str().expect("utf-8 path")], &target);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("holds one folder per run; the last one is "),
        "{stderr}"
    );
    assert!(stderr.contains("20260101T000000Z-1"), "{stderr}");
}

/// A whole report, as the runtime writes it.
const WHOLE: &str = r#"{"version":1,"program":"ok","pid":7,"findings":[{"kind":"leak","function":"widget_new","message":"1 pointer from widget_new never released","site":{"file":"src/lib.rs","line":3,"column":5},"count":1,"bytes":null}]}"#;

#[test]
fn a_folder_whose_only_report_is_cut_short_is_exit_2_naming_it() {
    let dir = scratch("truncated");
    let file = dir.join("widget-4242.json");
    std::fs::write(&file, &WHOLE[..WHOLE.len() / 2]).expect("write a cut report");
    let out = report(&[dir.to_str().expect("utf-8 path")], &dir);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("could be read"), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(!stderr.contains("no reports in"), "{stderr}");
}

#[test]
fn an_unreadable_report_beside_a_whole_one_is_a_note() {
    let dir = scratch("one-cut");
    std::fs::write(dir.join("ok-7.json"), WHOLE).expect("write a report");
    std::fs::write(dir.join("cut-8.json"), "{\"version\":1,\"fin").expect("write a cut report");
    let out = report(&[dir.to_str().expect("utf-8 path")], &dir);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("error[leak]"), "{stdout}");
    assert!(
        stdout.contains("cut-8.json") || stderr.contains("cut-8.json"),
        "{stdout}\n{stderr}"
    );
}

/// A sparse multi-GB `.json` costs no memory and no time: it is refused by
/// its size, at once, named.
#[test]
fn a_huge_sparse_report_is_refused_by_its_size() {
    let dir = scratch("sparse");
    let file = dir.join("huge-1.json");
    let f = std::fs::File::create(&file).expect("create");
    f.set_len(8 << 30).expect("a sparse 8 GiB file");
    drop(f);
    let out = report(&[dir.to_str().expect("utf-8 path")], &dir);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("huge-1.json"), "{stderr}");
    assert!(stderr.contains("over the 64 MiB"), "{stderr}");
    let _ = std::fs::remove_file(&file);
}

/// A FIFO named like a report is never opened (opening it would wait for a
/// writer forever).
#[test]
fn a_fifo_named_like_a_report_is_never_waited_on() {
    let dir = scratch("fifo");
    std::fs::write(dir.join("ok-7.json"), WHOLE).expect("write a report");
    let fifo = dir.join("pipe-9.json");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let out = report(&[dir.to_str().expect("utf-8 path")], &dir);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("pipe-9.json") && all.contains("not a regular file"),
        "{all}"
    );
}

#[test]
fn missing_folder_is_exit_2() {
    let dir = scratch("missing");
    let out = report(&["does-not-exist"], &dir);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read the report folder does-not-exist: no such folder"),
        "{stderr}"
    );
}

#[test]
fn without_dir_reads_the_last_test_run_of_the_project() {
    let root = scratch("last-run");
    let project = root.join("project");
    std::fs::create_dir_all(project.join("src")).expect("create the project");
    std::fs::write(
        project.join("Cargo.toml"),
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .expect("write Cargo.toml");
    std::fs::write(project.join("src/lib.rs"), "").expect("write lib.rs");
    let target = root.join("target");
    let runs = target.join("ffi-guard/reports");
    for run in ["20260101T000000Z-1", "20260102T000000Z-2"] {
        std::fs::create_dir_all(runs.join(run)).expect("create a run folder");
    }
    // The older run has a report; `last-run` names it, so it wins over mtime.
    let file = "widget-1a2b3c4d-4242.json";
    std::fs::copy(
        reports().join(file),
        runs.join("20260101T000000Z-1").join(file),
    )
    .expect("copy a report");
    std::fs::write(runs.join("last-run"), "20260101T000000Z-1\n").expect("write last-run");
    let out = Command::new(BIN)
        .arg("report")
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&project)
        .output()
        .expect("run cargo-ffi-guard");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("error[leak]: 2 pointers from widget_new"),
        "{stdout}"
    );
}

/// The whole human report, pinned: run in the folder itself so every path
/// in it is relative and the snapshot holds on any machine.
#[test]
fn human_report_snapshot() {
    let out = report(&["."], &reports());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    insta::assert_snapshot!(stdout);
}

/// The merged JSON document, pinned.
#[test]
fn json_report_snapshot() {
    let out = report(&[".", "--format", "json"], &reports());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    insta::assert_json_snapshot!(doc);
}
