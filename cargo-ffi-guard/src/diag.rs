//! Diagnostics as data: what a lint returns, before any emitter renders it.

use serde::Serialize;

/// How loud a lint is. `Allow` diagnostics are dropped before emitting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// A range in one file. `file` is relative to the package root; lines and
/// columns are 1-based, columns count characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Span {
    /// The span of a syn node in `file` (proc-macro2 columns are 0-based).
    pub fn from_syn(file: &str, span: proc_macro2::Span) -> Span {
        let (start, end) = (span.start(), span.end());
        Span {
            file: file.to_owned(),
            line: start.line,
            column: start.column + 1,
            end_line: end.line,
            end_column: end.column + 1,
        }
    }

    /// From the first token of `start` to the last of `end`.
    pub fn join(file: &str, start: proc_macro2::Span, end: proc_macro2::Span) -> Span {
        let mut s = Span::from_syn(file, start);
        let e = Span::from_syn(file, end);
        s.end_line = e.end_line;
        s.end_column = e.end_column;
        s
    }
}

/// Another place that matters to a diagnostic (a definition, another use).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// A machine-applicable edit: replace `[start, end)` bytes of `file` (relative
/// to the package root) with `text`. An insertion has `start == end`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// One finding of the linter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub lint: &'static str,
    /// Filled in by the engine from the configuration; lints leave the default.
    pub level: Level,
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
    /// Filled in by the engine.
    pub package: String,
    /// Other places; when the diagnostic has a definition (the type that
    /// lacks `repr(C)`, the fn that can panic), it comes first: an allow
    /// comment there silences the diagnostic too.
    pub related: Vec<Related>,
    /// Edits that `--fix` applies; empty when no fix is machine-applicable.
    pub fix: Vec<Edit>,
}

impl Diagnostic {
    pub fn new(lint: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            lint,
            level: Level::Deny,
            message: message.into(),
            span,
            help: None,
            package: String::new(),
            related: Vec::new(),
            fix: Vec::new(),
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn fix(mut self, edit: Edit) -> Diagnostic {
        self.fix.push(edit);
        self
    }
}

/// The byte offset of a 1-based line and 1-based char column in `text`.
/// A leading byte-order mark is not a column: syn drops it before it counts.
pub fn byte_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let rest = &text[start..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some(start + col)
}

/// The whitespace that starts line `line` (1-based) of `text`.
pub fn indentation(text: &str, line: usize) -> &str {
    let l = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    &l[..l.len() - l.trim_start().len()]
}
