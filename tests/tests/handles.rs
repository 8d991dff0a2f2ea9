//! `HandleMap`: a stale, twice-removed, forged or foreign handle is an `Err`
//! and a `stale_handle` finding at the caller's line, never UB; handles C
//! holds survive a round trip through real C code.

use std::sync::Mutex;

use ffi_guard_rt::{Checkpoint, Finding, FindingKind, HandleError, HandleMap};
// The C library is bundled into the tests crate's rlib.
use ffi_guard_tests as _;

unsafe extern "C" {
    /// `c/alloc_helpers.c`: copies bytes, so a handle goes through C memory.
    fn alloc_c_fill(dst: *mut u8, src: *const u8, len: usize);
}

/// The one finding recorded since `cp`.
#[track_caller]
fn only(cp: &Checkpoint) -> Finding {
    let mut found = cp.findings();
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

#[track_caller]
fn assert_stale(f: &Finding, function: &str, line: u32) {
    assert_eq!(f.kind, FindingKind::StaleHandle, "{f:#?}");
    assert_eq!(f.function, function, "{f:#?}");
    assert_eq!(f.site.line, line, "{f:#?}");
    assert!(f.site.file.ends_with("handles.rs"), "{f:#?}");
}

/// A handle as C would keep it: copied by C into C-visible memory and back.
fn through_c(h: u64) -> u64 {
    let src = h.to_ne_bytes();
    let mut dst = [0u8; 8];
    unsafe { alloc_c_fill(dst.as_mut_ptr(), src.as_ptr(), 8) };
    u64::from_ne_bytes(dst)
}

#[test]
fn live_handles_work_and_are_never_zero() {
    let mut m = HandleMap::new();
    let cp = Checkpoint::now();
    let hs: Vec<u64> = (0..1000).map(|i| m.insert(i)).collect();
    assert!(hs.iter().all(|&h| h != 0));
    for (i, &h) in hs.iter().enumerate() {
        let h = through_c(h);
        assert_eq!(m.get(h), Ok(&i));
        *m.get_mut(h).unwrap() += 1;
    }
    assert_eq!(m.remove(hs[10]), Ok(11));
    assert_eq!(m.len(), 999);
    assert_eq!(cp.findings(), vec![]);
}

#[test]
fn get_after_remove_is_stale() {
    let mut m = HandleMap::new();
    let h = m.insert("widget");
    assert_eq!(m.remove(h), Ok("widget"));
    let cp = Checkpoint::now();
    let line = line!() + 1;
    assert_eq!(m.get(through_c(h)), Err(HandleError::Stale));
    assert_stale(&only(&cp), "HandleMap::get", line);
}

#[test]
fn get_mut_after_remove_is_stale_even_when_the_slot_is_reused() {
    let mut m = HandleMap::new();
    let h = m.insert(1);
    m.remove(h).unwrap();
    let again = m.insert(2);
    let cp = Checkpoint::now();
    let line = line!() + 1;
    assert_eq!(m.get_mut(h), Err(HandleError::Stale));
    assert_stale(&only(&cp), "HandleMap::get_mut", line);
    assert_eq!(m.get(again), Ok(&2), "the new handle is untouched");
}

#[test]
fn removing_twice_is_stale() {
    let mut m = HandleMap::new();
    let h = m.insert(vec![1, 2, 3]);
    assert_eq!(m.remove(h), Ok(vec![1, 2, 3]));
    let cp = Checkpoint::now();
    let line = line!() + 1;
    assert_eq!(m.remove(h), Err(HandleError::Stale));
    assert_stale(&only(&cp), "HandleMap::remove", line);
    assert!(m.is_empty());
}

#[test]
fn forged_handles_are_rejected() {
    let mut m = HandleMap::new();
    let h = m.insert(0u8);
    for (forged, error) in [
        (0, HandleError::Null),
        (h + 1, HandleError::Invalid),         // a slot never used
        (h + (1 << 32), HandleError::Invalid), // a generation never given
        (h ^ (1 << 63), HandleError::WrongMap),
        (u64::MAX, HandleError::WrongMap),
        (0xdead_beef, HandleError::WrongMap),
    ] {
        let cp = Checkpoint::now();
        let line = line!() + 1;
        assert_eq!(m.get(forged), Err(error), "{forged:#x}");
        assert_stale(&only(&cp), "HandleMap::get", line);
    }
    assert_eq!(m.get(h), Ok(&0));
}

#[test]
fn handles_of_another_map_are_rejected() {
    let mut a = HandleMap::new();
    let mut b = HandleMap::new();
    let ha = a.insert('a');
    let hb = b.insert('b');
    let cp = Checkpoint::now();
    let line = line!() + 1;
    assert_eq!(a.get(hb), Err(HandleError::WrongMap));
    assert_stale(&only(&cp), "HandleMap::get", line);
    let cp = Checkpoint::now();
    let line = line!() + 1;
    assert_eq!(b.remove(ha), Err(HandleError::WrongMap));
    assert_stale(&only(&cp), "HandleMap::remove", line);
    assert_eq!((a.len(), b.len()), (1, 1));
}

#[test]
fn a_slot_whose_generation_runs_out_is_retired_not_wrapped() {
    let mut m = HandleMap::new();
    let first = m.insert(0u32);
    m.remove(first).unwrap();
    // One slot, reused until its 16-bit generation is spent.
    let mut seen = vec![first];
    for i in 1..=u32::from(u16::MAX) {
        let h = m.insert(i);
        assert_eq!(h as u32, first as u32, "the same slot is reused");
        m.remove(h).unwrap();
        if i % 4096 == 0 || i == u32::from(u16::MAX) {
            seen.push(h);
        }
    }
    let fresh = m.insert(7);
    assert_ne!(fresh as u32, first as u32, "the spent slot is not reused");
    // No old handle comes back to life, the first one included.
    for &old in &seen {
        let cp = Checkpoint::now();
        let line = line!() + 1;
        assert_eq!(m.get(old), Err(HandleError::Stale), "{old:#x}");
        assert_stale(&only(&cp), "HandleMap::get", line);
    }
    assert_eq!(m.get(fresh), Ok(&7));
}

#[test]
fn errors_read_well() {
    let e: Box<dyn std::error::Error> = Box::new(HandleError::Stale);
    assert_eq!(e.to_string(), "a stale handle: its object was removed");
    assert_eq!(HandleError::Null.to_string(), "the null handle 0");
}

#[test]
fn a_map_shared_through_a_mutex_serves_many_threads() {
    let m = Mutex::new(HandleMap::new());
    let cp = Checkpoint::now();
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let m = &m;
            s.spawn(move || {
                for i in 0..10_000u64 {
                    let h = m.lock().unwrap().insert(t * 1_000_000 + i);
                    let h = through_c(h);
                    assert_eq!(m.lock().unwrap().get(h), Ok(&(t * 1_000_000 + i)));
                    assert_eq!(m.lock().unwrap().remove(h), Ok(t * 1_000_000 + i));
                }
            });
        }
    });
    assert!(m.lock().unwrap().is_empty());
    assert_eq!(cp.findings(), vec![]);
}
