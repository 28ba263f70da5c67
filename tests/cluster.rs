//! Scale-out across hosts: an ingest node (`run` with `cluster.enabled`) and
//! two workers (`worker`) on one Mosquitto, sharing one storage folder, as
//! separate processes. Jobs go over an MQTT 5 shared subscription; claims,
//! results and worker statuses come back over MQTT. Observed from outside:
//! the cluster's topics and the CE folders.

mod common;

use common::mosquitto::Mosquitto;
use common::service_harness::{ce_folders, finished_ce_folders, frigate_with_sample_clips, OnlineWatch, Rig, Service};
use common::video_info;
use paho_mqtt as mqtt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the workers announce `online` once they take jobs.
const WORKER_STATUSES: &str = "frigate_buffer/cluster/workers/+";

/// One worker's status topic.
fn worker_status(id: &str) -> String {
    format!("frigate_buffer/cluster/workers/{id}")
}

/// Collects what the cluster says on its claims and results topics.
struct ClusterWatch {
    _client: mqtt::Client,
    messages: mqtt::SyncReceiver<Option<mqtt::Message>>,
    /// `(worker, ce_id, attempt)` per claim, in arrival order.
    claims: Vec<(String, String, u64)>,
    /// `(worker, ce_id, attempt)` per result, in arrival order.
    results: Vec<(String, String, u64)>,
}

impl ClusterWatch {
    fn connect(broker: &Mosquitto) -> Self {
        let client = mqtt::Client::new(
            mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://127.0.0.1:{}", broker.port))
                .client_id("cluster-watch")
                .finalize(),
        )
        .unwrap();
        let messages = client.start_consuming();
        client.connect(None).unwrap();
        client
            .subscribe_many(
                &["frigate_buffer/cluster/claims", "frigate_buffer/cluster/results"],
                &[1, 1],
            )
            .unwrap();
        Self {
            _client: client,
            messages,
            claims: Vec::new(),
            results: Vec::new(),
        }
    }

    /// Takes what arrived within `wait`.
    fn poll(&mut self, wait: Duration) {
        let Ok(Some(message)) = self.messages.recv_timeout(wait) else {
            return;
        };
        let value: Value = serde_json::from_slice(message.payload()).unwrap();
        let (ce_id, record) = if message.topic().ends_with("/claims") {
            (value["ce_id"].clone(), &mut self.claims)
        } else {
            (value["outcome"]["ce_id"].clone(), &mut self.results)
        };
        record.push((
            value["worker"].as_str().unwrap().to_string(),
            ce_id.as_str().unwrap().to_string(),
            value["attempt"].as_u64().unwrap(),
        ));
    }

    /// Polls for `span`.
    fn collect_for(&mut self, span: Duration) {
        let end = Instant::now() + span;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            self.poll(left.min(Duration::from_millis(100)));
        }
    }

    /// Polls until `done` holds, or fails after `timeout`.
    fn until(&mut self, timeout: Duration, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what} not seen within {timeout:?}: claims {:?}, results {:?}",
                self.claims,
                self.results
            );
            self.poll(Duration::from_millis(100));
        }
    }
}

/// A rig whose service is an ingest node, with `workers` worker configurations beside it.
fn cluster_rig(name: &str, workers: &[&str]) -> (Rig, Vec<PathBuf>) {
    let rig = Rig::start(name, frigate_with_sample_clips(&[]), "");
    let base = std::fs::read_to_string(&rig.config).unwrap();
    let worker_configs = workers
        .iter()
        .map(|worker| {
            let path = rig.dir.path().join(format!("{worker}.yaml"));
            std::fs::write(&path, format!("{base}cluster:\n  worker_id: {worker}\n")).unwrap();
            path
        })
        .collect();
    let ingest = format!("{base}cluster:\n  enabled: true\n  claim_timeout_seconds: 10\n");
    std::fs::write(&rig.config, ingest).unwrap();
    (rig, worker_configs)
}

/// Asserts a finished CE has its 1440×1080 summary and exactly one `clip_ready`.
fn assert_complete(folder: &Path) {
    let name = folder.file_name().unwrap().to_string_lossy().into_owned();
    let info = video_info(&folder.join(format!("{name}_summary.mp4")));
    assert_eq!((info.width, info.height), (1440, 1080), "{name}");
    assert!(info.duration > 1.0, "{name}: {info:?}");
    let journal = std::fs::read_to_string(folder.join("journal.jsonl")).unwrap();
    assert_eq!(
        journal.matches("\"status\":\"clip_ready\"").count(),
        1,
        "{name}: {journal}"
    );
}

#[test]
fn two_workers_share_the_jobs_and_do_each_once() {
    let (rig, workers) = cluster_rig("cluster-spread", &["w1", "w2"]);
    let mut watch = ClusterWatch::connect(&rig.broker);
    let ingest = rig.start_service();
    let online = OnlineWatch::new(&rig.broker, WORKER_STATUSES);
    let _w1 = Service::worker(&workers[0]);
    let _w2 = Service::worker(&workers[1]);
    online.wait_for(&[&worker_status("w1"), &worker_status("w2")], Duration::from_secs(120));

    // Four incidents, 5 s apart (the CE gap is 3 s): four CEs, four jobs.
    let cameras: [&[&str]; 4] = [&["front_door"], &["driveway"], &["front_door"], &["driveway"]];
    for (n, cameras) in cameras.iter().enumerate() {
        rig.publish_incident(&format!("s{n}"), cameras);
        watch.collect_for(Duration::from_secs(5));
    }
    watch.until(Duration::from_secs(300), "four results", |w| w.results.len() >= 4);
    let storage = rig.storage();
    let deadline = Instant::now() + Duration::from_secs(30);
    while finished_ce_folders(&storage).len() < 4 {
        assert!(
            Instant::now() < deadline,
            "finished: {:?}",
            finished_ce_folders(&storage)
        );
        watch.poll(Duration::from_millis(200));
    }
    watch.collect_for(Duration::from_secs(2));

    // Each CE claimed once and done once, and both workers had some.
    let mut claims_per_ce: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, ce, attempt) in &watch.claims {
        assert_eq!(*attempt, 1, "{:?}", watch.claims);
        *claims_per_ce.entry(ce).or_default() += 1;
    }
    assert_eq!(claims_per_ce.len(), 4, "{:?}", watch.claims);
    assert!(claims_per_ce.values().all(|n| *n == 1), "{:?}", watch.claims);
    let mut done: Vec<&str> = watch.results.iter().map(|(_, ce, _)| ce.as_str()).collect();
    done.sort();
    done.dedup();
    assert_eq!((done.len(), watch.results.len()), (4, 4), "{:?}", watch.results);
    for worker in ["w1", "w2"] {
        let jobs = watch.results.iter().filter(|(w, _, _)| w == worker).count();
        assert!(jobs >= 1, "{worker} did no job: {:?}", watch.results);
    }
    let folders = ce_folders(&storage);
    assert_eq!(folders.len(), 4, "{folders:?}");
    folders.iter().for_each(|folder| assert_complete(folder));
    assert!(ingest.sigterm().success());
}

#[test]
fn a_worker_killed_mid_job_has_its_job_done_by_the_other() {
    let (rig, workers) = cluster_rig("cluster-kill", &["w1", "w2"]);
    let mut watch = ClusterWatch::connect(&rig.broker);
    let ingest = rig.start_service();
    let online = OnlineWatch::new(&rig.broker, WORKER_STATUSES);
    let mut running = BTreeMap::from([
        ("w1".to_string(), Service::worker(&workers[0])),
        ("w2".to_string(), Service::worker(&workers[1])),
    ]);
    online.wait_for(&[&worker_status("w1"), &worker_status("w2")], Duration::from_secs(120));

    // A two-camera incident; whichever worker takes it is killed at once.
    rig.publish_incident("k", &["front_door", "driveway"]);
    watch.until(Duration::from_secs(60), "a claim", |w| !w.claims.is_empty());
    let (victim, ce_id, attempt) = watch.claims[0].clone();
    assert_eq!(attempt, 1);
    running.remove(&victim).unwrap().sigkill();
    let survivor = running.keys().next().unwrap().clone();

    watch.until(Duration::from_secs(300), "the result", |w| !w.results.is_empty());
    let storage = rig.storage();
    let deadline = Instant::now() + Duration::from_secs(30);
    while finished_ce_folders(&storage).is_empty() {
        assert!(Instant::now() < deadline, "no finished CE");
        watch.poll(Duration::from_millis(200));
    }
    watch.collect_for(Duration::from_secs(2));

    // The survivor took attempt 2 and did it; the victim never reported.
    assert_eq!(
        watch.claims,
        [(victim.clone(), ce_id.clone(), 1), (survivor.clone(), ce_id.clone(), 2)]
    );
    assert_eq!(watch.results, [(survivor, ce_id, 2)]);
    let folders = ce_folders(&storage);
    assert_eq!(folders.len(), 1, "{folders:?}");
    assert_complete(&folders[0]);
    let journal = std::fs::read_to_string(folders[0].join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(&format!("\"step\":\"claimed\",\"attempt\":1,\"worker\":\"{victim}\"")),
        "{journal}"
    );
    assert!(ingest.sigterm().success());
}

#[test]
fn a_restarted_ingest_node_takes_the_result_of_the_job_a_worker_still_held() {
    let (rig, workers) = cluster_rig("cluster-ingest-restart", &["w1"]);
    let mut watch = ClusterWatch::connect(&rig.broker);
    let ingest = rig.start_service();
    let online = OnlineWatch::new(&rig.broker, WORKER_STATUSES);
    let _w1 = Service::worker(&workers[0]);
    online.wait_for(&[&worker_status("w1")], Duration::from_secs(120));

    // The ingest node dies once the job is taken; the worker finishes meanwhile.
    rig.publish_incident("r", &["front_door", "driveway"]);
    watch.until(Duration::from_secs(60), "a claim", |w| !w.claims.is_empty());
    ingest.sigkill();
    watch.until(Duration::from_secs(300), "the result", |w| !w.results.is_empty());
    let ingest = rig.start_service();

    // Back, it concludes the CE from the result waiting in its session, without publishing again.
    let storage = rig.storage();
    let deadline = Instant::now() + Duration::from_secs(60);
    while finished_ce_folders(&storage).is_empty() {
        assert!(Instant::now() < deadline, "no finished CE");
        watch.poll(Duration::from_millis(200));
    }
    watch.collect_for(Duration::from_secs(2));
    let ce_id = watch.claims[0].1.clone();
    assert_eq!(watch.claims, [("w1".to_string(), ce_id.clone(), 1)]);
    assert_eq!(watch.results, [("w1".to_string(), ce_id, 1)]);
    let folders = ce_folders(&storage);
    assert_eq!(folders.len(), 1, "{folders:?}");
    assert_complete(&folders[0]);
    assert!(ingest.sigterm().success());
}
