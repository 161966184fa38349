//! The corpus state beside the output (`OUTPUT/.newsprep/`), which makes `newsprep run` on an
//! existing output incremental: what each raw file was (SHA-256) and where its output ends, the
//! near-duplicate index of the kept corpus, the site-line counts; the lock that keeps two runs
//! apart; and the commit that moves a run's files into place all together or not at all.
//!
//! `state.bin` layout (version [`FORMAT_VERSION`]): the 8 bytes `NEWSPREP`, the format version
//! as a little-endian u32, then one [`State`] in postcard 1.x encoding (its fields in the
//! order declared below; lengths and integers as varints).
//!
//! The near-duplicate index is a log beside it, `index.bin`: the 8 bytes `NEWSPREP`, the
//! version as a little-endian u32, the 4 bytes `INDX`, then segments, each one postcard-encoded
//! [`SegmentRef`](crate::stages::dedup::SegmentRef): the paragraph index entries (each
//! fingerprint's SimHash, sketch and value by id, and the first id of each exact hash) and kept
//! documents that one run added. `state.bin` lists where each segment ends and the index's
//! [`Marks`] there; bytes after the last end are not part of the log. A run that only adds
//! appends one segment (so saving costs what the run added); a run that re-cleans earlier files
//! writes the log again as one segment. The tables are rebuilt from the entries in memory:
//! loading is one read of each file, and no text is read or hashed again.

use crate::error::RunError;
use crate::stages::boilerplate::sites::CounterSnapshot;
use crate::stages::dedup::{Dedup, Marks, Segment, clusters};
use crate::stages::write::Positions;
use crate::stats::FileCounts;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The state folder, relative to the output folder.
pub const DIR: &str = ".newsprep";
/// The state file, relative to the output folder.
pub const FILE: &str = ".newsprep/state.bin";
/// The index log, relative to the output folder.
pub const INDEX_FILE: &str = ".newsprep/index.bin";
const INDEX_TAG: &[u8; 4] = b"INDX";
const INDEX_HEADER: u64 = 16;
/// Version of `state.bin`; another version is not read (the corpus is rebuilt).
pub const FORMAT_VERSION: u32 = 6;
const MAGIC: &[u8; 8] = b"NEWSPREP";
const LOCK: &str = ".newsprep/lock";
const JOURNAL: &str = ".newsprep/commit.json";
const STAGING: &str = ".newsprep/staging";

/// Where the output of the files up to and including one file ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ends {
    /// Bytes of corpus.jsonl, manifest.csv and duplicates.csv.
    pub output: Positions,
    /// The dedup corpus.
    pub dedup: Marks,
}

/// One raw file as the last run left it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileState {
    /// Path relative to the input folder.
    pub rel: String,
    /// SHA-256 of its bytes (all zero when it could not be read).
    pub sha256: [u8; 32],
    /// What `stat` said of it when it was hashed (none when that cannot be trusted).
    pub stat: Option<Stat>,
    /// Its output ends here.
    pub ends: Ends,
    /// Its share of the counters.
    pub counts: FileCounts,
    /// Ids it gave (with the JSONL line, 0 for a whole file), for id collisions with later files.
    pub ids: Vec<(String, u32)>,
    /// Site-line keys its documents contributed, one per document and distinct line.
    pub lines: Vec<u64>,
}

/// What `stat` says of a raw file. When it is what the last run recorded, the file is taken as
/// unchanged without reading it again, as git's index does: writing a file changes its ctime
/// (which no tool can set back) and usually its size and mtime. A file changed in the last
/// [`RACY_SECS`] seconds before it is looked at gets no `Stat`, and is hashed on the next run
/// too: within one tick of a coarse file-system clock, a later write may not change the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

/// See [`Stat`].
pub const RACY_SECS: i64 = 2;

impl Stat {
    /// The file's `stat`, if it can be trusted (on Unix; elsewhere files are always hashed).
    pub fn of(path: &Path) -> Option<Stat> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let m = fs::metadata(path).ok()?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
            let newest = m.mtime().max(m.ctime());
            if newest + RACY_SECS >= i64::try_from(now).ok()? {
                return None;
            }
            Some(Stat {
                len: m.len(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
                ino: m.ino(),
                dev: m.dev(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            None
        }
    }
}

/// Everything a later run needs to go on from where this one stopped.
#[derive(Debug, Deserialize)]
pub struct State {
    /// Fingerprint of the settings the corpus was made with.
    pub config: u64,
    /// Sizes of corpus.jsonl, manifest.csv and duplicates.csv as committed: other sizes mean
    /// they were changed behind newsprep's back, and the corpus is rebuilt.
    pub sizes: [u64; 3],
    /// The raw files, in corpus order.
    pub files: Vec<FileState>,
    /// The segments of the index log (`index.bin`), in order.
    pub log: Vec<LogSegment>,
    /// The dedup barrier's clusters.
    pub clusters: clusters::Snapshot,
    /// Site-line counts, and the file each learned line was learned at.
    pub sites: CounterSnapshot,
    /// The index log's segments, read and joined.
    #[serde(skip)]
    pub index: Segment,
}

/// Where a segment of the index log ends (bytes of `index.bin`), and the index's marks there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSegment {
    /// End of the segment in `index.bin`.
    pub end: u64,
    /// The index after it.
    pub marks: Marks,
}

/// [`State`] borrowed, for saving (same encoding).
#[derive(Debug, Serialize)]
pub struct StateRef<'a> {
    /// See [`State`].
    pub config: u64,
    /// See [`State`].
    pub sizes: [u64; 3],
    /// See [`State`].
    pub files: &'a [FileState],
    /// See [`State`].
    pub log: &'a [LogSegment],
    /// See [`State`].
    pub clusters: clusters::Snapshot,
    /// See [`State`].
    pub sites: CounterSnapshot,
}

/// Why a run cleans everything again rather than only what is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuild {
    /// No state: a first run (or an output made by an older newsprep).
    NoState,
    /// `--full`.
    Asked,
    /// pipeline.toml (or a flag that changes output) differs from the last run's.
    Config,
    /// `dedup.document.canonical` other than `first`: clusters settle over the whole corpus.
    Policy(&'static str),
    /// The state or the output it describes could not be used.
    Unusable(String),
}

impl std::fmt::Display for Rebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rebuild::NoState => write!(f, "no earlier corpus state"),
            Rebuild::Asked => write!(f, "--full"),
            Rebuild::Config => write!(f, "the configuration changed since the last run"),
            Rebuild::Policy(p) => write!(
                f,
                "dedup.document.canonical = \"{p}\" settles clusters over the whole corpus, so every run rebuilds it"
            ),
            Rebuild::Unusable(why) => write!(f, "{why}"),
        }
    }
}

/// What a run did with the corpus so far, for its summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Set when everything was cleaned again, and why.
    pub rebuilt: Option<String>,
    /// Raw files not in the corpus before.
    pub new: usize,
    /// Raw files whose bytes changed.
    pub changed: usize,
    /// Raw files skipped as unchanged.
    pub unchanged: usize,
    /// Unchanged files cleaned again because an earlier file changed (or was pruned).
    pub recleaned: usize,
    /// Raw files gone since the last run (their output stays unless `--prune`).
    pub gone: Vec<String>,
    /// Gone files whose output `--prune` removed.
    pub pruned: usize,
    /// Documents of this batch that duplicate a document of an earlier batch: (id, of).
    pub duplicates_of_earlier: Vec<(String, String)>,
}

fn state_err(path: &Path, message: impl ToString) -> RunError {
    RunError::State { path: path.to_path_buf(), message: message.to_string() }
}

fn out_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output { path: path.to_path_buf(), source }
}

/// The output files the state describes, in the order of [`State::sizes`].
pub const OUTPUTS: [&str; 3] = ["corpus.jsonl", "manifest.csv", "duplicates.csv"];

impl State {
    /// The state saved in `dir`, if it can be used for settings with fingerprint `config`;
    /// otherwise why the corpus must be rebuilt.
    pub fn load(dir: &Path, config: u64) -> Result<State, Rebuild> {
        let path = dir.join(FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Rebuild::NoState),
            Err(e) => return Err(Rebuild::Unusable(format!("{}: {e}", path.display()))),
        };
        let unusable = |why: String| Rebuild::Unusable(format!("{}: {why}", path.display()));
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(unusable("not a newsprep state file".into()));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(unusable(format!("format version {version} (this newsprep reads {FORMAT_VERSION})")));
        }
        let mut state: State =
            postcard::from_bytes(&bytes[12..]).map_err(|e| unusable(format!("damaged: {e}")))?;
        if state.config != config {
            return Err(Rebuild::Config);
        }
        for (name, &size) in OUTPUTS.iter().zip(&state.sizes) {
            let actual = fs::metadata(dir.join(name)).map(|m| m.len()).ok();
            if actual != Some(size) {
                return Err(Rebuild::Unusable(format!("{name} is not the file the last run wrote")));
            }
        }
        // Last: the log is most of what loading reads.
        state.index = load_index(dir, &state.log)?;
        Ok(state)
    }
}

/// Read the index log's segments and join them.
fn load_index(dir: &Path, log: &[LogSegment]) -> Result<Segment, Rebuild> {
    let path = dir.join(INDEX_FILE);
    let unusable = |why: String| Rebuild::Unusable(format!("{}: {why}", path.display()));
    let bytes = fs::read(&path).map_err(|e| unusable(e.to_string()))?;
    if bytes.len() < INDEX_HEADER as usize || bytes[..16] != index_header()[..] {
        return Err(unusable("not a newsprep index log of this version".into()));
    }
    let mut index = Segment::default();
    let mut start = INDEX_HEADER as usize;
    for (i, s) in log.iter().enumerate() {
        let end = usize::try_from(s.end).ok().filter(|&e| e >= start && e <= bytes.len());
        let end = end.ok_or_else(|| unusable(format!("shorter than the state says ({} bytes)", s.end)))?;
        let segment: Segment =
            postcard::from_bytes(&bytes[start..end]).map_err(|e| unusable(format!("damaged: {e}")))?;
        // The first segment is taken whole; room for the rest is made once, not as they come
        // (a damaged state cannot ask for more than the file could hold: an entry takes at
        // least 9 bytes, a document more).
        index.append(segment);
        if let (0, Some(last)) = (i, log.last()) {
            let most = (bytes.len() / 9) as u32;
            let m = last.marks;
            index.reserve(Marks { paragraphs: m.paragraphs.min(most), docs: m.docs.min(most), ..m });
        }
        start = end;
    }
    Ok(index)
}

fn index_header() -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[12..].copy_from_slice(INDEX_TAG);
    h
}

/// Stage the index log: when this run kept all of the committed log (`kept` are the marks it
/// restored the index to), what the index gained is appended as one more segment; otherwise
/// the log is written again as one segment. Returns the log's segments.
pub fn stage_index(
    commit: &mut Commit,
    committed: &[LogSegment],
    kept: Marks,
    dedup: &Dedup,
) -> Result<Vec<LogSegment>, RunError> {
    let now = dedup.marks();
    let live = fs::metadata(commit.dir.join(INDEX_FILE)).map(|m| m.len()).ok();
    if let Some(last) = committed.last()
        && last.marks == kept
        && live.is_some_and(|l| l >= last.end)
    {
        if now == kept {
            return Ok(committed.to_vec());
        }
        let bytes = postcard::to_stdvec(&dedup.segment(kept)).expect("plain data serializes");
        commit.stage_append_bytes(INDEX_FILE, &bytes, last.end)?;
        let mut log = committed.to_vec();
        log.push(LogSegment { end: last.end + bytes.len() as u64, marks: now });
        return Ok(log);
    }
    let mut bytes = index_header().to_vec();
    postcard::to_io(&dedup.segment(Marks::default()), &mut bytes).expect("writing to a Vec cannot fail");
    commit.stage(INDEX_FILE, &bytes)?;
    Ok(vec![LogSegment { end: bytes.len() as u64, marks: now }])
}

impl StateRef<'_> {
    /// The encoded state file.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 << 20);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        postcard::to_io(self, &mut out).expect("writing to a Vec cannot fail");
        out
    }
}

/// The lock on an output folder: `.newsprep/lock` holds the running process's id (and on Linux
/// its start time, so a reused id is not mistaken for the holder). Released on drop; a lock
/// whose holder is dead is taken over.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Take the lock, or fail at once if a live process holds it.
    pub fn acquire(dir: &Path) -> Result<Lock, RunError> {
        let path = dir.join(LOCK);
        let parent = path.parent().expect("LOCK has a folder");
        fs::create_dir_all(parent).map_err(out_err(parent))?;
        let me = holder_tag(std::process::id());
        // Twice at most: once more after taking a stale lock away.
        for _ in 0..2 {
            match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    f.write_all(me.as_bytes()).map_err(out_err(&path))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = fs::read_to_string(&path).unwrap_or_default();
                    if holder_alive(&held) {
                        let pid = held.split_whitespace().next().unwrap_or("?");
                        return Err(RunError::Locked { path, pid: pid.to_string() });
                    }
                    // The holder died without releasing it (killed): take it over.
                    match fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(out_err(&path)(e)),
                    }
                }
                Err(e) => return Err(out_err(&path)(e)),
            }
        }
        let held = fs::read_to_string(&path).unwrap_or_default();
        let pid = held.split_whitespace().next().unwrap_or("?").to_string();
        Err(RunError::Locked { path, pid })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// `pid starttime`: the start time (field 22 of /proc/PID/stat) tells a reused pid apart.
fn holder_tag(pid: u32) -> String {
    match start_time(pid) {
        Some(t) => format!("{pid} {t}\n"),
        None => format!("{pid}\n"),
    }
}

fn start_time(pid: u32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// Is the process named by a lock file's content still running?
fn holder_alive(held: &str) -> bool {
    let mut parts = held.split_whitespace();
    let Some(pid) = parts.next().and_then(|p| p.parse::<u32>().ok()) else {
        return false; // empty or garbled: a writer died before finishing it
    };
    if cfg!(target_os = "linux") {
        match (start_time(pid), parts.next()) {
            (None, _) => false,
            (Some(now), Some(then)) => now == then,
            (Some(_), None) => true,
        }
    } else {
        // Without /proc, trust the lock; the error message names the file to remove.
        true
    }
}

/// A run's finished files, staged under `.newsprep/staging/` and moved into place together.
/// The list of moves is written first (`.newsprep/commit.json`, atomically), so a run killed
/// while moving is completed by the next one ([`recover`]); a run killed before leaves the
/// previous corpus as it was.
///
/// A file can also be staged as a tail to append (a run that only adds documents): the live
/// file is cut back to its length before the run, then the tail is appended. That is redone
/// until the staged tail is gone, so a run killed in the middle of appending (a file then ends
/// in part of a line) is completed by the next one too. Its earlier bytes are never rewritten.
#[derive(Debug)]
pub struct Commit {
    dir: PathBuf,
    moves: Vec<String>,
    appends: Vec<(String, u64)>,
    removals: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    /// Output paths (relative to the output folder) whose staged copy replaces them.
    moves: Vec<String>,
    /// Output paths whose staged copy is appended to them, with their length before the run.
    #[serde(default)]
    appends: Vec<(String, u64)>,
    /// Output paths removed after the moves.
    removals: Vec<String>,
}

impl Commit {
    /// An empty commit for the output folder `dir`; clears what an unfinished run staged.
    pub fn new(dir: &Path) -> Result<Commit, RunError> {
        let staging = dir.join(STAGING);
        match fs::remove_dir_all(&staging) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(out_err(&staging)(e)),
        }
        fs::create_dir_all(&staging).map_err(out_err(&staging))?;
        Ok(Commit { dir: dir.to_path_buf(), moves: Vec::new(), appends: Vec::new(), removals: Vec::new() })
    }

    /// The staging folder of output folder `dir` (where a run's temporary files go too).
    pub fn staging_dir(dir: &Path) -> PathBuf {
        dir.join(STAGING)
    }

    /// Where the staged copy of output file `rel` goes.
    pub fn staged_path(dir: &Path, rel: &str) -> PathBuf {
        Self::staging_dir(dir).join(rel)
    }

    /// Stage `bytes` as output file `rel`, unless the file already holds exactly them.
    pub fn stage(&mut self, rel: &str, bytes: &[u8]) -> Result<(), RunError> {
        if Self::stage_bytes(&self.dir, rel, bytes)? {
            self.moves.push(rel.to_string());
        }
        Ok(())
    }

    /// [`stage`](Self::stage) without the commit at hand (from several threads): returns
    /// whether it was staged, and then [`moved`](Self::moved) must be told.
    pub fn stage_bytes(dir: &Path, rel: &str, bytes: &[u8]) -> Result<bool, RunError> {
        let live = dir.join(rel);
        let same_size = fs::metadata(&live).is_ok_and(|m| m.len() == bytes.len() as u64);
        if same_size && same_contents(&live, bytes).unwrap_or(false) {
            return Ok(false);
        }
        let staged = Self::staged_path(dir, rel);
        if let Some(parent) = staged.parent() {
            fs::create_dir_all(parent).map_err(out_err(parent))?;
        }
        fs::write(&staged, bytes).map_err(out_err(&staged))?;
        Ok(true)
    }

    /// Stage a finished temporary file as output file `rel`.
    pub fn stage_file(&mut self, tmp: tempfile::NamedTempFile, rel: &str) -> Result<(), RunError> {
        let staged = Self::staged_path(&self.dir, rel);
        tmp.persist(&staged).map_err(|e| out_err(&staged)(e.error))?;
        self.moves.push(rel.to_string());
        Ok(())
    }

    /// Stage a finished temporary file to be appended to output file `rel`, which is `base`
    /// bytes long now.
    pub fn stage_append(
        &mut self,
        tmp: tempfile::NamedTempFile,
        rel: &str,
        base: u64,
    ) -> Result<(), RunError> {
        let staged = Self::staged_path(&self.dir, rel);
        tmp.persist(&staged).map_err(|e| out_err(&staged)(e.error))?;
        self.appends.push((rel.to_string(), base));
        Ok(())
    }

    /// Stage `bytes` to be appended to output file `rel`, which is `base` bytes long now.
    pub fn stage_append_bytes(&mut self, rel: &str, bytes: &[u8], base: u64) -> Result<(), RunError> {
        let staged = Self::staged_path(&self.dir, rel);
        if let Some(parent) = staged.parent() {
            fs::create_dir_all(parent).map_err(out_err(parent))?;
        }
        fs::write(&staged, bytes).map_err(out_err(&staged))?;
        self.appends.push((rel.to_string(), base));
        Ok(())
    }

    /// Record that output file `rel` was staged (by [`stage_bytes`](Self::stage_bytes)).
    pub fn moved(&mut self, rel: String) {
        self.moves.push(rel);
    }

    /// Remove output file `rel` when the commit is applied.
    pub fn remove(&mut self, rel: String) {
        self.removals.push(rel);
    }

    /// Write the journal, then move everything into place.
    pub fn apply(self) -> Result<(), RunError> {
        let journal = Journal { moves: self.moves, appends: self.appends, removals: self.removals };
        let path = self.dir.join(JOURNAL);
        let json = serde_json::to_vec(&journal).expect("plain data serializes");
        let mut tmp = crate::outfile::temp_in(&Self::staging_dir(&self.dir)).map_err(out_err(&path))?;
        tmp.write_all(&json).map_err(out_err(&path))?;
        tmp.as_file().sync_all().map_err(out_err(&path))?;
        tmp.persist(&path).map_err(|e| out_err(&path)(e.error))?;
        finish(&self.dir, &journal)
    }
}

/// Do a journal's moves and removals (again: each step may have been done already), then
/// remove the journal and the staging folder.
fn finish(dir: &Path, journal: &Journal) -> Result<(), RunError> {
    for rel in &journal.moves {
        let staged = Commit::staged_path(dir, rel);
        let live = dir.join(rel);
        if let Some(parent) = live.parent() {
            fs::create_dir_all(parent).map_err(out_err(parent))?;
        }
        match fs::rename(&staged, &live) {
            Ok(()) => {}
            // Moved before the last run was stopped.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(out_err(&live)(e)),
        }
    }
    for (rel, base) in &journal.appends {
        let staged = Commit::staged_path(dir, rel);
        let live = dir.join(rel);
        let mut tail = match fs::File::open(&staged) {
            Ok(f) => f,
            // Appended, and the tail removed, before the last run was stopped.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(out_err(&staged)(e)),
        };
        let mut append = || -> std::io::Result<()> {
            let mut f = fs::OpenOptions::new().write(true).open(&live)?;
            // Whatever an interrupted append left goes first.
            f.set_len(*base)?;
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(*base))?;
            std::io::copy(&mut tail, &mut f)?;
            f.sync_all()
        };
        append().map_err(out_err(&live))?;
        fs::remove_file(&staged).map_err(out_err(&staged))?;
    }
    for rel in &journal.removals {
        let live = dir.join(rel);
        match fs::remove_file(&live) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(out_err(&live)(e)),
        }
    }
    let path = dir.join(JOURNAL);
    fs::remove_file(&path).map_err(out_err(&path))?;
    let _ = fs::remove_dir_all(dir.join(STAGING));
    Ok(())
}

/// Complete a commit that an earlier run wrote but did not finish (it was killed while moving
/// files). Returns whether there was one.
pub fn recover(dir: &Path) -> Result<bool, RunError> {
    let path = dir.join(JOURNAL);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(state_err(&path, e)),
    };
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| state_err(&path, e))?;
    finish(dir, &journal)?;
    Ok(true)
}

/// Whether the file at `path` holds exactly `bytes`, read a block at a time (a document's file
/// can be as large as its raw file; reading it whole would hold it twice).
fn same_contents(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = fs::File::open(path)?;
    // On the stack: this runs for every document a rerun writes, most of them a few KB.
    let mut block = [0u8; 16 << 10];
    let mut rest = bytes;
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok(rest.is_empty());
        }
        if n > rest.len() || block[..n] != rest[..n] {
            return Ok(false);
        }
        rest = &rest[n..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_lock_refuses_and_a_dead_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lock::acquire(dir.path()).unwrap();
        match Lock::acquire(dir.path()) {
            Err(RunError::Locked { pid, .. }) => assert_eq!(pid, std::process::id().to_string()),
            other => panic!("expected a refusal, got {other:?}"),
        }
        drop(first);
        // A dead holder: a child that has exited.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        fs::write(dir.path().join(LOCK), format!("{pid} 1\n")).unwrap();
        let taken = Lock::acquire(dir.path()).unwrap();
        let held = fs::read_to_string(dir.path().join(LOCK)).unwrap();
        assert!(held.starts_with(&std::process::id().to_string()), "{held}");
        drop(taken);
        assert!(!dir.path().join(LOCK).exists());
    }

    #[test]
    fn an_unfinished_commit_is_completed_by_recover() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "old").unwrap();
        fs::write(dir.path().join("gone.txt"), "x").unwrap();
        Commit::new(dir.path()).unwrap();
        assert!(Commit::stage_bytes(dir.path(), "a.txt", b"new").unwrap());
        assert!(!Commit::stage_bytes(dir.path(), "gone.txt", b"x").unwrap(), "same bytes: not staged");
        assert!(Commit::stage_bytes(dir.path(), "sub/b.txt", b"b").unwrap());
        // A tail for log.txt, whose append was cut short: "ab" of "abc" made it (then a
        // partial line, which the append takes back out).
        fs::write(dir.path().join("log.txt"), "line 1\nline 2\nab").unwrap();
        fs::write(Commit::staged_path(dir.path(), "log.txt"), "abc\n").unwrap();
        // The journal is written, a.txt moved, then the run dies.
        let journal = Journal {
            moves: vec!["a.txt".into(), "sub/b.txt".into()],
            appends: vec![("log.txt".into(), 14)],
            removals: vec!["gone.txt".into()],
        };
        fs::write(dir.path().join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
        fs::rename(Commit::staged_path(dir.path(), "a.txt"), dir.path().join("a.txt")).unwrap();
        assert!(recover(dir.path()).unwrap());
        assert_eq!(fs::read_to_string(dir.path().join("a.txt")).unwrap(), "new");
        assert_eq!(fs::read_to_string(dir.path().join("sub/b.txt")).unwrap(), "b");
        assert_eq!(fs::read_to_string(dir.path().join("log.txt")).unwrap(), "line 1\nline 2\nabc\n");
        assert!(!dir.path().join("gone.txt").exists());
        assert!(!dir.path().join(JOURNAL).exists());
        assert!(!dir.path().join(STAGING).exists());
        assert!(!recover(dir.path()).unwrap(), "nothing left to do");
    }
}
