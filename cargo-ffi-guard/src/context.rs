//! The lint context: the crate being linted and the analyses the lints
//! share, each computed on first use and kept for the next lint. The
//! `Crate` itself stays plain data; the engine makes one context per crate.

use std::cell::OnceCell;

use crate::diag::Diagnostic;
use crate::flow;
use crate::headers;
use crate::model::Crate;
use crate::surface::{self, Surface};

/// What a lint's check receives.
#[derive(Debug)]
pub struct LintContext<'a> {
    pub krate: &'a Crate,
    surface: OnceCell<surface::Facts>,
    ownership: OnceCell<flow::Analysis>,
    headers: OnceCell<Vec<Diagnostic>>,
}

impl<'a> LintContext<'a> {
    pub fn new(krate: &'a Crate) -> LintContext<'a> {
        LintContext {
            krate,
            surface: OnceCell::new(),
            ownership: OnceCell::new(),
            headers: OnceCell::new(),
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

    /// What the header checks (`headers::check_crate`) found, read once for
    /// `layout_mismatch`, `signature_mismatch` and `constant_mismatch`.
    pub fn header_findings(&self) -> &[Diagnostic] {
        self.headers
            .get_or_init(|| headers::check_crate(self.krate))
    }
}
