//! The stages, in the fixed order the pipeline runs them. Stages are composed in code, not
//! configured: `pipeline.toml` tunes their parameters, never their order.
//!
//! Per-document stages implement [`DocStage`]: they see one document, keep no shared state and
//! can run in any order on any thread. Corpus-wide work (`dedup::Dedup`) is not a `DocStage` but
//! an explicit barrier that the pipeline feeds in input order.

pub mod boilerplate;
pub mod bylines;
pub mod dedup;
pub mod metadata;
pub mod normalize;

pub use crate::model::DocStage;
