//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. The rules
//! come from the lint registry, so their help is the `explain` text.

use std::path::Path;

use serde_json::{Value, json};

use crate::diag::{Level, Span};
use crate::emit::PackageReport;
use crate::lints::ALL;

/// `repo_root` is what artifact URIs are relative to (the git root, or the
/// workspace root outside git).
pub fn render(reports: &[PackageReport], repo_root: &Path) -> String {
    let rules: Vec<Value> = ALL
        .iter()
        .map(|l| {
            json!({
                "id": l.name,
                "name": l.name,
                "shortDescription": { "text": l.summary },
                "fullDescription": { "text": l.summary },
                "help": { "text": l.explanation, "markdown": l.explanation },
                "defaultConfiguration": { "level": sarif_level(l.default_level) },
                "properties": { "tags": ["ffi", "safety"] },
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in reports {
        for d in &r.diagnostics {
            let rule_index = ALL.iter().position(|l| l.name == d.lint).unwrap_or(0);
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(h);
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, rel)| {
                    json!({
                        "id": i,
                        "physicalLocation": location(r, &rel.span, repo_root),
                        "message": { "text": rel.message },
                    })
                })
                .collect();
            results.push(json!({
                "ruleId": d.lint,
                "ruleIndex": rule_index,
                "level": sarif_level(d.level),
                "message": { "text": message },
                "locations": [{ "physicalLocation": location(r, &d.span, repo_root) }],
                "relatedLocations": related,
            }));
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cargo-ffi-guard",
                "informationUri": "https://github.com/ffi-guard/ffi-guard",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

fn uri(r: &PackageReport, span: &Span, repo_root: &Path) -> String {
    let full = r.root.join(&span.file);
    match full.strip_prefix(repo_root) {
        Ok(p) => p.to_string_lossy().replace('\\', "/"),
        Err(_) => span.file.clone(),
    }
}

fn location(r: &PackageReport, span: &Span, repo_root: &Path) -> Value {
    json!({
        "artifactLocation": { "uri": uri(r, span, repo_root), "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": span.line.max(1),
            "startColumn": span.column.max(1),
            "endLine": span.end_line.max(span.line).max(1),
            "endColumn": span.end_column.max(1),
        },
    })
}
