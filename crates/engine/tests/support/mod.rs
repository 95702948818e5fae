//! What the real-engine tests share: the docker CLI, and labelled busybox
//! containers that are removed when dropped.

#![allow(dead_code)]

use std::process::Command;

use wire::ContainerId;

pub fn image() -> String {
    std::env::var("BINNACLE_TEST_IMAGE").unwrap_or_else(|_| "binnacle-busybox:latest".into())
}

/// Runs the docker CLI; its trimmed output, or a panic with its error.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker CLI");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub struct TestContainer(pub String);

impl TestContainer {
    /// A busybox container running `script`, labelled `binnacle.test=<suite>`
    /// (so `make` cleans up only tests' containers).
    pub fn run(suite: &str, tag: &str, script: &str) -> TestContainer {
        let name = format!("binnacle-{suite}-{tag}-{}", std::process::id());
        let label = format!("binnacle.test={suite}");
        let image = image();
        let args = ["run", "-d", "--label", &label, "--stop-timeout", "2", "--name", &name, &image, "sh", "-c", script];
        TestContainer(docker(&args))
    }

    pub fn id(&self) -> ContainerId {
        ContainerId::parse(&self.0).unwrap()
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}
