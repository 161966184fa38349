//! Part of input: JSONL feeds, one record per line (`.jsonl`, also `.gz` and `.zst`). Only the
//! fields `[input.fields]` names are built; the rest of each record is skipped unread.

use super::decode::InputEncoding;
use super::settings::{ReadSettings, RecordFieldNames};
use super::text::{host, iso_date};
use super::unit::{Format, Record, sha256_hex};
use crate::error::FileError;
use crate::model::{DocId, Document, SourceInfo};

/// JSONL: one JSON object per line.
#[derive(Debug)]
pub struct Jsonl;

impl Format for Jsonl {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn reads(&self, ext: &str) -> bool {
        ext.eq_ignore_ascii_case("jsonl")
    }

    fn holds_records(&self) -> bool {
        true
    }

    fn record(
        &self,
        r: &Record,
        settings: &ReadSettings,
    ) -> Result<Document, (DocId, SourceInfo, FileError)> {
        record(r, settings)
    }
}

/// The fields newsprep reads from a JSONL record, found under the names `[input.fields]` gives
/// (one field may serve several roles); other fields are skipped without being built.
#[derive(Debug, Default)]
struct RecordFields {
    id: Option<serde_json::Value>,
    text: Option<String>,
    title: Option<String>,
    url: Option<String>,
    site: Option<String>,
    date: Option<String>,
    author: Option<String>,
    html: Option<String>,
}

/// Reads a record's fields as [`RecordFields`], by the configured names.
struct Pick<'a>(&'a RecordFieldNames);

impl<'de> serde::de::DeserializeSeed<'de> for Pick<'_> {
    type Value = RecordFields;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RecordFields, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Pick<'_> {
    type Value = RecordFields;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<RecordFields, M::Error> {
        use serde::de::Error;
        use serde_json::Value;
        let n = self.0;
        // Role order: id, text, title, url, site, date, author, html (a key's roles are bits in
        // this order).
        let names =
            [&n.id, &n.text, &n.title, &n.url, &n.site, &n.date, &n.author, &n.html].map(String::as_str);
        let mut f = RecordFields::default();
        let mut seen = 0u8;
        while let Some(roles) = m.next_key_seed(Roles(&names))? {
            if roles == 0 {
                m.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            let key = names[roles.trailing_zeros() as usize];
            if seen & roles != 0 {
                return Err(M::Error::custom(format!("duplicate field `{key}`")));
            }
            seen |= roles;
            let mut value: Value = m.next_value()?;
            let string = |role: &str, value: Value| match value {
                Value::String(s) => Ok(Some(s)),
                Value::Null => Ok(None),
                _ => Err(M::Error::custom(format!("`{key}` ({role}) is not a string"))),
            };
            // Each role the key serves, in bit order: roles sharing a field get copies, the
            // last one takes the value itself (most keys serve one role: no copy).
            let mut left = roles;
            while left != 0 {
                let bit = left.trailing_zeros();
                left &= left - 1;
                let v = if left == 0 { std::mem::take(&mut value) } else { value.clone() };
                match bit {
                    0 => f.id = Some(v),
                    1 => f.text = string("text", v)?,
                    2 => f.title = string("title", v)?,
                    3 => f.url = string("url", v)?,
                    4 => f.site = string("site", v)?,
                    5 => f.date = string("date", v)?,
                    6 => f.author = string("author", v)?,
                    _ => f.html = string("html", v)?,
                }
            }
        }
        Ok(f)
    }
}

/// Which roles a record's key serves, as bits in the order of `names`, found without building
/// the key (most keys of a scraped record are none of them).
struct Roles<'a>(&'a [&'a str; 8]);

impl<'de> serde::de::DeserializeSeed<'de> for Roles<'_> {
    type Value = u8;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u8, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Roles<'_> {
    type Value = u8;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<u8, E> {
        Ok(self.0.iter().enumerate().filter(|(_, n)| **n == key).fold(0, |m, (i, _)| m | 1 << i))
    }
}

/// Turn a JSONL line into a document. The id is the record's `id` (made safe as a file name),
/// or `<file stem>-<line>`. Byte spans of its paragraphs are offsets into the record's `text`.
pub fn record(r: &Record, settings: &ReadSettings) -> Result<Document, (DocId, SourceInfo, FileError)> {
    let names = &settings.fields;
    let fallback = DocId(format!("{}-{}", r.input.id.0, r.line));
    let mut source = SourceInfo::unread(r.input.rel.clone());
    source.line = Some(r.line);
    source.order = r.input.order;
    let fail = |id: DocId, source: SourceInfo, message: String| {
        Err((id, source, FileError::Record { line: r.line, message }))
    };
    if let Some(len) = r.too_long {
        source.bytes = len;
        return fail(fallback, source, format!("line is {len} bytes, over the limit (input.max-file-bytes)"));
    }
    source.bytes = r.bytes.len() as u64;
    source.sha256 = sha256_hex(&r.bytes);
    if r.bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return fail(fallback, source, "not a JSON object".into());
    }
    let mut de = serde_json::Deserializer::from_slice(&r.bytes);
    let fields = match serde::de::DeserializeSeed::deserialize(Pick(names), &mut de).and_then(|f| {
        de.end()?;
        Ok(f)
    }) {
        Ok(f) => f,
        Err(e) => return fail(fallback, source, format!("invalid JSON: {e}")),
    };
    let id = match &fields.id {
        Some(serde_json::Value::String(s)) if !s.is_empty() => DocId(safe_id(s)),
        Some(serde_json::Value::Number(n)) => DocId(n.to_string()),
        _ => fallback,
    };
    // A field given as blank is not given.
    let given = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let site = given(fields.site);
    source.site = site.clone().or_else(|| fields.url.as_deref().and_then(host));
    let mut doc = match (fields.html.filter(|h| !h.trim().is_empty()), fields.text) {
        // The page itself: read as an HTML file is (spans index the field's UTF-8 bytes).
        (Some(html), _) => {
            let utf8 = InputEncoding::Fixed(encoding_rs::UTF_8);
            match super::html::page(id.clone(), source, html.into_bytes(), utf8, None) {
                Ok(d) => d,
                Err((source, e)) => return fail(id, source, format!("field `{}`: {e}", names.html)),
            }
        }
        (None, Some(text)) => {
            source.encoding = encoding_rs::UTF_8.name();
            Document::new(id, source, text, 0)
        }
        (None, None) => {
            return fail(id, source, format!("no `{}` field (input.fields.text)", names.text));
        }
    };
    // What the record states wins over what the page says of itself.
    let page_meta = std::mem::take(&mut doc.meta);
    doc.meta.title = given(fields.title).or(page_meta.title);
    doc.meta.published = fields.date.as_deref().and_then(iso_date).or(page_meta.published);
    doc.meta.author = given(fields.author).or(page_meta.author);
    doc.meta.site = site.or(page_meta.site);
    Ok(doc)
}

/// An id usable as a file name: letters, digits, `.`, `_` and `-` are kept, anything else
/// becomes `_`; no leading dot. A clean relative path (`/`-separated such names) stays.
pub(super) fn safe_id(s: &str) -> String {
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    // An id that is already a clean relative path, as newsprep's own ids are (`herald/04`),
    // is kept, so a cleaned corpus fed back in keeps its ids.
    if s.split('/').all(|seg| !seg.is_empty() && !seg.starts_with('.') && seg.chars().all(allowed)) {
        return s.to_string();
    }
    let mut id: String = s.chars().map(|c| if allowed(c) { c } else { '_' }).collect();
    if id.starts_with('.') {
        id.replace_range(..1, "_");
    }
    id
}
