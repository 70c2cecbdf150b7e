//! The README's walk-through, "From a report to an alert, on one machine", run as written: its `sh` blocks, in order,
//! in one bash, from the repository root, with the `num` this test builds first on the PATH, a free port and a fresh
//! temporary folder. Then the outcome is checked: the member got the alert by email and by text, and staff see it sent.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECTION: &str = "## From a report to an alert, on one machine";

/// Read when the test runs, not compiled in: a test binary built in another checkout that shares the target folder
/// must still read this checkout's README.
fn repo_root() -> PathBuf {
    let cli = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    cli.parent().unwrap().to_owned()
}

/// The fenced `sh` blocks of the walk-through section, in order.
fn walkthrough_blocks(readme: &str) -> Vec<String> {
    let start = readme.find(SECTION).unwrap_or_else(|| panic!("README.md has no section '{SECTION}'"));
    let rest = &readme[start + SECTION.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() == "```sh" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim_end() != "```").collect();
            blocks.push(body.join("\n"));
        }
    }
    blocks
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn num() -> &'static str {
    env!("CARGO_BIN_EXE_num")
}

fn outbox(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("outbox.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Runs `script` with bash in its own process group, killed whole if it overruns. Returns (success, stdout, stderr).
fn run_bash(script: &str, tmp: &Path, port: u16) -> (bool, String, String) {
    use std::os::unix::process::CommandExt;
    let bin_dir = Path::new(num()).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(repo_root())
        .env("PATH", path)
        .env("TMPDIR", tmp)
        .env("NUM_PORT", port.to_string())
        .env_remove("NUM_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("bash runs");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Whatever the script left running (a server it did not stop), in its own group: ended here.
    let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", child.id())]).stderr(Stdio::null()).status();
    let _ = child.wait();
    let (stdout, stderr) = (out_reader.join().unwrap(), err_reader.join().unwrap());
    match status {
        Some(s) => (s.success(), stdout, stderr),
        None => (false, stdout, format!("{stderr}\n(the walk-through did not finish within 120 s)")),
    }
}

fn get(port: u16, path: &str, token: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "-f", "-H", &format!("authorization: Bearer {token}"), &format!("http://127.0.0.1:{port}{path}")])
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "GET {path}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_readme_walkthrough_runs_as_written_and_the_alert_reaches_the_member() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let blocks = walkthrough_blocks(&readme);
    assert!(blocks.len() >= 5, "the walk-through has its steps as ```sh blocks: found {}", blocks.len());
    let commands = blocks.join("\n");
    for step in ["num serve", "num outbox", "num sanitise examples/report.json", "/publish", "kill"] {
        assert!(commands.contains(step), "the walk-through has lost its step '{step}'");
    }

    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    // The `num` the walk-through finds must be the one built here, not one installed earlier.
    let script = format!(
        "set -eu -o pipefail\n[ \"$(command -v num)\" = '{}' ] || {{ echo \"num on the PATH is $(command -v num)\" >&2; exit 97; }}\nset -x\n{commands}\n",
        num()
    );
    let (ok, stdout, stderr) = run_bash(&script, tmp.path(), port);
    assert!(ok, "the walk-through failed.\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    // The data folder the walk-through made with mktemp, in the TMPDIR given to it.
    let dirs: Vec<PathBuf> =
        std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("outbox.jsonl").exists()).collect();
    assert_eq!(dirs.len(), 1, "one data folder with an outbox: {dirs:?}\n{stderr}");
    let data = &dirs[0];

    // What each step printed.
    assert!(stdout.contains(r#"{"status":"active"}"#), "the subscription was verified:\n{stdout}");
    assert!(stdout.contains(r#""status":"received""#), "the report was accepted:\n{stdout}");
    assert!(stdout.contains(r#"{"status":"published"}"#), "the alert was published:\n{stdout}");
    assert!(stdout.contains("<h1>Safety alert: "), "the members' page was shown:\n{stdout}");
    // `num sanitise` printed the draft as pretty JSON: the offender stays, the reporter, her friend and the venue go.
    let draft_start = stdout.find("{\n  \"town\"").expect("num sanitise printed a draft");
    let draft_len = stdout[draft_start..].find("\n}\n").expect("the draft ends") + 2;
    let sanitised = &stdout[draft_start..draft_start + draft_len];
    let draft: serde_json::Value = serde_json::from_str(sanitised).unwrap();
    assert!(draft["redactions"].as_array().is_some_and(|r| r.len() >= 3), "the sample shows several kinds of redaction:\n{sanitised}");
    assert!(sanitised.contains("Dean") && sanitised.contains("YK21"), "the offender's name and car stay:\n{sanitised}");
    for private in ["Amy", "Holt", "Ruby", "ruby.york", "Kelly", "Rose Court", "Walmgate", "YO1 9TX", "900123"] {
        assert!(!sanitised.contains(private), "num sanitise left '{private}' in the draft:\n{sanitised}");
    }

    // The member got the code and then the alert, by email and by text, once each.
    let messages = outbox(data);
    let key = |m: &serde_json::Value| m["idempotency_key"].as_str().unwrap().to_owned();
    let codes: Vec<_> = messages.iter().filter(|m| key(m).starts_with("code:")).collect();
    let alerts: Vec<_> = messages.iter().filter(|m| key(m).starts_with("A-")).collect();
    assert_eq!(codes.len(), 2, "{messages:#?}");
    let mut channels: Vec<(&str, &str)> = alerts.iter().map(|m| (m["channel"].as_str().unwrap(), m["to"].as_str().unwrap())).collect();
    channels.sort();
    assert_eq!(channels, [("email", "me@example.org"), ("sms", "+447700900999")], "{messages:#?}");
    let alert_id = key(alerts[0]).split(':').next().unwrap().to_owned();

    // The walk-through stopped its server; staff, on a server started again on the same data, see both sent.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "the walk-through's `kill` did not stop num serve");
        std::thread::sleep(Duration::from_millis(50));
    }
    let port = free_port();
    let mut server = Command::new(num())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "num serve did not listen within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let token = Command::new(num()).args(["staff", "token", "--role", "reviewer", "--data-dir"]).arg(data).output().unwrap();
    let token = String::from_utf8(token.stdout).unwrap();
    let counts = get(port, &format!("/admin/alerts/{alert_id}/deliveries"), token.trim());
    let _ = server.kill();
    let _ = server.wait();
    let counts: serde_json::Value = serde_json::from_str(&counts).unwrap();
    assert_eq!(counts, serde_json::json!({"pending": 0, "sent": 2, "failed": 0, "unconfirmed": 0}));
}

#[test]
fn the_blocks_are_read_in_order_and_only_from_the_walkthrough() {
    let readme = "## Before\n```sh\nnot this\n```\n## From a report to an alert, on one machine\ntext\n```sh\none\ntwo\n```\n\
                  ```text\nnot this either\n```\n```sh\nthree\n```\n## After\n```sh\nnor this\n```\n";
    assert_eq!(walkthrough_blocks(readme), ["one\ntwo", "three"]);
}
