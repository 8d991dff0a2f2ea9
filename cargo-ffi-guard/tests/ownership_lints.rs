//! The ownership lints over their fixture crates: every `// ~ <lint>` marker
//! must get a diagnostic of that lint on that line and no other line may get
//! one; the diagnostics themselves are snapshot-tested.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use cargo_ffi_guard::context::LintContext;
use cargo_ffi_guard::diag::Diagnostic;
use cargo_ffi_guard::lints;
use cargo_ffi_guard::workspace::crate_from_source;

/// Runs `lint` on its fixture and returns (expected lines, diagnostics).
fn run(lint: &str) -> (BTreeMap<usize, usize>, Vec<Diagnostic>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(lint)
        .join("src/lib.rs");
    let text = fs::read_to_string(&path).expect("fixture exists");
    let mut expected = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, marks)) = line.split_once("// ~ ") {
            let n = marks.split_whitespace().filter(|m| *m == lint).count();
            if n > 0 {
                expected.insert(i + 1, n);
            }
        }
    }
    let krate = crate_from_source(&text);
    assert!(krate.parse_errors.is_empty(), "{:?}", krate.parse_errors);
    let lint = lints::find(lint).expect("lint is registered");
    let mut out = Vec::new();
    (lint.check)(&LintContext::new(&krate), &mut out);
    (expected, out)
}

fn check(lint: &str) -> Vec<String> {
    let (expected, diags) = run(lint);
    let mut got: BTreeMap<usize, usize> = BTreeMap::new();
    for d in &diags {
        assert_eq!(d.lint, lint);
        *got.entry(d.span.line).or_default() += 1;
    }
    let rendered: Vec<String> = diags
        .iter()
        .map(|d| {
            let mut s = format!("{}:{}: {}", d.span.line, d.span.column, d.message);
            if let Some(h) = &d.help {
                s.push_str(&format!("\n  help: {h}"));
            }
            for r in &d.related {
                s.push_str(&format!(
                    "\n  {}:{}: {}",
                    r.span.line, r.span.column, r.message
                ));
            }
            for f in &d.fix {
                s.push_str(&format!("\n  fix {}..{}: {:?}", f.start, f.end, f.text));
            }
            s
        })
        .collect();
    assert_eq!(
        got,
        expected,
        "lines with diagnostics vs markers:\n{}",
        rendered.join("\n")
    );
    rendered
}

#[test]
fn leaked_into_raw() {
    insta::assert_snapshot!(check("leaked_into_raw").join("\n"));
}

#[test]
fn unpaired_foreign_alloc() {
    insta::assert_snapshot!(check("unpaired_foreign_alloc").join("\n"));
}

#[test]
fn mismatched_free() {
    insta::assert_snapshot!(check("mismatched_free").join("\n"));
}

#[test]
fn double_free() {
    insta::assert_snapshot!(check("double_free").join("\n"));
}

#[test]
fn dangling_cstring_ptr() {
    insta::assert_snapshot!(check("dangling_cstring_ptr").join("\n"));
}

#[test]
fn str_as_cstr() {
    insta::assert_snapshot!(check("str_as_cstr").join("\n"));
}

#[test]
fn ptr_len_mismatch() {
    insta::assert_snapshot!(check("ptr_len_mismatch").join("\n"));
}

#[test]
fn errno_clobbered() {
    insta::assert_snapshot!(check("errno_clobbered").join("\n"));
}

/// The `--fix` edit for a bound temporary rebinds the `CString` to a local,
/// and the fixed text no longer has the finding.
#[test]
fn dangling_fix_applies() {
    let (_, diags) = run("dangling_cstring_ptr");
    let d = diags
        .iter()
        .find(|d| !d.fix.is_empty())
        .expect("the bound temporary has a fix");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dangling_cstring_ptr/src/lib.rs");
    let mut text = fs::read_to_string(path).expect("fixture exists");
    let mut edits = d.fix.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.start));
    for e in edits {
        text.replace_range(e.start..e.end, &e.text);
    }
    assert!(
        text.contains(
            "let p_owned = CString::new(\"hi\").unwrap();\n    let p = p_owned.as_ptr();"
        ),
        "{text}"
    );
    let krate = crate_from_source(&text);
    let mut out = Vec::new();
    (lints::find("dangling_cstring_ptr")
        .expect("registered")
        .check)(&LintContext::new(&krate), &mut out);
    assert_eq!(out.len(), diags.len() - 1);
}

/// A pointer a foreign fn returns, released by Rust: flagged when the crate
/// never hands out that kind of allocation (so it cannot be user data
/// coming back), not flagged when it does.
#[test]
fn c_returned_pointer_released_by_rust() {
    let lint = lints::find("mismatched_free").expect("registered");
    let run = |src: &str| {
        let krate = crate_from_source(src);
        let mut out = Vec::new();
        (lint.check)(&LintContext::new(&krate), &mut out);
        out.iter().map(|d| d.span.line).collect::<Vec<_>>()
    };
    let decls = r#"
use std::ffi::{CString, c_char, c_void};
pub struct T { pub n: u8 }
unsafe extern "C" {
    fn get_name() -> *mut c_char;
    fn get_data() -> *mut c_void;
    fn make_buf(out: *mut *mut u8) -> i32;
    fn set_data(d: *mut c_void);
}
pub fn a() { let n = unsafe { get_name() }; drop(unsafe { CString::from_raw(n) }); }
pub fn b() { let d = unsafe { get_data() }; drop(unsafe { Box::from_raw(d as *mut T) }); }
pub fn c() { let mut p = std::ptr::null_mut(); unsafe { make_buf(&mut p) }; drop(unsafe { Vec::from_raw_parts(p, 4, 4) }); }
"#;
    assert_eq!(run(decls), vec![10, 11, 12]);
    let with_handouts = format!(
        "{decls}pub fn d() {{ unsafe {{ set_data(Box::into_raw(Box::new(T {{ n: 1 }})).cast()) }}; }}\n\
         pub fn e() -> *mut c_char {{ CString::new(\"x\").unwrap().into_raw() }}\n"
    );
    assert_eq!(run(&with_handouts), vec![12]);
}

/// Generated code nests deeper than the dataflow follows: it gives the
/// body up instead of overflowing the stack (tests run on 2 MiB threads).
#[test]
fn deep_nesting_is_given_up_not_overflowed() {
    let n = 600;
    let src = format!(
        "pub fn f() -> u32 {{ {} }}\npub fn g(v: Vec<u8>) -> usize {{ v{}.len() }}\n\
         pub fn h(p: *mut u8) {{ unsafe {{ libc::free(p); libc::free(p); }} }}\n",
        vec!["1"; n].join(" + "),
        ".clone()".repeat(n),
    );
    let krate = crate_from_source(&src);
    let mut out = Vec::new();
    for name in [
        "double_free",
        "errno_clobbered",
        "leaked_into_raw",
        "dangling_cstring_ptr",
    ] {
        (lints::find(name).expect("registered").check)(&LintContext::new(&krate), &mut out);
    }
    // The shallow fn next to the deep ones is still analysed.
    assert_eq!(
        out.iter()
            .map(|d| (d.lint, d.span.line))
            .collect::<Vec<_>>(),
        vec![("double_free", 3)]
    );
}

/// `Vec::into_raw_parts` in both spellings, its pointer handed to C: leaked
/// while the crate has no `Vec::from_raw_parts`, quiet once it has one.
#[test]
fn into_raw_parts_needs_from_raw_parts() {
    let lint = lints::find("leaked_into_raw").expect("registered");
    let run = |src: &str| {
        let krate = crate_from_source(src);
        let mut out = Vec::new();
        (lint.check)(&LintContext::new(&krate), &mut out);
        out.iter().map(|d| d.span.line).collect::<Vec<_>>()
    };
    let src = r#"
use std::ffi::c_void;
unsafe extern "C" { fn keep(p: *mut c_void, n: usize); }
pub fn a(v: Vec<u8>) { let (p, l, _c) = v.into_raw_parts(); unsafe { keep(p.cast(), l) } }
pub fn b(v: Vec<u8>) { let (p, l, _c) = Vec::into_raw_parts(v); unsafe { keep(p.cast(), l) } }
"#;
    assert_eq!(run(src), vec![4, 5]);
    let released = format!(
        "{src}#[unsafe(no_mangle)]\n\
         pub extern \"C\" fn release(p: *mut u8, l: usize, c: usize) {{ drop(unsafe {{ Vec::from_raw_parts(p, l, c) }}); }}\n"
    );
    assert_eq!(run(&released), Vec::<usize>::new());
}
