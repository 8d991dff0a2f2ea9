//! `FFI_GUARD_MODE` end to end, and the report files. Each mode runs in a
//! child process (see `child/`).

mod child;

use std::ffi::OsString;
use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::ptr;

use child::{child, fresh_dir, is_child, kinds, program, reports, run_child, text};

use ffi_guard_rt::__private::set_mode_for_tests;
use ffi_guard_rt::{Checkpoint, FindingKind, Mode};
use ffi_guard_tests::{Widget, widget_free, widget_free_count, widget_id, widget_new};
use serde_json::Value;

// ---- panic ----

const PANIC_LINE: u32 = line!() + 6;
#[test]
fn child_panic() {
    if !is_child("child_panic") {
        return;
    }
    let _ = unsafe { widget_id(ptr::null()) };
}

#[test]
fn panic_mode_panics_at_the_callers_line_before_c() {
    let out = child("child_panic", &[("FFI_GUARD_MODE", "panic".into())]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    let at = format!("panicked at tests/tests/modes.rs:{PANIC_LINE}:");
    assert!(err.contains(&at), "no `{at}` in:\n{err}");
    assert!(
        err.contains("null_pointer") && err.contains("widget_id"),
        "{err}"
    );
}

// ---- report ----

#[test]
fn child_report() {
    if !is_child("child_report") {
        return;
    }
    let w = unsafe { widget_new(ptr::null()) };
    unsafe { widget_free(w) };
    let count = unsafe { widget_free_count() };
    unsafe { widget_free(w) };
    let mut fake = MaybeUninit::<Widget>::uninit();
    unsafe { widget_free(fake.as_mut_ptr()) };
    // Neither release reached C: freeing them would corrupt the heap.
    assert_eq!(unsafe { widget_free_count() }, count);
    // Both findings are already on disk, one line each, before exit.
    let dir = PathBuf::from(std::env::var_os("FFI_GUARD_REPORT_DIR").unwrap_or_default());
    let jsonl = dir.join(format!("{}-{}.jsonl", program(), std::process::id()));
    let lines = std::fs::read_to_string(&jsonl).unwrap_or_default();
    assert_eq!(lines.lines().count(), 2, "{}: {lines}", jsonl.display());
    for l in lines.lines() {
        let _: Value = serde_json::from_str(l).expect("one finding a line");
    }
    println!("child_report went on");
}

#[test]
fn report_mode_goes_on_and_never_forwards_a_bad_release() {
    let dir = fresh_dir("report");
    let out = child(
        "child_report",
        &[
            ("FFI_GUARD_MODE", "report".into()),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("child_report went on"));
    let r = reports(&dir);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["version"], 1);
    assert_eq!(r[0]["program"], program());
    assert_eq!(kinds(&r[0]), ["double_free", "unknown_free"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_mode_in_process_release_not_forwarded() {
    set_mode_for_tests(Some(Mode::Report));
    let cp = Checkpoint::now();
    let w = unsafe { widget_new(ptr::null()) };
    unsafe { widget_free(w) };
    let count = unsafe { widget_free_count() };
    let line = line!() + 1;
    unsafe { widget_free(w) };
    assert_eq!(unsafe { widget_free_count() }, count, "C's free ran twice");
    let found = cp.findings();
    set_mode_for_tests(None);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, FindingKind::DoubleFree);
    assert_eq!(found[0].site.line, line);
}

// ---- abort ----

#[test]
fn child_abort() {
    if !is_child("child_abort") {
        return;
    }
    let w = unsafe { widget_new(ptr::null()) };
    unsafe { widget_free(w) };
    unsafe { widget_free(w) };
    println!("child_abort went on");
}

#[test]
fn abort_mode_writes_the_report_and_aborts() {
    use std::os::unix::process::ExitStatusExt;
    let dir = fresh_dir("abort");
    let out = child(
        "child_abort",
        &[
            ("FFI_GUARD_MODE", "abort".into()),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
        ],
    );
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains("went on"));
    let r = reports(&dir);
    assert_eq!(r.len(), 1);
    assert_eq!(kinds(&r[0]), ["double_free"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn child_abort_leak() {
    if !is_child("child_abort_leak") {
        return;
    }
    let _leaked = unsafe { widget_new(c"kept".as_ptr()) };
    println!("child_abort_leak went on");
}

/// A leak is a finding too: abort mode writes the report at exit, then
/// aborts, so a run in abort mode fails on any finding.
#[test]
fn abort_mode_aborts_at_exit_on_a_leak() {
    use std::os::unix::process::ExitStatusExt;
    let dir = fresh_dir("abort-leak");
    let out = child(
        "child_abort_leak",
        &[
            ("FFI_GUARD_MODE", "abort".into()),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
        ],
    );
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "{}",
        text(&out.stderr)
    );
    // The leak is known only at exit: the program ran to its end.
    assert!(text(&out.stdout).contains("child_abort_leak went on"));
    assert!(text(&out.stderr).contains("error[leak]"));
    let r = reports(&dir);
    assert_eq!(r.len(), 1);
    assert_eq!(kinds(&r[0]), ["leak"]);
    assert_eq!(r[0]["findings"][0]["function"], "widget_new");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn child_abort_clean() {
    if !is_child("child_abort_clean") {
        return;
    }
    let w = unsafe { widget_new(c"freed".as_ptr()) };
    unsafe { widget_free(w) };
}

/// Abort mode without a finding exits as usual, and writes no report.
#[test]
fn abort_mode_without_findings_exits_normally() {
    let dir = fresh_dir("abort-clean");
    let out = child(
        "child_abort_clean",
        &[
            ("FFI_GUARD_MODE", "abort".into()),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(reports(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- process::exit ----

const EXIT_LINE: u32 = line!() + 6;
#[test]
fn child_exit() {
    if !is_child("child_exit") {
        return;
    }
    let _leaked = unsafe { widget_new(c"kept".as_ptr()) };
    std::process::exit(3);
}

#[test]
fn report_after_process_exit() {
    let dir = fresh_dir("exit");
    let out = child(
        "child_exit",
        &[
            ("FFI_GUARD_MODE", "report".into()),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("error[leak]"), "{err}");
    let r = reports(&dir);
    assert_eq!(r.len(), 1);
    let f = &r[0]["findings"][0];
    assert_eq!(f["kind"], "leak");
    assert_eq!(f["function"], "widget_new");
    assert_eq!(f["free_with"], "widget_free");
    assert_eq!(f["count"], 1);
    assert_eq!(f["site"]["line"], EXIT_LINE);
    assert_eq!(
        f["message"],
        "1 pointer from widget_new never released with widget_free"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- two processes, one folder ----

#[test]
fn two_processes_write_whole_reports_into_one_folder() {
    let dir = fresh_dir("two");
    let env = [
        ("FFI_GUARD_MODE", OsString::from("report")),
        ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
    ];
    let a = run_child("child_report", &env);
    let b = run_child("child_report", &env);
    let pids = [a.id(), b.id()];
    for c in [a, b] {
        let out = c.wait_with_output().expect("a child");
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let r = reports(&dir);
    assert_eq!(r.len(), 2);
    let mut seen: Vec<u64> = r.iter().map(|x| x["pid"].as_u64().unwrap_or(0)).collect();
    seen.sort();
    let mut want: Vec<u64> = pids.iter().map(|&p| u64::from(p)).collect();
    want.sort();
    assert_eq!(seen, want);
    for x in &r {
        assert_eq!(kinds(x), ["double_free", "unknown_free"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- a mode that does not exist ----

#[test]
fn child_bad_mode() {
    if !is_child("child_bad_mode") {
        return;
    }
    let r = std::panic::catch_unwind(|| unsafe { widget_id(ptr::null()) });
    assert!(r.is_err(), "the default, panic, applies");
}

#[test]
fn unknown_mode_names_the_valid_ones_and_uses_the_default() {
    let out = child("child_bad_mode", &[("FFI_GUARD_MODE", "loud".into())]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("FFI_GUARD_MODE=\"loud\""), "{err}");
    assert!(err.contains("panic, report, abort"), "{err}");
}

// ---- FFI_GUARD_BACKTRACE ----

#[test]
fn child_backtrace() {
    if !is_child("child_backtrace") {
        return;
    }
    let w = unsafe { widget_new(ptr::null()) };
    unsafe { widget_free(w) };
    unsafe { widget_free(w) };
}

#[test]
fn backtrace_on_every_finding_when_asked() {
    let dir = fresh_dir("backtrace");
    let out = child(
        "child_backtrace",
        &[
            ("FFI_GUARD_MODE", "report".into()),
            ("FFI_GUARD_BACKTRACE", "1".into()),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = reports(&dir);
    let f = &r[0]["findings"][0];
    assert_eq!(f["kind"], "double_free");
    let frames = f["backtrace"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = frames
        .iter()
        .filter_map(|fr| fr["function"].as_str())
        .collect();
    // Trimmed: the guarded function, then its caller; none of the runtime's.
    assert!(names.len() >= 2, "{names:#?}");
    assert!(names[0].ends_with("widget_free"), "{names:#?}");
    assert!(names[1].contains("child_backtrace"), "{names:#?}");
    assert!(
        !names.iter().any(|n| n.contains("ffi_guard_rt")),
        "{names:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- FFI_GUARD_SUMMARY=short ----

#[test]
fn short_summary_is_one_line_naming_the_report() {
    let dir = fresh_dir("short");
    let out = child(
        "child_report",
        &[
            ("FFI_GUARD_MODE", "report".into()),
            ("FFI_GUARD_SUMMARY", "short".into()),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
        ],
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("error["), "{err}");
    assert!(
        err.contains("ffi-guard: 2 findings (2 occurrences), report in "),
        "{err}"
    );
    assert_eq!(reports(&dir).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
