//! `num audit verify` against a real server's data folder and its log: the rewrite that plain SHA-256 allowed (delete an
//! entry, re-chain the rest) is reported at the first re-chained entry, with exit status 1, whether the rewriter had the
//! chain key or not; an untouched log is reported intact.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shared::adapters::{LocalKeys, SqliteTables};
use shared::usecases::audit::tamper::{Rechain, delete_and_rechain};

fn num() -> &'static str {
    env!("CARGO_BIN_EXE_num")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `num serve` with its log (standard error) going to `log`.
fn start(dir: &std::path::Path, port: u16, log: &std::path::Path) -> Child {
    let child = Command::new(num())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("num serve starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "num serve did not listen within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn stop(mut child: Child) {
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "num serve did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn token(dir: &std::path::Path, role: &str) -> String {
    let out = Command::new(num()).args(["staff", "token", "--role", role, "--data-dir"]).arg(dir).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn curl(port: u16, method: &str, path: &str, token: &str, body: Option<&str>) -> String {
    let mut args = vec!["-s".to_owned(), "-X".into(), method.into(), "-H".into(), format!("authorization: Bearer {token}")];
    if let Some(b) = body {
        args.extend(["-H".into(), "content-type: application/json".into(), "--data".into(), b.into()]);
    }
    args.push(format!("http://127.0.0.1:{port}{path}"));
    let out = Command::new("curl").args(&args).output().expect("curl runs");
    String::from_utf8(out.stdout).unwrap()
}

fn verify(dir: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(num()).args(["audit", "verify", "--data-dir"]).arg(dir).args(extra).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn audit_verify_with_the_servers_log_names_the_first_rechained_entry_and_fails() {
    for how in [Rechain::Sha256, Rechain::WithKey] {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serve.log");
        let port = free_port();
        let server = start(dir.path(), port, &log);
        let om = token(dir.path(), "office_manager");
        let reviewer = token(dir.path(), "reviewer");
        for i in 0..3 {
            let body = format!(r#"{{"email":"m{i}@example.org","reason":"member rang"}}"#);
            let out = curl(port, "POST", "/admin/helpdesk/find", &om, Some(&body));
            assert!(out.contains("subscription"), "{out}");
            curl(port, "GET", "/admin/alerts", &reviewer, None);
        }
        stop(server);
        let log_text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(log_text.matches("audit_mac").count(), 6, "one anchor per entry in the log:\n{log_text}");

        let (code, text) = verify(dir.path(), &[]);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("intact: 6 entries"), "{text}");
        let anchors = log.to_str().unwrap();
        let (code, text) = verify(dir.path(), &["--anchors", anchors]);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("6 anchors from outside the table match"), "{text}");

        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let tables = SqliteTables::open(dir.path()).unwrap();
        let keys = LocalKeys::open_or_create(dir.path()).unwrap();
        rt.block_on(delete_and_rechain(&tables, &keys, 2, how)).unwrap();
        drop(tables);

        let (code, text) = verify(dir.path(), &["--anchors", anchors]);
        assert_eq!(code, 1, "{how:?}: {text}");
        assert!(text.contains("entry 2 "), "{how:?}: the first re-chained entry is named: {text}");
        if let Rechain::WithKey = how {
            assert!(text.contains("rewritten from entry 2"), "{text}");
            // Without an anchor, a rewrite by the key's holder does not show: the message says so.
            let (code, text) = verify(dir.path(), &[]);
            assert_eq!(code, 0, "{text}");
            assert!(text.contains("no anchor was given"), "{text}");
        }
        // A single head copied from the log is enough to fail.
        let last = log_text.lines().rev().find(|l| l.contains("audit_mac")).unwrap();
        let v: serde_json::Value = serde_json::from_str(last).unwrap();
        let head = format!("{}:{}", v["fields"]["audit_seq"], v["fields"]["audit_mac"].as_str().unwrap());
        let (code, text) = verify(dir.path(), &["--head", &head]);
        assert_eq!(code, 1, "{how:?} --head {head}: {text}");
    }
}
