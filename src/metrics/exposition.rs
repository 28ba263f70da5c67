//! Prometheus text exposition (format 0.0.4) of the service and pipeline metrics.
//!
//! Owns metric names (all prefixed `frigate_buffer_`), help texts, types and
//! the text format itself: label escaping, number formatting, histogram
//! series. It only reads [`ServiceMetrics`] and [`PipelineTelemetry`]; it never
//! changes them and never serves HTTP.

use super::histogram::HistogramSnapshot;
use super::registry::{LabelSet, LabelledValues, ServiceMetrics};
use crate::flow::owner_board::OwnerSnapshot;
use crate::flow::telemetry::PipelineTelemetry;
use std::fmt::{self, Display, Write as _};

/// Prefix of every metric name.
const PREFIX: &str = "frigate_buffer_";

/// The Prometheus metric types used here.
#[derive(Debug, Clone, Copy)]
enum MetricType {
    /// Only ever goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Cumulative buckets with a sum and a count.
    Histogram,
}

impl MetricType {
    /// The word on the `# TYPE` line.
    fn keyword(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// Name, help and type of one metric family.
#[derive(Debug, Clone, Copy)]
struct Family {
    /// Name without [`PREFIX`].
    name: &'static str,
    /// Text of the `# HELP` line.
    help: &'static str,
    /// Text of the `# TYPE` line.
    metric_type: MetricType,
}

/// A sample value: counts are written exactly, measurements as floats.
#[derive(Debug, Clone, Copy)]
enum Value {
    /// An integer count or byte size.
    Count(u64),
    /// A measured or derived quantity.
    Real(f64),
}

impl Display for Value {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Count(count) => write!(formatter, "{count}"),
            Self::Real(real) if real.is_nan() => formatter.write_str("NaN"),
            Self::Real(real) if real == f64::INFINITY => formatter.write_str("+Inf"),
            Self::Real(real) if real == f64::NEG_INFINITY => formatter.write_str("-Inf"),
            Self::Real(real) => write!(formatter, "{real}"),
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The exposition text being built.
#[derive(Default)]
struct Exposition {
    /// Lines written so far.
    text: String,
}

impl Exposition {
    /// Writes the `# HELP` and `# TYPE` lines of `family`.
    fn header(&mut self, family: Family) {
        let Family {
            name,
            help,
            metric_type,
        } = family;
        // Writing to a String cannot fail.
        let _ = writeln!(self.text, "# HELP {PREFIX}{name} {help}");
        let _ = writeln!(self.text, "# TYPE {PREFIX}{name} {}", metric_type.keyword());
    }

    /// Writes one sample line; `suffix` is `_bucket`, `_sum`, `_count` or empty.
    fn sample(&mut self, family: Family, suffix: &str, labels: &[(&str, &str)], value: Value) {
        let _ = write!(self.text, "{PREFIX}{}{suffix}", family.name);
        if !labels.is_empty() {
            let rendered: Vec<String> = labels
                .iter()
                .map(|(name, value)| format!("{name}=\"{}\"", escape_label_value(value)))
                .collect();
            let _ = write!(self.text, "{{{}}}", rendered.join(","));
        }
        let _ = writeln!(self.text, " {value}");
    }

    /// Writes a family with one unlabelled sample.
    fn single(&mut self, family: Family, value: Value) {
        self.header(family);
        self.sample(family, "", &[], value);
    }

    /// Writes a family with one sample per `(label value, value)`; writes
    /// nothing when there are none, so optional families stay absent.
    fn labelled<'a>(&mut self, family: Family, label_name: &str, series: impl IntoIterator<Item = (&'a str, Value)>) {
        let series: Vec<_> = series.into_iter().collect();
        if series.is_empty() {
            return;
        }
        self.header(family);
        for (label_value, value) in series {
            self.sample(family, "", &[(label_name, label_value)], value);
        }
    }

    /// Writes a family over every label of a [`LabelSet`].
    fn label_set<L: LabelSet>(&mut self, family: Family, label_name: &str, values: &LabelledValues<L>) {
        self.labelled(
            family,
            label_name,
            values.iter().map(|(label, count)| (label, Value::Count(count))),
        );
    }

    /// Writes a histogram family: cumulative buckets, `+Inf`, sum and count.
    fn histogram(&mut self, family: Family, snapshot: &HistogramSnapshot) {
        self.header(family);
        for (upper_bound, cumulative) in &snapshot.cumulative_buckets {
            let bound = Value::Real(*upper_bound).to_string();
            self.sample(family, "_bucket", &[("le", &bound)], Value::Count(*cumulative));
        }
        self.sample(family, "_bucket", &[("le", "+Inf")], Value::Count(snapshot.count));
        self.sample(family, "_sum", &[], Value::Real(snapshot.sum_seconds));
        self.sample(family, "_count", &[], Value::Count(snapshot.count));
    }
}

/// Groups `(name, item)` pairs by name, in order of first appearance, so
/// several threads of one stage (accelerator owners) form one series.
fn group_by_name<T>(pairs: impl IntoIterator<Item = (&'static str, T)>) -> Vec<(&'static str, Vec<T>)> {
    let mut groups: Vec<(&'static str, Vec<T>)> = Vec::new();
    for (name, item) in pairs {
        match groups.iter_mut().find(|(existing, _)| *existing == name) {
            Some((_, members)) => members.push(item),
            None => groups.push((name, vec![item])),
        }
    }
    groups
}

/// Renders every metric in the Prometheus text format 0.0.4.
///
/// Stages that run several threads under one name are summed (items, errors,
/// busy seconds) and their busy fractions averaged; queues sharing a name are
/// summed. Frames per second is `frames_total / uptime_seconds` (0 before any
/// uptime).
pub fn render(metrics: &ServiceMetrics, telemetry: &PipelineTelemetry, uptime_seconds: f64) -> String {
    let mut out = Exposition::default();
    render_service(&mut out, metrics, uptime_seconds);
    render_stages(&mut out, telemetry);
    render_queues(&mut out, telemetry);
    render_gpu_memory(&mut out, telemetry);
    render_owners(&mut out, telemetry);
    out.text
}

/// Writes the service-level families.
fn render_service(out: &mut Exposition, metrics: &ServiceMetrics, uptime_seconds: f64) {
    out.single(
        Family {
            name: "uptime_seconds",
            help: "Seconds since the service started.",
            metric_type: MetricType::Gauge,
        },
        Value::Real(uptime_seconds),
    );
    out.single(
        Family {
            name: "mqtt_messages_total",
            help: "MQTT messages received.",
            metric_type: MetricType::Counter,
        },
        Value::Count(metrics.mqtt_messages()),
    );
    out.label_set(
        Family {
            name: "mqtt_malformed_total",
            help: "MQTT messages that could not be parsed, by topic.",
            metric_type: MetricType::Counter,
        },
        "topic",
        metrics.mqtt_malformed(),
    );
    out.label_set(
        Family {
            name: "errors_total",
            help: "Failures by kind of work.",
            metric_type: MetricType::Counter,
        },
        "kind",
        metrics.errors(),
    );
    out.label_set(
        Family {
            name: "ces_total",
            help: "Consolidated events by final state.",
            metric_type: MetricType::Counter,
        },
        "state",
        metrics.ces(),
    );
    out.label_set(
        Family {
            name: "ces_in_flight",
            help: "Consolidated events in flight, by stage.",
            metric_type: MetricType::Gauge,
        },
        "stage",
        metrics.ces_in_flight(),
    );
    out.histogram(
        Family {
            name: "ce_close_to_summary_seconds",
            help: "Seconds from a consolidated event's close to its summary video.",
            metric_type: MetricType::Histogram,
        },
        &metrics.ce_close_to_summary().snapshot(),
    );
    out.label_set(
        Family {
            name: "frames_total",
            help: "Frames through each pipeline step.",
            metric_type: MetricType::Counter,
        },
        "stage",
        metrics.frames(),
    );
    out.label_set(
        Family {
            name: "summaries_encoded_total",
            help: "Summary videos written, by encoder.",
            metric_type: MetricType::Counter,
        },
        "encoder",
        metrics.summaries_encoded(),
    );
    let frames_per_second = |frames: u64| {
        if uptime_seconds > 0.0 {
            frames as f64 / uptime_seconds
        } else {
            0.0
        }
    };
    out.labelled(
        Family {
            name: "frames_per_second",
            help: "Frames per second through each pipeline step since start-up.",
            metric_type: MetricType::Gauge,
        },
        "stage",
        metrics
            .frames()
            .iter()
            .map(|(stage, frames)| (stage, Value::Real(frames_per_second(frames)))),
    );
    out.single(
        Family {
            name: "storage_bytes",
            help: "Bytes under the storage folder.",
            metric_type: MetricType::Gauge,
        },
        Value::Count(metrics.storage_bytes()),
    );
}

/// Writes the memory in use on each GPU an accelerator owner reported.
fn render_gpu_memory(out: &mut Exposition, telemetry: &PipelineTelemetry) {
    let mut devices: Vec<(String, u64)> = telemetry
        .stages
        .iter()
        .filter_map(|counters| counters.device_memory())
        .map(|memory| (memory.ordinal.to_string(), memory.used_bytes))
        .collect();
    devices.sort();
    devices.dedup_by(|a, b| a.0 == b.0);
    out.labelled(
        Family {
            name: "gpu_memory_bytes",
            help: "GPU memory in use, by device.",
            metric_type: MetricType::Gauge,
        },
        "device",
        devices
            .iter()
            .map(|(device, bytes)| (device.as_str(), Value::Count(*bytes))),
    );
}

/// Writes each accelerator owner's line of the board: queued frames, rotation, faults.
fn render_owners(out: &mut Exposition, telemetry: &PipelineTelemetry) {
    let Some(board) = &telemetry.owners else {
        return;
    };
    let owners = board.snapshot();
    let labels: Vec<String> = owners.iter().map(|line| line.owner.to_string()).collect();
    let mut family = |name, help, metric_type, value: fn(&OwnerSnapshot) -> u64| {
        out.labelled(
            Family {
                name,
                help,
                metric_type,
            },
            "owner",
            labels
                .iter()
                .zip(&owners)
                .map(|(label, line)| (label.as_str(), Value::Count(value(line)))),
        );
    };
    family(
        "accelerator_owner_queued_frames",
        "Frames of the jobs queued on each accelerator owner (GPU) or in its hands.",
        MetricType::Gauge,
        |line| line.queued_frames,
    );
    family(
        "accelerator_owner_queued_jobs",
        "Jobs queued on each accelerator owner or in its hands.",
        MetricType::Gauge,
        |line| line.queued_jobs,
    );
    family(
        "accelerator_owner_in_rotation",
        "1 while the accelerator owner gets new jobs, 0 while it is out after a device fault.",
        MetricType::Gauge,
        |line| u64::from(line.in_rotation),
    );
    family(
        "accelerator_owner_faults_total",
        "Device faults that took each accelerator owner out of rotation.",
        MetricType::Counter,
        |line| line.faults,
    );
    family(
        "accelerator_owner_recoveries_total",
        "Probes that brought each accelerator owner back into rotation.",
        MetricType::Counter,
        |line| line.recoveries,
    );
}

/// Writes the per-stage families from the pipeline telemetry.
fn render_stages(out: &mut Exposition, telemetry: &PipelineTelemetry) {
    let stages = group_by_name(telemetry.stages.iter().map(|counters| {
        let snapshot = counters.snapshot();
        (snapshot.name, snapshot)
    }));
    let total = |field: fn(&_) -> u64| {
        stages.iter().map(move |(name, snapshots)| {
            let sum: u64 = snapshots.iter().map(field).sum();
            (*name, Value::Count(sum))
        })
    };
    out.labelled(
        Family {
            name: "stage_items_total",
            help: "Messages handled by each pipeline stage.",
            metric_type: MetricType::Counter,
        },
        "stage",
        total(|snapshot| snapshot.items),
    );
    out.labelled(
        Family {
            name: "stage_errors_total",
            help: "Messages whose handling failed, by pipeline stage.",
            metric_type: MetricType::Counter,
        },
        "stage",
        total(|snapshot| snapshot.errors),
    );
    out.labelled(
        Family {
            name: "stage_fallbacks_total",
            help: "Jobs a stage's device (GPU) failed and its CPU fallback ran, by pipeline stage.",
            metric_type: MetricType::Counter,
        },
        "stage",
        total(|snapshot| snapshot.fallbacks),
    );
    out.labelled(
        Family {
            name: "stage_busy_seconds_total",
            help: "Seconds each pipeline stage spent handling messages.",
            metric_type: MetricType::Counter,
        },
        "stage",
        stages.iter().map(|(name, snapshots)| {
            let busy: f64 = snapshots.iter().map(|snapshot| snapshot.busy_seconds).sum();
            (*name, Value::Real(busy))
        }),
    );
    out.labelled(
        Family {
            name: "stage_busy_fraction",
            help: "Busy time over wall time of each pipeline stage, averaged over its threads.",
            metric_type: MetricType::Gauge,
        },
        "stage",
        stages.iter().map(|(name, snapshots)| {
            let sum: f64 = snapshots.iter().map(|snapshot| snapshot.busy_fraction).sum();
            (*name, Value::Real(sum / snapshots.len() as f64))
        }),
    );
}

/// Writes the queue depth and capacity families.
fn render_queues(out: &mut Exposition, telemetry: &PipelineTelemetry) {
    let queues = group_by_name(telemetry.queues.iter().map(|gauge| (gauge.name, gauge)));
    out.labelled(
        Family {
            name: "queue_depth",
            help: "Messages waiting in each bounded channel.",
            metric_type: MetricType::Gauge,
        },
        "queue",
        queues.iter().map(|(name, gauges)| {
            let depth: usize = gauges.iter().map(|gauge| gauge.depth()).sum();
            (*name, Value::Count(depth as u64))
        }),
    );
    out.labelled(
        Family {
            name: "queue_capacity",
            help: "Capacity of each bounded channel.",
            metric_type: MetricType::Gauge,
        },
        "queue",
        queues.iter().map(|(name, gauges)| {
            let capacity: usize = gauges.iter().map(|gauge| gauge.capacity).sum();
            (*name, Value::Count(capacity as u64))
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::owner_board::{OwnerBoard, ProbeBackoff};
    use crate::flow::telemetry::{DeviceMemory, QueueGauge, StageCounters};
    use crate::metrics::registry::{CeFinalState, CeStage, ErrorKind, FrameStage, SummaryEncoder};
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// One parsed sample line.
    #[derive(Debug)]
    struct ParsedSample {
        name: String,
        labels: Vec<(String, String)>,
        value: f64,
    }

    /// Parses `name{label="value",...} number`, undoing label escapes.
    fn parse_sample(line: &str) -> ParsedSample {
        let name_end = line.find(['{', ' ']).expect("sample has a value");
        let name = line[..name_end].to_string();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line:?}"
        );
        let mut chars = line[name_end..].chars().peekable();
        let mut labels = Vec::new();
        if chars.next_if_eq(&'{').is_some() {
            while chars.next_if_eq(&'}').is_none() {
                let label_name: String = chars.by_ref().take_while(|c| *c != '=').collect();
                assert_eq!(chars.next(), Some('"'), "label value not quoted in {line:?}");
                let mut value = String::new();
                loop {
                    match chars.next().expect("unterminated label value") {
                        '"' => break,
                        '\\' => match chars.next().expect("dangling escape") {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => panic!("bad escape \\{other} in {line:?}"),
                        },
                        other => value.push(other),
                    }
                }
                labels.push((label_name, value));
                chars.next_if_eq(&',');
            }
        }
        let rest: String = chars.collect();
        let value_text = rest.strip_prefix(' ').expect("one space before the value");
        let value = match value_text {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        ParsedSample { name, labels, value }
    }

    /// Checks the whole exposition and returns its samples by
    /// `name{labels}` key. Panics on any violation of the format.
    fn check_exposition(text: &str) -> BTreeMap<String, f64> {
        assert!(text.ends_with('\n'));
        let mut helps: HashMap<String, usize> = HashMap::new();
        let mut types: HashMap<String, String> = HashMap::new();
        let mut type_counts: HashMap<String, usize> = HashMap::new();
        let mut samples = BTreeMap::new();
        let mut sampled_families: HashSet<String> = HashSet::new();
        let mut histogram_buckets: HashMap<String, Vec<(String, f64)>> = HashMap::new();
        let mut histogram_counts: HashMap<String, f64> = HashMap::new();
        for line in text.lines() {
            if let Some(help) = line.strip_prefix("# HELP ") {
                let (name, text) = help.split_once(' ').expect("help has text");
                assert!(!text.is_empty());
                *helps.entry(name.to_string()).or_default() += 1;
                continue;
            }
            if let Some(declaration) = line.strip_prefix("# TYPE ") {
                let (name, kind) = declaration.split_once(' ').expect("type has kind");
                assert!(["counter", "gauge", "histogram"].contains(&kind));
                assert!(!sampled_families.contains(name), "TYPE after samples of {name}");
                types.insert(name.to_string(), kind.to_string());
                *type_counts.entry(name.to_string()).or_default() += 1;
                continue;
            }
            assert!(!line.starts_with('#'), "stray comment {line:?}");
            let sample = parse_sample(line);
            assert!(sample.name.starts_with(PREFIX), "{line:?}");
            let family = if types.contains_key(&sample.name) {
                sample.name.clone()
            } else {
                let base = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| sample.name.strip_suffix(suffix))
                    .unwrap_or_else(|| panic!("no TYPE before {line:?}"));
                assert_eq!(types.get(base).map(String::as_str), Some("histogram"));
                base.to_string()
            };
            assert!(helps.contains_key(&family), "no HELP for {family}");
            sampled_families.insert(family.clone());
            if sample.name.ends_with("_bucket") {
                let (_, le) = sample.labels.iter().find(|(n, _)| n == "le").expect("le");
                histogram_buckets
                    .entry(family.clone())
                    .or_default()
                    .push((le.clone(), sample.value));
            }
            if sample.name.ends_with("_count") {
                histogram_counts.insert(family.clone(), sample.value);
            }
            let labels: Vec<String> = sample.labels.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
            let key = format!("{}{{{}}}", sample.name, labels.join(","));
            assert!(samples.insert(key, sample.value).is_none(), "duplicate {line:?}");
        }
        assert!(helps.values().all(|count| *count == 1), "HELP twice");
        assert!(type_counts.values().all(|count| *count == 1), "TYPE twice");
        let helped: HashSet<_> = helps.keys().collect();
        let typed: HashSet<_> = types.keys().collect();
        assert_eq!(helped, typed);
        for (family, buckets) in &histogram_buckets {
            assert!(buckets.windows(2).all(|pair| pair[0].1 <= pair[1].1), "not cumulative");
            let (last_le, last_value) = buckets.last().expect("buckets");
            assert_eq!(last_le, "+Inf");
            assert_eq!(Some(last_value), histogram_counts.get(family));
        }
        samples
    }

    #[test]
    #[should_panic(expected = "HELP twice")]
    fn checker_rejects_a_repeated_help_line() {
        check_exposition(
            "# HELP frigate_buffer_x a\n# HELP frigate_buffer_x a\n# TYPE frigate_buffer_x gauge\nfrigate_buffer_x 1\n",
        );
    }

    #[test]
    #[should_panic(expected = "not cumulative")]
    fn checker_rejects_decreasing_buckets() {
        check_exposition(concat!(
            "# HELP frigate_buffer_h h\n# TYPE frigate_buffer_h histogram\n",
            "frigate_buffer_h_bucket{le=\"1\"} 2\nfrigate_buffer_h_bucket{le=\"+Inf\"} 1\n",
            "frigate_buffer_h_sum 1\nfrigate_buffer_h_count 1\n",
        ));
    }

    #[test]
    #[should_panic(expected = "no TYPE")]
    fn checker_rejects_a_sample_without_type() {
        check_exposition("frigate_buffer_x 1\n");
    }

    fn sample_metrics() -> ServiceMetrics {
        let metrics = ServiceMetrics::new();
        for _ in 0..3 {
            metrics.record_mqtt_message();
        }
        metrics.record_error(ErrorKind::Fetch);
        metrics.record_error(ErrorKind::Fetch);
        metrics.record_ce_final_state(CeFinalState::Finished);
        metrics.enter_ce_stage(CeStage::Processing);
        metrics.add_frames(FrameStage::Decode, 300);
        metrics.set_storage_bytes(123_456);
        metrics.set_summary_encoder(SummaryEncoder::H264Nvenc);
        metrics.record_summary_encoded();
        for seconds in [4, 12, 45, 700] {
            metrics.observe_ce_close_to_summary(Duration::from_secs(seconds));
        }
        metrics
    }

    #[test]
    fn service_metrics_render_as_valid_exposition() {
        let samples = check_exposition(&render(&sample_metrics(), &PipelineTelemetry::default(), 60.0));
        let value = |key: &str| *samples.get(key).unwrap_or_else(|| panic!("missing {key}"));
        assert_eq!(value("frigate_buffer_mqtt_messages_total{}"), 3.0);
        assert_eq!(value("frigate_buffer_errors_total{kind=\"fetch\"}"), 2.0);
        assert_eq!(value("frigate_buffer_errors_total{kind=\"notify\"}"), 0.0);
        assert_eq!(value("frigate_buffer_ces_total{state=\"finished\"}"), 1.0);
        assert_eq!(value("frigate_buffer_ces_in_flight{stage=\"processing\"}"), 1.0);
        assert_eq!(value("frigate_buffer_frames_per_second{stage=\"decode\"}"), 5.0);
        assert_eq!(value("frigate_buffer_storage_bytes{}"), 123_456.0);
        assert_eq!(
            value("frigate_buffer_summaries_encoded_total{encoder=\"h264_nvenc\"}"),
            1.0
        );
        assert_eq!(
            value("frigate_buffer_summaries_encoded_total{encoder=\"libx264\"}"),
            0.0
        );
        let bucket = |le: &str| {
            value(&format!(
                "frigate_buffer_ce_close_to_summary_seconds_bucket{{le={le:?}}}"
            ))
        };
        assert_eq!(bucket("5"), 1.0);
        assert_eq!(bucket("20"), 2.0);
        assert_eq!(bucket("60"), 3.0);
        assert_eq!(bucket("600"), 3.0);
        assert_eq!(bucket("+Inf"), 4.0);
        assert_eq!(value("frigate_buffer_ce_close_to_summary_seconds_sum{}"), 761.0);
        assert_eq!(value("frigate_buffer_ce_close_to_summary_seconds_count{}"), 4.0);
    }

    #[test]
    fn stages_sharing_a_name_are_summed_and_queues_reported() {
        let first_owner = StageCounters::new("accelerator");
        let second_owner = StageCounters::new("accelerator");
        let writer = StageCounters::new("writer");
        first_owner.record(Duration::from_secs(10_000), true);
        first_owner.record(Duration::from_secs(2), false);
        second_owner.record(Duration::ZERO, true);
        writer.record(Duration::from_millis(500), true);
        let (sender, receiver) = crossbeam_channel::bounded::<u8>(4);
        sender.send(1).expect("queue open");
        sender.send(2).expect("queue open");
        let telemetry = PipelineTelemetry {
            stages: vec![first_owner, writer, second_owner],
            queues: vec![Arc::new(QueueGauge::new("probe", 4, receiver))],
            owners: None,
        };
        let text = render(&ServiceMetrics::new(), &telemetry, 0.0);
        let samples = check_exposition(&text);
        let value = |key: &str| *samples.get(key).unwrap_or_else(|| panic!("missing {key}"));
        assert_eq!(value("frigate_buffer_stage_items_total{stage=\"accelerator\"}"), 3.0);
        assert_eq!(value("frigate_buffer_stage_errors_total{stage=\"accelerator\"}"), 1.0);
        assert_eq!(
            value("frigate_buffer_stage_busy_seconds_total{stage=\"accelerator\"}"),
            10_002.0
        );
        assert_eq!(value("frigate_buffer_stage_busy_fraction{stage=\"accelerator\"}"), 0.5);
        assert_eq!(value("frigate_buffer_stage_busy_seconds_total{stage=\"writer\"}"), 0.5);
        assert_eq!(value("frigate_buffer_queue_depth{queue=\"probe\"}"), 2.0);
        assert_eq!(value("frigate_buffer_queue_capacity{queue=\"probe\"}"), 4.0);
        assert_eq!(value("frigate_buffer_frames_per_second{stage=\"decode\"}"), 0.0);
        assert!(!text.contains("gpu_memory_bytes"));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        let family = Family {
            name: "example",
            help: "An example.",
            metric_type: MetricType::Gauge,
        };
        out.labelled(family, "device", [("a\"b\\c\nd", Value::Count(0))]);
        assert!(out
            .text
            .contains("frigate_buffer_example{device=\"a\\\"b\\\\c\\nd\"} 0\n"));
        let samples = check_exposition(&out.text);
        assert!(samples.contains_key(&format!("frigate_buffer_example{{device={:?}}}", "a\"b\\c\nd")));
    }

    #[test]
    fn gpu_memory_is_reported_once_per_device_by_its_owners() {
        let first_owner = StageCounters::new("accelerator");
        let second_owner = StageCounters::new("accelerator");
        let cpu_stage = StageCounters::new("writer");
        first_owner.set_device_memory(DeviceMemory {
            ordinal: 1,
            used_bytes: 4096,
        });
        second_owner.set_device_memory(DeviceMemory {
            ordinal: 0,
            used_bytes: 2048,
        });
        let telemetry = PipelineTelemetry {
            stages: vec![first_owner, cpu_stage, second_owner],
            queues: Vec::new(),
            owners: None,
        };
        let samples = check_exposition(&render(&ServiceMetrics::new(), &telemetry, 1.0));
        assert_eq!(samples["frigate_buffer_gpu_memory_bytes{device=\"0\"}"], 2048.0);
        assert_eq!(samples["frigate_buffer_gpu_memory_bytes{device=\"1\"}"], 4096.0);
        assert_eq!(samples.keys().filter(|key| key.contains("gpu_memory")).count(), 2);
    }

    #[test]
    fn each_owner_shows_its_queued_frames_rotation_faults_and_recoveries() {
        let board = Arc::new(OwnerBoard::new(2, ProbeBackoff::default()));
        board.queued(0, 900);
        board.queued(1, 250);
        board.queued(1, 250);
        board.take_out(1, Instant::now());
        let telemetry = PipelineTelemetry {
            owners: Some(board.clone()),
            ..PipelineTelemetry::default()
        };
        let samples = check_exposition(&render(&ServiceMetrics::new(), &telemetry, 1.0));
        let value = |key: &str| *samples.get(key).unwrap_or_else(|| panic!("missing {key}"));
        assert_eq!(
            value("frigate_buffer_accelerator_owner_queued_frames{owner=\"0\"}"),
            900.0
        );
        assert_eq!(
            value("frigate_buffer_accelerator_owner_queued_frames{owner=\"1\"}"),
            500.0
        );
        assert_eq!(value("frigate_buffer_accelerator_owner_queued_jobs{owner=\"1\"}"), 2.0);
        assert_eq!(value("frigate_buffer_accelerator_owner_in_rotation{owner=\"0\"}"), 1.0);
        assert_eq!(value("frigate_buffer_accelerator_owner_in_rotation{owner=\"1\"}"), 0.0);
        assert_eq!(value("frigate_buffer_accelerator_owner_faults_total{owner=\"1\"}"), 1.0);
        assert_eq!(
            value("frigate_buffer_accelerator_owner_recoveries_total{owner=\"1\"}"),
            0.0
        );
        board.probe_succeeded(1);
        let samples = check_exposition(&render(&ServiceMetrics::new(), &telemetry, 1.0));
        assert_eq!(
            samples["frigate_buffer_accelerator_owner_in_rotation{owner=\"1\"}"],
            1.0
        );
        assert_eq!(
            samples["frigate_buffer_accelerator_owner_recoveries_total{owner=\"1\"}"],
            1.0
        );
    }

    #[test]
    fn pipeline_families_are_absent_without_telemetry() {
        let text = render(&ServiceMetrics::new(), &PipelineTelemetry::default(), 1.0);
        assert!(!text.contains("stage_items_total"));
        assert!(!text.contains("queue_depth"));
    }

    #[test]
    fn special_floats_use_prometheus_spelling() {
        assert_eq!(Value::Real(f64::INFINITY).to_string(), "+Inf");
        assert_eq!(Value::Real(f64::NEG_INFINITY).to_string(), "-Inf");
        assert_eq!(Value::Real(f64::NAN).to_string(), "NaN");
        assert_eq!(Value::Real(0.25).to_string(), "0.25");
        assert_eq!(Value::Real(5.0).to_string(), "5");
    }
}
