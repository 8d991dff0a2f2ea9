//! The report files that `ffi-guard-rt` writes, as this tool reads them.
//!
//! The shapes follow SPEC §3. They are declared here rather than taken from
//! `ffi-guard-rt` so the CLI stays a small binary that builds without the
//! runtime, and so that reading is lenient where writing is strict: unknown
//! fields are ignored, a kind this version does not know is kept by name, and
//! optional fields may be missing.

use serde::{Deserialize, Serialize};

/// The report format version this tool writes and fully understands.
pub const FORMAT_VERSION: u32 = 1;

/// Every finding kind of SPEC §3, in the order reports list them.
pub const KINDS: [&str; 12] = [
    "leak",
    "double_free",
    "unknown_free",
    "allocator_mismatch",
    "use_after_free",
    "null_pointer",
    "misaligned_pointer",
    "length_overflow",
    "out_of_bounds",
    "unterminated_cstr",
    "panic",
    "stale_handle",
];

/// A place in Rust source.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Site {
    pub file: String,
    pub line: u32,
    pub column: u32,
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

/// One finding: an element of `findings` in a `.json` file, or one line of
/// a `.jsonl` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// A stable kind name (see [`KINDS`]); kept as text so that a report from
    /// a newer runtime with a kind unknown here is still shown, not dropped.
    pub kind: String,
    pub function: String,
    #[serde(default)]
    pub message: String,
    pub site: Site,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_site: Option<Site>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_site: Option<Site>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_with: Option<String>,
    #[serde(default = "one")]
    pub count: u64,
    #[serde(default)]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtrace: Option<Vec<Frame>>,
}

/// The head of a `.json` report. `findings` stays raw here so that one
/// malformed finding costs that finding, not the whole file.
#[derive(Clone, Debug, Deserialize)]
pub struct ReportHead {
    #[serde(default)]
    pub version: Option<u32>,
    /// A string in the runtime's files; anything else (a merged document's
    /// own choice, say) falls back to the file name.
    #[serde(default)]
    pub program: Option<serde_json::Value>,
    #[serde(default)]
    pub pid: Option<u32>,
    #[serde(default)]
    pub findings: Vec<serde_json::Value>,
}

fn one() -> u64 {
    1
}
