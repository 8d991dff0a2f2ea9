//! ffi-guard's runtime: the ownership ledger, argument checks, the tracking
//! allocator, generation-checked handles, and leak and misuse reports.
//!
//! Users depend on this crate only; it re-exports the attribute as
//! [`ffi_guard`].

mod alloc;
mod errno;
mod finding;
mod handle;
mod reentrancy;
mod report;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use errno::{last_errno, last_os_error};
pub use ffi_guard_macros::ffi_guard;
pub use finding::{Finding, FindingKind, Frame, Site};
pub use handle::{HandleError, HandleMap};
pub use alloc::TrackingAllocator;
