//! Variable lookup for `${...}` substitution and `evaluate`. The variables of a workflow
//! come from several maps (built-ins, matrix axis, server settings) with a fixed
//! precedence; looking them up layer by layer saves copying all of them into one map per
//! workflow.

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
}
