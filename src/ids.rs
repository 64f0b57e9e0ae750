//! Client-generated ids and randomness, without a random-number crate.
//!
//! Every add carries a UUIDv7 chosen here, so a retried create can be recognised on the server
//! (see `client.rs`). Randomness comes from the standard library's `RandomState`, whose SipHash
//! keys are seeded from the operating system: unpredictable enough for ids and retry jitter.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 random bits.
pub(crate) fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// A uniformly distributed float in `[0, 1)`.
pub(crate) fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A new UUIDv7 (RFC 9562) in lowercase `8-4-4-4-12` form, as the server itself generates.
pub fn new_uuid_v7() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
        & 0xFFFF_FFFF_FFFF;
    let (r1, r2) = (random_u64(), random_u64());
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    b[6..8].copy_from_slice(&r1.to_be_bytes()[..2]);
    b[8..].copy_from_slice(&r2.to_be_bytes());
    b[6] = (b[6] & 0x0F) | 0x70; // version 7
    b[8] = (b[8] & 0x3F) | 0x80; // RFC 4122 variant
                                 // 8-4-4-4-12 lowercase hex, written by hand (formatting machinery costs more than the rest).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 36];
    let mut at = 0;
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out[at] = b'-';
            at += 1;
        }
        out[at] = HEX[usize::from(x >> 4)];
        out[at + 1] = HEX[usize::from(x & 0x0F)];
        at += 2;
    }
    out.iter().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuid_v7_shape_and_uniqueness() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_uuid_v7()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(50) {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('7'), "{id}");
            assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{id}");
            assert_eq!(id.to_lowercase(), *id);
        }
    }

    #[test]
    fn unit_random_in_range() {
        for _ in 0..1000 {
            let x = random_unit();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
