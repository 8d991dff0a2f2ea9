//! A diverging export guarded with `on_error = std::process::abort()`
//! compiles without a warning (the expansion's code after the `!` body is
//! unreachable by construction).

#![deny(warnings)]

use ffi_guard_rt::ffi_guard;

#[ffi_guard(on_error = std::process::abort())]
#[unsafe(no_mangle)]
pub extern "C" fn ui_exit_with(code: i32) -> ! {
    std::process::exit(code)
}

fn main() {
    // Not called: it would end the test process.
    let f: extern "C" fn(i32) -> ! = ui_exit_with;
    let _ = f;
}
