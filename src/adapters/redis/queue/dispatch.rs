//! Which ready task a poll takes. Every poll replays the same hand-out over the same snapshot:
//! ready tasks in push order, each to the best-scoring waiting poll not served yet (ties to the
//! oldest poll id). A poll claims the task this replay gives it, so polls that look at the same
//! time on several servers claim different tasks instead of racing for the first one, and a
//! task goes to a better-matching poll when one is waiting.

use std::collections::BTreeMap;

use crate::domain::task::match_labels;

/// A blocked poll as the queue lists it.
#[derive(Debug)]
pub(super) struct Waiting {
    /// The poll id (sorts oldest first).
    pub id: String,
    /// The agent's filter labels.
    pub labels: BTreeMap<String, String>,
}

/// The replay of the hand-out for one poll.
pub(super) struct Replay<'a> {
    me: &'a str,
    unserved: Vec<&'a Waiting>,
}

impl<'a> Replay<'a> {
    /// A replay for poll `me` over the `waiting` polls (which include `me`).
    pub fn new(me: &'a str, waiting: &'a [Waiting]) -> Self {
        let mut unserved: Vec<&Waiting> = waiting.iter().collect();
        unserved.sort_by(|a, b| a.id.cmp(&b.id));
        Self { me, unserved }
    }

    /// Hands out the next ready task; `true` when it goes to `me`.
    pub fn offer(&mut self, task_labels: &BTreeMap<String, String>) -> bool {
        let mut best: Option<(u32, usize)> = None;
        for (at, poll) in self.unserved.iter().enumerate() {
            if let Some(score) = match_labels(&poll.labels, task_labels)
                && best.is_none_or(|(top, _)| score > top)
            {
                best = Some((score, at));
            }
        }
        match best {
            Some((_, at)) if self.unserved[at].id == self.me => true,
            Some((_, at)) => {
                self.unserved.remove(at);
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn waiting(id: &str, pairs: &[(&str, &str)]) -> Waiting {
        Waiting { id: id.into(), labels: labels(pairs) }
    }

    #[test]
    fn equal_polls_take_the_ready_tasks_in_the_order_they_wait() {
        let polls = [waiting("b", &[("repo", "*")]), waiting("a", &[("repo", "*")])];
        let task = labels(&[("repo", "x/y")]);
        let mut a = Replay::new("a", &polls);
        assert!(a.offer(&task));
        let mut b = Replay::new("b", &polls);
        assert!(!b.offer(&task));
        assert!(b.offer(&task));
    }

    #[test]
    fn a_better_match_wins_over_an_older_poll() {
        let polls = [waiting("a", &[("org-id", "*")]), waiting("b", &[("org-id", "3")])];
        let task = labels(&[("org-id", "3")]);
        assert!(!Replay::new("a", &polls).offer(&task));
        assert!(Replay::new("b", &polls).offer(&task));
    }

    #[test]
    fn tasks_nobody_matches_are_passed_over() {
        let polls = [waiting("a", &[("platform", "linux/arm64")])];
        let mut a = Replay::new("a", &polls);
        assert!(!a.offer(&labels(&[("platform", "linux/amd64")])));
        assert!(a.offer(&labels(&[("platform", "linux/arm64")])));
    }
}
