//! What the ownership walk learns from outside the crate's sources: the
//! dependencies' foreign fns as [`ForeignFn`]s, and the C library
//! conventions (with the package's `pairs` and `borrowed`) applied to every
//! foreign fn, the crate's own included.

use ffi_guard_syntax::alloc_prefix;

use super::conventions::{Conventions, Role};
use super::summary::DeclaredFn;
use crate::flow::known::ForeignFn;

/// The release functions the naming rule pairs with `PREFIX_<alloc>`.
const RELEASE_SUFFIXES: &[&str] = &[
    "_free", "_destroy", "_delete", "_release", "_close", "_unref",
];

/// A dependency's declaration as the ownership walk reads a foreign fn.
pub fn foreign_fn(d: &DeclaredFn) -> ForeignFn {
    ForeignFn {
        name: d.name.clone(),
        alloc_free_with: d.alloc_free_with.clone(),
        frees: d.frees.clone(),
        consumes: d.consumes.clone(),
        slices: d.slices.clone(),
        cstrs: d.cstrs.clone(),
        params: d.param_names.clone(),
        returns_pointer: d.returns_pointer,
        ret_pointee: d.ret_pointee.clone(),
        out_pointees: d.out_pointees.clone(),
        owned_out: d.owned_out.clone(),
        out_free_with: None,
    }
}

/// Apply the conventions to `ff`, then the naming rule to its
/// out-parameters: `PREFIX_open(&mut out, ..)` with a known one-pointer
/// `PREFIX_free` (or `_destroy`, ...) writes memory the caller releases with
/// it. `release` tells whether a known foreign fn of that name takes one
/// pointer.
pub fn apply(ff: &mut ForeignFn, conventions: &Conventions, release: impl Fn(&str) -> bool) {
    match conventions.role(&ff.name) {
        Some(Role::Allocates { free }) if ff.returns_pointer => {
            ff.alloc_free_with = Some(free);
        }
        Some(Role::AllocatesOut { free }) if !ff.owned_out.is_empty() => {
            ff.out_free_with = Some(free);
        }
        Some(Role::Borrowed) => {
            ff.alloc_free_with = None;
            ff.out_free_with = None;
            return;
        }
        Some(Role::Releases) if ff.frees.is_empty() && !ff.params.is_empty() => {
            ff.frees = vec![0];
        }
        _ => {}
    }
    if ff.out_free_with.is_none()
        && !ff.owned_out.is_empty()
        && let Some(prefix) = alloc_prefix(&ff.name).filter(|p| !p.is_empty())
    {
        ff.out_free_with = RELEASE_SUFFIXES
            .iter()
            .map(|s| format!("{prefix}{s}"))
            .find(|r| release(r));
    }
}
