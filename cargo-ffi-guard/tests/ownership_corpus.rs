//! The ownership lints over real FFI crates. Runs only when
//! `FFI_GUARD_CORPUS_LIST` names a list of `NAME VERSION DIR` lines (the crates
//! are not part of this repository); prints every finding and the time the
//! dataflow took next to the time parsing took, and fails on a crash or
//! when the dataflow alone exceeds its budget.

use std::time::{Duration, Instant};

use cargo_ffi_guard::context::LintContext;
use cargo_ffi_guard::lints;
use cargo_ffi_guard::workspace;

const OWNERSHIP_LINTS: &[&str] = &[
    "leaked_into_raw",
    "unpaired_foreign_alloc",
    "mismatched_free",
    "double_free",
    "dangling_cstring_ptr",
    "str_as_cstr",
    "ptr_len_mismatch",
    "errno_clobbered",
];

#[test]
fn corpus() {
    let Ok(list) = std::env::var("FFI_GUARD_CORPUS_LIST") else {
        eprintln!("FFI_GUARD_CORPUS_LIST is not set: nothing to do");
        return;
    };
    let list = std::fs::read_to_string(&list).expect("the corpus list is readable");
    let (mut parse, mut analyse) = (Duration::ZERO, Duration::ZERO);
    for line in list.lines() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(_), Some(dir)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let manifest = std::path::Path::new(dir).join("Cargo.toml");
        let ws = match workspace::load(Some(&manifest), false, &[]) {
            Ok(ws) => ws,
            Err(e) => {
                println!("{name}: cannot load: {e}");
                continue;
            }
        };
        for pkg in &ws.packages {
            let t = Instant::now();
            let krate = workspace::load_crate(pkg);
            parse += t.elapsed();
            let t = Instant::now();
            let cx = LintContext::new(&krate);
            let analysis = cx.ownership();
            let mut out = Vec::new();
            for l in OWNERSHIP_LINTS {
                (lints::find(l).expect("registered").check)(&cx, &mut out);
            }
            let took = t.elapsed();
            analyse += took;
            println!(
                "{name}: {} files, {} facts, {} findings, dataflow {:?}",
                krate.files.len(),
                analysis.facts.len(),
                out.len(),
                took
            );
            if std::env::var_os("FFI_GUARD_CORPUS_FACTS").is_some() {
                for f in &analysis.facts {
                    println!("  fact {f:?}");
                }
            }
            for d in &out {
                println!(
                    "  {}[{}] {}/{}:{}:{} {}",
                    d.lint,
                    lints::find(d.lint).map_or("?", |l| l.default_level.name()),
                    name,
                    d.span.file,
                    d.span.line,
                    d.span.column,
                    d.message
                );
            }
        }
    }
    println!("total: parsing {parse:?}, ownership dataflow and lints {analyse:?}");
    assert!(
        analyse < Duration::from_secs(1),
        "the dataflow took {analyse:?}"
    );
}
