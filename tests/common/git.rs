//! Running git as a fixed author, for tests that commit to and push at the built-in forge.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Runs git in `cwd` as a fixed author with `home` as HOME; panics unless it succeeds.
pub fn git(cwd: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Author")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Clones the bare repo at `clone_url` into the empty directory `work`, commits `files` there
/// and pushes the commit to `main`; returns its sha. The directory can be removed afterwards.
pub fn commit_and_push(work: &Path, clone_url: &str, files: &[(&str, &str)], message: &str) -> String {
    let home = work.join("home");
    std::fs::create_dir_all(&home).unwrap();
    git(work, &home, &["clone", "--quiet", clone_url, "tree"]);
    let tree = work.join("tree");
    for (name, content) in files {
        std::fs::write(tree.join(name), content).unwrap();
    }
    git(&tree, &home, &["add", "-A"]);
    git(&tree, &home, &["commit", "--quiet", "-m", message]);
    git(&tree, &home, &["push", "--quiet", "origin", "HEAD:main"]);
    git(&tree, &home, &["rev-parse", "HEAD"])
}
