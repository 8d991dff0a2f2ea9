//! The ownership analysis: a dataflow over every function body of the
//! crate, producing typed [`Fact`]s that the ownership lints turn into
//! diagnostics.
//!
//! One file per job:
//! - `known.rs`: what is known before any body is walked: the foreign fns
//!   (allocating, releasing, consuming, with their parameters) built from
//!   extern blocks by [`Known::add_extern_block`], the crate's own fn names
//!   and field types;
//! - `bodies.rs`: finds every fn body of a file;
//! - `domain.rs`: the abstract values, the state of a path and its join;
//! - `walk.rs`: the walk over a body's statements and expressions;
//! - `calls.rs`: calls and the ownership transitions they make;
//! - `methods.rs`: method knowledge (borrows, views, unwraps);
//! - `tables.rs`: std and libc behaviour;
//! - `summaries.rs`: per-fn summaries of the crate's own fns (which
//!   parameters a fn releases, which it hands to C), used at every call;
//! - `detect.rs`: where a transition is a bug: the [`Fact`]s;
//! - `facts.rs`: the facts' types, the analysis' output;
//! - `errno.rs`: the separate walk for errno reads;
//! - `syntax.rs`: syntax helpers both walks share.
//!
//! The analysis is conservative: a value whose fate it cannot follow
//! (passed to a Rust function, stored somewhere, captured by a closure) is
//! considered taken care of, and a release counts on a path only when every
//! branch leading there made it.

mod bodies;
mod calls;
mod detect;
mod domain;
mod errno;
mod facts;
pub(crate) mod known;
mod methods;
mod summaries;
mod syntax;
mod tables;
mod walk;

use crate::model::Crate;

pub use facts::{
    BoxReleases, Clobber, Fact, Origin, PtrLenProblem, Release, RoundTrip, RustAlloc, RustText,
    Site,
};
pub use known::{ForeignFn, Known};

/// The whole analysis of one crate.
#[derive(Debug, Default)]
pub struct Analysis {
    /// The Rust releases seen anywhere in the crate.
    pub box_releases: BoxReleases,
    pub facts: Vec<Fact>,
}

/// Runs the dataflow over every function body of the crate. The lint
/// context (`context.rs`) runs it once and keeps the result for the lints
/// that read it.
pub fn analyze(krate: &Crate) -> Analysis {
    let known = Known::build(krate);
    let mut facts = Vec::new();
    let mut box_releases = BoxReleases::default();
    for (file_no, file) in krate.files.iter().enumerate() {
        bodies::each_body(&file.ast.items, &mut |body| {
            let mut out = walk::analyze_body(&known, file_no, &file.text, &body);
            facts.append(&mut out.facts);
            box_releases.merge(out.box_releases);
            errno::analyze_body(&known, file_no, body.block, &mut facts);
        });
    }
    Analysis {
        box_releases,
        facts,
    }
}
