//! Arbitrary bytes through everything of the linter that reads untrusted
//! input: as source text, the front end (parse, macro-body items, index,
//! every lint) and the three renderers of what it found (human, JSON,
//! SARIF); as a runtime report file, the report reader and its renderers.
//! Nothing may panic, whatever the input.

#![no_main]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cargo_ffi_guard::emit::{self, PackageReport};
use cargo_ffi_guard::reports::{self, Gate, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        lint_and_render(text);
        // Span locations accumulate per thread; start each input afresh.
        proc_macro2::extra::invalidate_current_thread_spans();
    }
    read_as_report(data);
});

fn lint_and_render(text: &str) {
    let diagnostics = cargo_ffi_guard::engine::lint_source(text);
    let report = PackageReport {
        name: "input".to_owned(),
        root: PathBuf::from("."),
        diagnostics,
        texts: HashMap::from([("src/lib.rs".to_owned(), text.to_owned())]),
        files_linted: 1,
    };
    let reports = [report];
    let _ = emit::human::render(&reports, Path::new("."), false);
    let _ = emit::human::render(&reports, Path::new("."), true);
    let _ = emit::json::render(&reports);
    let _ = emit::sarif::render(&reports, Path::new("."));
}

/// The input as the only report of a run folder, in both file forms the
/// runtime writes (`.json` at exit, `.jsonl` as it goes).
fn read_as_report(data: &[u8]) {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("ffi-guard-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&d);
        d
    });
    for name in ["t-1.json", "t-1.jsonl"] {
        let _ = std::fs::remove_file(dir.join("t-1.json"));
        let _ = std::fs::remove_file(dir.join("t-1.jsonl"));
        if std::fs::write(dir.join(name), data).is_err() {
            return;
        }
        if let Ok(merged) = reports::load(dir) {
            let _ = render::human(&merged, &Gate::default(), &style());
            let _ = render::json(&merged);
            let _ = render::summary(&merged);
        }
    }
}

fn style() -> render::Style {
    render::Style::from_here(None)
}
