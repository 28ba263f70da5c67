//! Frigate's HTTP API, fetch side: clips, snapshots and live frames from Frigate to local disk.
//!
//! The rooms, one concept each:
//! - `fetch`: [`FrigateClient`], the public face, and the clip fallback chain
//!   (export → event clip → recordings by range);
//! - `export`: the export flow of Frigate 0.17 and 0.18, with a one-time probe of the flavour;
//! - `download`: atomic downloads (temporary file, media check, fsync, rename);
//! - `client`: the HTTP transport with timeouts, retries and back-off ([`FetchPolicy`]);
//! - `deadline`: the time budget of one fetch, which bounds every request, pause and poll in it;
//! - `redirect`: the rule that a redirect is followed only on Frigate's own origin;
//! - `routes`: the spelling of every Frigate route used;
//! - `fetch_settings`: [`FetchSettings`], the limits the configuration sets;
//! - `error`: [`FetchError`], one line per failure, naming the URL, camera or file.
//!
//! Everything here blocks; it runs on the fetch stage's workers, never on a GPU owner.

mod client;
mod deadline;
mod download;
mod error;
mod export;
mod fetch;
mod fetch_settings;
mod redirect;
mod routes;

pub use client::FetchPolicy;
pub use error::FetchError;
pub use fetch::{ClipSource, FetchedClip, FrigateClient};
pub use fetch_settings::FetchSettings;
