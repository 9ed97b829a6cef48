//! Parses the raw configuration files of a build ahead of the sequential build loop.
//! Parsing is pure and the most expensive part of a build, while the rest of a build
//! (ids, pids, findings) must stay in file order. So helper threads parse the next
//! files while the caller works through them in order; a file nobody has started yet is
//! parsed by the caller itself, so the result never depends on the thread count.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

use super::error::YamlError;
use super::node::Node;
use super::parse::parse_yaml;

/// Most helper threads per build: files are few, and each build runs on a server that
/// handles other requests too.
const MAX_HELPERS: usize = 3;

type Parsed = Result<Node, YamlError>;

enum Slot {
    /// Not started (or not UTF-8 text, which is never parsed).
    Pending,
    /// Being parsed by a helper.
    Claimed,
    Done(Parsed),
    Taken,
}

/// Raw documents parsed in the background, handed out in any order by [`RawDocs::take`].
pub struct RawDocs<'a> {
    texts: &'a [Option<&'a str>],
    slots: Mutex<Vec<Slot>>,
    done: Condvar,
}

impl<'a> RawDocs<'a> {
    /// Run `body` with the documents of `texts` (`None`: not UTF-8) being parsed by
    /// helper threads: at most one per spare core, never more than the files minus one.
    pub fn with<R>(texts: &'a [Option<&'a str>], body: impl FnOnce(&RawDocs<'a>) -> R) -> R {
        let docs = RawDocs {
            texts,
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

    /// The parsed document of file `i`, or `None` when its text is not UTF-8.
    /// Each document can be taken once.
    pub fn take(&self, i: usize) -> Option<Parsed> {
        let text = self.texts[i]?;
        let mut slots = self.lock();
        loop {
            match std::mem::replace(&mut slots[i], Slot::Taken) {
                Slot::Pending => {
                    drop(slots);
                    return Some(parse_yaml(text));
                }
                Slot::Done(parsed) => return Some(parsed),
                Slot::Claimed => {
                    slots[i] = Slot::Claimed;
                    slots = self.done.wait(slots).unwrap_or_else(PoisonError::into_inner);
                }
                Slot::Taken => panic!("raw document {i} taken twice"),
            }
        }
    }

    /// Helper loop: parse the first file nobody has started, until none is left.
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
            // On a panic the file goes back to the caller, which then panics in its own
            // parse instead of waiting forever.
            let parsed = panic::catch_unwind(AssertUnwindSafe(|| parse_yaml(text)));
            self.lock()[i] = parsed.map_or(Slot::Pending, Slot::Done);
            self.done.notify_all();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot>> {
        // A panicking parse is a bug; the slots themselves stay consistent.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_match_a_sequential_parse_in_any_order() {
        let texts = ["a: 1\n", "b: [x, y]\n", "c: {\n", "d: e\n"];
        let inputs: Vec<Option<&str>> = texts.iter().copied().map(Some).chain([None]).collect();
        let got: Vec<Option<Parsed>> =
            RawDocs::with(&inputs, |docs| (0..inputs.len()).rev().map(|i| docs.take(i)).collect());
        let want: Vec<Option<Parsed>> = inputs.iter().rev().map(|t| t.map(parse_yaml)).collect();
        assert_eq!(got, want);
    }
}
