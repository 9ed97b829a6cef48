//! Step logs in files (`WOODPECKER_LOG_STORE=file`, engine.md §4.2): one file per step,
//! `<dir>/<step_id>.json`, of JSON lines in upstream's entry format (data in base64), so a log
//! directory moves between Woodpecker and Nuthatch.
//!
//! Files are only ever appended to. Each step has an index in memory, line number → where the
//! first copy of that line sits in the file, built by reading the file once and extended by
//! every append. Re-sent lines (agents retry batches) are dropped before they are written, and
//! reads seek straight to the lines they want. Before every use the index catches up with what
//! other processes appended and starts over when the file was deleted or replaced, so servers
//! sharing one directory stay right; a line two of them wrote at once is read as its first copy.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::domain::log::{LogEntry, LogEntryType};
use crate::ports::logs::{LogStorage, LogStorageError};

/// Step indexes kept in memory; one dropped is rebuilt from its file when next needed.
const CACHED_STEPS: usize = 64;

/// Log storage in a directory of JSON-lines files.
#[derive(Clone)]
pub struct FileLogStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    steps: Mutex<HashMap<i64, Arc<Mutex<StepIndex>>>>,
}

/// Where each line of one step's file is.
#[derive(Debug, Default)]
struct StepIndex {
    /// Line number → its first copy in the file.
    lines: BTreeMap<i32, Span>,
    /// Bytes of the file read into the index; always at the end of a line.
    indexed: u64,
    /// Which file was indexed: another one means it was deleted and written anew.
    file: FileId,
}

/// A file's identity: its inode, and its birth time where the filesystem keeps one (an inode
/// number is reused after a delete).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct FileId {
    inode: u64,
    born: Option<std::time::SystemTime>,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> Self {
        Self { inode: meta.ino(), born: meta.created().ok() }
    }
}

/// A line's bytes in a file, newline excluded.
#[derive(Debug, Clone, Copy)]
struct Span {
    offset: u64,
    len: usize,
}

/// One line of a file: upstream's entry JSON (`created` is ours; upstream ignores it).
#[derive(Serialize, Deserialize)]
struct FileEntry {
    #[serde(default)]
    id: i64,
    step_id: i64,
    time: i64,
    line: i32,
    /// Base64; Go writes `null` for an empty line.
    data: Option<String>,
    #[serde(rename = "type", default)]
    entry_type: i32,
    #[serde(default)]
    created: i64,
}

/// Just the line number of a file line, read while indexing without decoding the data.
#[derive(Deserialize)]
struct LineNumber {
    line: i32,
}

impl FileLogStore {
    /// Log storage in `dir`, which is created when missing.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, LogStorageError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| unavailable(&dir, "cannot create the log directory", e))?;
        Ok(Self { inner: Arc::new(Inner { dir, steps: Mutex::new(HashMap::new()) }) })
    }

    /// Runs `work` on the blocking pool: file I/O must not stall the runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, LogStorageError> + Send + 'static,
    ) -> Result<T, LogStorageError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| LogStorageError::Unknown(anyhow::Error::new(e).context("file log storage task")))?
    }
}

#[async_trait::async_trait]
impl LogStorage for FileLogStore {
    async fn append(&self, entries: &[LogEntry]) -> Result<(), LogStorageError> {
        let mut by_step: BTreeMap<i64, Vec<LogEntry>> = BTreeMap::new();
        for entry in entries {
            by_step.entry(entry.step_id).or_default().push(entry.clone());
        }
        self.blocking(move |inner| {
            by_step.into_iter().try_for_each(|(step_id, entries)| inner.append(step_id, &entries))
        })
        .await
    }

    async fn read(
        &self,
        step_id: i64,
        from_line: i32,
        limit: usize,
    ) -> Result<Vec<LogEntry>, LogStorageError> {
        self.blocking(move |inner| inner.read(step_id, from_line, limit)).await
    }

    async fn line_count(&self, step_id: i64) -> Result<i64, LogStorageError> {
        self.blocking(move |inner| {
            let path = inner.path(step_id);
            let index = inner.index(step_id);
            let mut index = lock(&index);
            index.catch_up(&path)?;
            Ok(index.lines.len() as i64)
        })
        .await
    }

    async fn delete(&self, step_id: i64) -> Result<(), LogStorageError> {
        self.blocking(move |inner| {
            let path = inner.path(step_id);
            let index = inner.index(step_id);
            let mut index = lock(&index);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(unavailable(&path, "cannot delete", e)),
            }
            *index = StepIndex::default();
            Ok(())
        })
        .await
    }
}

impl Inner {
    fn path(&self, step_id: i64) -> PathBuf {
        self.dir.join(format!("{step_id}.json"))
    }

    /// The index of a step, shared by every call on it; indexes no call holds are dropped
    /// once more than [`CACHED_STEPS`] are kept.
    fn index(&self, step_id: i64) -> Arc<Mutex<StepIndex>> {
        let mut steps = lock(&self.steps);
        if steps.len() >= CACHED_STEPS && !steps.contains_key(&step_id) {
            steps.retain(|_, index| Arc::strong_count(index) > 1);
        }
        steps.entry(step_id).or_default().clone()
    }

    /// Appends the lines of one step that its file does not hold yet, in one write.
    fn append(&self, step_id: i64, entries: &[LogEntry]) -> Result<(), LogStorageError> {
        let path = self.path(step_id);
        let index = self.index(step_id);
        let mut index = lock(&index);
        let trailing_partial = index.catch_up(&path)?;
        let mut buf = Vec::new();
        if trailing_partial {
            // A writer died mid-line: end that line so ours is not glued to it.
            buf.push(b'\n');
        }
        let mut written: BTreeMap<i32, Span> = BTreeMap::new();
        for entry in entries {
            if index.lines.contains_key(&entry.line) || written.contains_key(&entry.line) {
                continue;
            }
            let start = buf.len();
            serde_json::to_writer(&mut buf, &FileEntry::from(entry)).map_err(|e| {
                LogStorageError::Unknown(anyhow::Error::new(e).context("cannot encode a log line"))
            })?;
            written.insert(entry.line, Span { offset: start as u64, len: buf.len() - start });
            buf.push(b'\n');
        }
        if written.is_empty() {
            return Ok(());
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| unavailable(&path, "cannot open for appending", e))?;
        let before = file.metadata().map_err(|e| unavailable(&path, "cannot stat", e))?;
        file.write_all(&buf).map_err(|e| unavailable(&path, "cannot append", e))?;
        let after = file.metadata().map_err(|e| unavailable(&path, "cannot stat", e))?;
        let alone = before.len() == index.indexed
            && after.len() == before.len() + buf.len() as u64
            && (index.indexed == 0 || FileId::of(&before) == index.file);
        if !alone {
            // Another process wrote too: learn where our lines landed from the file itself.
            index.catch_up(&path)?;
            return Ok(());
        }
        index.file = FileId::of(&after);
        index.indexed = after.len();
        for (line, span) in written {
            index.lines.insert(line, Span { offset: before.len() + span.offset, ..span });
        }
        Ok(())
    }

    /// Up to `limit` lines from `from_line` on, in line order.
    fn read(&self, step_id: i64, from_line: i32, limit: usize) -> Result<Vec<LogEntry>, LogStorageError> {
        let path = self.path(step_id);
        let index = self.index(step_id);
        let (file, spans) = {
            let mut index = lock(&index);
            index.catch_up(&path)?;
            let spans: Vec<Span> = index.lines.range(from_line..).take(limit).map(|(_, s)| *s).collect();
            if spans.is_empty() {
                return Ok(Vec::new());
            }
            // The file only grows while it exists, and an open handle keeps a deleted one readable.
            (File::open(&path).map_err(|e| unavailable(&path, "cannot open", e))?, spans)
        };
        let mut entries = Vec::with_capacity(spans.len());
        for region in regions(&spans) {
            let first = region[0];
            let last = region[region.len() - 1];
            let mut bytes = vec![0; (last.offset + last.len as u64 - first.offset) as usize];
            file.read_exact_at(&mut bytes, first.offset).map_err(|e| unavailable(&path, "cannot read", e))?;
            for span in region {
                let start = (span.offset - first.offset) as usize;
                entries.push(decode(&bytes[start..start + span.len]).map_err(|e| {
                    LogStorageError::Unknown(e.context(format!("bad log line in {}", path.display())))
                })?);
            }
        }
        Ok(entries)
    }
}

impl StepIndex {
    /// Reads what was appended to the file since the index last looked, starting over when the
    /// file is gone, shorter or another one. Returns whether the file ends in a partial line.
    fn catch_up(&mut self, path: &Path) -> Result<bool, LogStorageError> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                *self = StepIndex::default();
                return Ok(false);
            }
            Err(e) => return Err(unavailable(path, "cannot open", e)),
        };
        let meta = file.metadata().map_err(|e| unavailable(path, "cannot stat", e))?;
        if FileId::of(&meta) != self.file || meta.len() < self.indexed {
            *self = StepIndex { file: FileId::of(&meta), ..StepIndex::default() };
        }
        if meta.len() == self.indexed {
            return Ok(false);
        }
        let mut tail = vec![0; (meta.len() - self.indexed) as usize];
        file.read_exact_at(&mut tail, self.indexed).map_err(|e| unavailable(path, "cannot read", e))?;
        let mut start = 0;
        while let Some(end) = tail[start..].iter().position(|&b| b == b'\n').map(|n| start + n) {
            let offset = self.indexed + start as u64;
            match serde_json::from_slice::<LineNumber>(&tail[start..end]) {
                Ok(number) => {
                    self.lines.entry(number.line).or_insert(Span { offset, len: end - start });
                }
                Err(error) if end > start => {
                    tracing::warn!(%error, file = %path.display(), offset, "skipping a damaged log line");
                }
                Err(_) => {}
            }
            start = end + 1;
        }
        self.indexed += start as u64;
        Ok(start < tail.len())
    }
}

/// Spans split into runs that lie back to back in the file, each read with one call.
fn regions(spans: &[Span]) -> impl Iterator<Item = &[Span]> {
    spans.chunk_by(|a, b| a.offset + a.len as u64 + 1 == b.offset)
}

impl From<&LogEntry> for FileEntry {
    fn from(e: &LogEntry) -> Self {
        Self {
            id: e.id,
            step_id: e.step_id,
            time: e.time,
            line: e.line,
            data: Some(B64.encode(&e.data)),
            entry_type: e.entry_type as i32,
            created: e.created,
        }
    }
}

/// A file line as an entry.
fn decode(bytes: &[u8]) -> anyhow::Result<LogEntry> {
    let e: FileEntry = serde_json::from_slice(bytes)?;
    let data = match e.data {
        Some(text) => B64.decode(text)?,
        None => Vec::new(),
    };
    Ok(LogEntry {
        id: e.id,
        step_id: e.step_id,
        time: e.time,
        line: e.line,
        data,
        entry_type: LogEntryType::from_i32(e.entry_type),
        created: e.created,
    })
}

/// Locks a mutex; a panic elsewhere while holding it leaves data that is still consistent
/// (indexes are rebuilt from files), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unavailable(path: &Path, what: &str, error: io::Error) -> LogStorageError {
    LogStorageError::Unavailable { backend: "file", message: format!("{what} {}: {error}", path.display()) }
}
