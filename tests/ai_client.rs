//! The AI client against a local OpenAI-compatible endpoint: what it sends (headers, model,
//! temperature, prompts, images) and how it treats good, garbled, failing and refused answers.

mod common;

use common::openai_stub::{completion, Recorded, Reply, StubEndpoint};
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use frigate_buffer::ai::{
    AiClient, AiError, AiFrameJpeg, AiFrameRenderer, AiSettings, AnalysisContext, CapExceeded, AI_FRAME_SIZE,
};
use frigate_buffer::render::frame::RgbFrame;
use frigate_buffer::render::jpeg::encode_jpeg;
use frigate_buffer::timeline::AiCrop;

const KEY: &str = "sk-test-0123456789";

const GOOD_ANSWER: &str = "```json\n{\"title\": \"Courier leaves a parcel\", \"scene\": \"A courier walks from the \
    driveway to the porch.\", \"shortSummary\": \"Parcel delivered.\", \"confidence\": 0.9, \
    \"potential_threat_level\": 0}\n```";

fn client(base_url: &str) -> AiClient {
    AiClient::new(AiSettings::new(base_url, Some(KEY.into()), "vision-model"))
}

fn context() -> AnalysisContext {
    AnalysisContext::local(
        vec!["driveway".into(), "porch".into()],
        1_700_000_000.0,
        1_700_000_010.0,
    )
    .unwrap()
}

/// Three frames of one JPEG rendered the way the pipeline renders them (rendered once: a
/// 1280×720 render takes most of a second in an unoptimised build).
fn rendered_frames() -> Vec<AiFrameJpeg> {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    let jpeg = JPEG.get_or_init(|| {
        let source = RgbFrame::from_vec(640, 360, vec![120; 640 * 360 * 3]).unwrap();
        let mut renderer = AiFrameRenderer::new(AI_FRAME_SIZE).unwrap();
        renderer.render(&source, AiCrop::Letterbox, "porch | 1/3").unwrap()
    });
    [("driveway", 0.0), ("porch", 4.0), ("porch", 8.0)]
        .into_iter()
        .map(|(camera, timestamp_sec)| AiFrameJpeg {
            camera: camera.into(),
            timestamp_sec,
            jpeg: jpeg.clone(),
        })
        .collect()
}

/// Widths of the `data:image/jpeg;base64,` images of a recorded request, in order.
fn image_widths(request: &Recorded) -> Vec<u32> {
    let user_content = request.body["messages"][1]["content"].as_array().unwrap();
    user_content
        .iter()
        .filter(|part| part["type"] == "image_url")
        .map(|part| {
            let url = part["image_url"]["url"].as_str().unwrap();
            let encoded = url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL");
            let bytes = BASE64.decode(encoded).unwrap();
            image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
                .unwrap()
                .width()
        })
        .collect()
}

#[test]
fn a_fenced_answer_is_parsed_and_the_request_is_as_specified() {
    let stub = StubEndpoint::start(vec![Reply::Http(200, completion(GOOD_ANSWER))]);
    let result = client(&stub.base_url).analyze(&rendered_frames(), &context()).unwrap();
    assert_eq!(result.title, "Courier leaves a parcel");
    assert_eq!(result.short_summary, "Parcel delivered.");
    assert_eq!((result.confidence, result.potential_threat_level), (0.9, 0));

    let requests = stub.finish();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body["model"], "vision-model");
    assert_eq!(request.body["temperature"], 0.3);
    let messages = request.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert!(messages[0]["content"]
        .as_str()
        .unwrap()
        .contains("potential_threat_level"));
    assert_eq!(messages[1]["role"], "user");
    let user_text = messages[1]["content"][0]["text"].as_str().unwrap();
    assert!(
        user_text.contains("3 frames") && user_text.contains("driveway, porch"),
        "{user_text}"
    );
    assert!(user_text.contains("(10 s)"), "{user_text}");
    assert_eq!(image_widths(request), [1280, 1280, 1280]);
}

#[test]
fn a_garbled_answer_is_malformed() {
    let stub = StubEndpoint::start(vec![Reply::Http(200, completion("The frames show a quiet street."))]);
    let error = client(&stub.base_url)
        .analyze(&rendered_frames(), &context())
        .unwrap_err();
    let AiError::Malformed { answer_head, .. } = &error else {
        panic!("expected Malformed, got {error:?}");
    };
    assert_eq!(answer_head, "The frames show a quiet street.");
    assert_eq!(stub.finish().len(), 1);
}

#[test]
fn a_server_error_is_retried_once() {
    let stub = StubEndpoint::start(vec![
        Reply::Http(500, "{\"error\": \"overloaded\"}".into()),
        Reply::Http(200, completion(GOOD_ANSWER)),
    ]);
    let result = client(&stub.base_url).analyze(&rendered_frames(), &context()).unwrap();
    assert_eq!(result.title, "Courier leaves a parcel");
    let requests = stub.finish();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
}

#[test]
fn a_dropped_connection_is_retried_once_then_reported() {
    let stub = StubEndpoint::start(vec![Reply::Hang, Reply::Hang]);
    let error = client(&stub.base_url)
        .analyze(&rendered_frames(), &context())
        .unwrap_err();
    assert!(matches!(error, AiError::Transport { .. }), "{error:?}");
    assert_eq!(stub.finish().len(), 2);
}

#[test]
fn a_refused_key_is_not_retried_and_not_echoed() {
    let body = format!("{{\"error\": {{\"message\": \"Incorrect API key provided: {KEY}\"}}}}");
    let stub = StubEndpoint::start(vec![Reply::Http(401, body)]);
    let client = client(&stub.base_url);
    let error = client.analyze(&rendered_frames(), &context()).unwrap_err();
    assert!(matches!(error, AiError::Status { status: 401, .. }), "{error:?}");
    for shown in [error.to_string(), format!("{error:?}"), format!("{client:?}")] {
        assert!(!shown.contains(KEY), "{shown}");
    }
    assert!(
        error.to_string().contains("Incorrect API key provided: <redacted>"),
        "{error}"
    );
    assert_eq!(stub.finish().len(), 1);
}

#[test]
fn the_201st_frame_within_an_hour_is_refused_without_a_request() {
    let stub = StubEndpoint::start(vec![Reply::Http(200, completion(GOOD_ANSWER))]);
    let tiny = encode_jpeg(&RgbFrame::black(16, 16), 90).unwrap();
    let frame = AiFrameJpeg {
        camera: "porch".into(),
        timestamp_sec: 0.0,
        jpeg: tiny,
    };
    let client = client(&stub.base_url);
    client.analyze(&vec![frame.clone(); 200], &context()).unwrap();
    assert_eq!(stub.seen(), 1);
    let error = client.analyze(&[frame], &context()).unwrap_err();
    let AiError::CapExceeded(refused) = error else {
        panic!("expected CapExceeded, got {error:?}");
    };
    assert_eq!(
        refused,
        CapExceeded {
            requested: 1,
            in_window: 200,
            cap: 200
        }
    );
    assert_eq!(stub.finish().len(), 1);
}
