//! The C side as libclang laid it out for one target: records with their
//! field offsets, enums, prototypes and integer constants, by name.

use std::collections::HashMap;

/// Where a C item is declared: the header's path (absolute, or relative to
/// the package root when the header is inside it), the 1-based line and
/// column of its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// A C type, canonical (typedefs resolved), as far as the comparison needs.
#[derive(Debug, Clone, PartialEq)]
pub enum CType {
    Void,
    Bool,
    /// An integer type; `is_enum` for an enum type (compared by width only).
    Int {
        size: u64,
        signed: bool,
        is_enum: bool,
    },
    Float(u64),
    Ptr {
        pointee: Box<CType>,
        /// The pointee is `const`.
        konst: bool,
    },
    /// A function type (what a function pointer points to).
    Fn(Box<CSig>),
    /// `None`: a flexible array member (`T x[]`).
    Array(Box<CType>, Option<u64>),
    /// A struct or union, by its key in [`CModel::records`].
    Record(String),
    /// Anything the comparison cannot model (vectors, `long double`, ..).
    Other,
}

/// A prototype.
#[derive(Debug, Clone, PartialEq)]
pub struct CSig {
    pub params: Vec<CType>,
    pub ret: CType,
    pub variadic: bool,
    /// `false` for an old-style declaration without a prototype (`f()`):
    /// its parameters are not known.
    pub proto: bool,
}

#[derive(Debug, Clone)]
pub struct CField {
    pub name: String,
    pub offset_bits: u64,
    pub ty: CType,
    /// `Some(width)` for a bitfield.
    pub bit_width: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct CRecord {
    /// How a C programmer writes it: `struct z_stream_s`, `union u`.
    pub display: String,
    pub is_union: bool,
    /// `None` when the record is only declared (opaque).
    pub size: Option<u64>,
    pub align: u64,
    pub fields: Vec<CField>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct CEnum {
    pub display: String,
    pub size: u64,
    pub align: u64,
    pub signed: bool,
    /// Enumerators in declaration order.
    pub values: Vec<(String, i128)>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct CFn {
    pub sig: CSig,
    pub loc: Loc,
}

/// An integer constant: an object-like macro or an enumerator.
#[derive(Debug, Clone)]
pub struct CConst {
    pub value: i128,
    pub what: &'static str,
    pub loc: Loc,
}

/// What a name of the headers stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Record(String),
    Enum(String),
}

/// Everything read from the headers for one target.
#[derive(Debug, Default)]
pub struct CModel {
    pub records: HashMap<String, CRecord>,
    pub enums: HashMap<String, CEnum>,
    /// Typedef names and tags (`struct foo`, `union foo`, `enum foo`, and
    /// the bare tag `foo` when no typedef has that name).
    pub names: HashMap<String, Named>,
    pub fns: HashMap<String, CFn>,
    pub consts: HashMap<String, CConst>,
    /// Errors libclang reported (the first few), for the user.
    pub errors: Vec<String>,
}

impl CModel {
    /// The record or enum a Rust type named `name` stands for, or that a
    /// `c-name(..)` comment names (`struct foo`, `foo`).
    pub fn named(&self, name: &str) -> Option<&Named> {
        self.names.get(name.trim())
    }
}
