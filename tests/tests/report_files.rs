//! The report files under stress (SPEC §3): different panics stay different
//! findings, the journal stays bounded, a finding after the report was
//! written is added to it, and a report that cannot be written is said so
//! and fails the process. Each scenario runs in its own child process.

mod child;

use std::ffi::{OsString, c_int};
use std::mem::MaybeUninit;
use std::path::Path;

use child::{child, fresh_dir, is_child, program, reports, text};
use ffi_guard_rt::ffi_guard;
use ffi_guard_tests::{Widget, raw, widget_free};
use serde_json::Value;

fn report_env(dir: &Path) -> [(&'static str, OsString); 2] {
    [
        ("FFI_GUARD_MODE", OsString::from("report")),
        ("FFI_GUARD_REPORT_DIR", dir.into()),
    ]
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("a findings array")
}

/// An `unknown_free` that report mode never forwards to C.
fn unknown_free(fake: &mut MaybeUninit<Widget>) {
    unsafe { widget_free(fake.as_mut_ptr()) };
}

// ---- five different panics in one export ----

#[ffi_guard(on_error = -1)]
extern "C" fn panics_five_ways(x: c_int) -> c_int {
    match x {
        1 => panic!("first"),
        2 => panic!("second: {x}"),
        3 => panic!("third"),
        4 => std::hint::black_box(None::<c_int>).expect("fourth"),
        5 => panic!("fifth"),
        _ => x,
    }
}

#[test]
fn child_five_panics() {
    if !is_child("child_five_panics") {
        return;
    }
    for _ in 0..2 {
        for x in 1..=5 {
            assert_eq!(unsafe { raw::call_plain(panics_five_ways, x) }, -1);
        }
    }
}

#[test]
fn different_panics_in_one_export_are_different_findings() {
    let dir = fresh_dir("panics");
    let out = child("child_five_panics", &report_env(&dir));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = reports(&dir);
    assert_eq!(r.len(), 1);
    let f = findings(&r[0]);
    assert_eq!(f.len(), 5, "{:#}", r[0]);
    for (f, what) in f
        .iter()
        .zip(["first", "second: 2", "third", "fourth", "fifth"])
    {
        assert_eq!(f["kind"], "panic");
        assert_eq!(f["function"], "panics_five_ways");
        assert_eq!(f["count"], 2, "{f:#}");
        let message = f["message"].as_str().unwrap_or_default();
        assert!(message.ends_with(what), "{message}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the journal's bound ----

const OCCURRENCES: u64 = 25_000;

#[test]
fn child_many_occurrences() {
    if !is_child("child_many_occurrences") {
        return;
    }
    let mut fake = MaybeUninit::<Widget>::uninit();
    for _ in 0..OCCURRENCES {
        unknown_free(&mut fake);
    }
    let dir = std::env::var_os("FFI_GUARD_REPORT_DIR").unwrap_or_default();
    let jsonl = Path::new(&dir).join(format!("{}-{}.jsonl", program(), std::process::id()));
    let text = std::fs::read_to_string(&jsonl).unwrap_or_default();
    let counts: Vec<u64> = text
        .lines()
        .map(|l| {
            let f: Value = serde_json::from_str(l).expect("one finding a line");
            f["count"].as_u64().expect("a count")
        })
        .collect();
    println!(
        "journal: {} lines, {} occurrences",
        counts.len(),
        counts.iter().sum::<u64>()
    );
}

#[test]
fn the_journal_writes_a_count_past_10_000_occurrences() {
    let dir = fresh_dir("journal");
    let out = child("child_many_occurrences", &report_env(&dir));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // 10,000 lines one by one, then one line for the next 10,000.
    assert!(
        text(&out.stdout).contains("journal: 10001 lines, 20000 occurrences"),
        "{}",
        text(&out.stdout)
    );
    let r = reports(&dir);
    assert_eq!(findings(&r[0])[0]["count"], OCCURRENCES);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- a finding after the report ----

extern "C" fn late_finding() {
    let mut fake = MaybeUninit::<Widget>::uninit();
    unknown_free(&mut fake);
}

#[test]
fn child_late() {
    if !is_child("child_late") {
        return;
    }
    // Registered before the runtime's own handler, so it runs after it.
    unsafe { libc::atexit(late_finding) };
    let w = unsafe { ffi_guard_tests::widget_new(std::ptr::null()) };
    unsafe { widget_free(w) };
    unsafe { widget_free(w) };
}

#[test]
fn a_finding_after_the_report_was_written_is_added_to_it() {
    let dir = fresh_dir("late");
    let out = child("child_late", &report_env(&dir));
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("recorded after the report was written"),
        "{err}"
    );
    let r = reports(&dir);
    assert_eq!(r.len(), 1, "one report, written again whole");
    let kinds: Vec<&str> = findings(&r[0])
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["double_free", "unknown_free"]);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- a report that cannot be written ----

#[test]
fn child_unwritable() {
    if !is_child("child_unwritable") {
        return;
    }
    if std::env::var_os("LIMIT_FILE_SIZE").is_some() {
        // A full disk: every write fails (EFBIG, and no signal for it).
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &none), 0);
        }
    }
    let mut fake = MaybeUninit::<Widget>::uninit();
    unknown_free(&mut fake);
    println!("child_unwritable went on");
}

fn assert_says_unwritable(out: &std::process::Output, dir: &Path) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(70), "{err}");
    assert!(text(&out.stdout).contains("went on"));
    assert!(
        err.contains("error[unknown_free]"),
        "the findings are printed: {err}"
    );
    assert!(
        err.contains(&format!("FFI_GUARD_REPORT_DIR={}", dir.display())),
        "{err}"
    );
    assert!(err.contains("could not write the report"), "{err}");
}

#[test]
fn a_report_dir_that_is_a_file_fails_the_process_and_says_so() {
    let parent = fresh_dir("is-a-file");
    let file = parent.join("reports");
    std::fs::write(&file, "not a folder").expect("a file");
    let out = child("child_unwritable", &report_env(&file));
    assert_says_unwritable(&out, &file);
    assert_eq!(
        std::fs::read_to_string(&file).ok().as_deref(),
        Some("not a folder")
    );
    let left: Vec<_> = std::fs::read_dir(&parent).expect("the folder").collect();
    assert_eq!(left.len(), 1, "nothing but the file is left: {left:?}");
    let _ = std::fs::remove_dir_all(&parent);
}

#[test]
fn a_full_disk_fails_the_process_and_leaves_nothing_half_written() {
    let dir = fresh_dir("full");
    let mut env = report_env(&dir).to_vec();
    env.push(("LIMIT_FILE_SIZE", "1".into()));
    let out = child("child_unwritable", &env);
    assert_says_unwritable(&out, &dir);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("the folder")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert!(left.is_empty(), "no empty .json.tmp or .jsonl: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
