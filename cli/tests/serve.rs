//! `num serve` as a person runs it: a real process on a real port, stopped with Ctrl-C.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn start(dir: &std::path::Path, port: u16) -> Child {
    start_with(dir, port, &[])
}

/// `num serve` with more flags (`--no-vetting`).
pub fn start_with(dir: &std::path::Path, port: u16, flags: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_num"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("num serve starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "num serve did not listen within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

pub fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

pub fn interrupt(child: &mut Child) {
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "num serve exits cleanly on Ctrl-C: {code:?}");
            return;
        }
        assert!(Instant::now() < deadline, "num serve did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub const REPORT: &str = r#"{"incident":{"date":"2025-03-14","town":"Leeds","categories":["theft"]},"offender":{"names_used":["Gaz"]},
"account":"He took the money and left.","consent":{"publish_alert":true,"share_with_police":false,"caseworker_contact":false}}"#;

#[test]
fn a_report_acknowledged_before_ctrl_c_is_still_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let (status, body) = request(port, "POST", "/reports", REPORT);
    assert_eq!(status, 201, "{body}");
    let reference = serde_json::from_str::<serde_json::Value>(&body).unwrap()["reference"].as_str().unwrap().to_owned();
    interrupt(&mut server);

    let local = num_cli::serve::Local::open(dir.path()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let id = shared::domain::ReportId::parse(&reference).unwrap();
    let item = rt.block_on(shared::ports::Tables::get(
        local.tables.as_ref(),
        shared::ports::Table::Reports,
        &shared::usecases::submit_report::ReportRecord::key(&id),
    ));
    assert!(item.unwrap().is_some(), "the acknowledged report survived the shutdown");
}

#[test]
fn the_server_serves_the_form_and_answers_unknown_paths_with_json_or_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let (status, body) = request(port, "GET", "/", "");
    assert_eq!(status, 200);
    assert!(body.contains("<form"));
    let (status, body) = request(port, "GET", "/nowhere", "");
    assert_eq!(status, 404);
    assert!(body.contains("\"code\":\"not_found\""));
    // A browser that asks for a page that is not there gets a page, in its language, with the quick exit.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /nowhere?lang=pl HTTP/1.1\r\nHost: localhost\r\nAccept: text/html,*/*\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 404"), "{out}");
    assert!(out.contains("text/html") && out.contains("id=\"quick-exit\"") && out.contains("lang=\"pl\""), "{out}");
    interrupt(&mut server);
}
