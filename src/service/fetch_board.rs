//! The fetch stage's bookkeeping: the closed CEs whose clips are being fetched, which of their clips
//! wait, how many are under way, and when a CE is complete.
//!
//! Owns the order in which clips are handed out (the CE with the fewest downloads under way first,
//! the oldest CE on a tie, cameras in the CE's order) and the assembly of a complete CE into a
//! [`ReadyCe`]. Pure: no I/O, no threads, no journal; the stage thread (`fetch`) drives it.

use super::messages::{FetchJob, ReadyCe};
use crate::flow::messages::CameraClip;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

/// One camera's clip to download.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipTask {
    /// The CE it belongs to.
    pub ce_id: String,
    /// The CE folder.
    pub folder: PathBuf,
    /// The camera.
    pub camera: String,
    /// Export window start (epoch seconds).
    pub window_start: f64,
    /// Export window end (epoch seconds).
    pub window_end: f64,
    /// Frigate event ids of the camera, for the fallback clip route.
    pub event_ids: Vec<String>,
}

/// A CE whose clips are being fetched.
#[derive(Debug)]
struct CeInFlight {
    /// The job as it arrived.
    job: FetchJob,
    /// Cameras whose download has not begun, in the CE's camera order.
    waiting: VecDeque<String>,
    /// Downloads under way.
    running: usize,
    /// Results of this run's downloads, by camera: the clip, or why there is none.
    results: BTreeMap<String, Result<PathBuf, String>>,
    /// Its waiting clips were given up (shutdown): it ends when its running downloads do, and is
    /// not handed on.
    abandoned: bool,
}

impl CeInFlight {
    /// The CE for the coordinator: clips and failures in the CE's camera order.
    fn into_ready(self) -> ReadyCe {
        let job = self.job;
        let mut clips = Vec::new();
        let mut failed = Vec::new();
        for camera in &job.cameras {
            let known = job.failed.get(camera).cloned().map(Err);
            let fetched = job.fetched.get(camera).cloned().map(Ok);
            match known.or(fetched).or_else(|| self.results.get(camera).cloned()) {
                Some(Ok(clip)) => clips.push(CameraClip {
                    camera: camera.clone(),
                    clip,
                }),
                Some(Err(reason)) => failed.push((camera.clone(), reason)),
                None => {}
            }
        }
        ReadyCe {
            ce_id: job.ce_id,
            folder: job.folder,
            window_start: job.window_start,
            window_seconds: (job.window_end - job.window_start).max(0.0),
            clips,
            failed,
            label: job.label,
            closed_at: job.closed_at,
            dispatched: None,
        }
    }
}

/// The CEs of the fetch stage, oldest first.
#[derive(Debug, Default)]
pub struct FetchBoard {
    /// CEs with clips waiting or under way.
    ces: Vec<CeInFlight>,
}

impl FetchBoard {
    /// Takes a closed CE. Its cameras already fetched or failed before a restart are not fetched
    /// again; when that leaves nothing to fetch, the CE is complete at once and returned.
    pub fn add(&mut self, job: FetchJob) -> Option<ReadyCe> {
        let waiting: VecDeque<String> = job
            .cameras
            .iter()
            .filter(|camera| !job.failed.contains_key(*camera) && !job.fetched.contains_key(*camera))
            .cloned()
            .collect();
        let ce = CeInFlight {
            job,
            waiting,
            running: 0,
            results: BTreeMap::new(),
            abandoned: false,
        };
        if ce.waiting.is_empty() {
            return Some(ce.into_ready());
        }
        self.ces.push(ce);
        None
    }

    /// The next clip to download, now counted as under way: the first waiting camera of the CE with
    /// the fewest downloads under way (the oldest CE on a tie), so a CE whose downloads are slow
    /// does not keep the workers from the clips of the others.
    pub fn next_task(&mut self) -> Option<ClipTask> {
        let ce = self
            .ces
            .iter_mut()
            .filter(|ce| !ce.waiting.is_empty())
            .min_by_key(|ce| ce.running)?;
        let camera = ce.waiting.pop_front()?;
        ce.running += 1;
        let job = &ce.job;
        Some(ClipTask {
            ce_id: job.ce_id.clone(),
            folder: job.folder.clone(),
            window_start: job.window_start,
            window_end: job.window_end,
            event_ids: job.event_ids.get(&camera).cloned().unwrap_or_default(),
            camera,
        })
    }

    /// Records the result of `camera`'s download for CE `ce_id`: the clip, or why there is none.
    /// Returns the CE when that was its last clip (and it was not abandoned).
    pub fn finish(&mut self, ce_id: &str, camera: &str, result: Result<PathBuf, String>) -> Option<ReadyCe> {
        let index = self.ces.iter().position(|ce| ce.job.ce_id == ce_id)?;
        let ce = &mut self.ces[index];
        ce.running = ce.running.saturating_sub(1);
        ce.results.insert(camera.to_string(), result);
        if ce.running > 0 || !ce.waiting.is_empty() {
            return None;
        }
        let ce = self.ces.remove(index);
        (!ce.abandoned).then(|| ce.into_ready())
    }

    /// Gives up every clip not begun (shutdown): their CEs are dropped once their running downloads
    /// end, and are not handed on. Returns the ids of the CEs that lost clips.
    pub fn abandon_waiting(&mut self) -> Vec<String> {
        let mut abandoned = Vec::new();
        for ce in self.ces.iter_mut().filter(|ce| !ce.waiting.is_empty()) {
            ce.waiting.clear();
            ce.abandoned = true;
            abandoned.push(ce.job.ce_id.clone());
        }
        self.ces.retain(|ce| ce.running > 0);
        abandoned
    }

    /// Downloads under way.
    pub fn running(&self) -> usize {
        self.ces.iter().map(|ce| ce.running).sum()
    }

    /// Whether no CE is in the stage.
    pub fn is_empty(&self) -> bool {
        self.ces.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(ce_id: &str, cameras: &[&str]) -> FetchJob {
        FetchJob {
            ce_id: ce_id.to_string(),
            folder: PathBuf::from(format!("/events/{ce_id}")),
            window_start: 100.0,
            window_end: 130.0,
            cameras: cameras.iter().map(|c| c.to_string()).collect(),
            event_ids: BTreeMap::from([("front".to_string(), vec!["100.0-a".to_string()])]),
            label: "person".into(),
            fetched: BTreeMap::new(),
            failed: BTreeMap::new(),
            closed_at: 131.0,
        }
    }

    fn take(board: &mut FetchBoard) -> (String, String) {
        let task = board.next_task().expect("a waiting clip");
        (task.ce_id, task.camera)
    }

    #[test]
    fn a_slow_ce_does_not_keep_the_workers_from_a_later_one() {
        let mut board = FetchBoard::default();
        assert!(board.add(job("ce1", &["front", "side", "back"])).is_none());
        assert_eq!(take(&mut board), ("ce1".into(), "front".into()));
        assert!(board.add(job("ce2", &["porch"])).is_none());
        // ce1 has one download under way, ce2 none: ce2's clip goes first.
        assert_eq!(take(&mut board), ("ce2".into(), "porch".into()));
        assert_eq!(take(&mut board), ("ce1".into(), "side".into()));
        assert_eq!(board.running(), 3);
        let ready = board.finish("ce2", "porch", Ok("/events/ce2/porch/porch-1.mp4".into()));
        let ready = ready.expect("ce2's only clip is done");
        assert_eq!(ready.ce_id, "ce2");
        assert_eq!(ready.clips.len(), 1);
        assert_eq!(ready.window_seconds, 30.0);
    }

    #[test]
    fn a_ce_is_ready_after_its_last_clip_with_cameras_in_its_order() {
        let mut board = FetchBoard::default();
        board.add(job("ce1", &["front", "side", "back"]));
        let tasks: Vec<ClipTask> = std::iter::from_fn(|| board.next_task()).collect();
        assert_eq!(tasks.len(), 3);
        assert_eq!(tasks[0].event_ids, vec!["100.0-a".to_string()]);
        assert!(tasks[1].event_ids.is_empty());
        assert!(board.finish("ce1", "back", Ok("/b.mp4".into())).is_none());
        assert!(board
            .finish("ce1", "front", Err("camera front: HTTP 500".into()))
            .is_none());
        let ready = board.finish("ce1", "side", Ok("/s.mp4".into())).unwrap();
        let cameras: Vec<&str> = ready.clips.iter().map(|c| c.camera.as_str()).collect();
        assert_eq!(cameras, vec!["side", "back"]);
        assert_eq!(
            ready.failed,
            vec![("front".to_string(), "camera front: HTTP 500".to_string())]
        );
        assert!(board.is_empty());
    }

    #[test]
    fn clips_known_before_a_restart_are_not_fetched_again() {
        let mut board = FetchBoard::default();
        let mut resumed = job("ce1", &["front", "side"]);
        resumed.fetched.insert("front".into(), "/f.mp4".into());
        resumed.failed.insert("side".into(), "gone".into());
        let ready = board.add(resumed).expect("nothing left to fetch");
        assert_eq!(ready.clips[0].clip, PathBuf::from("/f.mp4"));
        assert_eq!(ready.failed, vec![("side".to_string(), "gone".to_string())]);
        assert!(board.next_task().is_none());
    }

    #[test]
    fn shutdown_leaves_clips_not_begun_and_drops_their_ces() {
        let mut board = FetchBoard::default();
        board.add(job("ce1", &["front", "side"]));
        board.add(job("ce2", &["porch"]));
        assert_eq!(take(&mut board), ("ce1".into(), "front".into()));
        assert_eq!(board.abandon_waiting(), vec!["ce1".to_string(), "ce2".to_string()]);
        assert!(board.next_task().is_none());
        assert_eq!(board.running(), 1);
        // The download under way ends; its CE is not handed on with a camera missing.
        assert!(board.finish("ce1", "front", Ok("/f.mp4".into())).is_none());
        assert!(board.is_empty());
    }
}
