//! `fork` while other threads make guarded calls (SPEC §2): every child
//! gets through the runtime (no lock is left held in it), and each child
//! writes its own report, without the parent's outstanding leaks.

mod child;

use std::ffi::OsString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use child::{child, fresh_dir, is_child, killing_after, reports, text};
use ffi_guard_tests::{widget_free, widget_new};

const FORKS: usize = 1_000;
const THREADS: usize = 4;

const PARENT_LEAK_LINE: u32 = line!() + 3;
/// A widget never released, allocated on the line `PARENT_LEAK_LINE`.
fn parent_leak() {
    let _kept = unsafe { widget_new(c"parent".as_ptr()) };
}

const CHILD_LEAK_LINE: u32 = line!() + 3;
/// A widget never released, allocated on the line `CHILD_LEAK_LINE`.
fn child_leak() {
    let _mine = unsafe { widget_new(c"child".as_ptr()) };
}

#[test]
fn child_forks() {
    if !is_child("child_forks") {
        return;
    }
    // The parent's own leak, outstanding at every fork.
    parent_leak();
    static STOP: AtomicBool = AtomicBool::new(false);
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(|| {
                while !STOP.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        let w = unsafe { widget_new(c"busy".as_ptr()) };
                        unsafe { widget_free(w) };
                    }
                    // Lets the forking thread and its children run on a
                    // machine with fewer cores than threads.
                    std::thread::yield_now();
                }
            })
        })
        .collect();
    for _ in 0..FORKS {
        // SAFETY: the child makes guarded calls and exits through `exit`,
        // which runs the runtime's at-exit report.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            child_leak();
            let w = unsafe { widget_new(c"freed".as_ptr()) };
            unsafe { widget_free(w) };
            // SAFETY: ends the child with its at-exit handlers.
            unsafe { libc::exit(0) };
        }
        let status = reap(pid);
        assert!(
            !(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL),
            "a forked child hung in the runtime"
        );
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "a child ended with status {status:#x}"
        );
    }
    STOP.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("a worker");
    }
    println!("child_forks went on");
}

/// Waits for the child `pid`; a watchdog kills it after 20 s.
fn reap(pid: libc::pid_t) -> libc::c_int {
    killing_after(pid, Duration::from_secs(20), || {
        let mut status = 0;
        // SAFETY: `pid` is our child.
        while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
            let e = std::io::Error::last_os_error();
            assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "waitpid: {e}");
        }
        status
    })
}

#[test]
fn forked_children_exit_and_report_only_their_own_leaks() {
    let dir = fresh_dir("fork");
    let out = child(
        "child_forks",
        &[
            ("FFI_GUARD_MODE", OsString::from("report")),
            ("FFI_GUARD_REPORT_DIR", dir.clone().into()),
            ("FFI_GUARD_SUMMARY", "short".into()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("child_forks went on"));
    let all = reports(&dir);
    assert_eq!(all.len(), FORKS + 1, "one report per process");
    let parent = std::process::id();
    let mut pids = std::collections::BTreeSet::new();
    for r in &all {
        assert!(pids.insert(r["pid"].as_u64()), "two reports of one pid");
        let findings = r["findings"].as_array().expect("findings");
        assert_eq!(findings.len(), 1, "{r}");
        let f = &findings[0];
        assert_eq!(f["kind"], "leak", "{r}");
        assert_eq!(f["count"], 1, "{r}");
        assert!(r["pid"].as_u64() != Some(u64::from(parent)));
        let line = f["site"]["line"].as_u64().expect("a line");
        assert!(
            line == u64::from(CHILD_LEAK_LINE) || line == u64::from(PARENT_LEAK_LINE),
            "{r}"
        );
    }
    let parents = all
        .iter()
        .filter(|r| r["findings"][0]["site"]["line"] == PARENT_LEAK_LINE)
        .count();
    assert_eq!(parents, 1, "only the parent reports the parent's leak");
    let _ = std::fs::remove_dir_all(&dir);
}
