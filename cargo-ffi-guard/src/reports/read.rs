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
}

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
    // Stem -> (.json, .jsonl); a BTreeMap keeps the output order stable.
    let mut by_stem: BTreeMap<String, (Option<PathBuf>, Option<PathBuf>)> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(dir_err)? {
        let path = entry.map_err(dir_err)?.path();
        if !path.is_file() {
            continue;
        }
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
                        continue;
                    }
                },
            }
        }
        if let Some(jsonl) = jsonl {
            match read_jsonl(&jsonl, &stem, &mut out.notes) {
                Ok((source, findings)) => out.push(source, findings),
                Err(e) => out.notes.push(format!("skipped {}: {e}", jsonl.display())),
            }
        }
    }
    Ok(out)
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
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let head: ReportHead = serde_json::from_str(&text).map_err(|e| e.to_string())?;
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
    let text = String::from_utf8_lossy(&std::fs::read(path)?).into_owned();
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
