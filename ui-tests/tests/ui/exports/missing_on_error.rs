use ffi_guard_rt::ffi_guard;

#[ffi_guard]
#[unsafe(no_mangle)]
pub extern "C" fn widget_count() -> i32 {
    0
}

fn main() {}
