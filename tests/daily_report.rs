//! The daily report against a stand-in OpenAI-compatible endpoint: the day's CEs (and only
//! those) are sent with their titles, the answer is saved as `daily_reports/<date>.md` and
//! `.json`, and retention deletes old reports while keeping recent ones.

mod common;

use chrono::{Days, Local, NaiveDate, TimeZone};
use common::openai_stub::{completion, Reply, StubEndpoint};
use frigate_buffer::ai::daily_report::{
    generate_report, list_reports, prune_reports, save_report, ReportPrompt, SavedReport,
};
use frigate_buffer::ai::{AiClient, AiSettings};
use frigate_buffer::ce::journal::{append, JournalStep};
use std::path::Path;

/// The day reported on.
fn report_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

/// Epoch seconds of local `hour:minute` on `date`.
fn local(date: NaiveDate, hour: u32, minute: u32) -> f64 {
    Local
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).unwrap())
        .earliest()
        .unwrap()
        .timestamp() as f64
}

/// A finished CE under `events/<name>` started at `start` over `cameras`, with an analysis
/// titled `title` (none when `None`); `discarded` ends it as too short instead.
fn ce(storage: &Path, name: &str, start: f64, cameras: &[&str], title: Option<(&str, u8)>, discarded: bool) {
    let folder = storage.join("events").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let opened = JournalStep::Opened {
        ce_id: format!("ce_{name}"),
        folder: name.to_string(),
        camera: cameras[0].to_string(),
        label: "person".to_string(),
        start_time: start,
    };
    append(&folder, start, &opened).unwrap();
    let closed = JournalStep::Closed {
        window_start: start - 5.0,
        window_end: start + 40.0,
        cameras: cameras.iter().map(|camera| camera.to_string()).collect(),
        primary: cameras[0].to_string(),
    };
    append(&folder, start + 40.0, &closed).unwrap();
    let end = if discarded {
        JournalStep::Discarded
    } else {
        JournalStep::Finished
    };
    append(&folder, start + 70.0, &end).unwrap();
    if let Some((title, threat)) = title {
        let analysis = serde_json::json!({
            "title": title, "scene": "", "shortSummary": format!("{title}, briefly."),
            "confidence": 0.9, "potential_threat_level": threat,
            "model": "stand-in", "frames": 3, "created_at": "2026-03-01T12:00:00Z"
        });
        std::fs::write(folder.join("analysis_result.json"), analysis.to_string()).unwrap();
    }
}

#[test]
fn the_days_ces_are_sent_and_the_answer_is_saved_as_md_and_json() {
    let storage = tempfile::tempdir().unwrap();
    let root = storage.path();
    let day = report_day();
    let next_day = day + Days::new(1);
    ce(
        root,
        "1_morning",
        local(day, 8, 15),
        &["porch"],
        Some(("Courier leaves a parcel", 0)),
        false,
    );
    ce(
        root,
        "2_evening",
        local(day, 21, 40),
        &["yard", "drive"],
        Some(("Person tries the gate", 2)),
        false,
    );
    ce(root, "3_unanalysed", local(day, 13, 5), &["drive"], None, false);
    ce(
        root,
        "4_discarded",
        local(day, 14, 0),
        &["porch"],
        Some(("Too short to keep", 0)),
        true,
    );
    ce(
        root,
        "5_next_day",
        local(next_day, 0, 30),
        &["porch"],
        Some(("Fox on the lawn", 0)),
        false,
    );

    let answer = "# Daily review - 2026-03-01\n\n## Overview\nA parcel and a person at the gate.\n";
    let endpoint = StubEndpoint::start(vec![Reply::Http(200, completion(answer))]);
    let client = AiClient::new(AiSettings::new(
        &endpoint.base_url,
        Some("k3y".to_string()),
        "stand-in-model",
    ));
    let prompt = ReportPrompt {
        file: None,
        known_person_name: Some("Alice".to_string()),
    };
    let report = generate_report(root, day, &client, &prompt).unwrap();

    let requests = endpoint.finish();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["model"], "stand-in-model");
    let system = body["messages"][0]["content"].as_str().unwrap();
    let user = body["messages"][1]["content"].as_str().unwrap();
    for sent in [system, user] {
        assert!(sent.contains("Courier leaves a parcel"), "{sent}");
        assert!(sent.contains("Person tries the gate"), "{sent}");
        assert!(sent.contains("ce_3_unanalysed"), "{sent}");
        assert!(!sent.contains("Too short to keep"), "discarded CE sent: {sent}");
        assert!(!sent.contains("Fox on the lawn"), "next day's CE sent: {sent}");
    }
    assert!(system.contains("\"Alice\""), "{system}");
    assert!(system.contains("2026-03-01"), "{system}");
    assert_eq!(requests[0].header("authorization"), Some("Bearer k3y"));

    let titles: Vec<Option<&str>> = report.ces.iter().map(|ce| ce.title.as_deref()).collect();
    assert_eq!(
        titles,
        [Some("Courier leaves a parcel"), None, Some("Person tries the gate")]
    );
    assert_eq!(report.ces[2].threat_level, Some(2));
    assert_eq!(report.ces[2].cameras, ["yard", "drive"]);
    assert_eq!(report.ces[0].time, "2026-03-01 08:15:00");

    let reports = root.join("daily_reports");
    assert_eq!(std::fs::read_to_string(reports.join("2026-03-01.md")).unwrap(), answer);
    let saved: SavedReport =
        serde_json::from_str(&std::fs::read_to_string(reports.join("2026-03-01.json")).unwrap()).unwrap();
    assert_eq!(saved, report);
    assert_eq!(saved.markdown, answer);
    assert_eq!(saved.model, "stand-in-model");
    let leftovers: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("2026-03-01."))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_failed_request_saves_nothing() {
    let storage = tempfile::tempdir().unwrap();
    let day = report_day();
    ce(
        storage.path(),
        "1_morning",
        local(day, 8, 15),
        &["porch"],
        Some(("Courier", 0)),
        false,
    );
    let endpoint = StubEndpoint::start(vec![Reply::Http(400, "{\"error\": \"bad model\"}".to_string())]);
    let client = AiClient::new(AiSettings::new(&endpoint.base_url, None, "stand-in-model"));
    let error = generate_report(storage.path(), day, &client, &ReportPrompt::default()).unwrap_err();
    assert!(error.to_string().contains("HTTP 400"), "{error}");
    endpoint.finish();
    assert_eq!(list_reports(storage.path()).unwrap(), []);
}

#[test]
fn a_day_without_ces_is_saved_without_asking_the_endpoint() {
    let storage = tempfile::tempdir().unwrap();
    let day = report_day();
    ce(
        storage.path(),
        "2_next_day",
        local(day + Days::new(1), 9, 0),
        &["porch"],
        None,
        false,
    );
    let endpoint = StubEndpoint::start(Vec::new());
    let client = AiClient::new(AiSettings::new(&endpoint.base_url, None, "stand-in-model"));
    let report = generate_report(storage.path(), day, &client, &ReportPrompt::default()).unwrap();
    assert!(
        endpoint.finish().is_empty(),
        "the endpoint was asked about an empty day"
    );
    assert!(report.ces.is_empty());
    assert!(
        report.markdown.contains("No consolidated events"),
        "{}",
        report.markdown
    );
    assert_eq!(list_reports(storage.path()).unwrap(), [day]);
}

#[test]
fn a_prompt_file_replaces_the_built_in_prompt() {
    let storage = tempfile::tempdir().unwrap();
    let day = report_day();
    ce(
        storage.path(),
        "1_morning",
        local(day, 8, 15),
        &["porch"],
        Some(("Courier", 0)),
        false,
    );
    let prompt_file = storage.path().join("my_prompt.txt");
    std::fs::write(
        &prompt_file,
        "Report {report_date_string} for {known_person_name}: {event_list}",
    )
    .unwrap();
    let endpoint = StubEndpoint::start(vec![Reply::Http(200, completion("ok"))]);
    let client = AiClient::new(AiSettings::new(&endpoint.base_url, None, "stand-in-model"));
    let prompt = ReportPrompt {
        file: Some(prompt_file),
        known_person_name: None,
    };
    generate_report(storage.path(), day, &client, &prompt).unwrap();
    let requests = endpoint.finish();
    let system = requests[0].body["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("Report 2026-03-01 for Unspecified: ["), "{system}");
    assert!(system.contains("\"Courier\""), "{system}");
}

#[test]
fn retention_deletes_old_reports_and_keeps_recent_ones() {
    let storage = tempfile::tempdir().unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    for days_back in [100, 91, 90, 10] {
        let date = today - Days::new(days_back);
        let report = SavedReport {
            date,
            generated_at: "2026-06-30T01:00:00Z".to_string(),
            model: "stand-in".to_string(),
            ces: Vec::new(),
            markdown: format!("# {date}\n"),
        };
        save_report(storage.path(), &report).unwrap();
    }
    let removed = prune_reports(storage.path(), today, 90).unwrap();
    assert_eq!(removed, [today - Days::new(91), today - Days::new(100)]);
    assert_eq!(
        list_reports(storage.path()).unwrap(),
        [today - Days::new(10), today - Days::new(90)]
    );
    let files = std::fs::read_dir(storage.path().join("daily_reports")).unwrap().count();
    assert_eq!(files, 4, "the .md and .json of each kept report");
}
