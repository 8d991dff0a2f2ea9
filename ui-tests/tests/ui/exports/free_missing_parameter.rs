use ffi_guard_rt::ffi_guard;

pub struct Widget;

#[ffi_guard(free(p))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn widget_free(w: *mut Widget) {
    drop(unsafe { Box::from_raw(w) });
}

fn main() {}
