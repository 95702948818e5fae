//! Words and times of the Logs tab, and its URLs: pure, so they are tested
//! natively. A local time is UTC shifted by the browser's offset for that
//! instant (`offset_min`, minutes east of UTC; 0 for UTC).

use super::buffer::{Divider, Line, stream_name};
use crate::stats::export::encode;

/// The date and the time of day (`21:40:00.123`) at `ms`, shifted by the offset.
fn local(ms: i64, offset_min: i32) -> (String, String) {
    let iso = wire::format_iso_ms(ms.saturating_add(offset_min as i64 * 60_000));
    let (date, time) = iso.split_once('T').unwrap_or((&iso, ""));
    (date.to_string(), time.trim_end_matches('Z').to_string())
}

/// A line's time on screen: `12:03:04.123`.
pub fn clock_ms(ms: i64, offset_min: i32) -> String {
    local(ms, offset_min).1
}

/// A divider's time: `12:03:04`.
pub fn clock(ms: i64, offset_min: i32) -> String {
    let (_, time) = local(ms, offset_min);
    time.split('.').next().unwrap_or_default().to_string()
}

/// The zone as a suffix: `UTC`, `UTC+01:00`, `UTC-05:30`.
pub fn zone(offset_min: i32, utc: bool) -> String {
    if utc || offset_min == 0 {
        return "UTC".into();
    }
    let sign = if offset_min < 0 { '-' } else { '+' };
    let a = offset_min.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 60, a % 60)
}

/// The full date and time, for a line's tooltip: `2026-11-23 12:03:04.123 UTC+01:00`.
pub fn date_time(ms: i64, offset_min: i32, utc: bool) -> String {
    let (date, time) = local(ms, offset_min);
    format!("{date} {time} {}", zone(offset_min, utc))
}

/// "— exited with code 137 (OOM killed) at 12:03:04 —", "— started at 12:03:05 —".
pub fn divider_text(d: &Divider, offset_min: i32) -> String {
    match d {
        Divider::Exit(e) => {
            let code = e.exit_code.map(|c| format!(" with code {c}")).unwrap_or_default();
            let oom = if e.oom_killed { " (OOM killed)" } else { "" };
            format!("— exited{code}{oom} at {} —", clock(e.at_ms, offset_min))
        }
        Divider::Start(s) => format!("— started at {} —", clock(s.at_ms, offset_min)),
        Divider::Gone => "— container removed; the log ends here —".into(),
    }
}

/// A line of a download of visible lines, like the whole-log download's:
/// `<ISO time> <stream> <text>`, the text as shown (no escapes).
pub fn download_line(l: &Line) -> String {
    format!("{} {} {}", wire::format_iso_ms(l.time_ms), stream_name(l.stream), l.styled.text)
}

/// The stream, under `base` (the base path).
pub fn stream_url(base: &str, host: &str, id: &str) -> String {
    format!("{base}/api/logs?host={}&id={}", encode(host), encode(id))
}

/// The whole-log download.
pub fn download_url(base: &str, host: &str, id: &str) -> String {
    format!("{base}/api/logs/download?host={}&id={}", encode(host), encode(id))
}

/// `<name>-logs.txt`, with anything but letters, digits, `-`, `_`, `.` made `_`.
pub fn file_name(container: &str) -> String {
    let name: String = container
        .trim_start_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() { "container-logs.txt".into() } else { format!("{name}-logs.txt") }
}

/// "12 of 40 lines", "40 lines", "1 line".
pub fn count_text(shown: usize, lines: usize, filtered: bool) -> String {
    let noun = |n: usize| if n == 1 { "line" } else { "lines" };
    if filtered { format!("{shown} of {lines} {}", noun(lines)) } else { format!("{lines} {}", noun(lines)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::ansi::Styled;
    use wire::{LogStream, LogsExit, LogsStart};

    // 2026-11-23 21:40:00.123 UTC
    const T: i64 = 1_795_470_000_123;

    #[test]
    fn times_in_utc_and_in_a_local_zone() {
        assert_eq!(clock_ms(T, 0), "21:40:00.123");
        assert_eq!(clock_ms(T, 60), "22:40:00.123");
        assert_eq!(clock(T, -330), "16:10:00");
        assert_eq!(date_time(T, 180, false), "2026-11-24 00:40:00.123 UTC+03:00");
        assert_eq!(date_time(T, -330, false), "2026-11-23 16:10:00.123 UTC-05:30");
        assert_eq!(date_time(T, 0, true), "2026-11-23 21:40:00.123 UTC");
        assert_eq!(clock_ms(-1, 0), "23:59:59.999");
    }

    #[test]
    fn dividers_say_how_a_run_ended_and_when_the_next_began() {
        let exit = Divider::Exit(LogsExit { exit_code: Some(137), at_ms: T, oom_killed: true });
        assert_eq!(divider_text(&exit, 0), "— exited with code 137 (OOM killed) at 21:40:00 —");
        let plain = Divider::Exit(LogsExit { exit_code: None, at_ms: T, oom_killed: false });
        assert_eq!(divider_text(&plain, 0), "— exited at 21:40:00 —");
        assert_eq!(divider_text(&Divider::Start(LogsStart { at_ms: T + 1000 }), 60), "— started at 22:40:01 —");
    }

    #[test]
    fn a_downloaded_line_has_its_utc_time_stream_and_visible_text() {
        let l = Line { time_ms: T, stream: LogStream::Stderr, styled: Styled { text: "oops␇".into(), runs: vec![] } };
        assert_eq!(download_line(&l), "2026-11-23T21:40:00.123Z stderr oops␇");
    }

    #[test]
    fn urls_carry_the_base_path_and_encode_what_they_are_given() {
        assert_eq!(stream_url("/binnacle", "local", "abc"), "/binnacle/api/logs?host=local&id=abc");
        assert_eq!(download_url("", "a b", "x&y"), "/api/logs/download?host=a%20b&id=x%26y");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("web-1"), "web-1-logs.txt");
        assert_eq!(file_name("/a b/../c"), "a_b_.._c-logs.txt");
        assert_eq!(file_name(""), "container-logs.txt");
        assert_eq!(file_name("..."), "container-logs.txt");
    }

    #[test]
    fn counts_read_naturally() {
        assert_eq!(count_text(3, 40, true), "3 of 40 lines");
        assert_eq!(count_text(40, 40, false), "40 lines");
        assert_eq!(count_text(1, 1, false), "1 line");
    }
}
