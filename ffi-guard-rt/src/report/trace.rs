//! Backtraces of findings: captured unresolved (cheap) when the finding is
//! recorded, symbolized only when a report or a `Checkpoint` needs them, and
//! trimmed of the frames of std and of the runtime itself.

use std::sync::atomic::{AtomicU8, Ordering};

use backtrace::Backtrace;

use crate::finding::Frame;
use crate::reentrancy::Ignore;

/// A backtrace, raw until first needed, then kept symbolized.
#[derive(Clone, Debug)]
pub(crate) enum Trace {
    Raw(Backtrace),
    Resolved(Vec<Frame>),
}

impl Trace {
    /// The frames that matter to the user, symbolized.
    pub(crate) fn frames(&mut self) -> Vec<Frame> {
        let _g = Ignore::new();
        if let Trace::Raw(bt) = self {
            bt.resolve();
            let frames = trim(bt);
            *self = Trace::Resolved(frames);
        }
        match self {
            Trace::Resolved(f) => f.clone(),
            Trace::Raw(_) => Vec::new(),
        }
    }
}

/// Captures this thread's stack, unresolved.
pub(crate) fn capture() -> Option<Trace> {
    let _g = Ignore::new();
    Some(Trace::Raw(Backtrace::new_unresolved()))
}

/// `FFI_GUARD_BACKTRACE=1`: every finding gets a backtrace, not only panics.
pub(crate) fn enabled() -> bool {
    // 0: not read yet, 1: off, 2: on.
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let _g = Ignore::new();
            let on =
                std::env::var_os("FFI_GUARD_BACKTRACE").is_some_and(|v| v == "1" || v == "full");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
    }
}

/// Frames of these crates are plumbing: the capture, the panic machinery,
/// the runtime's own checks.
const INTERNAL: &[&str] = &[
    "backtrace::",
    "std::",
    "core::",
    "alloc::",
    "ffi_guard_rt::",
    "<std::",
    "<core::",
    "<alloc::",
    "<ffi_guard_rt::",
    "<backtrace::",
    "__rust",
    "rust_begin_unwind",
    "rust_panic",
];

fn trim(bt: &Backtrace) -> Vec<Frame> {
    let mut out = Vec::new();
    for frame in bt.frames() {
        for sym in frame.symbols() {
            let name = match sym.name() {
                Some(n) => format!("{n:#}"),
                None => continue,
            };
            if INTERNAL.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            out.push(Frame {
                function: name,
                file: sym.filename().map(|p| p.to_string_lossy().into_owned()),
                line: sym.lineno(),
            });
        }
    }
    // The process entry and the C runtime's start-up say nothing useful.
    while out.last().is_some_and(|f| {
        matches!(
            f.function.as_str(),
            "_start"
                | "__libc_start_main"
                | "__libc_start_call_main"
                | "main"
                | "clone"
                | "clone3"
                | "start_thread"
        )
    }) {
        out.pop();
    }
    out
}
