//! The stats and daily review API under hostile storage and clients: journals that are pipes or
//! endless devices, a report file that is a pipe, a burst of simultaneous stats requests, dates
//! that try to name other files, and the token rule of the open pages.

use crate::common::api_server::api_server;
use frigate_buffer::api::ApiServer;
use frigate_buffer::ce::journal::{append, JournalStep};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The API over `storage`; `metrics_calls` counts the metrics hook's calls (one per stats
/// computation).
fn api(storage: &Path, token: Option<&str>, metrics_calls: Arc<AtomicUsize>) -> ApiServer {
    let metrics = move || {
        metrics_calls.fetch_add(1, Ordering::SeqCst);
        // Slow enough that simultaneous requests overlap with the first computation.
        std::thread::sleep(Duration::from_millis(300));
        String::new()
    };
    api_server(storage, token, metrics, |_| false)
}

/// Status and body of a GET that must be answered within 30 s.
fn get(server: &ApiServer, path: &str, token: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut request = agent.get(format!("http://{}{path}", server.local_addr()));
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap_or_else(|error| panic!("{path}: {error}"));
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

/// A CE folder `events/<name>` with an opened line.
fn opened_ce(storage: &Path, name: &str) -> std::path::PathBuf {
    let folder = storage.join("events").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let opened = JournalStep::Opened {
        ce_id: format!("ce_{name}"),
        folder: name.to_string(),
        camera: "porch".to_string(),
        label: "person".to_string(),
        start_time: 1_700_000_000.0,
    };
    append(&folder, 1_700_000_000.0, &opened).unwrap();
    folder
}

/// Makes a named pipe at `path`.
fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn pipe_and_device_journals_are_counted_unreadable_not_read() {
    let storage = tempfile::tempdir().unwrap();
    opened_ce(storage.path(), "1700000000_00000001");
    let piped = storage.path().join("events/1700000000_00000002");
    std::fs::create_dir_all(&piped).unwrap();
    fifo(&piped.join("journal.jsonl"));
    let endless = storage.path().join("events/1700000000_00000003");
    std::fs::create_dir_all(&endless).unwrap();
    std::os::unix::fs::symlink("/dev/zero", endless.join("journal.jsonl")).unwrap();
    let server = api(storage.path(), None, Arc::default());
    let (status, body) = get(&server, "/api/stats", None);
    assert_eq!(status, 200, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stats["total_ces"], 1, "{body}");
    assert_eq!(stats["unreadable_journals"], 2, "{body}");
}

#[test]
fn a_burst_of_stats_requests_reads_the_journals_once() {
    let storage = tempfile::tempdir().unwrap();
    opened_ce(storage.path(), "1700000000_00000001");
    let calls = Arc::new(AtomicUsize::new(0));
    let server = Arc::new(api(storage.path(), None, calls.clone()));
    let requests: Vec<_> = (0..12)
        .map(|_| {
            let server = server.clone();
            std::thread::spawn(move || get(&server, "/api/stats", None).0)
        })
        .collect();
    for request in requests {
        assert_eq!(request.join().unwrap(), 200);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "figures computed more than once within the refresh"
    );
}

#[test]
fn dates_that_name_other_files_are_refused_and_a_piped_report_fails_cleanly() {
    let storage = tempfile::tempdir().unwrap();
    let reports = storage.path().join("daily_reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(storage.path().join("secret.json"), "{\"markdown\": \"secret\"}").unwrap();
    fifo(&reports.join("2026-03-01.json"));
    let server = api(storage.path(), Some("t0ken"), Arc::default());
    for bad in [
        "..%2Fsecret",
        "..%2F..%2Fetc%2Fpasswd",
        "2026-03-01%2F..%2F..%2Fsecret",
        "%2E%2E",
        "2026-03-01.json",
        "+2026-03-01",
        "2026-03-01%00",
        &"9".repeat(4000),
    ] {
        let (status, body) = get(&server, &format!("/api/daily/{bad}"), Some("t0ken"));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(!body.contains("secret\""), "{body}");
    }
    let (status, body) = get(&server, "/api/daily/2026-03-01", Some("t0ken"));
    assert_eq!(status, 500, "{body}");
    assert!(
        !body.contains(&storage.path().display().to_string()),
        "path leaked: {body}"
    );
    // The pages are open but hold no data; their data is not, whatever the query says.
    assert_eq!(get(&server, "/stats", None).0, 200);
    assert_eq!(get(&server, "/daily", None).0, 200);
    assert_eq!(get(&server, "/api/stats?token=t0ken", None).0, 401);
    assert_eq!(get(&server, "/api/daily", None).0, 401);
}
