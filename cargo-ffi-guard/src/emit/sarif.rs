//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. The rules
//! come from the lint registry, so their help is the `explain` text; each
//! carries a `security-severity`; the run has an `automationDetails.id`; a
//! finding that `--fix` can mend carries the edit as SARIF `fixes`.
//!
//! Artifact URIs are percent-encoded and relative to one root for the whole
//! run ([`run_root`]): the git work tree that holds every package, else the
//! deepest folder that holds every workspace. `originalUriBaseIds` names that
//! root as `%SRCROOT%`.

use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use crate::diag::{Edit, Level, Span};
use crate::emit::PackageReport;
use crate::lints::ALL;

/// The `automationDetails.id` of the lint's runs: the category before the
/// last `/` keeps the lint's alerts apart from the runtime's in code scanning.
pub const CHECK_AUTOMATION_ID: &str = "ffi-guard/check/";

/// Render the lint's results; URIs are relative to `root`.
pub fn render(reports: &[PackageReport], root: &Path) -> String {
    let rules: Vec<Value> = ALL
        .iter()
        .map(|l| {
            rule(
                l.name,
                l.summary,
                l.explanation,
                level(l.default_level),
                security_severity(l.name),
            )
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
                        "physicalLocation": location(&r.root.join(&rel.span.file), &rel.span, root),
                        "message": { "text": rel.message },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": d.lint,
                "ruleIndex": rule_index,
                "level": level(d.level),
                "message": { "text": message },
                "locations": [{ "physicalLocation": location(&r.root.join(&d.span.file), &d.span, root) }],
                "relatedLocations": related,
            });
            if !d.fix.is_empty() {
                result["fixes"] = json!([fix(r, &d.fix, d.help.as_deref(), root)]);
            }
            results.push(result);
        }
    }
    log(CHECK_AUTOMATION_ID, rules, results, root)
}

/// A whole SARIF log of one run of `cargo-ffi-guard`.
pub fn log(automation_id: &str, rules: Vec<Value>, results: Vec<Value>, root: &Path) -> String {
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
            "automationDetails": { "id": automation_id },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": dir_uri(root) } },
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// One rule (`reportingDescriptor`); `severity` is the `security-severity`
/// score, `None` for rules that are not about security.
pub fn rule(
    id: &str,
    summary: &str,
    help: &str,
    default_level: &str,
    severity: Option<&str>,
) -> Value {
    let mut properties = json!({ "tags": ["ffi", "safety"] });
    if let Some(s) = severity {
        properties["tags"] = json!(["ffi", "safety", "security"]);
        properties["security-severity"] = json!(s);
    }
    json!({
        "id": id,
        "name": id,
        "shortDescription": { "text": summary },
        "fullDescription": { "text": summary },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": default_level },
        "properties": properties,
    })
}

/// GitHub's `security-severity` (0.1–10; 9+ critical, 7+ high, 4+ medium)
/// of each lint: memory corruption high, leaks and aborts medium. Lints
/// about the tool's own input (a file it could not parse or read, an idle
/// allow comment) are not security findings and have none.
pub fn security_severity(lint: &str) -> Option<&'static str> {
    Some(match lint {
        "double_free" => "9.0",
        "mismatched_free" | "dangling_cstring_ptr" | "layout_mismatch" | "signature_mismatch" => {
            "8.5"
        }
        "str_as_cstr" | "ptr_len_mismatch" | "improper_ffi_type" | "missing_repr_c" => "7.5",
        "clashing_extern_declarations" | "no_mangle_rust_abi" => "7.0",
        "constant_mismatch" | "panic_across_ffi" => "6.0",
        "leaked_into_raw" | "unpaired_foreign_alloc" => "5.0",
        "errno_clobbered" => "4.0",
        "unguarded_extern" => "2.0",
        _ => return None,
    })
}

/// The lints with no `security-severity`, by name (checked by a test, so a
/// new lint gets a decision).
pub const NOT_SECURITY: &[&str] = &[
    "parse_error",
    "bindings_not_read",
    "path_outside_workspace",
    "unused_allow",
];

pub fn level(l: Level) -> &'static str {
    match l {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

/// `--fix`'s edits as one SARIF `fix`.
fn fix(r: &PackageReport, edits: &[Edit], help: Option<&str>, root: &Path) -> Value {
    let mut by_file: Vec<(&str, Vec<Value>)> = Vec::new();
    for e in edits {
        let replacement = json!({
            "deletedRegion": { "byteOffset": e.start, "byteLength": e.end.saturating_sub(e.start) },
            "insertedContent": { "text": e.text },
        });
        match by_file.iter_mut().find(|(f, _)| *f == e.file) {
            Some((_, v)) => v.push(replacement),
            None => by_file.push((&e.file, vec![replacement])),
        }
    }
    let changes: Vec<Value> = by_file
        .into_iter()
        .map(|(file, replacements)| {
            json!({
                "artifactLocation": artifact(&r.root.join(file), root),
                "replacements": replacements,
            })
        })
        .collect();
    json!({
        "description": { "text": help.unwrap_or("apply the fix of `cargo ffi-guard --fix`") },
        "artifactChanges": changes,
    })
}

/// A `physicalLocation` for `span` of the file at `path`.
pub fn location(path: &Path, span: &Span, root: &Path) -> Value {
    json!({
        "artifactLocation": artifact(path, root),
        "region": {
            "startLine": span.line.max(1),
            "startColumn": span.column.max(1),
            "endLine": span.end_line.max(span.line).max(1),
            "endColumn": span.end_column.max(1),
        },
    })
}

/// An `artifactLocation`: relative to `root` under `%SRCROOT%` when the file
/// is inside it, else an absolute `file:` URI.
pub fn artifact(path: &Path, root: &Path) -> Value {
    match path.strip_prefix(root) {
        Ok(rel) => json!({ "uri": encode_path(rel), "uriBaseId": "%SRCROOT%" }),
        Err(_) => json!({ "uri": file_uri(path) }),
    }
}

/// The root that a run's URIs are relative to: the git work tree holding
/// every workspace root when there is one, else the deepest folder that holds
/// them all (several `--manifest-path` outside a repository).
pub fn run_root(workspace_roots: &[PathBuf]) -> PathBuf {
    let git: Vec<Option<PathBuf>> = workspace_roots.iter().map(|r| git_root(r)).collect();
    if let Some(Some(first)) = git.first()
        && git.iter().all(|g| g.as_ref() == Some(first))
    {
        return first.clone();
    }
    let mut common = workspace_roots.first().cloned().unwrap_or_default();
    for r in workspace_roots {
        while !r.starts_with(&common) {
            if !common.pop() {
                break;
            }
        }
    }
    common
}

/// The git work tree holding `dir`.
fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// A relative path as a URI reference: each component percent-encoded
/// (RFC 3986 path segment characters kept), joined by `/`.
pub fn encode_path(rel: &Path) -> String {
    rel.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(encode_segment(s.as_encoded_bytes())),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn file_uri(path: &Path) -> String {
    format!("file:///{}", encode_path(path))
}

fn dir_uri(dir: &Path) -> String {
    let mut s = file_uri(dir);
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// Percent-encode every byte that is not an unreserved character or a
/// sub-delimiter, `:` or `@` (what a URI path segment may hold as is).
fn encode_segment(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_by_segment() {
        assert_eq!(
            encode_path(Path::new("src/a b#c?d%e/ünï.rs")),
            "src/a%20b%23c%3Fd%25e/%C3%BCn%C3%AF.rs"
        );
        // A `\` is part of a Unix file name, not a separator.
        assert_eq!(encode_path(Path::new("src/a\\b.rs")), "src/a%5Cb.rs");
    }

    #[test]
    fn several_roots_outside_git_share_their_deepest_common_folder() {
        let roots = [
            PathBuf::from("/nonexistent-ffi-guard/x/one"),
            PathBuf::from("/nonexistent-ffi-guard/x/two/deep"),
        ];
        assert_eq!(run_root(&roots), Path::new("/nonexistent-ffi-guard/x"));
    }

    #[test]
    fn every_lint_has_a_severity_decision() {
        for l in ALL {
            assert!(
                security_severity(l.name).is_some() != NOT_SECURITY.contains(&l.name),
                "decide the security-severity of `{}`",
                l.name
            );
        }
    }
}
