//! The abstract domain of the ownership walk: what a value is ([`Hint`]),
//! where a pointer object came from ([`Kind`]), the state of one path
//! ([`Env`]), and how two paths join (a release counts only when every
//! branch made it).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Span;

use super::facts::RustAlloc;
use crate::diag::Edit;

/// A pointer object of one body, by its index in the walk's list.
pub(super) type ObjId = usize;

/// Deepest expression nesting followed; deeper bodies (generated code,
/// huge literals) are given up rather than overflowing the stack.
pub(super) const MAX_DEPTH: usize = 100;

/// What a value is, as far as ownership and strings go.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) enum Hint {
    #[default]
    Unknown,
    CString,
    String,
    /// `&str` or `str`.
    Str,
    /// `&String`: a Rust string, owned elsewhere.
    StringRef,
    /// A string literal; `true` when it ends in `\0`.
    StrLit(bool),
    ByteLit(bool),
    CStrLit,
    Vec,
    Box(Option<String>),
    /// A raw pointer to this type.
    Ptr(Option<String>),
    Named(String),
}

impl Hint {
    /// Values whose drop frees the memory their `as_ptr()` points into.
    pub(super) fn owned(&self) -> bool {
        matches!(
            self,
            Hint::CString | Hint::String | Hint::Vec | Hint::Box(_)
        )
    }

    /// Sources whose `as_ptr()` is certainly a borrow of Rust memory.
    pub(super) fn rust_memory(&self) -> bool {
        matches!(
            self,
            Hint::CString
                | Hint::String
                | Hint::Vec
                | Hint::Str
                | Hint::StringRef
                | Hint::StrLit(_)
                | Hint::ByteLit(_)
                | Hint::CStrLit
                | Hint::Box(_)
        )
    }

    pub(super) fn rust_alloc(&self) -> Option<RustAlloc> {
        match self {
            Hint::CString => Some(RustAlloc::CString),
            Hint::String | Hint::Vec => Some(RustAlloc::Vec),
            Hint::Box(t) => Some(RustAlloc::Box(t.clone())),
            _ => None,
        }
    }
}

/// Where a pointer object came from.
#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// A pointer the analysis knows nothing about (a parameter, a field).
    Unknown,
    /// Memory of Rust's allocator turned into a raw pointer, and how.
    Rust(RustAlloc, &'static str),
    /// `as_ptr()`/`as_mut_ptr()` of a value.
    Borrowed {
        src: Hint,
        /// The receiver, as written (for comparing with a length's object).
        root: Option<String>,
        mutable: bool,
        /// The local binding that owns the memory, if any.
        owner: Option<usize>,
        owner_name: String,
        /// The receiver was a temporary, dropped at the end of the statement.
        temp: bool,
        /// The borrowed text ends in a NUL (see [`Val::nul`]).
        nul: bool,
    },
    /// Memory allocated in C; `free_with` is its paired release when known.
    CAlloc {
        func: String,
        free_with: Option<String>,
    },
    /// A pointer a foreign fn returned or wrote to an out-parameter without
    /// being known to allocate: C's memory, unless it is a Rust pointer
    /// coming back (user data), of a type `ty` the crate hands out.
    CRet { func: String, ty: Option<String> },
}

#[derive(Clone, Debug)]
pub(super) struct Obj {
    pub(super) kind: Kind,
    pub(super) site: Span,
    pub(super) name: String,
    pub(super) fix: Option<Vec<Edit>>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Val {
    pub(super) obj: Option<ObjId>,
    /// Pointer objects inside this value (struct fields, array elements).
    pub(super) carried: Vec<ObjId>,
    /// `x.len()` / `x.capacity()`: the receiver, whether capacity, the span.
    pub(super) len: Option<(String, bool, Span)>,
    pub(super) hint: Hint,
    /// This value owns what `Box/CString/Vec::from_raw` took from this object.
    pub(super) owner_of: Option<ObjId>,
    /// A string (or bytes) whose text the code made end in `\0`:
    /// `format!("..\0")`, `String::from("..\0")`, `s.push('\0')`.
    pub(super) nul: bool,
}

impl Val {
    /// The text ends in a NUL: a terminated literal, or a string made so.
    pub(super) fn ends_nul(&self) -> bool {
        self.nul || matches!(self.hint, Hint::StrLit(true) | Hint::ByteLit(true))
    }

    pub(super) fn objs(&self) -> impl Iterator<Item = ObjId> + '_ {
        self.obj.iter().chain(self.carried.iter()).copied()
    }
}

#[derive(Clone, Debug)]
pub(super) struct Var {
    pub(super) name: String,
    pub(super) binding: usize,
    pub(super) val: Val,
    pub(super) moved: bool,
}

/// The state of one path through the body.
#[derive(Clone, Debug, Default)]
pub(super) struct Env {
    pub(super) scopes: Vec<Vec<Var>>,
    /// Objects released on every path to here, with the release site.
    pub(super) released: BTreeMap<ObjId, Span>,
    /// Objects pointing into a value dropped on every path to here.
    pub(super) dangling: BTreeMap<ObjId, Span>,
    /// Objects known to be null on every path to here (`if p.is_null()`).
    pub(super) null: BTreeSet<ObjId>,
    /// No path continues from here (return, break, continue, panic).
    pub(super) diverged: bool,
}

impl Env {
    pub(super) fn var(&self, name: &str) -> Option<&Var> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|v| v.name == name)
    }

    pub(super) fn var_mut(&mut self, name: &str) -> Option<&mut Var> {
        self.scopes
            .iter_mut()
            .rev()
            .flat_map(|s| s.iter_mut().rev())
            .find(|v| v.name == name)
    }
}

pub(super) fn join(a: Env, b: Env) -> Env {
    if a.diverged {
        return b;
    }
    if b.diverged {
        return a;
    }
    let mut out = a;
    out.released.retain(|k, _| b.released.contains_key(k));
    out.dangling.retain(|k, _| b.dangling.contains_key(k));
    out.null.retain(|k| b.null.contains(k));
    for (sa, sb) in out.scopes.iter_mut().zip(&b.scopes) {
        for (va, vb) in sa.iter_mut().zip(sb) {
            if va.val.obj != vb.val.obj {
                va.val.obj = None;
            }
            if va.val.hint != vb.val.hint {
                va.val.hint = Hint::Unknown;
            }
            // Terminated only when every path terminated it.
            va.val.nul &= vb.val.nul;
            va.moved |= vb.moved;
        }
    }
    out
}

pub(super) fn join_val(a: Val, b: Val) -> Val {
    let mut carried = a.carried;
    carried.extend(b.carried);
    carried.extend(a.obj.filter(|o| Some(*o) != b.obj));
    carried.extend(b.obj.filter(|o| Some(*o) != a.obj));
    Val {
        obj: if a.obj == b.obj { a.obj } else { None },
        carried,
        len: None,
        hint: if a.hint == b.hint {
            a.hint
        } else {
            Hint::Unknown
        },
        owner_of: None,
        nul: a.nul && b.nul,
    }
}
