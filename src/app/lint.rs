//! `nuthatch lint [PATH...]`: reads pipeline files from disk, lints them with the
//! domain linter (everything trusted, like the upstream CLI) and prints one line per
//! finding as `file:line:col: [error|warning] field: message`.

use std::path::{Path, PathBuf};

use crate::domain::yaml::PipelineError;
use crate::domain::yaml::lint::{LintOptions, lint_config};
use crate::domain::yaml::metadata::Trusted;

/// Lint `paths` (files or directories; none means the default config location).
/// Returns the exit code: 1 when any error (not warning) was found or a file is unreadable.
pub fn run(paths: &[PathBuf]) -> i32 {
    let files = match collect_files(paths) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            eprintln!("no pipeline configuration found");
            return 1;
        }
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let opts = LintOptions { trusted: Trusted::ALL, privileged_plugins: None, trusted_clone_images: vec![] };
    let mut failed = false;
    for path in files {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                println!("{shown}:0:0: [error] {e}");
                failed = true;
                continue;
            }
        };
        let name = path.file_name().map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
        for finding in lint_config(&name, &text, &opts) {
            failed |= !finding.is_warning;
            println!("{}", format_finding(&shown, &finding));
        }
    }
    i32::from(failed)
}

/// One output line for a finding.
pub fn format_finding(file: &str, e: &PipelineError) -> String {
    let (line, col) = e.pos.map_or((0, 0), |p| (p.line, p.col));
    let level = if e.is_warning { "warning" } else { "error" };
    match e.field() {
        "" => format!("{file}:{line}:{col}: [{level}] {}", e.message),
        field => format!("{file}:{line}:{col}: [{level}] {field}: {}", e.message),
    }
}

fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    if paths.is_empty() {
        let dir = Path::new(".woodpecker");
        if dir.is_dir() {
            let files = yaml_files_in(dir)?;
            if !files.is_empty() {
                return Ok(files);
            }
        }
        return Ok([".woodpecker.yaml", ".woodpecker.yml"]
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_file())
            .take(1)
            .collect());
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() { out.extend(yaml_files_in(p)?) } else { out.push(p.clone()) }
    }
    Ok(out)
}

fn yaml_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    Ok(files)
}
