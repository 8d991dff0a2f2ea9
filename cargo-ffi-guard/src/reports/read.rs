//! Reading a folder of report files: whole `.json` reports, and the `.jsonl`
//! journals that processes which died before exiting left behind.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::format::{FORMAT_VERSION, Finding, ReportHead};

/// Everything found in one folder, in file-name order.
#[derive(Debug, Default)]
pub struct Collected {
    pub sources: Vec<Source>,
    pub findings: Vec<Sourced>,
    /// Things the reader had to skip or guess, one sentence each.
    pub notes: Vec<String>,
}

/// One test process that left a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub program: String,
    pub pid: Option<u32>,
    /// The file the findings were read from.
    pub file: PathBuf,
    /// `false` when only the `.jsonl` journal was there: the process died
    /// (abort, signal) before it could write its whole report.
    pub complete: bool,
}

/// A finding and the index in [`Collected::sources`] of the process it came from.
#[derive(Debug, Clone)]
pub struct Sourced {
    pub source: usize,
    pub finding: Finding,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the report folder {}: {source}", path.display())]
    Dir { path: PathBuf, source: io::Error },
    /// Report files were there, and not one could be read: that is no
    /// "no findings" (SPEC §4, exit status 2).
    #[error("no report in {} could be read:{}", path.display(), list(files))]
    Unreadable {
        path: PathBuf,
        files: Vec<(PathBuf, String)>,
    },
}

fn list(files: &[(PathBuf, String)]) -> String {
    files
        .iter()
        .map(|(f, why)| format!("\n  {}: {why}", f.display()))
        .collect()
}

/// The most a report file may hold: a `.json` over it is not read (a sparse
/// or runaway file must not take the reader's memory), a `.jsonl` is read up
/// to it. The runtime's own files stay far below it (its journal writes
/// counts past 10,000 occurrences of a group).
pub const MAX_REPORT_BYTES: u64 = 64 << 20;

/// Reads every `<program>-<pid>.json` and `.jsonl` directly in `dir`.
///
/// A `.json` that parses is the whole truth for its process; its `.jsonl`,
/// if still there, is ignored (the process died between writing one and
/// removing the other). A `.jsonl` alone, or beside a `.json` that does not
/// parse, is read line by line, and a cut-short last line is dropped.
pub fn read_dir(dir: &Path) -> Result<Collected, ReadError> {
    let dir_err = |source| ReadError::Dir {
        path: dir.to_path_buf(),
        source,
    };
    let mut unreadable: Vec<(PathBuf, String)> = Vec::new();
    // Stem -> (.json, .jsonl); a BTreeMap keeps the output order stable.
    let mut by_stem: BTreeMap<String, (Option<PathBuf>, Option<PathBuf>)> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(dir_err)? {
        let path = entry.map_err(dir_err)?.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let slot = match ext {
            "json" => 0,
            "jsonl" => 1,
            _ => continue,
        };
        if !path.is_file() {
            // A folder, a FIFO, a device: never opened, never waited on.
            if path.exists() {
                unreadable.push((path, "not a regular file".to_owned()));
            }
            continue;
        }
        let pair = by_stem.entry(stem.to_owned()).or_default();
        if slot == 0 {
            pair.0 = Some(path);
        } else {
            pair.1 = Some(path);
        }
    }

    let mut out = Collected::default();
    for (stem, (json, jsonl)) in by_stem {
        if let Some(json) = json {
            match read_json(&json, &stem, &mut out.notes) {
                Ok((source, findings)) => {
                    out.push(source, findings);
                    continue;
                }
                Err(why) => match &jsonl {
                    Some(_) => out.notes.push(format!(
                        "{} is not a whole report ({why}); reading its .jsonl journal instead",
                        json.display()
                    )),
                    None => {
                        out.notes.push(format!("skipped {}: {why}", json.display()));
                        unreadable.push((json, why));
                        continue;
                    }
                },
            }
        }
        if let Some(jsonl) = jsonl {
            match read_jsonl(&jsonl, &stem, &mut out.notes) {
                Ok((source, findings)) => out.push(source, findings),
                Err(e) => {
                    out.notes.push(format!("skipped {}: {e}", jsonl.display()));
                    unreadable.push((jsonl, e.to_string()));
                }
            }
        }
    }
    if out.sources.is_empty() && !unreadable.is_empty() {
        return Err(ReadError::Unreadable {
            path: dir.to_path_buf(),
            files: unreadable,
        });
    }
    for (f, why) in unreadable
        .iter()
        .filter(|(_, why)| why == "not a regular file")
    {
        out.notes.push(format!("skipped {}: {why}", f.display()));
    }
    Ok(out)
}

/// The bytes of `path`, at most [`MAX_REPORT_BYTES`]; `true` when the file
/// holds more. Reads through one open file, so a file that grows meanwhile
/// is still cut at the bound.
fn read_bounded(path: &Path) -> io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_REPORT_BYTES + 1).read_to_end(&mut bytes)?;
    let more = bytes.len() as u64 > MAX_REPORT_BYTES;
    bytes.truncate(MAX_REPORT_BYTES as usize);
    Ok((bytes, more))
}

fn too_big(path: &Path) -> String {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    format!(
        "{size} bytes, over the {} MiB a report may hold; not read",
        MAX_REPORT_BYTES >> 20
    )
}

/// `widget-1a2b3c-4242` -> (`widget-1a2b3c`, 4242). A stem without a numeric
/// last part is all program.
pub fn split_stem(stem: &str) -> (String, Option<u32>) {
    match stem.rsplit_once('-') {
        Some((program, pid)) if !program.is_empty() => match pid.parse() {
            Ok(pid) => (program.to_owned(), Some(pid)),
            Err(_) => (stem.to_owned(), None),
        },
        _ => (stem.to_owned(), None),
    }
}

impl Collected {
    fn push(&mut self, source: Source, findings: Vec<Finding>) {
        let index = self.sources.len();
        self.sources.push(source);
        self.findings
            .extend(findings.into_iter().map(|finding| Sourced {
                source: index,
                finding,
            }));
    }
}

fn read_json(
    path: &Path,
    stem: &str,
    notes: &mut Vec<String>,
) -> Result<(Source, Vec<Finding>), String> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_REPORT_BYTES) {
        return Err(too_big(path));
    }
    let (bytes, more) = read_bounded(path).map_err(|e| e.to_string())?;
    if more {
        return Err(too_big(path));
    }
    let head: ReportHead = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if let Some(v) = head.version.filter(|&v| v > FORMAT_VERSION) {
        notes.push(format!(
            "{} has report format version {v}, newer than {FORMAT_VERSION}: reading the fields this version knows",
            path.display()
        ));
    }
    let (file_program, file_pid) = split_stem(stem);
    let program = match head.program {
        Some(serde_json::Value::String(p)) => p,
        _ => file_program,
    };
    let mut findings = Vec::with_capacity(head.findings.len());
    for (i, raw) in head.findings.into_iter().enumerate() {
        match serde_json::from_value::<Finding>(raw) {
            Ok(f) => findings.push(f),
            Err(e) => notes.push(format!(
                "skipped finding #{} of {}: {e}",
                i + 1,
                path.display()
            )),
        }
    }
    let source = Source {
        program,
        pid: head.pid.or(file_pid),
        file: path.to_path_buf(),
        complete: true,
    };
    Ok((source, findings))
}

fn read_jsonl(
    path: &Path,
    stem: &str,
    notes: &mut Vec<String>,
) -> io::Result<(Source, Vec<Finding>)> {
    // Lossy: a process killed mid-write can cut a multi-byte character.
    let (bytes, more) = read_bounded(path)?;
    if more {
        notes.push(format!(
            "{}: read its first {} MiB only ({})",
            path.display(),
            MAX_REPORT_BYTES >> 20,
            too_big(path)
        ));
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let ends_whole = text.ends_with('\n');
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len() - 1;
    let mut findings = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Finding>(line) {
            Ok(f) => findings.push(f),
            // The line the process was writing when it died.
            Err(_) if i == last && !ends_whole => notes.push(format!(
                "{}: dropped its last line, cut short when the process died",
                path.display()
            )),
            Err(e) => notes.push(format!(
                "{}:{}: skipped a line that is not a finding: {e}",
                path.display(),
                i + 1
            )),
        }
    }
    let (program, pid) = split_stem(stem);
    let source = Source {
        program,
        pid,
        file: path.to_path_buf(),
        complete: false,
    };
    Ok((source, findings))
}
