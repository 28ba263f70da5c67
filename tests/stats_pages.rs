//! The stats page and the daily review page in headless Chromium, with and without the API
//! token, over a storage folder of hand-made CE journals whose figures are known; and the daily
//! report API's answers (a list, one report, 400 for a bad date).

mod common;

use chrono::{Days, Local, NaiveDate, TimeZone};
use common::api_server::api_server;
use common::browser::dump_dom;
use frigate_buffer::ai::daily_report::{save_report, ReportEntry, SavedReport};
use frigate_buffer::api::ApiServer;
use frigate_buffer::ce::journal::{append, JournalStep};
use serde_json::Value;
use std::path::Path;

/// The token of the guarded tests.
const TOKEN: &str = "st4ts-token";

/// What a page shows when the service wants a token and the page has none.
const LACKS_TOKEN: &str = "<p class=\"error\">This service needs its API token";

/// What `/metrics` says in these tests: 3 fetch errors, 1 AI error, 5 MiB stored.
const METRICS: &str = "frigate_buffer_errors_total{kind=\"fetch\"} 3\n\
                       frigate_buffer_errors_total{kind=\"ai\"} 1\n\
                       frigate_buffer_storage_bytes 5242880\n";

/// How a fixture CE ends.
enum End {
    /// `finished` this many seconds after `opened`.
    Finished(f64),
    /// `summary_failed`, then `finished` this many seconds after `opened`.
    SummaryFailed(f64),
    /// `discarded`.
    Discarded,
    /// Still open.
    Open,
}

/// Local noon `days_back` days before today, epoch seconds.
fn noon(days_back: u64) -> f64 {
    let day = Local::now().date_naive() - Days::new(days_back);
    Local
        .from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .timestamp() as f64
}

/// `YYYY-MM-DD` of the local day `days_back` days before today.
fn day(days_back: u64) -> String {
    (Local::now().date_naive() - Days::new(days_back))
        .format("%Y-%m-%d")
        .to_string()
}

/// Writes a CE journal under `<storage>/<parent>/<name>`: opened at `start` over `cameras`.
fn ce(storage: &Path, parent: &str, name: &str, start: f64, cameras: &[&str], end: End) {
    let folder = storage.join(parent).join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let opened = JournalStep::Opened {
        ce_id: format!("ce_{name}"),
        folder: name.to_string(),
        camera: cameras[0].to_string(),
        label: "person".to_string(),
        start_time: start,
    };
    append(&folder, start, &opened).unwrap();
    for (index, camera) in cameras.iter().enumerate() {
        let joined = JournalStep::EventJoined {
            event_id: format!("{start}-ev{index}"),
            camera: camera.to_string(),
            label: "person".to_string(),
            start_time: start,
        };
        append(&folder, start + 1.0, &joined).unwrap();
    }
    match end {
        End::Finished(after) => append(&folder, start + after, &JournalStep::Finished).unwrap(),
        End::SummaryFailed(after) => {
            let failed = JournalStep::SummaryFailed {
                error: "encoder".to_string(),
            };
            append(&folder, start + after - 1.0, &failed).unwrap();
            append(&folder, start + after, &JournalStep::Finished).unwrap();
        }
        End::Discarded => append(&folder, start + 5.0, &JournalStep::Discarded).unwrap(),
        End::Open => {}
    }
}

/// Five CEs: today two (porch+drive finished in 30 s; yard still open), yesterday one (porch,
/// 90 s), two days ago one kept under `saved/` (drive, summary failed, 60 s), 20 days ago one
/// (porch, discarded). Two saved daily reports.
fn storage() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ce(
        root,
        "events",
        "a_today",
        noon(0),
        &["porch", "drive"],
        End::Finished(30.0),
    );
    ce(root, "events", "e_today", noon(0) + 600.0, &["yard"], End::Open);
    ce(root, "events", "b_yesterday", noon(1), &["porch"], End::Finished(90.0));
    ce(
        root,
        "saved/events",
        "c_two_days",
        noon(2),
        &["drive"],
        End::SummaryFailed(60.0),
    );
    ce(root, "events", "d_old", noon(20), &["porch"], End::Discarded);
    for (date, title) in [
        ("2026-03-01", "Courier at the porch"),
        ("2026-03-02", "Fox in the yard"),
    ] {
        save_report(
            root,
            &SavedReport {
                date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
                generated_at: "2026-03-03T01:00:05Z".to_string(),
                model: "stand-in".to_string(),
                ces: vec![ReportEntry {
                    ce_id: "ce_1772352000_0badf00d".to_string(),
                    title: Some(title.to_string()),
                    summary: None,
                    threat_level: Some(1),
                    time: format!("{date} 08:15:00"),
                    cameras: vec!["porch".to_string()],
                }],
                markdown: format!("# Daily review - {date}\n\n## Timeline\n- **08:15** | porch | {title}\n"),
            },
        )
        .unwrap();
    }
    dir
}

/// The API over `root` on a free port, with [`METRICS`] as its metrics.
fn serve(root: &Path, token: Option<&str>) -> ApiServer {
    api_server(root, token, || METRICS.to_string(), |_| false)
}

fn url(server: &ApiServer, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

/// Status and JSON body of a GET, with the token when given.
fn get_json(server: &ApiServer, path: &str, token: Option<&str>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut request = agent.get(url(server, path));
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

/// The text of the element carrying `attribute="value"` in a dumped DOM.
fn cell<'a>(dom: &'a str, attribute: &str, value: &str) -> &'a str {
    let marker = format!("{attribute}=\"{value}\"");
    let rest = dom
        .split(&marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no {marker} in the DOM:\n{dom}"));
    let text = &rest[rest.find('>').unwrap() + 1..];
    &text[..text.find('<').unwrap()]
}

/// The figures the fixture implies, as the stats page shows them.
fn assert_stats_page(dom: &str) {
    assert_eq!(cell(dom, "id", "total-ces"), "5");
    assert_eq!(cell(dom, "data-day", &day(0)), "2");
    assert_eq!(cell(dom, "data-day", &day(1)), "1");
    assert_eq!(cell(dom, "data-day", &day(2)), "1");
    assert_eq!(cell(dom, "data-day", &day(3)), "0");
    assert!(
        !dom.contains(&format!("data-day=\"{}\"", day(20))),
        "day 20 is outside the 14 days"
    );
    assert_eq!(cell(dom, "data-camera", "porch"), "3");
    assert_eq!(cell(dom, "data-camera", "drive"), "2");
    assert_eq!(cell(dom, "data-camera", "yard"), "1");
    assert_eq!(cell(dom, "data-outcome", "finished"), "2");
    assert_eq!(cell(dom, "data-outcome", "summary_failed"), "1");
    assert_eq!(cell(dom, "data-outcome", "discarded"), "1");
    assert_eq!(cell(dom, "data-outcome", "in_progress"), "1");
    assert!(
        dom.contains("data-seconds=\"60\" id=\"median\""),
        "median of 30, 60, 90:\n{dom}"
    );
    assert_eq!(cell(dom, "id", "median"), "1 min 0 s");
    assert_eq!(cell(dom, "id", "p95"), "1 min 30 s");
    assert_eq!(cell(dom, "data-error-kind", "fetch"), "3");
    assert_eq!(cell(dom, "data-error-kind", "ai"), "1");
    assert_eq!(cell(dom, "id", "storage"), "5.0 MiB");
}

#[test]
fn stats_api_counts_the_fixture() {
    let dir = storage();
    let server = serve(dir.path(), None);
    let (status, stats) = get_json(&server, "/api/stats", None);
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["total_ces"], 5);
    assert_eq!(stats["days"].as_array().unwrap().len(), 14);
    assert_eq!(stats["days"][13], serde_json::json!({"date": day(0), "ces": 2}));
    assert_eq!(stats["cameras"][0], serde_json::json!({"camera": "porch", "ces": 3}));
    assert_eq!(stats["processing"]["count"], 3);
    assert_eq!(stats["processing"]["median_seconds"], 60.0);
    assert_eq!(stats["processing"]["p95_seconds"], 90.0);
    assert_eq!(stats["errors"]["fetch"], 3);
    assert_eq!(stats["storage_bytes"], 5_242_880);
}

#[test]
fn stats_page_shows_the_fixture_figures_without_a_token() {
    let dir = storage();
    let server = serve(dir.path(), None);
    assert_stats_page(&dump_dom(&url(&server, "/stats")));
}

#[test]
fn stats_page_sends_the_token_and_says_when_it_lacks_one() {
    let dir = storage();
    let server = serve(dir.path(), Some(TOKEN));
    assert_eq!(get_json(&server, "/api/stats", None).0, 401);
    assert_stats_page(&dump_dom(&url(&server, &format!("/stats#token={TOKEN}"))));
    let without = dump_dom(&url(&server, "/stats"));
    assert!(without.contains(LACKS_TOKEN), "{without}");
    assert!(!without.contains("data-camera=\"porch\""), "{without}");
}

/// The daily page shows the newest report rendered, and lists both.
fn assert_daily_page(dom: &str) {
    assert!(dom.contains("data-date=\"2026-03-02\""), "{dom}");
    assert!(dom.contains("data-date=\"2026-03-01\""), "{dom}");
    assert!(
        dom.contains("<h1>Daily review - 2026-03-02</h1>"),
        "markdown heading not rendered:\n{dom}"
    );
    assert!(
        dom.contains("<li><strong>08:15</strong> | porch | Fox in the yard</li>"),
        "markdown list not rendered:\n{dom}"
    );
    assert!(dom.contains("data-ce-id=\"ce_1772352000_0badf00d\""), "{dom}");
    assert!(
        !dom.contains("Courier at the porch"),
        "only the newest report is shown:\n{dom}"
    );
}

#[test]
fn daily_page_shows_the_newest_report_without_a_token() {
    let dir = storage();
    let server = serve(dir.path(), None);
    assert_daily_page(&dump_dom(&url(&server, "/daily")));
    let older = dump_dom(&url(&server, "/daily?date=2026-03-01"));
    assert!(older.contains("<h1>Daily review - 2026-03-01</h1>"), "{older}");
}

#[test]
fn daily_page_sends_the_token_and_says_when_it_lacks_one() {
    let dir = storage();
    let server = serve(dir.path(), Some(TOKEN));
    assert_daily_page(&dump_dom(&url(&server, &format!("/daily#token={TOKEN}"))));
    // The query form every page takes; the page's own query (the date) is kept.
    let older = dump_dom(&url(&server, &format!("/daily?access_token={TOKEN}&date=2026-03-01")));
    assert!(older.contains("<h1>Daily review - 2026-03-01</h1>"), "{older}");
    let without = dump_dom(&url(&server, "/daily"));
    assert!(without.contains(LACKS_TOKEN), "{without}");
    assert!(!without.contains("Fox in the yard"), "{without}");
}

#[test]
fn daily_api_lists_reads_and_refuses_bad_dates() {
    let dir = storage();
    let server = serve(dir.path(), Some(TOKEN));
    let (status, list) = get_json(&server, "/api/daily", Some(TOKEN));
    assert_eq!(
        (status, list),
        (200, serde_json::json!({"dates": ["2026-03-02", "2026-03-01"]}))
    );
    let (status, report) = get_json(&server, "/api/daily/2026-03-01", Some(TOKEN));
    assert_eq!(status, 200);
    assert_eq!(report["ces"][0]["title"], "Courier at the porch");
    assert_eq!(get_json(&server, "/api/daily/2026-03-05", Some(TOKEN)).0, 404);
    for bad in ["2026-13-01", "2026-02-30", "yesterday", "..%2F..%2Fetc%2Fpasswd"] {
        let (status, body) = get_json(&server, &format!("/api/daily/{bad}"), Some(TOKEN));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"].as_str().unwrap().contains("is not a date"), "{body}");
    }
    assert_eq!(get_json(&server, "/api/daily", None).0, 401);
}
