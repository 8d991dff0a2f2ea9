//! What `#[ffi_guard]` means, read from syn: the attribute's options and the
//! inference rules of SPEC §2. The macro and the linter both use this crate,
//! so they can never disagree on what a function allocates, releases,
//! consumes, or reads as a slice or a C string.
//!
//! # Public API
//!
//! - [`options`]: the grammar of `#[ffi_guard(...)]`.
//!   [`parse_attrs`]`(&attrs, Place) -> syn::Result<Option<Options>>` finds
//!   the attribute under any path (`ffi_guard`, `ffi_guard_rt::ffi_guard`, a
//!   renamed runtime) and parses it; [`parse_options`] parses bare argument
//!   tokens (what the attribute macro receives). [`Place`] says where the list
//!   is written (`Block`, `ForeignFn`, `Export`), which decides the valid
//!   options. [`Options`] holds [`FnOptions`] (`alloc`, `free`, `consume`,
//!   `slice`, `cstr`, `nonnull`, `skip`, `on_error`, as written) and
//!   [`BlockOptions`] (`infer`, `krate`). Errors are `syn::Error`s at the
//!   offending token, with the message the macro shows.
//! - [`infer`]: the inference rules and their resolution.
//!   [`foreign_mod_ownership`]`(&ItemForeignMod)` reads a whole block, guarded
//!   or not, into one [`Ownership`] per fn (explicit options + inference);
//!   [`resolve_block`] does the same from signatures and options already
//!   parsed; [`export_ownership`]`(&attrs)` reads an export's options (no
//!   inference), [`resolve_explicit`] resolves options already parsed. The name
//!   predicates [`alloc_prefix`], [`release_prefix`], [`is_length_name`] and
//!   the per-signature [`inferred_slices`], [`inferred_cstrs`],
//!   [`paired_release`] are the rules one by one.
//! - [`foreign`]: the fns a block declares, 2024 `safe fn`s included (syn
//!   keeps those as verbatim tokens): [`foreign_fns`], [`parse_safe_fn`], and
//!   [`normalize_safe_fns`]`(&mut items)`, which rewrites them into ordinary
//!   declarations so that a reader matching `ForeignItem::Fn` sees them all.
//! - [`types`]: path-insensitive type classification (`c_char` under any
//!   path, integers including C aliases, buffer pointees, raw pointers).

pub mod conventions;
pub mod foreign;
pub mod infer;
pub mod options;
pub mod types;

pub use conventions::{Config, ConfigError, Conventions, Role};
pub use foreign::{foreign_fns, normalize_safe_fns, parse_safe_fn};
pub use infer::{
    Ownership, alloc_prefix, export_ownership, foreign_mod_ownership, foreign_mod_ownership_with,
    inferred_cstrs, inferred_slices, is_length_name, is_length_of, paired_release, release_prefix,
    resolve_block, resolve_block_with, resolve_explicit,
};
pub use options::{
    AllocOpt, AllocOutOpt, BlockOptions, FnOptions, Options, Place, SliceOpt, find_attr,
    is_ffi_guard_attr, parse_attr, parse_attrs, parse_options,
};
