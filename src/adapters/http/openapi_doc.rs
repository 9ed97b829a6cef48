//! The OpenAPI document served at `/swagger/doc.json`: poem-openapi's, plus the error answers
//! it cannot know about. Handlers fail with `poem::Error`s (upstream's plain-text bodies, or
//! the JSON 404 of unknown paths) that poem-openapi does not list, so every operation gets a
//! `default` response describing them; clients and fuzzers then find every answer documented.
//!
//! Some inputs are checked by our own code rather than by poem-openapi, so that violations get
//! upstream's status (422) and text instead of poem's 400; their rules (allowed values, required
//! fields) are written into the document here, from the same constants the checks use.

use poem::{Endpoint, Response, endpoint::make_sync};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value, json};

use crate::app::telemetry::LEVELS;
use crate::domain::event::WebhookEvent;
use crate::domain::forge::ForgeType;
use crate::domain::secret::IMAGE_PATTERN;
use crate::domain::user::LOGIN_PATTERN;

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

/// Where an input rule holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// Wherever the schema is used; the property may be absent.
    Always,
    /// Wherever the schema is used; the property must be present.
    Required,
    /// Only when creating (`POST` bodies), where the property must be present: such bodies get
    /// their own copy of the schema, named `<schema>Create`.
    OnCreate,
}

/// An input rule checked in code: JSON Schema keywords for one property of one schema.
struct Rule {
    schema: &'static str,
    property: &'static str,
    keywords: Value,
    holds: Holds,
}

fn rule(schema: &'static str, property: &'static str, keywords: Value, holds: Holds) -> Rule {
    Rule { schema, property, keywords, holds }
}

/// The rules of secrets, registries, forges, log levels and users, from the constants the code
/// checks them with.
fn input_rules() -> Vec<Rule> {
    let events: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
    let events = json!({ "minItems": 1, "items": { "type": "string", "enum": events } });
    let forge_types: Vec<&str> = ForgeType::ALL.iter().map(|t| t.as_str()).collect();
    let images = json!({ "items": { "type": "string", "pattern": IMAGE_PATTERN } });
    let not_blank = json!({ "pattern": "\\S" });
    let not_empty = json!({ "minLength": 1 });
    let host = json!({ "pattern": "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$" });
    use Holds::{Always, OnCreate, Required};
    vec![
        rule("Secret", "events", events.clone(), Always),
        rule("Secret", "name", not_blank, OnCreate),
        rule("Secret", "value", not_empty.clone(), OnCreate),
        rule("Secret", "events", json!({}), OnCreate),
        rule("SecretPatch", "events", events, Always),
        rule("Secret", "images", images.clone(), Always),
        rule("SecretPatch", "images", images, Always),
        rule("Registry", "address", host, OnCreate),
        rule("Registry", "username", not_empty.clone(), OnCreate),
        rule("Registry", "password", not_empty.clone(), OnCreate),
        rule("ForgeWithOAuthClientSecret", "type", json!({ "enum": forge_types }), Required),
        rule("ForgeWithOAuthClientSecret", "url", not_empty, Required),
        rule("LogLevel", "log-level", json!({ "enum": LEVELS }), Required),
        rule("UserInput", "login", json!({ "pattern": LOGIN_PATTERN }), OnCreate),
    ]
}

/// Writes the [`input_rules`] into the document's schemas, copying schemas for creation where
/// rules hold only there.
fn add_input_rules(doc: &mut Value) {
    let (everywhere, on_create): (Vec<Rule>, Vec<Rule>) =
        input_rules().into_iter().partition(|r| r.holds != Holds::OnCreate);
    // Creation copies are made after the rules that hold everywhere, so they inherit them.
    for rule in everywhere.iter().chain(&on_create) {
        let name = match rule.holds {
            Holds::OnCreate => split_creation_schema(doc, rule.schema),
            Holds::Always | Holds::Required => rule.schema.to_owned(),
        };
        let schema = doc.pointer_mut("/components/schemas").and_then(|s| s.get_mut(&name));
        let Some(schema) = schema.and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(Value::Object(target)) =
            schema.get_mut("properties").and_then(|p| p.get_mut(rule.property))
        {
            target.remove("default");
            target
                .extend(rule.keywords.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
        }
        if rule.holds != Holds::Always {
            let list = schema.entry("required").or_insert_with(|| json!([]));
            if let Some(list) = list.as_array_mut().filter(|l| !l.iter().any(|n| n == rule.property)) {
                list.push(json!(rule.property));
            }
        }
    }
}

/// Gives the `POST` bodies that use `schema` their own copy of it, `<schema>Create` (once), and
/// returns the copy's name.
fn split_creation_schema(doc: &mut Value, schema: &str) -> String {
    let copy = format!("{schema}Create");
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return copy;
    };
    if schemas.contains_key(&copy) {
        return copy;
    }
    let Some(original) = schemas.get(schema).cloned() else {
        return copy;
    };
    schemas.insert(copy.clone(), original);
    let (from, to) = (format!("#/components/schemas/{schema}"), format!("#/components/schemas/{copy}"));
    let posts = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.get_mut("post"));
    for post in posts {
        let bodies = post.pointer_mut("/requestBody/content").and_then(Value::as_object_mut);
        for body in bodies.into_iter().flat_map(|c| c.values_mut()) {
            if body.pointer("/schema/$ref").and_then(Value::as_str) == Some(from.as_str()) {
                body["schema"]["$ref"] = json!(to);
            }
        }
    }
    copy
}

/// Request bodies may hold `null` for an optional field, which reads as absent (as Go's decoder
/// leaves such a field alone); the document says so for the schemas of request bodies.
fn mark_optional_inputs_nullable(doc: &mut Value) {
    let mut inputs: Vec<String> = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op.pointer("/requestBody/content").and_then(Value::as_object))
        .flat_map(|content| content.values())
        .filter_map(|body| body.pointer("/schema/$ref").and_then(Value::as_str))
        .filter_map(|r| r.strip_prefix("#/components/schemas/"))
        .map(str::to_owned)
        .collect();
    inputs.sort();
    inputs.dedup();
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    for name in &inputs {
        let Some(schema) = schemas.get_mut(name) else {
            continue;
        };
        let required: Vec<Value> =
            schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        let properties = schema.get_mut("properties").and_then(Value::as_object_mut);
        for (name, property) in properties.into_iter().flatten() {
            if !required.iter().any(|r| r == name) && property.get("$ref").is_none() {
                property["nullable"] = json!(true);
            }
        }
    }
}

/// `POST /repos` names the repo to activate by a query parameter upstream requires.
fn require_activation_parameter(doc: &mut Value) {
    let Some(parameters) = doc.pointer_mut("/paths/~1repos/post/parameters").and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters.iter_mut().filter(|p| p["name"] == "forge_remote_id") {
        parameter["required"] = json!(true);
        parameter["schema"]["minLength"] = json!(1);
    }
}

/// A JSON object whose repeated keys have their (object) values merged. poem-openapi writes a
/// path once per API block that serves it (e.g. `GET` and `POST /repos/{repo_id}/pipelines` live
/// in different blocks), and a plain parse would keep only the last block's operations.
struct MergedObject(Map<String, Value>);

impl<'de> Deserialize<'de> for MergedObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Merging;
        impl<'de> Visitor<'de> for Merging {
            type Value = MergedObject;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<MergedObject, A::Error> {
                let mut merged = Map::new();
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    match (merged.get_mut(&key), value) {
                        (Some(Value::Object(seen)), Value::Object(more)) => seen.extend(more),
                        (_, value) => {
                            merged.insert(key, value);
                        }
                    }
                }
                Ok(MergedObject(merged))
            }
        }
        deserializer.deserialize_map(Merging)
    }
}

/// The document as poem-openapi writes it, with its paths merged.
#[derive(serde::Deserialize)]
struct RawDocument {
    paths: MergedObject,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// Parses poem-openapi's document, merging the operations of paths it lists twice.
fn parse(spec: &str) -> Option<Value> {
    let RawDocument { paths, mut rest } = serde_json::from_str(spec).ok()?;
    rest.insert("paths".to_owned(), Value::Object(paths.0));
    Some(Value::Object(rest))
}

/// Adds the `default` error response to every operation of `spec` that has none, and the input
/// rules checked in code.
pub fn document(spec: &str) -> String {
    let Some(mut doc) = parse(spec) else {
        return spec.to_owned();
    };
    add_input_rules(&mut doc);
    mark_optional_inputs_nullable(&mut doc);
    require_activation_parameter(&mut doc);
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
pub fn endpoint(doc: String) -> impl Endpoint<Output = Response> + use<> {
    make_sync(move |_| Response::builder().content_type("application/json; charset=utf-8").body(doc.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_gets_a_default_error_response_and_keeps_its_own() {
        let spec = r#"{"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}},
            "post":{"responses":{"default":{"description":"mine"}}}}}}"#;
        let doc: Value = serde_json::from_str(&document(spec)).unwrap();
        assert_eq!(doc["paths"]["/a"]["get"]["responses"]["200"]["description"], "ok");
        assert!(doc["paths"]["/a"]["get"]["responses"]["default"]["content"]["text/plain"].is_object());
        assert_eq!(doc["paths"]["/a"]["post"]["responses"]["default"]["description"], "mine");
    }

    #[test]
    fn a_path_written_twice_keeps_the_operations_of_both() {
        let spec =
            r#"{"openapi":"3.0.0","paths":{"/p":{"get":{"responses":{}}},"/p":{"post":{"responses":{}}}}}"#;
        let doc: Value = serde_json::from_str(&document(spec)).unwrap();
        assert!(doc["paths"]["/p"]["get"].is_object());
        assert!(doc["paths"]["/p"]["post"].is_object());
        assert_eq!(doc["openapi"], "3.0.0");
    }

    #[test]
    fn rules_checked_in_code_are_documented_and_creation_gets_its_own_schema() {
        let secret_body =
            r##"{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Secret"}}}}"##;
        let spec = format!(
            r#"{{"paths":{{"/repos":{{"post":{{"parameters":[{{"name":"forge_remote_id","in":"query",
            "schema":{{"type":"string"}}}}],"responses":{{}}}}}},
            "/secrets":{{"post":{{"requestBody":{secret_body},"responses":{{}}}},
            "get":{{"requestBody":{secret_body},"responses":{{}}}}}}}},
            "components":{{"schemas":{{"Secret":{{"type":"object","required":["name"],"properties":{{
            "name":{{"type":"string"}},"value":{{"type":"string","default":""}},
            "events":{{"type":"array","default":[],"items":{{"type":"string"}}}}}}}}}}}}}}"#
        );
        let doc: Value = serde_json::from_str(&document(&spec)).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Secret"]["required"], json!(["name"]));
        assert!(
            schemas["Secret"]["properties"]["events"]["items"]["enum"]
                .as_array()
                .unwrap()
                .contains(&json!("push"))
        );
        assert_eq!(schemas["SecretCreate"]["required"], json!(["name", "value", "events"]));
        assert_eq!(schemas["SecretCreate"]["properties"]["value"]["minLength"], 1);
        assert_eq!(
            schemas["SecretCreate"]["properties"]["events"]["items"],
            schemas["Secret"]["properties"]["events"]["items"]
        );
        assert!(schemas["SecretCreate"]["properties"]["value"].get("default").is_none());
        let body_of = |method: &str| {
            doc["paths"]["/secrets"][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .clone()
        };
        assert_eq!(body_of("post"), "#/components/schemas/SecretCreate");
        assert_eq!(body_of("get"), "#/components/schemas/Secret");
        assert_eq!(schemas["Secret"]["properties"]["value"]["nullable"], true);
        assert!(schemas["Secret"]["properties"]["name"].get("nullable").is_none());
        assert_eq!(doc["paths"]["/repos"]["post"]["parameters"][0]["required"], true);
    }
}
