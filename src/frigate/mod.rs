//! Contracts with Frigate NVR: its MQTT messages (`mqtt`), its HTTP API
//! for clips and snapshots (`http`), and the camera names both use (`camera_name`).

mod camera_name;
pub mod http;
pub mod mqtt;

pub use camera_name::{CameraName, CameraNameError};
