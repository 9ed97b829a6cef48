//! The OpenAPI document served at `/swagger/doc.json`: poem-openapi's, plus the error answers
//! it cannot know about. Handlers fail with `poem::Error`s (upstream's plain-text bodies, or
//! the JSON 404 of unknown paths) that poem-openapi does not list, so every operation gets a
//! `default` response describing them; clients and fuzzers then find every answer documented.

use poem::{Endpoint, Response, endpoint::make_sync};
use serde_json::{Value, json};

/// The `default` response added to every operation.
fn error_response() -> Value {
    json!({
        "description": "An error as upstream answers it: a plain-text reason (often empty); \
                        unknown paths get JSON {\"error\": \"not found\"}.",
        "content": {
            "text/plain": { "schema": { "type": "string" } },
            "application/json": { "schema": { "type": "object" } }
        }
    })
}

/// Adds the `default` error response to every operation of `spec` that has none.
pub fn with_error_responses(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for operation in item.values_mut().filter_map(Value::as_object_mut) {
                if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
                    responses.entry("default").or_insert_with(error_response);
                }
            }
        }
    }
    doc.to_string()
}

/// An endpoint serving the finished document.
pub fn endpoint(spec: &str) -> impl Endpoint<Output = Response> + use<> {
    let doc = with_error_responses(spec);
    make_sync(move |_| Response::builder().content_type("application/json; charset=utf-8").body(doc.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_gets_a_default_error_response_and_keeps_its_own() {
        let spec = r#"{"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}},
            "post":{"responses":{"default":{"description":"mine"}}}}}}"#;
        let doc: Value = serde_json::from_str(&with_error_responses(spec)).unwrap();
        assert_eq!(doc["paths"]["/a"]["get"]["responses"]["200"]["description"], "ok");
        assert!(doc["paths"]["/a"]["get"]["responses"]["default"]["content"]["text/plain"].is_object());
        assert_eq!(doc["paths"]["/a"]["post"]["responses"]["default"]["description"], "mine");
    }
}
