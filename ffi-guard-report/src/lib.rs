//! The report format of ffi-guard (SPEC §3), defined once: the runtime
//! `ffi-guard-rt` writes findings with these types, and `cargo ffi-guard`
//! reads them back with the same types.
//!
//! Writing is strict, reading is lenient: unknown fields are ignored,
//! optional fields may be missing, and a [`Finding<String>`] keeps a kind
//! this version does not know by its name (a report of a newer runtime is
//! shown, not dropped). [`Finding`] with its default [`FindingKind`] is the
//! strict shape the runtime records.
//!
//! Adding a kind is one edit: a line in the [`kinds!`] list below.

use serde::{Deserialize, Serialize};

/// The report format version the runtime writes and this crate fully reads.
pub const FORMAT_VERSION: u32 = 1;

/// Declares [`FindingKind`], its stable names and [`FindingKind::ALL`] from
/// one list of `Variant = "name"` lines, so the three never disagree.
macro_rules! kinds {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// What went wrong. The `snake_case` names are stable: they appear in
        /// JSON reports and in the human text, and users match on them in CI
        /// scripts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum FindingKind {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant,)*
        }

        impl FindingKind {
            /// How many kinds there are.
            pub const COUNT: usize = [$($name,)*].len();

            /// Every kind, in the order of SPEC §3.
            pub const ALL: [FindingKind; FindingKind::COUNT] = [$(FindingKind::$variant,)*];

            /// Every stable name, in the order of [`FindingKind::ALL`].
            pub const NAMES: [&'static str; FindingKind::COUNT] = [$($name,)*];

            /// The stable name, as in JSON (`double_free`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(FindingKind::$variant => $name,)*
                }
            }
        }
    };
}

kinds! {
    /// Pointers an `alloc` function returned that were never released.
    Leak = "leak",
    /// A pointer released twice, or released from Rust after `consume`.
    DoubleFree = "double_free",
    /// A guarded release of a pointer no guarded `alloc` ever returned.
    UnknownFree = "unknown_free",
    /// Memory released by a function (or allocator) other than its own.
    AllocatorMismatch = "allocator_mismatch",
    /// A released or consumed pointer, or a freed Rust block, passed on.
    UseAfterFree = "use_after_free",
    /// Null where `nonnull` forbids it, or a null slice with a length.
    NullPointer = "null_pointer",
    /// A non-null pointer not aligned for its pointee.
    MisalignedPointer = "misaligned_pointer",
    /// A slice length whose size in bytes overflows or exceeds `isize::MAX`,
    /// or a (pointer, length) range that wraps around the address space.
    LengthOverflow = "length_overflow",
    /// A slice running past the end of its Rust heap block.
    OutOfBounds = "out_of_bounds",
    /// A C string with no NUL before the end of its Rust heap block.
    UnterminatedCstr = "unterminated_cstr",
    /// A panic caught at a guarded export.
    Panic = "panic",
    /// A stale, forged or removed `HandleMap` handle.
    StaleHandle = "stale_handle",
}

impl FindingKind {
    /// Parses a stable name back; `None` for anything else.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl AsRef<str> for FindingKind {
    fn as_ref(&self) -> &str {
        self.name()
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

/// One finding, exactly the shape of SPEC §3: an element of `findings` in a
/// `.json` report, and one line of a `.jsonl` journal.
///
/// `K` is the kind: [`FindingKind`] where the runtime records, `String`
/// where a reader must keep kinds it does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding<K = FindingKind> {
    /// What went wrong.
    pub kind: K,
    /// The guarded function's name (or `dealloc`, `HandleMap::get`, ...).
    pub function: String,
    /// One line that says what happened, naming the parameter and pointer.
    #[serde(default)]
    pub message: String,
    /// Where: the caller's line for an import, the definition for an export.
    pub site: Site,
    /// Where the pointer involved was allocated, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_site: Option<Site>,
    /// Where the pointer involved was released (or consumed), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_site: Option<Site>,
    /// `free_site` is where a `consume` gave the pointer to C, not a release.
    #[serde(default, skip_serializing_if = "is_false")]
    pub consumed: bool,
    /// The release function its `alloc(free = F)` names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_with: Option<String>,
    /// How many occurrences this (grouped) finding stands for; 1 when recorded.
    #[serde(default = "one")]
    pub count: u64,
    /// Bytes involved, where known (leaks of Rust blocks, out-of-bounds slices).
    #[serde(default)]
    pub bytes: Option<u64>,
    /// Symbolized frames, for panics and with `FFI_GUARD_BACKTRACE=1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtrace: Option<Vec<Frame>>,
}

fn one() -> u64 {
    1
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl<K> Finding<K> {
    /// One occurrence of `kind` in `function` at `site`, with nothing else
    /// known yet (set the other fields as they apply).
    pub fn new(
        kind: K,
        function: impl Into<String>,
        message: impl Into<String>,
        site: Site,
    ) -> Self {
        Finding {
            kind,
            function: function.into(),
            message: message.into(),
            site,
            alloc_site: None,
            free_site: None,
            consumed: false,
            free_with: None,
            count: 1,
            bytes: None,
            backtrace: None,
        }
    }
}

/// What makes two findings one group, in the runtime's summary and in
/// `cargo ffi-guard report` alike: kind, function, site and allocation site,
/// and for a panic its message too (which names the panic's own location),
/// so two different panics in one export are two findings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupKey<K> {
    pub kind: K,
    pub function: String,
    pub site: Site,
    pub alloc_site: Option<Site>,
    /// The message of a panic; `None` for every other kind.
    pub panic_message: Option<String>,
}

impl<K: Clone + AsRef<str>> Finding<K> {
    /// The group this finding counts in.
    pub fn group_key(&self) -> GroupKey<K> {
        GroupKey {
            kind: self.kind.clone(),
            function: self.function.clone(),
            site: self.site.clone(),
            alloc_site: self.alloc_site.clone(),
            panic_message: (self.kind.as_ref() == FindingKind::Panic.name())
                .then(|| self.message.clone()),
        }
    }
}

/// The `.json` report as the runtime writes it (SPEC §3).
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub version: u32,
    pub program: &'a str,
    pub pid: u32,
    pub findings: &'a [Finding],
}

/// The head of a `.json` report as a reader takes it. `findings` stays raw
/// so that one malformed finding costs that finding, not the whole file.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for (k, name) in FindingKind::ALL.into_iter().zip(FindingKind::NAMES) {
            assert_eq!(k.name(), name);
            assert_eq!(FindingKind::from_name(name), Some(k));
            assert_eq!(
                serde_json::to_string(&k).expect("a kind serializes"),
                format!("\"{name}\"")
            );
        }
        assert_eq!(FindingKind::from_name("time_travel"), None);
    }

    #[test]
    fn a_reader_keeps_unknown_kinds_and_missing_optional_fields() {
        let line = r#"{"kind":"time_travel","function":"f","site":{"file":"a.rs","line":1,"column":2},"extra":1}"#;
        let f: Finding<String> = serde_json::from_str(line).expect("lenient");
        assert_eq!(f.kind, "time_travel");
        assert_eq!(f.count, 1);
        assert!(serde_json::from_str::<Finding>(line).is_err());
    }

    #[test]
    fn what_the_runtime_writes_a_reader_reads_back() {
        let mut f = Finding::new(
            FindingKind::DoubleFree,
            "widget_free",
            "twice",
            Site {
                file: "src/lib.rs".to_owned(),
                line: 3,
                column: 4,
            },
        );
        f.free_with = Some("widget_free".to_owned());
        f.count = 2;
        let text = serde_json::to_string(&f).expect("serializes");
        let back: Finding<String> = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back.kind, "double_free");
        assert_eq!(back.count, 2);
        assert_eq!(back.free_with.as_deref(), Some("widget_free"));
    }

    #[test]
    fn panics_group_by_message_other_kinds_do_not() {
        let site = Site {
            file: "src/lib.rs".to_owned(),
            line: 1,
            column: 1,
        };
        let at =
            |kind: &str, message: &str| Finding::new(kind.to_owned(), "cb", message, site.clone());
        assert_ne!(at("panic", "a").group_key(), at("panic", "b").group_key());
        assert_eq!(
            at("double_free", "a").group_key(),
            at("double_free", "b").group_key()
        );
    }
}
