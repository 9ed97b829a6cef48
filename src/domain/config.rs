//! Pipeline configs: the config files a pipeline was built from, kept so that restarts and
//! approvals run exactly what was approved. Identical files are stored once per repo.

/// One config file, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// The repo.
    pub repo_id: i64,
    /// sha256 of `data`, hex; with `repo_id` and `name` it identifies the file.
    pub hash: String,
    /// Path of the file, e.g. `.woodpecker/build.yaml`.
    pub name: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}
