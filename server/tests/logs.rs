//! The Logs tab's stream and download with the real binary, the real engine
//! and curl: lines in order from stdout and stderr, the tail, resuming after
//! `Last-Event-ID`, a restart's divider and the new run, a TTY's stream, a
//! container removed mid-stream, the whole log as a file, bad input, and a
//! flood read slowly without the server's memory growing.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_binnacle");

mod support;

use support::{curl, free_port, image};

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let port = free_port();
        let child = Command::new(BIN)
            .args(["--auth", "none", "--listen", &format!("127.0.0.1:{port}"), "--logs-tail", "5"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while curl(&[&format!("http://127.0.0.1:{port}/healthz")]).0 != 200 {
            assert!(t.elapsed() < Duration::from_secs(30), "binnacle did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        Server { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Resident memory, KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TestContainer(String);

impl Drop for TestContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn run(extra: &[&str], script: &str) -> TestContainer {
    let name = format!("logs-test-{}", rand_suffix());
    let mut args = vec!["run", "-d", "--label", "binnacle.test=logs", "--stop-timeout", "2", "--name", &name];
    args.extend_from_slice(extra);
    let image = image();
    args.extend_from_slice(&[&image, "sh", "-c", script]);
    TestContainer(docker(&args))
}

fn rand_suffix() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{t:08x}")
}

/// One server-sent event: its name, id and parsed data.
#[derive(Debug)]
struct Sse {
    event: String,
    id: Option<String>,
    data: Value,
}

fn parse_sse(text: &str) -> Vec<Sse> {
    text.split("\n\n")
        .filter_map(|block| {
            let (mut event, mut id, mut data) = (None, None, String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            Some(Sse { event: event?, id, data: serde_json::from_str(&data).unwrap_or(Value::Null) })
        })
        .collect()
}

/// A stream read by curl for at most `secs` (it may end earlier).
fn stream_child(url: &str, headers: &[&str], secs: u32) -> Child {
    let mut cmd = Command::new("curl");
    cmd.args(["-sN", "--max-time", &secs.to_string()]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    cmd.arg(url).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap()
}

fn finish(mut child: Child) -> (Vec<Sse>, Duration) {
    let t = Instant::now();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.wait().unwrap();
    (parse_sse(&out), t.elapsed())
}

fn stream(url: &str, headers: &[&str], secs: u32) -> Vec<Sse> {
    finish(stream_child(url, headers, secs)).0
}

/// Every line's (stream, text), in order.
fn lines(events: &[Sse]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|e| e.event == "lines")
        // A stream cut by curl's time limit may end inside an event.
        .filter_map(|e| e.data.as_array())
        .flatten()
        .map(|l| (l["s"].as_str().unwrap().to_string(), l["m"].as_str().unwrap().to_string()))
        .collect()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn lines_come_in_order_then_resume_after_the_last_one_seen() {
    let server = Server::start();
    let c =
        run(&[], "for i in $(seq 1 12); do echo \"out $i\"; sleep 0.03; echo \"err $i\" >&2; sleep 0.03; done; exit 3");
    wait_for("the container to exit", || docker(&["inspect", "-f", "{{.State.Status}}", &c.0]) == "exited");
    let url = server.url(&format!("/api/logs?host=local&id={}", c.0));

    // The tail (5 by the setting), then the exit divider; the stream stays open.
    let events = stream(&url, &[], 3);
    assert_eq!(events[0].event, "hello");
    assert_eq!(events[0].data["tail"], 5);
    assert_eq!(events[0].data["max_lines"], 10000);
    assert_eq!(events[0].data["tty"], false);
    assert_eq!(events[0].data["resumed"], false);
    let got = lines(&events);
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got.last().unwrap(), &("stderr".to_string(), "err 12".to_string()));
    let exit = events.iter().find(|e| e.event == "exit").expect("an exit divider");
    assert_eq!(exit.data["exit_code"], 3);

    // All of it, in order: stdout and stderr interleaved as written (Docker
    // copies the two pipes apart, so only lines written apart in time keep
    // their order).
    let all = lines(&stream(&format!("{url}&tail=100"), &[], 3));
    let expected: Vec<(String, String)> = (1..=12)
        .flat_map(|i| [("stdout".to_string(), format!("out {i}")), ("stderr".to_string(), format!("err {i}"))])
        .collect();
    assert_eq!(all, expected);

    // A browser reconnecting with the last id gets nothing twice, and no
    // second exit divider.
    let last_id = events.iter().filter_map(|e| e.id.clone()).next_back().unwrap();
    let again = stream(&url, &[&format!("Last-Event-ID: {last_id}")], 2);
    assert_eq!(again[0].data["resumed"], true);
    assert!(lines(&again).is_empty(), "{:?}", lines(&again));
    assert!(again.iter().all(|e| e.event != "exit"));
}

#[test]
fn a_restart_shows_the_exit_then_the_new_run() {
    let server = Server::start();
    let c = run(&[], "trap 'echo bye; exit 4' TERM; echo hello; while true; do sleep 0.2; done");
    wait_for("hello", || docker(&["logs", &c.0]).contains("hello"));
    let child = stream_child(&server.url(&format!("/api/logs?host=local&id={}", c.0)), &[], 8);
    std::thread::sleep(Duration::from_millis(1500));
    docker(&["restart", "-t", "5", &c.0]);
    let (events, _) = finish(child);
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).filter(|k| *k != "lines").collect();
    assert_eq!(kinds, vec!["hello", "exit", "start"], "{events:?}");
    let exit = events.iter().find(|e| e.event == "exit").unwrap();
    assert_eq!(exit.data["exit_code"], 4);
    let texts: Vec<String> = lines(&events).into_iter().map(|(_, t)| t).collect();
    assert_eq!(texts, vec!["hello", "bye", "hello"], "each line once, the new run after the divider");
    // The divider sits between the runs.
    let order: Vec<String> = events
        .iter()
        .flat_map(|e| match e.event.as_str() {
            "lines" => e.data.as_array().unwrap().iter().map(|l| l["m"].as_str().unwrap().to_string()).collect(),
            other => vec![format!("<{other}>")],
        })
        .collect();
    assert_eq!(order, vec!["<hello>", "hello", "bye", "<exit>", "<start>", "hello"]);
}

#[test]
fn a_tty_container_has_one_stream_with_its_colours() {
    let server = Server::start();
    let c = run(&["-t"], "printf '\\033[31mred\\033[0m plain\\n'; sleep 30");
    wait_for("output", || docker(&["logs", &c.0]).contains("plain"));
    let events = stream(&server.url(&format!("/api/logs?host=local&id={}", c.0)), &[], 2);
    assert_eq!(events[0].data["tty"], true);
    assert_eq!(lines(&events), vec![("tty".to_string(), "\u{1b}[31mred\u{1b}[0m plain".to_string())]);
}

#[test]
fn a_container_removed_mid_stream_ends_it_with_gone() {
    let server = Server::start();
    let c = run(&[], "echo one; while true; do sleep 0.2; done");
    wait_for("output", || docker(&["logs", &c.0]).contains("one"));
    let child = stream_child(&server.url(&format!("/api/logs?host=local&id={}", c.0)), &[], 20);
    std::thread::sleep(Duration::from_millis(1000));
    docker(&["rm", "-f", &c.0]);
    let (events, took) = finish(child);
    assert!(took < Duration::from_secs(15), "the stream ended when the container went ({took:?})");
    assert_eq!(events.last().unwrap().event, "gone", "{events:?}");
    assert_eq!(lines(&events), vec![("stdout".to_string(), "one".to_string())]);
}

#[test]
fn the_whole_log_downloads_as_text() {
    let server = Server::start();
    let c = run(&[], "for i in $(seq 1 2000); do echo \"line $i\"; done; sleep 0.2; echo oops >&2");
    wait_for("the container to exit", || docker(&["inspect", "-f", "{{.State.Status}}", &c.0]) == "exited");
    // Compressed, as a browser asks for it.
    let out = Command::new("curl")
        .args(["-s", "--compressed", "-D", "-", &server.url(&format!("/api/logs/download?host=local&id={}", c.0))])
        .output()
        .unwrap();
    assert!(out.status.success(), "curl: {:?}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.to_lowercase().contains("content-disposition: attachment; filename=\"logs-test-"), "{head}");
    assert!(head.to_lowercase().contains("content-type: text/plain"), "{head}");
    let rows: Vec<&str> = body.lines().collect();
    assert_eq!(rows.len(), 2001);
    let first: Vec<&str> = rows[0].splitn(3, ' ').collect();
    assert!(first[0].ends_with('Z') && first[0].len() == 30, "{}", rows[0]);
    assert_eq!(&first[1..], &["stdout", "line 1"]);
    assert!(rows[2000].ends_with(" stderr oops"));
}

#[test]
fn bad_input_is_refused_before_anything_streams() {
    let server = Server::start();
    let c = run(&[], "sleep 30");
    for (query, status) in [
        (format!("host=local&id={}&tail=-1", c.0), 400),
        (format!("host=local&id={}&tail=abc", c.0), 400),
        (format!("host=local&id={}&tail=100001", c.0), 400),
        (format!("host=local&id={}&bogus=1", c.0), 400),
        ("host=local&id=bad%2Fid".to_string(), 400),
        ("host=nowhere&id=abc".to_string(), 404),
        (format!("host=local&id={}", "0".repeat(64)), 404),
    ] {
        let (code, body) = curl(&["--max-time", "5", &server.url(&format!("/api/logs?{query}"))]);
        assert_eq!(code, status, "{query}: {body}");
        let err: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{query}: not JSON: {body}"));
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        let (code, _) = curl(&["--max-time", "5", &server.url(&format!("/api/logs/download?{query}"))]);
        let expected = if query.contains("tail=") { 400 } else { status };
        assert_eq!(code, expected, "download {query}");
    }
    // At the limits: fine.
    for tail in ["0", "100000"] {
        let events = stream(&server.url(&format!("/api/logs?host=local&id={}&tail={tail}", c.0)), &[], 1);
        assert_eq!(events[0].event, "hello");
    }
}

#[test]
fn a_flood_read_slowly_does_not_grow_server_memory() {
    let server = Server::start();
    let c = run(&[], "yes 'flood line with some text to make it about sixty bytes long..........'");
    std::thread::sleep(Duration::from_secs(1));
    let before = server.rss_kib();
    // A reader taking 20 KB/s from a container writing megabytes a second.
    let child = Command::new("curl")
        .args(["-sN", "--limit-rate", "20k", "--max-time", "8"])
        .arg(server.url(&format!("/api/logs?host=local&id={}&tail=100000", c.0)))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut peak = before;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(7) {
        peak = peak.max(server.rss_kib());
        std::thread::sleep(Duration::from_millis(200));
    }
    let (events, _) = finish(child);
    let count = lines(&events).len();
    let batches = events.iter().filter(|e| e.event == "lines").count();
    eprintln!("{count} lines in {batches} events");
    assert!(count >= 20 * batches, "a flood comes in batches, not a line per event: {count} lines in {batches} events");
    // A fast reader gets batches too: gathered for 25 ms each.
    let fast = stream(&server.url(&format!("/api/logs?host=local&id={}&tail=0", c.0)), &[], 3);
    let (count, batches) = (lines(&fast).len(), fast.iter().filter(|e| e.event == "lines").count());
    eprintln!("fast reader: {count} lines in {batches} events");
    // Each event is full (512 lines) or closed by its 25 ms: in 3 s, at most 120 of those.
    assert!(batches <= 130 + count / 512, "{batches} events for {count} lines in 3 s");
    assert!(count >= 20 * batches, "{count} lines in {batches} events");
    let growth = peak.saturating_sub(before);
    eprintln!("flood with a slow reader: rss {before} KiB -> peak {peak} KiB (+{growth} KiB)");
    assert!(growth < 32 * 1024, "server memory grew by {growth} KiB");
}
