//! Consolidated events in the service: the lifecycle state machine that groups
//! Frigate events into CEs (`lifecycle`) and the durable journal that lets a
//! restarted service resume each CE where it stopped (`journal`).

pub mod journal;
pub mod lifecycle;
