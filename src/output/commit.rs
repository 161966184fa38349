//! Part of output: the lock that keeps two runs on one output folder apart, and the commit
//! that moves a run's files into place all together or not at all (staged files, a journal,
//! renames; [`recover`] completes a commit a crash interrupted).

use crate::error::RunError;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const LOCK: &str = ".newsprep/lock";
const JOURNAL: &str = ".newsprep/commit.json";
const STAGING: &str = ".newsprep/staging";

fn state_err(path: &Path, message: impl ToString) -> RunError {
    RunError::State { path: path.to_path_buf(), message: message.to_string() }
}

fn out_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output { path: path.to_path_buf(), source }
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
    pub(crate) dir: PathBuf,
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
        if let Some(parent) = staged.parent() {
            fs::create_dir_all(parent).map_err(out_err(parent))?;
        }
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
        if let Some(parent) = staged.parent() {
            fs::create_dir_all(parent).map_err(out_err(parent))?;
        }
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
        let mut tmp = super::file::temp_in(&Self::staging_dir(&self.dir)).map_err(out_err(&path))?;
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
