//! A container's life as the collector follows it. Every change, whether an
//! event said so, a re-read of the state found it, or the engine no longer
//! knows the container, goes through [`SeriesData::apply`]: one place sets
//! the state, drops the kept sample and places the marker.

use wire::{MarkerKind, RunState};

use super::series::SeriesData;

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
            "die" => Transition::Die { exit_code },
            "stop" => Transition::Stop,
            "oom" => Transition::Oom,
            "pause" => Transition::Pause,
            "unpause" => Transition::Unpause,
            "destroy" => Transition::Remove,
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
            (k, RunState::Running) if !k.is_running() => Some(Transition::Start),
            (k, RunState::Exited { exit_code, .. }) if k.is_running() => {
                Some(Transition::Die { exit_code: *exit_code })
            }
            _ => None,
        }
    }
}

impl SeriesData {
    /// Applies a transition at `t_ms`; true when the collector must wake.
    pub fn apply(&mut self, transition: Transition, t_ms: i64) -> bool {
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
                if self.state.is_running() {
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
        SeriesData::new(10, RunState::Running, None, None)
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
    }
}
