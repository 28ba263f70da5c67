//! Scale-out across hosts on the MQTT broker the user already runs.
//!
//! Topology: one **ingest node** (`frigate-buffer run` with
//! `cluster.enabled: true`) follows Frigate, groups events into CEs and
//! fetches their clips into the storage folder, which it shares with the
//! workers (NFS or similar). Instead of processing a CE it publishes a job
//! (QoS 1) on `<cluster.topic>/jobs`. **Workers** (`frigate-buffer worker`,
//! any number, on any hosts with the same storage mounted) subscribe to
//! `$share/<cluster.group>/<cluster.topic>/jobs`, an MQTT 5 shared
//! subscription, so the broker gives each job to exactly one of them. A
//! worker announces what it took on `claims`, runs the CE through its own
//! pipeline (GPU or CPU) into the shared folder, and publishes the outcome on
//! `results`; the ingest node journals it and sends the notifications.
//!
//! Redelivery is the ingest node's job, not the broker's (a broker drops
//! what was in flight to a worker whose clean session ended): its
//! [`ledger::JobLedger`] publishes a job again — as a new attempt — when the
//! worker holding it goes `offline` (its last will, on
//! `workers/<id>`), when no worker claims it within
//! `cluster.claim_timeout_seconds`, or when it runs past
//! `cluster.job_timeout_seconds`. The first result of a CE concludes it;
//! later ones are ignored.
//!
//! - `protocol`: topics, messages and storage-relative paths.
//! - `ledger`: the ingest node's jobs out.
//! - `worker`: the worker process.
//!
//! The ingest node's side runs in `service::dispatcher`.

pub mod ledger;
pub mod protocol;
pub mod worker;
