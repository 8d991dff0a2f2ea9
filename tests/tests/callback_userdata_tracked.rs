//! The callback user-data pattern with `TrackingAllocator` installed (see
//! `userdata_common`): the allocator knows the Rust box, the `consume`
//! function enters it in the ledger, and the destructor callback's
//! `Box::from_raw` must still be a normal free, not "released from Rust
//! after consume".

mod common;
mod userdata_common;

use ffi_guard_rt::TrackingAllocator;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn rust_box_user_data_is_c_to_pass_back() {
    userdata_common::rust_box_round_trip();
}

#[test]
fn c_pointer_user_data_is_c_to_pass_back() {
    userdata_common::c_pointer_round_trip();
}
