//! The URL paths of Frigate's HTTP API that the fetch side uses, for Frigate 0.14–0.18.
//!
//! Owns the spelling of every route and the escaping of the values put into them; pure functions,
//! no I/O. Which route to call when is decided elsewhere.

/// Start an export of `camera` over `[start_ts, end_ts]` (POST; same route on 0.17 and 0.18).
pub fn export_start(camera: &str, start_ts: f64, end_ts: f64) -> String {
    format!("/api/export/{}/start/{start_ts}/end/{end_ts}", segment(camera))
}

/// The list of all exports with their `in_progress` flags (GET; 0.17 polls this).
pub const EXPORTS: &str = "/api/exports";

/// One export by id (GET; 0.18 polls this).
pub fn export(export_id: &str) -> String {
    format!("/api/exports/{}", segment(export_id))
}

/// The queued and running export jobs (GET; exists from Frigate 0.18 on, so it tells the versions apart).
pub const EXPORT_JOBS: &str = "/api/jobs/export";

/// Delete one export (DELETE; Frigate 0.17).
pub fn export_delete_v017(export_id: &str) -> String {
    format!("/api/export/{}", segment(export_id))
}

/// Delete exports given as `{"ids": [...]}` (POST; Frigate 0.18).
pub const EXPORTS_DELETE: &str = "/api/exports/delete";

/// The finished export file, served statically (not under `/api`) by the name of its `video_path`;
/// `None` when `video_path` has no file name.
pub fn export_file(video_path: &str) -> Option<String> {
    let name = video_path.rsplit('/').next().filter(|name| !name.is_empty())?;
    Some(format!("/exports/{}", segment(name)))
}

/// The clip of one tracked event.
pub fn event_clip(event_id: &str) -> String {
    format!("/api/events/{}/clip.mp4", segment(event_id))
}

/// A clip cut from `camera`'s recordings over `[start_ts, end_ts]`.
pub fn recording_clip(camera: &str, start_ts: f64, end_ts: f64) -> String {
    format!("/api/{}/start/{start_ts}/end/{end_ts}/clip.mp4", segment(camera))
}

/// The snapshot JPEG of one tracked event.
pub fn event_snapshot(event_id: &str) -> String {
    format!("/api/events/{}/snapshot.jpg", segment(event_id))
}

/// The most recent frame of `camera`, as JPEG.
pub fn latest_frame(camera: &str) -> String {
    format!("/api/{}/latest.jpg", segment(camera))
}

/// `value` as one path segment: RFC 3986 unreserved characters stay, every other byte is
/// percent-encoded, so an id can never add a segment or a query to the route.
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_routes_match_the_frigate_contract() {
        assert_eq!(
            export_start("front_door", 1700000000.0, 1700000030.5),
            "/api/export/front_door/start/1700000000/end/1700000030.5"
        );
        assert_eq!(export("front_door_a1b2c3"), "/api/exports/front_door_a1b2c3");
        assert_eq!(export_delete_v017("front_door_a1b2c3"), "/api/export/front_door_a1b2c3");
    }

    #[test]
    fn export_file_is_the_static_path_of_the_video_basename() {
        assert_eq!(
            export_file("/media/frigate/exports/front_door_a1b2c3.mp4").as_deref(),
            Some("/exports/front_door_a1b2c3.mp4")
        );
        assert_eq!(export_file("front.mp4").as_deref(), Some("/exports/front.mp4"));
        assert_eq!(export_file("/media/frigate/exports/"), None);
        assert_eq!(export_file(""), None);
    }

    #[test]
    fn clip_and_image_routes_keep_event_ids_intact() {
        assert_eq!(
            event_clip("1690389398.964135-kk1s6p"),
            "/api/events/1690389398.964135-kk1s6p/clip.mp4"
        );
        assert_eq!(
            event_snapshot("1690389398.964135-kk1s6p"),
            "/api/events/1690389398.964135-kk1s6p/snapshot.jpg"
        );
        assert_eq!(
            recording_clip("porch", 10.25, 20.0),
            "/api/porch/start/10.25/end/20/clip.mp4"
        );
        assert_eq!(latest_frame("porch"), "/api/porch/latest.jpg");
    }

    #[test]
    fn values_cannot_escape_their_segment() {
        assert_eq!(event_clip("../config?x=1"), "/api/events/..%2Fconfig%3Fx%3D1/clip.mp4");
        assert_eq!(latest_frame("back yard"), "/api/back%20yard/latest.jpg");
        assert_eq!(latest_frame("café"), "/api/caf%C3%A9/latest.jpg");
    }
}
