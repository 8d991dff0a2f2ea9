//! `TrackingAllocator`: a `#[global_allocator]` that knows every live Rust
//! heap block, so the checks can bound a slice or a C string by the block that
//! holds it, and so a dealloc of a pointer it never returned is caught.

/// What the allocator knows about the heap block that holds an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// No `TrackingAllocator` is installed, or the address is in no block it
    /// handed out (C's heap, the stack, a static).
    Unknown,
    /// A live Rust block `[start, start + size)`.
    Live { start: usize, size: usize },
    /// A Rust block that was freed and not handed out again.
    Freed { start: usize, size: usize },
}

/// The block that holds `addr`.
#[allow(dead_code)]
pub(crate) fn block_of(_addr: usize) -> Block {
    Block::Unknown
}
