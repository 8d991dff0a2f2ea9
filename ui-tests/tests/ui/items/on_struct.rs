use ffi_guard_rt::ffi_guard;

#[ffi_guard]
pub struct Widget {
    pub n: i32,
}

fn main() {}
