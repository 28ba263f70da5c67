//! Backpressure, measured exactly: with the last stage stalled, the first
//! producer blocks after precisely the shipped preset's channel capacities
//! plus one message in flight in each stage, and once the stall ends every
//! message arrives, in order, none dropped.
//!
//! The chain is built from the stage runner every pipeline stage uses, with
//! the capacities of `pipelines/cpu.yaml` between accelerator → writer →
//! encoder, the path of every summary frame.

use crossbeam_channel::{bounded, Receiver, Sender};
use frigate_buffer::config::PipelinePreset;
use frigate_buffer::flow::telemetry::StageCounters;
use frigate_buffer::pipeline::stage::{spawn_stage, Stage};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A stage that hands each message to the next channel, blocking while it is full.
struct Relay {
    next: Sender<u64>,
}

impl Stage for Relay {
    type Input = u64;

    fn handle(&mut self, message: u64) -> bool {
        self.next.send(message).is_ok()
    }
}

/// The last stage: waits for the gate to open before each message.
struct StalledSink {
    gate: Receiver<()>,
    received: Sender<u64>,
}

impl Stage for StalledSink {
    type Input = u64;

    fn handle(&mut self, message: u64) -> bool {
        // Blocks until the gate's sender is dropped.
        let _ = self.gate.recv();
        self.received.send(message).is_ok()
    }
}

/// Waits until `count` has not moved for `quiet`.
fn settled(count: &AtomicUsize, quiet: Duration) -> usize {
    let mut last = count.load(Ordering::SeqCst);
    let mut since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let now = count.load(Ordering::SeqCst);
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= quiet {
            return now;
        }
    }
}

#[test]
fn a_stalled_encoder_blocks_the_producer_after_exactly_the_capacities_and_loses_nothing() {
    let preset = PipelinePreset::resolve("cpu", Path::new("<test>")).unwrap();
    let channels = preset.channels;
    let (to_accelerator, accelerator_in) = bounded::<u64>(channels.accelerator);
    let (to_writer, writer_in) = bounded::<u64>(channels.writer);
    let (to_encoder, encoder_in) = bounded::<u64>(channels.encoder);
    let (gate_open, gate) = bounded::<()>(0);
    let (received_tx, received) = crossbeam_channel::unbounded();

    let stages = [
        spawn_stage(StageCounters::new("accelerator"), accelerator_in, move || {
            Ok(Relay { next: to_writer })
        })
        .unwrap(),
        spawn_stage(StageCounters::new("writer"), writer_in, move || {
            Ok(Relay { next: to_encoder })
        })
        .unwrap(),
        spawn_stage(StageCounters::new("encoder"), encoder_in, move || {
            Ok(StalledSink {
                gate,
                received: received_tx,
            })
        })
        .unwrap(),
    ];

    let total: u64 = 500;
    let accepted = Arc::new(AtomicUsize::new(0));
    let producer_count = accepted.clone();
    let producer = std::thread::spawn(move || {
        for message in 0..total {
            to_accelerator.send(message).unwrap();
            producer_count.fetch_add(1, Ordering::SeqCst);
        }
    });

    let in_flight = stages.len();
    let expected = channels.accelerator + channels.writer + channels.encoder + in_flight;
    assert_eq!(
        settled(&accepted, Duration::from_millis(500)),
        expected,
        "capacities {} + {} + {} plus one message held by each of {in_flight} stages",
        channels.accelerator,
        channels.writer,
        channels.encoder
    );
    assert!(received.is_empty(), "the stalled stage delivered nothing");

    drop(gate_open);
    producer.join().unwrap();
    stages.into_iter().for_each(|stage| stage.join());
    let delivered: Vec<u64> = received.try_iter().collect();
    assert_eq!(delivered, (0..total).collect::<Vec<_>>(), "every message, in order");
}
