//! newsprep turns raw scraped articles into a clean, deduplicated corpus with provenance.
//!
//! The flow, in the order `pipeline` runs it:
//! `stages::read` (find and decode files) -> `stages::normalize` (paragraphs, Unicode, markup) ->
//! `stages::metadata` (title, byline, date) -> `stages::boilerplate` (site junk) ->
//! `stages::dedup` (fingerprints, then the corpus-wide barrier) -> `stages::write`.
//! Per-document stages are pure and run in parallel; dedup is a barrier fed in input order.
//! `state` keeps what a later run needs to clean only new files against the corpus so far.

pub mod check;
pub mod config;
pub mod corpus;
pub mod error;
pub mod explain;
pub mod input;
pub mod model;
pub mod output;
pub mod progress;
pub mod run;
pub mod settings;
pub mod stages;
pub mod state;
pub mod stats;
