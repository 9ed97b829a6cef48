//! Multiple workflows: which config files to use (a pure choice among given file
//! names), workflow names, and `depends_on` between workflows.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use super::metadata::is_pull_event;
use super::model::Concurrency;

/// Default search order (`WOODPECKER_DEFAULT_PIPELINE_CONFIGS`).
pub const DEFAULT_CONFIG_PATHS: [&str; 3] = [".woodpecker/", ".woodpecker.yaml", ".woodpecker.yml"];

/// The repo's configured config path was not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("user defined config '{0}' not found")]
pub struct ConfigNotFound(pub String);

/// Pick the config files among `available` repository paths. `config_path` is the repo
/// setting (empty for the defaults); a trailing `/` means a folder whose direct
/// `.yaml`/`.yml` files are used, sorted. With the defaults the first hit wins and
/// nothing found gives an empty list.
pub fn select_config_files(available: &[String], config_path: &str) -> Result<Vec<String>, ConfigNotFound> {
    let config_path = config_path.trim();
    if !config_path.is_empty() {
        let found = candidate(available, config_path);
        return if found.is_empty() { Err(ConfigNotFound(config_path.to_string())) } else { Ok(found) };
    }
    Ok(DEFAULT_CONFIG_PATHS
        .iter()
        .map(|c| candidate(available, c))
        .find(|f| !f.is_empty())
        .unwrap_or_default())
}

fn candidate(available: &[String], path: &str) -> Vec<String> {
    match path.strip_suffix('/') {
        Some(dir) => {
            let prefix = format!("{dir}/");
            let files: BTreeSet<&String> = available
                .iter()
                .filter(|f| {
                    f.strip_prefix(&prefix).is_some_and(|rest| {
                        !rest.contains('/') && (rest.ends_with(".yaml") || rest.ends_with(".yml"))
                    })
                })
                .collect();
            files.into_iter().cloned().collect()
        }
        None => available.iter().filter(|f| f.as_str() == path).take(1).cloned().collect(),
    }
}

/// Workflow name of a file: base name without one `.yml`/`.yaml`, then without one leading `.`.
pub fn workflow_name(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    let base = base.strip_suffix(".yml").or_else(|| base.strip_suffix(".yaml")).unwrap_or(base);
    base.strip_prefix('.').unwrap_or(base).to_string()
}

/// `[ci skip]` / `[skip ci]` (any case, any spaces between the words) in the commit
/// message of a push or pull event: no pipeline is created at all.
pub fn is_ci_skipped(event: &str, message: &str) -> bool {
    static SKIP: OnceLock<Regex> = OnceLock::new();
    let re = SKIP.get_or_init(|| Regex::new(r"(?i)\[(ci *skip|skip *ci)\]").expect("static pattern"));
    (event == "push" || is_pull_event(event)) && re.is_match(message)
}

/// Queue key of a workflow's concurrency group: `<repo>/<workflow>/` by default,
/// `<repo>//<group>` with an explicit group.
pub fn concurrency_group_key(concurrency: &Concurrency, repo_id: i64, workflow: &str) -> String {
    if concurrency.group.is_empty() {
        format!("{repo_id}/{workflow}/")
    } else {
        format!("{repo_id}//{}", concurrency.group)
    }
}

/// A cycle among workflow dependencies, as names in dependency order.
pub fn find_cycle(nodes: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        i: usize,
        nodes: &[(String, Vec<String>)],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<String>> {
        state[i] = 1;
        stack.push(i);
        for dep in &nodes[i].1 {
            for j in (0..nodes.len()).filter(|&j| &nodes[j].0 == dep) {
                if state[j] == 1 {
                    let at = stack.iter().position(|&s| s == j).unwrap_or(0);
                    return Some(stack[at..].iter().map(|&k| nodes[k].0.clone()).collect());
                }
                if state[j] == 0
                    && let Some(c) = visit(j, nodes, state, stack)
                {
                    return Some(c);
                }
            }
        }
        stack.pop();
        state[i] = 2;
        None
    }
    let mut state = vec![0u8; nodes.len()];
    (0..nodes.len())
        .find_map(|i| if state[i] == 0 { visit(i, nodes, &mut state, &mut Vec::new()) } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names() {
        assert_eq!(workflow_name(".woodpecker/test.yml"), "test");
        assert_eq!(workflow_name(".woodpecker/.lint.yaml"), "lint");
        assert_eq!(workflow_name(".woodpecker.yaml"), "woodpecker");
    }

    #[test]
    fn selection() {
        let all = files(&[
            ".woodpecker.yml",
            ".woodpecker/b.yaml",
            ".woodpecker/a.yml",
            ".woodpecker/x.txt",
            ".woodpecker/sub/c.yml",
        ]);
        assert_eq!(select_config_files(&all, ""), Ok(files(&[".woodpecker/a.yml", ".woodpecker/b.yaml"])));
        assert_eq!(select_config_files(&files(&[".woodpecker.yml"]), ""), Ok(files(&[".woodpecker.yml"])));
        assert_eq!(select_config_files(&files(&["x"]), ""), Ok(vec![]));
        assert_eq!(select_config_files(&all, "ci/"), Err(ConfigNotFound("ci/".into())));
        assert_eq!(select_config_files(&all, " .woodpecker.yml "), Ok(files(&[".woodpecker.yml"])));
    }

    #[test]
    fn ci_skip_markers() {
        assert!(is_ci_skipped("push", "fix: x [CI SKIP]"));
        assert!(is_ci_skipped("pull_request", "[skip   ci] docs"));
        assert!(is_ci_skipped("push", "[skipci]"));
        assert!(!is_ci_skipped("tag", "[ci skip]"));
        assert!(!is_ci_skipped("push", "ci skip"));
    }

    #[test]
    fn concurrency_keys() {
        let default = Concurrency { limit: 1, group: String::new() };
        assert_eq!(concurrency_group_key(&default, 7, "deploy"), "7/deploy/");
        let named = Concurrency { limit: 1, group: "prod-main".into() };
        assert_eq!(concurrency_group_key(&named, 7, "deploy"), "7//prod-main");
    }

    #[test]
    fn cycles() {
        let n = |a: &str, d: &[&str]| (a.to_string(), files(d));
        assert_eq!(find_cycle(&[n("a", &["b"]), n("b", &["c"]), n("c", &[])]), None);
        assert_eq!(find_cycle(&[n("a", &["b"]), n("b", &["a"])]), Some(files(&["a", "b"])));
    }
}
