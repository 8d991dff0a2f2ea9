//! The report files that `ffi-guard-rt` writes, as this tool reads them: the
//! shared format of `ffi-guard-report`, read leniently. A finding's kind
//! stays text, so a report from a newer runtime with a kind unknown here is
//! still shown, not dropped; unknown fields are ignored and optional fields
//! may be missing.

pub use ffi_guard_report::{FORMAT_VERSION, Frame, ReportHead, Site};

/// One finding as read: its kind is kept by name (see [`KINDS`]).
pub type Finding = ffi_guard_report::Finding<String>;

/// Every finding kind of SPEC §3, in the order reports list them.
pub const KINDS: [&str; ffi_guard_report::FindingKind::COUNT] =
    ffi_guard_report::FindingKind::NAMES;
