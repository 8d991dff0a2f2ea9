//! Planted bugs over rusqlite's -sys crate, guarded by the attribute alone.
//! Each `// PLANTED: kind` line must be reported as that kind at that line.
//! Panic mode: every guarded call with a bug panics before SQLite runs it,
//! so nothing here touches freed memory; the report holds every finding.

use std::ffi::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use libsqlite3_sys as ffi;

// Nothing infers `nonnull` (a null handle is valid for many SQLite calls):
// this one is the program's own declaration, with an alias-free option.
#[ffi_guard_rt::ffi_guard]
unsafe extern "C" {
    #[ffi_guard(nonnull(db))]
    fn sqlite3_extended_errcode(db: *mut ffi::sqlite3) -> c_int;
}

fn planted(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

fn main() {
    unsafe {
        let mut db = ptr::null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE;
        assert_eq!(ffi::sqlite3_open_v2(c":memory:".as_ptr(), &mut db, flags, ptr::null()), 0);
        let sql = "select 1";
        let mut stmt = ptr::null_mut();
        let rc = ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast(), sql.len() as c_int, &mut stmt, ptr::null_mut());
        assert_eq!(rc, 0);
        assert_eq!(ffi::sqlite3_step(stmt), ffi::SQLITE_ROW);
        ffi::sqlite3_finalize(stmt);

        planted(|| {
            ffi::sqlite3_step(stmt); // PLANTED: use_after_free
        });
        planted(|| {
            ffi::sqlite3_finalize(stmt); // PLANTED: double_free
        });
        planted(|| {
            sqlite3_extended_errcode(ptr::null_mut()); // PLANTED: null_pointer
        });
        let rust = Box::into_raw(vec![7u8; 64].into_boxed_slice());
        planted(|| {
            ffi::sqlite3_free(rust.cast()); // PLANTED: allocator_mismatch
        });
        drop(Box::from_raw(rust));

        assert_eq!(ffi::sqlite3_close(db), 0);
    }
}
