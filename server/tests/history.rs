//! The long history with the real binary and the real engine: a running
//! container's samples fill the 6 h tier, export gives the same buckets as
//! CSV and JSON, bad input gets 400/404, the history survives a SIGTERM and
//! a start from the same data directory, with a restart marker, and a
//! container re-created under the same name continues it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_binnacle");

mod support;

use support::{curl, free_port, image};

fn post(port: u16, endpoint: &str, body: &Value) -> (u16, String) {
    let url = format!("http://127.0.0.1:{port}/api/{endpoint}");
    curl(&["-X", "POST", "-H", "content-type: application/json", "-d", &body.to_string(), &url])
}

fn get(port: u16, path: &str) -> (u16, String) {
    curl(&[&format!("http://127.0.0.1:{port}{path}")])
}

struct Server(Child);

impl Server {
    fn start(port: u16, dir: &std::path::Path) -> Server {
        let child = Command::new(BIN)
            .args(["--auth", "none", "--listen", &format!("127.0.0.1:{port}")])
            .env("BINNACLE_DATA_DIR", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while get(port, "/healthz").0 != 200 {
            assert!(t.elapsed() < Duration::from_secs(30), "binnacle did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        Server(child)
    }

    fn terminate(mut self) {
        Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status().unwrap();
        let t = Instant::now();
        while self.0.try_wait().unwrap().is_none() {
            assert!(t.elapsed() < Duration::from_secs(20), "binnacle did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct TestContainer(String);

impl Drop for TestContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

fn run_busy(name: &str) -> TestContainer {
    let out = Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            name,
            "--label",
            "binnacle.test=history",
            &image(),
            "sh",
            "-c",
            "while :; do :; done",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker run: {}", String::from_utf8_lossy(&out.stderr));
    TestContainer(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

fn filled(page: &Value, column: &str) -> usize {
    page["history"][column].as_array().map_or(0, |c| c.iter().filter(|v| !v.is_null()).count())
}

#[test]
fn the_six_hour_tier_fills_exports_and_survives_a_restart() {
    let name = format!("binnacle-history-test-{}", std::process::id());
    let _ = Command::new("docker").args(["rm", "-f", &name]).output();
    let container = run_busy(&name);
    let id = container.0.clone();
    let dir = std::env::temp_dir().join(format!("binnacle-history-test-{}", std::process::id()));
    let port = free_port();
    let server = Server::start(port, &dir);

    // The Stats tab at 1 h starts the 1 s collector, whose samples feed the tiers.
    let (status, _) = post(port, "container_metrics", &serde_json::json!({"host": "local", "id": id}));
    assert_eq!(status, 200);
    let ask = serde_json::json!({"host": "local", "id": id, "range": "6h"});
    let t = Instant::now();
    let page = loop {
        let (status, body) = post(port, "container_metrics", &ask);
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        if filled(&page, "cpu_avg") >= 1 && filled(&page, "mem_avg_kib") >= 1 {
            break page;
        }
        assert!(t.elapsed() < Duration::from_secs(40), "no bucket filled: {body:.400}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let h = &page["history"];
    assert_eq!(h["resolution_ms"], 10_000);
    assert_eq!(h["cpu_avg"].as_array().unwrap().len(), 2160);
    assert_eq!(page["range"], "6h");
    assert!(page["points"]["dt_ms"].as_array().unwrap().is_empty());
    let busy = h["cpu_avg"].as_array().unwrap().iter().filter_map(Value::as_f64).fold(0.0, f64::max);
    assert!(busy > 50.0, "a busy loop shows as busy: {busy}");

    // Polling from the cursor gives the newest bucket again, and no more.
    let more = post(
        port,
        "container_metrics",
        &serde_json::json!({"host": "local", "id": id, "range": "6h", "history_cursor": h["next_cursor"]}),
    );
    let more: Value = serde_json::from_str(&more.1).unwrap();
    assert_eq!(more["history"]["first_bucket"], h["next_cursor"]);
    assert!(more["history"]["cpu_avg"].as_array().unwrap().len() <= 3);

    // Export: the same buckets, as CSV and JSON.
    let (status, csv) = get(port, &format!("/api/export?host=local&id={id}&range=6h&format=csv"));
    assert_eq!(status, 200, "{csv}");
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("time,cpu_min_percent_of_one_core,cpu_avg_percent_of_one_core,"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty() && rows.len() <= filled(&page, "mem_avg_kib") + 2, "{csv}");
    assert!(rows[0].starts_with("20") && rows[0].contains('T') && rows[0].split(',').next().unwrap().ends_with('Z'));
    let (status, json) = get(port, &format!("/api/export?host=local&id={id}&range=6h&format=json"));
    assert_eq!(status, 200);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert!(json["rows"].as_array().unwrap().len() >= rows.len().saturating_sub(1));
    assert!(json["rows"][0]["memory_avg_bytes"].as_f64().unwrap() > 0.0);
    let (status, live) = get(port, &format!("/api/export?host=local&id={id}&range=15m"));
    assert_eq!(status, 200);
    assert!(live.starts_with("time,cpu_percent_of_one_core,memory_bytes,") && live.lines().count() >= 2, "{live}");

    // Bad input: a clear 4xx.
    for (path, want) in [
        (format!("/api/export?host=local&id={id}&format=xml"), 400),
        (format!("/api/export?host=local&id={id}&range=2h"), 400),
        (format!("/api/export?host=local&id={id}&from=10&to=5"), 400),
        (format!("/api/export?host=local&id={id}&range=6h&from=0&to=99999999999"), 400),
        (format!("/api/export?host=local&id={id}&colour=red"), 400),
        ("/api/export?host=local".to_string(), 400),
        ("/api/export?host=local&id=no-such-container-here&range=6h".to_string(), 404),
        ("/api/export?host=nope&id=abc&range=6h".to_string(), 404),
    ] {
        let (status, body) = get(port, &path);
        assert_eq!(status, want, "{path}: {body}");
        assert!(body.contains("\"kind\""), "{path}: the JSON error: {body}");
    }
    for (ask, want) in [
        (serde_json::json!({"host": "local", "id": id, "range": "2h"}), 400),
        (serde_json::json!({"host": "local", "id": id, "range": "6h", "history_cursor": -5}), 400),
        (serde_json::json!({"host": "local", "id": "no-such-container-here", "range": "7d"}), 404),
    ] {
        assert_eq!(post(port, "container_metrics", &ask).0, want, "{ask}");
    }

    // SIGTERM writes the file; the next start reads it back, marked.
    let before = filled(&page, "mem_avg_kib");
    server.terminate();
    assert!(dir.join("history.bin").exists(), "the history file is written at SIGTERM");
    let server = Server::start(port, &dir);
    let (status, body) = post(port, "container_metrics", &ask);
    assert_eq!(status, 200);
    let again: Value = serde_json::from_str(&body).unwrap();
    assert!(filled(&again, "mem_avg_kib") >= before, "the buckets came back: {body:.300}");
    let markers = again["history"]["markers"].as_array().unwrap();
    assert!(markers.iter().any(|m| m["kind"] == "server_restart"), "{markers:?}");

    // Removed and run again under the same name: the history goes on.
    drop(container);
    let container = run_busy(&name);
    let (status, _) = post(port, "container_metrics", &serde_json::json!({"host": "local", "id": container.0}));
    assert_eq!(status, 200);
    let (status, body) =
        post(port, "container_metrics", &serde_json::json!({"host": "local", "id": container.0, "range": "6h"}));
    assert_eq!(status, 200);
    let continued: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(continued["id"], container.0.as_str());
    assert!(filled(&continued, "mem_avg_kib") >= before, "the old container's buckets: {body:.300}");
    let markers = continued["history"]["markers"].as_array().unwrap();
    assert!(markers.iter().any(|m| m["kind"] == "recreated"), "{markers:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
