//! Part of input: WARC files (`.warc`, `.warc.gz`), the archive format of crawlers and Common
//! Crawl. The `warc` crate splits the stream into records; each `response` record whose HTTP
//! payload is HTML is one page, read as an `.html` file is ([`super::html`]), with the record's
//! target URI as its address and site and the HTTP `charset` as the declared encoding. Other
//! records (requests, metadata, images, redirects) are skipped and counted, not errors. A
//! record's place is its number in the file, from 1; spans index its HTTP payload.

use super::html;
use super::lines::RawLine;
use super::settings::ReadSettings;
use super::text::host;
use super::unit::{Format, Record, Records, sha256_hex};
use crate::error::FileError;
use crate::model::{DocId, Document, SourceInfo};
use std::io::BufRead;

/// WARC: one page per HTML response record.
#[derive(Debug)]
pub struct Warc;

impl Format for Warc {
    fn name(&self) -> &'static str {
        "warc"
    }

    fn reads(&self, ext: &str) -> bool {
        ext.eq_ignore_ascii_case("warc")
    }

    fn holds_records(&self) -> bool {
        true
    }

    fn split(&self, reader: Box<dyn BufRead + Send>, limit: u64) -> Box<dyn Records> {
        Box::new(WarcRecords {
            inner: warc::WarcReader::new(reader).iter_raw_records(),
            n: 0,
            limit,
            done: false,
        })
    }

    fn record(
        &self,
        r: &Record,
        settings: &ReadSettings,
    ) -> Result<Document, (DocId, SourceInfo, FileError)> {
        let id = DocId(format!("{}-{}", r.input.id.0, r.line));
        let mut source = SourceInfo::unread(r.input.rel.clone());
        source.line = Some(r.line);
        source.order = r.input.order;
        if let Some(len) = r.too_long {
            source.bytes = len;
            let message = format!("{len} bytes, over the limit (input.max-file-bytes)");
            return Err((id, source, FileError::WarcRecord { record: r.line, message }));
        }
        let (head, payload) = split_head(&r.bytes);
        let field = |name: &str| header(head, name);
        let skip = |source, reason: String| {
            Err((id.clone(), source, FileError::NotAPage { record: r.line, reason }))
        };
        let kind = field("WARC-Type").unwrap_or_default();
        if !kind.eq_ignore_ascii_case("response") {
            return skip(source, format!("a WARC {kind} record, not a page"));
        }
        let uri = field("WARC-Target-URI").map(|u| u.trim_matches(['<', '>']).to_string());
        let Some((status, http_head, body)) = http_response(payload) else {
            return skip(source, "a response without an HTTP message (not a page)".to_string());
        };
        let content_type = header(http_head, "Content-Type").unwrap_or_default();
        if !(200..300).contains(&status) {
            return skip(source, format!("an HTTP {status} response, not a page"));
        }
        let lower = content_type.to_ascii_lowercase();
        if !(lower.is_empty() || lower.contains("html")) {
            return skip(
                source,
                format!("an HTTP response of type {}, not HTML", lower.split(';').next().unwrap_or("")),
            );
        }
        let body = match decoded_body(http_head, body, settings.max_file_bytes) {
            Ok(b) => b,
            Err(message) => return Err((id, source, FileError::WarcRecord { record: r.line, message })),
        };
        let body = &body[..];
        source.bytes = body.len() as u64;
        source.sha256 = sha256_hex(body);
        source.site = uri.as_deref().and_then(host);
        let declared = (!content_type.is_empty()).then_some(content_type.as_str());
        html::page(id.clone(), source, body.to_vec(), settings.encoding, declared)
            .map_err(|(s, e)| (id, s, e))
    }
}

/// The records of a WARC stream, each as its header block and its payload, numbered from 1.
struct WarcRecords<R: BufRead> {
    inner: warc::RawRecordIter<R>,
    n: u64,
    limit: u64,
    done: bool,
}

impl<R: BufRead + Send> Iterator for WarcRecords<R> {
    type Item = Result<RawLine, (u64, std::io::Error)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.n += 1;
        match self.inner.next()? {
            Ok((header, body)) => {
                if body.len() as u64 > self.limit {
                    return Some(Ok((self.n, Vec::new(), Some(body.len() as u64))));
                }
                // The header fields the reader needs, then a blank line, then the payload.
                let mut bytes = Vec::with_capacity(body.len() + 256);
                for name in ["WARC-Type", "WARC-Target-URI"] {
                    let value =
                        header.as_ref().iter().find(|(k, _)| k.to_string().eq_ignore_ascii_case(name));
                    if let Some((_, v)) = value {
                        bytes.extend_from_slice(name.as_bytes());
                        bytes.extend_from_slice(b": ");
                        bytes.extend_from_slice(v);
                        bytes.extend_from_slice(b"\r\n");
                    }
                }
                bytes.extend_from_slice(b"\r\n");
                bytes.extend_from_slice(&body);
                Some(Ok((self.n, bytes, None)))
            }
            Err(e) => {
                // The stream cannot be followed past a record it cannot read.
                self.done = true;
                Some(Err((self.n, std::io::Error::other(format!("WARC record {}: {e}", self.n)))))
            }
        }
    }
}

/// A header block and what follows its blank line.
fn split_head(bytes: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memmem::find(bytes, b"\r\n\r\n") {
        Some(at) => (&bytes[..at], &bytes[at + 4..]),
        None => match memchr::memmem::find(bytes, b"\n\n") {
            Some(at) => (&bytes[..at], &bytes[at + 2..]),
            None => (bytes, &[]),
        },
    }
}

/// A header's value in a block of `Name: value` lines, any case.
fn header(head: &[u8], name: &str) -> Option<String> {
    head.split(|&b| b == b'\n').find_map(|line| {
        let line = String::from_utf8_lossy(line);
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// An HTTP response's status, header block and body.
fn http_response(payload: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    if !payload.starts_with(b"HTTP/") {
        return None;
    }
    let (head, body) = split_head(payload);
    let status_line = head.split(|&b| b == b'\n').next()?;
    let status = String::from_utf8_lossy(status_line).split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head, body))
}

/// The body as the server meant it: chunked transfer undone, gzip or deflate content decoded
/// (crawlers that keep the bytes as received store both), bounded by `limit`.
fn decoded_body<'a>(head: &[u8], body: &'a [u8], limit: u64) -> Result<std::borrow::Cow<'a, [u8]>, String> {
    use std::borrow::Cow;
    use std::io::Read;
    let mut out: Cow<[u8]> = Cow::Borrowed(body);
    if header(head, "Transfer-Encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        out = Cow::Owned(dechunk(body).ok_or("malformed chunked transfer encoding")?);
    }
    let coding = header(head, "Content-Encoding").unwrap_or_default().to_ascii_lowercase();
    let mut plain = Vec::new();
    let read = match coding.trim() {
        "gzip" | "x-gzip" => {
            flate2::read::MultiGzDecoder::new(&out[..]).take(limit + 1).read_to_end(&mut plain)
        }
        "deflate" => flate2::read::ZlibDecoder::new(&out[..]).take(limit + 1).read_to_end(&mut plain),
        _ => return Ok(out),
    };
    read.map_err(|e| format!("{coding} content encoding: {e}"))?;
    if plain.len() as u64 > limit {
        return Err(format!("decodes to more than {limit} bytes (input.max-file-bytes)"));
    }
    Ok(Cow::Owned(plain))
}

/// A chunked body's data.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    loop {
        let line_end = memchr::memchr(b'\n', b)?;
        let size_text = String::from_utf8_lossy(&b[..line_end]);
        let size = usize::from_str_radix(size_text.trim().split(';').next()?.trim(), 16).ok()?;
        b = &b[line_end + 1..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size..)?;
        b = b.strip_prefix(b"\r\n").or_else(|| b.strip_prefix(b"\n")).unwrap_or(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_chunked_gzipped_body_is_read_as_the_server_meant_it() {
        let page = b"<html><body><p>The page itself.</p></body></html>";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(page).unwrap();
        let zipped = gz.finish().unwrap();
        let (a, b) = zipped.split_at(10);
        let mut chunked = format!("{:x};ext=1\r\n", a.len()).into_bytes();
        chunked.extend_from_slice(a);
        chunked.extend_from_slice(format!("\r\n{:x}\r\n", b.len()).as_bytes());
        chunked.extend_from_slice(b);
        chunked.extend_from_slice(b"\r\n0\r\n\r\n");
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip";
        assert_eq!(&decoded_body(head, &chunked, 1 << 20).unwrap()[..], page);
        assert!(decoded_body(head, &chunked, 10).unwrap_err().contains("more than 10 bytes"));
        assert_eq!(dechunk(b"5\r\nabc"), None, "a chunk cut short is malformed");
    }

    #[test]
    fn headers_are_found_in_any_case_and_a_response_splits_into_status_head_and_body() {
        let payload = b"HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\n\r\n<p>gone</p>";
        let (status, head, body) = http_response(payload).unwrap();
        assert_eq!(
            (status, header(head, "Content-Type").as_deref(), body),
            (404, Some("text/html"), &b"<p>gone</p>"[..])
        );
        assert_eq!(http_response(b"<html>no status line</html>"), None);
    }
}
