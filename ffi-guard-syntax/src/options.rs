//! The options of `#[ffi_guard(...)]`: their grammar, their IR, and every
//! error a malformed list produces (as `syn::Error`, at the offending span).

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, LitBool, LitStr, Meta, Path, Token};

/// Where an options list is written; each place accepts its own set of options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `#[ffi_guard(...)]` on an `extern "C" { .. }` block.
    Block,
    /// `#[ffi_guard(...)]` on a fn declared inside a guarded block.
    ForeignFn,
    /// `#[ffi_guard(...)]` on an `extern "C" fn` defined in Rust (export or callback).
    Export,
}

impl Place {
    /// The option names valid at this place, in the order error messages list them.
    pub fn valid_options(self) -> &'static [&'static str] {
        match self {
            Place::Block => &["infer", "crate"],
            Place::ForeignFn => &FN_OPTIONS[..FN_OPTIONS.len() - 1],
            Place::Export => &FN_OPTIONS,
        }
    }
}

const FN_OPTIONS: [&str; 12] = [
    "alloc",
    "free",
    "consume",
    "slice",
    "cstr",
    "nonnull",
    "alloc_out",
    "text",
    "skip",
    "on_error",
    "on_panic",
    "crate",
];

/// The per-function options, as written (no inference applied).
#[derive(Debug, Clone, Default)]
pub struct FnOptions {
    /// `alloc(free = F)`.
    pub alloc: Option<AllocOpt>,
    /// `free(p, ...)`: parameters the function releases.
    pub free: Vec<Ident>,
    /// `consume(p, ...)`: parameters whose ownership passes to the other side.
    pub consume: Vec<Ident>,
    /// `slice(p, n)`, once per buffer.
    pub slice: Vec<SliceOpt>,
    /// `cstr(p, ...)`.
    pub cstr: Vec<Ident>,
    /// `nonnull(p, ...)`.
    pub nonnull: Vec<Ident>,
    /// `alloc_out(pp, free = F)`, once per out-parameter.
    pub alloc_out: Vec<AllocOutOpt>,
    /// `text(p, n)`: `n` bytes, or a C string when `n` is negative.
    pub text: Vec<SliceOpt>,
    /// `skip`: no checks at all.
    pub skip: bool,
    /// `on_error = EXPR` (or its other spelling `on_panic = EXPR`).
    pub on_error: Option<Expr>,
}

/// `alloc(free = F)`.
#[derive(Debug, Clone)]
pub struct AllocOpt {
    /// The `alloc` keyword, for errors about the option as a whole.
    pub span: Span,
    /// The release function `F`.
    pub free: Path,
}

impl AllocOpt {
    /// The release function's name as the runtime records it: the last path segment.
    pub fn free_name(&self) -> String {
        last_segment(&self.free)
    }
}

/// `alloc_out(pp, free = F)`: a non-null pointer that the call leaves in
/// `*pp` is owned by the caller and must be released with `F`.
#[derive(Debug, Clone)]
pub struct AllocOutOpt {
    /// The out-parameter, a `*mut *mut T`.
    pub param: Ident,
    /// The release function `F`.
    pub free: Path,
}

impl AllocOutOpt {
    /// The release function's name as the runtime records it: the last path segment.
    pub fn free_name(&self) -> String {
        last_segment(&self.free)
    }
}

fn last_segment(path: &Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.unraw().to_string())
        .unwrap_or_default()
}

/// `slice(p, n)`: `p` points to `n` elements of its pointee type (also the
/// shape of `text(p, n)`).
#[derive(Debug, Clone)]
pub struct SliceOpt {
    pub ptr: Ident,
    pub len: Ident,
}

/// The block-level options.
#[derive(Debug, Clone)]
pub struct BlockOptions {
    /// `infer = false` turns inference off; on by default.
    pub infer: bool,
    /// `crate = "path"`: where the runtime is, when it is renamed.
    pub krate: Option<Path>,
}

impl Default for BlockOptions {
    fn default() -> Self {
        BlockOptions {
            infer: true,
            krate: None,
        }
    }
}

/// Everything one options list can say. Options not valid at the list's
/// [`Place`] are rejected by the parser, so the other half stays default.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub func: FnOptions,
    pub block: BlockOptions,
}

/// Parses the tokens inside `#[ffi_guard(...)]` (the attribute macro's
/// argument tokens) for the given place. Empty tokens give the defaults.
pub fn parse_options(tokens: TokenStream, place: Place) -> syn::Result<Options> {
    let parser = |input: ParseStream<'_>| parse_list(input, place);
    parser.parse2(tokens)
}

/// Parses one `#[ffi_guard]` / `#[ffi_guard(...)]` attribute for the given place.
pub fn parse_attr(attr: &Attribute, place: Place) -> syn::Result<Options> {
    match &attr.meta {
        Meta::Path(_) => Ok(Options::default()),
        Meta::List(list) => parse_options(list.tokens.clone(), place),
        Meta::NameValue(nv) => Err(syn::Error::new_spanned(
            nv,
            "expected `#[ffi_guard]` or `#[ffi_guard(...)]`, not `#[ffi_guard = ...]`",
        )),
    }
}

/// Whether an attribute is `#[ffi_guard]`, under any path: `ffi_guard`,
/// `ffi_guard_rt::ffi_guard`, or the path of a renamed runtime.
pub fn is_ffi_guard_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "ffi_guard")
}

/// Finds the `#[ffi_guard]` attribute among `attrs`. More than one is an error
/// at the second: options go in one list.
pub fn find_attr(attrs: &[Attribute]) -> syn::Result<Option<&Attribute>> {
    let mut found = attrs.iter().filter(|a| is_ffi_guard_attr(a));
    let first = found.next();
    if let Some(second) = found.next() {
        return Err(syn::Error::new_spanned(
            second,
            "`#[ffi_guard]` is given twice; write all options in one `#[ffi_guard(...)]` list",
        ));
    }
    Ok(first)
}

/// Finds and parses the `#[ffi_guard(...)]` attribute among `attrs`; `None`
/// when there is none.
pub fn parse_attrs(attrs: &[Attribute], place: Place) -> syn::Result<Option<Options>> {
    find_attr(attrs)?.map(|a| parse_attr(a, place)).transpose()
}

mod kw {
    syn::custom_keyword!(alloc);
    syn::custom_keyword!(free);
    syn::custom_keyword!(consume);
    syn::custom_keyword!(slice);
    syn::custom_keyword!(cstr);
    syn::custom_keyword!(nonnull);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(on_error);
    syn::custom_keyword!(on_panic);
    syn::custom_keyword!(infer);
    syn::custom_keyword!(alloc_out);
    syn::custom_keyword!(text);
}

/// Options already seen in one list, keyed by option (and parameter for the
/// per-parameter options), so a repeat is reported at the repeat.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn insert(&mut self, key: String, span: Span, shown: &str) -> syn::Result<()> {
        if self.0.contains(&key) {
            return Err(syn::Error::new(span, format!("duplicate option `{shown}`")));
        }
        self.0.push(key);
        Ok(())
    }
}

fn parse_list(input: ParseStream<'_>, place: Place) -> syn::Result<Options> {
    let mut out = Options::default();
    let mut seen = Seen::default();
    let mut skip_span = None;
    let mut checks_span = None;
    while !input.is_empty() {
        let name = input.fork().call(Ident::parse_any)?;
        let name_str = name.to_string();
        let span = name.span();
        if !place.valid_options().contains(&name_str.as_str()) {
            return Err(misplaced(&name, place));
        }
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::alloc) {
            input.parse::<kw::alloc>()?;
            seen.insert("alloc".into(), span, "alloc")?;
            let content;
            syn::parenthesized!(content in input);
            let free = free_path(&content, "alloc")?;
            out.func.alloc = Some(AllocOpt { span, free });
            checks_span.get_or_insert(span);
        } else if lookahead.peek(kw::alloc_out) {
            input.parse::<kw::alloc_out>()?;
            let content;
            syn::parenthesized!(content in input);
            let shape = || "expected `alloc_out(pp, free = F)`: the out-parameter and the function that releases what the call leaves in it";
            let param = content
                .call(Ident::parse_any)
                .map_err(|e| syn::Error::new(e.span(), shape()))?;
            content
                .parse::<Token![,]>()
                .map_err(|e| syn::Error::new(e.span(), shape()))?;
            seen.insert(
                format!("alloc_out({param})"),
                param.span(),
                &format!("alloc_out({param}, ..)"),
            )?;
            let free = free_path(&content, "alloc_out")?;
            out.func.alloc_out.push(AllocOutOpt { param, free });
            checks_span.get_or_insert(span);
        } else if lookahead.peek(kw::free)
            || lookahead.peek(kw::consume)
            || lookahead.peek(kw::cstr)
            || lookahead.peek(kw::nonnull)
        {
            input.call(Ident::parse_any)?;
            let params = param_list(input, &name)?;
            for p in &params {
                seen.insert(
                    format!("{name_str}({p})"),
                    p.span(),
                    &format!("{name_str}({p})"),
                )?;
            }
            let list = match name_str.as_str() {
                "free" => &mut out.func.free,
                "consume" => &mut out.func.consume,
                "cstr" => &mut out.func.cstr,
                _ => &mut out.func.nonnull,
            };
            list.extend(params);
            checks_span.get_or_insert(span);
        } else if lookahead.peek(kw::slice) || lookahead.peek(kw::text) {
            input.call(Ident::parse_any)?;
            let content;
            syn::parenthesized!(content in input);
            let args =
                Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
            let mut args = args.into_iter();
            let (Some(ptr), Some(len), None) = (args.next(), args.next(), args.next()) else {
                let what = if name_str == "slice" {
                    "a pointer parameter and its length parameter"
                } else {
                    "a pointer parameter and its length in bytes (negative: NUL-terminated)"
                };
                return Err(syn::Error::new(
                    span,
                    format!("expected `{name_str}(p, n)`: {what}"),
                ));
            };
            seen.insert(
                format!("{name_str}({ptr})"),
                ptr.span(),
                &format!("{name_str}({ptr}, ..)"),
            )?;
            let list = if name_str == "slice" {
                &mut out.func.slice
            } else {
                &mut out.func.text
            };
            list.push(SliceOpt { ptr, len });
            checks_span.get_or_insert(span);
        } else if lookahead.peek(kw::skip) {
            input.parse::<kw::skip>()?;
            seen.insert("skip".into(), span, "skip")?;
            out.func.skip = true;
            skip_span = Some(span);
        } else if lookahead.peek(kw::on_error) || lookahead.peek(kw::on_panic) {
            input.call(Ident::parse_any)?;
            seen.insert(name_str.clone(), span, &name_str)?;
            if out.func.on_error.is_some() {
                return Err(syn::Error::new(
                    span,
                    "`on_error` and `on_panic` are one option with two spellings; give only one",
                ));
            }
            input
                .parse::<Token![=]>()
                .map_err(|e| syn::Error::new(e.span(), format!("expected `{name_str} = VALUE`")))?;
            out.func.on_error = Some(input.parse()?);
        } else if lookahead.peek(kw::infer) {
            input.parse::<kw::infer>()?;
            seen.insert("infer".into(), span, "infer")?;
            input.parse::<Token![=]>()?;
            let value: LitBool = input.parse().map_err(|e| {
                syn::Error::new(e.span(), "expected `infer = true` or `infer = false`")
            })?;
            out.block.infer = value.value;
        } else if lookahead.peek(Token![crate]) {
            input.parse::<Token![crate]>()?;
            seen.insert("crate".into(), span, "crate")?;
            input.parse::<Token![=]>()?;
            out.block.krate = Some(crate_path(input)?);
        } else {
            return Err(lookahead.error());
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    if let (Some(skip), Some(_)) = (skip_span, checks_span) {
        return Err(syn::Error::new(
            skip,
            "`skip` turns every check off; remove it or the other checks (alloc, free, consume, slice, cstr, nonnull, alloc_out, text)",
        ));
    }
    Ok(out)
}

/// The error for a name that is not an option here: unknown anywhere, or
/// valid only at another place.
fn misplaced(name: &Ident, place: Place) -> syn::Error {
    let name_str = name.to_string();
    let valid = place.valid_options().join(", ");
    let msg = match place {
        Place::Block if Place::Export.valid_options().contains(&name_str.as_str()) => format!(
            "`{name_str}` is a per-function option; write it on a fn inside the block: `#[ffi_guard({name_str}...)]`"
        ),
        Place::ForeignFn if name_str == "crate" || name_str == "infer" => format!(
            "`{name_str}` is a block option; write it on the block: `#[ffi_guard({name_str} = ...)] extern \"C\" {{ .. }}`"
        ),
        Place::Export if name_str == "infer" => {
            "`infer` does not apply to exports: they use only the options written on them"
                .to_string()
        }
        _ => format!("unknown option `{name_str}`; expected one of: {valid}"),
    };
    syn::Error::new(name.span(), msg)
}

/// `free = F` inside `alloc(...)` or after the parameter of `alloc_out(pp, ...)`.
fn free_path(content: ParseStream<'_>, option: &str) -> syn::Result<Path> {
    content.parse::<kw::free>().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!(
                "expected `free = F` inside `{option}(...)`: the function that releases the result"
            ),
        )
    })?;
    content.parse::<Token![=]>()?;
    let free: Path = content.parse()?;
    if !content.is_empty() {
        return Err(content.error(format!("expected only `free = F` inside `{option}(...)`")));
    }
    Ok(free)
}

/// `(a, b, ...)`: at least one parameter name.
fn param_list(input: ParseStream<'_>, option: &Ident) -> syn::Result<Vec<Ident>> {
    let missing = || format!("expected `{option}(p)`: the names of one or more parameters");
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(option.span(), missing()));
    }
    let content;
    let parens = syn::parenthesized!(content in input);
    let list = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
    if list.is_empty() {
        return Err(syn::Error::new(parens.span.join(), missing()));
    }
    Ok(list.into_iter().collect())
}

/// `crate = "path"` (also accepted unquoted: `crate = path`).
fn crate_path(input: ParseStream<'_>) -> syn::Result<Path> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse_with(Path::parse_mod_style).map_err(|_| {
            syn::Error::new(
                lit.span(),
                format!(
                    "`{}` is not a path; expected e.g. `crate = \"my_ffi_guard\"`",
                    lit.value()
                ),
            )
        })
    } else {
        input.call(Path::parse_mod_style)
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn fn_opts(tokens: TokenStream) -> syn::Result<FnOptions> {
        parse_options(tokens, Place::ForeignFn).map(|o| o.func)
    }

    fn err(tokens: TokenStream, place: Place) -> String {
        match parse_options(tokens, place) {
            Ok(o) => panic!("expected an error, got {o:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_every_fn_option() {
        let o = fn_opts(quote!(
            alloc(free = widget_free),
            free(w),
            consume(c),
            slice(buf, len),
            slice(dst, n),
            cstr(path),
            nonnull(buf, w),
            on_error = -1
        ))
        .unwrap();
        assert_eq!(o.alloc.unwrap().free_name(), "widget_free");
        assert_eq!(o.free, ["w"]);
        assert_eq!(o.consume, ["c"]);
        assert_eq!(o.slice.len(), 2);
        assert_eq!(
            (o.slice[1].ptr.to_string(), o.slice[1].len.to_string()),
            ("dst".into(), "n".into())
        );
        assert_eq!(o.cstr, ["path"]);
        assert_eq!(o.nonnull, ["buf", "w"]);
        assert!(!o.skip);
        assert!(o.on_error.is_some());
    }

    #[test]
    fn parses_alloc_out_and_text() {
        let o = fn_opts(quote!(
            alloc_out(ppDb, free = sqlite3_close),
            text(zSql, nByte),
            alloc_out(ppStmt, free = ffi::sqlite3_finalize)
        ))
        .unwrap();
        assert_eq!(o.alloc_out.len(), 2);
        assert_eq!(o.alloc_out[0].param, "ppDb");
        assert_eq!(o.alloc_out[0].free_name(), "sqlite3_close");
        assert_eq!(o.alloc_out[1].free_name(), "sqlite3_finalize");
        assert_eq!(
            (o.text[0].ptr.to_string(), o.text[0].len.to_string()),
            ("zSql".into(), "nByte".into())
        );
        assert!(
            err(quote!(alloc_out(pp)), Place::ForeignFn)
                .starts_with("expected `alloc_out(pp, free = F)`")
        );
        assert!(
            err(quote!(alloc_out(pp, f)), Place::ForeignFn)
                .starts_with("expected `free = F` inside `alloc_out(...)`")
        );
        assert!(err(quote!(text(p)), Place::ForeignFn).starts_with("expected `text(p, n)`"));
        assert_eq!(
            err(
                quote!(alloc_out(pp, free = f), alloc_out(pp, free = g)),
                Place::ForeignFn
            ),
            "duplicate option `alloc_out(pp, ..)`"
        );
        assert_eq!(
            err(quote!(text(p, n), text(p, m)), Place::ForeignFn),
            "duplicate option `text(p, ..)`"
        );
        assert!(
            err(quote!(skip, text(p, n)), Place::ForeignFn)
                .starts_with("`skip` turns every check off")
        );
    }

    #[test]
    fn empty_list_is_default() {
        let o = parse_options(TokenStream::new(), Place::Block).unwrap();
        assert!(o.block.infer);
        assert!(o.block.krate.is_none());
        assert!(fn_opts(quote!()).unwrap().alloc.is_none());
        assert!(fn_opts(quote!(skip,)).unwrap().skip);
    }

    #[test]
    fn alloc_free_may_be_a_path() {
        let o = fn_opts(quote!(alloc(free = libc::free))).unwrap();
        assert_eq!(o.alloc.unwrap().free_name(), "free");
    }

    #[test]
    fn on_panic_is_on_error() {
        let o = parse_options(quote!(on_panic = 7), Place::Export).unwrap();
        assert!(o.func.on_error.is_some());
        assert_eq!(
            err(quote!(on_error = 1, on_panic = 2), Place::Export),
            "`on_error` and `on_panic` are one option with two spellings; give only one"
        );
        assert_eq!(
            err(quote!(on_error = 1, on_error = 2), Place::Export),
            "duplicate option `on_error`"
        );
    }

    #[test]
    fn block_options() {
        let o = parse_options(quote!(infer = false, crate = "my::rt"), Place::Block).unwrap();
        assert!(!o.block.infer);
        let krate = o.block.krate.unwrap();
        assert_eq!(quote!(#krate).to_string().replace(' ', ""), "my::rt");
        let o = parse_options(quote!(crate = renamed), Place::Block).unwrap();
        assert!(o.block.krate.is_some());
        assert_eq!(
            err(quote!(infer = 0), Place::Block),
            "expected `infer = true` or `infer = false`"
        );
        assert!(err(quote!(crate = "not a path"), Place::Block).contains("is not a path"));
    }

    #[test]
    fn export_accepts_crate() {
        let o = parse_options(quote!(free(w), crate = "rt"), Place::Export).unwrap();
        assert!(o.block.krate.is_some());
        assert_eq!(o.func.free, ["w"]);
    }

    #[test]
    fn unknown_option_lists_valid_ones() {
        assert_eq!(
            err(quote!(alloca(free = f)), Place::ForeignFn),
            "unknown option `alloca`; expected one of: alloc, free, consume, slice, cstr, nonnull, alloc_out, text, skip, on_error, on_panic"
        );
        assert_eq!(
            err(quote!(bogus), Place::Block),
            "unknown option `bogus`; expected one of: infer, crate"
        );
    }

    #[test]
    fn misplaced_options_say_where_they_belong() {
        assert!(err(quote!(free(p)), Place::Block).starts_with("`free` is a per-function option"));
        assert!(
            err(quote!(infer = false), Place::ForeignFn).starts_with("`infer` is a block option")
        );
        assert!(
            err(quote!(crate = "x"), Place::ForeignFn).starts_with("`crate` is a block option")
        );
        assert!(err(quote!(infer = false), Place::Export).starts_with("`infer` does not apply"));
    }

    #[test]
    fn duplicates_are_rejected_at_the_repeat() {
        assert_eq!(
            err(quote!(skip, skip), Place::ForeignFn),
            "duplicate option `skip`"
        );
        assert_eq!(
            err(quote!(nonnull(p), nonnull(q, p)), Place::ForeignFn),
            "duplicate option `nonnull(p)`"
        );
        assert_eq!(
            err(quote!(slice(p, n), slice(p, m)), Place::ForeignFn),
            "duplicate option `slice(p, ..)`"
        );
        assert_eq!(
            err(quote!(alloc(free = f), alloc(free = g)), Place::ForeignFn),
            "duplicate option `alloc`"
        );
        assert_eq!(
            err(quote!(infer = true, infer = false), Place::Block),
            "duplicate option `infer`"
        );
        // The same parameter under two different options is not a duplicate.
        assert!(fn_opts(quote!(nonnull(p), slice(p, n))).is_ok());
    }

    #[test]
    fn malformed_options() {
        assert!(err(quote!(alloc(f)), Place::ForeignFn).starts_with("expected `free = F`"));
        assert!(err(quote!(slice(p)), Place::ForeignFn).starts_with("expected `slice(p, n)`"));
        assert!(
            err(quote!(slice(p, n, m)), Place::ForeignFn).starts_with("expected `slice(p, n)`")
        );
        assert!(err(quote!(free), Place::ForeignFn).starts_with("expected `free(p)`"));
        assert!(err(quote!(cstr()), Place::ForeignFn).starts_with("expected `cstr(p)`"));
        assert!(err(quote!(on_error), Place::ForeignFn).starts_with("expected `on_error = VALUE`"));
        assert!(err(quote!(skip free(p)), Place::ForeignFn).contains("expected `,`"));
    }

    #[test]
    fn skip_excludes_checks() {
        assert!(
            err(quote!(skip, nonnull(p)), Place::ForeignFn)
                .starts_with("`skip` turns every check off")
        );
        assert!(fn_opts(quote!(skip, on_error = 0)).is_ok());
    }

    #[test]
    fn finds_the_attribute_under_any_path() {
        let item: syn::ForeignItemFn = syn::parse_quote! {
            #[doc = "x"]
            #[ffi_guard_rt::ffi_guard(free(w))]
            fn widget_free(w: *mut Widget);
        };
        let o = parse_attrs(&item.attrs, Place::ForeignFn).unwrap().unwrap();
        assert_eq!(o.func.free, ["w"]);

        let bare: syn::ForeignItemFn = syn::parse_quote! { #[ffi_guard] fn f(); };
        assert!(
            parse_attrs(&bare.attrs, Place::ForeignFn)
                .unwrap()
                .unwrap()
                .func
                .free
                .is_empty()
        );

        let none: syn::ForeignItemFn = syn::parse_quote! { #[inline] fn f(); };
        assert!(
            parse_attrs(&none.attrs, Place::ForeignFn)
                .unwrap()
                .is_none()
        );

        let twice: syn::ForeignItemFn =
            syn::parse_quote! { #[ffi_guard(skip)] #[ffi_guard] fn f(); };
        assert!(
            parse_attrs(&twice.attrs, Place::ForeignFn)
                .unwrap_err()
                .to_string()
                .contains("given twice")
        );
    }
}
