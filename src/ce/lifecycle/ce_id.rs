//! Naming of a consolidated event: its id and its folder name.
//!
//! Owns the `ce_<int start_ts>_<8 hex>` / `<int start_ts>_<8 hex>` scheme.
//! The 8 hex digits are the 32-bit FNV-1a hash (offset basis 0x811c9dc5,
//! prime 0x01000193) of the UTF-8 bytes of the CE's first Frigate event id,
//! so replaying the same messages yields the same names. Creates no folder.

use serde::{Deserialize, Serialize};

/// The names of one CE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CeIdentity {
    /// `ce_<int start_ts>_<8 hex>`: the key in journals, notifications and tags.
    pub ce_id: String,
    /// `<int start_ts>_<8 hex>`: the folder name under `events/`.
    pub folder: String,
}

impl CeIdentity {
    /// Names the CE opened by the event `first_event_id` that started at
    /// `start_time` (epoch seconds, whole seconds taken by flooring).
    pub fn for_first_event(start_time: f64, first_event_id: &str) -> CeIdentity {
        let folder = format!(
            "{}_{:08x}",
            start_time.floor() as i64,
            fnv1a_32(first_event_id.as_bytes())
        );
        CeIdentity {
            ce_id: format!("{CE_ID_PREFIX}{folder}"),
            folder,
        }
    }

    /// The folder name of the CE whose id is `ce_id`; `None` for an id not of
    /// this scheme. (A canceled CE's folder later gains `-canceled`.)
    pub fn folder_of(ce_id: &str) -> Option<&str> {
        ce_id.strip_prefix(CE_ID_PREFIX).filter(|folder| !folder.is_empty())
    }
}

/// What a CE id adds in front of its folder name.
const CE_ID_PREFIX: &str = "ce_";

/// 32-bit FNV-1a: stable across platforms and releases, unlike std's hasher.
fn fnv1a_32(bytes: &[u8]) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    bytes
        .iter()
        .fold(OFFSET_BASIS, |hash, &byte| (hash ^ u32::from(byte)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_published_test_vectors() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn names_use_floored_start_and_hash_of_first_event_id() {
        let identity = CeIdentity::for_first_event(1_700_000_123.9, "a");
        assert_eq!(identity.ce_id, "ce_1700000123_e40c292c");
        assert_eq!(identity.folder, "1700000123_e40c292c");
        assert_eq!(CeIdentity::folder_of(&identity.ce_id), Some(identity.folder.as_str()));
        assert_eq!(CeIdentity::folder_of("overflow"), None);
        assert_eq!(CeIdentity::folder_of("ce_"), None);
    }

    #[test]
    fn same_first_event_gives_same_names_and_another_differs() {
        let first = CeIdentity::for_first_event(100.0, "100.0-abc123");
        assert_eq!(first, CeIdentity::for_first_event(100.0, "100.0-abc123"));
        assert_ne!(first, CeIdentity::for_first_event(100.0, "100.0-abc124"));
    }
}
