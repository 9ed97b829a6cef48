//! The local forge against real git: accounts, repositories created on disk, pushes through a
//! clone, the post-receive hook and the notices it posts, read back as pipelines.

#[path = "common/git.rs"]
mod git;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nuthatch::adapters::forge::local::LocalForge;
use nuthatch::adapters::forge::local::hook_client::{PushNotice, notify_post_receive};
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::pipeline::Pipeline;
use nuthatch::domain::repo::Repo;
use nuthatch::domain::user::User;
use nuthatch::domain::workflow::Workflow;
use nuthatch::ports::forge::{
    Forge, ForgeError, HookOutcome, HookRequest, ListOptions, LoginRequest, ParsedHook,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ZERO: &str = "0000000000000000000000000000000000000000";
const CONFIG: &str = "steps:\n  - name: test\n    image: alpine\n    commands: [echo hi]\n";

/// A temporary directory holding the forge, clones and a HOME for git; removed when dropped.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("nuthatch-local-forge-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        Self { dir }
    }

    /// Runs git in `cwd` as a configured-nowhere user on a bare machine; returns its stdout.
    fn git(&self, cwd: &Path, args: &[&str]) -> String {
        git::git(cwd, &self.dir.join("home"), args)
    }

    /// Clones a repo of the forge into a fresh work tree.
    fn clone(&self, repo: &Repo, name: &str) -> PathBuf {
        self.git(&self.dir, &["clone", "--quiet", &repo.clone_url, name]);
        self.dir.join(name)
    }

    /// Writes files and commits them; returns the new commit's SHA.
    fn commit(&self, work: &Path, files: &[(&str, &str)], message: &str) -> String {
        for (path, content) in files {
            let path = work.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        self.git(work, &["add", "--all"]);
        self.git(work, &["commit", "--quiet", "-m", message]);
        self.git(work, &["rev-parse", "HEAD"])
    }

    /// A stand-in for the nuthatch binary that records its arguments and stdin beside itself.
    fn recorder(&self) -> PathBuf {
        let path = self.dir.join("recorder");
        std::fs::write(&path, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.args\"\ncat > \"$0.stdin\"\n")
            .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A forge in the sandbox with the account `alice`, logged in.
async fn forge_with_alice(sandbox: &Sandbox) -> (LocalForge, User) {
    let forge = LocalForge::open(sandbox.dir.join("forge"), "http://ci.example.com").await.unwrap();
    forge.create_account("alice", "alice@example.com", "correct horse", false).await.unwrap();
    let alice = login(&forge, "alice", "correct horse").await.unwrap();
    (forge, alice)
}

async fn login(forge: &LocalForge, login: &str, password: &str) -> Result<User, ForgeError> {
    forge.login(LoginRequest::Password { login: login.into(), password: password.into() }).await
}

/// The hook request a push notice arrives as.
fn hook_request(notice: &PushNotice) -> HookRequest {
    HookRequest { method: "POST".into(), headers: Vec::new(), body: serde_json::to_vec(notice).unwrap() }
}

fn notice(repo: &Repo, git_ref: &str, before: &str, after: &str) -> PushNotice {
    PushNotice {
        git_ref: git_ref.into(),
        before: before.into(),
        after: after.into(),
        repo_forge_remote_id: repo.forge_remote_id.clone(),
    }
}

async fn parsed(forge: &LocalForge, request: &HookRequest) -> ParsedHook {
    match forge.hook(request).await.unwrap() {
        HookOutcome::Pipeline(parsed) => *parsed,
        HookOutcome::Ignored(reason) => panic!("hook ignored: {reason}"),
    }
}

/// Accepts one HTTP request, answers 200 and hands back the request as a hook request plus its
/// request target.
async fn receive_one(listener: TcpListener) -> (String, HookRequest) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut raw = Vec::new();
    let head_end = loop {
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the end of the headers");
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8(raw[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap().split(' ');
    let (method, target) = (request_line.next().unwrap().to_owned(), request_line.next().unwrap().to_owned());
    let headers: Vec<(String, String)> = lines
        .map(|l| l.split_once(": ").unwrap())
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let mut request = HookRequest { method, headers, body: raw[head_end + 4..].to_vec() };
    let length: usize = request.header("content-length").unwrap().parse().unwrap();
    while request.body.len() < length {
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        request.body.extend_from_slice(&buf[..n]);
    }
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await.unwrap();
    (target, request)
}

#[tokio::test]
async fn accounts_log_in_with_their_own_password_only() {
    let sandbox = Sandbox::new();
    let (forge, alice) = forge_with_alice(&sandbox).await;
    assert_eq!(
        (alice.login.as_str(), alice.email.as_str(), alice.forge_remote_id.as_str()),
        ("alice", "alice@example.com", "1")
    );
    assert!(matches!(login(&forge, "alice", "wrong").await, Err(ForgeError::Unauthorized(_))));
    assert!(matches!(login(&forge, "mallory", "correct horse").await, Err(ForgeError::Unauthorized(_))));

    forge.set_password("alice", "battery staple").await.unwrap();
    assert!(login(&forge, "alice", "correct horse").await.is_err());
    assert_eq!(forge.verify_login("alice", "battery staple").await.unwrap().id, 1);
    assert_eq!(forge.auth(&alice).await.unwrap(), "alice");

    let oauth = forge.login(LoginRequest::OAuthCode { code: "c".into() }).await;
    assert!(matches!(oauth, Err(ForgeError::NotSupported(_))));
    assert!(matches!(forge.authorize_url("state").await, Err(ForgeError::NotSupported(_))));
}

#[tokio::test]
async fn a_push_to_an_activated_repo_reaches_the_server_as_a_push_pipeline() {
    let sandbox = Sandbox::new();
    let recorder = sandbox.recorder();
    let (forge, alice) = forge_with_alice(&sandbox).await;
    let forge = forge.with_hook_executable(&recorder);
    let repo = forge.create_repo("alice", "app").await.unwrap();
    assert_eq!((repo.full_name.as_str(), repo.default_branch.as_str()), ("alice/app", "main"));

    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let link = format!("http://{}/api/hook?access_token=tok", server.local_addr().unwrap());
    forge.activate(&alice, &repo, &link).await.unwrap();
    let hook_url = format!("{link}&forge_remote_id={}", repo.forge_remote_id);
    let script_path = Path::new(&repo.clone_url).join("hooks/post-receive");
    let script = std::fs::read_to_string(&script_path).unwrap();
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(
        script.ends_with(&format!("exec '{}' local-hook --url '{hook_url}'\n", recorder.display())),
        "{script}"
    );
    assert_ne!(
        std::fs::metadata(&script_path).unwrap().permissions().mode() & 0o111,
        0,
        "the hook is executable"
    );

    let work = sandbox.clone(&repo, "work");
    let sha = sandbox.commit(&work, &[(".woodpecker.yaml", CONFIG)], "Add CI config");
    sandbox.git(&work, &["push", "--quiet", "origin", "HEAD:refs/heads/main"]);

    // git ran the hook: it was given the hook URL and one line for the pushed branch.
    let args = std::fs::read_to_string(recorder.with_extension("args")).unwrap();
    assert_eq!(args, format!("local-hook\n--url\n{hook_url}\n"));
    let stdin = std::fs::read_to_string(recorder.with_extension("stdin")).unwrap();
    assert_eq!(stdin, format!("{ZERO} {sha} refs/heads/main\n"));

    let received = tokio::spawn(receive_one(server));
    notify_post_receive(&hook_url, &stdin).await.unwrap();
    let (target, request) = received.await.unwrap();
    assert_eq!(target, format!("/api/hook?access_token=tok&forge_remote_id={}", repo.forge_remote_id));
    assert_eq!(request.header("content-type"), Some("application/json"));

    let ParsedHook { repo: hooked_repo, pipeline } = parsed(&forge, &request).await;
    assert_eq!(hooked_repo.forge_remote_id, repo.forge_remote_id);
    assert_eq!(hooked_repo.full_name, "alice/app");
    assert_eq!(pipeline.event, WebhookEvent::Push);
    assert_eq!((pipeline.branch.as_str(), pipeline.git_ref.as_str()), ("main", "refs/heads/main"));
    assert_eq!(pipeline.commit, sha);
    assert_eq!(pipeline.message, "Add CI config");
    assert_eq!((pipeline.author.as_str(), pipeline.author_email.as_str()), ("Ada Author", "ada@example.com"));
    assert!(pipeline.timestamp > 0);
    assert_eq!(pipeline.changed_files, [".woodpecker.yaml"]);
    assert_eq!(forge.file(&alice, &repo, &sha, ".woodpecker.yaml").await.unwrap(), CONFIG.as_bytes());

    forge.deactivate(&alice, &repo, &link).await.unwrap();
    assert!(!script_path.exists());
}

#[tokio::test]
async fn branches_heads_files_and_directories_come_from_the_pushed_commits() {
    let sandbox = Sandbox::new();
    let (forge, alice) = forge_with_alice(&sandbox).await;
    let repo = forge.create_repo("alice", "app").await.unwrap();
    let work = sandbox.clone(&repo, "work");
    let first = sandbox.commit(&work, &[("README.md", "hello\n")], "Start");
    let second = sandbox.commit(
        &work,
        &[
            (".woodpecker/build.yaml", CONFIG),
            (".woodpecker/test.yaml", "steps: []\n"),
            (".woodpecker/lib/x.yaml", ""),
        ],
        "Split the config",
    );
    sandbox.git(
        &work,
        &["push", "--quiet", "origin", "HEAD:refs/heads/main", &format!("{first}:refs/heads/feature")],
    );

    assert_eq!(forge.branches(&alice, &repo, ListOptions::ALL).await.unwrap(), ["feature", "main"]);
    let second_page = ListOptions { all: false, page: 2, per_page: 1 };
    assert_eq!(forge.branches(&alice, &repo, second_page).await.unwrap(), ["main"]);
    assert_eq!(forge.branch_head(&alice, &repo, "main").await.unwrap(), second);
    assert_eq!(forge.branch_head(&alice, &repo, "feature").await.unwrap(), first);
    assert!(matches!(forge.branch_head(&alice, &repo, "nope").await, Err(ForgeError::NotFound(_))));

    let files = forge.dir(&alice, &repo, &second, ".woodpecker").await.unwrap();
    let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, [".woodpecker/build.yaml", ".woodpecker/test.yaml"], "subdirectories are left out");
    assert_eq!(files[0].data, CONFIG.as_bytes());
    assert!(matches!(forge.dir(&alice, &repo, &first, ".woodpecker").await, Err(ForgeError::NotFound(_))));
    assert!(matches!(
        forge.file(&alice, &repo, &first, ".woodpecker.yaml").await,
        Err(ForgeError::NotFound(_))
    ));
    assert!(matches!(forge.file(&alice, &repo, "main", "README.md").await, Err(ForgeError::NotFound(_))));

    let update = parsed(&forge, &hook_request(&notice(&repo, "refs/heads/main", &first, &second))).await;
    assert_eq!(
        update.pipeline.changed_files,
        [".woodpecker/build.yaml", ".woodpecker/lib/x.yaml", ".woodpecker/test.yaml"]
    );
}

#[tokio::test]
async fn tags_are_tag_events_and_deletions_and_bad_hooks_make_no_pipeline() {
    let sandbox = Sandbox::new();
    let (forge, _alice) = forge_with_alice(&sandbox).await;
    let repo = forge.create_repo("alice", "app").await.unwrap();
    let work = sandbox.clone(&repo, "work");
    let sha = sandbox.commit(&work, &[("a.txt", "a")], "Release it");
    sandbox.git(&work, &["tag", "-a", "v1.0", "-m", "Version 1.0"]);
    sandbox.git(&work, &["push", "--quiet", "origin", "HEAD:refs/heads/main", "refs/tags/v1.0"]);
    let tag_object = sandbox.git(&work, &["rev-parse", "v1.0"]);
    assert_ne!(tag_object, sha, "an annotated tag is an object of its own");

    forge.create_account("ada", "ADA@example.com", "pw", false).await.unwrap();
    let tag =
        parsed(&forge, &hook_request(&notice(&repo, "refs/tags/v1.0", ZERO, &tag_object))).await.pipeline;
    assert_eq!(tag.event, WebhookEvent::Tag);
    assert_eq!(
        (tag.commit.as_str(), tag.tag_title.as_str(), tag.git_ref.as_str()),
        (sha.as_str(), "v1.0", "refs/tags/v1.0")
    );
    assert_eq!(tag.message, "Release it");
    assert_eq!(tag.author, "ada", "the author's account, found by email, is the author");

    let deletion = forge.hook(&hook_request(&notice(&repo, "refs/heads/gone", &sha, ZERO))).await.unwrap();
    assert!(matches!(deletion, HookOutcome::Ignored(_)), "{deletion:?}");

    let stranger = Repo { forge_remote_id: "no-such-id".into(), ..repo.clone() };
    let unknown = forge.hook(&hook_request(&notice(&stranger, "refs/heads/main", ZERO, &sha))).await;
    assert!(matches!(unknown, Err(ForgeError::NotFound(_))), "{unknown:?}");

    for body in [&b"{\"ref\": 42"[..], b"", b"\xff\xfe", b"[]"] {
        let malformed = HookRequest { method: "POST".into(), headers: Vec::new(), body: body.to_vec() };
        assert!(matches!(forge.hook(&malformed).await, Err(ForgeError::InvalidHook(_))));
    }
    let not_a_commit = notice(&repo, "refs/heads/main", ZERO, &"1".repeat(40));
    assert!(matches!(forge.hook(&hook_request(&not_a_commit)).await, Err(ForgeError::InvalidHook(_))));
}

#[tokio::test]
async fn every_account_may_push_but_only_owners_and_admins_administer() {
    let sandbox = Sandbox::new();
    let (forge, alice) = forge_with_alice(&sandbox).await;
    forge.create_account("bob", "", "pw", false).await.unwrap();
    forge.create_account("root", "", "pw", true).await.unwrap();
    let bob = login(&forge, "bob", "pw").await.unwrap();
    let root = login(&forge, "root", "pw").await.unwrap();
    assert!(root.admin);
    let repo = forge.create_repo("alice", "app").await.unwrap();
    let again = forge.create_repo("alice", "app").await;
    assert!(again.unwrap_err().to_string().contains("already exists"));
    assert!(forge.create_repo("alice", "..").await.is_err());

    let listed = forge.repos(&bob).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].repo.forge_remote_id, repo.forge_remote_id);
    let perm = listed[0].perm;
    assert!(perm.pull && perm.push && !perm.admin);
    assert!(forge.perm(&alice, &repo).await.unwrap().admin);
    assert!(forge.perm(&root, &repo).await.unwrap().admin);

    let by_name = forge.repo(&bob, "", "alice", "app").await.unwrap();
    assert_eq!(by_name.repo.forge_remote_id, repo.forge_remote_id);
    let by_id = forge.repo(&bob, &repo.forge_remote_id, "", "").await.unwrap();
    assert_eq!(by_id.repo.full_name, "alice/app");
    assert!(matches!(forge.repo(&bob, "", "alice", "nope").await, Err(ForgeError::NotFound(_))));

    let link = "http://ci.example.com/api/hook?access_token=t";
    assert!(matches!(forge.activate(&bob, &repo, link).await, Err(ForgeError::Unauthorized(_))));
    forge.activate(&root, &repo, link).await.unwrap();

    assert!(forge.org(&bob, "alice").await.unwrap().is_user);
    assert!(matches!(forge.org(&bob, "nobody").await, Err(ForgeError::NotFound(_))));
    let membership = forge.org_membership(&bob, "alice").await.unwrap();
    assert!(membership.member && !membership.admin);
    assert_eq!(
        forge.teams(&bob).await.unwrap().iter().map(|t| t.login.as_str()).collect::<Vec<_>>(),
        ["alice"]
    );

    let ghost = User { login: "ghost".into(), ..User::default() };
    assert!(matches!(forge.repos(&ghost).await, Err(ForgeError::Unauthorized(_))));
    assert!(matches!(
        forge.pull_requests(&alice, &repo, ListOptions::ALL).await,
        Err(ForgeError::NotSupported(_))
    ));
    assert_eq!(forge.netrc(&alice, &repo).await.unwrap().login, "");
    forge.status(&alice, &repo, &Pipeline::default(), &Workflow::default()).await.unwrap();
    assert_eq!((forge.name(), forge.url()), ("local", "http://ci.example.com"));
}
