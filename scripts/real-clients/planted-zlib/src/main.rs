//! Planted bugs over flate2's -sys crate, guarded by the attribute alone.
//! Each `// PLANTED: kind` line must be reported as that kind at that line.
//! zlib has no handle that C allocates and releases (a `z_stream` is the
//! caller's memory), so its bugs are a stream used after Rust freed it and
//! a null stream.

use std::ffi::c_int;
use std::mem::{MaybeUninit, size_of};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use libz_sys as z;

// Nothing infers `nonnull`: the program's own declaration, whose parameter
// type is zlib's alias `z_streamp`.
#[ffi_guard_rt::ffi_guard]
unsafe extern "C" {
    #[ffi_guard(nonnull(strm))]
    #[link_name = "deflateEnd"]
    fn deflate_end_nonnull(strm: z::z_streamp) -> c_int;
}

fn planted(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

fn main() {
    unsafe {
        // A correct stream first: `deflateInit_`'s `version` is a C string
        // and `stream_size` is no length of it (no finding).
        let mut strm: Box<MaybeUninit<z::z_stream>> = Box::new(MaybeUninit::zeroed());
        let p = strm.as_mut_ptr();
        let size = size_of::<z::z_stream>() as c_int;
        assert_eq!(z::deflateInit_(p, 6, z::zlibVersion(), size), z::Z_OK);
        let input = b"hello hello hello hello".to_vec();
        let mut out = vec![0u8; 128];
        (*p).next_in = input.as_ptr() as *mut u8;
        (*p).avail_in = input.len() as u32;
        (*p).next_out = out.as_mut_ptr();
        (*p).avail_out = out.len() as u32;
        assert_eq!(z::deflate(p, z::Z_FINISH), z::Z_STREAM_END);
        assert_eq!(z::deflateEnd(p), z::Z_OK);
        drop(strm);

        planted(|| {
            z::deflate(p, z::Z_FINISH); // PLANTED: use_after_free
        });
        planted(|| {
            deflate_end_nonnull(ptr::null_mut()); // PLANTED: null_pointer
        });
    }
}
