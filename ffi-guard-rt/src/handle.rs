//! `HandleMap`: generation-checked opaque handles that C holds instead of
//! pointers to Rust objects.
//!
//! A handle is a `u64` that packs three parts:
//!
//! ```text
//!  63        48 47        32 31                     0
//! +------------+------------+------------------------+
//! |   map id   | generation |      slot index        |
//! +------------+------------+------------------------+
//! ```
//!
//! The map id (never 0, and never shared by two live maps) rejects handles
//! of another map, the generation rejects a handle whose object was
//! removed, and since the map id is never 0 no handle is 0: C's "null
//! handle" is never valid. A slot whose 16-bit
//! generation would wrap around is retired instead of reused, so an old
//! handle can never come back to life, however long the program runs.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Objects owned by Rust that C refers to by `u64` handles.
///
/// ```
/// use ffi_guard_rt::{HandleError, HandleMap};
///
/// let mut widgets = HandleMap::new();
/// let h = widgets.insert(String::from("gear"));
/// assert_eq!(widgets.get(h).map(String::as_str), Ok("gear"));
/// assert_eq!(widgets.remove(h), Ok(String::from("gear")));
/// // The handle is stale now: an error (and a `stale_handle` finding), never UB.
/// assert_eq!(widgets.get(h), Err(HandleError::Stale));
/// ```
///
/// A stale, forged, twice-removed or foreign handle, and the null handle 0,
/// make `get`, `get_mut` and `remove` return an error and record a
/// `stale_handle` finding at the caller's line (without the `checks` feature
/// only the error). They never panic.
///
/// The map is a plain value with `&mut self` methods: to share one between
/// threads (C may call from any of them), keep it in a `Mutex`:
///
/// ```
/// use std::sync::{LazyLock, Mutex};
/// use ffi_guard_rt::HandleMap;
///
/// static WIDGETS: LazyLock<Mutex<HandleMap<String>>> =
///     LazyLock::new(|| Mutex::new(HandleMap::new()));
///
/// let h = WIDGETS.lock().unwrap().insert("gear".to_owned());
/// assert!(WIDGETS.lock().unwrap().get(h).is_ok());
/// ```
pub struct HandleMap<T> {
    id: u16,
    slots: Vec<Slot<T>>,
    /// The head of the list of vacant slots, threaded through `Slot::Vacant`.
    free: Option<u32>,
    len: usize,
}

/// Why a handle was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandleError {
    /// The handle is 0, C's null handle, which no map ever hands out.
    Null,
    /// The handle was made by another `HandleMap`.
    WrongMap,
    /// The handle's object was removed (the handle is stale or was removed
    /// twice).
    Stale,
    /// The map never handed out this handle: its slot does not exist or holds
    /// another generation than any handle given for it.
    Invalid,
}

impl HandleError {
    fn describe(self) -> &'static str {
        match self {
            HandleError::Null => "the null handle 0",
            HandleError::WrongMap => "a handle of another HandleMap",
            HandleError::Stale => "a stale handle: its object was removed",
            HandleError::Invalid => "a handle this HandleMap never handed out",
        }
    }
}

impl fmt::Display for HandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

impl std::error::Error for HandleError {}

enum Slot<T> {
    Occupied {
        generation: u16,
        value: T,
    },
    /// `generation` is the one of the last handle given for this slot.
    Vacant {
        generation: u16,
        next: Option<u32>,
    },
    /// The generation ran out: never reused, so no old handle matches again.
    Retired,
}

const INDEX_BITS: u32 = 32;
const GENERATION_BITS: u32 = 16;

/// Map ids are handed out in turn, skipping 0 and every id a live map holds:
/// two maps alive at the same time never share an id, however many maps
/// the program made before, so a live map never takes another live map's
/// handle. An id comes back only after its map was dropped and 65,535
/// other maps were made; a handle of that long-dropped map is then caught
/// by its generation or index only.
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// One bit per map id: set while a map holds it.
static LIVE_IDS: [AtomicU64; 1 << 10] = [const { AtomicU64::new(0) }; 1 << 10];

fn id_bit(id: u16) -> (&'static AtomicU64, u64) {
    (&LIVE_IDS[usize::from(id) / 64], 1u64 << (id % 64))
}

fn next_id() -> u16 {
    for _ in 0..=u32::from(u16::MAX) {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) as u16;
        if id == 0 {
            continue;
        }
        let (word, bit) = id_bit(id);
        if word.fetch_or(bit, Ordering::AcqRel) & bit == 0 {
            return id;
        }
    }
    panic!("HandleMap: 65,535 maps are alive at once, no map id is free");
}

fn release_id(id: u16) {
    let (word, bit) = id_bit(id);
    word.fetch_and(!bit, Ordering::AcqRel);
}

fn pack(id: u16, generation: u16, index: u32) -> u64 {
    (u64::from(id) << (INDEX_BITS + GENERATION_BITS))
        | (u64::from(generation) << INDEX_BITS)
        | u64::from(index)
}

fn unpack(handle: u64) -> (u16, u16, u32) {
    (
        (handle >> (INDEX_BITS + GENERATION_BITS)) as u16,
        (handle >> INDEX_BITS) as u16,
        handle as u32,
    )
}

impl<T> HandleMap<T> {
    /// An empty map with its own id.
    ///
    /// # Panics
    ///
    /// When 65,535 maps are alive at once (every map id is taken).
    pub fn new() -> HandleMap<T> {
        HandleMap {
            id: next_id(),
            slots: Vec::new(),
            free: None,
            len: 0,
        }
    }

    /// Stores `value` and returns its handle (never 0).
    ///
    /// # Panics
    ///
    /// When the map would hold more than `u32::MAX` slots.
    pub fn insert(&mut self, value: T) -> u64 {
        self.len += 1;
        if let Some(index) = self.free {
            let slot = &mut self.slots[index as usize];
            if let Slot::Vacant { generation, next } = *slot {
                let generation = generation.wrapping_add(1);
                self.free = next;
                *slot = Slot::Occupied { generation, value };
                return pack(self.id, generation, index);
            }
        }
        let index = u32::try_from(self.slots.len()).expect("HandleMap: more than u32::MAX slots");
        self.slots.push(Slot::Occupied {
            generation: 0,
            value,
        });
        pack(self.id, 0, index)
    }

    /// The object behind `handle`.
    #[track_caller]
    pub fn get(&self, handle: u64) -> Result<&T, HandleError> {
        match self.find(handle) {
            Ok(index) => match &self.slots[index] {
                Slot::Occupied { value, .. } => Ok(value),
                _ => unreachable!("find returns occupied slots only"),
            },
            Err(e) => Err(reject(e, "HandleMap::get", handle, Location::caller())),
        }
    }

    /// The object behind `handle`, mutably.
    #[track_caller]
    pub fn get_mut(&mut self, handle: u64) -> Result<&mut T, HandleError> {
        match self.find(handle) {
            Ok(index) => match &mut self.slots[index] {
                Slot::Occupied { value, .. } => Ok(value),
                _ => unreachable!("find returns occupied slots only"),
            },
            Err(e) => Err(reject(e, "HandleMap::get_mut", handle, Location::caller())),
        }
    }

    /// Takes the object behind `handle` out of the map; the handle is stale
    /// from now on.
    #[track_caller]
    pub fn remove(&mut self, handle: u64) -> Result<T, HandleError> {
        let index = match self.find(handle) {
            Ok(index) => index,
            Err(e) => return Err(reject(e, "HandleMap::remove", handle, Location::caller())),
        };
        let (_, generation, _) = unpack(handle);
        let vacant = if generation == u16::MAX {
            Slot::Retired
        } else {
            Slot::Vacant {
                generation,
                next: self.free,
            }
        };
        let retired = matches!(vacant, Slot::Retired);
        match std::mem::replace(&mut self.slots[index], vacant) {
            Slot::Occupied { value, .. } => {
                if !retired {
                    self.free = Some(index as u32);
                }
                self.len -= 1;
                Ok(value)
            }
            _ => unreachable!("find returns occupied slots only"),
        }
    }

    /// Whether `handle` refers to an object of this map now. Records nothing:
    /// for C code that may legitimately pass a stale handle.
    pub fn contains(&self, handle: u64) -> bool {
        self.find(handle).is_ok()
    }

    /// The number of objects in the map.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map holds no object.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot index of a valid handle, or why it is not valid.
    fn find(&self, handle: u64) -> Result<usize, HandleError> {
        if handle == 0 {
            return Err(HandleError::Null);
        }
        let (id, generation, index) = unpack(handle);
        if id != self.id {
            return Err(HandleError::WrongMap);
        }
        match self.slots.get(index as usize) {
            Some(Slot::Occupied { generation: g, .. }) if *g == generation => Ok(index as usize),
            // A generation this slot already had: the handle was given and
            // its object removed.
            Some(Slot::Occupied { generation: g, .. })
            | Some(Slot::Vacant { generation: g, .. })
                if generation <= *g =>
            {
                Err(HandleError::Stale)
            }
            Some(Slot::Retired) => Err(HandleError::Stale),
            _ => Err(HandleError::Invalid),
        }
    }
}

impl<T> Drop for HandleMap<T> {
    fn drop(&mut self) {
        release_id(self.id);
    }
}

impl<T> Default for HandleMap<T> {
    fn default() -> Self {
        HandleMap::new()
    }
}

impl<T> fmt::Debug for HandleMap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandleMap")
            .field("id", &self.id)
            .field("len", &self.len)
            .field("slots", &self.slots.len())
            .finish()
    }
}

/// Records the `stale_handle` finding for a rejected handle; returns the error.
#[cold]
fn reject(
    error: HandleError,
    function: &'static str,
    handle: u64,
    site: &'static Location<'static>,
) -> HandleError {
    #[cfg(feature = "checks")]
    {
        use crate::finding::{Finding, FindingKind, Site};

        let _ignore = crate::reentrancy::Ignore::new();
        crate::report::record(Finding::new(
            FindingKind::StaleHandle,
            function,
            format!("handle {handle:#x} passed to {function} is {error}"),
            Site::from_location(site),
        ));
    }
    #[cfg(not(feature = "checks"))]
    let _ = (function, handle, site);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks() {
        let h = pack(0xABCD, 0x1234, 0xDEAD_BEEF);
        assert_eq!(unpack(h), (0xABCD, 0x1234, 0xDEAD_BEEF));
    }

    #[test]
    fn slots_are_reused_with_a_new_generation() {
        let mut m = HandleMap::new();
        let a = m.insert(1);
        assert_eq!(m.remove(a), Ok(1));
        let b = m.insert(2);
        assert_eq!(unpack(a).2, unpack(b).2, "same slot");
        assert_ne!(a, b);
        assert_eq!(m.get(a), Err(HandleError::Stale));
        assert_eq!(m.get(b), Ok(&2));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn rejects_what_it_never_gave() {
        let mut m = HandleMap::new();
        let a = m.insert("a");
        let (id, generation, index) = unpack(a);
        assert_eq!(m.get(0), Err(HandleError::Null));
        assert_eq!(
            m.get(pack(id, generation, index + 1)),
            Err(HandleError::Invalid)
        );
        assert_eq!(
            m.get(pack(id, generation + 1, index)),
            Err(HandleError::Invalid)
        );
        assert_eq!(
            m.get(pack(id.wrapping_add(1), generation, index)),
            Err(HandleError::WrongMap)
        );
        assert!(m.contains(a));
    }

    #[test]
    fn a_slot_retires_instead_of_wrapping() {
        let mut m = HandleMap::new();
        let first = m.insert(0u32);
        let mut last = first;
        m.remove(first).unwrap();
        for k in 1..=u32::from(u16::MAX) {
            last = m.insert(k);
            m.remove(last).unwrap();
        }
        assert_eq!(unpack(last).1, u16::MAX);
        let fresh = m.insert(7);
        assert_ne!(
            unpack(fresh).2,
            unpack(first).2,
            "the worn-out slot is retired"
        );
        assert_eq!(m.get(first), Err(HandleError::Stale));
        assert_eq!(m.get(last), Err(HandleError::Stale));
        assert_eq!(m.get(fresh), Ok(&7));
    }
}
