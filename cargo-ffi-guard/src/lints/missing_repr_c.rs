//! `missing_repr_c`: a type without #[repr(C)] that C can see.
//!
//! Its wording is here; its fact is the FFI surface (`surface.rs`, `Facts::build`), through `LintContext::surface`.

use std::collections::BTreeMap;

use crate::context::LintContext;
use crate::diag::{Diagnostic, Edit, Level, Span, byte_offset, indentation};
use crate::index::{TypeDef, TypeId};
use crate::lints::Lint;
use crate::model::Crate;
use crate::surface::{self, Reach, item_fields};

pub static LINT: Lint = Lint {
    name: "missing_repr_c",
    default_level: Level::Deny,
    summary: "a type without #[repr(C)] that C can see",
    explanation: r#"### What it does

Finds structs, enums and unions of the crate that C can see but that have no
defined layout: no `#[repr(C)]`, no `#[repr(transparent)]`, and (for enums)
no primitive repr such as `#[repr(u8)]`. C sees a type when it is passed by
value in any `extern "C"` signature, behind a pointer or reference in an
extern block, or as a by-value field of a type C can see.

Behind a pointer in a Rust `extern "C"` fn, a type is flagged only when the
crate never hands that type out itself (no `Box::into_raw`/`Arc::into_raw` of
it, no struct literal of it outside tests, no export returning a pointer to
it): a type the crate hands out is an opaque handle, which C never looks
inside. A type whose fields are all private to the crate (no `pub` field) is
such a handle too: nothing outside the crate could have built one. Opaque types (empty enums, structs
with no fields or only zero-sized fields) are never flagged.

One diagnostic per type, at its first use; the definition and the other uses
are listed as notes. `--fix` adds `#[repr(C)]` to the definition.

### Why is this bad?

Rust lays out a type without a `repr` as it likes: it may reorder fields and
change the order between compiler versions. The C side reads fields at the
offsets its own header says, so it reads the wrong bytes, silently.

### Example

```rust
pub struct Point { x: f64, y: f64 }

#[unsafe(no_mangle)]
pub extern "C" fn point_len(p: Point) -> f64 { (p.x * p.x + p.y * p.y).sqrt() }
```

### Use instead

```rust
#[repr(C)]
pub struct Point { x: f64, y: f64 }

#[unsafe(no_mangle)]
pub extern "C" fn point_len(p: Point) -> f64 { (p.x * p.x + p.y * p.y).sqrt() }
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let surface = cx.surface();
    let ix = &krate.index;
    // Uses per type, in file order (the surface sorts them).
    let mut per_type: BTreeMap<TypeId, Vec<&crate::surface::Use>> = BTreeMap::new();
    for u in surface.uses {
        per_type.entry(u.ty).or_default().push(u);
    }
    let mut found: Vec<(usize, usize, usize, Diagnostic)> = Vec::new();
    for (id, uses) in per_type {
        let def = &ix.types[id];
        if surface::has_c_layout(krate, def) || def.opaque_origin || is_opaque(krate, def) {
            continue;
        }
        let Some(first) = uses.iter().find(|u| surface.needs_layout(u)) else {
            continue;
        };
        let kind = def.kind.name();
        let name = &def.name;
        let message = match first.reach {
            Reach::ByValue => {
                format!("{kind} `{name}` crosses the FFI boundary by value but has no #[repr(C)]")
            }
            Reach::PtrImport => format!(
                "{kind} `{name}` is passed to C behind a pointer, so C reads its fields, but it has no #[repr(C)]"
            ),
            Reach::PtrExport => format!(
                "{kind} `{name}` comes from C behind a pointer (the crate never hands it out), but it has no #[repr(C)]"
            ),
            Reach::Field { owner } => format!(
                "{kind} `{name}` is a by-value field of `{}`, which C can see, but it has no #[repr(C)]",
                ix.types[owner].name
            ),
        };
        let mut d = Diagnostic::new(LINT.name, first.span.clone(), message)
            .help(format!("add #[repr(C)] to `{name}`"));
        if let Some((span, edit)) = definition(krate, def) {
            d = d.related(span, format!("`{name}` is defined here"));
            if let Some(edit) = edit {
                d = d.fix(edit);
            }
        }
        for u in uses.iter().filter(|u| !std::ptr::eq(**u, *first)) {
            d = d.related(u.span.clone(), format!("`{name}` is also used here"));
        }
        found.push((first.order.0, first.order.1, first.order.2, d));
    }
    found.sort_by_key(|(f, l, c, _)| (*f, *l, *c));
    out.extend(found.into_iter().map(|(_, _, _, d)| d));
}

/// Empty enums, and structs or unions whose fields are all zero-sized: C
/// only ever holds a pointer to them.
fn is_opaque(krate: &Crate, def: &TypeDef) -> bool {
    let Some(item) = krate.item(&def.loc) else {
        return true;
    };
    match item {
        syn::Item::Enum(e) => e.variants.is_empty(),
        _ => item_fields(item).iter().all(|f| is_zero_sized(&f.ty)),
    }
}

fn is_zero_sized(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Array(a) => matches!(
            &a.len,
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0"
        ),
        syn::Type::Tuple(t) => t.elems.is_empty(),
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "PhantomData" || s.ident == "PhantomPinned"),
        syn::Type::Paren(p) => is_zero_sized(&p.elem),
        _ => false,
    }
}

/// Where the type is defined (from its visibility or keyword, after the
/// attributes), and the edit that adds `#[repr(C)]` there.
fn definition(krate: &Crate, def: &TypeDef) -> Option<(Span, Option<Edit>)> {
    let file = krate.files.get(def.loc.file)?;
    let item = krate.item(&def.loc)?;
    let (vis, keyword, ident) = match item {
        syn::Item::Struct(s) => (&s.vis, s.struct_token.span, &s.ident),
        syn::Item::Enum(e) => (&e.vis, e.enum_token.span, &e.ident),
        syn::Item::Union(u) => (&u.vis, u.union_token.span, &u.ident),
        _ => return None,
    };
    let start = match vis {
        syn::Visibility::Inherited => keyword,
        v => syn::spanned::Spanned::span(v),
    };
    let span = Span::join(&file.path, start, ident.span());
    let edit = byte_offset(&file.text, span.line, span.column).map(|at| Edit {
        file: file.path.clone(),
        start: at,
        end: at,
        text: format!("#[repr(C)]\n{}", indentation(&file.text, span.line)),
    });
    Some((span, edit))
}
