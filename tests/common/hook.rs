//! The webhook the built-in forge's `post-receive` script sends for a push.

use std::path::Path;

/// The `/api/hook?access_token=...` path and query that the hook script of the bare repo at
/// `clone_url` calls (installed at activation).
pub fn hook_path(clone_url: &str) -> String {
    let script = std::fs::read_to_string(Path::new(clone_url).join("hooks/post-receive"))
        .expect("activation installed the hook");
    let link = script.split("--url '").nth(1).and_then(|rest| rest.split('\'').next()).unwrap();
    format!("/api/hook?{}", link.split_once('?').unwrap().1)
}

/// The body of a push to `main` of the repo `forge_remote_id` from `before` to `after`.
pub fn push_body(forge_remote_id: &str, before: &str, after: &str) -> serde_json::Value {
    serde_json::json!({
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "repo_forge_remote_id": forge_remote_id,
    })
}
