//! The metrics engine's settings (see the README's table).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct MetricsConfig {
    pub interval: Duration,
    pub history: usize,
    pub idle_timeout: Duration,
    pub max_containers: usize,
    /// Stats requests in flight at once, per host.
    pub max_in_flight: usize,
    /// Time limit of one stats request: the only one applied to it.
    pub request_timeout: Duration,
    /// Overrides the pace browsers poll at (default: `interval`).
    pub client_poll_interval: Option<Duration>,
    /// Points a browser keeps (default: `history`).
    pub client_buffer: Option<usize>,
    /// The list's live numbers.
    pub fleet: super::FleetConfig,
    /// The long history's cap and expiry.
    pub history_tiers: crate::history::HistoryConfig,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            interval: Duration::from_secs(1),
            history: 3600,
            idle_timeout: Duration::from_secs(30 * 60),
            max_containers: 200,
            max_in_flight: 64,
            request_timeout: Duration::from_secs(5),
            client_poll_interval: None,
            client_buffer: None,
            fleet: super::FleetConfig::default(),
            history_tiers: Default::default(),
        }
    }
}

/// A container's Stats tab not read for this long: its 1 s collection
/// pauses (the fleet tier samples it while the list is open); a read
/// resumes it at once. Long enough for a browser tab left for a while.
pub const WATCH_GRACE: Duration = Duration::from_secs(120);

impl MetricsConfig {
    pub fn interval_ms(&self) -> u32 {
        self.interval.as_millis().min(u32::MAX as u128) as u32
    }

    /// How often browsers should poll, ms (at least 100).
    pub fn poll_interval_ms(&self) -> u32 {
        self.client_poll_interval.unwrap_or(self.interval).as_millis().clamp(100, u32::MAX as u128) as u32
    }

    /// How many points a browser should keep.
    pub fn client_buffer(&self) -> u32 {
        self.client_buffer.unwrap_or(self.history).min(u32::MAX as usize) as u32
    }
}
