//! `improper_ffi_type`: a Rust-only type (String, Vec, slice, tuple, char, dyn, Rust fn pointer) in an extern \"C\" signature.
//!
//! Its wording is here; its fact is the FFI surface (`surface.rs`, `sig_types` and `Facts::build`), through
//! `LintContext::surface`.

use crate::context::LintContext;
use crate::diag::{Diagnostic, Level, Span};
use crate::index::{Index, ModuleId, abi_name, is_c_abi};
use crate::lints::Lint;
use crate::surface::{self, item_fields, last_segment, type_span};

pub static LINT: Lint = Lint {
    name: "improper_ffi_type",
    default_level: Level::Deny,
    summary: "a Rust-only type (String, Vec, slice, tuple, char, dyn, Rust fn pointer) in an extern \"C\" signature",
    explanation: r#"### What it does

Finds types that have no C equivalent in an `extern "C"` signature (imports
in extern blocks and fns defined in Rust alike) or in a field of a type C
can see: `String`, `str`/`&str`, `Vec`, slices, `Box<[T]>`, `Box<dyn ..>`,
tuples, `char`, pointers to `dyn Trait`, Rust-ABI `fn` pointers, and generic
type parameters by value.

These are FFI-safe and never flagged: `&T`, `&mut T`, `Option<&T>`,
`NonNull<T>`, `Box<T>` of a sized `T`, `Option<extern "C" fn>`,
`extern "C-unwind"`/`"system"` fn pointers, `bool`, `u128`/`i128`,
`PhantomData` fields, `MaybeUninit<T>` of a safe `T`.

### Why is this bad?

A `String` or `Vec` is three words whose order Rust does not promise; a
`&str` or slice pointer is two words (address and length) where C expects
one; `char` is a 32-bit Unicode scalar that C's `char` is not; a Rust-ABI fn
pointer uses a calling convention C does not know. The C side reads garbage,
or frees memory that Rust's allocator owns.

### Example

```rust
#[unsafe(no_mangle)]
pub extern "C" fn greet(name: &str) -> String {
    format!("hello {name}")
}
```

### Use instead

```rust
use std::ffi::{CStr, CString, c_char};

#[unsafe(no_mangle)]
pub unsafe extern "C" fn greet(name: *const c_char) -> *mut c_char {
    let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
    CString::new(format!("hello {name}")).map_or(std::ptr::null_mut(), CString::into_raw)
}
```
"#,
    check,
};

fn check(cx: &LintContext<'_>, out: &mut Vec<Diagnostic>) {
    let krate = cx.krate;
    let surface = cx.surface();
    let ix = &krate.index;
    for st in &surface.sig_types {
        let cx = Cx {
            ix,
            module: st.module,
            path: &krate.files[st.file].path,
            generics: Some(st.generics),
            field: false,
        };
        cx.check(st.ty, out);
    }
    for &t in surface.visible {
        let def = &ix.types[t];
        // Without a C repr the type's one finding is `missing_repr_c`'s,
        // whether or not that lint is allowed.
        if !surface::has_c_layout(krate, def) {
            continue;
        }
        let Some(item) = krate.item(&def.loc) else {
            continue;
        };
        let generics = match item {
            syn::Item::Struct(s) => &s.generics,
            syn::Item::Enum(e) => &e.generics,
            syn::Item::Union(u) => &u.generics,
            _ => continue,
        };
        let cx = Cx {
            ix,
            module: def.module,
            path: &krate.files[def.loc.file].path,
            generics: Some(generics),
            field: true,
        };
        for f in item_fields(item) {
            cx.check(&f.ty, out);
        }
    }
}

struct Cx<'a> {
    ix: &'a Index,
    module: ModuleId,
    path: &'a str,
    generics: Option<&'a syn::Generics>,
    field: bool,
}

impl Cx<'_> {
    fn check(&self, ty: &syn::Type, out: &mut Vec<Diagnostic>) {
        self.by_value(ty, ty, out, 0);
    }

    fn report(&self, site: &syn::Type, what: &str, help: &str, out: &mut Vec<Diagnostic>) {
        let place = if self.field {
            "a field of a type C can see"
        } else {
            "an extern \"C\" signature"
        };
        let span = match site {
            syn::Type::Path(_) => type_span(self.path, site),
            _ => Span::from_syn(self.path, syn::spanned::Spanned::span(site)),
        };
        out.push(
            Diagnostic::new(
                LINT.name,
                span,
                format!("{what} in {place} is not FFI-safe"),
            )
            .help(help.to_owned()),
        );
    }

    /// `ty` held by value. `site` is where the user wrote it (aliases are
    /// followed, the diagnostic stays at the use).
    fn by_value<'t>(
        &self,
        ty: &'t syn::Type,
        site: &'t syn::Type,
        out: &mut Vec<Diagnostic>,
        depth: usize,
    ) {
        if depth > 16 {
            return;
        }
        let own_site = std::ptr::eq(ty, site);
        let own = |t: &'t syn::Type| -> &'t syn::Type { if own_site { t } else { site } };
        match ty {
            syn::Type::Paren(p) => self.by_value(&p.elem, own(&p.elem), out, depth + 1),
            syn::Type::Group(g) => self.by_value(&g.elem, own(&g.elem), out, depth + 1),
            syn::Type::Ptr(p) => self.pointee(&p.elem, own(&p.elem), out, depth),
            syn::Type::Reference(r) => self.pointee(&r.elem, own(&r.elem), out, depth),
            syn::Type::Array(a) => self.by_value(&a.elem, own(&a.elem), out, depth + 1),
            syn::Type::Slice(_) => self.report(
                site,
                "a slice",
                "pass a pointer to the first element and a length",
                out,
            ),
            syn::Type::Tuple(t) if !t.elems.is_empty() => self.report(
                site,
                "a tuple",
                "use a #[repr(C)] struct with named fields",
                out,
            ),
            syn::Type::TraitObject(_) => self.report(
                site,
                "a `dyn Trait`",
                "pass an opaque pointer (`*mut c_void`) and a C function table",
                out,
            ),
            syn::Type::ImplTrait(_) => self.report(
                site,
                "an `impl Trait` (a generic type)",
                "use a concrete #[repr(C)] type",
                out,
            ),
            syn::Type::BareFn(bf) => self.fn_pointer(bf, site, out, depth),
            syn::Type::Path(p) => {
                if p.qself.is_some() {
                    return;
                }
                if own_site && self.is_generic_param(ty) {
                    self.report(
                        site,
                        "a generic type parameter by value",
                        "use a concrete #[repr(C)] type, or pass the value behind a pointer",
                        out,
                    );
                    return;
                }
                if self.ix.resolve_adt(self.module, ty).is_some() {
                    return;
                }
                if let Some((m, t)) = self.ix.resolve_alias(self.module, ty) {
                    let inner = Cx {
                        module: m,
                        generics: None,
                        ..*self
                    };
                    inner.by_value(t, site, out, depth + 1);
                    return;
                }
                let Some((name, arg)) = last_segment(ty) else {
                    return;
                };
                match (name.as_str(), arg) {
                    ("String", _) => self.report(
                        site,
                        "`String`",
                        "pass a `*const c_char` from a `CString` (or a pointer and a length)",
                        out,
                    ),
                    ("str", _) => self.report(
                        site,
                        "`str`",
                        "pass a `*const c_char` from a `CString`",
                        out,
                    ),
                    ("char", _) => self.report(
                        site,
                        "`char`",
                        "use `u32` for a Unicode scalar, or `c_char` for a C character",
                        out,
                    ),
                    ("Vec", _) => self.report(
                        site,
                        "`Vec`",
                        "pass a pointer to the first element and a length",
                        out,
                    ),
                    ("Box" | "NonNull" | "AtomicPtr", Some(a)) => {
                        self.pointee(a, own(a), out, depth)
                    }
                    (
                        "Option" | "MaybeUninit" | "ManuallyDrop" | "Cell" | "UnsafeCell",
                        Some(a),
                    ) => self.by_value(a, own(a), out, depth + 1),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The pointee of a thin pointer: only unsized pointees (which make the
    /// pointer two words wide) are a problem.
    fn pointee(&self, ty: &syn::Type, site: &syn::Type, out: &mut Vec<Diagnostic>, depth: usize) {
        if depth > 16 {
            return;
        }
        match ty {
            syn::Type::Paren(p) => self.pointee(&p.elem, site, out, depth + 1),
            syn::Type::Slice(_) => self.report(
                site,
                "a pointer to a slice (two words wide)",
                "pass a pointer to the first element and a length",
                out,
            ),
            syn::Type::TraitObject(_) => self.report(
                site,
                "a `dyn Trait` pointer (two words wide)",
                "box the trait object and pass `*mut Box<dyn Trait>`, or an opaque pointer",
                out,
            ),
            syn::Type::Path(p) if p.qself.is_none() => {
                if self.ix.resolve_adt(self.module, ty).is_some() {
                    return;
                }
                if let Some((m, t)) = self.ix.resolve_alias(self.module, ty) {
                    let inner = Cx {
                        module: m,
                        generics: None,
                        ..*self
                    };
                    inner.pointee(t, site, out, depth + 1);
                    return;
                }
                match last_segment(ty).map(|(n, _)| n).as_deref() {
                    Some("str") => self.report(
                        site,
                        "a `str` pointer (two words wide)",
                        "pass a `*const c_char` from a `CString`",
                        out,
                    ),
                    Some("CStr") => self.report(
                        site,
                        "a `CStr` pointer (two words wide)",
                        "pass `CStr::as_ptr()`, a `*const c_char`",
                        out,
                    ),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn fn_pointer(
        &self,
        bf: &syn::TypeBareFn,
        site: &syn::Type,
        out: &mut Vec<Diagnostic>,
        depth: usize,
    ) {
        if !is_c_abi(abi_name(&bf.abi).as_deref()) {
            self.report(
                site,
                "a Rust-ABI `fn` pointer",
                "declare the callback `extern \"C\" fn`",
                out,
            );
            return;
        }
        // A C callback's own parameters cross the boundary too.
        let inner = Cx {
            generics: None,
            ..*self
        };
        for a in &bf.inputs {
            inner.by_value(&a.ty, &a.ty, out, depth + 1);
        }
        if let syn::ReturnType::Type(_, t) = &bf.output {
            inner.by_value(t, t, out, depth + 1);
        }
    }

    fn is_generic_param(&self, ty: &syn::Type) -> bool {
        let (Some(g), syn::Type::Path(p)) = (self.generics, ty) else {
            return false;
        };
        let Some(id) = p.path.get_ident() else {
            return false;
        };
        g.type_params().any(|tp| tp.ident == *id)
    }
}
