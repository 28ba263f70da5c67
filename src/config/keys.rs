//! Which keys the configuration file may hold, and the nearest known key to a
//! misspelt one.
//!
//! Owns the list of this product's key paths (kept equal to the keys that
//! `config.example.yaml` documents, which a test checks) and the walk that
//! finds keys outside it. It reads the parsed file and changes nothing; the
//! previous service's keys come from `config::previous`.

use serde_json::Value;

/// Every key path of this product's configuration. `[]` stands for any entry of a list.
pub const PRODUCT_KEYS: &[&str] = &[
    "pipeline",
    "network.storage_path",
    "network.mqtt_broker",
    "network.mqtt_port",
    "network.mqtt_user",
    "network.mqtt_password",
    "network.mqtt_client_id",
    "network.mqtt_topic_prefix",
    "network.mqtt_tls.ca_file",
    "network.mqtt_tls.cert_file",
    "network.mqtt_tls.key_file",
    "network.mqtt_tls.insecure",
    "network.frigate_url",
    "network.api_host",
    "network.api_port",
    "network.api_token",
    "network.public_url",
    "settings.event_gap_seconds",
    "settings.minimum_event_seconds",
    "settings.max_event_length_seconds",
    "settings.retention_days",
    "settings.export_buffer_before",
    "settings.export_buffer_after",
    "settings.export_timeout_seconds",
    "settings.clip_fetch_timeout_seconds",
    "settings.max_clip_mb",
    "settings.fetch_stall_seconds",
    "settings.fetch_workers",
    "settings.timestamp_overlay",
    "settings.ai_mode",
    "settings.log_level",
    "settings.stats_refresh_seconds",
    "settings.daily_report_schedule_hour",
    "settings.daily_report_retention_days",
    "settings.report_prompt_file",
    "settings.report_known_person_name",
    "multi_cam.detection_frame_interval",
    "multi_cam.camera_timeline_ema_alpha",
    "multi_cam.camera_timeline_primary_bias_multiplier",
    "multi_cam.camera_switch_hysteresis_margin",
    "multi_cam.camera_switch_min_segment_frames",
    "multi_cam.tracking_target_frame_percent",
    "multi_cam.compilation_zoom_smooth_ema_alpha",
    "multi_cam.max_multi_cam_frames_min",
    "multi_cam.crop_width",
    "multi_cam.crop_height",
    "multi_cam.output_width",
    "multi_cam.output_height",
    "detection.model",
    "detection.names",
    "detection.model_sha256",
    "detection.labels",
    "detection.confidence_threshold",
    "detection.iou_threshold",
    "detection.motion_background_alpha",
    "detection.onnxruntime_library",
    "cameras[].name",
    "cameras[].labels",
    "cameras[].event_filters.tracked_zones",
    "cameras[].event_filters.exceptions",
    "event_filters.tracked_zones",
    "event_filters.exceptions",
    "notifications.home_assistant.enabled",
    "notifications.home_assistant.topic",
    "notifications.pushover.enabled",
    "notifications.pushover.pushover_user_key",
    "notifications.pushover.pushover_api_token",
    "notifications.pushover.device",
    "notifications.pushover.default_sound",
    "notifications.pushover.html",
    "notifications.pushover.api_url",
    "ai.enabled",
    "ai.base_url",
    "ai.api_key",
    "ai.model",
    "ai.frames_per_hour_cap",
    "ai.quick_title_enabled",
    "ai.quick_title_delay_seconds",
    "cluster.enabled",
    "cluster.topic",
    "cluster.group",
    "cluster.worker_id",
    "cluster.claim_timeout_seconds",
    "cluster.job_timeout_seconds",
];

/// A key of the file that no schema knows, with the known key nearest to it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownKey {
    /// Where it is, e.g. `settings.retention_dayz` or `cameras[1].lables`.
    pub key: String,
    /// The nearest known key path, when one is near enough to be a likely misspelling.
    pub nearest: Option<String>,
}

/// The keys of `tree` that are neither in `known` nor a section of a key in it, in file order
/// (sections sorted by name).
pub fn unknown_keys(tree: &Value, known: &[&str]) -> Vec<UnknownKey> {
    let mut found = Vec::new();
    if let Value::Object(map) = tree {
        walk(map, "", "", known, &mut found);
    }
    found
}

/// Visits the entries of `map`, whose path is `shown` (with list indexes) and `pattern`
/// (with `[]` for them).
fn walk(map: &serde_json::Map<String, Value>, shown: &str, pattern: &str, known: &[&str], found: &mut Vec<UnknownKey>) {
    for (name, value) in map {
        let shown = join(shown, name);
        let pattern = join(pattern, name);
        if known.contains(&pattern.as_str()) {
            continue;
        }
        let is_section = known.iter().any(|key| key.starts_with(&format!("{pattern}.")));
        let is_list = known.iter().any(|key| key.starts_with(&format!("{pattern}[].")));
        match value {
            Value::Object(inner) if is_section => walk(inner, &shown, &pattern, known, found),
            Value::Array(entries) if is_list => {
                for (index, entry) in entries.iter().enumerate() {
                    if let Value::Object(inner) = entry {
                        walk(
                            inner,
                            &format!("{shown}[{index}]"),
                            &format!("{pattern}[]"),
                            known,
                            found,
                        );
                    }
                }
            }
            // A known section left empty, or of the wrong kind: the typed parse reports the latter.
            _ if is_section || is_list => {}
            _ => found.push(UnknownKey {
                nearest: nearest(&pattern, known),
                key: shown,
            }),
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The known key or section nearest to `key` by edit distance, if it is close enough to be a
/// misspelling (at most a quarter of the key's length, and at least 2 edits allowed).
pub fn nearest(key: &str, known: &[&str]) -> Option<String> {
    let limit = (key.chars().count() / 4).max(2);
    let sections = known.iter().flat_map(|path| {
        path.match_indices('.')
            .map(|(end, _)| path[..end].trim_end_matches("[]"))
    });
    known
        .iter()
        .copied()
        .chain(sections)
        .map(|candidate| (edit_distance(key, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_string())
}

/// Levenshtein distance between `a` and `b`, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (name, inner) in map {
                    leaf_paths(inner, &join(prefix, name), out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("retention_dayz", "retention_days"), 1);
        assert_eq!(edit_distance("lables", "labels"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn a_misspelt_key_is_walked_to_and_its_nearest_key_named() {
        let tree: Value = serde_json::json!({
            "settings": {"retention_dayz": 3, "event_gap_seconds": 5},
            "cameras": [{"name": "a"}, {"name": "b", "lables": ["person"]}],
            "network": {"mqtt_tls": null},
            "totally_unrelated": 1
        });
        let found = unknown_keys(&tree, PRODUCT_KEYS);
        assert_eq!(
            found,
            [
                UnknownKey {
                    key: "cameras[1].lables".into(),
                    nearest: Some("cameras[].labels".into())
                },
                UnknownKey {
                    key: "settings.retention_dayz".into(),
                    nearest: Some("settings.retention_days".into())
                },
                UnknownKey {
                    key: "totally_unrelated".into(),
                    nearest: None
                },
            ]
        );
    }

    /// The list above and the keys `config.example.yaml` documents are the same set (the
    /// example leaves `mqtt_tls` and the camera entries in comments).
    #[test]
    fn the_key_list_is_the_example_files_keys() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml")).unwrap();
        let tree: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(unknown_keys(&tree, PRODUCT_KEYS), []);
        let mut documented = Vec::new();
        leaf_paths(&tree, "", &mut documented);
        let commented_out = |key: &&str| key.starts_with("network.mqtt_tls.") || key.starts_with("cameras[].");
        let mut listed: Vec<String> = PRODUCT_KEYS
            .iter()
            .filter(|key| !commented_out(key))
            .map(|key| key.to_string())
            .collect();
        listed.extend(["network.mqtt_tls".to_string(), "cameras".to_string()]);
        documented.sort();
        listed.sort();
        assert_eq!(documented, listed);
    }
}
