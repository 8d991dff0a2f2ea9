//! What happens at a finding: `FFI_GUARD_MODE`, read once, and the hidden
//! per-thread and per-process overrides that the runtime's own tests use.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

/// What the runtime does when a guarded call produces a finding.
///
/// Chosen by `FFI_GUARD_MODE` (`panic`, `report` or `abort`), read once, the
/// first time a finding needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Record the finding, then panic at the Rust caller's line, before the
    /// foreign call (the default).
    Panic,
    /// Record the finding and go on as unguarded code would, except that a
    /// release of memory that is not live is never forwarded.
    Report,
    /// Record the finding, write the report, abort the process.
    Abort,
}

impl Mode {
    /// The spelling of `FFI_GUARD_MODE`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Panic => "panic",
            Mode::Report => "report",
            Mode::Abort => "abort",
        }
    }

    /// Parses the spelling of `FFI_GUARD_MODE` (case-insensitive, trimmed).
    pub fn from_name(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "panic" => Some(Mode::Panic),
            "report" => Some(Mode::Report),
            "abort" => Some(Mode::Abort),
            _ => None,
        }
    }

    const fn to_u8(self) -> u8 {
        match self {
            Mode::Panic => 1,
            Mode::Report => 2,
            Mode::Abort => 3,
        }
    }

    const fn from_u8(v: u8) -> Option<Mode> {
        match v {
            1 => Some(Mode::Panic),
            2 => Some(Mode::Report),
            3 => Some(Mode::Abort),
            _ => None,
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// 0 until the environment was read.
static FROM_ENV: AtomicU8 = AtomicU8::new(0);
/// 0: no process-wide override.
static PROCESS: AtomicU8 = AtomicU8::new(0);

thread_local! {
    // Const-initialised and without a destructor, so it works on threads
    // that C created and while a thread exits.
    static THREAD: Cell<u8> = const { Cell::new(0) };
}

/// The mode in force on this thread: a per-thread override, else a
/// per-process override, else `FFI_GUARD_MODE`.
pub fn current() -> Mode {
    let t = THREAD.try_with(|t| t.get()).unwrap_or(0);
    if let Some(m) = Mode::from_u8(t) {
        return m;
    }
    if let Some(m) = Mode::from_u8(PROCESS.load(Ordering::Relaxed)) {
        return m;
    }
    from_env()
}

/// Overrides the mode on this thread (`None` removes the override).
pub fn set_for_thread(mode: Option<Mode>) {
    let _ = THREAD.try_with(|t| t.set(mode.map_or(0, Mode::to_u8)));
}

/// Overrides the mode for the whole process (`None` removes the override).
pub fn set_for_process(mode: Option<Mode>) {
    PROCESS.store(mode.map_or(0, Mode::to_u8), Ordering::Relaxed);
}

fn from_env() -> Mode {
    if let Some(m) = Mode::from_u8(FROM_ENV.load(Ordering::Relaxed)) {
        return m;
    }
    let _g = crate::reentrancy::Ignore::new();
    let mode = match std::env::var_os("FFI_GUARD_MODE") {
        None => Mode::Panic,
        Some(v) => match v.to_str().and_then(Mode::from_name) {
            Some(m) => m,
            None => {
                // Two threads may both get here on the first finding; the
                // message is then printed twice, which is harmless.
                let msg = format!(
                    "ffi-guard: FFI_GUARD_MODE={:?} is not a mode; expected one of: panic, report, abort; using panic\n",
                    v
                );
                crate::report::write_stderr(msg.as_bytes());
                Mode::Panic
            }
        },
    };
    FROM_ENV.store(mode.to_u8(), Ordering::Relaxed);
    mode
}
