use ffi_guard_rt::ffi_guard;

pub struct Widget;

#[repr(C)]
pub struct Status {
    pub code: i32,
}

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(free(w))]
    fn widget_close(w: *mut Widget) -> Status;
}

fn main() {}
