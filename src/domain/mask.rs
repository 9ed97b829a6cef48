//! Masking secret values in log lines, so that a step printing a secret does not publish it in
//! stored or streamed logs.
//!
//! The rules are upstream's (its agent masks the same way before sending lines, and the server
//! masks again for agents that do not): a value is trimmed of surrounding whitespace and ignored
//! when what is left is [`MIN_SECRET_LEN`] bytes or shorter (too many false positives, and too
//! short to be worth hiding); logs are masked line by line, so a multi-line value is split into
//! its lines and each non-empty line is masked wherever it appears. Every match becomes
//! [`MASK`].
//!
//! Where two values match at the same position the longer one wins, so that a value that is
//! a prefix of another never leaves the other's tail visible.

/// What a masked value is replaced with.
pub const MASK: &[u8] = b"********";

/// Values of this many bytes or fewer (after trimming) are not masked.
pub const MIN_SECRET_LEN: usize = 3;

/// Replaces known secret values in log lines.
#[derive(Debug, Clone)]
pub struct Masker {
    /// The byte strings to hide, longest first.
    needles: Vec<Vec<u8>>,
    /// Whether a byte can start a needle (cheap skip for the common no-match case).
    first_bytes: [bool; 256],
}

impl Masker {
    /// A masker for these secret values.
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Self {
        let mut needles: Vec<Vec<u8>> = values
            .into_iter()
            .map(|v| v.as_ref().trim().to_owned())
            .filter(|v| v.len() > MIN_SECRET_LEN)
            .flat_map(|v| {
                v.split('\n')
                    .filter(|part| !part.is_empty())
                    .map(|p| p.as_bytes().to_vec())
                    .collect::<Vec<_>>()
            })
            .collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        let mut first_bytes = [false; 256];
        for needle in &needles {
            first_bytes[usize::from(needle[0])] = true;
        }
        Self { needles, first_bytes }
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The line with every secret value replaced by [`MASK`]; `None` when nothing matched, so
    /// callers keep the original bytes without copying.
    pub fn mask(&self, line: &[u8]) -> Option<Vec<u8>> {
        if self.needles.is_empty() {
            return None;
        }
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        while at < line.len() {
            let hit = self.first_bytes[usize::from(line[at])]
                .then(|| self.needles.iter().find(|n| line[at..].starts_with(n)))
                .flatten();
            match hit {
                Some(needle) => {
                    let buf = out.get_or_insert_with(|| Vec::with_capacity(line.len()));
                    buf.extend_from_slice(&line[copied..at]);
                    buf.extend_from_slice(MASK);
                    at += needle.len();
                    copied = at;
                }
                None => at += 1,
            }
        }
        let mut buf = out?;
        buf.extend_from_slice(&line[copied..]);
        Some(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(values: &[&str], log: &str) -> String {
        let masker = Masker::new(values);
        log.split('\n')
            .map(|line| {
                let bytes = masker.mask(line.as_bytes()).unwrap_or_else(|| line.as_bytes().to_vec());
                String::from_utf8(bytes).unwrap()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn values_of_three_bytes_or_less_are_not_masked() {
        assert_eq!(masked(&["", "d", "art", "  ab  "], "start log\ndone"), "start log\ndone");
    }

    #[test]
    fn values_are_trimmed_before_the_length_rule() {
        assert_eq!(masked(&["password", " IS "], "this IS secret: password"), "this IS secret: ********");
    }

    #[test]
    fn every_occurrence_is_masked() {
        assert_eq!(masked(&["hunter2"], "hunter2 and hunter2!"), "******** and ********!");
    }

    #[test]
    fn multi_line_values_are_masked_line_by_line() {
        assert_eq!(
            masked(&["an\nmulti line secret!!"], "start log\nnow\nan\nmulti line secret!! ;)"),
            "start log\nnow\n********\n******** ;)"
        );
        assert_eq!(masked(&["two\n\nnewlines"], "with\ntwo\n\nnewlines"), "with\n********\n\n********");
    }

    #[test]
    fn a_multi_line_value_that_does_not_occur_changes_nothing() {
        let log = "start log\ndone\nnow";
        assert_eq!(masked(&["Test\nwith\n\ntwo new lines"], log), log);
    }

    #[test]
    fn the_longer_of_two_overlapping_values_wins() {
        assert_eq!(masked(&["token", "token-long"], "x token-long y"), "x ******** y");
    }

    #[test]
    fn nothing_to_mask_returns_none() {
        let masker = Masker::new(["secret-value"]);
        assert_eq!(masker.mask(b"plain line"), None);
        assert!(Masker::new(Vec::<String>::new()).is_empty());
    }

    #[test]
    fn non_utf8_lines_are_masked_bytewise() {
        let masker = Masker::new(["s3cr3t"]);
        assert_eq!(masker.mask(b"\xff s3cr3t \xfe"), Some(b"\xff ******** \xfe".to_vec()));
    }
}
