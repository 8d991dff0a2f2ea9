//! The one record every check produces, and the stable names of its kinds:
//! the shared report format of `ffi-guard-report`, which `cargo ffi-guard`
//! reads with the very same types.

pub use ffi_guard_report::{Finding, FindingKind, Frame, Site};
