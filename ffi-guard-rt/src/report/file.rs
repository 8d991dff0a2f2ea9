//! The report files: `<dir>/<program>-<pid>.jsonl`, appended one finding a
//! line as findings are recorded (nothing is lost in a crash), and
//! `<dir>/<program>-<pid>.json`, written whole at exit under a temporary name
//! and then linked into place, so a reader never sees half a file and no
//! other process's file is ever overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use ffi_guard_report::{Document, FORMAT_VERSION};

use crate::finding::Finding;

/// The open `.jsonl` file of this process, once a finding was journaled.
static JSONL: Mutex<Option<File>> = Mutex::new(None);

/// The journal's lock (also held across `fork`).
pub(super) fn journal() -> MutexGuard<'static, Option<File>> {
    JSONL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Appends one finding as one line of the `.jsonl` file. Errors are
/// reported once on stderr; the in-memory report still has the finding.
pub(super) fn append_line(dir: &Path, finding: &Finding) {
    let mut line = match serde_json::to_vec(finding) {
        Ok(v) => v,
        Err(_) => return,
    };
    line.push(b'\n');
    let mut slot = journal();
    if slot.is_none() {
        let path = jsonl_path(dir);
        match fs::create_dir_all(dir)
            .and_then(|()| OpenOptions::new().create(true).append(true).open(&path))
        {
            Ok(f) => *slot = Some(f),
            Err(e) => {
                warn_once(&format!(
                    "ffi-guard: could not open the journal {}: {e} (FFI_GUARD_REPORT_DIR={}); the findings are kept for the report at exit\n",
                    path.display(),
                    dir.display()
                ));
                return;
            }
        }
    }
    if let Some(f) = slot.as_mut() {
        // One write call per line: with O_APPEND the line lands whole.
        if let Err(e) = f.write_all(&line) {
            warn_once(&format!(
                "ffi-guard: could not append to the journal {}: {e} (FFI_GUARD_REPORT_DIR={}); the findings are kept for the report at exit\n",
                jsonl_path(dir).display(),
                dir.display()
            ));
        }
    }
}

/// Writes the `.json` report; returns its path. `previous` is the path of
/// this process's report when one was written already (a finding came after
/// it): that file is replaced whole, never another process's. On an error
/// nothing is left behind: no temporary file, no half report.
pub(super) fn write_json(
    dir: &Path,
    findings: &[Finding],
    previous: Option<&Path>,
) -> io::Result<PathBuf> {
    let (program, pid) = identity();
    let doc = Document {
        version: FORMAT_VERSION,
        program,
        pid,
        findings,
    };
    let bytes = serde_json::to_vec(&doc).map_err(io::Error::other)?;
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{program}-{pid}.json.tmp"));
    let result = write_tmp(&tmp, &bytes).and_then(|()| match previous {
        Some(path) => fs::rename(&tmp, path).map(|()| path.to_path_buf()),
        None => link_into_place(dir, &tmp, program, pid),
    });
    let _ = fs::remove_file(&tmp);
    result
}

/// Creates `tmp` new and writes `bytes` into it, durably.
fn write_tmp(tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = match OpenOptions::new().write(true).create_new(true).open(tmp) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Left by an earlier process with the same pid that died while
            // writing: the name is ours now.
            fs::remove_file(tmp)?;
            OpenOptions::new().write(true).create_new(true).open(tmp)?
        }
        Err(e) => return Err(e),
    };
    f.write_all(bytes)?;
    f.sync_all()
}

/// Removes this process's `.jsonl` file (its findings are in the `.json`).
pub(super) fn remove_jsonl(dir: &Path) {
    let _ = fs::remove_file(jsonl_path(dir));
}

/// Removes this process's `.jsonl` file if it holds nothing (it was
/// created, but no line could be written into it).
pub(super) fn remove_empty_jsonl(dir: &Path) {
    let path = jsonl_path(dir);
    if fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
        let _ = fs::remove_file(path);
    }
}

/// Where the `.json` report of this process would go (for messages).
pub(super) fn json_path(dir: &Path) -> PathBuf {
    let (program, pid) = identity();
    dir.join(format!("{program}-{pid}.json"))
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
pub(super) fn identity() -> (&'static str, u32) {
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
        let site = Site {
            file: "src/lib.rs".to_owned(),
            line: 1,
            column: 2,
        };
        Finding::new(FindingKind::Leak, "t_new", message, site)
    }

    #[test]
    fn a_second_report_never_overwrites_the_first() {
        let dir = std::env::temp_dir().join(format!("ffi-guard-rt-file-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let a = write_json(&dir, &[finding("first")], None).expect("first report");
        let b = write_json(&dir, &[finding("second")], None).expect("second report");
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
