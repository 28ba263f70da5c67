//! The attack run, scripted: hostile or unlucky input against the release binary with a real
//! Mosquitto, a stand-in Frigate and real clips. One module per attack surface; each test here
//! failed before the fix it covers.

#[path = "../common/mod.rs"]
mod common;
mod fetch;
mod ffmpeg;
mod http;
mod lifecycle;
mod names;
mod notify;
mod owner_faults;
mod player;
mod quick_title;
mod stats_pages;
