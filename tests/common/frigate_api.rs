//! A local stand-in for the part of Frigate's HTTP API that the fetch side uses (exports of 0.17 and
//! 0.18, event and range clips, snapshots, live frames), serving real files, with switches for the
//! failures the fetch side must survive: 5xx bursts, slow answers, connections cut mid-body, exports
//! that never finish, cameras without recordings, recordings that trickle forever, redirects. Every
//! request is counted by path.
//!
//! It listens on 127.0.0.1, on a port the OS picks, and stops when dropped.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::pushover_api::http_request::HttpRequest;
use serde_json::{json, Value};

/// Which Frigate generation the server imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    /// Frigate 0.17: poll `GET /api/exports`, delete with `DELETE /api/export/{id}`, no jobs route.
    #[default]
    V017,
    /// Frigate 0.18: 202 on start, `GET /api/exports/{id}` (404 while queued), `GET /api/jobs/export`,
    /// delete with `POST /api/exports/delete {"ids": [...]}`.
    V018,
}

/// What the server holds and how it misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Camera name → the MP4 (or any file) served as that camera's recordings. A camera not listed
    /// has no recordings: export start answers 400, clips answer 404.
    pub clips: HashMap<String, PathBuf>,
    /// Event id → camera; an event's clip is its camera's file.
    pub events: HashMap<String, String>,
    /// The JPEG served for every snapshot of a known event and every live frame of a known camera.
    pub jpeg: Option<PathBuf>,
    /// The Frigate generation imitated.
    pub flavour: Flavour,
    /// Status looks (`/api/exports`, `/api/exports/{id}`) during which a new export is still running.
    pub export_looks_until_done: usize,
    /// When set, exports stay queued/running forever.
    pub export_never_finishes: bool,
    /// The first this-many requests of every path answer 500.
    pub failures_per_path: usize,
    /// Every answer is held back this long.
    pub delay: Duration,
    /// The first this-many file downloads send half the body and then close the connection.
    pub cut_downloads: usize,
    /// Cameras whose recordings (export files, event clips, range clips) trickle: the file's bytes,
    /// over and over, 1 KiB every 50 ms, without a length, until the client hangs up.
    pub trickle_cameras: HashSet<String>,
    /// When set, every file answer is a 302 to `http://<this host>:<the server's port>/redirected<path>`,
    /// which serves the file; `127.0.0.1` keeps the client on the server's own origin, `localhost`
    /// reaches the same server under another host name.
    pub redirect_files_via: Option<String>,
}

impl Setup {
    /// A server with one camera whose recordings are `clip`, and the given events of that camera.
    pub fn with_clip(camera: &str, clip: &Path, event_ids: &[&str]) -> Setup {
        Setup {
            clips: HashMap::from([(camera.to_string(), clip.to_path_buf())]),
            events: event_ids
                .iter()
                .map(|id| (id.to_string(), camera.to_string()))
                .collect(),
            export_looks_until_done: 1,
            ..Setup::default()
        }
    }
}

/// One export the server knows.
#[derive(Debug)]
struct Export {
    /// The camera exported.
    camera: String,
    /// Status looks so far.
    looks: usize,
}

/// Everything the connection threads share.
#[derive(Debug, Default)]
struct State {
    /// The setup the server was started with.
    setup: Setup,
    /// Exports not deleted yet, by id.
    exports: BTreeMap<String, Export>,
    /// Exports ever started (numbers the ids).
    started: usize,
    /// Requests per path (query excluded).
    hits: HashMap<String, usize>,
    /// `METHOD path` of every request, in order.
    log: Vec<String>,
    /// File downloads still to be cut mid-body.
    cuts_left: usize,
    /// The server's port, for redirects.
    port: u16,
    /// Trickling answers begun.
    trickles_started: usize,
    /// Trickling answers whose client has not hung up yet.
    trickles_open: usize,
    /// Set when the server stops, so trickling answers end.
    stopping: bool,
}

impl State {
    /// Whether export `id` is finished after its looks so far.
    fn finished(&self, export: &Export) -> bool {
        !self.setup.export_never_finishes && export.looks > self.setup.export_looks_until_done
    }

    /// The export as Frigate lists it.
    fn entry(&self, id: &str, export: &Export) -> Value {
        json!({
            "id": id,
            "camera": export.camera,
            "name": format!("export {id}"),
            "date": 1700000000.0,
            "video_path": format!("/media/frigate/exports/{id}.mp4"),
            "thumb_path": format!("/media/frigate/clips/export/{id}.webp"),
            "in_progress": !self.finished(export),
        })
    }
}

/// A parsed request.
#[derive(Debug)]
struct Request {
    /// `GET`, `POST`, `DELETE`.
    method: String,
    /// The path without its query.
    path: String,
    /// The body, as text.
    body: String,
}

/// What the server answers.
enum Reply {
    /// A status with a JSON body.
    Json(u16, Value),
    /// A 200 with this file's bytes.
    File(PathBuf, &'static str),
    /// A 200 with this file's bytes sent slowly, over and over, until the client hangs up.
    Trickle(PathBuf),
    /// A status without a useful body.
    Status(u16),
}

/// The running stand-in server.
pub struct FrigateApi {
    /// Where it listens.
    address: SocketAddr,
    /// Shared with the connection threads.
    state: Arc<Mutex<State>>,
    /// Tells the accept loop to end.
    stop: Arc<AtomicBool>,
    /// The accept loop.
    acceptor: Option<JoinHandle<()>>,
}

impl FrigateApi {
    /// Starts a server with `setup` on 127.0.0.1 and a free port.
    pub fn start(setup: Setup) -> FrigateApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let cuts_left = setup.cut_downloads;
        let state = Arc::new(Mutex::new(State {
            setup,
            cuts_left,
            port: address.port(),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let state = Arc::clone(&state);
                        thread::spawn(move || serve(stream, &state));
                    }
                }
            })
        };
        FrigateApi {
            address,
            state,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// The base URL to give the client, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How many requests reached `path` (any method).
    pub fn hits(&self, path: &str) -> usize {
        self.state.lock().unwrap().hits.get(path).copied().unwrap_or(0)
    }

    /// `METHOD path` of every request so far, in order.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// Ids of the exports not deleted yet.
    pub fn live_exports(&self) -> Vec<String> {
        self.state.lock().unwrap().exports.keys().cloned().collect()
    }

    /// How many exports were started.
    pub fn exports_started(&self) -> usize {
        self.state.lock().unwrap().started
    }

    /// How many trickling answers were begun.
    pub fn trickles_started(&self) -> usize {
        self.state.lock().unwrap().trickles_started
    }

    /// How many trickling answers are still being sent (their client has not hung up).
    pub fn trickles_open(&self) -> usize {
        self.state.lock().unwrap().trickles_open
    }
}

impl Drop for FrigateApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.state.lock().unwrap().stopping = true;
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Serves one connection: one request, one answer, then close.
fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(mut request) = read_request(&stream) else {
        return;
    };
    let (delay, fail) = {
        let mut state = state.lock().unwrap();
        state.log.push(format!("{} {}", request.method, request.path));
        let hits = state.hits.entry(request.path.clone()).or_insert(0);
        *hits += 1;
        let hits = *hits;
        (state.setup.delay, hits <= state.setup.failures_per_path)
    };
    thread::sleep(delay);
    let redirected = request.path.strip_prefix("/redirected").map(str::to_string);
    if let Some(path) = &redirected {
        request.path = path.clone();
    }
    let reply = if fail {
        Reply::Status(500)
    } else {
        route(&request, &mut state.lock().unwrap())
    };
    let redirect_via = state.lock().unwrap().setup.redirect_files_via.clone();
    if let (Some(host), None, Reply::File(..) | Reply::Trickle(_)) = (redirect_via, &redirected, &reply) {
        let port = state.lock().unwrap().port;
        let head = format!(
            "HTTP/1.1 302 Found\r\nLocation: http://{host}:{port}/redirected{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            request.path
        );
        let _ = stream.write_all(head.as_bytes());
        return;
    }
    match reply {
        Reply::Trickle(path) => trickle(&mut stream, &path, state),
        Reply::Json(status, value) => {
            write_answer(&mut stream, status, "application/json", value.to_string().as_bytes())
        }
        Reply::Status(status) => write_answer(&mut stream, status, "text/plain", format!("status {status}").as_bytes()),
        Reply::File(path, content_type) => {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let cut = {
                let mut state = state.lock().unwrap();
                let cut = state.cuts_left > 0;
                state.cuts_left = state.cuts_left.saturating_sub(1);
                cut
            };
            if cut {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    bytes.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&bytes[..bytes.len() / 2]);
                let _ = stream.flush();
                let _ = stream.shutdown(Shutdown::Both);
            } else {
                write_answer(&mut stream, 200, content_type, &bytes);
            }
        }
    }
}

/// Sends `path`'s bytes over and over, 1 KiB every 50 ms, without a length, until the client hangs
/// up or the server stops; counted in the state while it lasts.
fn trickle(stream: &mut TcpStream, path: &Path, state: &Mutex<State>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    {
        let mut state = state.lock().unwrap();
        state.trickles_started += 1;
        state.trickles_open += 1;
    }
    let head = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n";
    let mut sent = stream.write_all(head.as_bytes());
    for chunk in bytes.chunks(1024).cycle() {
        if sent.is_err() || state.lock().unwrap().stopping {
            break;
        }
        sent = stream.write_all(chunk).and_then(|()| stream.flush());
        thread::sleep(Duration::from_millis(50));
    }
    state.lock().unwrap().trickles_open -= 1;
}

/// Reads the request line, headers and body.
fn read_request(stream: &TcpStream) -> Option<Request> {
    let request = HttpRequest::read(&mut BufReader::new(stream)).ok()?;
    let mut parts = request.request_line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?;
    let path = target.split('?').next().unwrap_or(target).to_string();
    Some(Request {
        method,
        path,
        body: String::from_utf8_lossy(&request.body).into_owned(),
    })
}

/// Writes a complete answer.
fn write_answer(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// The reason phrase of the statuses the server uses.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Internal Server Error",
    }
}

/// Answers one request from the state.
fn route(request: &Request, state: &mut State) -> Reply {
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let v018 = state.setup.flavour == Flavour::V018;
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["api", "jobs", "export"]) if v018 => {
            let jobs: Vec<Value> = state
                .exports
                .iter()
                .filter(|(_, export)| !state.finished(export))
                .map(|(id, export)| json!({"id": id, "camera": export.camera, "status": "queued"}))
                .collect();
            Reply::Json(200, Value::Array(jobs))
        }
        ("POST", ["api", "export", camera, "start", _, "end", _]) => start_export(state, camera),
        ("GET", ["api", "exports"]) => {
            for export in state.exports.values_mut() {
                export.looks += 1;
            }
            let entries = state
                .exports
                .iter()
                .map(|(id, export)| state.entry(id, export))
                .collect();
            Reply::Json(200, Value::Array(entries))
        }
        ("GET", ["api", "exports", id]) => {
            let Some(export) = state.exports.get_mut(*id) else {
                return Reply::Status(404);
            };
            export.looks += 1;
            let queued = v018 && export.looks <= state.setup.export_looks_until_done;
            let export = &state.exports[*id];
            if queued {
                Reply::Json(404, json!({"success": false, "message": "Export not found"}))
            } else {
                Reply::Json(200, state.entry(id, export))
            }
        }
        ("DELETE", ["api", "export", id]) if !v018 => match state.exports.remove(*id) {
            Some(_) => Reply::Json(200, json!({"success": true, "message": "Successfully deleted export."})),
            None => Reply::Json(404, json!({"success": false, "message": "Export not found."})),
        },
        ("POST", ["api", "exports", "delete"]) if v018 => delete_exports(state, &request.body),
        ("GET", ["exports", file]) => {
            let id = file.strip_suffix(".mp4").unwrap_or(file);
            match state.exports.get(id) {
                Some(export) if state.finished(export) => recording(state, &export.camera),
                _ => Reply::Status(404),
            }
        }
        ("GET", ["api", "events", id, "clip.mp4"]) => match state.setup.events.get(*id) {
            Some(camera) => recording(state, camera),
            None => Reply::Status(404),
        },
        ("GET", ["api", camera, "start", _, "end", _, "clip.mp4"]) => recording(state, camera),
        ("GET", ["api", "events", id, "snapshot.jpg"]) if state.setup.events.contains_key(*id) => jpeg(state),
        ("GET", ["api", camera, "latest.jpg"]) if state.setup.clips.contains_key(*camera) => jpeg(state),
        _ => Reply::Status(404),
    }
}

/// Starts an export of `camera`, as Frigate does: 400 without recordings.
fn start_export(state: &mut State, camera: &str) -> Reply {
    if !state.setup.clips.contains_key(camera) {
        return Reply::Json(
            400,
            json!({"success": false, "message": "No recordings found for time range"}),
        );
    }
    state.started += 1;
    let id = format!("{camera}_{:06}", state.started);
    state.exports.insert(
        id.clone(),
        Export {
            camera: camera.to_string(),
            looks: 0,
        },
    );
    match state.setup.flavour {
        Flavour::V017 => Reply::Json(
            200,
            json!({"success": true, "message": "Starting export of recording.", "export_id": id}),
        ),
        Flavour::V018 => Reply::Json(
            202,
            json!({"success": true, "message": "Export queued.", "export_id": id, "status": "queued"}),
        ),
    }
}

/// Frigate 0.18's bulk delete: all ids must exist, else 404 and nothing deleted.
fn delete_exports(state: &mut State, body: &str) -> Reply {
    let ids: Vec<String> = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|body| serde_json::from_value(body["ids"].clone()).ok())
        .unwrap_or_default();
    if ids.is_empty() {
        return Reply::Status(422);
    }
    if !ids.iter().all(|id| state.exports.contains_key(id)) {
        return Reply::Json(404, json!({"success": false, "message": "Export not found."}));
    }
    for id in &ids {
        state.exports.remove(id);
    }
    Reply::Json(
        200,
        json!({"success": true, "message": "Successfully deleted exports."}),
    )
}

/// The camera's recording file (trickling for a trickle camera), or 404 when it has none.
fn recording(state: &State, camera: &str) -> Reply {
    match state.setup.clips.get(camera) {
        Some(path) if state.setup.trickle_cameras.contains(camera) => Reply::Trickle(path.clone()),
        Some(path) => Reply::File(path.clone(), "video/mp4"),
        None => Reply::Status(404),
    }
}

/// The configured JPEG, or 404.
fn jpeg(state: &State) -> Reply {
    match &state.setup.jpeg {
        Some(path) => Reply::File(path.clone(), "image/jpeg"),
        None => Reply::Status(404),
    }
}

/// A real 2 s, 320×240, 20 fps H.264 MP4 (faststart), made once per build by FFmpeg.
pub fn ffmpeg_test_clip() -> PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        ffmpeg_output(
            "frigate-api-clip.mp4",
            &[
                "-t",
                "2",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
            ],
        )
    })
    .clone()
}

/// A real 320×240 JPEG, made once per build by FFmpeg.
pub fn ffmpeg_test_jpeg() -> PathBuf {
    static JPEG: OnceLock<PathBuf> = OnceLock::new();
    JPEG.get_or_init(|| ffmpeg_output("frigate-api-frame.jpg", &["-frames:v", "1"]))
        .clone()
}

/// Renders FFmpeg's `testsrc2` with `args` to `name` in the build's test folder, unless already there.
fn ffmpeg_output(name: &str, args: &[&str]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if path.exists() {
        return path;
    }
    // Rendered under a private name first, so a concurrent test binary never reads a half file.
    let partial = path.with_file_name(format!(".{}.{name}", std::process::id()));
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=20",
        ])
        .args(args)
        .arg(&partial)
        .status()
        .expect("running ffmpeg");
    assert!(status.success(), "ffmpeg failed to make {name}");
    std::fs::rename(&partial, &path).unwrap();
    path
}
