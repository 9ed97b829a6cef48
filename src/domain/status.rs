//! The status of a pipeline, workflow or step, which moves are legal, and how statuses merge
//! (a workflow's status is the merge of its steps', a pipeline's the merge of its workflows').

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a pipeline, workflow or step stands. Wire names are upstream's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being created; internal and brief.
    Created,
    /// Waiting for an agent.
    Pending,
    /// An agent is executing it.
    Running,
    /// Finished without failure.
    Success,
    /// A step failed.
    Failure,
    /// Stopped while running (cancel, timeout).
    Killed,
    /// Canceled before it started.
    Canceled,
    /// Could not run: bad configuration or a system error.
    Error,
    /// Waiting for approval.
    Blocked,
    /// Approval was refused.
    Declined,
    /// Not run, because its `when` or its dependencies said so.
    Skipped,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 11] = [
        Self::Created,
        Self::Pending,
        Self::Running,
        Self::Success,
        Self::Failure,
        Self::Killed,
        Self::Canceled,
        Self::Error,
        Self::Blocked,
        Self::Declined,
        Self::Skipped,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Killed => "killed",
            Self::Canceled => "canceled",
            Self::Error => "error",
            Self::Blocked => "blocked",
            Self::Declined => "declined",
            Self::Skipped => "skipped",
        }
    }

    /// A finished status never changes again; a restart makes a new pipeline instead.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Success
                | Self::Failure
                | Self::Killed
                | Self::Canceled
                | Self::Error
                | Self::Declined
                | Self::Skipped
        )
    }

    /// Still to be decided: these block deletion of a pipeline or its logs.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Created | Self::Pending | Self::Running | Self::Blocked)
    }

    /// Whether moving from `self` to `to` is allowed.
    ///
    /// Staying put is always allowed, so repeated reports (an agent retrying `Update`) are harmless.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        if self == to {
            return true;
        }
        match self {
            Created => matches!(to, Pending | Blocked | Error | Skipped),
            // Blocked pipelines are approved (pending), declined, or canceled by a user.
            Blocked => matches!(to, Pending | Declined | Canceled),
            // A pending step may report its end straight away (it finished before its first update).
            Pending => matches!(to, Running | Success | Failure | Killed | Canceled | Error | Skipped),
            Running => matches!(to, Success | Failure | Killed | Error),
            Success | Failure | Killed | Canceled | Error | Declined | Skipped => false,
        }
    }

    /// Rank used by [`merge`]: the higher one wins.
    fn priority(self) -> u8 {
        match self {
            Self::Skipped => 0,
            Self::Success => 1,
            Self::Failure => 2,
            Self::Pending => 3,
            Self::Running => 4,
            Self::Canceled => 5,
            Self::Killed => 6,
            Self::Error => 7,
            Self::Created => 8,
            Self::Blocked => 9,
            Self::Declined => 10,
        }
    }
}

/// Merges two statuses into the one a parent shows, upstream's way: the more significant wins
/// (declined > blocked > created > error > killed > canceled > running > pending > failure >
/// success > skipped), and `canceled` next to anything but `canceled` counts as `killed`.
pub fn merge(a: Status, b: Status) -> Status {
    let winner = if a.priority() >= b.priority() { a } else { b };
    if winner == Status::Canceled && a != b { Status::Killed } else { winner }
}

/// Merges the statuses of a parent's children, starting from `success` (so no children, or only
/// skipped ones, give `success`).
pub fn merge_all(children: impl IntoIterator<Item = Status>) -> Status {
    children.into_iter().fold(Status::Success, merge)
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status '{0}'")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_wire_name() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert!("done".parse::<Status>().is_err());
    }

    #[test]
    fn terminal_statuses_never_move() {
        for from in Status::ALL.into_iter().filter(|s| s.is_terminal()) {
            for to in Status::ALL.into_iter().filter(|to| *to != from) {
                assert!(!from.can_become(to), "{from} -> {to} must be illegal");
            }
        }
    }

    #[test]
    fn the_normal_life_of_a_step_is_legal() {
        assert!(Created.can_become(Pending));
        assert!(Pending.can_become(Running));
        assert!(Running.can_become(Success));
        assert!(Running.can_become(Failure));
    }

    #[test]
    fn approval_moves_blocked_to_pending_or_declined() {
        assert!(Blocked.can_become(Pending));
        assert!(Blocked.can_become(Declined));
        assert!(!Blocked.can_become(Running));
    }

    #[test]
    fn a_running_step_is_killed_not_canceled() {
        assert!(Running.can_become(Killed));
        assert!(!Running.can_become(Canceled));
        assert!(Pending.can_become(Canceled));
    }

    #[test]
    fn a_running_step_cannot_go_back_to_pending() {
        assert!(!Running.can_become(Pending));
    }

    #[test]
    fn merge_prefers_the_more_significant_status() {
        assert_eq!(merge(Success, Failure), Failure);
        assert_eq!(merge(Failure, Running), Running);
        assert_eq!(merge(Running, Error), Error);
        assert_eq!(merge(Blocked, Declined), Declined);
        assert_eq!(merge(Skipped, Success), Success);
    }

    #[test]
    fn canceled_next_to_anything_else_is_killed() {
        assert_eq!(merge(Success, Canceled), Killed);
        assert_eq!(merge(Canceled, Canceled), Canceled);
    }

    #[test]
    fn merging_nothing_or_only_skips_is_success() {
        assert_eq!(merge_all([]), Success);
        assert_eq!(merge_all([Skipped, Skipped]), Success);
        assert_eq!(merge_all([Success, Failure, Success]), Failure);
        assert_eq!(merge_all([Canceled, Canceled]), Killed);
    }

    #[test]
    fn active_statuses_are_the_undecided_ones() {
        let active: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_active()).collect();
        assert_eq!(active, [Created, Pending, Running, Blocked]);
    }
}
