//! Source text -> syn tree, keeping everything that parses.
//!
//! A file that syn rejects as a whole (Rust 2015 syntax such as
//! `Box<FnMut(u8) -> R + 'a>`, one broken item) is parsed again item by
//! item: an item that does not parse is skipped to its end (its `;`, or its
//! `{ .. }` body) and reported as [`Lost`] with its line range; every other
//! item is kept. Nesting deeper than [`MAX_NESTING`] delimiters is cut
//! before syn sees it (syn recurses once per level), so no input can
//! exhaust the stack, and the cut part is reported the same way.
//!
//! Items inside macro invocations whose body parses as items (`cfg_if!`, a
//! crate's own `ffi_fn! { .. }`) are appended after the file's own items.

use std::str::FromStr;

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};

/// How deeply `(`, `[` and `{` may nest before the inner part is cut.
/// Hand-written and generated code stays far below it; syn's recursion at
/// this depth takes a few megabytes of stack.
pub const MAX_NESTING: usize = 256;

/// How deeply macro bodies inside macro bodies are opened.
const MAX_MACRO_DEPTH: usize = 8;

/// A parsed file.
#[derive(Debug)]
pub struct Parsed {
    pub ast: syn::File,
    /// How many top-level items are the file's own (the rest come from
    /// macro bodies).
    pub own: usize,
    /// Where the names of types defined in opaque macro bodies are (see
    /// `SourceFile::macro_types`).
    pub macro_types: Vec<(usize, usize)>,
    /// The parts that did not parse.
    pub lost: Vec<Lost>,
}

/// A part of a file that was not parsed: where parsing stopped, why, and
/// the lines skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// First and last line (1-based) of what was skipped.
    pub lines: (usize, usize),
}

thread_local! {
    /// Time spent parsing and opening macro bodies on this thread, for
    /// `FFI_GUARD_TIMINGS`.
    pub static PARSE_NS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    pub static EXPAND_NS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// What the lexer sees of `text`: the text after a leading byte-order mark
/// and a leading `#!` line (as rustc and syn skip them; the newline stays, so
/// lines keep their numbers, and a byte-order mark is no column, as
/// `diag::byte_offset` counts). A shadow of the same text (see `workspace`)
/// must be built from this.
pub fn lexed_part(text: &str) -> (&str, Option<String>) {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let rest = &text[bom..];
    if rest.starts_with("#!") && !rest[2..].trim_start().starts_with('[') {
        let end = rest.find('\n').unwrap_or(rest.len());
        return (&rest[end..], Some(rest[..end].to_owned()));
    }
    (rest, None)
}

/// Parse a file. `Err` when the text is not a sequence of Rust tokens at
/// all (an unclosed delimiter, an unterminated string): nothing of it can
/// be read.
pub fn parse(text: &str) -> Result<Parsed, Lost> {
    let t0 = std::time::Instant::now();
    let (content, shebang) = lexed_part(text);
    let mut tokens = TokenStream::from_str(content).map_err(|e| {
        let start = e.span().start();
        Lost {
            line: start.line.max(1),
            column: start.column + 1,
            message: "this is not a sequence of Rust tokens (an unclosed or mismatched \
                      delimiter, an unterminated string or comment, or a character Rust \
                      does not allow)"
                .to_owned(),
            lines: (1, text.lines().count().max(1)),
        }
    })?;
    let mut lost = Vec::new();
    if nesting(content) > MAX_NESTING {
        let mut cut = Vec::new();
        tokens = truncate(tokens, 0, &mut cut);
        lost.extend(cut.into_iter().map(|span| {
            let (start, end) = (span.start(), span.end());
            Lost {
                line: start.line,
                column: start.column + 1,
                message: format!(
                    "delimiters nest more than {MAX_NESTING} levels deep here; the inner part was not parsed"
                ),
                lines: (start.line, end.line),
            }
        }));
    }
    let mut ast = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => file,
        Err(_) => {
            let mut skipped = Vec::new();
            let file = (|input: ParseStream<'_>| items_recovering(input, &mut skipped))
                .parse2(tokens)
                .unwrap_or_else(|_| empty_file());
            lost.extend(skipped);
            file
        }
    };
    ast.shebang = shebang;
    lost.sort_by_key(|l| (l.line, l.column));
    let t1 = std::time::Instant::now();
    let own = ast.items.len();
    let mut macro_types = Vec::new();
    expand_macro_items(&mut ast.items, 0, &mut macro_types);
    // Edition 2024 `safe fn`s of `unsafe extern` blocks are verbatim tokens in
    // syn; make them ordinary foreign fns so every lint sees them.
    ffi_guard_syntax::normalize_safe_fns(&mut ast.items);
    PARSE_NS.with(|c| c.set(c.get() + (t1 - t0).as_nanos() as u64));
    EXPAND_NS.with(|c| c.set(c.get() + t1.elapsed().as_nanos() as u64));
    Ok(Parsed {
        ast,
        own,
        macro_types,
        lost,
    })
}

fn empty_file() -> syn::File {
    syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: Vec::new(),
    }
}

/// The file's inner attributes and items, each item parsed on its own: one
/// that does not parse is skipped to its end and noted in `lost`, except
/// that a container (`impl`, `trait`, `mod`, extern block) whose header
/// parses keeps its members that parse.
fn items_recovering(input: ParseStream<'_>, lost: &mut Vec<Lost>) -> syn::Result<syn::File> {
    let attrs = match input.fork().call(syn::Attribute::parse_inner) {
        Ok(_) => input.call(syn::Attribute::parse_inner)?,
        Err(_) => Vec::new(),
    };
    let mut items = Vec::new();
    while !input.is_empty() {
        let fork = input.fork();
        match fork.parse::<syn::Item>() {
            Ok(item) => {
                input.advance_to(&fork);
                items.push(item);
            }
            Err(e) => {
                let tokens = skip_item(input)?;
                let mut inner = Vec::new();
                let pruned = prune_container(&tokens, &mut inner, 0)
                    .and_then(|t| syn::parse2::<syn::Item>(t.into_iter().collect()).ok());
                match pruned {
                    Some(item) => {
                        items.push(item);
                        lost.extend(inner);
                    }
                    None => lost.push(lost_part(&tokens, &e)),
                }
            }
        }
    }
    Ok(syn::File {
        shebang: None,
        attrs,
        items,
    })
}

/// `tokens` (one item or member) lost, for the error `e`.
fn lost_part(tokens: &[TokenTree], e: &syn::Error) -> Lost {
    let at = e.span().start();
    let first = tokens.first().map_or(at.line, |t| t.span().start().line);
    let last = tokens.last().map_or(at.line, |t| t.span().end().line);
    Lost {
        line: at.line.max(1),
        column: at.column + 1,
        message: e.to_string(),
        lines: (first, last.max(first)),
    }
}

/// Consume the tokens of one item that does not parse (see [`item_end`]).
fn skip_item(input: ParseStream<'_>) -> syn::Result<Vec<TokenTree>> {
    input.step(|cursor| {
        let mut rest = *cursor;
        let mut ahead = Vec::new();
        while let Some((tt, next)) = rest.token_tree() {
            ahead.push(tt);
            rest = next;
        }
        let n = item_end(&ahead);
        let mut rest = *cursor;
        for _ in 0..n {
            if let Some((_, next)) = rest.token_tree() {
                rest = next;
            }
        }
        ahead.truncate(n);
        Ok((ahead, rest))
    })
}

/// Where the item starting `tokens` ends: after a `;`, or after a `{ .. }`
/// group (and a `;` right after it, as in `static S: T = T { .. };`).
fn item_end(tokens: &[TokenTree]) -> usize {
    for (i, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Punct(p) if p.as_char() == ';' => return i + 1,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                let semi =
                    matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ';');
                return i + 1 + usize::from(semi);
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The tokens of a container item (`impl`, `trait`, `mod`, extern block)
/// without its members that do not parse (noted in `lost`, each with its
/// lines); members that are containers are pruned the same way. `None` when
/// `tokens` is not such an item or its header does not parse. Fn bodies are
/// never pruned: a statement left out would change what the lints see.
fn prune_container(
    tokens: &[TokenTree],
    lost: &mut Vec<Lost>,
    depth: usize,
) -> Option<Vec<TokenTree>> {
    let (TokenTree::Group(body), header) = tokens.split_last()? else {
        return None;
    };
    if depth > MAX_MACRO_DEPTH || body.delimiter() != Delimiter::Brace || !is_container(header) {
        return None;
    }
    let with_body = |members: Vec<TokenTree>| -> Vec<TokenTree> {
        let mut group = Group::new(Delimiter::Brace, members.into_iter().collect());
        group.set_span(body.span());
        header
            .iter()
            .cloned()
            .chain([TokenTree::Group(group)])
            .collect()
    };
    let parses = |t: Vec<TokenTree>| syn::parse2::<syn::Item>(t.into_iter().collect());
    let mut members: Vec<TokenTree> = body.stream().into_iter().collect();
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    while !members.is_empty() {
        let rest = members.split_off(item_end(&members));
        let member = std::mem::replace(&mut members, rest);
        match parses(with_body(member.clone())) {
            Ok(_) => kept.extend(member),
            Err(e) => {
                let mut inner = Vec::new();
                match prune_container(&member, &mut inner, depth + 1) {
                    Some(pruned) if parses(with_body(pruned.clone())).is_ok() => {
                        kept.extend(pruned);
                        dropped.extend(inner);
                    }
                    _ => dropped.push(lost_part(&member, &e)),
                }
            }
        }
    }
    let whole = with_body(kept);
    parses(whole.clone()).ok()?;
    lost.extend(dropped);
    Some(whole)
}

/// Whether an item's tokens before its `{ .. }` are those of an item whose
/// braces hold items: `impl`, `trait`, `mod`, an extern block.
fn is_container(header: &[TokenTree]) -> bool {
    let words: Vec<String> = header
        .iter()
        .filter_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        })
        .collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    let container = has("impl") || has("trait") || has("mod") || has("extern");
    let other = [
        "fn",
        "struct",
        "enum",
        "union",
        "macro_rules",
        "crate",
        "static",
        "const",
        "type",
    ]
    .iter()
    .any(|w| has(w));
    container && !other
}

/// The deepest nesting of `(`, `[`, `{` in `text`, outside comments, strings
/// and character literals. A quick pass over the bytes, so that the token
/// trees are walked only when something is too deep.
fn nesting(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut depth, mut max) = (0, 0usize, 0);
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr(b, i, b'\n');
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Block comments nest.
                let mut level = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        level += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i = string_end(b, i + 1);
                continue;
            }
            b'r' if raw_string_start(b, i).is_some() => {
                let (hashes, open) = raw_string_start(b, i).unwrap_or((0, i));
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                i = b[open + 1..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .map_or(b.len(), |p| open + 1 + p + close.len());
                continue;
            }
            b'\'' => {
                // A char literal (`'x'`, `'\n'`, `'('`), else a lifetime.
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                } else if let Some(c) = text.get(i + 1..).and_then(|s| s.chars().next())
                    && b.get(i + 1 + c.len_utf8()) == Some(&b'\'')
                {
                    i += 1 + c.len_utf8();
                }
            }
            _ => {}
        }
        i += 1;
    }
    max
}

fn memchr(b: &[u8], from: usize, c: u8) -> usize {
    b[from..]
        .iter()
        .position(|&x| x == c)
        .map_or(b.len(), |p| from + p)
}

/// The index after the closing `"` of a string whose body starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// `r"`, `r#"`, `br##"`, `cr"`: the number of `#` and the index of the `"`.
/// Only at the start of a token (`r` not inside an identifier).
fn raw_string_start(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    let prefixed = i > 0 && (b[i - 1] == b'b' || b[i - 1] == b'c');
    let before_prefix = i > 1 && (b[i - 2].is_ascii_alphanumeric() || b[i - 2] == b'_');
    // Inside an identifier, unless that identifier is just the `b`/`c` prefix.
    if prev_ident && (!prefixed || before_prefix) {
        return None;
    }
    let mut j = i + 1;
    while b.get(j) == Some(&b'#') {
        j += 1;
    }
    (b.get(j) == Some(&b'"')).then_some((j - i - 1, j))
}

/// `tokens` with every group at depth [`MAX_NESTING`] emptied (its spans
/// kept), the emptied groups' spans in `cut`. Recurses at most
/// `MAX_NESTING` levels. `tokens` must not be shared (cloned): its groups
/// are taken apart as they are read.
fn truncate(tokens: TokenStream, depth: usize, cut: &mut Vec<Span>) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let (delimiter, span) = (g.delimiter(), g.span());
                // Own the inner stream alone, so that taking it apart drops
                // nothing recursively.
                let inner = g.stream();
                drop(g);
                let inner = if depth + 1 >= MAX_NESTING {
                    cut.push(span);
                    drop_flat(inner);
                    TokenStream::new()
                } else {
                    truncate(inner, depth + 1, cut)
                };
                let mut group = Group::new(delimiter, inner);
                group.set_span(span);
                TokenTree::Group(group)
            }
            other => other,
        })
        .collect()
}

/// Drop a token stream without recursing once per nesting level (dropping
/// 100,000 nested groups the usual way exhausts any stack): each group's
/// inner stream is taken out before the group is dropped.
fn drop_flat(tokens: TokenStream) {
    let mut stack = vec![tokens];
    while let Some(tokens) = stack.pop() {
        for tt in tokens {
            if let TokenTree::Group(g) = tt {
                stack.push(g.stream());
            }
        }
    }
}

/// Best effort: the items of `cfg_if! { if #[cfg(..)] { items } else { items } }`
/// (every branch) and of any other macro whose body parses as items, appended
/// after the items that are already there. Recurses into inline modules.
fn expand_macro_items(
    items: &mut Vec<syn::Item>,
    depth: usize,
    macro_types: &mut Vec<(usize, usize)>,
) {
    if depth > MAX_MACRO_DEPTH {
        return;
    }
    let mut extra = Vec::new();
    for item in items.iter_mut() {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &mut m.content {
                    expand_macro_items(inner, depth, macro_types);
                }
            }
            // `macro_rules!` bodies are patterns, not items.
            syn::Item::Macro(m) if m.ident.is_none() => {
                let before = extra.len();
                items_in_tokens(m.mac.tokens.clone(), &mut extra, 0);
                if !is_cfg_if(&m.mac) {
                    for it in &extra[before..] {
                        note_types(it, macro_types);
                    }
                }
            }
            _ => {}
        }
    }
    if !extra.is_empty() {
        expand_macro_items(&mut extra, depth + 1, macro_types);
        items.extend(extra);
    }
}

fn is_cfg_if(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "cfg_if")
}

/// Note where the name of each struct, enum and union of `item` is.
fn note_types(item: &syn::Item, out: &mut Vec<(usize, usize)>) {
    let ident = match item {
        syn::Item::Struct(s) => &s.ident,
        syn::Item::Enum(e) => &e.ident,
        syn::Item::Union(u) => &u.ident,
        syn::Item::Mod(m) => {
            if let Some((_, inner)) = &m.content {
                inner.iter().for_each(|i| note_types(i, out));
            }
            return;
        }
        _ => return,
    };
    let p = ident.span().start();
    out.push((p.line, p.column));
}

fn items_in_tokens(tokens: TokenStream, out: &mut Vec<syn::Item>, depth: usize) {
    if depth > MAX_MACRO_DEPTH || tokens.is_empty() {
        return;
    }
    if let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) {
        out.extend(file.items);
        return;
    }
    // `cfg_if!`-style bodies: the braced groups at the top level hold items.
    for tt in tokens {
        if let TokenTree::Group(g) = tt
            && g.delimiter() == Delimiter::Brace
        {
            items_in_tokens(g.stream(), out, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Parsed) -> Vec<String> {
        p.ast
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
                syn::Item::Struct(s) => Some(s.ident.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_rust_2015_item_is_lost_alone() {
        let src = "pub struct Before;\n\
                   fn boxed<'a, R>(f: Box<FnMut(u8) -> R + 'a>) -> R {\n    \
                   loop {}\n}\n\
                   static S: Point = Point { x: 1 };\n\
                   pub extern \"C\" fn after() {}\n";
        let p = parse(src).unwrap();
        assert_eq!(names(&p), ["Before", "after"], "{:?}", p.lost);
        assert_eq!(p.lost.len(), 1, "{:?}", p.lost);
        assert_eq!(p.lost[0].lines, (2, 4));
        assert_eq!(p.lost[0].line, 2);
    }

    #[test]
    fn a_container_keeps_its_members_that_parse() {
        let src = "pub struct S;\n\
                   impl S {\n    \
                   pub fn good(&self) {}\n    \
                   pub fn bad<'a, R>(f: Box<FnMut(u8) -> R + 'a>) -> R {\n        \
                   loop {}\n    \
                   }\n    \
                   pub fn also_good(&self) {}\n\
                   }\n\
                   mod m {\n    \
                   extern \"C\" { fn kept(); }\n    \
                   trait T { fn t(x: Box<Fn() -> u8 + 'static>); fn u(); }\n\
                   }\n";
        let p = parse(src).unwrap();
        let syn::Item::Impl(imp) = &p.ast.items[1] else {
            panic!("{:?}", p.lost)
        };
        let names: Vec<String> = imp
            .items
            .iter()
            .filter_map(|i| match i {
                syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["good", "also_good"]);
        let syn::Item::Mod(m) = &p.ast.items[2] else {
            panic!("{:?}", p.lost)
        };
        let inner = &m.content.as_ref().unwrap().1;
        assert_eq!(inner.len(), 2);
        let syn::Item::Trait(t) = &inner[1] else {
            panic!()
        };
        assert_eq!(t.items.len(), 1);
        let lines: Vec<_> = p.lost.iter().map(|l| l.lines).collect();
        assert_eq!(lines, [(4, 6), (11, 11)]);
    }

    #[test]
    fn a_file_that_parses_loses_nothing() {
        let p = parse("#![allow(x)]\nfn a() {}\n").unwrap();
        assert!(p.lost.is_empty());
        assert_eq!(p.ast.attrs.len(), 1);
    }

    #[test]
    fn a_broken_statement_loses_its_item_only() {
        let p =
            parse("fn a() {}\nstatic X: u8 = ;\nfn b() { let x = 1 über; }\nfn c() {}\n").unwrap();
        assert_eq!(names(&p), ["a", "c"]);
        let lines: Vec<_> = p.lost.iter().map(|l| l.lines).collect();
        assert_eq!(lines, [(2, 2), (3, 3)]);
    }

    #[test]
    fn unbalanced_delimiters_lose_the_file() {
        let e = parse("fn a() {\n").unwrap_err();
        assert_eq!(e.lines, (1, 1));
    }

    #[test]
    fn deep_nesting_is_cut_not_recursed_into() {
        let depth = 100_000;
        let src = format!(
            "fn a() {{}}\nfn deep() -> u8 {{\n{}1{}\n}}\nfn b() {{}}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        // syn's recursion up to the limit, on a stack like the parse
        // threads' (a debug build takes 14 KiB per level).
        let p = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || {
                let p = parse(&src).unwrap();
                (names(&p), p.lost)
            })
            .unwrap()
            .join()
            .unwrap();
        let (names, lost) = p;
        assert_eq!(names, ["a", "deep", "b"]);
        assert_eq!(lost.len(), 1, "{lost:?}");
        assert!(lost[0].message.contains("more than 256 levels"));
        assert_eq!(lost[0].lines, (3, 3));
    }

    #[test]
    fn nesting_skips_strings_comments_and_chars() {
        assert_eq!(
            nesting("f(\"((\", '(', r#\"(\"#, /* ( /* ( */ */ 'a) // (\n"),
            1
        );
        assert_eq!(nesting("{ { } ( [ ] ) }"), 3);
        assert_eq!(nesting("fn f<'a>(x: &'a u8) -> (u8) {}"), 1);
    }

    #[test]
    fn a_shebang_line_is_skipped_and_lines_kept() {
        let p = parse("#!/usr/bin/env run\nfn a() {}\n").unwrap();
        assert_eq!(names(&p), ["a"]);
        let syn::Item::Fn(f) = &p.ast.items[0] else {
            panic!()
        };
        assert_eq!(f.sig.ident.span().start().line, 2);
    }
}
