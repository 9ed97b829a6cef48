//! Prepares the raw configuration files of a build ahead of the sequential build loop.
//! The per-file work that depends only on the file (parsing, the most expensive part of
//! a build, and the raw-text lint) is pure, while the rest of a build (ids, pids,
//! findings) must stay in file order. So helper threads prepare the next files while the
//! caller works through them in order; a file nobody has started yet is prepared by the
//! caller itself, so the result never depends on the thread count.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

/// Most helper threads per build: files are few, and each build runs on a server that
/// handles other requests too.
const MAX_HELPERS: usize = 3;

enum Slot<T> {
    /// Not started (or not UTF-8 text, which is never prepared).
    Pending,
    /// Being prepared by a helper.
    Claimed,
    Done(T),
    Taken,
}

/// The function preparing file `i` from its text.
pub type Prepare<'a, T> = &'a (dyn Fn(usize, &str) -> T + Sync);

/// Raw files prepared in the background, handed out in any order by [`RawDocs::take`].
pub struct RawDocs<'a, T> {
    texts: &'a [Option<&'a str>],
    prepare: Prepare<'a, T>,
    slots: Mutex<Vec<Slot<T>>>,
    done: Condvar,
}

impl<'a, T: Send> RawDocs<'a, T> {
    /// Run `body` with the files of `texts` (`None`: not UTF-8) being prepared by helper
    /// threads: at most one per spare core, never more than the files minus one.
    pub fn with<R>(
        texts: &'a [Option<&'a str>],
        prepare: Prepare<'a, T>,
        body: impl FnOnce(&RawDocs<'a, T>) -> R,
    ) -> R {
        let docs = RawDocs {
            texts,
            prepare,
            slots: Mutex::new(texts.iter().map(|_| Slot::Pending).collect()),
            done: Condvar::new(),
        };
        let spare = thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1);
        let helpers = spare.min(texts.len().saturating_sub(1)).min(MAX_HELPERS);
        if helpers == 0 {
            return body(&docs);
        }
        thread::scope(|scope| {
            for _ in 0..helpers {
                scope.spawn(|| docs.help());
            }
            body(&docs)
        })
    }

    /// The prepared file `i`, or `None` when its text is not UTF-8. Each file can be
    /// taken once.
    pub fn take(&self, i: usize) -> Option<T> {
        let text = self.texts[i]?;
        let mut slots = self.lock();
        loop {
            match std::mem::replace(&mut slots[i], Slot::Taken) {
                Slot::Pending => {
                    drop(slots);
                    return Some((self.prepare)(i, text));
                }
                Slot::Done(prepared) => return Some(prepared),
                Slot::Claimed => {
                    slots[i] = Slot::Claimed;
                    slots = self.done.wait(slots).unwrap_or_else(PoisonError::into_inner);
                }
                Slot::Taken => panic!("raw file {i} taken twice"),
            }
        }
    }

    /// Helper loop: prepare the first file nobody has started, until none is left.
    fn help(&self) {
        loop {
            let (i, text) = {
                let mut slots = self.lock();
                let next = self.texts.iter().enumerate().find_map(|(i, text)| {
                    text.filter(|_| matches!(slots[i], Slot::Pending)).map(|text| (i, text))
                });
                let Some((i, text)) = next else { return };
                slots[i] = Slot::Claimed;
                (i, text)
            };
            let prepared = panic::catch_unwind(AssertUnwindSafe(|| (self.prepare)(i, text)));
            let failed = prepared.is_err();
            // After a panic the file goes back to the caller, which then panics itself
            // instead of waiting forever, and this helper stops.
            self.lock()[i] = prepared.map_or(Slot::Pending, Slot::Done);
            self.done.notify_all();
            if failed {
                return;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot<T>>> {
        // Panics while preparing are caught in `help`, so the slots stay consistent.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml::error::YamlError;
    use crate::domain::yaml::node::Node;
    use crate::domain::yaml::parse::parse_yaml;

    type Parsed = Result<Node, YamlError>;

    #[test]
    fn results_match_a_sequential_parse_in_any_order() {
        let texts = ["a: 1\n", "b: [x, y]\n", "c: {\n", "d: e\n"];
        let inputs: Vec<Option<&str>> = texts.iter().copied().map(Some).chain([None]).collect();
        let parse = |_: usize, text: &str| parse_yaml(text);
        let got: Vec<Option<Parsed>> =
            RawDocs::with(&inputs, &parse, |docs| (0..inputs.len()).rev().map(|i| docs.take(i)).collect());
        let want: Vec<Option<Parsed>> = inputs.iter().rev().map(|t| t.map(parse_yaml)).collect();
        assert_eq!(got, want);
    }
}
