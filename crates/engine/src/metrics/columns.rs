//! Points as the wire's columns: times as deltas, CPU with one decimal,
//! memory in KiB, whole rates, PIDs where they change; unavailable is `null`.

use wire::Columns;

use super::formulas::{Point, UNAVAILABLE_U32, finite};

pub fn from_points<'a>(points: impl IntoIterator<Item = &'a Point>) -> Columns {
    let mut c = Columns::default();
    let mut last = None;
    for p in points {
        let prev = *last.get_or_insert(p.t_ms);
        if c.dt_ms.is_empty() {
            c.t0_ms = p.t_ms;
        }
        c.dt_ms.push((p.t_ms - prev).clamp(0, u32::MAX as i64) as u32);
        last = Some(p.t_ms);
        c.cpu_pct.push(finite(p.cpu_pct).map(|v| (v * 10.0).round() / 10.0));
        c.mem_kib.push((p.mem_kib != UNAVAILABLE_U32).then_some(p.mem_kib));
        let rate = |v: f32| finite(v).map(|v| v.max(0.0).round() as u64);
        c.net_rx_bps.push(rate(p.net_rx_bps));
        c.net_tx_bps.push(rate(p.net_tx_bps));
        c.blk_read_bps.push(rate(p.blk_read_bps));
        c.blk_write_bps.push(rate(p.blk_write_bps));
        let pids = p.pids();
        if c.pids_changes.last().is_none_or(|(_, last)| *last != pids) {
            c.pids_changes.push((c.dt_ms.len() as u32 - 1, pids));
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{ContainerId, HostName, MAX_SAFE, Marker, MarkerKind, MetricsCursor, MetricsPage, RunState};

    fn page_of(points: &[Point]) -> MetricsPage {
        MetricsPage {
            host: HostName::parse("local").unwrap(),
            id: ContainerId::parse(&"a".repeat(64)).unwrap(),
            epoch: MAX_SAFE - 1,
            first_seq: 123_456,
            next_cursor: MetricsCursor { epoch: MAX_SAFE - 1, seq: 127_056 },
            gap: false,
            reset: false,
            points: from_points(points.iter()),
            markers: (0..20)
                .map(|i| Marker {
                    kind: MarkerKind::Stop,
                    t_ms: 1_795_000_000_000 + i,
                    before_seq: 124_000 + i as u64,
                    exit_code: Some(137),
                })
                .collect(),
            state: RunState::Running,
            interval_ms: 1000,
            poll_interval_ms: 1000,
            history_capacity: 3600,
            client_buffer: 3600,
            memory_limit: Some(1 << 30),
            host_memory: Some(16 << 30),
            online_cpus: Some(8),
            memory_includes_cache: false,
            history_loss: None,
            range: wire::HistoryRange::H1,
            history: None,
        }
    }

    /// A cheap deterministic jitter.
    fn noise(i: u64, m: u64) -> u64 {
        (i.wrapping_mul(2_654_435_761) >> 7) % m
    }

    #[test]
    fn a_full_page_of_a_busy_cpu_container_stays_under_100_kb() {
        // One core busy with noise, 300-400 MiB of memory moving, light
        // network traffic, no disk I/O, a handful of processes; the sample
        // times jitter by a few ms as the daemon's do.
        let mut t = 1_795_000_000_000i64;
        let points: Vec<Point> = (0..3600u64)
            .map(|i| {
                t += 995 + noise(i, 12) as i64;
                Point {
                    t_ms: t,
                    cpu_pct: 95.0 + noise(i, 1000) as f32 / 97.0,
                    mem_kib: 307_200 + noise(i, 102_400) as u32,
                    net_rx_bps: noise(i, 3) as f32 * 120.0,
                    net_tx_bps: 0.0,
                    blk_read_bps: 0.0,
                    blk_write_bps: 0.0,
                    pids: 4,
                }
            })
            .collect();
        let json = serde_json::to_vec(&page_of(&points)).unwrap();
        assert!(json.len() < 100_000, "{} bytes", json.len());
        eprintln!("full page of a busy CPU container: {} bytes", json.len());
    }

    #[test]
    fn columns_round_trip_times_and_unavailable_values() {
        let p = |t, cpu: f32| Point {
            t_ms: t,
            cpu_pct: cpu,
            mem_kib: UNAVAILABLE_U32,
            net_rx_bps: f32::NAN,
            net_tx_bps: 1.4,
            blk_read_bps: 0.0,
            blk_write_bps: 0.0,
            pids: 2,
        };
        let c = from_points([p(1000, 12.34), p(2010, f32::NAN)].iter());
        assert_eq!(c.times_ms(), vec![1000, 2010]);
        assert_eq!(c.cpu_pct, vec![Some(12.3), None]);
        assert_eq!(c.mem_kib, vec![None, None]);
        assert_eq!(c.net_rx_bps, vec![None, None]);
        assert_eq!(c.net_tx_bps, vec![Some(1), Some(1)]);
        assert_eq!(c.pids_changes, vec![(0, Some(2))]);
        assert_eq!(c.pids(), vec![Some(2), Some(2)]);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"cpu_pct\":[12.3,null]"), "{json}");
    }
}
