//! The human summary: one block per (grouped) finding.

use std::fmt::Write;

use crate::finding::Finding;

/// Renders findings as the summary printed on stderr at exit, and as the
/// text of `Checkpoint::assert_clean`'s panic.
pub(crate) fn render(findings: &[Finding]) -> String {
    let mut s = String::new();
    let total: u64 = findings.iter().map(|f| f.count).sum();
    let _ = writeln!(
        s,
        "ffi-guard: {} finding{} ({} occurrence{})",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        total,
        if total == 1 { "" } else { "s" },
    );
    for f in findings {
        s.push('\n');
        block(&mut s, f);
    }
    s
}

/// The one-line text of a finding, as a panic message.
pub(crate) fn one_line(f: &Finding) -> String {
    format!("ffi-guard: {} in `{}`: {}", f.kind, f.function, f.message)
}

fn block(s: &mut String, f: &Finding) {
    let _ = writeln!(s, "error[{}]: `{}`: {}", f.kind, f.function, f.message);
    let _ = writeln!(s, "  --> {}", f.site);
    if let Some(a) = &f.alloc_site {
        let _ = writeln!(s, "   = allocated at {a}");
    }
    if let Some(a) = &f.free_site {
        let _ = writeln!(s, "   = released at {a}");
    }
    if let Some(w) = &f.free_with {
        let _ = writeln!(s, "   = release with {w}");
    }
    if let Some(b) = f.bytes {
        let _ = writeln!(s, "   = bytes: {b}");
    }
    if f.count != 1 {
        let _ = writeln!(s, "   = count: {}", f.count);
    }
    if let Some(frames) = &f.backtrace {
        let _ = writeln!(s, "   = backtrace:");
        for (i, fr) in frames.iter().enumerate() {
            match (&fr.file, fr.line) {
                (Some(file), Some(line)) => {
                    let _ = writeln!(
                        s,
                        "     {i:>3}: {}\n            at {file}:{line}",
                        fr.function
                    );
                }
                _ => {
                    let _ = writeln!(s, "     {i:>3}: {}", fr.function);
                }
            }
        }
    }
}
