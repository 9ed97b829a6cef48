//! The JSON of extension requests and answers (engine.md §7.2–§7.3). The repo and pipeline go
//! out in the API's shapes, as upstream sends its models.

use poem_openapi::types::ToJSON;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::adapters::http::dto::pipeline::PipelineDto;
use crate::adapters::http::dto::repo::RepoDto;
use crate::domain::yaml::ConfigFile;
use crate::domain::yaml::options::{Registry, Secret};
use crate::ports::extension::{ExtensionError, ExtensionRequest};

/// `{"repo", "pipeline", "netrc"}`, plus the current files for a config extension under both
/// names services read: `configuration` (3.x) and `configs` (2.x).
pub fn request_body(request: &ExtensionRequest<'_>, files: Option<&[ConfigFile]>) -> Vec<u8> {
    let netrc = request
        .netrc
        .map_or(Value::Null, |n| json!({"machine": n.machine, "login": n.login, "password": n.password}));
    let mut body = json!({
        "repo": RepoDto::from(request.repo).to_json(),
        "pipeline": PipelineDto::from(request.pipeline).to_json(),
        "netrc": netrc,
    });
    if let Some(files) = files {
        let files: Vec<Value> =
            files.iter().map(|f| json!({"name": f.name, "data": String::from_utf8_lossy(&f.data)})).collect();
        body["configuration"] = Value::Array(files.clone());
        body["configs"] = Value::Array(files);
    }
    body.to_string().into_bytes()
}

#[derive(Deserialize)]
struct ConfigsAnswer {
    configs: Vec<FileJson>,
}

#[derive(Deserialize)]
struct FileJson {
    name: String,
    data: String,
}

#[derive(Deserialize)]
struct SecretsAnswer {
    #[serde(default)]
    secrets: Vec<SecretJson>,
}

#[derive(Deserialize)]
struct SecretJson {
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Deserialize)]
struct RegistriesAnswer {
    #[serde(default)]
    registries: Vec<RegistryJson>,
}

#[derive(Deserialize)]
struct RegistryJson {
    address: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ExtensionError> {
    serde_json::from_slice(body).map_err(|e| ExtensionError::BadAnswer(e.to_string()))
}

/// The files of a config extension's 200 answer, `{"configs": [{"name", "data"}]}`.
///
/// # Errors
/// [`ExtensionError::BadAnswer`] for anything else.
pub fn configs_answer(body: &[u8]) -> Result<Vec<ConfigFile>, ExtensionError> {
    let answer: ConfigsAnswer = parse(body)?;
    Ok(answer.configs.into_iter().map(|f| ConfigFile { name: f.name, data: f.data.into_bytes() }).collect())
}

/// The secrets of a secret extension's 200 answer, `{"secrets": [<Secret>]}`.
///
/// # Errors
/// [`ExtensionError::BadAnswer`] for anything else.
pub fn secrets_answer(body: &[u8]) -> Result<Vec<Secret>, ExtensionError> {
    let answer: SecretsAnswer = parse(body)?;
    Ok(answer
        .secrets
        .into_iter()
        .map(|s| Secret { name: s.name, value: s.value, images: s.images, events: s.events })
        .collect())
}

/// The credentials of a registry extension's 200 answer, `{"registries": [<Registry>]}`.
///
/// # Errors
/// [`ExtensionError::BadAnswer`] for anything else.
pub fn registries_answer(body: &[u8]) -> Result<Vec<Registry>, ExtensionError> {
    let answer: RegistriesAnswer = parse(body)?;
    Ok(answer
        .registries
        .into_iter()
        .map(|r| Registry { hostname: r.address, username: r.username, password: r.password })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pipeline::Pipeline;
    use crate::domain::repo::Repo;
    use crate::ports::forge::Netrc;

    #[test]
    fn config_requests_carry_the_files_under_both_names_and_netrc_only_when_given() {
        let repo = Repo { id: 3, full_name: "a/b".into(), ..Repo::default() };
        let pipeline = Pipeline { number: 7, ..Pipeline::default() };
        let files = [ConfigFile { name: ".woodpecker.yaml".into(), data: b"steps: []".to_vec() }];
        let bare = ExtensionRequest { repo: &repo, pipeline: &pipeline, netrc: None };
        let body: Value = serde_json::from_slice(&request_body(&bare, Some(&files))).unwrap();
        assert_eq!(body["repo"]["id"], 3);
        assert_eq!(body["pipeline"]["number"], 7);
        assert_eq!(body["netrc"], Value::Null);
        assert_eq!(body["configs"], json!([{"name": ".woodpecker.yaml", "data": "steps: []"}]));
        assert_eq!(body["configuration"], body["configs"]);

        let netrc = Netrc { machine: "git.example".into(), login: "bot".into(), password: "pw".into() };
        let with = ExtensionRequest { netrc: Some(&netrc), ..bare };
        let body: Value = serde_json::from_slice(&request_body(&with, None)).unwrap();
        assert_eq!(body["netrc"]["login"], "bot");
        assert!(body.get("configs").is_none());
    }

    #[test]
    fn answers_parse_into_files_secrets_and_registries() {
        let files = configs_answer(br#"{"configs":[{"name":"x","data":"steps: []"}]}"#).unwrap();
        assert_eq!((files[0].name.as_str(), files[0].data.as_slice()), ("x", b"steps: []".as_slice()));
        let secrets =
            secrets_answer(br#"{"secrets":[{"id":1,"name":"token","value":"v","events":["push"]}]}"#);
        assert_eq!(secrets.unwrap()[0].events, ["push"]);
        let registries = registries_answer(br#"{"registries":[{"address":"r.io","username":"u"}]}"#);
        assert_eq!(registries.unwrap()[0].hostname, "r.io");
        assert!(matches!(configs_answer(b"{}"), Err(ExtensionError::BadAnswer(_))));
        assert!(matches!(secrets_answer(b"nope"), Err(ExtensionError::BadAnswer(_))));
    }
}
