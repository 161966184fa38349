//! Part of input: its settings, resolved from `[input]`.

use super::decode::InputEncoding;

/// How inputs are found and read.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    /// Extensions read as articles, lowercase, without the dot.
    pub extensions: Vec<String>,
    /// Larger files are refused.
    pub max_file_bytes: u64,
    /// How article files are decoded.
    pub encoding: InputEncoding,
    /// The JSONL fields read, by role.
    pub fields: RecordFieldNames,
}

/// The JSONL record fields read, by role (see `[input.fields]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFieldNames {
    /// Document id.
    pub id: String,
    /// Article text.
    pub text: String,
    /// Headline.
    pub title: String,
    /// Page URL.
    pub url: String,
    /// Site.
    pub site: String,
    /// Publication date.
    pub date: String,
    /// Author.
    pub author: String,
    /// The page's HTML.
    pub html: String,
}

impl Default for RecordFieldNames {
    fn default() -> Self {
        let f = |s: &str| s.to_string();
        RecordFieldNames {
            id: f("id"),
            text: f("text"),
            title: f("title"),
            url: f("url"),
            site: f("site"),
            date: f("date"),
            author: f("author"),
            html: f("html"),
        }
    }
}
