//! Contracts with Frigate NVR: its MQTT messages (`mqtt`) and its HTTP API
//! for clips and snapshots (`http`).

pub mod http;
pub mod mqtt;
