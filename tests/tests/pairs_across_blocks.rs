//! Handles that C returns through out-parameters, and pairs whose release is
//! declared in another extern block, one fn per block as bindgen writes
//! them, with no annotation: what inference, the conventions and the
//! package's `[package.metadata.ffi-guard]` configuration make of them.

mod common;

use std::ffi::{c_char, c_int, c_long};
use std::ptr;

use common::{ModeScope, one};
use ffi_guard_rt::{Checkpoint, FindingKind, ffi_guard};
// The C library (`c/handles_out.c`) is bundled into the tests crate's rlib.
use ffi_guard_tests as _;

#[repr(C)]
#[derive(Debug)]
pub struct Xdb {
    magic: c_int,
    statements: c_int,
}

#[repr(C)]
#[derive(Debug)]
pub struct Xstmt {
    db: *mut Xdb,
    sql_len: usize,
}

#[repr(C)]
#[derive(Debug)]
pub struct Ydb {
    unused: c_int,
}

#[repr(C)]
#[derive(Debug)]
pub struct Acme {
    name: [c_char; 16],
}

// Inferred: `xdb_open`'s out-parameter receives an owned `Xdb` (the naming
// rule on a `*mut *mut T` parameter), released by `xdb_close` in another
// block: a tentative pair.
#[ffi_guard]
unsafe extern "C" {
    pub fn xdb_open(name: *const c_char, out: *mut *mut Xdb) -> c_int;
}
#[ffi_guard]
unsafe extern "C" {
    pub fn xdb_close(d: *mut Xdb) -> c_int;
}
// Explicit, across blocks: `text` and `alloc_out` name a release declared
// elsewhere.
#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(text(sql, nbytes), alloc_out(out, free = xstmt_finalize))]
    pub fn xdb_prepare(
        d: *mut Xdb,
        sql: *const c_char,
        nbytes: c_int,
        out: *mut *mut Xstmt,
    ) -> c_int;
}
#[ffi_guard]
unsafe extern "C" {
    pub fn xstmt_len(s: *const Xstmt) -> c_long;
}
#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(free(s))]
    pub fn xstmt_finalize(s: *mut Xstmt) -> c_int;
}
#[ffi_guard]
unsafe extern "C" {
    pub fn ydb_new() -> *mut Ydb;
}
#[ffi_guard]
unsafe extern "C" {
    pub fn ydb_free(y: *mut Ydb);
}
// `pairs` and `borrowed` of tests/Cargo.toml.
#[ffi_guard]
unsafe extern "C" {
    pub fn acme_get() -> *mut Acme;
}
#[ffi_guard]
unsafe extern "C" {
    pub fn acme_put(a: *mut Acme);
}
#[ffi_guard]
unsafe extern "C" {
    pub fn acme_shared_dup() -> *mut Acme;
}

#[track_caller]
fn open(name: &std::ffi::CStr) -> *mut Xdb {
    let mut db = ptr::null_mut();
    assert_eq!(unsafe { xdb_open(name.as_ptr(), &mut db) }, 0);
    db
}

#[test]
fn open_then_close_is_clean() {
    let cp = Checkpoint::now();
    let db = open(c"clean");
    let mut st = ptr::null_mut();
    let sql = "select 1; trailing";
    assert_eq!(
        unsafe { xdb_prepare(db, sql.as_ptr().cast(), 8, &mut st) },
        0
    );
    assert_eq!(unsafe { xstmt_len(st) }, 8);
    unsafe { xstmt_finalize(st) };
    assert_eq!(unsafe { xdb_close(db) }, 0);
    cp.assert_clean();
}

#[test]
fn a_failed_open_leaves_nothing_to_release() {
    let cp = Checkpoint::now();
    let mut db = ptr::null_mut();
    assert_eq!(unsafe { xdb_open(ptr::null(), &mut db) }, 1);
    assert!(db.is_null());
    cp.assert_clean();
}

#[test]
fn a_handle_never_closed_leaks_once_its_release_ran() {
    // `xdb_close` has run in this process: the pair exists.
    unsafe { xdb_close(open(c"first")) };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    let db = open(c"forgotten");
    let f = one(&cp.findings(), FindingKind::Leak, "xdb_open", line);
    assert_eq!(f.count, 1);
    unsafe { xdb_close(db) };
    cp.assert_clean();
}

#[test]
fn a_statement_never_finalized_leaks() {
    let db = open(c"stmt");
    let cp = Checkpoint::now();
    let mut st = ptr::null_mut();
    let line = line!() + 1;
    unsafe { xdb_prepare(db, c"select 2".as_ptr(), -1, &mut st) };
    let f = one(&cp.findings(), FindingKind::Leak, "xdb_prepare", line);
    assert_eq!(f.free_with.as_deref(), Some("xstmt_finalize"));
    assert_eq!(unsafe { xstmt_len(st) }, 8);
    unsafe { xstmt_finalize(st) };
    unsafe { xdb_close(db) };
    cp.assert_clean();
}

#[test]
fn closing_twice_is_a_double_free() {
    let _m = ModeScope::report();
    let db = open(c"twice");
    unsafe { xdb_close(db) };
    let cp = Checkpoint::now();
    let line = line!() + 1;
    unsafe { xdb_close(db) };
    one(&cp.findings(), FindingKind::DoubleFree, "xdb_close", line);
}

#[test]
fn a_closed_handle_passed_again_is_a_use_after_free() {
    let db = open(c"closed");
    unsafe { xdb_close(db) };
    let cp = Checkpoint::now();
    let mut st = ptr::null_mut();
    let sql = c"x".as_ptr();
    // Panic mode: the call panics before C reads the freed handle.
    let line = line!() + 1;
    let r = std::panic::catch_unwind(move || unsafe { xdb_prepare(db, sql, -1, &mut st) });
    assert!(r.is_err());
    one(
        &cp.findings(),
        FindingKind::UseAfterFree,
        "xdb_prepare",
        line,
    );
}

#[test]
fn null_text_with_a_length_is_a_null_pointer() {
    let db = open(c"text");
    let cp = Checkpoint::now();
    let mut st = ptr::null_mut();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(move || unsafe { xdb_prepare(db, ptr::null(), 4, &mut st) });
    assert!(r.is_err(), "the call must not reach C");
    let f = one(
        &cp.findings(),
        FindingKind::NullPointer,
        "xdb_prepare",
        line,
    );
    assert_eq!(f.message, "`sql` is null but `nbytes` is 4");
    // Negative: a C string; null is not refused (no `nonnull`).
    let cp = Checkpoint::now();
    let mut st = ptr::null_mut();
    assert_eq!(unsafe { xdb_prepare(db, ptr::null(), -1, &mut st) }, 1);
    unsafe { xdb_close(db) };
    cp.assert_clean();
}

#[test]
fn a_pair_whose_release_never_runs_reports_nothing() {
    // `ydb_free` is declared but never called: nothing proves the pair, so
    // no leak is reported (inference never reports from a pair it cannot
    // see whole).
    let cp = Checkpoint::now();
    let y = unsafe { ydb_new() };
    assert!(!y.is_null());
    cp.assert_clean();
    // SAFETY: released unguarded, as the program may do.
    unsafe { libc::free(y.cast()) };
}

#[test]
fn a_soft_release_takes_only_what_its_pairs_returned() {
    // A pointer from elsewhere, released by the inferred release: no
    // `unknown_free`, the call goes through. (64 bytes: glibc never hands
    // out the address of a closed 8-byte `Xdb` for it, which the ledger,
    // without `TrackingAllocator`, could not tell from that handle.)
    let cp = Checkpoint::now();
    let raw = unsafe { libc::calloc(1, 64) }.cast::<Xdb>();
    assert_eq!(unsafe { xdb_close(raw) }, 0);
    cp.assert_clean();
}

#[test]
fn package_pairs_and_borrowed_results() {
    let cp = Checkpoint::now();
    let a = unsafe { acme_get() };
    unsafe { acme_put(a) };
    cp.assert_clean();
    // `pairs`: acme_get is an allocation released by acme_put.
    let line = line!() + 1;
    let leaked = unsafe { acme_get() };
    one(&cp.findings(), FindingKind::Leak, "acme_get", line);
    unsafe { acme_put(leaked) };
    // `borrowed`: the naming rule would make `acme_shared_dup` an
    // allocation; the configuration says it is borrowed.
    let cp = Checkpoint::now();
    let shared = unsafe { acme_shared_dup() };
    assert!(!shared.is_null());
    cp.assert_clean();
}
