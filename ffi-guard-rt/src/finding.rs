//! The one record every check produces, and the stable names of its kinds.

use serde::{Deserialize, Serialize};

/// What went wrong. The `snake_case` names are stable: they appear in JSON
/// reports and in the human text, and users match on them in CI scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Leak,
    DoubleFree,
    UnknownFree,
    AllocatorMismatch,
    UseAfterFree,
    NullPointer,
    MisalignedPointer,
    LengthOverflow,
    OutOfBounds,
    UnterminatedCstr,
    Panic,
    StaleHandle,
}

impl FindingKind {
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
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl Site {
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
    pub function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// One finding, exactly the shape of SPEC §3 (also the shape of a line of
/// the `.jsonl` file and of an element of `findings` in the `.json` file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The guarded function's name (or `dealloc`, `HandleMap::get`, ...).
    pub function: String,
    pub message: String,
    pub site: Site,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_site: Option<Site>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_site: Option<Site>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_with: Option<String>,
    /// How many occurrences this (grouped) finding stands for; 1 when recorded.
    pub count: u64,
    /// Bytes involved, where known (leaks of Rust blocks, out-of-bounds slices).
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtrace: Option<Vec<Frame>>,
}
