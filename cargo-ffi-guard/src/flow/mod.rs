//! Ownership dataflow over function bodies, and the crate-wide ownership
//! index it reads.
//!
//! One pass over the crate produces [`Fact`]s: what happened to every
//! pointer a function creates, borrows, receives from C or releases. The
//! eight ownership lints (`leaked_into_raw`, `unpaired_foreign_alloc`,
//! `mismatched_free`, `double_free`, `dangling_cstring_ptr`, `str_as_cstr`,
//! `ptr_len_mismatch`, `errno_clobbered`) only turn facts into diagnostics,
//! so the analysis runs once per crate whichever lints are on.
//!
//! The analysis is intraprocedural and conservative: a value whose fate it
//! cannot follow (passed to a Rust function, stored somewhere, captured by a
//! closure) is considered taken care of, and a release counts on a path only
//! when every branch leading there made it.

mod body;
mod errno;
mod index;
mod walk;

use crate::diag::Span;
use crate::model::Crate;

pub use index::{BoxReleases, ForeignFn, OwnershipIndex};

/// A place in one file of the crate.
#[derive(Clone, Copy, Debug)]
pub struct Site {
    /// Index into `Crate::files`.
    pub file: usize,
    pub span: proc_macro2::Span,
}

impl Site {
    pub fn span(&self, krate: &Crate) -> Span {
        let path = krate.files.get(self.file).map_or("", |f| f.path.as_str());
        Span::from_syn(path, self.span)
    }
}

/// What kind of Rust allocation a raw pointer came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RustAlloc {
    /// `Box::into_raw` (or `Box::leak`) of a box of this type, when known.
    Box(Option<String>),
    CString,
    /// `Vec::leak`, `Vec::into_raw_parts`, a forgotten `Vec` or `String`.
    Vec,
}

impl RustAlloc {
    /// The release that gives the memory back to Rust's allocator.
    pub fn release_name(&self) -> &'static str {
        match self {
            RustAlloc::Box(_) => "Box::from_raw",
            RustAlloc::CString => "CString::from_raw",
            RustAlloc::Vec => "Vec::from_raw_parts",
        }
    }
}

/// What a Rust release of a pointer from C would need to be a round trip.
#[derive(Clone, Debug)]
pub struct RoundTrip {
    pub alloc: RustAlloc,
    /// The pointer's types as declared and as released (`c_void` for any).
    pub types: Vec<String>,
}

/// One thing the dataflow saw; the lints turn these into diagnostics.
#[derive(Clone, Debug)]
pub enum Fact {
    /// A Rust allocation turned into a raw pointer (or leaked, or forgotten)
    /// whose pointer reaches C.
    IntoRaw {
        alloc: RustAlloc,
        /// `Box::into_raw`, `CString::into_raw`, `Box::leak`, `mem::forget`, ...
        how: String,
        site: Site,
        handed: Site,
    },
    /// A foreign allocation bound to a local and never released, returned,
    /// stored or handed on.
    ForeignLeak {
        func: String,
        free_with: String,
        binding: String,
        site: Site,
    },
    /// Memory released by the wrong allocator.
    Mismatch {
        release: Site,
        message: String,
        help: String,
        origin: Site,
        origin_note: String,
        /// Set for a pointer that came back from C without being known to
        /// be allocated there: not reported when the crate hands out that
        /// kind of Rust allocation itself (user data coming back).
        round_trip: Option<RoundTrip>,
    },
    /// The same pointer released twice on one path.
    DoubleFree {
        name: String,
        second: Site,
        first: Site,
        origin: Option<Site>,
        in_loop: bool,
    },
    /// A pointer into a temporary or a dropped value, used after the drop.
    Dangling {
        as_ptr: Site,
        owner: String,
        dropped: Site,
        used: Site,
        returned: bool,
        fix: Option<Vec<crate::diag::Edit>>,
    },
    /// A Rust string (not NUL-terminated) given where C reads a C string.
    StrAsCstr {
        arg: Site,
        func: String,
        param: String,
        what: String,
    },
    /// A (pointer, length) pair that does not describe one object.
    PtrLen {
        ptr: Site,
        len: Site,
        func: String,
        message: String,
    },
    /// errno read after something else ran since the foreign call.
    Errno {
        read: Site,
        call: Site,
        clobber: Site,
        clobber_what: String,
    },
}

/// The whole analysis of one crate.
#[derive(Debug, Default)]
pub struct Analysis {
    /// The Rust releases seen anywhere in the crate.
    pub box_releases: BoxReleases,
    pub facts: Vec<Fact>,
}

/// The analysis of `krate`, computed on first use and kept in the `Crate`:
/// the eight ownership lints run one after the other and share it.
pub fn analysis(krate: &Crate) -> &Analysis {
    krate.flow_analysis.get_or_init(|| analyze(krate))
}

/// Runs the index and the dataflow over every function body of the crate.
pub fn analyze(krate: &Crate) -> Analysis {
    let index = OwnershipIndex::build(krate);
    let mut facts = Vec::new();
    let mut box_releases = index::BoxReleases::default();
    for (file_no, file) in krate.files.iter().enumerate() {
        walk::each_body(&file.ast.items, &mut |body| {
            let mut out = body::analyze_body(&index, file_no, &file.text, &body);
            facts.append(&mut out.facts);
            box_releases.merge(out.box_releases);
            errno::analyze_body(&index, file_no, body.block, &mut facts);
        });
    }
    Analysis {
        box_releases,
        facts,
    }
}

/// Macros that never return: code after them on the same path does not run.
/// Both walks over a body (ownership and errno) end a path there.
const DIVERGING_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

/// Macros whose arguments are formatted (and so evaluated, allocating) where
/// they stand: both walks read their arguments as code.
pub(crate) const FORMAT_MACROS: &[&str] = &[
    "println",
    "print",
    "eprintln",
    "eprint",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "unreachable",
    "todo",
    "unimplemented",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "log",
];

/// A call through a binding module (`libc::`, `ffi::`, `sys::`, `raw::`,
/// `bindings::`, `*_sys::`, `*_ffi::`) is a foreign call whatever its name's
/// case; both walks use this one rule.
pub(crate) fn is_foreign_path(segs: &[String]) -> bool {
    let Some((last, quals)) = segs.split_last() else {
        return false;
    };
    !matches!(last.as_str(), "Some" | "Ok" | "Err")
        && quals.iter().any(|q| {
            matches!(q.as_str(), "libc" | "ffi" | "sys" | "raw" | "bindings")
                || q.ends_with("_sys")
                || q.ends_with("_ffi")
        })
}
