//! Retention: deletes consolidated-event folders older than `retention_days`.
//!
//! Owns the decision of which entries of `<storage>/events/` are old enough
//! to go, and their deletion. It never looks outside `<storage>/events/` (so
//! `<storage>/saved/` is never touched), never deletes a CE the caller says is
//! active, and never follows a symbolic link: a link is removed as a link.
//! Scheduling (hourly) belongs to the caller.

use crate::metrics::disk_usage_bytes;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// Folder under storage that holds the CE folders.
const EVENTS_FOLDER: &str = "events";
/// Suffix of a canceled CE's folder.
const CANCELED_SUFFIX: &str = "-canceled";
/// Seconds in a retention day.
const SECONDS_PER_DAY: f64 = 86_400.0;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Names of the entries deleted from `events/`, in name order.
    pub deleted: Vec<String>,
    /// Names of entries old enough to delete but kept because their CE is
    /// still active, so a stuck CE shows up in the logs.
    pub kept_active: Vec<String>,
    /// Bytes of regular files removed (links count as zero).
    pub freed_bytes: u64,
}

/// Why a sweep stopped.
#[derive(Debug, Error)]
pub enum RetentionError {
    /// The events folder exists but could not be listed.
    #[error("cannot list CE folders in {path}: {source}")]
    ListEvents {
        /// The events folder.
        path: PathBuf,
        /// The underlying failure.
        source: io::Error,
    },
    /// The events folder is a symbolic link or a file; sweeping through it
    /// could delete outside storage.
    #[error("{path} is not a real directory; retention does not follow links")]
    EventsNotADirectory {
        /// The events folder.
        path: PathBuf,
    },
    /// An entry's metadata could not be read, so its age is unknown.
    #[error("cannot read the age of {path}: {source}")]
    ReadAge {
        /// The entry.
        path: PathBuf,
        /// The underlying failure.
        source: io::Error,
    },
    /// An entry could not be deleted.
    #[error("cannot delete {path}: {source}")]
    Delete {
        /// The entry.
        path: PathBuf,
        /// The underlying failure.
        source: io::Error,
    },
}

/// The start time encoded in a CE folder name `<ts>_<hex8>[-canceled]`, or
/// `None` when the name does not have that shape.
fn start_time_from_name(name: &str) -> Option<SystemTime> {
    let stem = name.strip_suffix(CANCELED_SUFFIX).unwrap_or(name);
    let (timestamp, hex) = stem.split_once('_')?;
    let well_formed = !timestamp.is_empty()
        && timestamp.bytes().all(|byte| byte.is_ascii_digit())
        && hex.len() == 8
        && hex.bytes().all(|byte| byte.is_ascii_hexdigit());
    if !well_formed {
        return None;
    }
    let seconds: u64 = timestamp.parse().ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Deletes every entry of `<storage>/events/` older than `retention_days`
/// whose CE is not active, and reports what it did.
///
/// An entry's age comes from the start time in its name, or from its own
/// modification time (not its target's) when the name is not a CE folder
/// name; entries from the future are never old. Only directories and
/// symbolic links are considered; a link is removed as a link, its target
/// left alone. `retention_days` of zero (or less) disables deletion. A
/// missing events folder is an empty sweep. Stops at the first entry that
/// cannot be inspected or deleted.
pub fn sweep(
    storage: &Path,
    now: SystemTime,
    retention_days: f64,
    is_active: &dyn Fn(&str) -> bool,
) -> Result<SweepReport, RetentionError> {
    let mut report = SweepReport::default();
    if retention_days.is_nan() || retention_days <= 0.0 {
        return Ok(report);
    }
    let max_age = Duration::try_from_secs_f64(retention_days * SECONDS_PER_DAY).unwrap_or(Duration::MAX);
    let events = storage.join(EVENTS_FOLDER);
    match fs::symlink_metadata(&events) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return Err(RetentionError::EventsNotADirectory { path: events }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(report),
        Err(source) => return Err(RetentionError::ListEvents { path: events, source }),
    }
    let listing_error = |source| RetentionError::ListEvents {
        path: events.clone(),
        source,
    };
    let mut entries = fs::read_dir(&events)
        .map_err(listing_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(listing_error)?;
    entries.sort();

    for path in entries {
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let metadata = match fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            // Renamed or removed since the listing (a CE set aside at start-up, a user's
            // delete): nothing left here to sweep.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(RetentionError::ReadAge { path, source }),
        };
        let is_link = metadata.file_type().is_symlink();
        if !is_link && !metadata.is_dir() {
            continue;
        }
        let started = match start_time_from_name(name) {
            Some(started) => started,
            None => metadata.modified().map_err(|source| RetentionError::ReadAge {
                path: path.clone(),
                source,
            })?,
        };
        let age = now.duration_since(started).unwrap_or(Duration::ZERO);
        if age <= max_age {
            continue;
        }
        if is_active(name) {
            report.kept_active.push(name.to_string());
            continue;
        }
        let (freed, removal) = if is_link {
            (0, fs::remove_file(&path))
        } else {
            (disk_usage_bytes(&path), fs::remove_dir_all(&path))
        };
        removal.map_err(|source| RetentionError::Delete {
            path: path.clone(),
            source,
        })?;
        report.freed_bytes = report.freed_bytes.saturating_add(freed);
        report.deleted.push(name.to_string());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// "Now" in the tests: 2023-11-14T22:13:20Z.
    const NOW_SECONDS: u64 = 1_700_000_000;
    const DAY: u64 = 86_400;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_SECONDS)
    }

    /// A CE folder `<ts>_<tail>` started `days_ago` days before now,
    /// holding `bytes` bytes.
    fn ce_folder(root: &Path, days_ago: u64, tail: &str, bytes: usize) -> String {
        let name = format!("{}_{tail}", NOW_SECONDS - days_ago * DAY);
        let folder = root.join(&name).join("front");
        fs::create_dir_all(&folder).expect("mkdir");
        fs::write(folder.join("front-1.mp4"), vec![0u8; bytes]).expect("write");
        name
    }

    fn never_active(_: &str) -> bool {
        false
    }

    #[test]
    fn parses_ce_folder_names() {
        let expected = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(start_time_from_name("1700000000_0a1b2c3d"), Some(expected));
        assert_eq!(start_time_from_name("1700000000_0a1b2c3d-canceled"), Some(expected));
        assert_eq!(start_time_from_name("1700000000_0a1b2c3"), None);
        assert_eq!(start_time_from_name("17000x0000_0a1b2c3d"), None);
        assert_eq!(start_time_from_name("_0a1b2c3d"), None);
        assert_eq!(start_time_from_name("notes"), None);
    }

    #[test]
    fn deletes_old_folders_and_keeps_recent_saved_and_active() {
        let storage = tempfile::tempdir().expect("temp dir");
        let events = storage.path().join("events");
        let old = ce_folder(&events, 5, "0000000a", 700);
        let old_canceled = ce_folder(&events, 4, "0000000b-canceled", 300);
        let recent = ce_folder(&events, 2, "0000000c", 100);
        let active = ce_folder(&events, 10, "0000000d", 100);
        let saved = ce_folder(&storage.path().join("saved").join("events"), 30, "0000000e", 100);

        let report = sweep(storage.path(), now(), 3.0, &|name| name == active).expect("sweep");

        assert_eq!(report.deleted, vec![old.clone(), old_canceled.clone()]);
        assert_eq!(report.kept_active, vec![active.clone()]);
        assert_eq!(report.freed_bytes, 1000);
        assert!(!events.join(&old).exists());
        assert!(!events.join(&old_canceled).exists());
        assert!(events.join(&recent).exists());
        assert!(events.join(&active).exists());
        assert!(storage.path().join("saved/events").join(&saved).exists());
    }

    #[test]
    fn unparseable_names_age_by_modification_time() {
        let storage = tempfile::tempdir().expect("temp dir");
        let events = storage.path().join("events");
        fs::create_dir_all(events.join("manual-copy")).expect("mkdir");
        let just_made = SystemTime::now();

        let fresh = sweep(storage.path(), just_made, 1.0, &never_active).expect("sweep");
        assert!(fresh.deleted.is_empty());

        let later = just_made + Duration::from_secs(2 * DAY);
        let stale = sweep(storage.path(), later, 1.0, &never_active).expect("sweep");
        assert_eq!(stale.deleted, vec!["manual-copy".to_string()]);
    }

    #[test]
    fn a_link_to_outside_storage_is_removed_as_a_link_only() {
        let storage = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("temp dir");
        let target = outside.path().join("keep.mp4");
        fs::write(&target, vec![0u8; 500]).expect("write");
        let events = storage.path().join("events");
        fs::create_dir_all(&events).expect("mkdir");
        let link_name = format!("{}_0000000f", NOW_SECONDS - 9 * DAY);
        symlink(outside.path(), events.join(&link_name)).expect("link");

        let report = sweep(storage.path(), now(), 3.0, &never_active).expect("sweep");

        assert_eq!(report.deleted, vec![link_name.clone()]);
        assert_eq!(report.freed_bytes, 0);
        assert!(fs::symlink_metadata(events.join(&link_name)).is_err());
        assert_eq!(fs::read(&target).expect("target survives").len(), 500);
    }

    #[test]
    fn a_link_inside_an_old_folder_does_not_lead_outside() {
        let storage = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("temp dir");
        let target = outside.path().join("keep.mp4");
        fs::write(&target, vec![0u8; 500]).expect("write");
        let events = storage.path().join("events");
        let old = ce_folder(&events, 5, "00000010", 40);
        symlink(outside.path(), events.join(&old).join("escape")).expect("link");

        let report = sweep(storage.path(), now(), 3.0, &never_active).expect("sweep");

        assert_eq!(report.deleted, vec![old]);
        assert_eq!(report.freed_bytes, 40);
        assert!(target.exists());
    }

    #[test]
    fn zero_days_deletes_nothing() {
        let storage = tempfile::tempdir().expect("temp dir");
        let events = storage.path().join("events");
        let ancient = ce_folder(&events, 365, "00000011", 10);

        let report = sweep(storage.path(), now(), 0.0, &never_active).expect("sweep");

        assert_eq!(report, SweepReport::default());
        assert!(events.join(ancient).exists());
    }

    #[test]
    fn missing_events_folder_is_an_empty_sweep() {
        let storage = tempfile::tempdir().expect("temp dir");
        let report = sweep(storage.path(), now(), 3.0, &never_active).expect("sweep");
        assert_eq!(report, SweepReport::default());
    }

    #[test]
    fn a_linked_events_folder_is_refused_and_names_the_path() {
        let storage = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("temp dir");
        ce_folder(outside.path(), 5, "00000012", 10);
        symlink(outside.path(), storage.path().join("events")).expect("link");

        let error = sweep(storage.path(), now(), 3.0, &never_active).expect_err("refused");

        assert!(error
            .to_string()
            .contains(&storage.path().join("events").display().to_string()));
        assert_eq!(fs::read_dir(outside.path()).expect("list").count(), 1);
    }
}
