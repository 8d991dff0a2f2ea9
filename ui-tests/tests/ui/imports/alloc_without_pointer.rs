use ffi_guard_rt::ffi_guard;

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(alloc(free = free))]
    fn rand() -> i32;
}

fn main() {}
