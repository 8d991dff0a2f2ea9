//! `HandleMap` ids: a live map never takes another live map's handle, however
//! many maps the program made and dropped in between (the ids are 16 bits).
//! Alone in its binary: map ids are process-wide.

use ffi_guard_rt::HandleMap;

#[test]
fn a_live_map_never_takes_another_live_maps_handle() {
    let mut first: HandleMap<u32> = HandleMap::new();
    let h = first.insert(7);
    // More maps than there are ids, each made and dropped in turn.
    for n in 0..70_000u32 {
        let mut other: HandleMap<u32> = HandleMap::new();
        let mine = other.insert(n);
        assert!(
            !other.contains(h),
            "map #{n} takes the first map's handle {h:#x} (its own: {mine:#x})"
        );
        assert_ne!(mine, h);
    }
    // And the other way round, with both alive.
    let mut last: HandleMap<u32> = HandleMap::new();
    let l = last.insert(9);
    assert!(!first.contains(l));
    assert_eq!(first.get(h), Ok(&7));
    assert_eq!(last.get(l), Ok(&9));
    assert!(!last.contains(h));
}
