use std::ffi::c_int;

use ffi_guard_rt::ffi_guard;

#[repr(C)]
pub struct Db {
    _private: [u8; 0],
}

#[ffi_guard]
unsafe extern "C" {
    #[ffi_guard(alloc_out(db, free = db_close))]
    fn db_open(db: *mut Db) -> c_int;
    fn db_close(db: *mut Db) -> c_int;
}

fn main() {}
