//! The `binnacle` binary itself: what `--help` shows works as shown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_binnacle");

#[test]
fn help_shows_the_log_filter_example() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains(server::settings::LOG_EXAMPLE), "{help}");
    assert!(help.contains("BINNACLE_LOG"));
}

#[test]
fn the_log_filter_example_turns_on_the_engines_debug_lines() {
    // An engine that is not there: the engine logs each failed check at debug.
    let mut child = Command::new(BIN)
        .args([
            "--auth",
            "none",
            "--listen",
            "127.0.0.1:0",
            "--docker-host",
            "unix:///tmp/binnacle-no-engine-here.sock",
        ])
        .env("BINNACLE_LOG", server::settings::LOG_EXAMPLE)
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut found = false;
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            found |= line.contains("DEBUG") && line.contains("engine check failed");
            seen.push(line);
            if found {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(found, "no engine debug line with BINNACLE_LOG={}:\n{}", server::settings::LOG_EXAMPLE, seen.join("\n"));
    assert!(!seen.iter().any(|l| l.contains("DEBUG") && l.contains("hyper")), "other crates stay at info");
}
