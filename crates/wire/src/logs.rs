//! The Logs tab's stream: `GET {base}/api/logs?host&id[&tail]` answers
//! `text/event-stream` (server-sent events). Each event's `data` is one JSON
//! value of a type here; the event names are the `EVENT_*` constants.
//!
//! - `hello` ([`LogsHello`]) first, once per connection;
//! - `lines` ([`LogLine`] array): lines in order, as they come (batched);
//! - `exit` ([`LogsExit`]): the run ended (the divider's first half);
//! - `start` ([`LogsStart`]): a new run began; its lines follow;
//! - `problem` ([`crate::ApiError`]): the engine cannot be read right now
//!   (unreachable, or a logging driver that cannot be read); the stream
//!   stays open and resumes by itself when it can;
//! - `resumed` (`{}`): the log can be read again after a `problem`;
//! - `gone` (`{}`): the container was removed; the stream ends.
//!
//! Every `lines` event carries an SSE `id` (the last line's time in
//! nanoseconds), so a browser that reconnects by itself resumes after it.

use serde::{Deserialize, Serialize};

pub const EVENT_HELLO: &str = "hello";
pub const EVENT_LINES: &str = "lines";
pub const EVENT_EXIT: &str = "exit";
pub const EVENT_START: &str = "start";
pub const EVENT_PROBLEM: &str = "problem";
pub const EVENT_RESUMED: &str = "resumed";
pub const EVENT_GONE: &str = "gone";

/// The most lines `tail` may ask for.
pub const MAX_TAIL: u32 = 100_000;

/// Which output a line came from. A container with a TTY has one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogStream {
    Stdout,
    Stderr,
    Tty,
}

/// One line of a container's log, without its newline. `text` is the
/// container's bytes read as UTF-8 (invalid bytes replaced), control
/// characters and ANSI escapes included: the browser renders colours and
/// makes the rest harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// When Docker received it, ms since the epoch.
    #[serde(rename = "t")]
    pub time_ms: i64,
    #[serde(rename = "s")]
    pub stream: LogStream,
    #[serde(rename = "m")]
    pub text: String,
}

/// The first event of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsHello {
    /// The full container id and its name.
    pub id: String,
    pub name: String,
    pub tty: bool,
    pub running: bool,
    /// Lines asked from before now (`tail`).
    pub tail: u32,
    /// Lines the browser keeps at most (`BINNACLE_LOGS_MAX_LINES`).
    pub max_lines: u32,
    /// True when this connection resumes an earlier one (`Last-Event-ID`):
    /// no tail was sent, only what came after the last line seen.
    pub resumed: bool,
}

/// A run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsExit {
    pub exit_code: Option<i64>,
    /// When it ended (ms since the epoch).
    pub at_ms: i64,
    pub oom_killed: bool,
}

/// A new run began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsStart {
    pub at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_short_on_the_wire() {
        let line = LogLine { time_ms: 1, stream: LogStream::Stderr, text: "\u{1b}[31mred".into() };
        let json = serde_json::to_string(&line).unwrap();
        assert_eq!(json, r#"{"t":1,"s":"stderr","m":"\u001b[31mred"}"#);
        assert_eq!(serde_json::from_str::<LogLine>(&json).unwrap(), line);
    }
}
