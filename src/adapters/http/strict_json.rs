//! A JSON request body that rejects numbers and booleans where the document says string.
//! poem-openapi's `Json` turns `{"login": 0}` into the string `"0"`; upstream (Go's decoder)
//! answers 400, and so do we, so that what is accepted is what `/swagger/doc.json` declares.

use poem::{FromRequest, Request, RequestBody, Result};
use poem_openapi::error::ParseRequestPayloadError;
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde_json::Value;

/// A JSON request body of type `T`, checked against `T`'s schema for strings before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictJson<T>(pub T);

impl<T: Type> Payload for StrictJson<T> {
    const CONTENT_TYPE: &'static str = Json::<T>::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        Json::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for StrictJson<T> {
    const IS_REQUIRED: bool = T::IS_REQUIRED;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        let data = Vec::<u8>::from_request(request, body).await?;
        let value = if data.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&data).map_err(|e| ParseRequestPayloadError { reason: e.to_string() })?
        };
        let mut registry = Registry::new();
        T::register(&mut registry);
        if let Some(field) = mistyped_string(&registry, &T::schema_ref(), &value, "") {
            return Err(ParseRequestPayloadError { reason: format!("{field}: expected a string") }.into());
        }
        let parsed = T::parse_from_json(Some(value))
            .map_err(|e| ParseRequestPayloadError { reason: e.into_message() })?;
        Ok(Self(parsed))
    }
}

impl_apirequest_for_payload!(StrictJson<T>, T: ParseFromJSON);

/// The path of the first value that is a number or boolean where `schema` wants a string.
fn mistyped_string(registry: &Registry, schema: &MetaSchemaRef, value: &Value, at: &str) -> Option<String> {
    let schema = match schema {
        MetaSchemaRef::Inline(schema) => schema.as_ref(),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name)?,
    };
    match value {
        Value::Number(_) | Value::Bool(_) if schema.ty == "string" => {
            Some(at.trim_start_matches('.').to_owned())
        }
        Value::Object(fields) => schema.properties.iter().find_map(|(name, property)| {
            mistyped_string(registry, property, fields.get(*name)?, &format!("{at}.{name}"))
        }),
        Value::Array(items) => schema.items.as_deref().and_then(|item| {
            items
                .iter()
                .enumerate()
                .find_map(|(i, v)| mistyped_string(registry, item, v, &format!("{at}[{i}]")))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;

    use super::*;

    #[derive(Object)]
    struct Inner {
        tags: Vec<String>,
    }

    #[derive(Object)]
    struct Outer {
        login: Option<String>,
        count: i64,
        inner: Option<Inner>,
    }

    fn check(value: Value) -> Option<String> {
        let mut registry = Registry::new();
        Outer::register(&mut registry);
        mistyped_string(&registry, &Outer::schema_ref(), &value, "")
    }

    #[test]
    fn numbers_and_booleans_where_strings_belong_are_named() {
        assert_eq!(check(serde_json::json!({"login": 0, "count": 1})).as_deref(), Some("login"));
        assert_eq!(check(serde_json::json!({"login": false})).as_deref(), Some("login"));
        assert_eq!(check(serde_json::json!({"inner": {"tags": ["a", 2]}})).as_deref(), Some("inner.tags[1]"));
    }

    #[test]
    fn well_typed_bodies_and_unknown_fields_pass() {
        assert_eq!(check(serde_json::json!({"login": "ada", "count": 3, "inner": {"tags": ["a"]}})), None);
        assert_eq!(check(serde_json::json!({"login": null, "extra": 5})), None);
    }
}
