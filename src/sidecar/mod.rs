//! Detection sidecars (`<ce>/<camera>/detection.json`): the format
//! (`format`), the durable file I/O (`store`) and the poster frame chosen
//! from a sidecar (`poster`).

pub mod format;
pub mod poster;
pub mod store;
