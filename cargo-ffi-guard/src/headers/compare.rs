//! Rust against C, on one target: each Rust item with a C item of the
//! same name (or the one its `c-name` comment names) is compared, and the
//! first difference becomes a [`Finding`]. Where either side is unknown to
//! the checker (a type it cannot lay out, a bitfield), it stays silent.

use quote::ToTokens;

use crate::diag::Span;
use crate::model::Crate;

use super::c::{CModel, CRecord, CSig, CType, Loc, Named};
use super::rust::{Layout, Memo, RSig, RTy, Repr, RustSide, item_attrs, void_if_unit, wrap};
use super::target::Target;

/// One difference on one target.
#[derive(Debug, Clone)]
pub struct Finding {
    pub lint: &'static str,
    pub span: Span,
    /// `struct `Foo``, `fn `deflate``.
    pub rust_item: String,
    pub c_item: String,
    pub c_loc: Loc,
    pub difference: String,
    /// A const-ness difference that C cannot observe as a crash: warn level.
    pub warn: bool,
    pub note: Option<String>,
}

#[derive(Debug)]
pub struct Ctx<'a, 'k> {
    pub krate: &'k Crate,
    pub side: &'a RustSide<'k>,
    pub t: &'a Target,
    pub cfgs: &'a [String],
    pub c: &'a CModel,
    pub memo: Memo,
}

/// How a type is used: a field (const-ness of the pointee not compared)
/// or a signature.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Field,
    Sig,
}

/// A difference between two types, and whether it is only a const-ness one.
struct Diff {
    text: String,
    warn: bool,
}

fn diff(text: impl Into<String>) -> Option<Diff> {
    Some(Diff {
        text: text.into(),
        warn: false,
    })
}

impl Ctx<'_, '_> {
    pub fn run(&self, out: &mut Vec<Finding>) {
        for (i, adt) in self.side.adts.iter().enumerate() {
            if self.side.active(adt, self.t, self.cfgs) && !self.side.macro_made.contains(&i) {
                self.adt(i, out);
            }
        }
        for f in &self.side.fns {
            if self.side.active(&f.at, self.t, self.cfgs) {
                self.func(f, out);
            }
        }
        for c in &self.side.consts {
            if self.side.active(c, self.t, self.cfgs) {
                self.constant(c, out);
            }
        }
    }

    fn file(&self, f: usize) -> &str {
        &self.krate.files[f].path
    }

    /// The C item a Rust ADT stands for.
    fn c_of(&self, i: usize) -> Option<&Named> {
        let adt = &self.side.adts[i];
        match &adt.c_name {
            Some(n) => self.c.named(n),
            None => self.c.named(&ident(adt.item)?.to_string()),
        }
    }

    fn adt(&self, i: usize, out: &mut Vec<Finding>) {
        let adt = &self.side.adts[i];
        let Some(id) = ident(adt.item) else { return };
        let kind = match adt.item {
            syn::Item::Struct(_) => "struct",
            syn::Item::Union(_) => "union",
            _ => "enum",
        };
        let rust_item = format!("{kind} `{id}`");
        let span = Span::from_syn(self.file(adt.file), id.span());
        let Some(named) = self.c_of(i) else { return };
        let Some(layout) = self
            .side
            .layout(self.krate, i, self.t, self.cfgs, &self.memo)
        else {
            return;
        };
        let finding = |lint, span: Span, c_item: &str, c_loc: &Loc, d: Diff, note| Finding {
            lint,
            span,
            rust_item: rust_item.clone(),
            c_item: c_item.to_owned(),
            c_loc: c_loc.clone(),
            difference: d.text,
            warn: d.warn,
            note,
        };
        match (named, adt.item) {
            (Named::Record(key), syn::Item::Struct(_) | syn::Item::Union(_)) => {
                let Some(rec) = self.c.records.get(key) else {
                    return;
                };
                if let Some((d, at, note)) = self.record(&layout, rec) {
                    out.push(finding(
                        "layout_mismatch",
                        at.unwrap_or(span),
                        &rec.display,
                        &rec.loc,
                        d,
                        note,
                    ));
                }
            }
            (Named::Enum(key), syn::Item::Enum(e)) => {
                let Some(en) = self.c.enums.get(key) else {
                    return;
                };
                if layout.opaque {
                    return;
                }
                let size_diff = if layout.size != en.size {
                    diff(format!(
                        "it is {} bytes in Rust, {} bytes in C",
                        layout.size, en.size
                    ))
                } else if layout.align != en.align {
                    diff(format!(
                        "its alignment is {} in Rust, {} in C",
                        layout.align, en.align
                    ))
                } else {
                    None
                };
                if let Some(d) = size_diff {
                    out.push(finding(
                        "layout_mismatch",
                        span.clone(),
                        &en.display,
                        &en.loc,
                        d,
                        None,
                    ));
                }
                let (size, signed) = Repr::read(item_attrs(adt.item))
                    .int
                    .unwrap_or((en.size, en.signed));
                let mut next = 0i128;
                for v in &e.variants {
                    let value = match &v.discriminant {
                        Some((_, expr)) => {
                            match self
                                .side
                                .eval(self.krate, adt.module, expr, self.t, self.cfgs, 0)
                            {
                                Some(x) => x,
                                None => break,
                            }
                        }
                        None => next,
                    };
                    next = value + 1;
                    let name = v.ident.to_string();
                    let Some((c_name, c_value)) = enumerator(&en.values, &name) else {
                        continue;
                    };
                    if wrap(value, size, signed) != wrap(c_value, size, signed) {
                        let loc = self.c.consts.get(c_name).map_or(&en.loc, |c| &c.loc);
                        out.push(Finding {
                            lint: "constant_mismatch",
                            span: Span::from_syn(self.file(adt.file), v.ident.span()),
                            rust_item: format!("variant `{id}::{name}`"),
                            c_item: format!("{c_name}` of `{}", en.display),
                            c_loc: loc.clone(),
                            difference: format!("its value is {value} in Rust, {c_value} in C"),
                            warn: false,
                            note: None,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// The first difference between a Rust layout and a C record, with the
    /// place of the field it concerns, and a note for bitfields.
    fn record(&self, l: &Layout, rec: &CRecord) -> Option<(Diff, Option<Span>, Option<String>)> {
        let c_size = rec.size?;
        if l.opaque {
            return None;
        }
        let fields: Vec<_> = l
            .fields
            .iter()
            .filter(|f| {
                self.side
                    .size_align(self.krate, &f.ty, self.t, self.cfgs, &self.memo)
                    .is_some_and(|(s, _)| s > 0)
            })
            .collect();
        let first_bit = rec.fields.iter().position(|f| f.bit_width.is_some());
        let c_fields = &rec.fields[..first_bit.unwrap_or(rec.fields.len())];
        let note = first_bit.map(|b| {
            format!(
                "C's fields from `{}` on are bitfields, which the checker compares by the record's size and alignment only",
                rec.fields[b].name
            )
        });
        for (n, (r, c)) in fields.iter().zip(c_fields).enumerate() {
            let rname = r.name.trim_start_matches("r#");
            if rname != c.name
                && rname.trim_end_matches('_') != c.name
                && let Some(pos) = rec.fields.iter().position(|f| f.name == rname)
            {
                {
                    return Some((
                        diff(format!(
                            "field `{rname}` is field {} in Rust, field {} in C (C has `{}` there)",
                            n + 1,
                            pos + 1,
                            c.name
                        ))?,
                        Some(r.span.clone()),
                        note,
                    ));
                }
            }
            if r.offset * 8 != c.offset_bits {
                return Some((
                    diff(format!(
                        "field `{rname}` is at offset {} in Rust, {} in C",
                        r.offset,
                        c.offset_bits as f64 / 8.0
                    ))?,
                    Some(r.span.clone()),
                    note,
                ));
            }
            if let Some(d) = self.ty(&r.ty, &c.ty, Mode::Field, 0) {
                return Some((
                    Diff {
                        text: format!("field `{rname}`: {}", d.text),
                        warn: d.warn,
                    },
                    Some(r.span.clone()),
                    note,
                ));
            }
        }
        if first_bit.is_none() && fields.len() != c_fields.len() {
            let text = if fields.len() > c_fields.len() {
                format!(
                    "Rust has {} fields, C has {}: C has no field `{}`",
                    fields.len(),
                    c_fields.len(),
                    fields[c_fields.len()].name
                )
            } else {
                format!(
                    "Rust has {} fields, C has {}: Rust lacks C's field `{}`",
                    fields.len(),
                    c_fields.len(),
                    c_fields[fields.len()].name
                )
            };
            let at = fields.get(c_fields.len()).map(|f| f.span.clone());
            return Some((diff(text)?, at, note));
        }
        if l.size != c_size {
            return Some((
                diff(format!(
                    "it is {} bytes in Rust, {c_size} bytes in C",
                    l.size
                ))?,
                None,
                note,
            ));
        }
        if l.align != rec.align {
            return Some((
                diff(format!(
                    "its alignment is {} in Rust, {} in C",
                    l.align, rec.align
                ))?,
                None,
                note,
            ));
        }
        None
    }

    fn func(&self, f: &super::rust::RFn<'_>, out: &mut Vec<Finding>) {
        let name = f.at.c_name.as_deref().unwrap_or(&f.symbol);
        let Some(cf) = self.c.fns.get(name) else {
            return;
        };
        let sig = f.at.item;
        let file = self.file(f.at.file);
        let lower = |ty: &syn::Type| {
            self.side
                .lower(self.krate, f.at.module, ty, self.t, self.cfgs, 0)
        };
        let params: Vec<(RTy, &syn::Type, String)> = sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(p) => {
                    Some((lower(&p.ty), &*p.ty, p.pat.to_token_stream().to_string()))
                }
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        let ret = match &sig.output {
            syn::ReturnType::Default => RTy::Void,
            syn::ReturnType::Type(_, ty) => void_if_unit(lower(ty)),
        };
        let push = |span: Span, d: Diff, out: &mut Vec<Finding>| {
            out.push(Finding {
                lint: "signature_mismatch",
                span,
                rust_item: format!("fn `{}`", sig.ident),
                c_item: name.to_owned(),
                c_loc: cf.loc.clone(),
                difference: d.text,
                warn: d.warn,
                note: None,
            });
        };
        let fn_span = Span::from_syn(file, sig.ident.span());
        let c = &cf.sig;
        if c.proto && params.len() != c.params.len() {
            let d = diff(format!(
                "it takes {} parameter{} in Rust, {} in C",
                params.len(),
                if params.len() == 1 { "" } else { "s" },
                c.params.len()
            ));
            push(fn_span, d.expect("a difference"), out);
            return;
        }
        if c.proto && sig.variadic.is_some() != c.variadic {
            let d = if c.variadic {
                diff("it is variadic in C (`...`), not in Rust")
            } else {
                diff("it is variadic in Rust (`...`), not in C")
            };
            push(fn_span, d.expect("a difference"), out);
            return;
        }
        if c.proto {
            for (n, ((r, ty, pname), cty)) in params.iter().zip(&c.params).enumerate() {
                if let Some(d) = self.ty(r, cty, Mode::Sig, 0) {
                    let span = Span::from_syn(file, syn::spanned::Spanned::span(*ty));
                    push(
                        span,
                        Diff {
                            text: format!("parameter {} (`{pname}`): {}", n + 1, d.text),
                            warn: d.warn,
                        },
                        out,
                    );
                    return;
                }
            }
        }
        if let Some(d) = self.ty(&ret, &c.ret, Mode::Sig, 0) {
            let span = match &sig.output {
                syn::ReturnType::Type(_, ty) => {
                    Span::from_syn(file, syn::spanned::Spanned::span(&**ty))
                }
                syn::ReturnType::Default => fn_span,
            };
            push(
                span,
                Diff {
                    text: format!("the return type: {}", d.text),
                    warn: d.warn,
                },
                out,
            );
        }
    }

    fn constant(&self, c: &super::rust::Scoped<'_, syn::ItemConst>, out: &mut Vec<Finding>) {
        let id = &c.item.ident;
        let name = c.c_name.clone().unwrap_or_else(|| id.to_string());
        let Some(cc) = self.c.consts.get(&name) else {
            return;
        };
        let RTy::Int { size, signed } = self
            .side
            .lower(self.krate, c.module, &c.item.ty, self.t, self.cfgs, 0)
        else {
            return;
        };
        let Some(value) = self
            .side
            .eval(self.krate, c.module, &c.item.expr, self.t, self.cfgs, 0)
        else {
            return;
        };
        let (r, cv) = (wrap(value, size, signed), wrap(cc.value, size, signed));
        if r != cv {
            out.push(Finding {
                lint: "constant_mismatch",
                span: Span::from_syn(self.file(c.file), id.span()),
                rust_item: format!("const `{id}`"),
                c_item: name,
                c_loc: cc.loc.clone(),
                difference: format!("its value is {r} in Rust, {cv} in C ({})", cc.what),
                warn: false,
                note: None,
            });
        }
    }

    /// A Rust ADT with `repr(transparent)`: the type of its one non-zero-sized field.
    fn unwrap_transparent(&self, r: &RTy) -> RTy {
        let mut cur = r.clone();
        for _ in 0..8 {
            let RTy::Adt(i) = cur else { break };
            if !Repr::read(item_attrs(self.side.adts[i].item)).transparent {
                break;
            }
            let Some(l) = self
                .side
                .layout(self.krate, i, self.t, self.cfgs, &self.memo)
            else {
                return RTy::Unknown;
            };
            let mut inner = l.fields.iter().filter(|f| {
                self.side
                    .size_align(self.krate, &f.ty, self.t, self.cfgs, &self.memo)
                    .is_some_and(|(s, _)| s > 0)
            });
            match (inner.next(), inner.next()) {
                (Some(f), None) => cur = f.ty.clone(),
                _ => return RTy::Unknown,
            }
        }
        cur
    }

    fn ty(&self, r: &RTy, c: &CType, mode: Mode, depth: usize) -> Option<Diff> {
        if depth > 16 {
            return None;
        }
        let r = &self.unwrap_transparent(r);
        match (r, c) {
            (RTy::Unknown, _) | (_, CType::Other) => None,
            (RTy::Void, CType::Void) | (RTy::Bool, CType::Bool) => None,
            (
                RTy::Int { size, signed },
                CType::Int {
                    size: cs,
                    signed: csg,
                    is_enum,
                },
            ) => {
                if size != cs {
                    diff(format!(
                        "{} {size}-byte integer in Rust, {cs}-byte in C",
                        article(*size)
                    ))
                } else if signed != csg && !is_enum {
                    diff(format!(
                        "{} in Rust, {} in C",
                        if *signed { "signed" } else { "unsigned" },
                        if *csg { "signed" } else { "unsigned" }
                    ))
                } else {
                    None
                }
            }
            (
                RTy::Adt(i),
                CType::Int {
                    size: cs,
                    is_enum: true,
                    ..
                },
            ) => {
                let (s, _) = self
                    .side
                    .size_align(self.krate, r, self.t, self.cfgs, &self.memo)?;
                matches!(self.side.adts[*i].item, syn::Item::Enum(_))
                    .then_some(())
                    .and_then(|()| {
                        (s != *cs).then(|| {
                            format!("{} {s}-byte enum in Rust, {cs}-byte in C", article(s))
                        })
                    })
                    .and_then(diff)
            }
            (RTy::Float(a), CType::Float(b)) => (a != b)
                .then(|| format!("{} {a}-byte float in Rust, {b}-byte in C", article(*a)))
                .and_then(diff),
            (RTy::Ptr { pointee, mutable }, CType::Ptr { pointee: cp, konst }) => {
                if let Some(d) = self.pointee(pointee, cp, depth) {
                    return Some(d);
                }
                if mode == Mode::Sig && depth == 0 {
                    if *mutable && *konst {
                        return Some(Diff {
                            text: "`*mut` in Rust, a pointer to const in C".to_owned(),
                            warn: true,
                        });
                    }
                    if !*mutable && !*konst && !matches!(**cp, CType::Fn(_) | CType::Void) {
                        return diff(
                            "`*const` in Rust, but C's pointee is not const (C may write through it)",
                        );
                    }
                }
                None
            }
            (RTy::Fn(rs), CType::Ptr { pointee, .. }) => match &**pointee {
                CType::Fn(cs) => self.sig(rs, cs, depth),
                CType::Void | CType::Other => None,
                _ => diff("a fn pointer in Rust, a pointer to data in C"),
            },
            (RTy::Array(re, n), CType::Array(ce, cn)) => {
                match cn {
                    Some(cn) if cn != n => {
                        return diff(format!("an array of {n} in Rust, of {cn} in C"));
                    }
                    None if *n != 0 => {
                        return diff(format!("an array of {n} in Rust, a flexible array in C"));
                    }
                    _ => {}
                }
                self.ty(re, ce, mode, depth + 1).map(|d| Diff {
                    text: format!("array elements: {}", d.text),
                    warn: d.warn,
                })
            }
            // A C union written in Rust as one of its members, of the
            // union's size and alignment.
            (_, CType::Record(key))
                if !matches!(r, RTy::Adt(_))
                    && self.c.records.get(key).is_some_and(|rec| {
                        rec.is_union
                            && rec
                                .fields
                                .iter()
                                .any(|f| self.ty(r, &f.ty, mode, depth + 1).is_none())
                            && self
                                .side
                                .size_align(self.krate, r, self.t, self.cfgs, &self.memo)
                                .is_some_and(|(s, a)| Some(s) == rec.size && a == rec.align)
                    }) =>
            {
                None
            }
            (RTy::Adt(i), CType::Record(key)) => {
                if let Some(Named::Record(k)) = self.c_of(*i)
                    && k == key
                {
                    return None;
                }
                let rec = self.c.records.get(key)?;
                let (s, a) = self
                    .side
                    .size_align(self.krate, r, self.t, self.cfgs, &self.memo)?;
                match rec.size {
                    Some(cs) if cs != s => diff(format!(
                        "`{}` is {s} bytes in Rust, `{}` is {cs} in C",
                        self.adt_name(*i),
                        rec.display
                    )),
                    Some(_) if a != rec.align => diff(format!(
                        "`{}` has alignment {a} in Rust, `{}` {} in C",
                        self.adt_name(*i),
                        rec.display,
                        rec.align
                    )),
                    _ => None,
                }
            }
            // A struct, union or enum the checker cannot lay out.
            (RTy::Adt(i), _)
                if self
                    .side
                    .layout(self.krate, *i, self.t, self.cfgs, &self.memo)
                    .is_none() =>
            {
                None
            }
            _ => {
                let (rk, ck) = (rust_kind(r), c_kind(c));
                (rk != ck)
                    .then(|| format!("{rk} in Rust, {ck} in C"))
                    .and_then(diff)
            }
        }
    }

    /// What a pointer points to: `void` on either side matches anything;
    /// a one-byte integer matches any one-byte integer (`u8` for `char`).
    fn pointee(&self, r: &RTy, c: &CType, depth: usize) -> Option<Diff> {
        let r = &self.unwrap_transparent(r);
        match (r, c) {
            (RTy::Void | RTy::Unknown, _) | (_, CType::Void | CType::Other) => None,
            (RTy::Int { size: 1, .. }, CType::Int { size: 1, .. }) => None,
            (RTy::Adt(_), CType::Record(_)) => {
                self.ty(r, c, Mode::Field, depth + 1).map(|d| Diff {
                    text: format!("the pointee: {}", d.text),
                    warn: false,
                })
            }
            (RTy::Adt(i), _)
                if self
                    .side
                    .layout(self.krate, *i, self.t, self.cfgs, &self.memo)
                    .is_some_and(|l| l.opaque) =>
            {
                None
            }
            (RTy::Ptr { pointee, .. }, CType::Ptr { pointee: cp, .. }) => {
                self.pointee(pointee, cp, depth + 1)
            }
            (RTy::Fn(_), CType::Ptr { .. }) => self.ty(r, c, Mode::Field, depth + 1),
            _ => self.ty(r, c, Mode::Field, depth + 1).map(|d| Diff {
                text: format!("the pointee: {}", d.text),
                warn: false,
            }),
        }
    }

    fn sig(&self, r: &RSig, c: &CSig, depth: usize) -> Option<Diff> {
        if !c.proto {
            return None;
        }
        if r.params.len() != c.params.len() {
            return diff(format!(
                "a fn pointer taking {} parameters in Rust, {} in C",
                r.params.len(),
                c.params.len()
            ));
        }
        if r.variadic != c.variadic {
            return diff("a fn pointer that is variadic on one side only");
        }
        for (n, (rp, cp)) in r.params.iter().zip(&c.params).enumerate() {
            if let Some(d) = self.ty(rp, cp, Mode::Field, depth + 1) {
                return diff(format!("fn pointer parameter {}: {}", n + 1, d.text));
            }
        }
        self.ty(&r.ret, &c.ret, Mode::Field, depth + 1)
            .and_then(|d| diff(format!("fn pointer return type: {}", d.text)))
    }

    fn adt_name(&self, i: usize) -> String {
        ident(self.side.adts[i].item).map_or_else(String::new, |i| i.to_string())
    }
}

/// "an 8-byte", "a 4-byte".
fn article(n: u64) -> &'static str {
    if matches!(n, 8 | 11 | 18 | 80) {
        "an"
    } else {
        "a"
    }
}

fn rust_kind(r: &RTy) -> &'static str {
    match r {
        RTy::Void => "nothing (`()`)",
        RTy::Bool => "a bool",
        RTy::Int { .. } => "an integer",
        RTy::Float(_) => "a float",
        RTy::Ptr { .. } => "a pointer",
        RTy::Fn(_) => "a pointer",
        RTy::Array(..) => "an array",
        RTy::Adt(_) => "a struct, union or enum",
        RTy::Zst => "a zero-sized type",
        RTy::Unknown => "unknown",
    }
}

fn c_kind(c: &CType) -> &'static str {
    match c {
        CType::Void => "nothing (`void`)",
        CType::Bool => "a bool",
        CType::Int { is_enum: true, .. } => "a struct, union or enum",
        CType::Int { .. } => "an integer",
        CType::Float(_) => "a float",
        CType::Ptr { .. } => "a pointer",
        CType::Fn(_) => "a function",
        CType::Array(..) => "an array",
        CType::Record(_) => "a struct, union or enum",
        CType::Other => "unknown",
    }
}

fn ident(item: &syn::Item) -> Option<&syn::Ident> {
    match item {
        syn::Item::Struct(s) => Some(&s.ident),
        syn::Item::Union(u) => Some(&u.ident),
        syn::Item::Enum(e) => Some(&e.ident),
        _ => None,
    }
}

/// The C enumerator a Rust variant stands for: the same name, or the one
/// name ending in `_VARIANT` (case-insensitive), as in `Z_OK` for `Ok`.
fn enumerator<'c>(values: &'c [(String, i128)], variant: &str) -> Option<(&'c str, i128)> {
    if let Some((n, v)) = values.iter().find(|(n, _)| n == variant) {
        return Some((n, *v));
    }
    let suffix = format!("_{}", variant.to_ascii_lowercase());
    let plain = variant.to_ascii_lowercase();
    let mut hits = values.iter().filter(|(n, _)| {
        let l = n.to_ascii_lowercase();
        l.ends_with(&suffix) || l.replace('_', "").ends_with(&plain) && l.replace('_', "") != plain
    });
    match (hits.next(), hits.next()) {
        (Some((n, v)), None) => Some((n, *v)),
        _ => None,
    }
}
