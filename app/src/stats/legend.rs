//! The series the chart's legend names, each with the key its colour
//! (`--chart-{key}` in the stylesheet) and the hide/show state go by.

/// (key, words), in the order the panels draw them.
pub const SERIES: [(&str, &str); 7] = [
    ("cpu", "CPU"),
    ("mem", "Memory"),
    ("net-rx", "Network received"),
    ("net-tx", "Network sent"),
    ("io-read", "Block read"),
    ("io-write", "Block written"),
    ("pids", "PIDs"),
];

/// Series drawn on the live ranges only.
pub fn live_only(key: &str) -> bool {
    key == "pids"
}
