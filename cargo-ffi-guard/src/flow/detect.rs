//! Detection: where a transition of the walk is a bug, the typed [`Fact`]
//! that the lints turn into diagnostics.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprCall};

use super::domain::{Env, Hint, Kind, ObjId, Reported, Val};
use super::facts::{Fact, Origin, PtrLenProblem, Release, RoundTrip, RustAlloc, RustText};
use crate::deps::summary::last_segment;

use super::tables::{LIBC_BUFS, LIBC_CSTRS};
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
        let owner = (!*temp).then(|| owner_name.clone());
        let (as_ptr, fix) = (obj.site, obj.fix.clone());
        if self.once(Reported::Dangling, as_ptr) {
            self.facts.push(Fact::Dangling {
                as_ptr: self.site(as_ptr),
                owner,
                dropped: self.site(dropped),
                used: self.site(used),
                returned,
                closure: self.in_closure,
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
            Hint::Str => RustText::Str,
            Hint::String | Hint::StringRef => RustText::String,
            Hint::StrLit(false) => RustText::StrLitNoNul,
            Hint::ByteLit(false) => RustText::ByteLitNoNul,
            _ => return,
        };
        if self.once(Reported::StrAsCstr, a.span()) {
            self.facts.push(Fact::StrAsCstr {
                arg: self.site(a.span()),
                func: func.to_owned(),
                param: param.to_owned(),
                what,
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
        let problem = if proot != lroot {
            PtrLenProblem::OtherObject {
                ptr: proot.clone(),
                len: lroot.clone(),
            }
        } else if *cap && !mutable {
            PtrLenProblem::ReadCapacity {
                root: proot.clone(),
            }
        } else {
            return;
        };
        if self.once(Reported::PtrLen, pa.span()) {
            self.facts.push(Fact::PtrLen {
                ptr: self.site(pa.span()),
                len: self.site(*lspan),
                func: func.to_owned(),
                problem,
            });
        }
    }

    pub(super) fn check_mismatch(&mut self, rel: &Release, o: ObjId, site: Span) {
        let obj = &self.objs[o];
        let mut round_trip = None;
        let from = match (rel, &obj.kind) {
            (Release::Rust(k), Kind::CRet { func, ty }) => {
                let mut types: Vec<String> = ty.iter().cloned().collect();
                if let RustAlloc::Box(Some(t)) = k {
                    types.push(t.clone());
                }
                round_trip = Some(RoundTrip {
                    alloc: k.clone(),
                    types,
                });
                Origin::CReturned { func: func.clone() }
            }
            (Release::Rust(_), Kind::CAlloc { func, free_with }) => Origin::CAllocated {
                func: func.clone(),
                free_with: free_with.clone(),
            },
            (
                Release::Rust(_) | Release::C(_),
                Kind::Borrowed {
                    src, owner_name, ..
                },
            ) if src.rust_memory() => Origin::Borrowed {
                owner: owner_name.clone(),
            },
            (Release::Rust(RustAlloc::CString), Kind::Rust(alloc @ RustAlloc::Box(_), how))
            | (Release::Rust(RustAlloc::Box(_)), Kind::Rust(alloc @ RustAlloc::CString, how))
            | (Release::C(_), Kind::Rust(alloc, how)) => Origin::Rust {
                alloc: alloc.clone(),
                how: (*how).to_owned(),
            },
            (
                Release::C(f),
                Kind::CAlloc {
                    func,
                    free_with: Some(g),
                },
            ) if last_segment(f) != last_segment(g) => Origin::CAllocated {
                func: func.clone(),
                free_with: Some(g.clone()),
            },
            _ => return,
        };
        let origin = obj.site;
        if self.once(Reported::Mismatch, site) {
            self.facts.push(Fact::Mismatch {
                release: self.site(site),
                by: rel.clone(),
                origin: self.site(origin),
                from,
                round_trip,
            });
        }
    }

    /// `unpaired_foreign_alloc`: foreign allocations bound to a local that
    /// no path released, returned, stored or handed on.
    pub(super) fn foreign_leaks(&mut self) {
        let exits = std::mem::take(&mut self.exits);
        for (o, binding) in std::mem::take(&mut self.leak_candidates) {
            // Never released nor handed on: leaked on every path. Released
            // somewhere but never handed on: leaked where a `return` or `?`
            // leaves without releasing it.
            let exit = if !self.touched.contains(&o) {
                None
            } else if self.escaped.contains(&o) {
                continue;
            } else {
                match exits.iter().find(|(x, _)| *x == o) {
                    Some((_, at)) => Some(self.site(*at)),
                    None => continue,
                }
            };
            if let Kind::CAlloc {
                func,
                free_with: Some(free_with),
            } = self.objs[o].kind.clone()
                && self.once(Reported::ForeignLeak, self.objs[o].site)
            {
                self.facts.push(Fact::ForeignLeak {
                    func,
                    free_with,
                    binding,
                    site: self.site(self.objs[o].site),
                    exit,
                });
            }
        }
    }

    /// `leaked_into_raw`: Rust allocations turned into raw pointers that
    /// reached C (whether the crate releases them anywhere is the lint's
    /// question, over the whole crate).
    pub(super) fn handed_rust_allocations(&mut self) {
        let mut handed: Vec<(ObjId, Span)> = self.handed.iter().map(|(o, s)| (*o, *s)).collect();
        handed.sort_by_key(|(o, _)| *o);
        for (o, at) in handed {
            if let Kind::Rust(alloc, how) = &self.objs[o].kind {
                let (alloc, how) = (alloc.clone(), *how);
                if self.once(Reported::IntoRaw, self.objs[o].site) {
                    self.facts.push(Fact::IntoRaw {
                        alloc,
                        how: how.to_owned(),
                        site: self.site(self.objs[o].site),
                        handed: self.site(at),
                    });
                }
            }
        }
    }

    /// `double_free`: object `o` (named `name`), released at `first` on
    /// every path here, is released again at `second`.
    pub(super) fn double_free(&mut self, o: ObjId, name: String, first: Span, second: Span) {
        if self.once(Reported::DoubleFree, second) {
            let obj = &self.objs[o];
            let origin = (!matches!(obj.kind, Kind::Unknown)).then(|| self.site(obj.site));
            let in_loop = first.start() == second.start();
            self.facts.push(Fact::DoubleFree {
                name,
                second: self.site(second),
                first: self.site(first),
                origin,
                in_loop,
            });
        }
    }

    /// The function leaves early at `at` (`return`, `?`): each foreign
    /// allocation still held here and not released on this path is noted
    /// (see [`Ctx::foreign_leaks`]).
    pub(super) fn early_exit(&mut self, at: Span, env: &Env) {
        self.note_exit(env);
        for var in env.scopes.iter().flatten() {
            let Some(o) = var.val.obj else { continue };
            if !env.released.contains_key(&o)
                && !env.null.contains(&o)
                && self.leak_candidates.iter().any(|(c, _)| *c == o)
                && !self.exits.iter().any(|(x, _)| *x == o)
            {
                self.exits.push((o, at));
            }
        }
    }
}
