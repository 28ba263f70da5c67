//! The notifications as the previous service sent them, end to end through the real
//! service: a CE whose summary cannot be made still gets its preview GIF (cut from its first
//! clip) in its `clip_ready`, and Pushover, the optional second notifier, gets that
//! notification with the GIF attached.

mod common;

use common::pushover_api::{form_parts, stand_in_pushover, text_field, Received};
use common::service_harness::{ce_folders, frigate_event, frigate_with_sample_clips, now, Rig};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The form fields of a request to Pushover, by name.
fn fields(received: &Received) -> Vec<(String, Vec<u8>)> {
    form_parts(&received.content_type, &received.body)
}

/// Width and decoded frame count of a GIF, from ffprobe.
fn gif_width_and_frames(gif: &Path) -> (u64, u64) {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames", "-of", "json"])
        .args(["-show_entries", "stream=codec_name,width,nb_read_frames"])
        .arg(gif)
        .output()
        .unwrap();
    assert!(output.status.success(), "ffprobe failed on {}", gif.display());
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let stream = &value["streams"][0];
    assert_eq!(stream["codec_name"], "gif");
    let frames = stream["nb_read_frames"].as_str().unwrap().parse().unwrap();
    (stream["width"].as_u64().unwrap(), frames)
}

/// Waits for the first CE folder to appear.
fn first_ce_folder(storage: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(folder) = ce_folders(storage).into_iter().next() {
            return folder;
        }
        assert!(Instant::now() < deadline, "no CE folder was made");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_failed_summary_still_notifies_with_the_first_clips_gif_and_pushover_gets_it_attached() {
    let (pushover_url, pushover) =
        stand_in_pushover((200, r#"{"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"}"#));
    let rig = Rig::start(
        "notifications",
        frigate_with_sample_clips(&[("1-aaaaaa", "front_door"), ("2-bbbbbb", "driveway")]),
        "",
    );
    let pushover_section = format!(
        "notifications:\n  pushover:\n    enabled: true\n    pushover_user_key: uQiRzpo4DXghDmr9QzzfQu27cmVRsG\n    pushover_api_token: azGDORePK8gMaC0QOYAMyEEuzJnyUi\n    device: pixel\n    default_sound: siren\n    html: 0\n    api_url: {pushover_url}\n"
    );
    let mut config = std::fs::OpenOptions::new().append(true).open(&rig.config).unwrap();
    config.write_all(pushover_section.as_bytes()).unwrap();
    drop(config);
    let log = rig.dir.path().join("service.log");
    let _service = rig.start_logged_service(&log);

    let start = now() - 20.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "1-aaaaaa", "front_door", start, None),
    );
    // The summary cannot be written: a folder stands where the video would go. The CE is
    // only compiled after its events end, so the folder is in place before.
    let ce = first_ce_folder(&rig.storage());
    let name = ce.file_name().unwrap().to_string_lossy().into_owned();
    let summary = ce.join(format!("{name}_summary.mp4"));
    std::fs::create_dir_all(summary.join("in-the-way")).unwrap();
    for event in [
        frigate_event("new", "2-bbbbbb", "driveway", start + 2.0, None),
        frigate_event("end", "1-aaaaaa", "front_door", start, Some(start + 12.0)),
        frigate_event("end", "2-bbbbbb", "driveway", start + 2.0, Some(start + 15.0)),
    ] {
        rig.observer.publish("frigate/events", &event);
    }

    let seen = rig.observer.until_status("clip_ready", Duration::from_secs(300));
    let ready = seen.last().unwrap();
    assert!(summary.is_dir(), "no summary was made over the folder");
    assert!(ce.join("compilation_error.log").is_file(), "the compile failed");
    assert_eq!(ready["video_url"], Value::Null, "{ready}");
    assert_eq!(
        ready["image_url"].as_str(),
        Some(format!("/files/events/{name}/notification.gif").as_str()),
        "{ready}"
    );
    let gif_path = ce.join("notification.gif");
    assert_eq!(
        gif_width_and_frames(&gif_path),
        (480, 25),
        "the first 5 s at 5 fps, 480 px wide"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let made = text
        .lines()
        .find(|line| line.contains("preview GIF made from the first clip"))
        .unwrap_or_else(|| panic!("no preview GIF logged:\n{text}"));
    assert!(made.contains("front_door"), "the first camera's clip: {made}");

    // Pushover gets `snapshot_ready` (maybe) and `clip_ready`, the latter with the GIF.
    let gif = std::fs::read(&gif_path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let clip_ready = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let received = pushover
            .recv_timeout(left)
            .expect("Pushover got no message with the GIF attached");
        let parts = fields(&received);
        if text_field(&parts, "title").as_deref() == ready["title"].as_str() {
            break (received, parts);
        }
    };
    let (received, parts) = clip_ready;
    assert_eq!(received.request_line, "POST /1/messages.json HTTP/1.1");
    let field = |name: &str| text_field(&parts, name);
    assert_eq!(field("token").as_deref(), Some("azGDORePK8gMaC0QOYAMyEEuzJnyUi"));
    assert_eq!(field("user").as_deref(), Some("uQiRzpo4DXghDmr9QzzfQu27cmVRsG"));
    assert_eq!(field("message").as_deref(), ready["message"].as_str());
    assert_eq!(field("priority").as_deref(), Some("-1"));
    assert_eq!(field("sound").as_deref(), Some("siren"));
    assert_eq!(field("device").as_deref(), Some("pixel"));
    assert_eq!(field("html").as_deref(), Some("0"));
    assert_eq!(
        field("timestamp"),
        Some((ready["timestamp"].as_f64().unwrap() as i64).to_string())
    );
    let attachment = parts
        .iter()
        .find(|(name, _)| name == "attachment")
        .expect("the GIF is attached");
    assert_eq!(attachment.1, gif, "the CE's notification.gif, byte for byte");
}
