//! Loads a `.env` file from the working directory before configuration is read, as upstream does,
//! so an existing Woodpecker env file works unchanged. Variables already set win.

use std::path::Path;

/// Reads `KEY=VALUE` lines from `path` into the environment, skipping keys that are already set.
/// A missing file is not an error; lines that are not assignments are ignored.
pub fn load(path: &Path) -> std::io::Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for (key, value) in parse(&text) {
        if std::env::var_os(&key).is_none() {
            // SAFETY: called once at start-up, before any thread is spawned.
            unsafe { std::env::set_var(key, value) };
        }
    }
    Ok(())
}

/// The assignments of a dotenv text: `KEY=VALUE`, optional `export `, `#` comments, values in
/// single or double quotes taken literally.
fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (key, value) = l.split_once('=')?;
            let value = value.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
                .unwrap_or(value);
            Some((key.trim().to_owned(), unquoted.to_owned()))
        })
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_comments_exports_and_quotes() {
        let text =
            "# comment\nWOODPECKER_HOST=http://ci\nexport A = 'x y'\nB=\"q\"\nnot an assignment\n=novalue\n";
        assert_eq!(
            parse(text),
            [
                ("WOODPECKER_HOST".into(), "http://ci".into()),
                ("A".into(), "x y".into()),
                ("B".into(), "q".into())
            ]
        );
    }
}
