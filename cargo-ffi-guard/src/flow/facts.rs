//! What the ownership analysis found, as typed data: the lints turn each
//! [`Fact`] into a diagnostic, with their own wording.

use std::collections::HashSet;

use crate::diag::Span;
use crate::model::Crate;

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
        /// Where a `return` or `?` leaves without releasing it; `None`
        /// when no path releases it.
        exit: Option<Site>,
    },
    /// Memory released by the wrong allocator.
    Mismatch {
        release: Site,
        /// The release that was called.
        by: Release,
        origin: Site,
        /// Where the released memory came from.
        from: Origin,
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
        /// The local that owned the memory; `None` for a temporary.
        owner: Option<String>,
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
        what: RustText,
    },
    /// A (pointer, length) pair that does not describe one object.
    PtrLen {
        ptr: Site,
        len: Site,
        func: String,
        problem: PtrLenProblem,
    },
    /// errno read after something else ran since the foreign call.
    Errno {
        read: Site,
        call: Site,
        clobber: Site,
        clobber_what: Clobber,
    },
}

/// The Rust releases seen anywhere in the crate, `Drop` impls included.
#[derive(Debug, Clone, Default)]
pub struct BoxReleases {
    /// Types given to `Box::from_raw` (last path segment).
    pub box_types: HashSet<String>,
    /// A `Box::from_raw` whose type could not be told (a generic, `_`, a
    /// pointer of unknown type): it may release any box.
    pub box_unknown: bool,
    pub cstring: bool,
    pub vec: bool,
    /// Rust allocations the crate turns into raw pointers anywhere: the
    /// boxes' types, a box of unknown type, any box, a CString, a Vec.
    pub out_box_types: HashSet<String>,
    pub out_box_unknown: bool,
    pub out_box_any: bool,
    pub out_cstring: bool,
    pub out_vec: bool,
}

impl BoxReleases {
    pub fn merge(&mut self, other: BoxReleases) {
        self.box_types.extend(other.box_types);
        self.box_unknown |= other.box_unknown;
        self.cstring |= other.cstring;
        self.vec |= other.vec;
        self.out_box_types.extend(other.out_box_types);
        self.out_box_unknown |= other.out_box_unknown;
        self.out_box_any |= other.out_box_any;
        self.out_cstring |= other.out_cstring;
        self.out_vec |= other.out_vec;
    }

    /// Records a Rust allocation turned into a raw pointer.
    pub fn hand_out(&mut self, alloc: &RustAlloc) {
        match alloc {
            RustAlloc::Box(Some(t)) => {
                self.out_box_any = true;
                self.out_box_types.insert(t.clone());
            }
            RustAlloc::Box(None) => {
                self.out_box_any = true;
                self.out_box_unknown = true;
            }
            RustAlloc::CString => self.out_cstring = true,
            RustAlloc::Vec => self.out_vec = true,
        }
    }

    /// Whether a pointer C gives back, released with `alloc` and of one of
    /// `types` (`c_void` for any), may be one the crate handed out itself.
    pub fn may_round_trip(&self, alloc: &RustAlloc, types: &[String]) -> bool {
        match alloc {
            RustAlloc::Box(_) => {
                self.out_box_unknown
                    || types.iter().any(|t| self.out_box_types.contains(t))
                    || (self.out_box_any
                        && (types.is_empty() || types.iter().any(|t| t == "c_void")))
            }
            RustAlloc::CString => self.out_cstring,
            // A boxed slice of unknown type may come back as a Vec.
            RustAlloc::Vec => self.out_vec || self.out_box_unknown,
        }
    }
}

/// How a release gives memory back.
#[derive(Clone, Debug)]
pub enum Release {
    Rust(RustAlloc),
    /// A C release function, by name (`free`, `widget_free`).
    C(String),
}

impl Release {
    pub fn name(&self) -> String {
        match self {
            Release::Rust(k) => k.release_name().to_owned(),
            Release::C(f) => f.clone(),
        }
    }
}

/// Where memory released by the wrong allocator came from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// Returned (or written out) by a foreign fn not known to allocate.
    CReturned { func: String },
    /// Allocated in C by `func`, paired with `free_with` when known.
    CAllocated {
        func: String,
        free_with: Option<String>,
    },
    /// Borrowed with `as_ptr()` from `owner`, which still owns it.
    Borrowed { owner: String },
    /// A Rust allocation turned into a raw pointer by `how`.
    Rust { alloc: RustAlloc, how: String },
}

/// The Rust string a C string parameter was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RustText {
    Str,
    String,
    StrLitNoNul,
    ByteLitNoNul,
}

/// Why a (pointer, length) pair does not describe one object.
#[derive(Clone, Debug)]
pub enum PtrLenProblem {
    /// The pointer is of `ptr`, the length of `len`.
    OtherObject { ptr: String, len: String },
    /// `root.as_ptr()` paired with `root.capacity()`.
    ReadCapacity { root: String },
}

/// What ran between a foreign call and the errno read.
#[derive(Clone, Debug)]
pub enum Clobber {
    /// A fn call, by its path (`a::b`).
    Call(String),
    Method(String),
    Macro(String),
    /// A call of something that is not a path (a closure, a fn pointer).
    Unnamed,
}
