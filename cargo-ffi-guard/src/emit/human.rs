//! Human output, shaped like rustc's: `error[lint]: message`, ` --> file:line:col`,
//! the source line, `help:`, and notes for related places.

use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diag::{self, Diagnostic, Span};
use crate::emit::PackageReport;

/// Render every package's diagnostics and a summary line. `base` is the
/// directory paths are shown relative to (the current directory).
pub fn render(reports: &[PackageReport], base: &Path, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    let (mut errors, mut warnings, mut files) = (0, 0, 0);
    for r in reports {
        files += r.files_linted;
        for d in &r.diagnostics {
            match d.level {
                diag::Level::Deny => errors += 1,
                _ => warnings += 1,
            }
            out.push_str(&renderer.render(&groups(r, d, base)));
            out.push_str("\n\n");
        }
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "ffi-guard: {} in {} ({}): {}, {}\n",
        plural(reports.len(), "package"),
        plural(files, "file"),
        reports
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        plural(errors, "error"),
        plural(warnings, "warning"),
    ));
    out
}

fn groups<'a>(r: &'a PackageReport, d: &'a Diagnostic, base: &Path) -> Vec<Group<'a>> {
    let level = match d.level {
        diag::Level::Deny => Level::ERROR,
        _ => Level::WARNING,
    };
    // Messages quote file names and source text: no control character of
    // theirs reaches the terminal raw.
    let title = level.primary_title(escape_controls(&d.message)).id(d.lint);
    let mut group = Group::with_title(title);
    if let Some(s) = snippet(r, &d.span, base, AnnotationKind::Primary) {
        group = group.element(s);
    }
    if let Some(h) = &d.help {
        group = group.element(Level::HELP.message(escape_controls(h)));
    }
    let mut all = vec![group];
    for rel in &d.related {
        let mut g = Group::with_title(Level::NOTE.secondary_title(escape_controls(&rel.message)));
        if let Some(s) = snippet(r, &rel.span, base, AnnotationKind::Context) {
            g = g.element(s);
        }
        all.push(g);
    }
    all
}

fn snippet<'a>(
    r: &'a PackageReport,
    span: &Span,
    base: &Path,
    kind: AnnotationKind,
) -> Option<Snippet<'a, annotate_snippets::Annotation<'a>>> {
    let text = r.texts.get(&span.file)?;
    let start_line = span.line.max(1);
    let end_line = span.end_line.max(start_line);
    let lines: Vec<&str> = text.lines().collect();
    if start_line > lines.len() {
        return None;
    }
    let end_line = end_line.min(lines.len());
    let source = lines[start_line - 1..end_line].join("\n");
    let start = diag::byte_offset(&source, 1, span.column)?;
    let end = if span.end_line > end_line {
        source.len()
    } else {
        diag::byte_offset(&source, end_line - start_line + 1, span.end_column)
            .unwrap_or(source.len())
    };
    // A zero-width span (where syn stopped) underlines the character there:
    // one character, which may be several bytes (`ü`, `€`, an emoji).
    let end = if end <= start {
        source[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8())
    } else {
        end
    };
    let path = escape_controls(&display_path(&r.root.join(&span.file), base, &span.file));
    Some(
        Snippet::source(source)
            .line_start(start_line)
            .path(path)
            .annotation(kind.span(start..end)),
    )
}

/// A file name as it may be printed to a terminal: control characters (a
/// newline, an escape sequence) are shown escaped, never sent raw.
pub fn escape_controls(name: &str) -> String {
    if !name.chars().any(char::is_control) {
        return name.to_owned();
    }
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().collect()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `path` relative to `base` when it is inside it, else the package-relative path.
fn display_path(path: &Path, base: &Path, fallback: &str) -> String {
    match path.strip_prefix(base) {
        Ok(p) => p.to_string_lossy().replace('\\', "/"),
        Err(_) => {
            if path.is_absolute() {
                path.to_string_lossy().into_owned()
            } else {
                fallback.to_owned()
            }
        }
    }
}
