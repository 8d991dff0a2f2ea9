//! `cargo ffi-guard report --format sarif`: the runtime's findings for code
//! scanning, each at its Rust site (the import's caller line, the export's
//! definition), with the allocation and release sites as related locations
//! and the backtrace as a SARIF stack. One rule per finding kind.
//!
//! Sites are recorded relative to the tested crate's workspace root; URIs
//! are relative to the git work tree that holds it (else to that root), so
//! that they match the lint's SARIF of the same repository.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::format::{KINDS, Site};
use super::gate::Gate;
use super::merge::Merged;
use crate::diag::Span;
use crate::emit::sarif as out;

/// The `automationDetails.id` of runtime runs (a category of its own).
pub const RUNTIME_AUTOMATION_ID: &str = "ffi-guard/runtime/";

/// Render `merged`; relative sites are relative to `workspace_root`.
pub fn render(merged: &Merged, gate: &Gate, workspace_root: &Path) -> String {
    let root = out::run_root(&[workspace_root.to_path_buf()]);
    let mut kinds: Vec<String> = KINDS.iter().map(|k| (*k).to_owned()).collect();
    for g in &merged.groups {
        if !kinds.iter().any(|k| k == g.kind()) {
            kinds.push(g.kind().to_owned());
        }
    }
    let rules: Vec<Value> = kinds
        .iter()
        .map(|k| {
            let (summary, help) = describe(k);
            let level = if gate.fails(k) { "error" } else { "warning" };
            out::rule(k, summary, help, level, severity(k))
        })
        .collect();
    let path = |site: &Site| -> PathBuf {
        let p = Path::new(&site.file);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            workspace_root.join(p)
        }
    };
    let location = |site: &Site| {
        let span = Span {
            file: site.file.clone(),
            line: site.line as usize,
            column: site.column as usize,
            end_line: site.line as usize,
            end_column: site.column as usize,
        };
        out::location(&path(site), &span, &root)
    };
    let results: Vec<Value> = merged
        .groups
        .iter()
        .map(|g| {
            let f = &g.first;
            let mut text = g.headline();
            if f.kind != "leak" {
                text.push_str(&format!("\nin: {}", f.function));
            }
            if let Some(w) = &f.free_with {
                text.push_str(&format!("\nrelease with: {w}"));
            }
            text.push_str(&format!("\ncount: {}", g.count));
            let mut related = Vec::new();
            for (site, what) in [
                (&f.alloc_site, "allocated here"),
                (&f.free_site, "released here"),
            ] {
                if let Some(site) = site {
                    related.push(json!({
                        "id": related.len(),
                        "physicalLocation": location(site),
                        "message": { "text": what },
                    }));
                }
            }
            let mut result = json!({
                "ruleId": f.kind,
                "ruleIndex": kinds.iter().position(|k| *k == f.kind).unwrap_or(0),
                "level": if gate.fails(&f.kind) { "error" } else { "warning" },
                "message": { "text": text },
                "locations": [{ "physicalLocation": location(&f.site) }],
                "relatedLocations": related,
                "occurrenceCount": g.count,
            });
            if let Some(frames) = f.backtrace.as_deref().filter(|b| !b.is_empty()) {
                let frames: Vec<Value> = frames
                    .iter()
                    .map(|fr| {
                        let mut loc = json!({ "message": { "text": fr.function } });
                        if let (Some(file), Some(line)) = (&fr.file, fr.line) {
                            let site = Site {
                                file: file.clone(),
                                line,
                                column: 1,
                            };
                            loc["physicalLocation"] = location(&site);
                        }
                        json!({ "location": loc })
                    })
                    .collect();
                result["stacks"] =
                    json!([{ "message": { "text": "backtrace" }, "frames": frames }]);
            }
            result
        })
        .collect();
    out::log(RUNTIME_AUTOMATION_ID, rules, results, &root)
}

/// `security-severity` of each finding kind: memory corruption critical or
/// high, a leak or a caught panic medium.
fn severity(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "use_after_free" | "double_free" | "out_of_bounds" => "9.0",
        "unknown_free" | "allocator_mismatch" => "8.5",
        "length_overflow" => "8.0",
        "unterminated_cstr" | "stale_handle" => "7.5",
        "misaligned_pointer" => "7.0",
        "null_pointer" => "6.5",
        "panic" => "6.0",
        "leak" => "5.0",
        _ => return None,
    })
}

/// One line and a help text per kind (SPEC §3).
pub fn describe(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "leak" => (
            "memory from a guarded allocation never released",
            "Release each pointer with the function the report names (`release with`), once, when C or Rust is done with it.",
        ),
        "double_free" => (
            "a pointer released twice",
            "Release each pointer once; set it to null after releasing it, or give the ownership to one side only.",
        ),
        "unknown_free" => (
            "a pointer released that no guarded allocation produced",
            "Release only pointers the paired allocation function returned, and only with its paired release function.",
        ),
        "allocator_mismatch" => (
            "memory released by another allocator than the one that made it",
            "Release C memory with C's release function and Rust memory with `Box::from_raw`/`CString::from_raw`.",
        ),
        "use_after_free" => (
            "a pointer used after it was released",
            "Do not keep a pointer past its release; release it last.",
        ),
        "null_pointer" => (
            "a null pointer where the function needs a valid one",
            "Check for null before the call, or declare the parameter as `Option<&T>` / nullable.",
        ),
        "misaligned_pointer" => (
            "a pointer not aligned for its type",
            "Pass a pointer to a value of that type, not one cast from a byte buffer.",
        ),
        "length_overflow" => (
            "a pointer and length whose range wraps or exceeds isize::MAX",
            "Pass the length of the buffer the pointer points into.",
        ),
        "out_of_bounds" => (
            "a length larger than the buffer the pointer points into",
            "Pass the length of the buffer the pointer points into.",
        ),
        "unterminated_cstr" => (
            "a C string without its terminating NUL",
            "Pass a `CString`/`CStr` pointer, or a byte string ending in `\\0`.",
        ),
        "panic" => (
            "a panic caught at the FFI boundary",
            "Return an error value to C instead of panicking; the guard turned this panic into the `on_error` value.",
        ),
        "stale_handle" => (
            "a handle used after it was removed, or from another map",
            "Do not use a handle after removing it from its HandleMap.",
        ),
        _ => (
            "a finding of a kind this version does not know",
            "Update cargo-ffi-guard to read this report.",
        ),
    }
}
