use ffi_guard_rt::ffi_guard;

// A diverging export has no value to return after a panic: the error names
// the one `on_error` that fits, abort.
#[ffi_guard]
#[unsafe(no_mangle)]
pub extern "C" fn ui_die(code: i32) -> ! {
    std::process::exit(code)
}

fn main() {}
