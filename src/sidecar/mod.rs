//! Detection sidecars (`<ce>/<camera>/detection.json`): the format
//! (`format`) and the durable file I/O (`store`).

pub mod format;
pub mod store;
