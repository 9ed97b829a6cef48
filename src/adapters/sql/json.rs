//! JSON text columns: lists, maps and small records are stored as JSON text, and enums by their
//! serde wire name, so that every backend stores them the same way.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ports::store::StoreError;

/// `value` as JSON text.
pub(crate) fn encode<T: Serialize>(value: &T, column: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| {
        StoreError::Unknown(anyhow::Error::new(e).context(format!("cannot encode column {column}")))
    })
}

/// JSON text back into a value; an empty text (or `null`) is the default value.
pub(crate) fn decode<T: DeserializeOwned + Default>(
    text: &str,
    column: &'static str,
) -> Result<T, StoreError> {
    if text.is_empty() || text == "null" {
        return Ok(T::default());
    }
    serde_json::from_str(text).map_err(|e| {
        StoreError::Unknown(anyhow::Error::new(e).context(format!("cannot decode column {column}")))
    })
}

/// An enum's serde wire name (`"pull_request"`, `"commands"`, ...).
pub(crate) fn name_of<T: Serialize>(value: &T, column: &'static str) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        _ => Err(StoreError::Unknown(anyhow::anyhow!("column {column}: value is not a named enum"))),
    }
}

/// An enum from its serde wire name.
pub(crate) fn from_name<T: DeserializeOwned>(name: &str, column: &'static str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|e| {
        StoreError::Unknown(anyhow::Error::new(e).context(format!("cannot decode column {column}")))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::workflow::StepType;

    #[test]
    fn empty_text_decodes_to_the_default() {
        let map: BTreeMap<String, String> = decode("", "variables").unwrap();
        assert!(map.is_empty());
        let list: Vec<String> = decode("null", "images").unwrap();
        assert!(list.is_empty());
    }

    #[test]
    fn enums_round_trip_through_their_wire_names() {
        assert_eq!(name_of(&StepType::Plugin, "step_type").unwrap(), "plugin");
        assert_eq!(from_name::<StepType>("plugin", "step_type").unwrap(), StepType::Plugin);
        assert!(from_name::<StepType>("nope", "step_type").is_err());
    }
}
