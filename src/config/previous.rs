//! The previous service's configuration (Frigate Event Buffer, Python): its
//! keys and environment variables, turned into this product's keys.
//!
//! Owns the mapping table (each previous key: read as it is, moved to a key of
//! this product, or not supported) and its application to the parsed file,
//! before the typed parse. It edits the key tree only; validation of the
//! values stays in `config::runtime`. `docs/migrating.md` shows the same table
//! to users.

use super::env::Environment;
use super::keys::PRODUCT_KEYS;
use super::{ConfigError, ConfigWarning};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// What becomes of one key of the previous service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fate {
    /// This product reads the key under the same name.
    Same,
    /// This product reads the value under another key.
    MovedTo(&'static str),
    /// The host Home Assistant reaches the service at: `network.public_url` becomes
    /// `http://<host>:<network.api_port>`.
    PublicUrlHost,
    /// The feature is absent here: the key is named in the one "not supported" warning.
    Unsupported,
}

/// Every key path of the previous service's schema and its fate here. Where two previous keys
/// move to the same key, the first one given wins, as it did there.
pub const PREVIOUS_KEYS: &[(&str, Fate)] = &[
    ("cameras[].name", Fate::Same),
    ("cameras[].labels", Fate::Same),
    ("cameras[].event_filters.tracked_zones", Fate::Same),
    ("cameras[].event_filters.exceptions", Fate::Same),
    ("network.mqtt_broker", Fate::Same),
    ("network.mqtt_port", Fate::Same),
    ("network.mqtt_user", Fate::Same),
    ("network.mqtt_password", Fate::Same),
    ("network.frigate_url", Fate::Same),
    ("network.flask_port", Fate::MovedTo("network.api_port")),
    ("network.flask_host", Fate::MovedTo("network.api_host")),
    ("network.buffer_ip", Fate::PublicUrlHost),
    ("network.ha_ip", Fate::PublicUrlHost),
    ("network.storage_path", Fate::Same),
    ("settings.retention_days", Fate::Same),
    ("settings.cleanup_interval_hours", Fate::Unsupported),
    ("settings.export_watchdog_interval_minutes", Fate::Unsupported),
    ("settings.ffmpeg_timeout_seconds", Fate::Unsupported),
    ("settings.notification_delay_seconds", Fate::Unsupported),
    ("settings.log_level", Fate::Same),
    ("settings.summary_padding_before", Fate::Unsupported),
    ("settings.summary_padding_after", Fate::Unsupported),
    ("settings.stats_refresh_seconds", Fate::Same),
    ("settings.daily_report_retention_days", Fate::Same),
    ("settings.daily_report_schedule_hour", Fate::Same),
    ("settings.report_prompt_file", Fate::Same),
    ("settings.report_known_person_name", Fate::Same),
    ("settings.event_gap_seconds", Fate::Same),
    ("settings.minimum_event_seconds", Fate::Same),
    ("settings.max_event_length_seconds", Fate::Same),
    ("settings.export_buffer_before", Fate::Same),
    ("settings.export_buffer_after", Fate::Same),
    ("settings.gemini_max_concurrent_analyses", Fate::Unsupported),
    ("settings.save_ai_frames", Fate::Unsupported),
    ("settings.create_ai_analysis_zip", Fate::Unsupported),
    (
        "settings.gemini_frames_per_hour_cap",
        Fate::MovedTo("ai.frames_per_hour_cap"),
    ),
    (
        "settings.quick_title_delay_seconds",
        Fate::MovedTo("ai.quick_title_delay_seconds"),
    ),
    ("settings.quick_title_enabled", Fate::MovedTo("ai.quick_title_enabled")),
    ("settings.ai_mode", Fate::Same),
    ("ha.base_url", Fate::Unsupported),
    ("ha.url", Fate::Unsupported),
    ("ha.token", Fate::Unsupported),
    ("ha.gemini_cost_entity", Fate::Unsupported),
    ("ha.gemini_tokens_entity", Fate::Unsupported),
    ("notifications.home_assistant.enabled", Fate::Same),
    ("notifications.pushover.enabled", Fate::Same),
    ("notifications.pushover.pushover_user_key", Fate::Same),
    ("notifications.pushover.pushover_api_token", Fate::Same),
    ("notifications.pushover.device", Fate::Same),
    ("notifications.pushover.default_sound", Fate::Same),
    ("notifications.pushover.html", Fate::Same),
    ("notifications.mobile_app.enabled", Fate::Unsupported),
    ("notifications.mobile_app.credentials_path", Fate::Unsupported),
    ("notifications.mobile_app.project_id", Fate::Unsupported),
    // gemini_proxy.* came before gemini.* there: listed first so it wins here too.
    ("gemini_proxy.url", Fate::MovedTo("ai.base_url")),
    ("gemini_proxy.model", Fate::MovedTo("ai.model")),
    ("gemini_proxy.temperature", Fate::Unsupported),
    ("gemini_proxy.top_p", Fate::Unsupported),
    ("gemini_proxy.frequency_penalty", Fate::Unsupported),
    ("gemini_proxy.presence_penalty", Fate::Unsupported),
    ("gemini.proxy_url", Fate::MovedTo("ai.base_url")),
    ("gemini.api_key", Fate::MovedTo("ai.api_key")),
    ("gemini.model", Fate::MovedTo("ai.model")),
    ("gemini.enabled", Fate::MovedTo("ai.enabled")),
    ("multi_cam.max_multi_cam_frames_min", Fate::Same),
    ("multi_cam.max_multi_cam_frames_sec", Fate::Unsupported),
    ("multi_cam.crop_width", Fate::Same),
    ("multi_cam.crop_height", Fate::Same),
    ("multi_cam.multi_cam_system_prompt_file", Fate::Unsupported),
    ("multi_cam.smart_crop_padding", Fate::Unsupported),
    ("multi_cam.detection_model", Fate::Unsupported),
    ("multi_cam.detection_device", Fate::Unsupported),
    ("multi_cam.detection_frame_interval", Fate::Same),
    ("multi_cam.detection_imgsz", Fate::Unsupported),
    ("multi_cam.camera_timeline_analysis_multiplier", Fate::Unsupported),
    ("multi_cam.camera_timeline_ema_alpha", Fate::Same),
    ("multi_cam.camera_timeline_primary_bias_multiplier", Fate::Same),
    ("multi_cam.camera_switch_min_segment_frames", Fate::Same),
    ("multi_cam.camera_switch_hysteresis_margin", Fate::Same),
    ("multi_cam.camera_timeline_final_yolo_drop_no_person", Fate::Unsupported),
    ("multi_cam.decode_second_camera_cpu_only", Fate::Unsupported),
    ("multi_cam.log_extraction_phase_timing", Fate::Unsupported),
    ("multi_cam.merge_frame_timeout_sec", Fate::Unsupported),
    ("multi_cam.tracking_target_frame_percent", Fate::Same),
    ("multi_cam.person_area_debug", Fate::Unsupported),
    ("multi_cam.compilation_zoom_smooth_ema_alpha", Fate::Same),
];

/// How the previous service read an environment variable's text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    WholeNumber,
    /// `true`, `1` or `yes` (any case) is true, anything else false.
    Flag,
    /// `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`.
    Switch,
}

/// The previous service's environment variables, the key each set (overriding the file) and
/// how it read them. `MQTT_*`, `FRIGATE_URL` and `STORAGE_PATH` are read by this product
/// itself (`config::runtime`) with the same meaning and precedence, so they are not here.
const PREVIOUS_ENV: &[(&str, &str, Kind)] = &[
    ("AI_MODE", "settings.ai_mode", Kind::Text),
    ("BUFFER_IP", "network.buffer_ip", Kind::Text),
    ("HA_IP", "network.ha_ip", Kind::Text),
    ("CREATE_AI_ANALYSIS_ZIP", "settings.create_ai_analysis_zip", Kind::Flag),
    (
        "DAILY_REPORT_RETENTION_DAYS",
        "settings.daily_report_retention_days",
        Kind::WholeNumber,
    ),
    (
        "DAILY_REPORT_SCHEDULE_HOUR",
        "settings.daily_report_schedule_hour",
        Kind::WholeNumber,
    ),
    ("EVENT_GAP_SECONDS", "settings.event_gap_seconds", Kind::WholeNumber),
    ("EXPORT_BUFFER_AFTER", "settings.export_buffer_after", Kind::WholeNumber),
    (
        "EXPORT_BUFFER_BEFORE",
        "settings.export_buffer_before",
        Kind::WholeNumber,
    ),
    (
        "EXPORT_WATCHDOG_INTERVAL_MINUTES",
        "settings.export_watchdog_interval_minutes",
        Kind::WholeNumber,
    ),
    ("FLASK_HOST", "network.flask_host", Kind::Text),
    ("FLASK_PORT", "network.flask_port", Kind::WholeNumber),
    ("GEMINI_API_KEY", "gemini.api_key", Kind::Text),
    (
        "GEMINI_FRAMES_PER_HOUR_CAP",
        "settings.gemini_frames_per_hour_cap",
        Kind::WholeNumber,
    ),
    ("GEMINI_PROXY_URL", "gemini_proxy.url", Kind::Text),
    (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "notifications.mobile_app.credentials_path",
        Kind::Text,
    ),
    (
        "GOOGLE_CLOUD_PROJECT",
        "notifications.mobile_app.project_id",
        Kind::Text,
    ),
    ("HA_TOKEN", "ha.token", Kind::Text),
    ("HA_URL", "ha.url", Kind::Text),
    ("LOG_LEVEL", "settings.log_level", Kind::Text),
    (
        "NOTIFICATIONS_HOME_ASSISTANT_ENABLED",
        "notifications.home_assistant.enabled",
        Kind::Switch,
    ),
    (
        "PUSHOVER_API_TOKEN",
        "notifications.pushover.pushover_api_token",
        Kind::Text,
    ),
    (
        "PUSHOVER_USER_KEY",
        "notifications.pushover.pushover_user_key",
        Kind::Text,
    ),
    (
        "REPORT_KNOWN_PERSON_NAME",
        "settings.report_known_person_name",
        Kind::Text,
    ),
    ("RETENTION_DAYS", "settings.retention_days", Kind::WholeNumber),
    ("SAVE_AI_FRAMES", "settings.save_ai_frames", Kind::Flag),
    (
        "STATS_REFRESH_SECONDS",
        "settings.stats_refresh_seconds",
        Kind::WholeNumber,
    ),
];

/// Keys whose value the previous service accepted as a boolean or as its text.
const SWITCH_KEYS: &[&str] = &["notifications.home_assistant.enabled", "notifications.pushover.enabled"];

/// Keys set by environment variables, by the key path they now have: errors about their values
/// name the variable instead of the file.
pub type EnvOrigins = BTreeMap<String, &'static str>;

/// Every key path either schema knows: this product's and the previous service's.
pub fn all_known_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = PRODUCT_KEYS.to_vec();
    keys.extend(
        PREVIOUS_KEYS
            .iter()
            .map(|(key, _)| *key)
            .filter(|key| !PRODUCT_KEYS.contains(key)),
    );
    keys
}

/// Applies the previous service's environment variables and key names to `tree`: afterwards it
/// holds only this product's keys (and keys no schema knows). Returns where environment
/// variables set keys; pushes the warnings.
pub fn migrate(
    tree: &mut Value,
    env: &Environment,
    source: &Path,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<EnvOrigins, ConfigError> {
    if !tree.is_object() {
        return Ok(EnvOrigins::new());
    }
    let mut origins = apply_environment(tree, env)?;
    let mut unsupported = Vec::new();
    let mut filled_by_previous: HashSet<&str> = HashSet::new();
    for (key, fate) in PREVIOUS_KEYS {
        let target = match fate {
            Fate::Same => continue,
            Fate::Unsupported => {
                if take(tree, key).is_some() {
                    unsupported.push(origins.remove(*key).map_or_else(|| key.to_string(), str::to_string));
                }
                continue;
            }
            Fate::MovedTo(target) => *target,
            Fate::PublicUrlHost => "network.public_url",
        };
        let Some(value) = take(tree, key) else { continue };
        let origin = origins.remove(*key);
        if lookup(tree, target).is_some() {
            if !filled_by_previous.contains(target) {
                warnings.push(ConfigWarning::Shadowed {
                    product: target.to_string(),
                    previous: origin.map_or_else(|| key.to_string(), str::to_string),
                });
            }
            continue;
        }
        let value = match fate {
            Fate::PublicUrlHost => public_url(tree, env, value, source, key)?,
            _ => value,
        };
        insert(tree, target, value);
        filled_by_previous.insert(target);
        if let Some(origin) = origin {
            origins.insert(target.to_string(), origin);
        }
    }
    for key in SWITCH_KEYS {
        if let Some(value) = lookup_mut(tree, key) {
            if let Some(flag) = value.as_str().and_then(switch) {
                *value = Value::Bool(flag);
            }
        }
    }
    if !unsupported.is_empty() {
        warnings.push(ConfigWarning::Unsupported { keys: unsupported });
    }
    Ok(origins)
}

/// Sets the keys of the previous service's environment variables that are set.
fn apply_environment(tree: &mut Value, env: &Environment) -> Result<EnvOrigins, ConfigError> {
    let mut origins = EnvOrigins::new();
    for (name, key, kind) in PREVIOUS_ENV {
        let Some(text) = env.get(name) else { continue };
        let value = match kind {
            Kind::Text => Value::String(text.to_string()),
            Kind::WholeNumber => Value::from(
                text.trim()
                    .parse::<i64>()
                    .map_err(|_| ConfigError::invalid(*name, *key, format!("not a whole number: '{text}'")))?,
            ),
            Kind::Flag => Value::Bool(matches!(
                text.trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "yes"
            )),
            Kind::Switch => Value::Bool(
                switch(text)
                    .ok_or_else(|| ConfigError::invalid(*name, *key, format!("not true or false: '{text}'")))?,
            ),
        };
        insert(tree, key, value);
        origins.insert(key.to_string(), *name);
    }
    Ok(origins)
}

/// The previous service's reading of a boolean written as text.
fn switch(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `http://<host>:<port>` for a `buffer_ip`/`ha_ip` value, with the API's port (env `API_PORT`,
/// else `network.api_port`, else 5055).
fn public_url(tree: &Value, env: &Environment, host: Value, source: &Path, key: &str) -> Result<Value, ConfigError> {
    let Value::String(host) = host else {
        return Err(ConfigError::invalid(
            source,
            key,
            format!("expected a host name or address, got {host}"),
        ));
    };
    let port = env
        .owned("API_PORT")
        .or_else(|| lookup(tree, "network.api_port").map(|port| port.to_string()))
        .unwrap_or_else(|| "5055".into());
    Ok(Value::String(format!("http://{}:{port}", host.trim())))
}

/// The value at dotted `key`, if every level of it is there.
fn lookup<'a>(tree: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(tree, |node, name| node.as_object()?.get(name))
}

fn lookup_mut<'a>(tree: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    key.split('.')
        .try_fold(tree, |node, name| node.as_object_mut()?.get_mut(name))
}

/// Removes the value at dotted `key`, and the sections it leaves empty.
fn take(tree: &mut Value, key: &str) -> Option<Value> {
    let (section, name) = match key.rsplit_once('.') {
        Some((section, name)) => (Some(section), name),
        None => (None, key),
    };
    let parent = match section {
        Some(section) => lookup_mut(tree, section)?,
        None => tree,
    };
    let value = parent.as_object_mut()?.remove(name)?;
    if let Some(section) = section {
        if lookup(tree, section)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            take(tree, section);
        }
    }
    Some(value)
}

/// Sets dotted `key` to `value`, creating (or replacing with) sections on the way.
fn insert(tree: &mut Value, key: &str, value: Value) {
    let mut node = tree;
    let mut names = key.split('.').peekable();
    while let Some(name) = names.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("made an object above");
        if names.peek().is_none() {
            map.insert(name.to_string(), value);
            return;
        }
        node = map.entry(name).or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn migrated(mut tree: Value, env: &[(&str, &str)]) -> (Value, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        migrate(
            &mut tree,
            &Environment::from_pairs(env.iter().copied()),
            Path::new("c.yaml"),
            &mut warnings,
        )
        .unwrap();
        (tree, warnings)
    }

    #[test]
    fn moved_keys_land_on_this_products_keys_and_empty_sections_go() {
        let (tree, warnings) = migrated(
            json!({"network": {"flask_port": 8080, "buffer_ip": "10.0.0.5"}, "gemini": {"proxy_url": "http://ai:1", "model": "m"}}),
            &[],
        );
        assert_eq!(
            tree,
            json!({"network": {"api_port": 8080, "public_url": "http://10.0.0.5:8080"}, "ai": {"base_url": "http://ai:1", "model": "m"}})
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn the_first_previous_key_wins_over_a_later_one_without_a_warning() {
        let (tree, warnings) = migrated(
            json!({"gemini_proxy": {"url": "http://proxy:1"}, "gemini": {"proxy_url": "http://old:2"}, "network": {"ha_ip": "h", "buffer_ip": "b"}}),
            &[],
        );
        assert_eq!(lookup(&tree, "ai.base_url"), Some(&json!("http://proxy:1")));
        assert_eq!(lookup(&tree, "network.public_url"), Some(&json!("http://b:5055")));
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_previous_environment_variable_overrides_the_previous_key_in_the_file() {
        let (tree, _) = migrated(
            json!({"network": {"flask_port": 8080}, "settings": {"home": 1}}),
            &[
                ("FLASK_PORT", "9090"),
                ("GEMINI_API_KEY", "k"),
                ("NOTIFICATIONS_HOME_ASSISTANT_ENABLED", "off"),
            ],
        );
        assert_eq!(lookup(&tree, "network.api_port"), Some(&json!(9090)));
        assert_eq!(lookup(&tree, "ai.api_key"), Some(&json!("k")));
        assert_eq!(
            lookup(&tree, "notifications.home_assistant.enabled"),
            Some(&json!(false))
        );
    }

    #[test]
    fn a_bad_environment_value_names_the_variable() {
        let mut warnings = Vec::new();
        let env = Environment::from_pairs([("FLASK_PORT", "eighty")]);
        let err = migrate(&mut json!({}), &env, Path::new("c.yaml"), &mut warnings).unwrap_err();
        assert_eq!(
            err.to_string(),
            "FLASK_PORT: key 'network.flask_port': not a whole number: 'eighty'"
        );
    }

    #[test]
    fn migrating_docs_list_every_previous_key_and_variable() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/migrating.md")).unwrap();
        for (key, _) in PREVIOUS_KEYS {
            assert!(doc.contains(&format!("`{key}`")), "docs/migrating.md lacks {key}");
        }
        for (name, _, _) in PREVIOUS_ENV {
            assert!(doc.contains(&format!("`{name}`")), "docs/migrating.md lacks {name}");
        }
    }
}
