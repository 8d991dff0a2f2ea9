//! The findings the allocator raises, and the user frame they point at.
//!
//! An allocator finding has no `#[track_caller]` location to lean on: the
//! dealloc comes from `Drop` glue deep in `alloc`. So this rare path captures
//! a backtrace (inside the caller's `Ignore` scope: it allocates) and takes
//! the first frame that is neither the runtime nor the standard library.

use std::alloc::Layout;

use crate::finding::{Finding, FindingKind, Frame, Site};

/// The finding for a deallocation the allocator refused to forward.
/// `freed`: the address is a Rust block that was already freed.
pub(super) fn refused_finding(addr: usize, layout: Layout, freed: bool) -> Finding {
    let frames = capture();
    let user = frames.iter().position(|f| is_user(&f.frame));
    let site = user
        .and_then(|i| frames.get(i))
        .and_then(|f| {
            Some(Site {
                file: f.frame.file.clone()?,
                line: f.frame.line?,
                column: f.column.unwrap_or(0),
            })
        })
        .unwrap_or_else(unknown_site);
    // FIXME: name the guarded C function that produced `addr` once the
    // ledger answers it (requested of the ledger's owner); `dealloc` meanwhile.
    let function = "dealloc".to_owned();
    let (kind, message) = if freed {
        (
            FindingKind::DoubleFree,
            format!(
                "dealloc of {addr:#x} ({} bytes), a Rust block that was already freed; not forwarded",
                layout.size()
            ),
        )
    } else {
        (
            FindingKind::AllocatorMismatch,
            format!(
                "dealloc of {addr:#x} ({} bytes), which the Rust allocator never returned \
                 (C memory given to Box::from_raw or CString::from_raw?); not forwarded, leaked",
                layout.size()
            ),
        )
    };
    let backtrace = wants_backtrace().then(|| {
        frames
            .into_iter()
            .skip(user.unwrap_or(0))
            .map(|f| f.frame)
            .collect()
    });
    Finding {
        kind,
        function,
        message,
        site,
        alloc_site: None,
        free_site: None,
        free_with: None,
        count: 1,
        bytes: Some(layout.size() as u64),
        backtrace,
    }
}

struct Captured {
    frame: Frame,
    column: Option<u32>,
}

fn capture() -> Vec<Captured> {
    let mut out = Vec::new();
    backtrace::trace(|raw| {
        backtrace::resolve_frame(raw, |sym| {
            let Some(name) = sym.name() else { return };
            out.push(Captured {
                frame: Frame {
                    function: format!("{name:#}"),
                    file: sym.filename().map(|p| p.display().to_string()),
                    line: sym.lineno(),
                },
                column: sym.colno(),
            });
        });
        true
    });
    out
}

/// Frames of the runtime, the backtrace machinery and the standard library
/// (allocation shims and `Drop` glue) are not where the user's bug is.
fn is_user(f: &Frame) -> bool {
    const NOT_USER: &[&str] = &[
        "backtrace::",
        "ffi_guard_rt::",
        "std::",
        "core::",
        "alloc::",
        "__rust",
        "__rdl",
        "__rg_",
    ];
    let name = f.function.trim_start_matches('<');
    f.file.is_some() && f.line.is_some() && !NOT_USER.iter().any(|p| name.starts_with(p))
}

fn unknown_site() -> Site {
    Site {
        file: "<unknown>".to_owned(),
        line: 0,
        column: 0,
    }
}

fn wants_backtrace() -> bool {
    std::env::var_os("FFI_GUARD_BACKTRACE").is_some_and(|v| v == "1")
}
