//! What the walk knows about method calls: pointers borrowed with
//! `as_ptr()`, views and copies of strings, unwraps, NUL-terminated text.

use syn::{Expr, ExprMethodCall};

use super::domain::*;
use super::facts::RustAlloc;
use super::syntax::*;
use super::tables::*;
use super::walk::Ctx;

impl<'a> Ctx<'a> {
    pub(super) fn method(&mut self, m: &'a ExprMethodCall, env: &mut Env) -> Val {
        let name = m.method.to_string();
        let span = first_span(&m.receiver)
            .join(m.paren_token.span.close())
            .unwrap_or(m.method.span());
        match name.as_str() {
            "as_ptr" | "as_mut_ptr" => {
                let info = self.receiver_info(&m.receiver, env);
                let rv = self.eval(&m.receiver, env);
                if let Some(o) = rv.obj
                    && matches!(self.objs[o].kind, Kind::Rust(..))
                {
                    // `Vec::leak(v).as_mut_ptr()`: the leaked memory itself.
                    return Val {
                        obj: Some(o),
                        ..Val::default()
                    };
                }
                for a in &m.args {
                    self.eval(a, env);
                }
                let at = m
                    .dot_token
                    .span
                    .join(m.paren_token.span.close())
                    .unwrap_or(m.method.span());
                let o = self.new_obj(
                    Kind::Borrowed {
                        nul: rv.ends_nul(),
                        src: info.hint,
                        root: info.root.clone(),
                        mutable: name == "as_mut_ptr",
                        owner: info.owner,
                        owner_name: info.root.unwrap_or_else(|| "its owner".to_owned()),
                        temp: info.temp,
                    },
                    at,
                    "",
                );
                if info.temp
                    && let Some(t) = self.stmt_temps.last_mut()
                {
                    t.push(o);
                }
                if let Some(b) = info.owner {
                    self.owners.entry(b).or_default().push(o);
                }
                Val {
                    obj: Some(o),
                    carried: rv.carried,
                    ..Val::default()
                }
            }
            "into_raw" | "leak" | "into_raw_parts" => {
                let info = self.receiver_info(&m.receiver, env);
                let rv = self.eval(&m.receiver, env);
                if let Some(o) = rv.owner_of {
                    env.released.remove(&o);
                    return Val::default();
                }
                let hint = if rv.hint == Hint::Unknown {
                    info.hint
                } else {
                    rv.hint.clone()
                };
                let alloc = match (name.as_str(), &hint) {
                    ("into_raw", Hint::CString) => Some((RustAlloc::CString, "CString::into_raw")),
                    ("leak", Hint::Vec | Hint::String) => Some((RustAlloc::Vec, "Vec::leak")),
                    ("into_raw_parts", Hint::Vec | Hint::String) => {
                        Some((RustAlloc::Vec, RAW_PARTS))
                    }
                    _ => None,
                };
                match alloc {
                    Some((alloc, how)) => {
                        self.mark_moved(&m.receiver, env);
                        let o = self.new_obj(Kind::Rust(alloc, how), span, "");
                        Val {
                            obj: Some(o),
                            ..Val::default()
                        }
                    }
                    None => {
                        self.escape(&rv);
                        Val::default()
                    }
                }
            }
            "len" | "capacity" => {
                self.eval(&m.receiver, env);
                Val {
                    len: root_text(&m.receiver).map(|r| (r, name == "capacity", span)),
                    ..Val::default()
                }
            }
            "cast" | "cast_mut" | "cast_const" | "unwrap" | "expect" | "unwrap_unchecked" => {
                let v = self.eval(&m.receiver, env);
                for a in &m.args {
                    self.eval(a, env);
                }
                v
            }
            _ if PTR_METHODS.contains(&name.as_str()) => {
                self.eval(&m.receiver, env);
                for a in &m.args {
                    let v = self.eval(a, env);
                    if name.starts_with("write") {
                        self.escape(&v);
                        if self.extern_c {
                            self.hand_to_c(&v, first_span(a), env);
                        }
                    }
                }
                Val::default()
            }
            _ => {
                let info_hint = self.owned_hint(m, env);
                let rv = self.eval(&m.receiver, env);
                if !VIEW_METHODS.contains(&name.as_str()) {
                    self.escape(&rv);
                }
                let mut appended_nul = false;
                for a in &m.args {
                    let v = self.eval(a, env);
                    appended_nul = v.ends_nul() || is_nul_char(a);
                    self.mark_moved(a, env);
                    self.escape(&v);
                }
                self.track_nul(&name, &m.receiver, m.args.len() == 1 && appended_nul, env);
                Val {
                    nul: KEEPS_TEXT.contains(&name.as_str()) && rv.ends_nul(),
                    hint: info_hint,
                    carried: if VIEW_METHODS.contains(&name.as_str()) {
                        rv.carried
                    } else {
                        Vec::new()
                    },
                    ..Val::default()
                }
            }
        }
    }

    /// A method called on a string local changes what its text ends with:
    /// `s.push('\0')` and `s.push_str("..\0")` end it in a NUL (`appended_nul`),
    /// anything else that edits it leaves the end unknown.
    pub(super) fn track_nul(
        &mut self,
        method: &str,
        recv: &Expr,
        appended_nul: bool,
        env: &mut Env,
    ) {
        let Some(var) = path_ident(recv).and_then(|n| env.var_mut(&n)) else {
            return;
        };
        if APPENDS.contains(&method) {
            var.val.nul = appended_nul;
        } else if EDITS.contains(&method) {
            var.val.nul = false;
        }
    }

    /// What the receiver of `.as_ptr()` is: its kind, whether a temporary,
    /// its text, and the local that owns it.
    /// What an owning conversion (`to_string`, `to_vec`, `to_owned`, ...)
    /// makes of its receiver; `Unknown` for any other method.
    pub(super) fn owned_hint(&self, m: &ExprMethodCall, env: &Env) -> Hint {
        match m.method.to_string().as_str() {
            "to_string" | "into_string" | "to_string_lossy" => Hint::String,
            "to_vec" | "into_bytes" => Hint::Vec,
            "to_owned" | "clone" => match self.receiver_info(&m.receiver, env).hint {
                Hint::CStrLit | Hint::CString => Hint::CString,
                Hint::Str | Hint::StrLit(_) | Hint::String | Hint::StringRef => Hint::String,
                Hint::Vec => Hint::Vec,
                _ => Hint::Unknown,
            },
            _ => Hint::Unknown,
        }
    }

    pub(super) fn receiver_info(&self, e: &Expr, env: &Env) -> RecvInfo {
        let root = root_text(e);
        let mut info = RecvInfo {
            hint: Hint::Unknown,
            temp: false,
            root,
            owner: None,
        };
        let mut e = e;
        loop {
            match e {
                Expr::Paren(p) => e = &p.expr,
                Expr::Group(g) => e = &g.expr,
                Expr::Reference(r) => e = &r.expr,
                Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
                Expr::Try(t) => e = &t.expr,
                Expr::MethodCall(m)
                    if VIEW_METHODS.contains(&m.method.to_string().as_str())
                        || UNWRAPS.contains(&m.method.to_string().as_str()) =>
                {
                    e = &m.receiver
                }
                _ => break,
            }
        }
        match e {
            Expr::Lit(l) => info.hint = lit_hint(&l.lit),
            Expr::Path(p) => {
                if let Some(var) = p.path.get_ident().and_then(|id| env.var(&id.to_string())) {
                    info.hint = var.val.hint.clone();
                    if info.hint.owned() {
                        info.owner = Some(var.binding);
                    }
                }
            }
            Expr::Field(f) => {
                if let syn::Member::Named(n) = &f.member {
                    info.hint = self.field_hint(&n.to_string());
                }
            }
            Expr::Call(c) => {
                if let Some((segs, _)) = callee(&c.func) {
                    let name = segs.last().map(String::as_str).unwrap_or("");
                    let qual = if segs.len() >= 2 {
                        segs[segs.len() - 2].as_str()
                    } else {
                        ""
                    };
                    let hint = ctor_hint(qual, name, c.args.first(), env, self.self_ty.as_deref());
                    info.temp = hint.owned();
                    info.hint = hint;
                }
            }
            Expr::MethodCall(m) => {
                let hint = self.owned_hint(m, env);
                info.temp = hint.owned();
                info.hint = hint;
            }
            Expr::Macro(m) => {
                let name = m
                    .mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                match name.as_str() {
                    "format" => {
                        info.hint = Hint::String;
                        info.temp = true;
                    }
                    "vec" => {
                        info.hint = Hint::Vec;
                        info.temp = true;
                    }
                    "concat" => info.hint = concat_hint(&m.mac),
                    "c" | "cstr" | "c_str" => info.hint = Hint::CStrLit,
                    _ => {}
                }
            }
            _ => {}
        }
        info
    }
}

pub(super) struct RecvInfo {
    pub(super) hint: Hint,
    pub(super) temp: bool,
    pub(super) root: Option<String>,
    pub(super) owner: Option<usize>,
}

pub(super) const PTR_METHODS: &[&str] = &[
    "is_null",
    "add",
    "offset",
    "sub",
    "wrapping_add",
    "wrapping_sub",
    "wrapping_offset",
    "byte_add",
    "byte_sub",
    "byte_offset",
    "read",
    "read_unaligned",
    "read_volatile",
    "write",
    "write_unaligned",
    "write_volatile",
    "write_bytes",
    "is_aligned",
    "addr",
    "expose_provenance",
    "as_ref",
    "as_mut",
    "as_uninit_ref",
    "offset_from",
    "copy_from",
    "copy_to",
    "copy_from_nonoverlapping",
    "copy_to_nonoverlapping",
    "eq",
    "ne",
    "set_len",
    "is_empty",
];

/// Methods that return a view of their receiver, owning nothing.
pub(super) const VIEW_METHODS: &[&str] = &[
    "as_bytes",
    "as_bytes_with_nul",
    "as_str",
    "as_slice",
    "as_mut_slice",
    "as_c_str",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "as_deref",
    "iter",
    "to_bytes",
    "to_bytes_with_nul",
];

/// How `Kind::Rust` names `Vec::into_raw_parts`, whose value is a
/// (pointer, length, capacity) tuple rather than a pointer.
pub(super) const RAW_PARTS: &str = "Vec::into_raw_parts";

/// Methods whose result has their receiver's text (or bytes), so a string
/// ending in NUL still does.
pub(super) const KEEPS_TEXT: &[&str] = &[
    "to_string",
    "to_owned",
    "into",
    "clone",
    "to_vec",
    "into_bytes",
    "into_boxed_str",
    "into_boxed_slice",
    "as_bytes",
    "as_str",
    "as_mut_str",
    "as_slice",
    "as_mut_slice",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "as_deref",
];

/// `String`/`Vec` methods that append their one argument at the end.
pub(super) const APPENDS: &[&str] = &["push", "push_str", "extend_from_slice"];

/// `String`/`Vec` methods that change the text in other ways.
pub(super) const EDITS: &[&str] = &[
    "extend",
    "append",
    "insert",
    "insert_str",
    "truncate",
    "clear",
    "pop",
    "remove",
    "retain",
    "drain",
    "split_off",
    "replace_range",
    "resize",
    "as_mut_vec",
    "as_mut_str",
    "as_mut_slice",
];

pub(super) const UNWRAPS: &[&str] = &["unwrap", "expect", "unwrap_unchecked"];
