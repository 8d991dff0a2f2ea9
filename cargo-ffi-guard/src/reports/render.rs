//! The merged report as text for people and as one JSON document for tools.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::format::{FORMAT_VERSION, Finding, Frame, Site};
use super::gate::Gate;
use super::merge::{Group, Merged};
use super::read::Source;

/// Frames shown per backtrace; the JSON document keeps them all.
const MAX_FRAMES: usize = 16;
/// Processes named per group before "and N more".
const MAX_PROGRAMS: usize = 6;

/// One block per group, rustc-like (`error[leak]: ...`, ` --> site`), then
/// one summary line. Kinds that the gate lets pass are `warning`s.
/// Paths and colors are as [`Style`] says; backtraces are cut at the test
/// harness.
pub fn human(merged: &Merged, gate: &Gate, style: &Style) -> String {
    let mut out = String::new();
    for note in &merged.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for source in merged.died() {
        let _ = writeln!(
            out,
            "note: {} exited without writing its whole report (it aborted or was killed); \
             its findings up to then are read from {}",
            describe(source),
            style.file(&source.file.display().to_string())
        );
    }
    if !out.is_empty() {
        out.push('\n');
    }
    for group in &merged.groups {
        render_group(&mut out, group, merged, gate, style);
        out.push('\n');
    }
    out.push_str(&summary(merged));
    out.push('\n');
    out
}

/// The summary line alone, e.g. `ffi-guard: 4 findings in 2 groups (3 leak,
/// 1 double_free) from 3 test processes`.
pub fn summary(merged: &Merged) -> String {
    let processes = plural(
        merged.sources.len() as u64,
        "test process",
        "test processes",
    );
    if merged.sources.is_empty() {
        // The runtime writes a report only when it recorded something.
        return "ffi-guard: no findings".to_owned();
    }
    if merged.groups.is_empty() {
        return format!("ffi-guard: no findings (reports from {processes})");
    }
    let mut by_kind: Vec<(&str, u64)> = Vec::new();
    for g in &merged.groups {
        match by_kind.iter_mut().find(|(k, _)| *k == g.kind()) {
            Some((_, n)) => *n = n.saturating_add(g.count),
            None => by_kind.push((g.kind(), g.count)),
        }
    }
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let mut line = format!(
        "ffi-guard: {} in {} ({}) from {processes}",
        plural(merged.total(), "finding", "findings"),
        plural(merged.groups.len() as u64, "group", "groups"),
        kinds.join(", "),
    );
    let died = merged.died().count();
    if died > 0 {
        let _ = write!(
            line,
            "; {} died before finishing its report",
            plural(died as u64, "process", "processes")
        );
    }
    line
}

/// One JSON document in the shape of a runtime report (SPEC §3), so tools
/// that read one process's `.json` read this too. Choices for the merge:
/// `program` is the string `"merged"` and `pid` is `null`; a `sources` list
/// names every process read (`program`, `pid`, `file`, `complete`); each
/// finding is a group, its `count` and `bytes` summed, its `message` rebuilt
/// for the summed count, with a `programs` list of where it was seen.
pub fn json(merged: &Merged) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        version: u32,
        program: &'static str,
        pid: Option<u32>,
        sources: Vec<SourceJson<'a>>,
        findings: Vec<FindingJson>,
    }
    #[derive(Serialize)]
    struct SourceJson<'a> {
        program: &'a str,
        pid: Option<u32>,
        file: String,
        complete: bool,
    }
    #[derive(Serialize)]
    struct FindingJson {
        #[serde(flatten)]
        finding: Finding,
        programs: Vec<String>,
    }
    let doc = Doc {
        version: FORMAT_VERSION,
        program: "merged",
        pid: None,
        sources: merged
            .sources
            .iter()
            .map(|s| SourceJson {
                program: &s.program,
                pid: s.pid,
                file: s.file.display().to_string(),
                complete: s.complete,
            })
            .collect(),
        findings: merged
            .groups
            .iter()
            .map(|g| FindingJson {
                finding: g.to_finding(),
                programs: programs(g, merged).into_keys().collect(),
            })
            .collect(),
    };
    // Serializing plain strings and numbers cannot fail.
    serde_json::to_string(&doc).unwrap_or_default()
}

/// How the human report looks: where its paths are shown from, so they
/// open from where the command runs, and whether it is colored. Sites are
/// recorded relative to the workspace root of the tested crate (`file!()`),
/// backtrace files absolute.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// The workspace root that relative sites are relative to.
    pub base: Option<PathBuf>,
    /// Paths inside this folder are shown relative to it.
    pub cwd: Option<PathBuf>,
    /// rustc's colors for the level, the kind and the gutter.
    pub color: bool,
}

impl Style {
    /// The style for a run of the crate whose workspace root is `base`,
    /// shown from the current folder (both canonicalized, as backtrace paths
    /// are), colored when stdout is a terminal, as `check`'s output is.
    pub fn from_here(base: Option<&Path>) -> Style {
        Style {
            base: base.and_then(|b| b.canonicalize().ok()),
            cwd: std::env::current_dir()
                .ok()
                .and_then(|c| c.canonicalize().ok()),
            color: std::io::stdout().is_terminal(),
        }
    }

    /// `file` as the reader should see it.
    pub fn file(&self, file: &str) -> String {
        let path = Path::new(file);
        let full = match &self.base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.to_path_buf(),
        };
        match &self.cwd {
            Some(cwd) => match full.strip_prefix(cwd) {
                Ok(rel) => rel.display().to_string(),
                Err(_) if self.base.is_some() => full.display().to_string(),
                Err(_) => file.to_owned(),
            },
            None => file.to_owned(),
        }
    }

    fn site(&self, site: &Site) -> String {
        format!("{}:{}:{}", self.file(&site.file), site.line, site.column)
    }

    /// `text` in an ANSI style (`1;31` bold red, ...) when coloring.
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// The gutter mark (`-->`, `=`) in bold blue, as rustc draws it.
    fn gutter(&self, mark: &str) -> String {
        self.paint("1;34", mark)
    }
}

fn render_group(out: &mut String, g: &Group, merged: &Merged, gate: &Gate, style: &Style) {
    let f = &g.first;
    let (level, code) = if gate.fails(g.kind()) {
        ("error", "1;31")
    } else {
        ("warning", "1;33")
    };
    let _ = writeln!(
        out,
        "{}{}",
        style.paint(code, &format!("{level}[{}]", g.kind())),
        style.paint("1", &format!(": {}", g.headline()))
    );
    let _ = writeln!(out, "  {} {}", style.gutter("-->"), style.site(&f.site));
    let eq = style.gutter("=");
    if f.kind != "leak" {
        let _ = writeln!(out, "   {eq} in: {}", f.function);
    }
    if let Some(site) = &f.alloc_site {
        let _ = writeln!(out, "   {eq} allocated at: {}", style.site(site));
    }
    if let Some(site) = &f.free_site {
        let _ = writeln!(out, "   {eq} released at: {}", style.site(site));
    }
    if let Some(free_with) = &f.free_with {
        let _ = writeln!(out, "   {eq} release with: {free_with}");
    }
    let _ = match g.bytes {
        Some(bytes) => writeln!(out, "   {eq} count: {} ({bytes} bytes)", g.count),
        None => writeln!(out, "   {eq} count: {}", g.count),
    };
    if let Some(frames) = f.backtrace.as_deref().filter(|b| !b.is_empty()) {
        let shown = user_frames(frames);
        let _ = writeln!(out, "   {eq} backtrace:");
        for (i, frame) in shown.iter().take(MAX_FRAMES).enumerate() {
            let file = frame.file.as_deref().map(|file| style.file(file));
            let _ = match (file, frame.line) {
                (Some(file), Some(line)) => {
                    writeln!(out, "       {i:>2}: {} at {file}:{line}", frame.function)
                }
                (Some(file), None) => writeln!(out, "       {i:>2}: {} at {file}", frame.function),
                _ => writeln!(out, "       {i:>2}: {}", frame.function),
            };
        }
        let hidden = frames.len() - shown.len().min(MAX_FRAMES);
        if hidden > 0 {
            let _ = writeln!(
                out,
                "           ... {hidden} more frames (the test harness and below)"
            );
        }
    }
    let _ = writeln!(out, "   {eq} from: {}", from(g, merged));
}

/// The processes a group was seen in, e.g. `planted (pid 12), widget (3
/// processes)`, at most [`MAX_PROGRAMS`] named.
pub(crate) fn from(g: &Group, merged: &Merged) -> String {
    let names: Vec<String> = programs(g, merged)
        .into_iter()
        .map(|(program, sources)| match sources.as_slice() {
            [one] => describe(one),
            many => format!("{program} ({} processes)", many.len()),
        })
        .collect();
    let mut from = names
        .iter()
        .take(MAX_PROGRAMS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX_PROGRAMS {
        let _ = write!(from, " and {} more", names.len() - MAX_PROGRAMS);
    }
    from
}

/// The frames down to the test harness's entry (`__rust_begin_short_backtrace`,
/// the marker std's own short backtraces stop at), without the standard
/// library's call shims just above it.
pub(crate) fn user_frames(frames: &[Frame]) -> &[Frame] {
    let Some(marker) = frames
        .iter()
        .position(|f| f.function.contains("__rust_begin_short_backtrace"))
    else {
        return frames;
    };
    let mut end = marker;
    while end > 0
        && frames[end - 1]
            .file
            .as_deref()
            .is_some_and(|file| file.starts_with("/rustc/"))
    {
        end -= 1;
    }
    &frames[..end]
}

/// The group's processes by program name.
fn programs<'a>(g: &Group, merged: &'a Merged) -> BTreeMap<String, Vec<&'a Source>> {
    let mut by_program: BTreeMap<String, Vec<&Source>> = BTreeMap::new();
    for s in g.sources.iter().filter_map(|&i| merged.sources.get(i)) {
        by_program.entry(s.program.clone()).or_default().push(s);
    }
    by_program
}

pub(crate) fn describe(s: &Source) -> String {
    let died = if s.complete { "" } else { ", died" };
    match s.pid {
        Some(pid) => format!("{} (pid {pid}{died})", s.program),
        None if s.complete => s.program.clone(),
        None => format!("{} (died)", s.program),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
