//! Argument validation: null, alignment, length, bounds, C strings. Pure
//! functions of the argument and of what the allocator knows; the ledger's
//! part (released and consumed pointers) is in `guard.rs`, which combines
//! both into findings.

use crate::alloc::{self, Block};

/// True when a non-null `addr` breaks the pointee's alignment.
#[inline(always)]
pub(crate) fn misaligned(addr: usize, align: usize) -> bool {
    align > 1 && addr != 0 && addr & (align - 1) != 0
}

/// `n * size` in bytes, or `None` when it overflows or exceeds `isize::MAX`
/// (no Rust or C object can be that large).
#[inline(always)]
pub(crate) fn slice_bytes(n: usize, size: usize) -> Option<usize> {
    match n.checked_mul(size) {
        Some(b) if b <= isize::MAX as usize => Some(b),
        _ => None,
    }
}

/// What the allocator's block says about `bytes` bytes at `addr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bounds {
    /// Inside a live block, or the block is unknown (nothing to check).
    Fine,
    /// Runs past the end of the live block `[start, start + size)`.
    PastEnd { start: usize, size: usize },
    /// Inside a block that was freed (`c`: one that C's allocator gave out).
    Freed { start: usize, size: usize, c: bool },
}

/// Checks `[addr, addr + bytes)` against the Rust heap block holding `addr`.
#[inline]
pub(crate) fn bounds(addr: usize, bytes: usize) -> Bounds {
    match alloc::block_of(addr) {
        // A C block's life is known, its requested size is not.
        Block::Unknown | Block::CLive { .. } => Bounds::Fine,
        Block::Live { start, size } => {
            let end = start.saturating_add(size);
            if addr.saturating_add(bytes) > end {
                Bounds::PastEnd { start, size }
            } else {
                Bounds::Fine
            }
        }
        Block::Freed { start, size, c } => Bounds::Freed { start, size, c },
    }
}

/// What the allocator's block says about a C string at `addr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cstr {
    /// A NUL lies inside the live block, or the block is unknown (then the
    /// string is not scanned: reading past an unknown end could fault).
    Fine,
    /// No NUL between `addr` and the end of the live block.
    Unterminated { start: usize, size: usize },
    /// Inside a block that was freed (`c`: one that C's allocator gave out).
    Freed { start: usize, size: usize, c: bool },
}

/// Looks for the NUL of a C string at `addr`, within its Rust heap block only.
pub(crate) fn cstr(addr: usize) -> Cstr {
    match alloc::block_of(addr) {
        Block::Unknown | Block::CLive { .. } => Cstr::Fine,
        Block::Freed { start, size, c } => Cstr::Freed { start, size, c },
        Block::Live { start, size } => {
            let end = start.saturating_add(size);
            if addr >= end {
                return Cstr::Unterminated { start, size };
            }
            // SAFETY: `[addr, end)` lies inside a block that the allocator
            // reports live, so it is readable.
            let found = unsafe { libc::memchr(addr as *const libc::c_void, 0, end - addr) };
            if found.is_null() {
                Cstr::Unterminated { start, size }
            } else {
                Cstr::Fine
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment() {
        assert!(!misaligned(0, 8));
        assert!(!misaligned(0x1001, 1));
        assert!(misaligned(0x1001, 4));
        assert!(!misaligned(0x1008, 8));
    }

    #[test]
    fn lengths() {
        assert_eq!(slice_bytes(3, 4), Some(12));
        assert_eq!(slice_bytes(usize::MAX, 2), None);
        assert_eq!(slice_bytes(isize::MAX as usize + 1, 1), None);
        assert_eq!(slice_bytes(0, 8), Some(0));
    }
}
