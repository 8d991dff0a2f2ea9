use ffi_guard_rt::ffi_guard;

pub struct Widget;

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(free(p))]
    fn widget_free(w: *mut Widget);
}

fn main() {}
