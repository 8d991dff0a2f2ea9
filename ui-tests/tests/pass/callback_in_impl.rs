//! A callback defined in an `impl` block, handed to C's `qsort` as a function
//! pointer: the guard keeps its signature and ABI.

use std::cmp::Ordering;
use std::ffi::c_void;

use ffi_guard_rt::ffi_guard;

struct Sorter;

impl Sorter {
    #[ffi_guard(nonnull(a, b), on_error = 0)]
    extern "C" fn compare(a: *const c_void, b: *const c_void) -> i32 {
        let (a, b) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
        match a.cmp(&b) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    }
}

#[ffi_guard]
unsafe extern "C" {
    fn qsort(
        base: *mut c_void,
        nelem: usize,
        width: usize,
        compar: Option<extern "C" fn(*const c_void, *const c_void) -> i32>,
    );
}

fn main() {
    let mut v = [3i32, 1, 2];
    unsafe { qsort(v.as_mut_ptr().cast(), v.len(), size_of::<i32>(), Some(Sorter::compare)) };
    assert_eq!(v, [1, 2, 3]);
}
