//! Child processes for tests of what a whole process does (its mode, its
//! exit, its report files): the test binary re-executed with one test
//! selected and `FFI_GUARD_TEST_CHILD` naming it (the child tests do nothing
//! otherwise).

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub const CHILD: &str = "FFI_GUARD_TEST_CHILD";

pub fn is_child(name: &str) -> bool {
    std::env::var_os(CHILD).is_some_and(|v| v == name)
}

/// Runs the child test `name` with `env` on top of an environment without
/// any `FFI_GUARD_*` variable.
pub fn run_child(name: &str, env: &[(&str, OsString)]) -> std::process::Child {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"]);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("FFI_GUARD_") {
            cmd.env_remove(k);
        }
    }
    cmd.env(CHILD, name);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(std::process::Stdio::piped());
    cmd.stderr(std::process::Stdio::piped());
    cmd.spawn().expect("re-executing the test binary")
}

/// A child that runs longer than this is killed: a hang fails its test
/// (with what the child printed) instead of stalling the whole run.
const CHILD_TIMEOUT: Duration = Duration::from_secs(300);

pub fn child(name: &str, env: &[(&str, OsString)]) -> Output {
    let running = run_child(name, env);
    let pid = running.id() as libc::pid_t;
    killing_after(pid, CHILD_TIMEOUT, || {
        running.wait_with_output().expect("the child's output")
    })
}

/// Runs `wait`, which reaps the child `pid`; a watchdog kills the child
/// (`SIGKILL`) should `wait` not be done within `limit`.
pub fn killing_after<T>(pid: libc::pid_t, limit: Duration, wait: impl FnOnce() -> T) -> T {
    let (done, watched) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if watched.recv_timeout(limit).is_err() {
            eprintln!("child process {pid} ran over {limit:?}: killed");
            // SAFETY: `pid` is our child, not yet reaped (`done` not sent).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let out = wait();
    let _ = done.send(());
    watchdog.join().expect("the watchdog");
    out
}

pub fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ffi-guard-{}-{}-{name}",
        program(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a temporary folder");
    d
}

/// The `.json` reports in `dir`, parsed; asserts that no `.jsonl` is left.
pub fn reports(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("the report folder") {
        let p = e.expect("a folder entry").path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(!name.ends_with(".jsonl"), "left behind: {name}");
        assert!(!name.ends_with(".tmp"), "left behind: {name}");
        if name.ends_with(".json") {
            let text = std::fs::read_to_string(&p).expect("a readable report");
            out.push(serde_json::from_str(&text).expect("a whole JSON report"));
        }
    }
    out
}

pub fn kinds(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["kind"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub fn program() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
