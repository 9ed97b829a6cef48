//! Variable lookup for `${...}` substitution and `evaluate`. The variables of a workflow
//! come from several maps (built-ins, matrix axis, server settings) with a fixed
//! precedence; looking them up layer by layer saves copying all of them into one map per
//! workflow.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;

/// Variables by name.
pub trait Vars {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<&str>;
}

impl Vars for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Vars for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Vars for IndexMap<String, String> {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// Maps looked up in order: the first that sets a name wins.
pub struct Layers<'a>(pub Vec<&'a dyn Vars>);

impl Vars for Layers<'_> {
    fn var(&self, name: &str) -> Option<&str> {
        self.0.iter().find_map(|layer| layer.var(name))
    }
}

/// Variable names looked up and the values found (`None`: unset).
pub type Lookups = Vec<(String, Option<String>)>;

/// Variables that remember every name looked up and the value found (each name once).
pub struct Recorded<'a> {
    vars: &'a dyn Vars,
    lookups: RefCell<Lookups>,
}

impl<'a> Recorded<'a> {
    pub fn new(vars: &'a dyn Vars) -> Self {
        Recorded { vars, lookups: RefCell::default() }
    }

    /// The names looked up, in first-use order, with their values.
    pub fn into_lookups(self) -> Lookups {
        self.lookups.into_inner()
    }
}

impl Vars for Recorded<'_> {
    fn var(&self, name: &str) -> Option<&str> {
        let value = self.vars.var(name);
        let mut lookups = self.lookups.borrow_mut();
        if !lookups.iter().any(|(n, _)| n == name) {
            lookups.push((name.to_string(), value.map(str::to_string)));
        }
        value
    }
}

/// Whether `vars` gives every looked-up name the recorded value: a computation that only
/// read these variables then gives the same result.
pub fn same_lookups(vars: &dyn Vars, lookups: &Lookups) -> bool {
    lookups.iter().all(|(name, value)| vars.var(name) == value.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_layer_wins() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let (top, bottom) = (map(&[("A", "top")]), map(&[("A", "bottom"), ("B", "b")]));
        let layers = Layers(vec![&top, &bottom]);
        assert_eq!(layers.var("A"), Some("top"));
        assert_eq!(layers.var("B"), Some("b"));
        assert_eq!(layers.var("C"), None);
    }

    #[test]
    fn recorded_lookups_compare_against_other_variables() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let first = map(&[("A", "1"), ("B", "2")]);
        let recorded = Recorded::new(&first);
        assert_eq!(recorded.var("A"), Some("1"));
        assert_eq!(recorded.var("Z"), None);
        assert_eq!(recorded.var("A"), Some("1"));
        let lookups = recorded.into_lookups();
        assert_eq!(lookups, [("A".to_string(), Some("1".to_string())), ("Z".to_string(), None)]);
        assert!(same_lookups(&map(&[("A", "1"), ("B", "other")]), &lookups));
        assert!(!same_lookups(&map(&[("A", "1"), ("Z", "set")]), &lookups));
    }
}
