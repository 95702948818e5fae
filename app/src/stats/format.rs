//! Numbers in words people read: bytes, rates, CPU and ages.

pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b.max(0.0);
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{v:.0} {}", UNITS[0]) } else { format!("{v:.1} {}", UNITS[u]) }
}

pub fn rate(bps: f64) -> String {
    format!("{}/s", bytes(bps))
}

/// "99.8 % (1.0 of 2 cores)"
pub fn cpu(pct: f32, online: Option<u32>) -> String {
    match online {
        Some(n) => format!("{pct:.1} % ({:.1} of {n} cores)", pct / 100.0),
        None => format!("{pct:.1} %"),
    }
}

/// A length of time in one unit: "10 s", "1 min", "10 min", "1 h", "7 d".
pub fn span(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        _ if s < 60 => format!("{s} s"),
        _ if s < 3600 || s % 3600 != 0 => format!("{} min", s / 60),
        _ if s <= 86_400 || s % 86_400 != 0 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// The range picker's words for a range: "15 min", "1 h", ..., "30 d".
pub fn range_label(r: wire::HistoryRange) -> String {
    span(r.span_ms())
}

/// "3 min ago", "2 h ago", "5 s ago"
pub fn ago(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates_read_naturally() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(20.0 * 1024.0 * 1024.0), "20.0 MiB");
        assert_eq!(rate(1536.0), "1.5 KiB/s");
        assert_eq!(cpu(250.0, Some(4)), "250.0 % (2.5 of 4 cores)");
        assert_eq!(ago(185_000), "3 min ago");
        let labels: Vec<String> = wire::HistoryRange::ALL.into_iter().map(range_label).collect();
        assert_eq!(labels, ["15 min", "1 h", "6 h", "24 h", "7 d", "30 d"]);
        assert_eq!(span(10_000), "10 s");
        assert_eq!(span(600_000), "10 min");
    }
}
