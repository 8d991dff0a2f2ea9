use ffi_guard_rt::ffi_guard;

#[ffi_guard]
pub fn widget_count() -> i32 {
    0
}

fn main() {}
