//! `process` with the AI analysis configured, against a local
//! OpenAI-compatible endpoint: the frames are chosen along the timeline,
//! cut to 1280×720 JPEGs and sent; a good answer becomes
//! `analysis_result.json`; a malformed one is a clear error and the CE still
//! gets its summary.

mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::openai_stub::{completion, Reply, StubEndpoint};
use common::{copy_sample, frigate_buffer};
use serde_json::Value;
use std::path::Path;

fn config_for(dir: &Path, endpoint: &StubEndpoint) -> std::path::PathBuf {
    let config = dir.join("config.yaml");
    let text = format!(
        "pipeline: cpu\nai:\n  enabled: true\n  base_url: {}\n  api_key: test-key\n  model: test-model\nmulti_cam:\n  max_multi_cam_frames_min: 6\n",
        endpoint.base_url
    );
    std::fs::write(&config, text).unwrap();
    config
}

#[test]
fn a_good_answer_is_written_and_frames_are_1280_wide_jpegs() {
    let ce = copy_sample(&["backyard", "front_door"]);
    let answer = "```json\n{\"title\": \"Visitor at the door\", \"scene\": \"A person crosses the lawn to the door.\", \"shortSummary\": \"Person walks to the front door.\", \"confidence\": 0.8, \"potential_threat_level\": 1}\n```";
    let endpoint = StubEndpoint::start(vec![Reply::Http(200, completion(answer))]);
    let config = config_for(ce.path(), &endpoint);
    let output = frigate_buffer(&[
        "process",
        ce.path().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let requests = endpoint.finish();
    assert_eq!(requests.len(), 1);
    let content = requests[0].body["messages"][1]["content"].as_array().unwrap().clone();
    let images: Vec<&str> = content
        .iter()
        .filter_map(|part| part["image_url"]["url"].as_str())
        .collect();
    assert_eq!(images.len(), 6, "max_multi_cam_frames_min frames are sent");
    for url in images {
        let jpeg = BASE64
            .decode(url.strip_prefix("data:image/jpeg;base64,").unwrap())
            .unwrap();
        let image = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((image.width(), image.height()), (1280, 720));
    }
    let result: Value =
        serde_json::from_slice(&std::fs::read(ce.path().join("analysis_result.json")).unwrap()).unwrap();
    assert_eq!(result["title"], "Visitor at the door");
    assert_eq!(result["potential_threat_level"], 1);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(ce.path().join("ai_frame_analysis/manifest.json")).unwrap()).unwrap();
    let manifest = manifest.as_array().unwrap();
    assert_eq!(manifest.len(), 6);
    for entry in manifest {
        let file = ce
            .path()
            .join("ai_frame_analysis/frames")
            .join(entry["filename"].as_str().unwrap());
        assert!(file.is_file(), "{}", file.display());
    }
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ce"]["analysis"]["title"], "Visitor at the door");
    assert!(report["ce"]["summary"].is_string());
}

#[test]
fn a_malformed_answer_is_a_clear_error_and_the_ce_completes() {
    let ce = copy_sample(&["backyard"]);
    let endpoint = StubEndpoint::start(vec![Reply::Http(200, completion("I cannot help with that."))]);
    let config = config_for(ce.path(), &endpoint);
    let output = frigate_buffer(&[
        "process",
        ce.path().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("AI analysis failed"), "{stderr}");
    assert!(!ce.path().join("analysis_result.json").exists());
    let name = ce.path().file_name().unwrap().to_string_lossy().into_owned();
    assert!(ce.path().join(format!("{name}_summary.mp4")).is_file());
}
