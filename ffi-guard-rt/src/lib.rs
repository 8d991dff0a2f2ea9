//! ffi-guard's runtime: the ownership ledger, argument checks, the tracking
//! allocator, generation-checked handles, and leak and misuse reports.
//!
//! Users depend on this crate only; it re-exports the attribute as
//! [`ffi_guard`].
//!
//! Environment, read once:
//! - `FFI_GUARD_MODE` = `panic` (default) | `report` | `abort`: what a finding does;
//! - `FFI_GUARD_REPORT_DIR`: where `<program>-<pid>.json` (and, while the
//!   process runs, `<program>-<pid>.jsonl`) are written;
//! - `FFI_GUARD_BACKTRACE=1`: a backtrace on every finding, not only on panics.
//!
//! Without the default `checks` feature, a guarded import is the raw call
//! plus the errno capture and an export keeps only its panic catch.

mod alloc;
mod errno;
mod finding;
mod handle;
// Without `checks` only the public `Mode` type and the test hooks remain.
#[cfg_attr(not(feature = "checks"), allow(dead_code))]
mod mode;
mod panic;
// Without `checks` nothing of the runtime allocates on the allocator's path.
#[cfg_attr(not(feature = "checks"), allow(dead_code))]
mod reentrancy;
mod report;
mod testing;
mod transfer;

#[cfg(feature = "checks")]
mod check;
#[cfg(feature = "checks")]
mod guard;
#[cfg(feature = "checks")]
mod ledger;
#[cfg(feature = "checks")]
mod pairing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use alloc::TrackingAllocator;
pub use errno::{last_errno, last_os_error};
pub use ffi_guard_macros::ffi_guard;
pub use finding::{Finding, FindingKind, Frame, Site};
pub use handle::{HandleError, HandleMap};
pub use mode::Mode;
pub use testing::Checkpoint;
pub use transfer::{hand_to_c, take_from_c};
