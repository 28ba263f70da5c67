//! Loading the previous service's configuration: a file with every one of its keys, misspelt
//! keys, keys given twice, and its environment variables (passed as a map, never set on this
//! process).

use super::{Config, ConfigWarning, Environment};
use crate::ce::lifecycle::ZoneFilter;
use std::io::Write;
use std::path::Path;

/// Every key path of the previous service's schema, with values of this project's own.
const PREVIOUS_CONFIG: &str = include_str!("../../tests/fixtures/previous-service-config.yaml");

fn write_config(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn lines(config: &Config) -> Vec<String> {
    config
        .warnings
        .iter()
        .map(|warning| format!("{}: {warning}", config.source.display()))
        .collect()
}

fn zones(tracked: &[&str], exceptions: &[&str]) -> ZoneFilter {
    ZoneFilter {
        tracked_zones: tracked.iter().map(|zone| zone.to_string()).collect(),
        exceptions: exceptions.iter().map(|label| label.to_string()).collect(),
    }
}

#[test]
fn a_full_previous_config_is_mapped_and_the_rest_named_in_one_warning() {
    let file = write_config(PREVIOUS_CONFIG);
    let config = Config::load_in(file.path(), &Environment::default()).unwrap();

    assert_eq!((config.mqtt.host.as_str(), config.mqtt.port), ("mqtt.home.lan", 1884));
    assert_eq!(config.mqtt.username.as_deref(), Some("frigate_buffer"));
    assert_eq!(config.mqtt.password.as_deref(), Some("mqtt-secret-pw"));
    assert_eq!(config.frigate_url, "http://frigate.home.lan:5001");
    assert_eq!(config.storage_path, Path::new("/srv/buffer"));
    assert_eq!((config.api.host.as_str(), config.api.port), ("0.0.0.0", 5077));
    assert_eq!(config.notifications.public_url, "http://192.168.7.20:5077");
    assert!(!config.notifications.enabled, "enabled: \"false\" is off");
    assert_eq!(
        config.notifications.pushover,
        Some(crate::config::PushoverSettings {
            token: "pushover-api-token".into(),
            user: "pushover-user-key".into(),
            device: Some("phone".into()),
            sound: Some("siren".into()),
            html: true,
            api_url: "https://api.pushover.net/1/messages.json".into(),
        })
    );
    assert_eq!(config.retention_days, 9.0);
    assert_eq!(config.log_level.as_deref(), Some("warn"));
    let ce = config.ce;
    assert_eq!(
        [
            ce.event_gap_seconds,
            ce.minimum_event_seconds,
            ce.max_event_length_seconds,
            ce.export_buffer_before,
            ce.export_buffer_after
        ],
        [90.0, 4.0, 300.0, 7.0, 25.0]
    );
    assert!(!config.frigate_genai);
    let ai = config
        .ai
        .as_ref()
        .expect("gemini.enabled with an endpoint turns the analysis on");
    assert_eq!(
        ai.base_url, "http://ai-proxy.home.lan:8000",
        "gemini_proxy.url wins over gemini.proxy_url"
    );
    assert_eq!(ai.model, "gemini-2.5-flash-lite");
    assert_eq!(ai.api_key.as_deref(), Some("gemini-secret-key"));
    assert_eq!(ai.frames_per_hour_cap, 150);
    assert_eq!(ai.quick_title_delay, None, "quick_title_enabled: false");
    let plan = &config.plan;
    assert_eq!(config.detector.frame_interval, 4);
    assert_eq!(plan.ai_max_frames, 30);
    assert_eq!(plan.ai_crop_size, (1024, 576));
    assert_eq!(plan.camera_ema_alpha, 0.5);
    assert_eq!(plan.primary_bonus, 1.4);
    assert_eq!(plan.min_run_samples, 4);
    assert_eq!(plan.switch_hysteresis, 1.25);
    assert_eq!(plan.tracking_target_frame_percent, 35.0);
    assert_eq!(plan.zoom_smoothing_alpha, 0.3);
    let cameras: Vec<_> = config
        .cameras
        .iter()
        .map(|camera| {
            (
                camera.name.as_str(),
                camera.labels.clone(),
                camera.event_filters.clone(),
            )
        })
        .collect();
    assert_eq!(
        cameras,
        [
            (
                "front_door",
                vec!["person".to_string(), "dog".to_string()],
                Some(zones(&["Porch", "Walkway"], &["Alice"]))
            ),
            ("driveway", vec!["car".to_string()], None),
        ]
    );

    let expected = format!(
        "{}: settings not supported, ignored: settings.cleanup_interval_hours, \
         settings.export_watchdog_interval_minutes, settings.ffmpeg_timeout_seconds, \
         settings.notification_delay_seconds, settings.summary_padding_before, \
         settings.summary_padding_after, settings.gemini_max_concurrent_analyses, settings.save_ai_frames, \
         settings.create_ai_analysis_zip, ha.base_url, ha.url, ha.token, ha.gemini_cost_entity, \
         ha.gemini_tokens_entity, notifications.mobile_app.enabled, \
         notifications.mobile_app.credentials_path, notifications.mobile_app.project_id, \
         gemini_proxy.temperature, gemini_proxy.top_p, gemini_proxy.frequency_penalty, \
         gemini_proxy.presence_penalty, multi_cam.max_multi_cam_frames_sec, \
         multi_cam.multi_cam_system_prompt_file, multi_cam.smart_crop_padding, \
         multi_cam.detection_model, multi_cam.detection_device, multi_cam.detection_imgsz, \
         multi_cam.camera_timeline_analysis_multiplier, \
         multi_cam.camera_timeline_final_yolo_drop_no_person, \
         multi_cam.decode_second_camera_cpu_only, multi_cam.log_extraction_phase_timing, \
         multi_cam.merge_frame_timeout_sec, multi_cam.person_area_debug",
        file.path().display()
    );
    assert_eq!(lines(&config), [expected]);
}

#[test]
fn a_misspelt_key_of_either_schema_names_the_nearest_known_key() {
    let file = write_config(
        "pipeline: cpu\nsettings:\n  retention_dayz: 4\nnetwork:\n  flask_prot: 5077\ncameras:\n  - name: front\n    lables: [person]\nevent_filter:\n  tracked_zones: [porch]\n",
    );
    let config = Config::load_in(file.path(), &Environment::default()).unwrap();
    let path = file.path().display();
    assert_eq!(
        lines(&config),
        [
            format!("{path}: unknown key cameras[0].lables (did you mean cameras[].labels?)"),
            format!("{path}: unknown key event_filter (did you mean event_filters?)"),
            format!("{path}: unknown key network.flask_prot (did you mean network.flask_port?)"),
            format!("{path}: unknown key settings.retention_dayz (did you mean settings.retention_days?)"),
        ]
    );
    assert_eq!(config.retention_days, 3.0, "the misspelt key is not read");
}

#[test]
fn this_products_key_wins_over_the_previous_one_with_a_warning() {
    let file = write_config(
        "pipeline: cpu\nnetwork:\n  api_port: 6000\n  flask_port: 5077\n  public_url: http://buffer.lan\n  buffer_ip: 10.0.0.9\nai:\n  base_url: http://new-ai:1\ngemini:\n  proxy_url: http://old-ai:2\n  api_key: k\n",
    );
    let config = Config::load_in(file.path(), &Environment::default()).unwrap();
    assert_eq!(config.api.port, 6000);
    assert_eq!(config.notifications.public_url, "http://buffer.lan");
    let ai = config.ai.as_ref().unwrap();
    assert_eq!(
        (ai.base_url.as_str(), ai.api_key.as_deref()),
        ("http://new-ai:1", Some("k"))
    );
    let warnings: Vec<String> = config.warnings.iter().map(ConfigWarning::to_string).collect();
    assert_eq!(
        warnings,
        [
            "network.api_port and network.flask_port are both set: network.api_port is used, network.flask_port ignored",
            "network.public_url and network.buffer_ip are both set: network.public_url is used, network.buffer_ip ignored",
            "ai.base_url and gemini.proxy_url are both set: ai.base_url is used, gemini.proxy_url ignored",
        ]
    );
}

#[test]
fn the_previous_quick_title_keys_set_the_quick_title_and_default_to_on_after_4_s() {
    let ai_delay = |extra: &str| {
        let file = write_config(&format!(
            "pipeline: cpu\nai:\n  base_url: http://ai:1\nsettings:\n  ai_mode: external_api\n{extra}"
        ));
        let config = Config::load_in(file.path(), &Environment::default()).unwrap();
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        config.ai.unwrap().quick_title_delay
    };
    assert_eq!(ai_delay(""), Some(std::time::Duration::from_secs(4)));
    assert_eq!(
        ai_delay("  quick_title_enabled: true\n  quick_title_delay_seconds: 6\n"),
        Some(std::time::Duration::from_secs(6))
    );
    assert_eq!(ai_delay("  quick_title_enabled: false\n"), None);
}

#[test]
fn previous_environment_variables_override_the_file_as_they_did() {
    let file = write_config(PREVIOUS_CONFIG);
    let env = Environment::from_pairs([
        ("FLASK_PORT", "6100"),
        ("FLASK_HOST", "127.0.0.2"),
        ("BUFFER_IP", "10.1.1.1"),
        ("GEMINI_API_KEY", "env-gemini-key"),
        ("GEMINI_PROXY_URL", "http://env-proxy:9"),
        ("GEMINI_FRAMES_PER_HOUR_CAP", "77"),
        ("LOG_LEVEL", "DEBUG"),
        ("RETENTION_DAYS", "11"),
        ("EVENT_GAP_SECONDS", "45"),
        ("EXPORT_BUFFER_BEFORE", "2"),
        ("EXPORT_BUFFER_AFTER", "3"),
        ("AI_MODE", "frigate"),
        ("NOTIFICATIONS_HOME_ASSISTANT_ENABLED", "yes"),
        ("MQTT_BROKER", "env-broker"),
        ("MQTT_PORT", "1999"),
        ("PUSHOVER_USER_KEY", "po-user"),
        ("HA_TOKEN", ""),
    ]);
    let config = Config::load_in(file.path(), &env).unwrap();
    assert_eq!((config.api.host.as_str(), config.api.port), ("127.0.0.2", 6100));
    assert_eq!(config.notifications.public_url, "http://10.1.1.1:6100");
    assert_eq!(config.log_level.as_deref(), Some("debug"));
    assert_eq!(config.retention_days, 11.0);
    assert_eq!(
        [
            config.ce.event_gap_seconds,
            config.ce.export_buffer_before,
            config.ce.export_buffer_after
        ],
        [45.0, 2.0, 3.0]
    );
    assert!(
        config.frigate_genai && config.ai.is_none(),
        "AI_MODE=frigate turns our own analysis off"
    );
    assert!(config.notifications.enabled);
    assert_eq!((config.mqtt.host.as_str(), config.mqtt.port), ("env-broker", 1999));
    let unsupported = match &config.warnings[..] {
        [ConfigWarning::Unsupported { keys }] => keys.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        !unsupported
            .iter()
            .any(|key| key.contains("PUSHOVER") || key.contains("pushover")),
        "{unsupported:?}"
    );
    assert_eq!(
        config
            .notifications
            .pushover
            .as_ref()
            .map(|pushover| pushover.user.as_str()),
        Some("po-user")
    );
    assert!(
        unsupported.contains(&"ha.token".to_string()),
        "an empty HA_TOKEN is unset: {unsupported:?}"
    );

    let with_ai = Config::load_in(
        file.path(),
        &Environment::from_pairs([
            ("GEMINI_API_KEY", "env-gemini-key"),
            ("GEMINI_PROXY_URL", "http://env-proxy:9"),
            ("GEMINI_FRAMES_PER_HOUR_CAP", "77"),
        ]),
    )
    .unwrap();
    let ai = with_ai.ai.unwrap();
    assert_eq!(
        (ai.base_url.as_str(), ai.api_key.as_deref(), ai.frames_per_hour_cap),
        ("http://env-proxy:9", Some("env-gemini-key"), 77)
    );
    let ours_wins = Config::load_in(
        file.path(),
        &Environment::from_pairs([("GEMINI_API_KEY", "env-gemini-key"), ("AI_API_KEY", "ours")]),
    )
    .unwrap();
    assert_eq!(ours_wins.ai.unwrap().api_key.as_deref(), Some("ours"));
}

#[test]
fn a_bad_previous_environment_value_names_the_variable() {
    let file = write_config("pipeline: cpu\n");
    let err = Config::load_in(file.path(), &Environment::from_pairs([("RETENTION_DAYS", "soon")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "RETENTION_DAYS: key 'settings.retention_days': not a whole number: 'soon'"
    );
    let err = Config::load_in(file.path(), &Environment::from_pairs([("FLASK_PORT", "70000")])).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("FLASK_PORT: key 'network.api_port': "), "{message}");
    let err = Config::load_in(file.path(), &Environment::from_pairs([("LOG_LEVEL", "loud")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "LOG_LEVEL: key 'settings.log_level': must be DEBUG, INFO, WARNING or ERROR, got 'loud'"
    );
}

#[test]
fn a_bad_log_level_names_the_key() {
    let file = write_config("pipeline: cpu\nsettings:\n  log_level: LOUD\n");
    let message = Config::load_in(file.path(), &Environment::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.ends_with("key 'settings.log_level': must be DEBUG, INFO, WARNING or ERROR, got 'LOUD'"),
        "{message}"
    );
}
