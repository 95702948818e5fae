//! The download links: `{base}/api/export` for exactly the window drawn.

use wire::HistoryRange;

use super::history::Window;

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub(crate) fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The export of `w` as `format` ("csv" or "json"), under `base` (the base path).
pub fn href(base: &str, host: &str, id: &str, range: HistoryRange, format: &str, w: &Window) -> String {
    format!(
        "{base}/api/export?host={}&id={}&range={}&format={format}&from={}&to={}",
        encode(host),
        encode(id),
        range.as_str(),
        w.from_ms,
        w.to_ms
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_names_the_window_drawn_exactly() {
        let w = Window { from_ms: 1_795_000_000_000, to_ms: 1_795_000_900_000 };
        assert_eq!(
            href("/binnacle", "local", "abc", HistoryRange::M15, "csv", &w),
            "/binnacle/api/export?host=local&id=abc&range=15m&format=csv&from=1795000000000&to=1795000900000"
        );
        assert_eq!(
            href("", "a b", "x&y=1", HistoryRange::D7, "json", &w),
            "/api/export?host=a%20b&id=x%26y%3D1&range=7d&format=json&from=1795000000000&to=1795000900000"
        );
    }
}
