//! Reading and merging hand-written report folders.

use std::path::PathBuf;

use super::format::KINDS;
use super::gate::{Gate, GateError};
use super::render::Style;
use super::{civil_from_days, load, render};

/// A fresh folder per test, under the system temp dir.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ffi-guard-reports-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test folder");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("write a report file");
    }
    dir
}

const LEAK_A: &str = r#"{"version":1,"program":"widget-1a2b3c","pid":4242,
 "findings":[{"kind":"leak","function":"widget_new","free_with":"widget_free",
   "count":3,"bytes":null,"message":"3 pointers from widget_new never released with widget_free",
   "site":{"file":"src/lib.rs","line":42,"column":17},"alloc_site":{"file":"src/lib.rs","line":42,"column":17}},
  {"kind":"double_free","function":"widget_free","count":1,"bytes":null,"message":"double free of a pointer from widget_new",
   "site":{"file":"tests/a.rs","line":7,"column":5},"free_site":{"file":"tests/a.rs","line":6,"column":5}}]}"#;

const LEAK_B: &str = r#"{"version":1,"program":"other-9f9f","pid":5151,
 "findings":[{"kind":"leak","function":"widget_new","free_with":"widget_free",
   "count":2,"bytes":64,"message":"2 pointers from widget_new never released with widget_free",
   "site":{"file":"src/lib.rs","line":42,"column":17},"alloc_site":{"file":"src/lib.rs","line":42,"column":17},
   "backtrace":[{"function":"widget::make","file":"src/lib.rs","line":42}]},
  {"kind":"leak","function":"widget_new","free_with":"widget_free","count":1,"bytes":null,
   "message":"1 pointer from widget_new never released with widget_free",
   "site":{"file":"src/lib.rs","line":50,"column":9},"alloc_site":{"file":"src/lib.rs","line":50,"column":9}}]}"#;

#[test]
fn same_leak_from_two_processes_is_one_group_with_summed_count() {
    let dir = folder(
        "sum",
        &[
            ("widget-1a2b3c-4242.json", LEAK_A),
            ("other-9f9f-5151.json", LEAK_B),
        ],
    );
    let merged = load(&dir).expect("read the folder");
    assert_eq!(merged.sources.len(), 2);
    assert!(merged.notes.is_empty(), "{:?}", merged.notes);
    let leaks: Vec<_> = merged
        .groups
        .iter()
        .filter(|g| g.kind() == "leak")
        .collect();
    assert_eq!(leaks.len(), 2, "line 42 and line 50 are different sites");
    let at_42 = leaks
        .iter()
        .find(|g| g.first.site.line == 42)
        .expect("the line-42 group");
    assert_eq!(at_42.count, 5);
    assert_eq!(at_42.bytes, Some(64));
    assert_eq!(at_42.sources.len(), 2);
    assert_eq!(
        at_42.headline(),
        "5 pointers from widget_new never released with widget_free"
    );
    assert!(
        at_42.first.backtrace.is_some(),
        "the backtrace of the second file is kept"
    );
    assert_eq!(merged.total(), 7);
    // Leaks first (SPEC order), then the double free.
    assert_eq!(merged.groups.last().map(|g| g.kind()), Some("double_free"));
}

#[test]
fn human_report_names_function_site_count_and_programs() {
    let dir = folder(
        "human",
        &[
            ("widget-1a2b3c-4242.json", LEAK_A),
            ("other-9f9f-5151.json", LEAK_B),
        ],
    );
    let merged = load(&dir).expect("read the folder");
    let text = render::human(&merged, &Gate::default(), &Style::default());
    assert!(
        text.contains("error[leak]: 5 pointers from widget_new never released with widget_free\n  --> src/lib.rs:42:17\n"),
        "{text}"
    );
    assert!(text.contains("   = release with: widget_free\n"), "{text}");
    assert!(text.contains("   = count: 5 (64 bytes)\n"), "{text}");
    assert!(
        text.contains("        0: widget::make at src/lib.rs:42\n"),
        "{text}"
    );
    assert!(
        text.contains("   = from: other-9f9f (pid 5151), widget-1a2b3c (pid 4242)\n"),
        "{text}"
    );
    assert!(
        text.contains("error[double_free]: double free of a pointer from widget_new\n"),
        "{text}"
    );
    assert!(
        text.contains("   = released at: tests/a.rs:6:5\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "ffi-guard: 7 findings in 3 groups (6 leak, 1 double_free) from 2 test processes\n"
        ),
        "{text}"
    );
}

#[test]
fn kinds_the_gate_lets_pass_are_warnings() {
    let dir = folder("gate", &[("widget-1a2b3c-4242.json", LEAK_A)]);
    let merged = load(&dir).expect("read the folder");
    let meta = serde_json::json!({"ffi-guard": {"test": {"fail-on": ["double_free"]}}});
    let gate = Gate::from_metadata(
        Some((&meta, "Cargo.toml")),
        (&serde_json::Value::Null, "ws"),
    )
    .expect("a valid gate");
    let text = render::human(&merged, &gate, &Style::default());
    assert!(text.contains("warning[leak]: 3 pointers"), "{text}");
    assert!(text.contains("error[double_free]:"), "{text}");
}

#[test]
fn jsonl_of_a_dead_process_is_read_and_its_cut_last_line_dropped() {
    let jsonl = concat!(
        r#"{"kind":"double_free","function":"widget_free","count":1,"bytes":null,"message":"double free","site":{"file":"tests/t.rs","line":9,"column":5}}"#,
        "\n",
        r#"{"kind":"double_free","function":"widget_free","count":1,"bytes":null,"message":"double free","site":{"file":"tests/t.rs","line":9,"column":5}}"#,
        "\n",
        r#"{"kind":"panic","function":"on_item","count":1,"message":"boom","si"#,
    );
    let dir = folder("jsonl", &[("crashy-77aa-999.jsonl", jsonl)]);
    let merged = load(&dir).expect("read the folder");
    assert_eq!(merged.sources.len(), 1);
    let source = &merged.sources[0];
    assert_eq!(
        (source.program.as_str(), source.pid, source.complete),
        ("crashy-77aa", Some(999), false)
    );
    assert_eq!(merged.groups.len(), 1);
    assert_eq!(merged.groups[0].count, 2);
    assert_eq!(merged.notes.len(), 1, "{:?}", merged.notes);
    assert!(merged.notes[0].contains("cut short"), "{:?}", merged.notes);
    let text = render::human(&merged, &Gate::default(), &Style::default());
    assert!(
        text.contains("crashy-77aa (pid 999, died) exited without writing its whole report"),
        "{text}"
    );
    assert!(
        text.contains("1 process died before finishing its report"),
        "{text}"
    );
}

#[test]
fn a_whole_json_wins_over_its_leftover_jsonl() {
    let line = r#"{"kind":"double_free","function":"widget_free","count":1,"message":"x","site":{"file":"a.rs","line":1,"column":1}}"#;
    let dir = folder(
        "both",
        &[
            ("widget-1a2b3c-4242.json", LEAK_A),
            ("widget-1a2b3c-4242.jsonl", line),
        ],
    );
    let merged = load(&dir).expect("read the folder");
    assert_eq!(merged.sources.len(), 1);
    assert!(merged.sources[0].complete);
    assert_eq!(merged.total(), 4);
}

#[test]
fn a_cut_json_falls_back_to_its_jsonl() {
    let line = r#"{"kind":"use_after_free","function":"widget_write","count":1,"message":"x","site":{"file":"a.rs","line":1,"column":1}}"#;
    let dir = folder(
        "cut",
        &[
            ("w-1-10.json", &LEAK_A[..40]),
            ("w-1-10.jsonl", &format!("{line}\n")),
        ],
    );
    let merged = load(&dir).expect("read the folder");
    assert_eq!(merged.groups.len(), 1);
    assert_eq!(merged.groups[0].kind(), "use_after_free");
    assert!(
        merged.notes[0].contains("not a whole report"),
        "{:?}",
        merged.notes
    );
}

#[test]
fn unknown_fields_and_kinds_are_tolerated_and_bad_findings_skipped() {
    let json = r#"{"version":1,"program":"p","pid":1,"written_by":"ffi-guard-rt 9.9","findings":[
        {"kind":"leak","function":"f_new","count":1,"site":{"file":"a.rs","line":1,"column":1},"thread":"main","extra":{"x":1}},
        {"kind":"time_travel","function":"f","message":"a kind from the future","site":{"file":"a.rs","line":2,"column":1}},
        {"kind":"leak","function":"no_site"}]}"#;
    let dir = folder(
        "unknown",
        &[
            ("p-1.json", json),
            ("notes.txt", "not a report"),
            ("last-run", "x"),
        ],
    );
    let merged = load(&dir).expect("read the folder");
    let kinds: Vec<_> = merged.groups.iter().map(|g| g.kind()).collect();
    assert_eq!(kinds, ["leak", "time_travel"]);
    // A missing `count` means one occurrence, a missing `message` gets one.
    assert_eq!(merged.groups[0].count, 1);
    assert_eq!(merged.groups[0].headline(), "leak in f_new");
    assert_eq!(merged.notes.len(), 1, "{:?}", merged.notes);
    assert!(merged.notes[0].contains("finding #3"), "{:?}", merged.notes);
}

#[test]
fn json_document_has_the_runtime_shape_and_reads_back() {
    let dir = folder(
        "json",
        &[
            ("widget-1a2b3c-4242.json", LEAK_A),
            ("other-9f9f-5151.json", LEAK_B),
        ],
    );
    let merged = load(&dir).expect("read the folder");
    let doc: serde_json::Value = serde_json::from_str(&render::json(&merged)).expect("valid JSON");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["program"], "merged");
    assert_eq!(doc["sources"].as_array().map(Vec::len), Some(2));
    let first = &doc["findings"][0];
    assert_eq!(first["kind"], "leak");
    assert_eq!(first["count"], 5);
    assert_eq!(first["site"]["line"], 42);
    assert_eq!(
        first["programs"],
        serde_json::json!(["other-9f9f", "widget-1a2b3c"])
    );
    // The merged document is itself a readable report.
    let again = folder("json-again", &[("merged.json", &render::json(&merged))]);
    let reread = load(&again).expect("read the merged document");
    assert_eq!(reread.total(), merged.total());
    assert_eq!(reread.groups.len(), merged.groups.len());
}

#[test]
fn an_empty_folder_has_no_findings_and_a_missing_one_is_an_error() {
    let dir = folder("empty", &[]);
    let merged = load(&dir).expect("read the folder");
    assert!(merged.groups.is_empty() && merged.sources.is_empty());
    assert!(load(&dir.join("nope")).is_err());
}

#[test]
fn gate_reads_package_then_workspace_and_rejects_unknown_kinds() {
    let none = serde_json::Value::Null;
    let ws = serde_json::json!({"ffi-guard": {"test": {"fail-on": ["panic"]}}});
    let gate = Gate::from_metadata(Some((&none, "pkg")), (&ws, "ws")).expect("valid");
    assert!(gate.fails("panic") && !gate.fails("leak"));
    let every = Gate::from_metadata(None, (&none, "ws")).expect("valid");
    assert!(KINDS.iter().all(|k| every.fails(k)) && every.fails("time_travel"));
    let bad = serde_json::json!({"ffi-guard": {"test": {"fail-on": ["leek"]}}});
    let err = Gate::from_metadata(Some((&bad, "pkg/Cargo.toml")), (&ws, "ws")).expect_err("leek");
    assert!(matches!(&err, GateError::UnknownKind { kind, .. } if kind == "leek"));
    let text = err.to_string();
    assert!(
        text.contains("`leek`") && text.contains("leak, double_free, unknown_free"),
        "{text}"
    );
    let not_list = serde_json::json!({"ffi-guard": {"test": {"fail-on": "leak"}}});
    assert!(Gate::from_metadata(Some((&not_list, "p")), (&none, "ws")).is_err());
}

#[test]
fn dates_are_civil() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(20_512), (2026, 2, 28));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(civil_from_days(20_513), (2026, 3, 1));
}

#[test]
fn backtraces_stop_at_the_test_harness_and_paths_are_relative() {
    let json = r#"{"version":1,"program":"p","pid":1,"findings":[{"kind":"panic","function":"cb","count":1,
      "message":"boom","site":{"file":"tests/t.rs","line":5,"column":1},"backtrace":[
        {"function":"t::cb","file":"/home/me/proj/tests/t.rs","line":6},
        {"function":"widget_each","file":"/home/me/proj/c/widget.c","line":120},
        {"function":"t::a_test::{{closure}}","file":"/home/me/proj/tests/t.rs","line":20},
        {"function":"core::ops::function::FnOnce::call_once","file":"/rustc/abc/library/core/src/ops/function.rs","line":250},
        {"function":"test::__rust_begin_short_backtrace::<..>","file":"/rustc/abc/library/test/src/lib.rs","line":663},
        {"function":"test::run_test"}]}]}"#;
    let dir = folder("frames", &[("p-1.json", json)]);
    let merged = load(&dir).expect("read the folder");
    // Run from the package's parent folder: paths start at the package.
    let style = Style {
        base: Some(PathBuf::from("/home/me/proj")),
        cwd: Some(PathBuf::from("/home/me")),
        color: false,
    };
    let text = render::human(&merged, &Gate::default(), &style);
    assert!(
        text.contains("error[panic]: boom\n  --> proj/tests/t.rs:5:1\n"),
        "{text}"
    );
    assert!(
        text.contains(concat!(
            "   = backtrace:\n",
            "        0: t::cb at proj/tests/t.rs:6\n",
            "        1: widget_each at proj/c/widget.c:120\n",
            "        2: t::a_test::{{closure}} at proj/tests/t.rs:20\n",
            "           ... 3 more frames (the test harness and below)\n",
        )),
        "{text}"
    );
    // Run elsewhere: absolute paths.
    let style = Style {
        base: Some(PathBuf::from("/home/me/proj")),
        cwd: Some(PathBuf::from("/tmp")),
        color: false,
    };
    assert_eq!(style.file("src/lib.rs"), "/home/me/proj/src/lib.rs");
    // `report` knows no base: relative sites stay as recorded.
    let style = Style {
        base: None,
        cwd: Some(PathBuf::from("/home/me/proj")),
        color: false,
    };
    assert_eq!(style.file("src/lib.rs"), "src/lib.rs");
    assert_eq!(style.file("/home/me/proj/c/widget.c"), "c/widget.c");
}

#[test]
fn summary_of_a_clean_run() {
    let dir = folder("clean", &[]);
    let merged = load(&dir).expect("read the folder");
    assert_eq!(render::summary(&merged), "ffi-guard: no findings");
    let empty = r#"{"version":1,"program":"p","pid":3,"findings":[]}"#;
    let dir = folder("clean-with-file", &[("p-3.json", empty)]);
    let merged = load(&dir).expect("read the folder");
    assert_eq!(
        render::summary(&merged),
        "ffi-guard: no findings (reports from 1 test process)"
    );
}

#[test]
fn file_names_split_into_program_and_pid() {
    use super::read::split_stem;
    assert_eq!(
        split_stem("widget-1a2b3c-4242"),
        ("widget-1a2b3c".to_owned(), Some(4242))
    );
    assert_eq!(split_stem("rust_out-77"), ("rust_out".to_owned(), Some(77)));
    assert_eq!(split_stem("merged"), ("merged".to_owned(), None));
    assert_eq!(split_stem("a-b"), ("a-b".to_owned(), None));
    assert_eq!(split_stem("-12"), ("-12".to_owned(), None));
}

#[test]
fn a_new_run_folder_becomes_the_last_run() {
    let target = folder("target", &[]);
    assert_eq!(super::last_run_dir(&target), None);
    let first = super::new_run_dir(&target).expect("a run folder");
    let second = super::new_run_dir(&target).expect("another run folder");
    assert_ne!(first, second, "two runs in one second get two folders");
    let last = super::last_run_dir(&target).expect("the last run");
    assert!(last.is_dir() && last.starts_with(super::runs_dir(&target)));
    assert_eq!(last, second);
    let name = first.file_name().and_then(|n| n.to_str()).expect("a name");
    let pid = std::process::id().to_string();
    assert!(name.ends_with(&format!("Z-{pid}")), "{name}");
    assert_eq!(name.len(), "20261121T050557Z-".len() + pid.len());
}

#[test]
fn colors_follow_rustc() {
    let dir = folder("color", &[("widget-1a2b3c-4242.json", LEAK_A)]);
    let merged = load(&dir).expect("read the folder");
    let style = Style {
        color: true,
        ..Style::default()
    };
    let text = render::human(&merged, &Gate::default(), &style);
    assert!(
        text.contains("\x1b[1;31merror[leak]\x1b[0m\x1b[1m: 3 pointers from widget_new never released with widget_free\x1b[0m\n"),
        "{text:?}"
    );
    assert!(
        text.contains("  \x1b[1;34m-->\x1b[0m src/lib.rs:42:17\n"),
        "{text:?}"
    );
    assert!(
        text.contains("   \x1b[1;34m=\x1b[0m count: 3\n"),
        "{text:?}"
    );
}

#[test]
fn different_panics_of_one_export_merge_only_with_their_own_kind() {
    let panic = |message: &str| {
        format!(
            r#"{{"kind":"panic","function":"cb","message":"{message}","count":1,"bytes":null,"site":{{"file":"src/lib.rs","line":3,"column":1}}}}"#
        )
    };
    let a = format!(
        r#"{{"version":1,"program":"a","pid":1,"findings":[{},{}]}}"#,
        panic("panicked at src/lib.rs:5:9: first"),
        panic("panicked at src/lib.rs:6:9: second")
    );
    let b = format!(
        r#"{{"version":1,"program":"b","pid":2,"findings":[{}]}}"#,
        panic("panicked at src/lib.rs:5:9: first")
    );
    let dir = folder("panics", &[("a-1.json", &a), ("b-2.json", &b)]);
    let merged = load(&dir).expect("read the folder");
    let counts: Vec<(String, u64)> = merged
        .groups
        .iter()
        .map(|g| (g.first.message.clone(), g.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("panicked at src/lib.rs:5:9: first".to_owned(), 2),
            ("panicked at src/lib.rs:6:9: second".to_owned(), 1)
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_whose_only_report_is_cut_is_an_error_naming_it() {
    let dir = folder("only-cut", &[("w-3.json", r#"{"version":1,"findi"#)]);
    let err = load(&dir).expect_err("no report could be read");
    let text = err.to_string();
    assert!(text.contains("w-3.json"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pointer a `consume` function gave to C, then used again: the HTML
/// timeline names that step "consumed", not "released".
#[test]
fn html_timeline_names_a_consume() {
    const CONSUMED: &str = r#"{"version":1,"program":"widget-c0c0","pid":7,
 "findings":[{"kind":"use_after_free","function":"widget_id","count":1,"bytes":null,
   "message":"`w` was given to C by widget_give_to_pool and is passed to widget_id",
   "site":{"file":"tests/a.rs","line":9,"column":5},
   "free_site":{"file":"tests/a.rs","line":8,"column":5},"consumed":true},
  {"kind":"double_free","function":"widget_free","count":1,"bytes":null,
   "message":"`w` was already released by widget_free",
   "site":{"file":"tests/b.rs","line":4,"column":5},
   "free_site":{"file":"tests/b.rs","line":3,"column":5}}]}"#;
    let dir = folder("html-consume", &[("widget-7.json", CONSUMED)]);
    let merged = load(&dir).expect("a readable report");
    let gate = Gate::from_metadata(None, (&serde_json::Value::Null, "test")).expect("no gate");
    let page = super::html::render(&merged, &gate, None);
    assert_eq!(page.matches("consumed (given to C)").count(), 1, "{page}");
    assert!(page.contains(">released<"), "{page}");
    let _ = std::fs::remove_dir_all(&dir);
}
