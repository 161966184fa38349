//! Part of the run: the dedup barrier, fed in input order, and the register of the ids given
//! so far.

use crate::corpus::dedup::{Dedup, Lookups, Marks, Print};
use crate::error::FileError;
use crate::model::{DocId, Entry, Outcome};
use rayon::prelude::*;

/// The dedup barrier for one chunk: every kept document's print made and looked up in the
/// sealed corpus on all threads, then the prints checked strictly in input order and the
/// decisions applied, then the chunk is sealed.
pub(crate) fn barrier(
    entries: Vec<Entry>,
    dedup: &mut Dedup,
    ids: &mut IdRegister,
) -> (Vec<Entry>, Vec<Marks>) {
    let prints: Vec<Option<(Print, Lookups)>> = entries
        .par_iter()
        .map(|e| match e {
            Entry::Done(Outcome::Keep(d)) => {
                let print = Print::of(d, dedup.settings());
                let sealed = dedup.look_up(&print);
                Some((print, sealed))
            }
            _ => None,
        })
        .collect();
    let mut marks = Vec::with_capacity(entries.len());
    let entries = entries
        .into_iter()
        .zip(prints)
        .map(|(e, print)| {
            let e = match (ids.check(e), print) {
                (Entry::Done(Outcome::Keep(d)), Some((print, sealed))) => {
                    Entry::Done(dedup.check(&print, sealed).apply(d))
                }
                (other, _) => other,
            };
            marks.push(dedup.marks());
            e
        })
        .collect();
    dedup.seal();
    (entries, marks)
}

/// The ids given so far, in input order: a JSONL record whose id an earlier document took fails
/// with an id collision, as two files with one id do at discovery.
#[derive(Default)]
pub(crate) struct IdRegister {
    seen: std::collections::HashMap<DocId, String>,
}

impl IdRegister {
    pub(crate) fn check(&mut self, e: Entry) -> Entry {
        let (id, source) = match &e {
            Entry::Done(Outcome::Keep(d) | Outcome::Drop(d, _)) => (&d.id, &d.source),
            Entry::Failed { id, source, .. } | Entry::Skipped { id, source, .. } => (id, source),
        };
        match self.claim(id, &source.path, source.line) {
            Some(error) => Entry::Failed { id: id.clone(), source: source.clone(), error },
            None => e,
        }
    }

    /// Give `id` to the source `path` (at JSONL line `line`), unless an earlier source took it:
    /// then the collision, for a record (a file's collision was found at discovery).
    pub(crate) fn claim(&mut self, id: &DocId, path: &str, line: Option<u64>) -> Option<FileError> {
        match self.seen.get(id) {
            Some(first) if line.is_some() => {
                Some(FileError::IdCollision { id: id.0.clone(), first: first.clone(), line })
            }
            Some(_) => None,
            None => {
                self.note(id.clone(), path, line);
                None
            }
        }
    }

    /// Record that `id` was given by `path` (at JSONL line `line`).
    pub(crate) fn note(&mut self, id: DocId, path: &str, line: Option<u64>) {
        let here = match line {
            Some(l) => format!("{path} line {l}"),
            None => path.to_string(),
        };
        self.seen.insert(id, here);
    }
}
