//! Handles: moved to the heap when handed to C, freed by their `_free`, and tracked while
//! live so that a double free, a use after free or a handle of the wrong type is caught.

use super::client::{weave_client, weave_client_options};
use super::cursor::weave_feedback_cursor;
use super::feedbacks::{weave_feedbacks, weave_refs};
use super::query::weave_feedback_query;
use super::ref_query::weave_ref_feedback_query;

/// Moves a handle to the heap and hands it to C (freed by the matching `_free`).
pub(crate) fn into_handle<T: Handle>(value: T) -> *mut T {
    let p = Box::into_raw(Box::new(value));
    registry::register(p);
    p
}

/// Frees a handle made by [`into_handle`]. NULL does nothing, and so does a pointer that is
/// not a live handle of type `T` (a second free, or a pointer from elsewhere): a detected
/// double free is ignored instead of corrupting the heap.
///
/// # Safety
/// `p` is NULL or a pointer the caller got from this library; no other thread uses it.
pub(crate) unsafe fn free_handle<T: Handle>(p: *mut T) {
    if !p.is_null() && registry::unregister(p) {
        // SAFETY: the registry held `p`, so it came from `into_handle::<T>` and was not freed.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// The handle types: made by [`into_handle`], tracked by the registry.
pub(crate) trait Handle: 'static {}
impl Handle for weave_client_options {}
impl Handle for weave_client {}
impl Handle for weave_feedback_query {}
impl Handle for weave_ref_feedback_query {}
impl Handle for weave_feedbacks {}
impl Handle for weave_refs {}
impl Handle for weave_feedback_cursor {}

/// The live handles, by address and type. It turns the commonest C mistakes (a double free,
/// a use after free, a handle of the wrong type) into an error or a no-op instead of undefined
/// behaviour. It cannot catch a stale pointer whose address a new handle of the same type has
/// taken since; correct ownership is still the caller's job.
///
/// Checks take a shared read lock, so threads reading results never wait for each other; only
/// making and freeing a handle takes it exclusively. Rows (`weave_feedback`) are not handles:
/// their getters do not come here at all.
pub(crate) mod registry {
    use std::any::TypeId;
    use std::collections::HashSet;
    use std::hash::{BuildHasherDefault, Hasher};
    use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

    type Set = Option<HashSet<(usize, TypeId), BuildHasherDefault<AddressHasher>>>;

    /// A multiply-and-rotate hash of the handle's address and type. The keys are this
    /// library's own allocations, never input an attacker chooses, so the default SipHash's
    /// resistance to chosen collisions buys nothing, and it cost about 190 instructions per
    /// check: a check runs on every call taking a handle (`weave_feedbacks_get` per row).
    #[derive(Default)]
    pub(crate) struct AddressHasher(u64);

    impl Hasher for AddressHasher {
        fn write(&mut self, bytes: &[u8]) {
            bytes.iter().for_each(|&b| self.write_u64(u64::from(b)));
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = (self.0.rotate_left(26) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        fn write_usize(&mut self, n: usize) {
            self.write_u64(n as u64);
        }
        fn finish(&self) -> u64 {
            // The product's high bits are the well-mixed ones; the table indexes by low bits.
            self.0 ^ (self.0 >> 29)
        }
    }
    static LIVE: RwLock<Set> = RwLock::new(None);

    // The set stays consistent even if a panic interrupted a holder: take it over.
    fn live() -> RwLockWriteGuard<'static, Set> {
        LIVE.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read() -> RwLockReadGuard<'static, Set> {
        LIVE.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn register<T: 'static>(p: *const T) {
        live()
            .get_or_insert_with(Default::default)
            .insert((p as usize, TypeId::of::<T>()));
    }

    pub(crate) fn unregister<T: 'static>(p: *const T) -> bool {
        live()
            .as_mut()
            .is_some_and(|set| set.remove(&(p as usize, TypeId::of::<T>())))
    }

    pub(crate) fn is_live<T: 'static>(p: *const T) -> bool {
        read()
            .as_ref()
            .is_some_and(|set| set.contains(&(p as usize, TypeId::of::<T>())))
    }
}

#[cfg(test)]
mod tests {
    use super::registry::AddressHasher;
    use std::any::TypeId;
    use std::collections::HashSet;
    use std::hash::{BuildHasher, BuildHasherDefault};

    /// Handle addresses are 16-byte aligned: their hashes must still spread over a table's
    /// low bits as random ones would (4096 random keys fill about 1005 of 1024 buckets;
    /// without the final fold this hash fills 899).
    #[test]
    fn aligned_addresses_spread_over_the_low_bits() {
        let build = BuildHasherDefault::<AddressHasher>::default();
        let buckets: HashSet<u64> = (0..4096usize)
            .map(|i| build.hash_one((0x5555_0000_0000 + i * 48, TypeId::of::<u8>())) & 1023)
            .collect();
        assert!(
            buckets.len() > 980,
            "{} of 1024 buckets used",
            buckets.len()
        );
    }
}
