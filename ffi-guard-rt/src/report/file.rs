//! The report files: `<dir>/<program>-<pid>.jsonl`, appended one finding a
//! line as findings are recorded (nothing is lost in a crash), and
//! `<dir>/<program>-<pid>.json`, written whole at exit under a temporary name
//! and then linked into place, so a reader never sees half a file and no
//! other process's file is ever overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use crate::finding::Finding;

/// The `.json` document, exactly as SPEC §3 shows it.
#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    program: &'a str,
    pid: u32,
    findings: &'a [Finding],
}

/// Appends one finding as one line of the `.jsonl` file. Errors are
/// reported once on stderr; the in-memory report still has the finding.
pub(super) fn append_line(dir: &Path, finding: &Finding) {
    static JSONL: Mutex<Option<File>> = Mutex::new(None);
    let mut line = match serde_json::to_vec(finding) {
        Ok(v) => v,
        Err(_) => return,
    };
    line.push(b'\n');
    let mut slot = JSONL.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        let _ = fs::create_dir_all(dir);
        match OpenOptions::new()
            .create(true)
            .append(true)
            .open(jsonl_path(dir))
        {
            Ok(f) => *slot = Some(f),
            Err(e) => {
                warn_once(&format!(
                    "ffi-guard: could not open {}: {e}\n",
                    jsonl_path(dir).display()
                ));
                return;
            }
        }
    }
    if let Some(f) = slot.as_mut() {
        // One write call per line: with O_APPEND the line lands whole.
        let _ = f.write_all(&line);
    }
}

/// Writes the `.json` report; returns its path.
pub(super) fn write_json(dir: &Path, findings: &[Finding]) -> io::Result<PathBuf> {
    let (program, pid) = identity();
    let doc = Document {
        version: 1,
        program,
        pid,
        findings,
    };
    let bytes = serde_json::to_vec(&doc).map_err(io::Error::other)?;
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{program}-{pid}.json.tmp"));
    let mut f = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Left by an earlier process with the same pid that died while
            // writing: the name is ours now.
            fs::remove_file(&tmp)?;
            OpenOptions::new().write(true).create_new(true).open(&tmp)?
        }
        Err(e) => return Err(e),
    };
    f.write_all(&bytes)?;
    f.sync_all()?;
    drop(f);
    let result = link_into_place(dir, &tmp, program, pid);
    let _ = fs::remove_file(&tmp);
    result
}

/// Removes this process's `.jsonl` file (its findings are in the `.json`).
pub(super) fn remove_jsonl(dir: &Path) {
    let _ = fs::remove_file(jsonl_path(dir));
}

/// A hard link never replaces an existing file, unlike a rename: if the name
/// is taken (a pid reused since an earlier run), the next free suffix is used.
fn link_into_place(dir: &Path, tmp: &Path, program: &str, pid: u32) -> io::Result<PathBuf> {
    for n in 0..1000u32 {
        let name = if n == 0 {
            format!("{program}-{pid}.json")
        } else {
            format!("{program}-{pid}.{n}.json")
        };
        let path = dir.join(name);
        match fs::hard_link(tmp, &path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) if !path.exists() => {
                // A file system without hard links: rename, after checking.
                fs::rename(tmp, &path)?;
                return Ok(path);
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "every report name for this program and pid is taken",
    ))
}

fn jsonl_path(dir: &Path) -> PathBuf {
    let (program, pid) = identity();
    dir.join(format!("{program}-{pid}.jsonl"))
}

/// The executable's file stem and the process id.
fn identity() -> (&'static str, u32) {
    static PROGRAM: OnceLock<String> = OnceLock::new();
    // The pid is read each time: a forked child writes its own files.
    let program = PROGRAM.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .or_else(|| {
                std::env::args_os().next().and_then(|a| {
                    Path::new(&a)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
            })
            .unwrap_or_else(|| "program".to_owned())
    });
    (program.as_str(), std::process::id())
}

fn warn_once(msg: &str) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        super::write_stderr(msg.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FindingKind, Site};

    fn finding(message: &str) -> Finding {
        Finding {
            kind: FindingKind::Leak,
            function: "t_new".to_owned(),
            message: message.to_owned(),
            site: Site {
                file: "src/lib.rs".to_owned(),
                line: 1,
                column: 2,
            },
            alloc_site: None,
            free_site: None,
            free_with: None,
            count: 1,
            bytes: None,
            backtrace: None,
        }
    }

    #[test]
    fn a_second_report_never_overwrites_the_first() {
        let dir = std::env::temp_dir().join(format!("ffi-guard-rt-file-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let a = write_json(&dir, &[finding("first")]).expect("first report");
        let b = write_json(&dir, &[finding("second")]).expect("second report");
        assert_ne!(a, b);
        let first: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&a).expect("readable")).expect("whole JSON");
        assert_eq!(first["findings"][0]["message"], "first");
        assert_eq!(first["version"], 1);
        assert_eq!(first["pid"], std::process::id());
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("the folder")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| n.ends_with(".json")), "{names:?}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn jsonl_lines_are_whole_json() {
        let dir = std::env::temp_dir().join(format!("ffi-guard-rt-jsonl-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        append_line(&dir, &finding("a \u{fffd} b"));
        append_line(&dir, &finding("second\nline"));
        let text = fs::read_to_string(jsonl_path(&dir)).expect("the .jsonl");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        for l in lines {
            let f: Finding = serde_json::from_str(l).expect("one finding a line");
            assert_eq!(f.kind, FindingKind::Leak);
        }
        remove_jsonl(&dir);
        assert!(!jsonl_path(&dir).exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
