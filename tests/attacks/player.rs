//! The player page under hostile names and tokens: a CE folder whose name carries markup is
//! written into the page escaped (it would otherwise run script in the page); a wrong
//! `access_token` beside other query parameters is refused; a path-like CE name finds nothing.

use crate::common::api_server::idle_api_server;
use frigate_buffer::api::ApiServer;
use std::path::Path;

/// The API serving `storage` on a free loopback port, behind `token` if given.
fn api(storage: &Path, token: Option<&str>) -> ApiServer {
    idle_api_server(storage, token)
}

/// Status and body of a GET of `path` (already percent-encoded).
fn get(server: &ApiServer, path: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .get(format!("http://{}{path}", server.local_addr()))
        .call()
        .unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    (response.status().as_u16(), body)
}

#[test]
fn a_folder_name_with_markup_is_escaped_in_the_page() {
    let storage = tempfile::tempdir().unwrap();
    let hostile = r#"1700000000_a"><img src=x onerror=alert(1)>"#;
    std::fs::create_dir_all(storage.path().join("events").join(hostile)).unwrap();
    let server = api(storage.path(), None);
    let (status, page) = get(
        &server,
        "/player/1700000000_a%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    );
    assert_eq!(status, 200, "the listed CE is found by its folder name");
    assert!(
        !page.contains("<img src=x"),
        "markup from the folder name reached the page"
    );
    assert!(page.contains(r#"data-ce="1700000000_a&quot;&gt;&lt;img src=x onerror=alert(1)&gt;""#));
    server.stop().unwrap();
}

#[test]
fn only_the_exact_token_opens_the_page_wherever_it_sits_in_the_query() {
    let storage = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(storage.path().join("events").join("1700000000_0badf00d")).unwrap();
    let server = api(storage.path(), Some("s3cret"));
    let page = "/player/1700000000_0badf00d";
    for (query, expected) in [
        ("?access_token=s3cret", 200),
        ("?x=1&access_token=s3cret", 200),
        ("?access_token=s3cre", 401),
        ("?access_token=s3cret%00", 401),
        ("?access_token=&access_token=s3cret", 401),
        ("?token=s3cret", 401),
        ("?ACCESS_TOKEN=s3cret", 401),
    ] {
        assert_eq!(get(&server, &format!("{page}{query}")).0, expected, "{query}");
    }
    // A name that looks like a path is only ever compared with listed folders.
    assert_eq!(
        get(
            &server,
            "/player/..%2F..%2Fevents%2F1700000000_0badf00d?access_token=s3cret"
        )
        .0,
        404
    );
    server.stop().unwrap();
}
