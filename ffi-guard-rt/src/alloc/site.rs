//! The findings the allocator raises, and the user frame they point at.
//!
//! An allocator finding has no `#[track_caller]` location to lean on: the
//! dealloc comes from `Drop` glue deep in `alloc`. So this rare path captures
//! the stack (inside the caller's `Ignore` scope: it allocates), symbolizing
//! frame by frame only until the first one that is neither the runtime nor
//! the standard library. The full backtrace, when `FFI_GUARD_BACKTRACE=1`
//! asks for one, is the report's to capture, as for every finding.

use std::alloc::Layout;

use crate::finding::{Finding, FindingKind, Frame, Site};

/// The finding for a deallocation the allocator refused to forward.
/// `freed`: the address is a Rust block that was already freed.
pub(super) fn refused_finding(addr: usize, layout: Layout, freed: bool) -> Finding {
    let site = user_site();
    // A C pointer that a guarded function returned: name that function, and
    // take the pointer out of the leak count (one bug is one finding).
    let producer = crate::ledger::with_entry(addr, |e| match e {
        Some(e) if e.state == crate::ledger::State::Live => {
            e.reported = true;
            Some((e.owner, e.alloc_site, e.free_with))
        }
        _ => None,
    });
    let function = producer.map_or("dealloc", |p| p.0).to_owned();
    let (kind, message) = if freed && producer.is_none() {
        (
            FindingKind::DoubleFree,
            format!(
                "dealloc of {addr:#x} ({} bytes), a Rust block that was already freed; not forwarded",
                layout.size()
            ),
        )
    } else {
        let from = match producer {
            Some((owner, ..)) => format!("memory from the C function {owner}"),
            None => "memory the Rust allocator never returned".to_owned(),
        };
        (
            FindingKind::AllocatorMismatch,
            format!(
                "dealloc of {addr:#x} ({} bytes), {from} (given to Box::from_raw or \
                 CString::from_raw?); not forwarded, leaked",
                layout.size()
            ),
        )
    };
    Finding {
        kind,
        function,
        message,
        site,
        alloc_site: producer.map(|p| Site::from_location(p.1)),
        free_site: None,
        consumed: false,
        free_with: producer.and_then(|p| p.2).map(str::to_owned),
        count: 1,
        bytes: Some(layout.size() as u64),
        backtrace: None,
    }
}

/// The finding for a Rust dealloc of a block that a `consume` function gave
/// to C (`entry` is the ledger's record of that).
pub(super) fn consumed_finding(
    addr: usize,
    layout: Layout,
    entry: &crate::ledger::Entry,
) -> Finding {
    let by = entry.freed_by.unwrap_or(entry.owner);
    Finding {
        kind: FindingKind::DoubleFree,
        function: by.to_owned(),
        message: format!(
            "dealloc of {addr:#x} ({} bytes), a Rust block that {by} gave to C (consume); \
             released from Rust after consume; not forwarded, C keeps it",
            layout.size()
        ),
        site: user_site(),
        alloc_site: None,
        free_site: entry.free_site.map(Site::from_location),
        consumed: true,
        free_with: None,
        count: 1,
        bytes: Some(layout.size() as u64),
        backtrace: None,
    }
}

/// The first user frame on the stack, as a site.
fn user_site() -> Site {
    first_user_frame()
        .and_then(|f| {
            Some(Site {
                file: relative(f.frame.file.as_deref()?),
                line: f.frame.line?,
                column: f.column.unwrap_or(0),
            })
        })
        .unwrap_or_else(unknown_site)
}

struct Captured {
    frame: Frame,
    column: Option<u32>,
}

fn first_user_frame() -> Option<Captured> {
    let mut found = None;
    backtrace::trace(|raw| {
        // Inlined frames come innermost first: the first user symbol is the
        // line that dropped the value.
        backtrace::resolve_frame(raw, |sym| {
            if found.is_some() {
                return;
            }
            let Some(name) = sym.name() else { return };
            let c = Captured {
                frame: Frame {
                    function: format!("{name:#}"),
                    file: sym.filename().map(|p| p.display().to_string()),
                    line: sym.lineno(),
                },
                column: sym.colno(),
            };
            if is_user(&c.frame) {
                found = Some(c);
            }
        });
        found.is_none()
    });
    found
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
    // Sources of the standard library (`/rustc/<hash>/library/...`) and of
    // registry crates are not the user's either.
    const NOT_USER_FILES: &[&str] = &["/rustc/", "/.cargo/registry/", "/.cargo/git/"];
    let name = f.function.trim_start_matches('<');
    let Some(file) = f.file.as_deref() else {
        return false;
    };
    // The dealloc comes from Rust code: C frames (thread start) are not it.
    f.line.is_some()
        && file.ends_with(".rs")
        && !NOT_USER.iter().any(|p| name.starts_with(p))
        && !NOT_USER_FILES.iter().any(|p| file.contains(p))
}

/// Debug info names files by absolute path; `#[track_caller]` sites are
/// relative to the workspace root cargo compiled from. The outermost folder
/// above the file that holds a `Cargo.toml` is that root.
fn relative(file: &str) -> String {
    let path = std::path::Path::new(file);
    let root = path
        .ancestors()
        .skip(1)
        .filter(|d| d.join("Cargo.toml").is_file())
        .last();
    match root.and_then(|r| path.strip_prefix(r).ok()) {
        Some(rel) => rel.display().to_string(),
        None => file.to_owned(),
    }
}

fn unknown_site() -> Site {
    Site {
        file: "<unknown>".to_owned(),
        line: 0,
        column: 0,
    }
}
