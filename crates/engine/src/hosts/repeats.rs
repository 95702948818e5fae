//! Docker repeats itself: one OOM kill can arrive as a dozen `oom` events
//! within a few milliseconds (one per process the kernel killed). Each
//! host's events pass through a [`RepeatFilter`] before anyone hears them,
//! so markers, history, logs dividers and counters all see one event.

use std::collections::{HashMap, VecDeque};

use crate::port::EngineEvent;

/// The same action for the same container within this long is one event.
pub(crate) const REPEAT_WINDOW_NANOS: i64 = 1_000_000_000;

/// Events kept per container (within the window); a flood beyond this is
/// still filtered against the newest ones.
const KEPT_PER_CONTAINER: usize = 32;

/// Remembers, per container, the events passed on in the last
/// [`REPEAT_WINDOW_NANOS`], and drops an event that repeats one of them.
///
/// An event repeats an earlier one of the same action (`oom`, `die`,
/// `health_status: healthy`, ...) when it comes within the window of it and
/// the container did not change state in between: `start`, `die`, `start`
/// within a second is a restart loop, not a repeated start. The `die` an
/// OOM kill causes does not part two `oom` events of that kill.
#[derive(Debug)]
pub(crate) struct RepeatFilter {
    window_nanos: i64,
    /// Container id -> (action, time in ns) passed on, oldest first.
    passed: HashMap<String, VecDeque<(String, i64)>>,
    /// The newest event time seen, ns.
    newest_nanos: i64,
    /// When everything older than the window was last forgotten, ns.
    swept_nanos: i64,
}

impl RepeatFilter {
    pub(crate) fn new(window_nanos: i64) -> Self {
        RepeatFilter { window_nanos, passed: HashMap::new(), newest_nanos: 0, swept_nanos: 0 }
    }

    /// True when `event` is new and must be passed on; false for a repeat.
    /// `now_nanos` stands in for an event that carries no time.
    pub(crate) fn pass(&mut self, event: &EngineEvent, now_nanos: i64) -> bool {
        let t = if event.time_nanos > 0 { event.time_nanos } else { now_nanos };
        self.newest_nanos = self.newest_nanos.max(t);
        self.sweep();
        let window = self.window_nanos;
        let passed = self.passed.entry(event.id.clone()).or_default();
        let repeat = match passed.iter().rposition(|(action, _)| action == &event.action) {
            Some(i) => {
                let earlier = passed[i].1;
                (t - earlier).abs() <= window
                    && !passed.iter().skip(i + 1).any(|(between, _)| parts(between, &event.action))
            }
            None => false,
        };
        if !repeat {
            if passed.len() == KEPT_PER_CONTAINER {
                passed.pop_front();
            }
            passed.push_back((event.action.clone(), t));
        }
        !repeat
    }

    /// Forgets what is older than the window, at most once per window.
    fn sweep(&mut self) {
        if self.newest_nanos - self.swept_nanos < self.window_nanos {
            return;
        }
        let oldest = self.newest_nanos - self.window_nanos;
        self.passed.retain(|_, events| {
            while events.front().is_some_and(|(_, t)| *t < oldest) {
                events.pop_front();
            }
            !events.is_empty()
        });
        self.swept_nanos = self.newest_nanos;
    }

    /// How many containers are remembered (for tests of the memory bound).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.passed.len()
    }
}

/// Whether `between`, passed on after an `action` event, means a later
/// `action` is news rather than a repeat: the container changed state.
fn parts(between: &str, action: &str) -> bool {
    fn base(action: &str) -> &str {
        action.split(':').next().unwrap_or_default().trim()
    }
    if between == action {
        return false;
    }
    let (between, action) = (base(between), base(action));
    if between == "health_status" && action == "health_status" {
        return true; // healthy, unhealthy, healthy: each is news
    }
    let changes_state = matches!(
        between,
        "create" | "start" | "restart" | "die" | "died" | "stop" | "kill" | "pause" | "unpause" | "destroy" | "remove"
    );
    // An OOM kill's own death, however its events interleave.
    let death_of_oom = action == "oom" && matches!(between, "die" | "died" | "stop" | "kill");
    between != action && changes_state && !death_of_oom
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;
    const T0: i64 = 1_795_997_698_000 * MS;

    fn event(id: &str, action: &str, t_ms: i64) -> EngineEvent {
        EngineEvent { id: id.into(), action: action.into(), exit_code: None, time_nanos: T0 + t_ms * MS }
    }

    /// The actions `filter` passes on, of `events` in order.
    fn passed(filter: &mut RepeatFilter, events: &[(&str, i64)]) -> Vec<String> {
        events
            .iter()
            .filter(|(action, t)| filter.pass(&event("c1", action, *t), 0))
            .map(|(action, t)| format!("{action}@{t}"))
            .collect()
    }

    #[test]
    fn sixteen_oom_events_of_one_kill_are_one_event() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let mut events: Vec<(&str, i64)> = (0..16).map(|i| ("oom", i * 5)).collect();
        events.push(("die", 81));
        assert_eq!(passed(&mut f, &events), vec!["oom@0", "die@81"]);
    }

    #[test]
    fn an_oom_event_trailing_its_die_is_still_the_same_kill() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let events = [("oom", 0), ("die", 20), ("oom", 25), ("stop", 30), ("oom", 40)];
        assert_eq!(passed(&mut f, &events), vec!["oom@0", "die@20", "stop@30"]);
    }

    #[test]
    fn an_oom_in_the_next_run_is_another_kill() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let events = [("oom", 0), ("oom", 3), ("die", 20), ("start", 120), ("oom", 150), ("die", 160)];
        assert_eq!(passed(&mut f, &events), vec!["oom@0", "die@20", "start@120", "oom@150", "die@160"]);
    }

    #[test]
    fn the_same_action_more_than_a_second_later_is_another_event() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let events = [("oom", 0), ("oom", 900), ("oom", 1_500), ("oom", 2_600)];
        // Measured from the last event passed on, so a steady drizzle still shows.
        assert_eq!(passed(&mut f, &events), vec!["oom@0", "oom@1500", "oom@2600"]);
    }

    #[test]
    fn a_restart_loop_within_a_second_keeps_every_start_and_die() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let events = [("start", 0), ("die", 10), ("start", 110), ("die", 120), ("start", 320), ("die", 330)];
        assert_eq!(passed(&mut f, &events).len(), events.len());
    }

    #[test]
    fn pause_unpause_pause_keeps_all_three() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let events = [("pause", 0), ("unpause", 100), ("pause", 200), ("pause", 210)];
        assert_eq!(passed(&mut f, &events), vec!["pause@0", "unpause@100", "pause@200"]);
    }

    #[test]
    fn health_checks_and_execs_do_not_part_repeats() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let events = [("oom", 0), ("exec_start: sh -c true", 2), ("health_status: healthy", 3), ("oom", 4)];
        assert_eq!(passed(&mut f, &events), vec!["oom@0", "exec_start: sh -c true@2", "health_status: healthy@3"]);
        // Health changes are their own actions: healthy, unhealthy, healthy all pass.
        let events = [("health_status: unhealthy", 100), ("health_status: healthy", 200)];
        assert_eq!(passed(&mut f, &events).len(), 2);
    }

    #[test]
    fn other_containers_events_are_their_own() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        assert!(f.pass(&event("c1", "oom", 0), 0));
        assert!(f.pass(&event("c2", "oom", 1), 0));
        assert!(!f.pass(&event("c1", "oom", 2), 0));
        assert!(!f.pass(&event("c2", "oom", 3), 0));
    }

    #[test]
    fn an_event_without_a_time_is_placed_at_the_clock() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        let untimed = EngineEvent { id: "c1".into(), action: "oom".into(), exit_code: None, time_nanos: 0 };
        assert!(f.pass(&untimed, T0));
        assert!(!f.pass(&untimed, T0 + 500 * MS));
        assert!(f.pass(&untimed, T0 + 1_600 * MS));
    }

    #[test]
    fn memory_holds_only_the_last_second() {
        let mut f = RepeatFilter::new(REPEAT_WINDOW_NANOS);
        // 10,000 containers, one event each, 1 ms apart (10 s in all).
        for i in 0..10_000 {
            assert!(f.pass(&event(&format!("c{i}"), "start", i), 0));
        }
        assert!(f.remembered() <= 2_001, "{} containers remembered", f.remembered());
        // One container's flood keeps a bounded list, and still merges.
        for i in 0..10_000 {
            f.pass(&event("flood", &format!("exec_start: job {i}"), 10_000 + i / 100), 0);
        }
        assert!(f.passed["flood"].len() <= KEPT_PER_CONTAINER);
        assert!(f.pass(&event("flood", "oom", 10_100), 0));
        assert!(!f.pass(&event("flood", "oom", 10_101), 0));
    }
}
