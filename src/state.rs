//! The corpus state beside the output (`OUTPUT/.newsprep/`), which makes `newsprep run` on an
//! existing output incremental: what each raw file was (SHA-256) and where its output ends, the
//! near-duplicate index of the kept corpus, the site-line counts. Load and encode only: the lock
//! and the commit that writes it with the corpus files are in `output::commit`.
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

use crate::corpus::clusters;
use crate::corpus::dedup::{Dedup, Marks, Segment, SegmentRef};
use crate::corpus::sites::CounterSnapshot;
use crate::error::RunError;
use crate::output::commit::Commit;
use crate::output::{Counted, Positions};
use crate::stats::FileCounts;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::Path;

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
        let (tmp, len) = encode_to_file(commit, &[], &dedup.segment(kept))?;
        commit.stage_append(tmp, INDEX_FILE, last.end)?;
        let mut log = committed.to_vec();
        log.push(LogSegment { end: last.end + len, marks: now });
        return Ok(log);
    }
    let (tmp, len) = encode_to_file(commit, &index_header(), &dedup.segment(Marks::default()))?;
    commit.stage_file(tmp, INDEX_FILE)?;
    Ok(vec![LogSegment { end: len, marks: now }])
}

/// `head`, then `segment` postcard-encoded, written straight to a temporary file in the staging
/// folder (the index log runs to hundreds of MB at 200,000 articles: built in memory first, it
/// was a quarter of a run's peak). Returns the file and its length.
fn encode_to_file(
    commit: &Commit,
    head: &[u8],
    segment: &SegmentRef,
) -> Result<(tempfile::NamedTempFile, u64), RunError> {
    let dir = Commit::staging_dir(&commit.dir);
    let path = dir.join(INDEX_FILE);
    let io = |source| RunError::Output { path: path.clone(), source };
    fs::create_dir_all(&dir).map_err(io)?;
    let file = crate::output::file::temp_in(&dir).map_err(io)?;
    let mut out = Counted::new(std::io::BufWriter::with_capacity(1 << 20, file));
    out.write_all(head).map_err(io)?;
    segment.write_to(&mut out).map_err(io)?;
    let len = out.n;
    let tmp = out.inner.into_inner().map_err(|e| io(e.into_error()))?;
    Ok((tmp, len))
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
