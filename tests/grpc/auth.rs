//! `Auth`, the interceptor's checks, `Version`, `RegisterAgent`, `ReportHealth`.

use nuthatch::adapters::grpc::proto;
use nuthatch::domain::agent::Agent;
use tonic::Code;

use crate::grpc::helpers::{AGENT_SECRET, spawn};

#[tokio::test]
async fn the_system_secret_creates_a_new_agent_for_id_minus_one_and_reuses_known_ids() {
    let server = spawn().await;
    let first = server.auth(AGENT_SECRET, -1).await.unwrap();
    assert_eq!(first.status, "ok");
    assert!(first.agent_id > 0);
    assert!(!first.access_token.is_empty());
    let second = server.auth(AGENT_SECRET, -1).await.unwrap();
    assert_ne!(second.agent_id, first.agent_id);

    let again = server.auth(AGENT_SECRET, first.agent_id).await.unwrap();
    assert_eq!(again.agent_id, first.agent_id);
    let stored = server.store().get_agent(first.agent_id).await.unwrap();
    assert_eq!((stored.owner_id, stored.org_id), (-1, -1));
    assert_ne!(stored.token, AGENT_SECRET, "the shared secret is not copied into agent rows");

    let unknown = server.auth(AGENT_SECRET, 9999).await.unwrap_err();
    assert_eq!(unknown.code(), Code::Unknown);
    assert!(unknown.message().contains("AgentID not found"), "{}", unknown.message());
}

#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let server = spawn().await;
    let refused = server.auth("not-the-secret", -1).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unknown);
    assert!(refused.message().starts_with("agent could not auth"), "{}", refused.message());
}

#[tokio::test]
async fn a_per_agent_token_names_its_agent_whatever_id_is_sent() {
    let server = spawn().await;
    let agent = server
        .store()
        .create_agent(&Agent {
            name: "org-runner".into(),
            owner_id: 1,
            org_id: 1,
            token: "per-agent-token".into(),
            ..Agent::default()
        })
        .await
        .unwrap();
    let auth = server.auth("per-agent-token", -1).await.unwrap();
    assert_eq!(auth.agent_id, agent.id);
    let mut client = server.client_with(&[("token", &auth.access_token)]).await;
    assert_eq!(client.version(proto::Empty {}).await.unwrap().into_inner().grpc_version, 16);
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let server = spawn().await;
    let mut anonymous = server.client_with(&[]).await;
    assert_eq!(anonymous.version(proto::Empty {}).await.unwrap_err().code(), Code::Unauthenticated);
    let mut forged = server.client_with(&[("token", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln")]).await;
    assert_eq!(forged.version(proto::Empty {}).await.unwrap_err().code(), Code::Unauthenticated);
    let next = forged.next(crate::grpc::helpers::agent_filter()).await.unwrap_err();
    assert_eq!(next.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn the_protocol_version_must_be_ours_when_sent() {
    let server = spawn().await;
    let token = server.auth(AGENT_SECRET, -1).await.unwrap().access_token;
    let mut old = server.client_with(&[("token", &token), ("proto-version", "15")]).await;
    assert_eq!(old.version(proto::Empty {}).await.unwrap_err().code(), Code::FailedPrecondition);
    let mut current = server.client_with(&[("token", &token), ("proto-version", "16")]).await;
    let version = current.version(proto::Empty {}).await.unwrap().into_inner();
    assert_eq!(version.grpc_version, 16);
    assert!(!version.server_version.is_empty());
    let mut released = server.client_with(&[("token", &token), ("hostname", "h")]).await;
    assert_eq!(released.version(proto::Empty {}).await.unwrap().into_inner().grpc_version, 16);
}

#[tokio::test]
async fn registration_records_the_agent_and_health_reports_keep_it_alive() {
    let server = spawn().await;
    let auth = server.auth(AGENT_SECRET, -1).await.unwrap();
    let mut client = server.client_with(&[("token", &auth.access_token), ("hostname", "runner-7")]).await;
    let info = proto::AgentInfo {
        platform: "linux/arm64".into(),
        capacity: 3,
        backend: "docker".into(),
        version: "3.16.0".into(),
        custom_labels: [("gpu".to_owned(), "yes".to_owned())].into(),
    };
    let registered = client.register_agent(proto::RegisterAgentRequest { info: Some(info) }).await.unwrap();
    assert_eq!(registered.into_inner().agent_id, auth.agent_id);
    let stored = server.store().get_agent(auth.agent_id).await.unwrap();
    assert_eq!(stored.name, "runner-7");
    assert_eq!(
        (stored.platform.as_str(), stored.capacity, stored.backend.as_str()),
        ("linux/arm64", 3, "docker")
    );
    assert_eq!(stored.custom_labels["gpu"], "yes");

    client.report_health(proto::ReportHealthRequest { status: "I am alive!".into() }).await.unwrap();
    assert!(server.store().get_agent(auth.agent_id).await.unwrap().last_contact > 0);
    let dead = client.report_health(proto::ReportHealthRequest { status: "meh".into() }).await.unwrap_err();
    assert_eq!((dead.code(), dead.message()), (Code::Unknown, "Are you alive?"));

    client.unregister_agent(proto::Empty {}).await.unwrap();
    assert!(server.store().get_agent(auth.agent_id).await.is_err(), "system agents leave on unregister");
}
