//! A step's environment as sent to the agent. Most variables (built-ins, global env,
//! proxy, matrix axis) are the same for every step of a workflow, so they are shared
//! behind an `Arc` and only each step's own variables are stored per step. It serializes
//! as one JSON object with sorted keys, the step's own values winning.

use std::collections::BTreeMap;
use std::iter::Peekable;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Shared workflow variables plus the step's own (which override them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Environment {
    shared: Arc<BTreeMap<String, String>>,
    own: BTreeMap<String, String>,
}

impl Environment {
    /// An environment starting from the shared variables.
    pub fn new(shared: Arc<BTreeMap<String, String>>) -> Self {
        Environment { shared, own: BTreeMap::new() }
    }

    /// Set a variable for this step.
    pub fn insert(&mut self, key: String, value: String) {
        self.own.insert(key, value);
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.own.get(key).or_else(|| self.shared.get(key)).map(String::as_str)
    }

    /// Every variable once, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        Merged { shared: self.shared.iter().peekable(), own: self.own.iter().peekable() }
    }

    /// The shared variables and the step's own ones (which may override shared ones).
    pub fn layers(&self) -> (&Arc<BTreeMap<String, String>>, &BTreeMap<String, String>) {
        (&self.shared, &self.own)
    }

    /// Number of distinct variables.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.shared.is_empty()
    }

    /// A plain map copy.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Environment {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let own = iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Environment { shared: Arc::default(), own }
    }
}

/// Sorted merge of two sorted maps; on equal keys the step's own value wins.
struct Merged<'a, A: Iterator<Item = (&'a String, &'a String)>, B: Iterator<Item = (&'a String, &'a String)>>
{
    shared: Peekable<A>,
    own: Peekable<B>,
}

impl<'a, A, B> Iterator for Merged<'a, A, B>
where
    A: Iterator<Item = (&'a String, &'a String)>,
    B: Iterator<Item = (&'a String, &'a String)>,
{
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let next = match (self.shared.peek(), self.own.peek()) {
            (Some((sk, _)), Some((ok, _))) if sk < ok => self.shared.next(),
            (Some((sk, _)), Some((ok, _))) if sk == ok => {
                self.shared.next();
                self.own.next()
            }
            (_, Some(_)) => self.own.next(),
            (Some(_), None) => self.shared.next(),
            (None, None) => None,
        };
        next.map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl Serialize for Environment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_values_win_and_keys_stay_sorted() {
        let shared: BTreeMap<String, String> =
            [("A", "1"), ("C", "3"), ("E", "5")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let mut env = Environment::new(Arc::new(shared));
        env.insert("C".into(), "own".into());
        env.insert("B".into(), "2".into());
        env.insert("Z".into(), "26".into());
        let pairs: Vec<(&str, &str)> = env.iter().collect();
        assert_eq!(pairs, [("A", "1"), ("B", "2"), ("C", "own"), ("E", "5"), ("Z", "26")]);
        assert_eq!(serde_json::to_string(&env).unwrap(), r#"{"A":"1","B":"2","C":"own","E":"5","Z":"26"}"#);
        assert_eq!(env.get("C"), Some("own"));
        assert_eq!(env.len(), 5);
    }
}
