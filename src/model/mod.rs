//! The data that flows through the pipeline: a [`Document`] of [`Paragraph`]s, each carrying its byte
//! span in the raw file and, once a stage removes it, a typed [`Removal`].
//!
//! Stages never delete paragraphs; they mark them. The writer leaves marked paragraphs out of the
//! text and lists them, with their reasons, as provenance ("mark first, remove at write").
//!
//! The shared types of every layer; the model depends on nothing else in the crate but the
//! error types (a file that could not be read is an [`Entry`] too). Its files
//! import each other directly, never through this one, which only names what they hold.

mod document;
mod dom;
mod key;
mod outcome;
mod sketch;

pub use document::{
    Block, DocId, Document, Features, Fingerprint, MetaField, Metadata, ParaRef, Paragraph, RawMap, Removal,
    Segment, SourceInfo, Span, Verdict,
};
pub use dom::{DomElement, DomFeatures, DomTree, Marks};
pub use key::match_key;
pub(crate) use key::{lowercase_into, trim_key};
pub use outcome::{DocStage, DropReason, DuplicateBasis, Entry, Outcome, ParaMatch};
pub use sketch::{SKETCH, Sketch};
