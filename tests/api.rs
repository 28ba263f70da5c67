//! The HTTP API against a storage folder built by hand: the CE index, files
//! with ranges, containment, the bearer token, keep and delete, and the
//! viewer and player pages in a real headless browser.

mod common;

use common::api_server::api_server;
use common::browser::dump_dom;
use frigate_buffer::api::ApiServer;
use frigate_buffer::ce::journal::{append, JournalStep};
use frigate_buffer::notify::Status;
use frigate_buffer::sidecar::format::{Detection, Sidecar, SidecarEntry};
use frigate_buffer::sidecar::poster::{write_poster, POSTER_FILE, SNAPSHOT_FILE};
use frigate_buffer::sidecar::store::write_sidecar;
use frigate_buffer::timeline::{plan_summary, CameraRun, CameraSidecar, PlanParams};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The finished CE: closed over two cameras, summary, GIF and analysis.
const FINISHED: &str = "1700000000_0badf00d";
/// Its CE id.
const FINISHED_ID: &str = "ce_1700000000_0badf00d";
/// A CE still open (one event running).
const OPEN: &str = "1700000500_00c0ffee";
/// The token of the guarded tests.
const TOKEN: &str = "s3cret-token";

/// A 3 s, 320×240, 20 fps H.264 MP4 made once per test run with ffmpeg.
fn sample_mp4() -> &'static [u8] {
    static MP4: OnceLock<Vec<u8>> = OnceLock::new();
    MP4.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
            .arg("testsrc2=size=320x240:rate=20")
            .args([
                "-t",
                "3",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
            ])
            .arg(&path)
            .status()
            .expect("ffmpeg must be installed (run scripts/setup.sh)");
        assert!(status.success(), "ffmpeg failed to make the test clip");
        std::fs::read(&path).unwrap()
    })
}

/// The finished CE's sidecar of `camera`: entries every 0.5 s over 0–40 s of
/// a 1920×1080 camera. `porch` (the primary) sees a small person all along;
/// `drive` a large one from 10 to 20 s, and a second person at 15 s, so the
/// summary cuts porch → drive → porch.
fn sidecar(camera: &str) -> Sidecar {
    let entries = (0..=80u32)
        .map(|k| {
            let t = f64::from(k) / 2.0;
            let detections = match camera {
                "porch" => vec![Detection::new("person", 0.9, [900.0, 400.0, 1000.0, 600.0])],
                _ if t == 15.0 => vec![
                    Detection::new("person", 0.9, [200.0, 200.0, 600.0, 800.0]),
                    Detection::new("person", 0.8, [1200.0, 200.0, 1400.0, 500.0]),
                ],
                _ if (10.0..=20.0).contains(&t) => vec![Detection::new("person", 0.9, [200.0, 200.0, 600.0, 800.0])],
                _ => vec![],
            };
            SidecarEntry {
                frame_number: u64::from(k) * 10,
                timestamp_sec: t,
                detections,
                motion: vec![],
            }
        })
        .collect();
    Sidecar {
        native_width: 1920,
        native_height: 1080,
        model: "yolov8n".to_string(),
        frame_interval: 10,
        fps: 20.0,
        entries,
    }
}

/// The camera timeline the pipeline records for the finished CE: the plan of
/// its two sidecars over its 64.5 s window, porch primary.
fn finished_timeline() -> Vec<CameraRun> {
    let cameras: Vec<CameraSidecar> = ["porch", "drive"]
        .iter()
        .map(|camera| CameraSidecar {
            name: camera.to_string(),
            sidecar: Arc::new(sidecar(camera)),
            native: (1920, 1080),
        })
        .collect();
    plan_summary(&cameras, "porch", 64.5, &PlanParams::default()).camera_runs()
}

/// A 1×1 GIF.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// Appends each step to the CE folder's journal.
fn journal(folder: &Path, steps: &[JournalStep]) {
    for (i, step) in steps.iter().enumerate() {
        append(folder, 1_700_000_000.0 + i as f64, step).unwrap();
    }
}

fn opened(ce_id: &str, folder: &str, start_time: f64) -> JournalStep {
    JournalStep::Opened {
        ce_id: ce_id.to_string(),
        folder: folder.to_string(),
        camera: "porch".to_string(),
        label: "person".to_string(),
        start_time,
    }
}

fn joined(event_id: &str, camera: &str, start_time: f64) -> JournalStep {
    JournalStep::EventJoined {
        event_id: event_id.to_string(),
        camera: camera.to_string(),
        label: "person".to_string(),
        start_time,
    }
}

/// A storage folder: the finished CE (two cameras, all outputs), the open
/// CE, and a symlink pointing at `/etc/passwd`.
struct Storage {
    /// Keeps the folder alive.
    _dir: tempfile::TempDir,
    /// The storage root.
    root: PathBuf,
}

impl Storage {
    fn new() -> Storage {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let finished = root.join("events").join(FINISHED);
        for camera in ["porch", "drive"] {
            std::fs::create_dir_all(finished.join(camera)).unwrap();
            std::fs::write(finished.join(camera).join(format!("{camera}-1.mp4")), sample_mp4()).unwrap();
            write_sidecar(&finished.join(camera).join("detection.json"), &sidecar(camera)).unwrap();
        }
        // Porch has Frigate's snapshot; drive the poster the pipeline cuts.
        let ffmpeg = frigate_buffer::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed");
        write_poster(
            &ffmpeg,
            &finished.join("porch").join("porch-1.mp4"),
            0.5,
            &finished.join("porch").join(SNAPSHOT_FILE),
        )
        .unwrap();
        write_poster(
            &ffmpeg,
            &finished.join("drive").join("drive-1.mp4"),
            1.5,
            &finished.join("drive").join(POSTER_FILE),
        )
        .unwrap();
        std::fs::write(
            finished.join("metadata.json"),
            serde_json::to_vec(&serde_json::json!({"ce_id": FINISHED_ID, "timeline": finished_timeline()})).unwrap(),
        )
        .unwrap();
        std::fs::write(finished.join(format!("{FINISHED}_summary.mp4")), sample_mp4()).unwrap();
        std::fs::write(finished.join("notification.gif"), GIF).unwrap();
        std::fs::write(
            finished.join("analysis_result.json"),
            r#"{"title": "Courier at the door", "shortSummary": "A courier leaves a parcel.", "potential_threat_level": 1}"#,
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", finished.join("leak.txt")).unwrap();
        journal(
            &finished,
            &[
                opened(FINISHED_ID, FINISHED, 1_700_000_000.5),
                joined("a", "porch", 1_700_000_000.5),
                joined("b", "drive", 1_700_000_004.0),
                JournalStep::EventEnded {
                    event_id: "a".to_string(),
                    end_time: 1_700_000_020.0,
                },
                JournalStep::EventEnded {
                    event_id: "b".to_string(),
                    end_time: 1_700_000_030.0,
                },
                JournalStep::Closed {
                    window_start: 1_699_999_995.5,
                    window_end: 1_700_000_060.0,
                    cameras: vec!["drive".to_string(), "porch".to_string()],
                    primary: "porch".to_string(),
                },
                JournalStep::SidecarsDone,
                JournalStep::SummaryDone {
                    path: PathBuf::from(format!("{FINISHED}_summary.mp4")),
                },
                JournalStep::Notified {
                    status: Status::ClipReady,
                },
                JournalStep::Finished,
            ],
        );
        let open = root.join("events").join(OPEN);
        std::fs::create_dir_all(&open).unwrap();
        journal(
            &open,
            &[
                opened("ce_1700000500_00c0ffee", OPEN, 1_700_000_500.0),
                joined("c", "porch", 1_700_000_500.0),
            ],
        );
        Storage { _dir: dir, root }
    }

    /// Starts the API on a free port; `active` lists folders the service
    /// still works on.
    fn serve(&self, token: Option<&str>, active: &'static [&'static str]) -> ApiServer {
        api_server(
            &self.root,
            token,
            || "frigate_buffer_ces_total 3\n".to_string(),
            move |folder| active.contains(&folder),
        )
    }
}

/// An agent that returns 4xx/5xx responses instead of failing on them.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn url(server: &ApiServer, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

/// Status and body of a GET.
fn get(server: &ApiServer, path: &str) -> (u16, Vec<u8>) {
    let mut response = agent().get(url(server, path)).call().unwrap();
    let body = response.body_mut().read_to_vec().unwrap();
    (response.status().as_u16(), body)
}

fn get_json(server: &ApiServer, path: &str) -> Value {
    let (status, body) = get(server, path);
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// Sends `target` verbatim in the request line (no client-side normalising)
/// and returns the status and the raw bytes of the whole response.
fn raw_get(server: &ApiServer, target: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let status = String::from_utf8_lossy(&response[..12])
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (status, response)
}

fn find<'a>(events: &'a Value, folder: &str) -> &'a Value {
    events
        .as_array()
        .unwrap()
        .iter()
        .find(|ce| ce["folder"] == folder)
        .unwrap_or_else(|| panic!("{folder} not listed in {events}"))
}

#[test]
fn index_lists_both_ces_newest_first_with_their_files() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    let events = get_json(&server, "/api/events");
    let folders: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|ce| ce["folder"].as_str().unwrap())
        .collect();
    assert_eq!(folders, [OPEN, FINISHED]);

    let base = format!("/files/events/{FINISHED}");
    let expected = serde_json::json!({
        "id": FINISHED_ID,
        "folder": FINISHED,
        "saved": false,
        "status": "finished",
        "start_time": 1_700_000_000.5,
        "end_time": 1_700_000_030.0,
        "cameras": ["porch", "drive"],
        "title": "Courier at the door",
        "description": "A courier leaves a parcel.",
        "threat_level": 1,
        "links": {
            "summary": format!("{base}/{FINISHED}_summary.mp4"),
            "gif": format!("{base}/notification.gif"),
            "analysis": format!("{base}/analysis_result.json"),
            "clips": {"drive": format!("{base}/drive/drive-1.mp4"), "porch": format!("{base}/porch/porch-1.mp4")},
            "sidecars": {"drive": format!("{base}/drive/detection.json"), "porch": format!("{base}/porch/detection.json")},
            "posters": {"drive": format!("{base}/drive/poster.jpg"), "porch": format!("{base}/porch/snapshot.jpg")},
            "summary_poster": format!("{base}/porch/snapshot.jpg"),
            "metadata": format!("{base}/metadata.json"),
            "player": format!("/player/{FINISHED}"),
        },
    });
    assert_eq!(find(&events, FINISHED), &expected);

    let open = find(&events, OPEN);
    assert_eq!(open["status"], "open");
    assert_eq!(open["end_time"], Value::Null);
    assert_eq!(open["title"], Value::Null);
    assert_eq!(open["links"]["summary"], Value::Null);

    assert_eq!(get_json(&server, &format!("/api/events/{FINISHED_ID}")), expected);
    assert_eq!(get_json(&server, &format!("/api/events/{FINISHED}")), expected);
    assert_eq!(get(&server, "/api/events/ce_1_deadbeef").0, 404);

    let (status, body) = get(&server, expected["links"]["gif"].as_str().unwrap());
    assert_eq!((status, body.as_slice()), (200, GIF));
    server.stop().unwrap();
}

#[test]
fn healthz_metrics_and_content_types() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    assert_eq!(get(&server, "/healthz"), (200, b"ok".to_vec()));
    let mut metrics = agent().get(url(&server, "/metrics")).call().unwrap();
    assert_eq!(
        metrics.headers()["content-type"].to_str().unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(
        metrics.body_mut().read_to_string().unwrap(),
        "frigate_buffer_ces_total 3\n"
    );
    for (file, content_type) in [
        (format!("{FINISHED}_summary.mp4"), "video/mp4"),
        ("notification.gif".to_string(), "image/gif"),
        ("analysis_result.json".to_string(), "application/json"),
    ] {
        let response = agent()
            .get(url(&server, &format!("/files/events/{FINISHED}/{file}")))
            .call()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], content_type, "{file}");
        assert_eq!(response.headers()["accept-ranges"], "bytes");
    }
}

#[test]
fn traversal_and_symlink_escape_never_serve_the_outside_file() {
    let storage = Storage::new();
    let passwd = std::fs::read("/etc/passwd").unwrap();
    let leaked = |response: &[u8]| {
        response
            .windows(passwd.len().min(32))
            .any(|w| w == &passwd[..passwd.len().min(32)])
    };
    let server = storage.serve(None, &[]);
    for target in [
        "/files/../etc/passwd".to_string(),
        "/files/..%2f..%2fetc%2fpasswd".to_string(),
        "/files/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd".to_string(),
        "/files//etc/passwd".to_string(),
        "/files/%2fetc%2fpasswd".to_string(),
        format!("/files/events/{FINISHED}/leak.txt"),
        format!("/files/events/{FINISHED}/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd"),
    ] {
        let (status, response) = raw_get(&server, &target);
        assert!(status == 403 || status == 404, "{target}: status {status}");
        assert!(!leaked(&response), "{target} leaked /etc/passwd");
    }
}

#[test]
fn token_guards_everything_but_healthz() {
    let storage = Storage::new();
    let server = storage.serve(Some(TOKEN), &[]);
    let summary = format!("/files/events/{FINISHED}/{FINISHED}_summary.mp4");
    for path in ["/", "/metrics", "/api/events", summary.as_str()] {
        assert_eq!(get(&server, path).0, 401, "{path} without a token");
        let wrong = agent()
            .get(url(&server, path))
            .header("Authorization", "Bearer s3cret-tokeN")
            .call()
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path} with a wrong token");
        let right = agent()
            .get(url(&server, path))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .call()
            .unwrap();
        assert_eq!(right.status(), 200, "{path} with the token");
    }
    let delete = agent()
        .delete(url(&server, &format!("/api/events/{FINISHED}")))
        .call()
        .unwrap();
    assert_eq!(delete.status(), 401);
    assert!(storage.root.join("events").join(FINISHED).is_dir());
    assert_eq!(get(&server, "/healthz"), (200, b"ok".to_vec()));
}

/// A ranged GET: status, `Content-Range`, body.
fn ranged(server: &ApiServer, path: &str, range: &str) -> (u16, Option<String>, Vec<u8>) {
    let mut response = agent().get(url(server, path)).header("Range", range).call().unwrap();
    let content_range = response
        .headers()
        .get("content-range")
        .map(|value| value.to_str().unwrap().to_string());
    let body = response.body_mut().read_to_vec().unwrap();
    (response.status().as_u16(), content_range, body)
}

#[test]
fn range_requests_return_exactly_the_asked_bytes() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    let path = format!("/files/events/{FINISHED}/porch/porch-1.mp4");
    let mp4 = sample_mp4();
    let len = mp4.len();
    assert!(len > 1000, "test clip unexpectedly small: {len} bytes");

    let (status, content_range, body) = ranged(&server, &path, "bytes=100-199");
    assert_eq!(status, 206);
    assert_eq!(content_range.unwrap(), format!("bytes 100-199/{len}"));
    assert_eq!(body, &mp4[100..=199]);

    let (status, content_range, body) = ranged(&server, &path, "bytes=-10");
    assert_eq!(status, 206);
    assert_eq!(content_range.unwrap(), format!("bytes {}-{}/{len}", len - 10, len - 1));
    assert_eq!(body, &mp4[len - 10..]);

    let (status, content_range, body) = ranged(&server, &path, &format!("bytes={}-", len - 5));
    assert_eq!((status, body.as_slice()), (206, &mp4[len - 5..]));
    assert_eq!(content_range.unwrap(), format!("bytes {}-{}/{len}", len - 5, len - 1));

    let (status, content_range, _) = ranged(&server, &path, &format!("bytes={len}-"));
    assert_eq!(status, 416);
    assert_eq!(content_range.unwrap(), format!("bytes */{len}"));

    let (status, body) = get(&server, &path);
    assert_eq!((status, body.as_slice()), (200, mp4));
}

#[test]
fn keep_moves_the_folder_to_saved() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    let response = agent()
        .post(url(&server, &format!("/api/events/{FINISHED_ID}/keep")))
        .send_empty()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!storage.root.join("events").join(FINISHED).exists());
    assert!(storage
        .root
        .join("saved/events")
        .join(FINISHED)
        .join("journal.jsonl")
        .is_file());

    let kept = find(&get_json(&server, "/api/events"), FINISHED).clone();
    assert_eq!(kept["saved"], true);
    assert_eq!(kept["status"], "finished");
    let summary = format!("/files/saved/events/{FINISHED}/{FINISHED}_summary.mp4");
    assert_eq!(kept["links"]["summary"], summary.as_str());
    assert_eq!(get(&server, &summary), (200, sample_mp4().to_vec()));
}

#[test]
fn delete_removes_the_folder() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    let response = agent()
        .delete(url(&server, &format!("/api/events/{FINISHED}")))
        .call()
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(!storage.root.join("events").join(FINISHED).exists());
    let events = get_json(&server, "/api/events");
    assert_eq!(events.as_array().unwrap().len(), 1);
    let again = agent()
        .delete(url(&server, &format!("/api/events/{FINISHED}")))
        .call()
        .unwrap();
    assert_eq!(again.status(), 404);
    let outside = agent().delete(url(&server, "/api/events/..%2f..")).call().unwrap();
    assert_eq!(outside.status(), 404);
    assert!(storage.root.join("events").join(OPEN).is_dir());
}

#[test]
fn active_ce_cannot_be_kept_or_deleted() {
    let storage = Storage::new();
    let server = storage.serve(None, &[OPEN]);
    let keep = agent()
        .post(url(&server, &format!("/api/events/{OPEN}/keep")))
        .send_empty()
        .unwrap();
    assert_eq!(keep.status(), 409);
    let delete = agent()
        .delete(url(&server, "/api/events/ce_1700000500_00c0ffee"))
        .call()
        .unwrap();
    assert_eq!(delete.status(), 409);
    assert!(storage.root.join("events").join(OPEN).join("journal.jsonl").is_file());
    assert!(!storage.root.join("saved").exists());
}

#[test]
fn stop_closes_the_port() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    let addr = server.local_addr();
    assert_eq!(get(&server, "/healthz").0, 200);
    let started = Instant::now();
    server.stop().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn viewer_lists_the_ce_and_plays_its_summary() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    // Media loads in real time while the page runs on virtual time, so on a busy machine the
    // DOM can be dumped before the video's metadata arrived: load the page again, at most
    // three times, before judging.
    let mut dom = dump_dom(&url(&server, "/"));
    for _ in 0..2 {
        if dom.contains("data-summary-duration=\"") {
            break;
        }
        dom = dump_dom(&url(&server, "/"));
    }
    assert!(
        dom.contains(&format!("data-ce-id=\"{FINISHED_ID}\"")),
        "CE not listed:\n{dom}"
    );
    assert!(dom.contains("Courier at the door"), "title missing:\n{dom}");
    assert!(dom.contains("threat medium"), "threat badge missing:\n{dom}");
    let duration: f64 = dom
        .split("data-summary-duration=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no data-summary-duration in the DOM:\n{dom}"))
        .parse()
        .unwrap();
    assert!((duration - 3.0).abs() <= 0.1, "summary duration {duration}");
}

/// The attributes of every element of `dom` whose opening tag starts with
/// `tag` and carries `marker`, as name → value maps, in document order.
fn elements(dom: &str, tag: &str, marker: &str) -> Vec<std::collections::HashMap<String, String>> {
    dom.split('<')
        .filter(|text| text.starts_with(tag) && text.split('>').next().is_some_and(|open| open.contains(marker)))
        .map(|text| {
            let open = text.split('>').next().unwrap();
            open.split('"')
                .collect::<Vec<_>>()
                .chunks(2)
                .filter(|pair| pair.len() == 2)
                .map(|pair| {
                    let name = pair[0].trim().trim_end_matches('=').rsplit(' ').next().unwrap();
                    (name.to_string(), pair[1].to_string())
                })
                .collect()
        })
        .collect()
}

/// The player page of `ce` as headless Chromium leaves it once the page
/// has drawn everything (loaded again, at most three times, on a slow machine).
fn player_dom(server: &ApiServer, ce: &str, token: Option<&str>) -> String {
    let query = token.map(|token| format!("?access_token={token}")).unwrap_or_default();
    let page = url(server, &format!("/player/{ce}{query}"));
    let mut dom = dump_dom(&page);
    for _ in 0..2 {
        if dom.contains("data-loaded=\"true\"") {
            break;
        }
        dom = dump_dom(&page);
    }
    assert!(
        dom.contains("data-loaded=\"true\""),
        "the player never finished loading:\n{dom}"
    );
    dom
}

/// What the player page of the finished CE must show, with or without a token.
fn assert_finished_player(server: &ApiServer, token: Option<&str>) {
    let dom = player_dom(server, FINISHED, token);

    // The camera timeline: one segment per run of the recorded plan, in order.
    let runs = finished_timeline();
    let expected: Vec<&str> = runs.iter().map(|run| run.camera.as_str()).collect();
    assert_eq!(expected, ["porch", "drive", "porch"], "the fixture's plan cuts twice");
    let segments: Vec<String> = elements(&dom, "rect", "class=\"segment\"")
        .into_iter()
        .map(|segment| segment["data-camera"].clone())
        .collect();
    assert_eq!(segments, expected, "timeline segments:\n{dom}");

    // The detection chart: 41 seconds per camera, one bar each; at most one
    // person on porch, two on drive (at 15 s).
    let charts = elements(&dom, "svg", "class=\"detections\"");
    let summary: Vec<(&str, &str, &str)> = charts
        .iter()
        .map(|chart| {
            (
                chart["data-camera"].as_str(),
                chart["data-seconds"].as_str(),
                chart["data-peak"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("drive", "41", "2"), ("porch", "41", "1")],
        "detection charts"
    );
    let bars = elements(&dom, "rect", "class=\"bar\"");
    assert_eq!(bars.len(), 82);
    assert_eq!(bars.iter().filter(|bar| bar["data-count"] == "2").count(), 1);

    // The AI analysis.
    assert!(
        dom.contains("class=\"analysis-title\">Courier at the door"),
        "AI title missing:\n{dom}"
    );
    assert!(dom.contains("A courier leaves a parcel."), "description missing");

    // Every video has a poster with the subject in view, and it is served.
    let videos = elements(&dom, "video", "poster=");
    assert_eq!(elements(&dom, "video", "").len(), 3, "summary and two clips:\n{dom}");
    assert_eq!(videos.len(), 3, "every video has a poster:\n{dom}");
    let suffix = token.map(|token| format!("?access_token={token}")).unwrap_or_default();
    let base = format!("/files/events/{FINISHED}");
    let posters: Vec<&str> = videos.iter().map(|video| video["poster"].as_str()).collect();
    assert_eq!(
        posters,
        [
            format!("{base}/porch/snapshot.jpg{suffix}"),
            format!("{base}/porch/snapshot.jpg{suffix}"),
            format!("{base}/drive/poster.jpg{suffix}"),
        ],
        "summary, porch, drive"
    );
    for poster in posters {
        let (status, body) = get(server, poster);
        assert_eq!(status, 200, "{poster}");
        assert_eq!(&body[..3], b"\xff\xd8\xff", "{poster} is not a JPEG");
    }
    for video in &videos {
        assert_eq!(get(server, &video["src"]).0, 200, "{}", video["src"]);
    }
}

#[test]
fn player_shows_timeline_detections_analysis_and_posters() {
    let storage = Storage::new();
    let server = storage.serve(None, &[]);
    assert_finished_player(&server, None);

    // A CE with nothing made yet says so instead of breaking.
    let dom = player_dom(&server, OPEN, None);
    for note in [
        "No summary video yet (open).",
        "No camera timeline recorded for this CE yet.",
        "No detections yet: no camera has a sidecar.",
        "No AI analysis for this CE.",
        "No clip for this camera.",
    ] {
        assert!(dom.contains(note), "{note:?} missing:\n{dom}");
    }

    // Unknown CEs and paths that try to leave the index are 404.
    assert_eq!(get(&server, "/player/ce_1_deadbeef").0, 404);
    assert_eq!(get(&server, "/player/1_deadbeef").0, 404);
    for target in [
        "/player/..%2f..%2f..%2fetc%2fpasswd",
        "/player/%2e%2e",
        "/player/../files/events",
        "/player/events%2f1700000000_0badf00d",
    ] {
        let (status, response) = raw_get(&server, target);
        assert_eq!(status, 404, "{target}: {}", String::from_utf8_lossy(&response));
    }
    server.stop().unwrap();
}

#[test]
fn player_behind_a_token_sends_it_for_its_data_and_media() {
    let storage = Storage::new();
    let server = storage.serve(Some(TOKEN), &[]);
    let page = format!("/player/{FINISHED}");
    assert_eq!(get(&server, &page).0, 401, "no token");
    assert_eq!(
        get(&server, &format!("{page}?access_token=wrong")).0,
        401,
        "wrong token"
    );
    assert_finished_player(&server, Some(TOKEN));
    server.stop().unwrap();
}

#[test]
fn viewer_behind_a_token_lists_the_ce_with_its_poster() {
    let storage = Storage::new();
    let server = storage.serve(Some(TOKEN), &[]);
    let dom = dump_dom(&url(&server, &format!("/?access_token={TOKEN}")));
    assert!(
        dom.contains(&format!("data-ce-id=\"{FINISHED_ID}\"")),
        "CE not listed behind the token:\n{dom}"
    );
    let videos = elements(&dom, "video", "poster=");
    assert_eq!(videos.len(), 1, "{dom}");
    let poster = &videos[0]["poster"];
    assert_eq!(
        poster,
        &format!("/files/events/{FINISHED}/porch/snapshot.jpg?access_token={TOKEN}")
    );
    let (status, body) = get(&server, poster);
    assert_eq!((status, &body[..3]), (200, &b"\xff\xd8\xff"[..]));
    server.stop().unwrap();
}
