//! The corpus-wide steps, the barriers between the per-document stages: dedup
//! ([`dedup`], [`clusters`]) and site learning ([`sites`]). Each works on compact prints of the
//! documents (fingerprints and spans; site line keys) fed in corpus order, and returns
//! decisions (a duplicate, the paragraphs that repeat, the lines learned), in a stable order,
//! so "first seen wins" is the same on one machine or many. They never see a document's text.

pub mod clusters;
pub mod dedup;
pub mod pairs;
pub mod sites;
