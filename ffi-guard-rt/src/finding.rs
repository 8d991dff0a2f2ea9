//! The one record every check produces, and the stable names of its kinds.

use serde::{Deserialize, Serialize};

/// What went wrong. The `snake_case` names are stable: they appear in JSON
/// reports and in the human text, and users match on them in CI scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Pointers an `alloc` function returned that were never released.
    Leak,
    /// A pointer released twice, or released from Rust after `consume`.
    DoubleFree,
    /// A guarded release of a pointer no guarded `alloc` ever returned.
    UnknownFree,
    /// Memory released by a function (or allocator) other than its own.
    AllocatorMismatch,
    /// A released or consumed pointer, or a freed Rust block, passed on.
    UseAfterFree,
    /// Null where `nonnull` forbids it, or a null slice with a length.
    NullPointer,
    /// A non-null pointer not aligned for its pointee.
    MisalignedPointer,
    /// A slice length whose size in bytes overflows or exceeds `isize::MAX`.
    LengthOverflow,
    /// A slice running past the end of its Rust heap block.
    OutOfBounds,
    /// A C string with no NUL before the end of its Rust heap block.
    UnterminatedCstr,
    /// A panic caught at a guarded export.
    Panic,
    /// A stale, forged or removed `HandleMap` handle.
    StaleHandle,
}

impl FindingKind {
    /// Every kind, in the order of SPEC §3.
    pub const ALL: [FindingKind; 12] = [
        FindingKind::Leak,
        FindingKind::DoubleFree,
        FindingKind::UnknownFree,
        FindingKind::AllocatorMismatch,
        FindingKind::UseAfterFree,
        FindingKind::NullPointer,
        FindingKind::MisalignedPointer,
        FindingKind::LengthOverflow,
        FindingKind::OutOfBounds,
        FindingKind::UnterminatedCstr,
        FindingKind::Panic,
        FindingKind::StaleHandle,
    ];

    /// The stable name, as in JSON (`double_free`).
    pub const fn name(self) -> &'static str {
        match self {
            FindingKind::Leak => "leak",
            FindingKind::DoubleFree => "double_free",
            FindingKind::UnknownFree => "unknown_free",
            FindingKind::AllocatorMismatch => "allocator_mismatch",
            FindingKind::UseAfterFree => "use_after_free",
            FindingKind::NullPointer => "null_pointer",
            FindingKind::MisalignedPointer => "misaligned_pointer",
            FindingKind::LengthOverflow => "length_overflow",
            FindingKind::OutOfBounds => "out_of_bounds",
            FindingKind::UnterminatedCstr => "unterminated_cstr",
            FindingKind::Panic => "panic",
            FindingKind::StaleHandle => "stale_handle",
        }
    }

    /// Parses a stable name back; `None` for anything else.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A place in Rust source.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Site {
    /// The file, as `file!()` spells it (relative to the package root for
    /// the crate being built).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Site {
    /// The site of a `#[track_caller]` location.
    pub fn from_location(loc: &std::panic::Location<'_>) -> Site {
        Site {
            file: loc.file().to_owned(),
            line: loc.line(),
            column: loc.column(),
        }
    }
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One symbolized stack frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The demangled function name, without its hash.
    pub function: String,
    /// The source file, when debug info has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// One finding, exactly the shape of SPEC §3 (also the shape of a line of
/// the `.jsonl` file and of an element of `findings` in the `.json` file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What went wrong.
    pub kind: FindingKind,
    /// The guarded function's name (or `dealloc`, `HandleMap::get`, ...).
    pub function: String,
    /// One line that says what happened, naming the parameter and pointer.
    pub message: String,
    /// Where: the caller's line for an import, the definition for an export.
    pub site: Site,
    /// Where the pointer involved was allocated, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_site: Option<Site>,
    /// Where the pointer involved was released (or consumed), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_site: Option<Site>,
    /// The release function its `alloc(free = F)` names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_with: Option<String>,
    /// How many occurrences this (grouped) finding stands for; 1 when recorded.
    pub count: u64,
    /// Bytes involved, where known (leaks of Rust blocks, out-of-bounds slices).
    pub bytes: Option<u64>,
    /// Symbolized frames, for panics and with `FFI_GUARD_BACKTRACE=1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtrace: Option<Vec<Frame>>,
}
