//! A container's life as the collector follows it. Every change, whether an
//! event said so, a re-read of the state found it, or the engine no longer
//! knows the container, goes through [`SeriesData::apply`]: one place sets
//! the state, drops the kept sample and places the marker.

use std::sync::Arc;

use wire::{ContainerDetails, ContainerState, MarkerKind, RunState};

use super::formulas::parse_rfc3339_ms;
use super::series::{Series, SeriesData, now_ms};
use crate::error::Error;
use crate::hosts::Hosts;

/// The state a container's details show.
pub(crate) fn run_state_from(details: &ContainerDetails) -> RunState {
    match details.state {
        ContainerState::Running => RunState::Running,
        ContainerState::Paused => RunState::Paused,
        ContainerState::Restarting => RunState::Restarting,
        ContainerState::Created => RunState::Created,
        _ => RunState::Exited {
            exit_code: details.exit_code,
            at_ms: details.finished_at.as_deref().and_then(parse_rfc3339_ms),
            oom_killed: details.oom_killed,
        },
    }
}

/// Events up to this time (ns, the engine's clock) are already reflected in
/// the details: the current run's start or end, whichever is later, and the
/// event Docker logs a moment after setting it. A replayed `start` of the
/// run the details show is not a new start.
pub(crate) fn events_known_until(details: &ContainerDetails) -> i64 {
    const EVENT_LAG_MS: i64 = 100;
    let started = details.started_at.as_deref().and_then(parse_rfc3339_ms);
    let finished = details.finished_at.as_deref().and_then(parse_rfc3339_ms);
    started.max(finished).map(|ms| (ms + EVENT_LAG_MS).saturating_mul(1_000_000)).unwrap_or(0)
}

/// Reads the container's state from the engine again (events may have been
/// missed) and applies what changed, with its marker.
pub(crate) async fn refresh_state(hosts: &Hosts, series: &Arc<Series>) -> Result<(), Error> {
    let observed = match hosts.details(&series.key.0, &series.key.1).await {
        Ok(details) => run_state_from(&details),
        Err(Error::NotFound { .. }) => RunState::Removed,
        Err(e) => return Err(e),
    };
    let mut d = series.data();
    if d.state == observed {
        return Ok(());
    }
    let at = match &observed {
        RunState::Exited { at_ms: Some(at), .. } => *at,
        _ => now_ms(),
    };
    let wake = match Transition::between(&d.state, &observed) {
        Some(transition) => d.apply(transition, at),
        None => false,
    };
    d.state = observed;
    drop(d);
    if wake {
        series.wake.notify_one();
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Start,
    Restart,
    /// The process ended (Docker's `die`, which carries the exit code).
    Die {
        exit_code: Option<i64>,
    },
    /// `stop` without its `die` (yet): stop collecting, no marker.
    Stop,
    Oom,
    Pause,
    Unpause,
    Remove,
}

impl Transition {
    /// The transition a Docker event action stands for, if any.
    pub fn from_action(action: &str, exit_code: Option<i64>) -> Option<Transition> {
        Some(match action.split(':').next().unwrap_or_default().trim() {
            "start" => Transition::Start,
            "restart" => Transition::Restart,
            // Podman before 4 says `died`.
            "die" | "died" => Transition::Die { exit_code },
            "stop" => Transition::Stop,
            "oom" => Transition::Oom,
            "pause" => Transition::Pause,
            "unpause" => Transition::Unpause,
            // Podman says `remove` (and has no `stop`).
            "destroy" | "remove" => Transition::Remove,
            _ => return None,
        })
    }

    /// What took a container from `known` to the `observed` state while
    /// events were missed (the event stream was down).
    pub fn between(known: &RunState, observed: &RunState) -> Option<Transition> {
        match (known, observed) {
            (_, RunState::Removed) => Some(Transition::Remove),
            (RunState::Paused, RunState::Running) => Some(Transition::Unpause),
            (RunState::Running, RunState::Paused) => Some(Transition::Pause),
            (k, RunState::Running) if !k.has_process() => Some(Transition::Start),
            (k, RunState::Exited { exit_code, .. }) if k.has_process() => {
                Some(Transition::Die { exit_code: *exit_code })
            }
            _ => None,
        }
    }
}

impl SeriesData {
    /// Applies a transition at `t_ms`; true when the collector must wake.
    pub fn apply(&mut self, transition: Transition, t_ms: i64) -> bool {
        // An event the state already shows (one replayed after a reconnect,
        // or that came while the state was read) changes nothing.
        let already = matches!(
            (transition, &self.state),
            (Transition::Start, RunState::Running)
                | (Transition::Pause, RunState::Paused)
                | (Transition::Unpause, RunState::Running)
        );
        if already {
            return false;
        }
        match transition {
            Transition::Start | Transition::Restart => {
                self.state = RunState::Running;
                self.prev = None;
                self.oom_pending = false;
                let kind = if transition == Transition::Start { MarkerKind::Start } else { MarkerKind::Restart };
                self.mark(kind, t_ms, None);
                true
            }
            Transition::Die { exit_code } => {
                let oom_killed = std::mem::take(&mut self.oom_pending);
                self.state = RunState::Exited { exit_code, at_ms: Some(t_ms), oom_killed };
                self.prev = None;
                self.mark(MarkerKind::Stop, t_ms, exit_code);
                false
            }
            Transition::Stop => {
                if self.state.has_process() {
                    self.state = RunState::Exited { exit_code: None, at_ms: Some(t_ms), oom_killed: false };
                    self.prev = None;
                }
                false
            }
            Transition::Oom => {
                self.oom_pending = true;
                self.mark(MarkerKind::Oom, t_ms, None);
                false
            }
            Transition::Pause => {
                self.state = RunState::Paused;
                self.mark(MarkerKind::Pause, t_ms, None);
                false
            }
            Transition::Unpause => {
                self.state = RunState::Running;
                self.mark(MarkerKind::Unpause, t_ms, None);
                true
            }
            Transition::Remove => {
                if self.state == RunState::Removed {
                    return false;
                }
                self.state = RunState::Removed;
                self.prev = None;
                self.mark(MarkerKind::Removed, t_ms, None);
                true // let the collector see it and end
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> SeriesData {
        SeriesData::new(10, RunState::Running, None, None, 0)
    }

    #[test]
    fn an_oom_then_die_is_an_oom_killed_stop_with_both_markers() {
        let mut d = running();
        d.apply(Transition::Oom, 1);
        d.apply(Transition::Die { exit_code: Some(137) }, 2);
        assert_eq!(d.state, RunState::Exited { exit_code: Some(137), at_ms: Some(2), oom_killed: true });
        let kinds: Vec<_> = d.markers.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, vec![MarkerKind::Oom, MarkerKind::Stop]);
    }

    #[test]
    fn an_event_the_state_already_shows_changes_nothing() {
        let mut d = running();
        assert!(!d.apply(Transition::Start, 1));
        assert!(!d.apply(Transition::Unpause, 1));
        assert!(d.markers.is_empty());
        d.apply(Transition::Pause, 2);
        assert!(!d.apply(Transition::Pause, 3));
        assert_eq!(d.markers.len(), 1);
    }

    #[test]
    fn removal_is_marked_once() {
        let mut d = running();
        assert!(d.apply(Transition::Remove, 1));
        assert!(!d.apply(Transition::Remove, 2));
        assert_eq!(d.markers.len(), 1);
    }

    #[test]
    fn missed_events_are_inferred_from_the_observed_state() {
        let exited = RunState::Exited { exit_code: Some(3), at_ms: Some(9), oom_killed: false };
        assert_eq!(Transition::between(&RunState::Running, &exited), Some(Transition::Die { exit_code: Some(3) }));
        assert_eq!(Transition::between(&exited, &RunState::Running), Some(Transition::Start));
        assert_eq!(Transition::between(&RunState::Running, &RunState::Removed), Some(Transition::Remove));
        assert_eq!(Transition::between(&RunState::Running, &RunState::Running), None);
        assert_eq!(Transition::from_action("health_status: healthy", None), None);
        assert_eq!(Transition::from_action("die", Some(1)), Some(Transition::Die { exit_code: Some(1) }));
        // Podman's words: `remove`, `died`; `init` and `cleanup` change nothing.
        assert_eq!(Transition::from_action("remove", None), Some(Transition::Remove));
        assert_eq!(Transition::from_action("died", Some(2)), Some(Transition::Die { exit_code: Some(2) }));
        assert_eq!(Transition::from_action("cleanup", None), None);
        assert_eq!(Transition::from_action("init", None), None);
    }
}
