//! What the integration tests share: mode switches and finding assertions.

#![allow(dead_code)]

use ffi_guard_rt::__private::set_mode_for_tests;
use ffi_guard_rt::{Finding, FindingKind, Mode};

/// A mode on this thread while alive, whatever `FFI_GUARD_MODE` says;
/// [`ModeScope::report`] (findings are recorded and the test goes on) is
/// the usual one.
#[must_use]
pub struct ModeScope(());

impl ModeScope {
    pub fn new(mode: Mode) -> ModeScope {
        set_mode_for_tests(Some(mode));
        ModeScope(())
    }
    pub fn report() -> ModeScope {
        ModeScope::new(Mode::Report)
    }
}

impl Drop for ModeScope {
    fn drop(&mut self) {
        set_mode_for_tests(None);
    }
}

/// Asserts that `found` is exactly one finding of `kind` in `function` at
/// `line` of the calling test file, and returns it.
#[track_caller]
pub fn one(found: &[Finding], kind: FindingKind, function: &str, line: u32) -> Finding {
    assert_eq!(found.len(), 1, "expected one finding, got {found:#?}");
    let f = &found[0];
    assert_at(f, kind, function, line);
    f.clone()
}

/// Asserts kind, function and site (line, and file: the calling test file).
#[track_caller]
pub fn assert_at(f: &Finding, kind: FindingKind, function: &str, line: u32) {
    assert_eq!(f.kind, kind, "{f:#?}");
    assert_eq!(f.function, function, "{f:#?}");
    assert_eq!(f.site.line, line, "{f:#?}");
    let here = std::panic::Location::caller().file();
    assert!(
        f.site.file.ends_with(here) || here.ends_with(&f.site.file),
        "site {} is not in {here}",
        f.site
    );
}
