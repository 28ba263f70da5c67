//! The HTTP API under a slow or nosy client: connections that send nothing, or half a request
//! header, or idle after a request, are closed by the server within its header time limit (one
//! descriptor each would otherwise pile up); a failure of the storage is answered without the
//! storage's path.

use crate::common::api_server::idle_api_server;
use frigate_buffer::api::{ApiServer, HEADER_READ_LIMIT};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// The API serving `storage` on a free loopback port.
fn api(storage: &Path) -> ApiServer {
    idle_api_server(storage, None)
}

/// Reads until the server closes the connection; returns what came. Fails if the server keeps
/// it open for a minute.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(err) if err.kind() == ErrorKind::ConnectionReset => return received,
            Err(err) => panic!("the server kept the connection open: {err}"),
        }
    }
}

#[test]
fn silent_half_sent_and_idle_connections_are_closed() {
    let storage = tempfile::tempdir().unwrap();
    std::fs::create_dir(storage.path().join("events")).unwrap();
    let server = api(storage.path());
    let addr = server.local_addr();

    // Three at once, so the wait is one time limit, not three.
    let opened = Instant::now();
    let mut silent = TcpStream::connect(addr).unwrap();
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .unwrap();
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();

    assert!(read_until_closed(&mut silent).is_empty());
    let nothing = read_until_closed(&mut half);
    assert!(nothing.is_empty(), "{}", String::from_utf8_lossy(&nothing));
    let reply = read_until_closed(&mut idle);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("ok"), "{reply}");
    // All three closed by the time limit, not at once: the server did wait for the header.
    let after = opened.elapsed();
    assert!(after >= HEADER_READ_LIMIT / 2, "closed after {after:?}");
    server.stop().unwrap();
}

#[test]
fn a_storage_failure_is_answered_without_the_storage_path() {
    let storage = tempfile::tempdir().unwrap();
    // `events` is a file, not a folder: listing the CEs fails inside the service.
    std::fs::write(storage.path().join("events"), b"not a folder").unwrap();
    let server = api(storage.path());
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    stream
        .write_all(b"GET /api/events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let reply = read_until_closed(&mut stream);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 500"), "{reply}");
    let storage_path = storage.path().canonicalize().unwrap();
    let root = storage_path.to_string_lossy();
    assert!(
        !reply.contains(root.as_ref()),
        "the reply shows the storage path: {reply}"
    );
    assert!(!reply.contains("/events"), "{reply}");
    assert!(reply.contains("service log"), "{reply}");
    server.stop().unwrap();
}
