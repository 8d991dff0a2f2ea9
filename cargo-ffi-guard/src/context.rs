//! The lint context: the crate being linted and the analyses the lints
//! share, each computed on first use and kept for the next lint. The
//! `Crate` itself stays plain data; the engine makes one context per crate.

use std::cell::OnceCell;

use crate::flow;
use crate::model::Crate;
use crate::surface::{self, Surface};

/// What a lint's check receives.
#[derive(Debug)]
pub struct LintContext<'a> {
    pub krate: &'a Crate,
    surface: OnceCell<surface::Facts>,
    ownership: OnceCell<flow::Analysis>,
}

impl<'a> LintContext<'a> {
    pub fn new(krate: &'a Crate) -> LintContext<'a> {
        LintContext {
            krate,
            surface: OnceCell::new(),
            ownership: OnceCell::new(),
        }
    }

    /// The FFI surface (`surface.rs`), resolved once for `missing_repr_c`
    /// and `improper_ffi_type`.
    pub fn surface(&self) -> Surface<'_> {
        let sig_types = surface::sig_types(self.krate);
        let facts = self
            .surface
            .get_or_init(|| surface::Facts::build(self.krate, &sig_types));
        Surface::new(sig_types, facts)
    }

    /// The ownership analysis (`flow::analyze`), run once for the lints
    /// that read its facts.
    pub fn ownership(&self) -> &flow::Analysis {
        self.ownership.get_or_init(|| flow::analyze(self.krate))
    }
}
