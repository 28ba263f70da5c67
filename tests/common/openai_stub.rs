//! A local OpenAI-compatible chat-completions endpoint for the tests: plays
//! scripted replies in order and records every request it receives.

use super::pushover_api::http_request::HttpRequest;
use serde_json::Value;
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One scripted reply of the endpoint.
pub enum Reply {
    /// Answer with this status and body.
    Http(u16, String),
    /// Close the connection without answering.
    Hang,
}

/// A request as the endpoint saw it.
pub struct Recorded {
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A one-connection-at-a-time HTTP endpoint on 127.0.0.1 that plays `replies` in order, then
/// stops.
pub struct StubEndpoint {
    /// Base URL of the endpoint (`http://127.0.0.1:<port>`).
    pub base_url: String,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    server: JoinHandle<()>,
}

impl StubEndpoint {
    pub fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&recorded);
        let server = std::thread::spawn(move || {
            for reply in replies {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let request = HttpRequest::read(&mut reader).unwrap();
                assert!(
                    request.request_line.starts_with("POST /v1/chat/completions "),
                    "{}",
                    request.request_line
                );
                assert!(
                    request.header("content-length").is_some(),
                    "request has a Content-Length"
                );
                sink.lock().unwrap().push(Recorded {
                    body: serde_json::from_slice(&request.body).unwrap(),
                    headers: request.headers,
                });
                let mut stream = reader.into_inner();
                if let Reply::Http(status, text) = reply {
                    let response = format!(
                        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    );
                    stream.write_all(response.as_bytes()).unwrap();
                }
            }
        });
        Self {
            base_url,
            recorded,
            server,
        }
    }

    /// Waits until every reply was played and returns the requests.
    pub fn finish(self) -> Vec<Recorded> {
        self.server.join().unwrap();
        Arc::try_unwrap(self.recorded).ok().unwrap().into_inner().unwrap()
    }

    /// How many requests arrived so far, without waiting for the remaining replies.
    pub fn seen(&self) -> usize {
        self.recorded.lock().unwrap().len()
    }
}

/// A chat-completions response whose answer is `content`.
pub fn completion(content: &str) -> String {
    serde_json::json!({"id": "x", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
    .to_string()
}
