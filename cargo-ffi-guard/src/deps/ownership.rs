//! What the ownership walk learns from outside the crate's sources: the
//! dependencies' foreign fns as [`ForeignFn`]s, and what settles the pairs
//! that the inference rules of `ffi-guard-syntax` leave tentative (the
//! release is declared in another block, or another package): the package's
//! C library conventions (the shared table with its `pairs` and `borrowed`)
//! and the foreign fns the crate knows.

use ffi_guard_syntax::{Conventions, Role};

use super::summary::DeclaredFn;
use crate::flow::known::ForeignFn;

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
        tentative_alloc: d.tentative_alloc.clone(),
        out_candidates: d.alloc_out.clone(),
        alloc_out: Vec::new(),
        borrowed: d.borrowed,
        soft_frees: d.soft_frees.clone(),
    }
}

/// Settle what `ff` allocates and releases. A dependency's summary was
/// inferred with the built-in table alone (it is cached whoever reads it),
/// so the package's conventions are asked again by name: a `borrowed`
/// result never leaks, a configured pair or release counts where the
/// declaration says nothing. Then a tentative allocation (returned or
/// through an out-parameter) is paired with the first of its release names
/// that `known` says is a foreign fn of the crate or its dependencies; with
/// none, it is no allocation: no finding comes from a pair that does not
/// exist.
pub fn resolve(ff: &mut ForeignFn, conventions: &Conventions, known: impl Fn(&str) -> bool) {
    match conventions.role(&ff.name) {
        Some(Role::Borrowed) => ff.borrowed = true,
        Some(Role::Allocates { free })
            if ff.returns_pointer
                && ff.alloc_free_with.is_none()
                && ff.tentative_alloc.is_none() =>
        {
            ff.tentative_alloc = Some(free);
        }
        Some(Role::Releases)
            if ff.frees.is_empty() && ff.consumes.is_empty() && !ff.params.is_empty() =>
        {
            ff.frees = vec![0];
        }
        _ => {}
    }
    if ff.borrowed {
        ff.alloc_free_with = None;
        ff.tentative_alloc = None;
        ff.out_candidates.clear();
    }
    let first_known = |names: &[String]| names.iter().find(|n| known(n)).cloned();
    if ff.alloc_free_with.is_none()
        && let Some(names) = &ff.tentative_alloc
    {
        ff.alloc_free_with = first_known(names);
    }
    ff.alloc_out = ff
        .out_candidates
        .iter()
        .filter_map(|(i, names)| Some((*i, first_known(names)?)))
        .collect();
}
