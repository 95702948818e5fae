//! A container's log, followed across its runs: the last lines, then what
//! comes, a divider when a run ends and when the next begins, until the
//! container is removed or nobody listens any more.
//!
//! Nothing here holds more than one batch of lines: the follower reads the
//! engine's stream only as fast as its reader takes batches from a channel
//! of [`QUEUE`] batches, so a slow browser slows the engine's stream (TCP
//! backpressure) instead of filling memory. Log text is never logged.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{broadcast, mpsc};
use wire::{ContainerDetails, ContainerId, ContainerState, HostName, LogLine, LogStream, LogsExit, LogsStart};

use crate::error::Error;
use crate::hosts::{HostEvent, Hosts};
use crate::metrics::formulas::parse_rfc3339_ms;
use crate::port::{LogChunk, LogsRequest};

/// Batches waiting for the reader, at most.
const QUEUE: usize = 4;
/// Lines per batch, at most.
pub const BATCH: usize = 512;
/// A line without a newline is cut here (Docker itself splits at 16 KiB).
const MAX_LINE: usize = 64 * 1024;
/// How long lines are gathered into one batch after the first.
const GATHER: Duration = Duration::from_millis(25);
/// How long to wait for the `die` event that says why a run ended.
const DIE_WAIT: Duration = Duration::from_secs(2);
/// How often a stopped container is checked in case an event was missed.
const STOPPED_RECHECK: Duration = Duration::from_secs(30);

/// What a follower sends.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    /// Lines in order; `last_nanos` is the last one's time, to resume after.
    Lines {
        lines: Vec<LogLine>,
        last_nanos: i64,
    },
    Exit(LogsExit),
    Start(LogsStart),
    /// The log cannot be read now (engine down, or a logging driver that
    /// cannot be read); following resumes by itself when it can.
    Problem(Error),
    /// The log can be read again after a [`LogEvent::Problem`].
    Resumed,
    /// The container was removed: nothing follows.
    Gone,
}

/// Where to begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// The last `n` lines, then what comes.
    Tail(u32),
    /// Every line after this time (ns since the epoch), e.g. a reconnecting
    /// browser's last one.
    After(i64),
}

/// Follows `details`' container (its full id) until the receiver is dropped.
pub fn follow(hosts: Arc<Hosts>, details: &ContainerDetails, from: Begin) -> mpsc::Receiver<LogEvent> {
    let (tx, rx) = mpsc::channel(QUEUE);
    let host = details.host.clone();
    let id = details.id.clone();
    let running = runs(details.state);
    tokio::spawn(async move {
        tokio::select! {
            () = Follower { hosts, host, id, tx: tx.clone() }.run(from, running) => {}
            () = tx.closed() => {}
        }
    });
    rx
}

fn runs(state: ContainerState) -> bool {
    matches!(state, ContainerState::Running | ContainerState::Paused | ContainerState::Restarting)
}

struct Follower {
    hosts: Arc<Hosts>,
    host: HostName,
    id: ContainerId,
    tx: mpsc::Sender<LogEvent>,
}

/// How one pass over the engine's stream ended.
enum Ended {
    /// The stream ended (the run ended, or the engine closed it).
    Done,
    Failed(Error),
}

impl Follower {
    async fn run(self, from: Begin, mut running: bool) {
        // Subscribed before the first read, so no `die` is missed.
        let mut events = self.hosts.subscribe_events(&self.host).ok();
        let (mut after, mut tail) = match from {
            Begin::Tail(n) => (None, Some(n)),
            Begin::After(nanos) => (Some(nanos), None),
        };
        // A resumed stream of a stopped container has shown its exit already.
        let mut exit_unsaid = matches!(from, Begin::Tail(_));
        let mut retry = crate::backoff::Backoff::new(Duration::from_secs(1), Duration::from_secs(15));
        let mut problem_said = false;
        loop {
            let since_secs = after.map_or(0, |n: i64| n.div_euclid(1_000_000_000));
            let request = LogsRequest { follow: true, tail, since_secs };
            let (ended, sent) = self.read(request, &mut after, &mut problem_said).await;
            if sent {
                exit_unsaid = true;
                retry.reset();
            }
            if (sent || matches!(ended, Ended::Done)) && !self.resumed(&mut problem_said).await {
                return;
            }
            // From now on: everything after the last line, whatever the tail was.
            tail = None;
            if after.is_none() {
                after = Some(0);
            }
            match ended {
                Ended::Failed(e) if e.is_not_found() => return self.gone().await,
                // Docker's own refusal (e.g. a logging driver without reading)
                // will not change while the container exists.
                Ended::Failed(e @ Error::Refused(_)) => {
                    let _ = self.tx.send(LogEvent::Problem(e)).await;
                    return std::future::pending().await;
                }
                Ended::Failed(e) => {
                    if !self.problem(e, &mut problem_said).await {
                        return;
                    }
                    tokio::time::sleep(retry.next_delay()).await;
                    continue;
                }
                Ended::Done => {}
            }
            // The stream ended: find out whether the run did.
            let die = if running { self.wait_for_die(&mut events).await } else { None };
            let details = match self.hosts.details(&self.host, &self.id).await {
                Ok(d) => {
                    if !self.resumed(&mut problem_said).await {
                        return;
                    }
                    d
                }
                Err(e) if e.is_not_found() => {
                    if let Some(exit) = die {
                        let _ = self.tx.send(LogEvent::Exit(exit)).await;
                    }
                    return self.gone().await;
                }
                Err(e) => {
                    if !self.problem(e, &mut problem_said).await {
                        return;
                    }
                    tokio::time::sleep(retry.next_delay()).await;
                    continue;
                }
            };
            if runs(details.state) {
                // Restarted already (or the engine merely closed the stream).
                if let Some(exit) = die {
                    let start = LogsStart { at_ms: started_ms(&details) };
                    if self.tx.send(LogEvent::Exit(exit)).await.is_err()
                        || self.tx.send(LogEvent::Start(start)).await.is_err()
                    {
                        return;
                    }
                }
                running = true;
                continue;
            }
            if exit_unsaid {
                exit_unsaid = false;
                let exit = die.unwrap_or_else(|| LogsExit {
                    exit_code: details.exit_code,
                    at_ms: details.finished_at.as_deref().and_then(parse_rfc3339_ms).unwrap_or_default(),
                    oom_killed: details.oom_killed,
                });
                let exit = LogsExit { oom_killed: exit.oom_killed || details.oom_killed, ..exit };
                if self.tx.send(LogEvent::Exit(exit)).await.is_err() {
                    return;
                }
            }
            match self.wait_for_start(&mut events).await {
                Some(at_ms) => {
                    if self.tx.send(LogEvent::Start(LogsStart { at_ms })).await.is_err() {
                        return;
                    }
                    running = true;
                }
                None => return self.gone().await,
            }
        }
    }

    /// One pass over the engine's stream; sends lines after `after` and
    /// moves it on. Says whether any line was sent.
    async fn read(&self, request: LogsRequest, after: &mut Option<i64>, problem_said: &mut bool) -> (Ended, bool) {
        let stream = match self.hosts.logs(&self.host, &self.id, request) {
            Ok(s) => s,
            Err(e) => return (Ended::Failed(e), false),
        };
        let mut stream = stream.fuse();
        let mut lines = Lines::default();
        let mut sent = false;
        let mut ended = Ended::Done;
        while let Some(first) = stream.next().await {
            // What else comes within GATHER goes in the same batch: a flood
            // is sent as a few dozen events a second, not one per line.
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + GATHER;
            while batch.len() < BATCH {
                match tokio::time::timeout_at(deadline, stream.next()).await {
                    Ok(Some(item)) => batch.push(item),
                    Ok(None) | Err(_) => break,
                }
            }
            let mut out = Vec::new();
            for item in batch {
                match item {
                    Ok(chunk) => lines.push(&chunk, |nanos, line| {
                        if after.is_none_or(|a| nanos > a) {
                            out.push((nanos, line));
                        }
                    }),
                    Err(e) => {
                        ended = Ended::Failed(self.hosts.classify(&self.host, &self.id, e));
                        break;
                    }
                }
            }
            if let Some(&(last, _)) = out.last() {
                *after = Some(last);
                sent = true;
                // Readable again: say so before the lines.
                if !self.resumed(problem_said).await || !self.send_lines(out).await {
                    return (Ended::Done, sent);
                }
            }
            if matches!(ended, Ended::Failed(_)) {
                break;
            }
        }
        let mut out = Vec::new();
        lines.finish(|nanos, line| {
            if after.is_none_or(|a| nanos > a) {
                out.push((nanos, line));
            }
        });
        if let Some(&(last, _)) = out.last() {
            *after = Some(last);
            sent = true;
            self.send_lines(out).await;
        }
        (ended, sent)
    }

    /// Sends lines (with their times in ns) in batches of at most [`BATCH`].
    async fn send_lines(&self, mut lines: Vec<(i64, LogLine)>) -> bool {
        while !lines.is_empty() {
            let rest = lines.split_off(BATCH.min(lines.len()));
            let batch = std::mem::replace(&mut lines, rest);
            let last_nanos = batch.last().map_or(0, |(n, _)| *n);
            let lines = batch.into_iter().map(|(_, l)| l).collect();
            if self.tx.send(LogEvent::Lines { lines, last_nanos }).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Says the log cannot be read now, once per spell of trouble. False
    /// when nobody listens any more.
    async fn problem(&self, e: Error, problem_said: &mut bool) -> bool {
        if std::mem::replace(problem_said, true) {
            return true;
        }
        self.tx.send(LogEvent::Problem(e)).await.is_ok()
    }

    /// Says the log can be read again, if a problem was said. False when
    /// nobody listens any more.
    async fn resumed(&self, problem_said: &mut bool) -> bool {
        if !std::mem::take(problem_said) {
            return true;
        }
        self.tx.send(LogEvent::Resumed).await.is_ok()
    }

    async fn gone(&self) {
        let _ = self.tx.send(LogEvent::Gone).await;
    }

    /// The `die` of the run whose stream just ended, if it comes soon.
    async fn wait_for_die(&self, events: &mut Option<broadcast::Receiver<HostEvent>>) -> Option<LogsExit> {
        let events = events.as_mut()?;
        let deadline = tokio::time::Instant::now() + DIE_WAIT;
        let mut oom = false;
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(HostEvent::Container(e))) if e.id == self.id.as_str() => match e.action.as_str() {
                    "oom" => oom = true,
                    "die" => {
                        return Some(LogsExit {
                            exit_code: e.exit_code,
                            at_ms: e.time_nanos.div_euclid(1_000_000),
                            oom_killed: oom,
                        });
                    }
                    _ => {}
                },
                Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => return None,
            }
        }
    }

    /// Waits for the next run: its start time, or None once the container
    /// is gone. Events say when; a check now and then covers missed ones.
    async fn wait_for_start(&self, events: &mut Option<broadcast::Receiver<HostEvent>>) -> Option<i64> {
        loop {
            let check = match events.as_mut() {
                Some(rx) => match tokio::time::timeout(STOPPED_RECHECK, rx.recv()).await {
                    Ok(Ok(HostEvent::Container(e))) if e.id == self.id.as_str() => match e.action.as_str() {
                        "start" => return Some(e.time_nanos.div_euclid(1_000_000)),
                        "destroy" => return None,
                        _ => false,
                    },
                    Ok(Ok(HostEvent::Container(_))) => false,
                    Ok(Ok(HostEvent::Resubscribed)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) | Err(_) => true,
                    Ok(Err(broadcast::error::RecvError::Closed)) => {
                        *events = None;
                        true
                    }
                },
                None => {
                    tokio::time::sleep(STOPPED_RECHECK).await;
                    true
                }
            };
            if check {
                match self.hosts.details(&self.host, &self.id).await {
                    Ok(d) if runs(d.state) => return Some(started_ms(&d)),
                    Err(e) if e.is_not_found() => return None,
                    _ => {}
                }
            }
        }
    }
}

fn started_ms(d: &ContainerDetails) -> i64 {
    d.started_at.as_deref().and_then(parse_rfc3339_ms).unwrap_or_default()
}

/// Cuts the engine's pieces into lines, each with its time. A piece may
/// hold several lines or part of one (a TTY's stream over TCP); a part is
/// kept, per stream, until its newline comes.
#[derive(Default)]
pub struct Lines {
    partial: [Vec<u8>; 3],
}

impl Lines {
    pub fn push(&mut self, chunk: &LogChunk, mut emit: impl FnMut(i64, LogLine)) {
        let slot = slot(chunk.stream);
        let mut rest: &[u8] = &chunk.bytes;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let (line, tail) = rest.split_at(nl);
            rest = &tail[1..];
            if self.partial[slot].is_empty() {
                emit_line(chunk.stream, line, &mut emit);
            } else {
                let mut whole = std::mem::take(&mut self.partial[slot]);
                whole.extend_from_slice(line);
                emit_line(chunk.stream, &whole, &mut emit);
            }
        }
        if !rest.is_empty() {
            let buf = &mut self.partial[slot];
            buf.extend_from_slice(rest);
            if buf.len() >= MAX_LINE {
                let whole = std::mem::take(buf);
                emit_line(chunk.stream, &whole, &mut emit);
            }
        }
    }

    /// What is left without a newline, at the end of the stream.
    pub fn finish(&mut self, mut emit: impl FnMut(i64, LogLine)) {
        for stream in [LogStream::Stdout, LogStream::Stderr, LogStream::Tty] {
            let whole = std::mem::take(&mut self.partial[slot(stream)]);
            if !whole.is_empty() {
                emit_line(stream, &whole, &mut emit);
            }
        }
    }
}

fn slot(stream: LogStream) -> usize {
    match stream {
        LogStream::Stdout => 0,
        LogStream::Stderr => 1,
        LogStream::Tty => 2,
    }
}

/// `2026-11-29T23:30:01.123456789Z text` -> the time and the line. A line
/// without a time (never from Docker) is dropped rather than misplaced.
fn emit_line(stream: LogStream, raw: &[u8], emit: &mut impl FnMut(i64, LogLine)) {
    let Some(space) = raw.iter().position(|&b| b == b' ').or((!raw.is_empty()).then_some(raw.len())) else { return };
    let Some(nanos) = std::str::from_utf8(&raw[..space]).ok().and_then(parse_nanos) else { return };
    let mut text = raw.get(space + 1..).unwrap_or_default();
    if let [head @ .., b'\r'] = text {
        text = head;
    }
    let line =
        LogLine { time_ms: nanos.div_euclid(1_000_000), stream, text: String::from_utf8_lossy(text).into_owned() };
    emit(nanos, line);
}

/// An RFC 3339 time with up to nanoseconds, as ns since the epoch.
pub fn parse_nanos(raw: &str) -> Option<i64> {
    let ms = parse_rfc3339_ms(raw)?;
    let frac = raw.get(19..).filter(|f| f.starts_with('.')).map_or("", |f| {
        let digits = f[1..].find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len() - 1);
        &f[1..1 + digits]
    });
    // The ms part came from the first three digits; add the rest.
    let below_ms: String = frac.chars().skip(3).chain(std::iter::repeat('0')).take(6).collect();
    ms.checked_mul(1_000_000)?.checked_add(below_ms.parse::<i64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(stream: LogStream, s: &str) -> LogChunk {
        LogChunk { stream, bytes: s.as_bytes().to_vec() }
    }

    fn collect(lines: &mut Lines, chunks: &[LogChunk]) -> Vec<(i64, LogLine)> {
        let mut out = vec![];
        for c in chunks {
            lines.push(c, |n, l| out.push((n, l)));
        }
        out
    }

    #[test]
    fn nanoseconds_are_kept_exactly() {
        assert_eq!(parse_nanos("1970-01-01T00:00:01.123456789Z"), Some(1_123_456_789));
        assert_eq!(parse_nanos("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
        assert_eq!(parse_nanos("1970-01-01T00:00:02Z"), Some(2_000_000_000));
        assert_eq!(parse_nanos("2026-11-29T23:30:01.000000001Z").map(|n| n % 1000), Some(1));
        assert_eq!(parse_nanos("garbage"), None);
    }

    #[test]
    fn pieces_become_lines_with_their_times() {
        let mut lines = Lines::default();
        let got = collect(
            &mut lines,
            &[
                chunk(LogStream::Stdout, "1970-01-01T00:00:01.000000001Z one\n"),
                chunk(LogStream::Stderr, "1970-01-01T00:00:02Z two\r\n1970-01-01T00:00:03Z three\n"),
                chunk(LogStream::Tty, "1970-01-01T00:00:04Z fo"),
                chunk(LogStream::Tty, "ur \u{1b}[31mred\n"),
            ],
        );
        let texts: Vec<_> = got.iter().map(|(n, l)| (*n, l.stream, l.text.as_str())).collect();
        assert_eq!(
            texts,
            vec![
                (1_000_000_001, LogStream::Stdout, "one"),
                (2_000_000_000, LogStream::Stderr, "two"),
                (3_000_000_000, LogStream::Stderr, "three"),
                (4_000_000_000, LogStream::Tty, "four \u{1b}[31mred"),
            ]
        );
        assert_eq!(got[0].1.time_ms, 1000);
    }

    #[test]
    fn an_empty_line_and_a_last_line_without_newline_are_kept() {
        let mut lines = Lines::default();
        let mut got =
            collect(&mut lines, &[chunk(LogStream::Stdout, "1970-01-01T00:00:01Z \n1970-01-01T00:00:02Z end")]);
        lines.finish(|n, l| got.push((n, l)));
        let texts: Vec<_> = got.iter().map(|(_, l)| l.text.as_str()).collect();
        assert_eq!(texts, vec!["", "end"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_a_huge_line_is_cut() {
        let mut lines = Lines::default();
        let mut bytes = b"1970-01-01T00:00:01Z \xff ok\n".to_vec();
        bytes.extend(b"1970-01-01T00:00:02Z ");
        bytes.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        let got = collect(&mut lines, &[LogChunk { stream: LogStream::Stdout, bytes }]);
        assert_eq!(got[0].1.text, "\u{fffd} ok");
        assert_eq!(got.len(), 2, "the long line is cut rather than held without bound");
        assert!(lines.partial.iter().all(Vec::is_empty));
    }
}
