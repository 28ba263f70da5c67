//! The metadata-probe stage's memo of clip metadata.
//!
//! Owns the rule for when a clip must be probed again: results are keyed by the
//! clip's canonical path and remembered with the file's size and modification time,
//! so an unchanged file is answered from memory and a rewritten one is re-probed.
//! Owned by the one metadata-probe thread (`&mut self`, no locks). Failed probes are
//! not remembered: a clip still being written may probe fine a moment later.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::probe::{probe_clip, ClipMetadata, ProbeError};

/// A remembered probe result and the file state it was computed from.
#[derive(Debug)]
struct CachedProbe {
    /// File size when probed.
    size: u64,
    /// Modification time when probed.
    modified: SystemTime,
    /// The result handed out, shared rather than copied.
    metadata: Arc<ClipMetadata>,
}

/// Memoised [`probe_clip`] with a fixed capacity (oldest entry evicted first), so a
/// long-running service's memory does not grow with the number of clips seen.
#[derive(Debug)]
pub struct ProbeCache {
    /// Most clips remembered at once (at least 1).
    capacity: usize,
    /// Results by canonical clip path.
    entries: HashMap<PathBuf, CachedProbe>,
    /// Canonical paths in first-insertion order, for eviction.
    insertion_order: VecDeque<PathBuf>,
}

impl ProbeCache {
    /// An empty cache remembering up to `capacity` clips (a capacity of 0 is taken as 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            insertion_order: VecDeque::new(),
        }
    }

    /// Metadata of the clip at `path`, probed only if this file (by canonical path,
    /// size and modification time) has not been probed before. The returned
    /// metadata's `path` is the canonical path.
    pub fn probe(&mut self, path: &Path) -> Result<Arc<ClipMetadata>, ProbeError> {
        let unreadable = |source| ProbeError::Unreadable {
            path: path.to_path_buf(),
            source,
        };
        let canonical = path.canonicalize().map_err(unreadable)?;
        let file_state = canonical.metadata().map_err(unreadable)?;
        let (size, modified) = (file_state.len(), file_state.modified().map_err(unreadable)?);
        if let Some(cached) = self.entries.get(&canonical) {
            if cached.size == size && cached.modified == modified {
                return Ok(Arc::clone(&cached.metadata));
            }
        }
        let metadata = Arc::new(probe_clip(&canonical)?);
        self.remember(
            canonical,
            CachedProbe {
                size,
                modified,
                metadata: Arc::clone(&metadata),
            },
        );
        Ok(metadata)
    }

    /// Number of clips remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn remember(&mut self, canonical: PathBuf, probe: CachedProbe) {
        if !self.entries.contains_key(&canonical) {
            if self.entries.len() >= self.capacity {
                if let Some(oldest) = self.insertion_order.pop_front() {
                    self.entries.remove(&oldest);
                }
            }
            self.insertion_order.push_back(canonical.clone());
        }
        self.entries.insert(canonical, probe);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::test_clips::{copy_clip, h264_mp4};
    use std::fs::File;
    use std::time::Duration;

    #[test]
    fn unchanged_file_is_answered_from_memory_and_changed_file_is_reprobed() {
        let dir = tempfile::tempdir().unwrap();
        let clip = copy_clip(&h264_mp4(), dir.path(), "clip.mp4");
        let mut cache = ProbeCache::new(8);
        let first = cache.probe(&clip).unwrap();
        assert_eq!(first.frame_count, 60);

        // Same size and mtime but unparseable bytes: only a cached answer can succeed.
        let original_len = std::fs::metadata(&clip).unwrap().len() as usize;
        let original_mtime = std::fs::metadata(&clip).unwrap().modified().unwrap();
        std::fs::write(&clip, vec![b'x'; original_len]).unwrap();
        File::options()
            .write(true)
            .open(&clip)
            .unwrap()
            .set_modified(original_mtime)
            .unwrap();
        let again = cache.probe(&clip).unwrap();
        assert!(Arc::ptr_eq(&first, &again));

        // A new mtime forces a re-probe, which now sees the garbage.
        let later = original_mtime + Duration::from_secs(10);
        File::options()
            .write(true)
            .open(&clip)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(cache.probe(&clip).is_err());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn size_change_forces_a_reprobe() {
        let dir = tempfile::tempdir().unwrap();
        let clip = copy_clip(&h264_mp4(), dir.path(), "clip.mp4");
        let mut cache = ProbeCache::new(8);
        cache.probe(&clip).unwrap();
        let mtime = std::fs::metadata(&clip).unwrap().modified().unwrap();
        let file = File::options().write(true).open(&clip).unwrap();
        file.set_len(100).unwrap();
        file.set_modified(mtime).unwrap();
        let err = cache.probe(&clip).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn oldest_clip_is_evicted_at_capacity() {
        let dir = tempfile::tempdir().unwrap();
        let first_clip = copy_clip(&h264_mp4(), dir.path(), "a.mp4");
        let second_clip = dir.path().join("b.mp4");
        std::fs::copy(&first_clip, &second_clip).unwrap();
        let mut cache = ProbeCache::new(1);
        let first = cache.probe(&first_clip).unwrap();
        cache.probe(&second_clip).unwrap();
        assert_eq!(cache.len(), 1);
        let first_again = cache.probe(&first_clip).unwrap();
        assert!(!Arc::ptr_eq(&first, &first_again));
        assert_eq!(*first, *first_again);
    }

    #[test]
    fn missing_file_error_names_it() {
        let mut cache = ProbeCache::new(1);
        let err = cache.probe(Path::new("/nonexistent/cam/clip.mp4")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("clip /nonexistent/cam/clip.mp4: cannot read:"),
            "{err}"
        );
        assert!(cache.is_empty());
    }
}
