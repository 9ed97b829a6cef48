//! Docker image reference helpers (upstream `yaml/utils/image.go`): familiar names
//! (upstream's plain match compares them), full expansion, registry domain and the
//! dynamic list match. References are split into borrowed parts and compared piecewise,
//! so matching a step's image against a list allocates nothing.

/// A reference split with Docker's defaults; the parts borrow from the text.
#[derive(Debug, Clone, Copy)]
struct Reference<'a> {
    domain: &'a str,
    /// The repository path as written, without the implied `library/`.
    path: &'a str,
    /// Docker Hub images without a namespace live under `library/`.
    library: bool,
    tag: Option<&'a str>,
}

impl<'a> Reference<'a> {
    fn parse(image: &'a str) -> Self {
        let without_digest = image.split('@').next().unwrap_or(image);
        let (name, tag) = match without_digest.rfind(':') {
            Some(i) if !without_digest[i..].contains('/') => {
                (&without_digest[..i], Some(&without_digest[i + 1..]))
            }
            _ => (without_digest, None),
        };
        let (domain, path) = match name.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (first, rest)
            }
            _ => ("docker.io", name),
        };
        let domain = if domain == "index.docker.io" { "docker.io" } else { domain };
        let library = domain == "docker.io" && !path.contains('/');
        Reference { domain, path, library, tag }
    }

    /// The parts of Docker's familiar name without tag: `docker.io/library/golang:1` -> `golang`.
    fn familiar(&self) -> [&'a str; 3] {
        if self.domain != "docker.io" {
            [self.domain, "/", self.path]
        } else if self.library {
            ["", "", self.path]
        } else {
            ["", "", self.path.strip_prefix("library/").unwrap_or(self.path)]
        }
    }

    /// The parts of the fully expanded reference, `latest` being the default tag.
    fn expanded(&self) -> [&'a str; 6] {
        let library = if self.library { "library/" } else { "" };
        [self.domain, "/", library, self.path, ":", self.tag.unwrap_or("latest")]
    }
}

/// Whether `text` equals the concatenation of `parts`.
fn equals_concat(text: &str, parts: &[&str]) -> bool {
    let mut rest = text;
    for part in parts {
        match rest.strip_prefix(part) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Registry host of an image (`docker.io` for Docker Hub).
pub fn registry_domain(image: &str) -> &str {
    Reference::parse(image).domain
}

/// Whether the familiar name of `image` is `name`.
pub fn has_familiar_name(image: &str, name: &str) -> bool {
    equals_concat(name, &Reference::parse(image).familiar())
}

/// An image list in the form [`ImageList::matches`] compares: entries with `:` fully
/// expanded (a registry port counts as a tag, like upstream), others as familiar names.
#[derive(Debug, Clone, Default)]
pub struct ImageList {
    entries: Vec<ListEntry>,
}

#[derive(Debug, Clone)]
enum ListEntry {
    Expanded(String),
    Familiar(String),
}

impl ImageList {
    pub fn new(list: &[String]) -> Self {
        let entries = list
            .iter()
            .map(|entry| {
                let reference = Reference::parse(entry);
                if entry.contains(':') {
                    ListEntry::Expanded(reference.expanded().concat())
                } else {
                    ListEntry::Familiar(reference.familiar().concat())
                }
            })
            .collect();
        ImageList { entries }
    }

    /// Dynamic tag match of `image` against any entry.
    pub fn matches(&self, image: &str) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let reference = Reference::parse(image);
        self.entries.iter().any(|entry| match entry {
            ListEntry::Expanded(e) => equals_concat(e, &reference.expanded()),
            ListEntry::Familiar(f) => equals_concat(f, &reference.familiar()),
        })
    }
}

/// Dynamic tag match of `image` against `list` (see [`ImageList`]).
pub fn match_dynamic(image: &str, list: &[String]) -> bool {
    ImageList::new(list).matches(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn familiar_name(image: &str) -> String {
        Reference::parse(image).familiar().concat()
    }

    #[test]
    fn names_and_matches() {
        assert_eq!(familiar_name("docker.io/library/golang:1"), "golang");
        assert_eq!(familiar_name("index.docker.io/plugins/docker"), "plugins/docker");
        assert_eq!(familiar_name("gcr.io/x/y:2"), "gcr.io/x/y");
        assert_eq!(familiar_name("library/golang"), "golang");
        assert!(has_familiar_name("docker.io/plugins/docker:20", "plugins/docker"));
        assert!(!has_familiar_name("gcr.io/plugins/docker", "plugins/docker"));
        assert_eq!(registry_domain("golang"), "docker.io");
        assert_eq!(registry_domain("localhost:5000/img"), "localhost:5000");
        assert!(match_dynamic("plugins/docker:20", &["plugins/docker".into()]));
        assert!(!match_dynamic("plugins/docker:20", &["plugins/docker:21".into()]));
        assert!(match_dynamic(
            "docker.io/woodpeckerci/plugin-git:2.10.0",
            &["woodpeckerci/plugin-git:2.10.0".into()]
        ));
        assert!(match_dynamic("golang", &["docker.io/library/golang:latest".into()]));
        assert!(match_dynamic("localhost:5000/img", &["localhost:5000/img:latest".into()]));
        assert!(!match_dynamic("golang", &[]));
        assert_eq!(familiar_name("plugins/gcr:latest"), familiar_name("docker.io/plugins/gcr"));
    }
}
