// rustc's own errors in a guarded body point at the user's code, once.
use ffi_guard_rt::ffi_guard;

#[ffi_guard]
#[unsafe(no_mangle)]
pub extern "C" fn widget_flag(n: u32) -> bool {
    let half: u32 = "not a number";
    n > half
}

fn main() {}
