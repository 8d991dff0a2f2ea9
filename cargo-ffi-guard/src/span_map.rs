//! Parse on several threads, lint on one.
//!
//! proc-macro2 (outside a proc macro, with `span-locations`) gives every
//! lexed text a range of positions in a per-thread source map: the text's
//! first character is position `lo`, the next text starts after the last
//! one's `hi`. A span is a pair of positions; its line and column are looked
//! up in the map of the thread that asks. So a tree parsed on one thread
//! means nothing on another, unless both maps hold, at the same positions,
//! texts with the same lines.
//!
//! That is what this module arranges. The thread that lints hands out a
//! position range to each file before it is parsed ([`GAP`] apart); the
//! worker that parses it first pads its own map so that the file starts at
//! that position ([`move_to`]). Once every file is parsed and its tree sent
//! back, the linting thread fills its own map the same way with a *shadow*
//! of each file ([`register_shadow`]): the same characters per line, all
//! spaces, so lexing it is a fast skip over whitespace. Lines and columns of
//! every span then read the same on both threads. Nothing reads the text of
//! a span back (`Span::source_text`), which the shadow does not keep.
//!
//! The position of a map's next text is read from a probe token's `Debug`
//! form (`bytes(lo..hi)`). Should that ever change, [`next_position`]
//! returns `None` and the caller parses everything on its own thread.

use std::str::FromStr;

use proc_macro2::{TokenStream, TokenTree};

/// Positions between two files' ranges: room for a probe and a padding text.
pub const GAP: u32 = 16;

/// Where this thread's source map puts the next text it lexes, read by
/// lexing a one-character probe (which takes two positions).
pub fn next_position() -> Option<u32> {
    let probe = TokenStream::from_str("x").ok()?;
    let Some(TokenTree::Ident(ident)) = probe.into_iter().next() else {
        return None;
    };
    let shown = format!("{:?}", ident.span());
    let range = shown.strip_prefix("bytes(")?.strip_suffix(')')?;
    let (_, hi) = range.split_once("..")?;
    hi.parse::<u32>().ok()?.checked_add(1)
}

/// Pad this thread's source map so that the next text lexed starts at
/// `offset`. False when the map is already past it.
pub fn move_to(offset: u32) -> bool {
    let Some(next) = next_position() else {
        return false;
    };
    if next == offset {
        return true;
    }
    // A padding text of `n` characters takes positions next..=next+n.
    let Some(n) = offset.checked_sub(next + 1) else {
        return false;
    };
    // The padding is not checked by another probe, which would take the
    // file's place; the caller checks lines and columns instead.
    TokenStream::from_str(&" ".repeat(n as usize)).is_ok()
}

/// Pad so that the next text lexed starts at `offset`, and lex there a text
/// with the lines of `content` (the text a worker lexed at that offset).
pub fn register_shadow(offset: u32, content: &str) -> bool {
    if !move_to(offset) {
        return false;
    }
    let shadow: String = content
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    TokenStream::from_str(&shadow).is_ok()
}

/// A value moved to another thread although its type is not `Send`.
///
/// For a syn tree: the tree's only non-`Send` parts are proc-macro2 token
/// streams (shared through a non-atomic reference count) and spans (looked
/// up in a per-thread map, see above). A whole file's tree is moved at once,
/// after the worker has dropped everything else it parsed from that text, so
/// no count is shared with a value left on the worker; and the receiving
/// thread reads no span before it has registered the file's shadow.
#[derive(Debug)]
pub struct Moved<T>(pub T);

// SAFETY: see the type's documentation: every reference-counted part of the
// tree moves with it, and only the receiving thread touches it afterwards.
unsafe impl<T> Send for Moved<T> {}
