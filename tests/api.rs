//! The HTTP API against a storage folder built by hand: the CE index, files
//! with ranges, containment, the bearer token, keep and delete, and the
//! viewer page in a real headless browser.

mod common;

use common::browser::dump_dom;
use frigate_buffer::api::{spawn_api, ApiConfig, ApiHooks, ApiServer};
use frigate_buffer::ce::journal::{append, JournalStep};
use frigate_buffer::notify::Status;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
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
            std::fs::write(finished.join(camera).join("detection.json"), "{}").unwrap();
        }
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
        let config = ApiConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            storage: self.root.clone(),
            token: token.map(str::to_string),
            stats_refresh: Duration::from_secs(60),
        };
        let hooks = ApiHooks {
            metrics: Arc::new(|| "frigate_buffer_ces_total 3\n".to_string()),
            is_active: Arc::new(move |folder| active.contains(&folder)),
        };
        spawn_api(config, hooks).unwrap()
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
