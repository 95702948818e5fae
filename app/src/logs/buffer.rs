//! The lines the Logs tab holds: a bounded queue of lines and run dividers,
//! each with a sequence number, so the page can tell which ones it has
//! already put on screen and which were dropped since.

use std::collections::VecDeque;

use wire::{LogLine, LogStream, LogsExit, LogsStart};

use super::ansi::{self, Style, Styled};

/// Lines kept before the server's hello says how many (`max_lines`).
pub const DEFAULT_MAX_LINES: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub time_ms: i64,
    pub stream: LogStream,
    pub styled: Styled,
}

/// Where one run ended or the next began.
#[derive(Debug, Clone, PartialEq)]
pub enum Divider {
    Exit(LogsExit),
    Start(LogsStart),
    /// The container was removed: nothing follows.
    Gone,
}

impl Divider {
    /// Its `data-kind` on the page.
    pub fn kind(&self) -> &'static str {
        match self {
            Divider::Exit(_) => "exit",
            Divider::Start(_) => "start",
            Divider::Gone => "gone",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Line(Line),
    Divider(Divider),
}

impl Entry {
    pub fn as_line(&self) -> Option<&Line> {
        match self {
            Entry::Line(l) => Some(l),
            Entry::Divider(_) => None,
        }
    }
}

pub fn stream_name(s: LogStream) -> &'static str {
    match s {
        LogStream::Stdout => "stdout",
        LogStream::Stderr => "stderr",
        LogStream::Tty => "tty",
    }
}

#[derive(Debug)]
pub struct LogBuffer {
    entries: VecDeque<Entry>,
    /// The sequence number of `entries[0]`.
    first_seq: u64,
    max: usize,
    lines: usize,
    /// Lines dropped from the front to stay within `max`.
    dropped: u64,
    /// Each stream's SGR state at the end of its last line.
    styles: [Style; 3],
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINES)
    }
}

impl LogBuffer {
    pub fn new(max: usize) -> Self {
        LogBuffer {
            entries: VecDeque::new(),
            first_seq: 0,
            max: max.max(1),
            lines: 0,
            dropped: 0,
            styles: [Style::default(); 3],
        }
    }

    /// Lines held (dividers not counted).
    pub fn lines(&self) -> usize {
        self.lines
    }

    pub fn max(&self) -> usize {
        self.max
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The sequence number of the oldest entry held.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// The sequence number the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + self.entries.len() as u64
    }

    pub fn set_max(&mut self, max: usize) {
        self.max = max.max(1);
        self.trim();
    }

    /// Forgets everything (a stream that starts over); sequence numbers go on.
    pub fn clear(&mut self) {
        self.first_seq = self.next_seq();
        self.entries.clear();
        self.lines = 0;
        self.dropped = 0;
        self.styles = [Style::default(); 3];
    }

    pub fn push_line(&mut self, line: &LogLine) {
        let style = &mut self.styles[line.stream as usize];
        let styled = ansi::parse(&line.text, style);
        self.entries.push_back(Entry::Line(Line { time_ms: line.time_ms, stream: line.stream, styled }));
        self.lines += 1;
        self.trim();
    }

    pub fn push_divider(&mut self, divider: Divider) {
        if matches!(divider, Divider::Start(_)) {
            // A new process: no colour left over from the last one.
            self.styles = [Style::default(); 3];
        }
        self.entries.push_back(Entry::Divider(divider));
        self.trim();
    }

    fn trim(&mut self) {
        while self.entries.len() > self.max {
            if let Some(Entry::Line(_)) = self.entries.pop_front() {
                self.lines -= 1;
                self.dropped += 1;
            }
            self.first_seq += 1;
        }
    }

    pub fn get(&self, seq: u64) -> Option<&Entry> {
        let i = seq.checked_sub(self.first_seq)?;
        self.entries.get(usize::try_from(i).ok()?)
    }

    /// The entries from `seq` on (from the oldest held when `seq` is older),
    /// with their sequence numbers.
    pub fn since(&self, seq: u64) -> impl Iterator<Item = (u64, &Entry)> + '_ {
        let skip = seq.saturating_sub(self.first_seq) as usize;
        self.entries.iter().enumerate().skip(skip).map(|(i, e)| (self.first_seq + i as u64, e))
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &Entry)> + '_ {
        self.since(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: u32, stream: LogStream) -> LogLine {
        LogLine { time_ms: n as i64, stream, text: format!("line {n}") }
    }

    fn texts(b: &LogBuffer) -> Vec<String> {
        b.iter()
            .map(|(_, e)| match e {
                Entry::Line(l) => l.styled.text.clone(),
                Entry::Divider(Divider::Exit(_)) => "exit".into(),
                Entry::Divider(Divider::Start(_)) => "start".into(),
                Entry::Divider(Divider::Gone) => "gone".into(),
            })
            .collect()
    }

    #[test]
    fn the_oldest_lines_go_first_and_are_counted() {
        let mut b = LogBuffer::new(3);
        for n in 1..=5 {
            b.push_line(&line(n, LogStream::Stdout));
        }
        assert_eq!(texts(&b), ["line 3", "line 4", "line 5"]);
        assert_eq!((b.lines(), b.dropped(), b.first_seq(), b.next_seq()), (3, 2, 2, 5));
        assert!(b.get(1).is_none());
        assert_eq!(b.get(4).and_then(Entry::as_line).map(|l| l.time_ms), Some(5));
        assert_eq!(b.since(3).map(|(s, _)| s).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(b.since(0).count(), 3);
    }

    #[test]
    fn dividers_keep_their_place_but_are_not_lines() {
        let mut b = LogBuffer::new(10);
        b.push_line(&line(1, LogStream::Stdout));
        b.push_divider(Divider::Exit(LogsExit { exit_code: Some(137), at_ms: 2, oom_killed: true }));
        b.push_divider(Divider::Start(LogsStart { at_ms: 3 }));
        b.push_line(&line(4, LogStream::Stderr));
        assert_eq!(texts(&b), ["line 1", "exit", "start", "line 4"]);
        assert_eq!(b.lines(), 2);
    }

    #[test]
    fn a_smaller_maximum_drops_at_once_and_clearing_keeps_numbering() {
        let mut b = LogBuffer::new(10);
        for n in 1..=6 {
            b.push_line(&line(n, LogStream::Stdout));
        }
        b.set_max(2);
        assert_eq!(texts(&b), ["line 5", "line 6"]);
        b.clear();
        assert_eq!((b.lines(), b.dropped(), b.first_seq(), b.next_seq()), (0, 0, 6, 6));
        b.push_line(&line(7, LogStream::Stdout));
        assert_eq!(b.since(6).count(), 1);
    }

    #[test]
    fn colour_state_is_kept_per_stream_and_reset_by_a_new_run() {
        let mut b = LogBuffer::new(10);
        let red = |stream| LogLine { time_ms: 0, stream, text: "\u{1b}[31mred".into() };
        let after = |stream| LogLine { time_ms: 0, stream, text: "after".into() };
        b.push_line(&red(LogStream::Stdout));
        b.push_line(&after(LogStream::Stderr));
        b.push_line(&after(LogStream::Stdout));
        let runs = |b: &LogBuffer, seq| b.get(seq).and_then(Entry::as_line).map(|l| l.styled.runs.len());
        assert_eq!((runs(&b, 1), runs(&b, 2)), (Some(0), Some(1)));
        b.push_divider(Divider::Start(LogsStart { at_ms: 1 }));
        b.push_line(&after(LogStream::Stdout));
        assert_eq!(runs(&b, 4), Some(0));
    }
}
