//! Detection: where a transition of the walk is a bug, the typed [`Fact`]
//! that the lints turn into diagnostics.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprCall};

use super::domain::*;
use super::facts::{Fact, RustAlloc};
use super::known::last_segment;
use super::tables::*;
use super::walk::Ctx;

impl<'a> Ctx<'a> {
    pub(super) fn dangling(&mut self, o: ObjId, dropped: Span, used: Span, returned: bool) {
        let obj = &self.objs[o];
        let Kind::Borrowed {
            owner_name, temp, ..
        } = &obj.kind
        else {
            return;
        };
        let owner = if *temp {
            "a temporary".to_owned()
        } else {
            format!("`{owner_name}`")
        };
        let (as_ptr, fix) = (obj.site, obj.fix.clone());
        if self.once(3, as_ptr) {
            self.facts.push(Fact::Dangling {
                as_ptr: self.site(as_ptr),
                owner,
                dropped: self.site(dropped),
                used: self.site(used),
                returned,
                fix,
            });
        }
    }

    /// Checks of well-known libc functions that the crate does not declare.
    pub(super) fn libc_checks(&mut self, name: &str, c: &'a ExprCall, vals: &[Val]) {
        if let Some((_, cstrs)) = LIBC_CSTRS.iter().find(|(n, _)| *n == name) {
            for &i in *cstrs {
                if let (Some(a), Some(v)) = (c.args.get(i), vals.get(i)) {
                    self.str_as_cstr(
                        v,
                        a,
                        &format!("libc::{name}"),
                        &format!("argument {}", i + 1),
                    );
                }
            }
        }
        if LIBC_BUFS.contains(&name)
            && let (Some(pv), Some(nv), Some(pa)) = (vals.get(1), vals.get(2), c.args.get(1))
        {
            self.ptr_len(pv, nv, pa, &format!("libc::{name}"));
        }
    }

    pub(super) fn str_as_cstr(&mut self, v: &Val, a: &Expr, func: &str, param: &str) {
        let Some(o) = v.obj else { return };
        let Kind::Borrowed { src, nul, .. } = &self.objs[o].kind else {
            return;
        };
        if *nul {
            // `format!("{name}\0")`, `s.push('\0')`: terminated by the code.
            return;
        }
        let what = match src {
            Hint::Str => "a `&str`",
            Hint::String | Hint::StringRef => "a `String`",
            Hint::StrLit(false) => "a string literal without a trailing `\\0`",
            Hint::ByteLit(false) => "a byte string literal without a trailing `\\0`",
            _ => return,
        };
        if self.once(4, a.span()) {
            self.facts.push(Fact::StrAsCstr {
                arg: self.site(a.span()),
                func: func.to_owned(),
                param: param.to_owned(),
                what: what.to_owned(),
            });
        }
    }

    pub(super) fn ptr_len(&mut self, pv: &Val, nv: &Val, pa: &Expr, func: &str) {
        let (Some(o), Some((lroot, cap, lspan))) = (pv.obj, &nv.len) else {
            return;
        };
        let Kind::Borrowed {
            root: Some(proot),
            mutable,
            ..
        } = &self.objs[o].kind
        else {
            return;
        };
        let message = if proot != lroot {
            format!("the pointer comes from `{proot}` but the length from `{lroot}`")
        } else if *cap && !mutable {
            format!(
                "`{proot}.as_ptr()` is paired with `{lroot}.capacity()`: C may read elements that were never initialized"
            )
        } else {
            return;
        };
        if self.once(5, pa.span()) {
            self.facts.push(Fact::PtrLen {
                ptr: self.site(pa.span()),
                len: self.site(*lspan),
                func: func.to_owned(),
                message,
            });
        }
    }

    pub(super) fn check_mismatch(&mut self, rel: &Rel, o: ObjId, site: Span) {
        let obj = &self.objs[o];
        let mut round_trip = None;
        let (message, help, note) = match (rel, &obj.kind) {
            (Rel::Rust(k), Kind::CRet { func, ty }) => {
                let mut types: Vec<String> = ty.iter().cloned().collect();
                if let RustAlloc::Box(Some(t)) = k {
                    types.push(t.clone());
                }
                round_trip = Some(super::RoundTrip {
                    alloc: k.clone(),
                    types,
                });
                (
                    format!("`{}` takes ownership of a pointer that `{func}` returned from C", k.release_name()),
                    "memory from C goes back to C: release it with the library's release function, or copy it".to_owned(),
                    format!("returned by `{func}` here"),
                )
            }
            (Rel::Rust(k), Kind::CAlloc { func, free_with }) => (
                format!("`{}` takes ownership of memory that `{func}` allocated in C", k.release_name()),
                match free_with {
                    Some(f) => format!("release it with `{f}`"),
                    None => "release it with the library's own release function".to_owned(),
                },
                format!("allocated by `{func}` here"),
            ),
            (Rel::Rust(k), Kind::Borrowed { src, owner_name, .. }) if src.rust_memory() => (
                format!(
                    "`{}` on a pointer borrowed with `as_ptr()`: `{owner_name}` still owns that memory",
                    k.release_name()
                ),
                "hand ownership over with `into_raw()` instead of `as_ptr()`, or do not release the pointer".to_owned(),
                "borrowed here".to_owned(),
            ),
            (Rel::Rust(RustAlloc::CString), Kind::Rust(RustAlloc::Box(_), how))
            | (Rel::Rust(RustAlloc::Box(_)), Kind::Rust(RustAlloc::CString, how)) => {
                let back = match &obj.kind {
                    Kind::Rust(k, _) => k.release_name(),
                    _ => "",
                };
                (
                    format!("`{}` on a pointer that came from `{how}`", rel.name()),
                    format!("release it with `{back}`"),
                    format!("allocated by `{how}` here"),
                )
            }
            (Rel::C(f), Kind::Rust(k, how)) => (
                format!("`{f}` releases memory that Rust allocated (`{how}`)"),
                format!("give it back to Rust with `{}`", k.release_name()),
                format!("allocated by `{how}` here"),
            ),
            (Rel::C(f), Kind::Borrowed { src, owner_name, .. }) if src.rust_memory() => (
                format!("`{f}` releases a pointer borrowed from `{owner_name}`, which Rust still owns"),
                "do not release borrowed memory; let its owner drop it".to_owned(),
                "borrowed here".to_owned(),
            ),
            (
                Rel::C(f),
                Kind::CAlloc {
                    func,
                    free_with: Some(g),
                },
            ) if last_segment(f) != last_segment(g) => (
                format!("`{func}` memory released with `{f}`; its release function is `{g}`"),
                format!("release it with `{g}`"),
                format!("allocated by `{func}` here"),
            ),
            _ => return,
        };
        let origin = obj.site;
        if self.once(7, site) {
            self.facts.push(Fact::Mismatch {
                release: self.site(site),
                message,
                help,
                origin: self.site(origin),
                origin_note: note,
                round_trip,
            });
        }
    }
}
