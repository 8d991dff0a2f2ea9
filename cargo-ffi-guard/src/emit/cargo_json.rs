//! `--message-format json`: cargo's own message stream, so that what reads
//! `cargo check --message-format=json` (rust-analyzer's
//! `check.overrideCommand`, `cargo_metadata::Message`) reads ffi-guard too.
//!
//! One `compiler-message` line per diagnostic, the message in rustc's
//! diagnostic JSON: `code` is the lint, `level` `error` or `warning`, the
//! primary span first (`is_primary`), the help as a `help` child (carrying
//! the `--fix` edit as a machine-applicable suggestion), each related place
//! as a `note` child with its span, and `rendered` as rustc would print it.
//! File names are relative to the workspace root, as rustc run by cargo
//! names them. [`build_finished`] closes the stream.

use serde::Serialize;

use crate::diag::{self, Diagnostic, Edit, Level, Span};
use crate::emit::PackageReport;

/// Every diagnostic of `reports` as cargo's `compiler-message` lines.
pub fn render(reports: &[PackageReport]) -> String {
    let mut out = String::new();
    for r in reports {
        for d in &r.diagnostics {
            let line = CompilerMessage {
                reason: "compiler-message",
                package_id: &r.id,
                manifest_path: r.manifest_path.to_string_lossy().into_owned(),
                target: target(r, &d.span.file),
                message: message(r, d),
            };
            out.push_str(&serde_json::to_string(&line).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

/// cargo's last line: `{"reason":"build-finished","success":..}`.
pub fn build_finished(success: bool) -> String {
    format!("{{\"reason\":\"build-finished\",\"success\":{success}}}\n")
}

#[derive(Serialize)]
struct CompilerMessage<'a> {
    reason: &'static str,
    package_id: &'a str,
    manifest_path: String,
    target: Target,
    message: Message,
}

/// A cargo target as its messages describe it.
#[derive(Serialize)]
struct Target {
    kind: Vec<String>,
    crate_types: Vec<String>,
    name: String,
    src_path: String,
    doctest: bool,
    test: bool,
}

/// rustc's diagnostic JSON (`rustc --error-format=json`).
#[derive(Serialize)]
struct Message {
    #[serde(rename = "$message_type")]
    message_type: &'static str,
    message: String,
    code: Option<Code>,
    level: &'static str,
    spans: Vec<JsonSpan>,
    children: Vec<Message>,
    rendered: Option<String>,
}

#[derive(Serialize)]
struct Code {
    code: String,
    explanation: Option<String>,
}

#[derive(Serialize)]
struct JsonSpan {
    file_name: String,
    byte_start: usize,
    byte_end: usize,
    line_start: usize,
    line_end: usize,
    column_start: usize,
    column_end: usize,
    is_primary: bool,
    text: Vec<SpanLine>,
    label: Option<String>,
    suggested_replacement: Option<String>,
    suggestion_applicability: Option<&'static str>,
    expansion: Option<()>,
}

#[derive(Serialize)]
struct SpanLine {
    text: String,
    highlight_start: usize,
    highlight_end: usize,
}

/// The target whose module tree holds `file` (the first target when the
/// file is not in any, which happens for a related place in another crate).
fn target(r: &PackageReport, file: &str) -> Target {
    let t = r
        .file_targets
        .get(file)
        .and_then(|&i| r.targets.get(i))
        .or_else(|| r.targets.first());
    let (kind, name, src_path) = match t {
        Some(t) => (
            t.kind.clone(),
            t.name.clone(),
            t.src_path.to_string_lossy().into_owned(),
        ),
        None => ("lib".to_owned(), r.name.clone(), String::new()),
    };
    let crate_type = match kind.as_str() {
        "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" => kind.clone(),
        _ => "bin".to_owned(),
    };
    Target {
        doctest: crate_type != "bin",
        test: true,
        kind: vec![kind],
        crate_types: vec![crate_type],
        name,
        src_path,
    }
}

fn message(r: &PackageReport, d: &Diagnostic) -> Message {
    let level = match d.level {
        Level::Deny => "error",
        _ => "warning",
    };
    let mut children = Vec::new();
    if let Some(help) = &d.help {
        children.push(child("help", help, suggestions(r, &d.fix)));
    }
    for rel in &d.related {
        let span = json_span(r, &rel.span, true, None);
        children.push(child("note", &rel.message, span.into_iter().collect()));
    }
    Message {
        message_type: "diagnostic",
        message: d.message.clone(),
        code: Some(Code {
            code: d.lint.to_owned(),
            explanation: None,
        }),
        level,
        spans: json_span(r, &d.span, true, None).into_iter().collect(),
        children,
        rendered: Some(rendered(r, d, level)),
    }
}

fn child(level: &'static str, text: &str, spans: Vec<JsonSpan>) -> Message {
    Message {
        message_type: "diagnostic",
        message: text.to_owned(),
        code: None,
        level,
        spans,
        children: Vec::new(),
        rendered: None,
    }
}

/// The `--fix` edits as rustc's suggestions (a span with a replacement).
fn suggestions(r: &PackageReport, fix: &[Edit]) -> Vec<JsonSpan> {
    fix.iter()
        .filter_map(|e| {
            let text = r.texts.get(&e.file)?;
            let (line_start, column_start) = line_col(text, e.start)?;
            let (line_end, column_end) = line_col(text, e.end)?;
            let span = Span {
                file: e.file.clone(),
                line: line_start,
                column: column_start,
                end_line: line_end,
                end_column: column_end,
            };
            json_span(r, &span, true, Some(e.text.clone()))
        })
        .collect()
}

/// 1-based line and char column of byte `at` of `text`.
fn line_col(text: &str, at: usize) -> Option<(usize, usize)> {
    let before = text.get(..at)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Some((line, before[line_start..].chars().count() + 1))
}

fn json_span(
    r: &PackageReport,
    span: &Span,
    is_primary: bool,
    replacement: Option<String>,
) -> Option<JsonSpan> {
    let text = r.texts.get(&span.file).map_or("", String::as_str);
    let byte_start = diag::byte_offset(text, span.line.max(1), span.column).unwrap_or(0);
    let byte_end = diag::byte_offset(text, span.end_line.max(1), span.end_column)
        .unwrap_or(byte_start)
        .max(byte_start);
    let lines: Vec<&str> = text.lines().collect();
    let first = span.line.max(1);
    let last = span.end_line.max(first);
    let shown = (first..=last)
        .filter_map(|n| {
            let line = *lines.get(n - 1)?;
            let start = if n == first { span.column } else { 1 };
            let end = if n == last {
                span.end_column
            } else {
                line.chars().count() + 1
            };
            Some(SpanLine {
                text: line.to_owned(),
                highlight_start: start,
                highlight_end: end.max(start),
            })
        })
        .collect();
    Some(JsonSpan {
        file_name: workspace_relative(r, &span.file),
        byte_start,
        byte_end,
        line_start: first,
        line_end: last,
        column_start: span.column.max(1),
        column_end: span.end_column.max(1),
        is_primary,
        text: shown,
        label: None,
        suggestion_applicability: replacement.as_ref().map(|_| "MachineApplicable"),
        suggested_replacement: replacement,
        expansion: None,
    })
}

/// `file` (relative to the package root) relative to the workspace root.
fn workspace_relative(r: &PackageReport, file: &str) -> String {
    let full = r.root.join(file);
    match full.strip_prefix(&r.workspace_root) {
        Ok(p) if !p.as_os_str().is_empty() => p.to_string_lossy().into_owned(),
        _ => full.to_string_lossy().into_owned(),
    }
}

/// The diagnostic as rustc prints it (without colors).
fn rendered(r: &PackageReport, d: &Diagnostic, level: &str) -> String {
    let mut out = format!("{level}[{}]: {}\n", d.lint, d.message);
    let place = |out: &mut String, span: &Span, note: Option<&str>| {
        let gutter = " ".repeat(span.line.to_string().len());
        if let Some(note) = note {
            out.push_str(&format!("{gutter}= note: {note}\n"));
        }
        out.push_str(&format!(
            "{gutter}--> {}:{}:{}\n",
            workspace_relative(r, &span.file),
            span.line,
            span.column
        ));
        let line = r
            .texts
            .get(&span.file)
            .and_then(|t| t.lines().nth(span.line.saturating_sub(1)));
        if let Some(line) = line {
            let width = if span.end_line == span.line {
                span.end_column.saturating_sub(span.column).max(1)
            } else {
                line.chars().count().saturating_sub(span.column - 1).max(1)
            };
            out.push_str(&format!("{gutter} |\n{} | {line}\n", span.line));
            out.push_str(&format!(
                "{gutter} | {}{}\n",
                " ".repeat(span.column.saturating_sub(1)),
                "^".repeat(width)
            ));
        }
    };
    place(&mut out, &d.span, None);
    if let Some(help) = &d.help {
        out.push_str(&format!("  = help: {help}\n"));
    }
    for rel in &d.related {
        place(&mut out, &rel.span, Some(&rel.message));
    }
    out.push('\n');
    out
}
