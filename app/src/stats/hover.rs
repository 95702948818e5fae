//! The words of the hover readout: a point's values, or a bucket's
//! minimum, average and maximum. (Its time is formatted in the browser.)

use super::format;
use super::history::Bucket;
use super::series::ClientPoint;

/// One line of the readout: a label and its values.
pub type Line = (&'static str, String);

fn or_unavailable(v: Option<String>) -> String {
    v.unwrap_or_else(|| "unavailable".into())
}

fn pair(a: Option<f64>, b: Option<f64>, la: &str, lb: &str) -> String {
    match (a, b) {
        (None, None) => "unavailable".into(),
        (a, b) => format!("{la} {}, {lb} {}", or_unavailable(a.map(format::rate)), or_unavailable(b.map(format::rate))),
    }
}

fn min_avg_max(min: Option<f64>, avg: Option<f64>, max: Option<f64>, unit: impl Fn(f64) -> String) -> String {
    match (min, avg, max) {
        (None, None, None) => "unavailable".into(),
        _ => format!(
            "min {} · avg {} · max {}",
            or_unavailable(min.map(&unit)),
            or_unavailable(avg.map(&unit)),
            or_unavailable(max.map(&unit))
        ),
    }
}

/// A live point's values.
pub fn point_lines(p: &ClientPoint, online_cpus: Option<u32>) -> Vec<Line> {
    vec![
        ("CPU", or_unavailable(p.cpu.map(|c| format::cpu(c, online_cpus)))),
        ("Memory", or_unavailable(p.mem_bytes.map(|b| format::bytes(b as f64)))),
        ("Network", pair(p.net_rx, p.net_tx, "received", "sent")),
        ("Block I/O", pair(p.blk_read, p.blk_write, "read", "written")),
        ("PIDs", or_unavailable(p.pids.map(|n| n.to_string()))),
    ]
}

/// A bucket's values: CPU and memory as min, average and max; rates averaged.
pub fn bucket_lines(b: &Bucket) -> Vec<Line> {
    let kib = |v: Option<u32>| v.map(|k| k as f64 * 1024.0);
    let rate = |v: Option<u64>| v.map(|r| r as f64);
    let pct = |v: f64| format!("{v:.1} %");
    let mut lines = vec![
        ("CPU", min_avg_max(b.cpu_min.map(f64::from), b.cpu_avg.map(f64::from), b.cpu_max.map(f64::from), pct)),
        ("Memory", min_avg_max(kib(b.mem_min_kib), kib(b.mem_avg_kib), kib(b.mem_max_kib), format::bytes)),
        ("Network", pair(rate(b.net_rx), rate(b.net_tx), "received", "sent")),
        ("Block I/O", pair(rate(b.blk_read), rate(b.blk_write), "read", "written")),
    ];
    if b.event {
        lines.push(("Events", "a start, stop or other lifecycle event".into()));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_reads_as_min_avg_max_and_a_point_as_its_values() {
        let b = Bucket {
            cpu_min: Some(1.0),
            cpu_avg: Some(2.3),
            cpu_max: Some(40.0),
            mem_min_kib: Some(1024),
            mem_avg_kib: Some(2048),
            mem_max_kib: None,
            net_rx: Some(1536),
            ..Default::default()
        };
        let lines = bucket_lines(&b);
        assert_eq!(lines[0], ("CPU", "min 1.0 % · avg 2.3 % · max 40.0 %".to_string()));
        assert_eq!(lines[1].1, "min 1.0 MiB · avg 2.0 MiB · max unavailable");
        assert_eq!(lines[2].1, "received 1.5 KiB/s, sent unavailable");
        assert_eq!(lines[3].1, "unavailable");
        assert_eq!(lines.len(), 4);

        let p = ClientPoint {
            seq: 0,
            t_ms: 0,
            cpu: Some(150.0),
            mem_bytes: None,
            net_rx: None,
            net_tx: None,
            blk_read: Some(0.0),
            blk_write: Some(2048.0),
            pids: Some(3),
            gap_before: false,
        };
        let lines = point_lines(&p, Some(4));
        assert_eq!(lines[0].1, "150.0 % (1.5 of 4 cores)");
        assert_eq!(lines[1].1, "unavailable");
        assert_eq!(lines[3].1, "read 0 B/s, written 2.0 KiB/s");
        assert_eq!(lines[4], ("PIDs", "3".to_string()));
    }
}
