//! The AI analysis stage: owns the client of the OpenAI-compatible endpoint
//! (and its hourly frame cap). For each CE it writes the rendered frames and
//! their manifest, asks the model, writes `analysis_result.json`, and reports
//! the outcome. It runs beside the summary compile, never blocking it.

use crate::ai::{write_ai_frames, write_analysis_result, AiClient, AnalysisContext, AnalysisRecord, AnalysisResult};
use crate::flow::messages::{AiRequest, PipelineEvent};
use crate::pipeline::stage::Stage;
use crossbeam_channel::Sender;

/// State of the AI analysis thread.
pub struct AiAnalysisStage {
    /// The endpoint client.
    client: AiClient,
    /// Outcomes out.
    events: Sender<PipelineEvent>,
}

impl AiAnalysisStage {
    /// A stage asking `client` and reporting on `events`.
    pub fn new(client: AiClient, events: Sender<PipelineEvent>) -> Self {
        Self { client, events }
    }

    fn analyse(&self, request: &AiRequest) -> Result<AnalysisResult, String> {
        if let Some(error) = &request.render_error {
            return Err(format!("AI frames not rendered: {error}"));
        }
        let ce = &request.ce;
        write_ai_frames(&ce.folder, &request.frames).map_err(|err| err.to_string())?;
        let mut cameras: Vec<String> = Vec::new();
        for frame in &request.frames {
            if !cameras.contains(&frame.camera) {
                cameras.push(frame.camera.clone());
            }
        }
        let first = request.frames.first().map_or(0.0, |f| f.timestamp_sec);
        let last = request.frames.last().map_or(0.0, |f| f.timestamp_sec);
        let context = AnalysisContext::local(cameras, ce.start_epoch + first, ce.start_epoch + last)
            .ok_or_else(|| format!("CE {}: start time {} is not a valid date", ce.id, ce.start_epoch))?;
        let result = self
            .client
            .analyze(&request.frames, &context)
            .map_err(|err| err.to_string())?;
        let record = AnalysisRecord::new(
            result.clone(),
            self.client.model(),
            request.frames.len(),
            chrono::Utc::now(),
        );
        write_analysis_result(&ce.folder, &record).map_err(|err| err.to_string())?;
        Ok(result)
    }
}

impl Stage for AiAnalysisStage {
    type Input = AiRequest;

    fn handle(&mut self, request: AiRequest) -> bool {
        let outcome = self.analyse(&request);
        if let Err(error) = &outcome {
            tracing::error!(ce = %request.ce.id, "AI analysis failed: {error}");
        }
        let ok = outcome.is_ok();
        let _ = self.events.send(PipelineEvent::AnalysisDone {
            ce_id: request.ce.id.clone(),
            outcome,
        });
        ok
    }
}
