//! Ownership that moves through memory rather than through an argument or a
//! return value: Rust stores a pointer into a C struct field that C frees
//! later (SQLite's `zErrMsg`), or C writes into a struct a pointer that Rust
//! must free. The wrapper of a guarded function cannot see such a move, so
//! the program records it with these two functions.

use std::panic::Location;

/// Records that ownership of `p` passes to C, as a `consume(p)` option
/// would: Rust must not use or release `p` any more. Using it later through
/// a guarded function, or releasing it from Rust, is a finding
/// (`use_after_free`, `double_free`); handing over a pointer that was
/// already released or given away is one too, reported here at the
/// caller's line (in panic mode this call panics). Null is ignored.
///
/// ```
/// # use std::ffi::{c_char, CString};
/// # struct VTab { z_err_msg: *mut c_char }
/// # let mut vtab = VTab { z_err_msg: std::ptr::null_mut() };
/// let msg = CString::new("no such column").unwrap().into_raw();
/// vtab.z_err_msg = msg; // C frees it later
/// ffi_guard_rt::hand_to_c(msg);
/// # drop(unsafe { CString::from_raw(vtab.z_err_msg) });
/// ```
#[track_caller]
pub fn hand_to_c<T>(p: *const T) {
    #[cfg(feature = "checks")]
    {
        use crate::__private::{Call, FnInfo};
        static INFO: FnInfo = FnInfo::new("hand_to_c", None);
        let mut call = Call::new(&INFO, Location::caller());
        call.consume(p, "p");
        if call.proceed() {
            call.done();
        }
    }
    #[cfg(not(feature = "checks"))]
    let _ = p;
}

/// Records that Rust now owns `p`, which C handed over through memory, and
/// must release it with the guarded function named `free_with`, as an
/// `alloc(free = free_with)` option would: releasing it with another
/// guarded function is `allocator_mismatch`, twice is `double_free`, never
/// is a `leak` reported at this call's line. Null is ignored.
///
/// ```
/// # use std::ffi::c_void;
/// # struct Out { buf: *mut c_void }
/// # let out = Out { buf: std::ptr::null_mut() };
/// // C filled `out.buf`; Rust must give it back to the guarded `lib_free`.
/// ffi_guard_rt::take_from_c(out.buf, "lib_free");
/// ```
#[track_caller]
pub fn take_from_c<T>(p: *const T, free_with: &'static str) {
    #[cfg(feature = "checks")]
    if !p.is_null() {
        let (pointee, _) = crate::guard::pointee_of::<T>();
        crate::ledger::insert_live(
            p as *const () as usize,
            "take_from_c",
            Some(free_with),
            Location::caller(),
            pointee,
        );
        crate::report::ensure_exit_hook();
    }
    #[cfg(not(feature = "checks"))]
    let _ = (p, free_with, Location::caller());
}
