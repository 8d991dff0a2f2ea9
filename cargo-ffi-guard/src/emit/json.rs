//! `--format json`: one JSON object per line, one per diagnostic, its keys
//! in the order of SPEC §4.

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::emit::PackageReport;

pub fn render(reports: &[PackageReport]) -> String {
    let mut out = String::new();
    for r in reports {
        for d in &r.diagnostics {
            out.push_str(&serde_json::to_string(&Line::from(d)).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

/// One diagnostic as a JSON line: `file` relative to the package root,
/// 1-based lines and columns.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    pub lint: &'a str,
    pub level: &'a str,
    pub message: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub help: Option<&'a str>,
    pub package: &'a str,
    pub related: Vec<RelatedLine<'a>>,
}

/// A related place in a JSON line.
#[derive(Debug, Serialize)]
pub struct RelatedLine<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub message: &'a str,
}

impl<'a> From<&'a Diagnostic> for Line<'a> {
    fn from(d: &'a Diagnostic) -> Line<'a> {
        Line {
            lint: d.lint,
            level: d.level.name(),
            message: &d.message,
            file: &d.span.file,
            line: d.span.line,
            column: d.span.column,
            end_line: d.span.end_line,
            end_column: d.span.end_column,
            help: d.help.as_deref(),
            package: &d.package,
            related: d
                .related
                .iter()
                .map(|r| RelatedLine {
                    file: &r.span.file,
                    line: r.span.line,
                    column: r.span.column,
                    message: &r.message,
                })
                .collect(),
        }
    }
}
