//! Part of input: a stream of records one per line (JSONL), each line bounded by a byte limit
//! and numbered as in the file.

use std::io::{BufRead, Read};

/// One line of a JSONL stream: its number (from 1), its bytes without the line end, and its
/// length when it was over the limit (then the bytes are empty).
pub type RawLine = (u64, Vec<u8>, Option<u64>);

/// The lines of a JSONL stream (a file, stdin) that can hold records: blank lines are passed
/// over but counted, so each line keeps its number in the file. A stream that fails gives its
/// error with the line being read, and should be read no further.
pub struct RecordLines<R> {
    reader: R,
    line: u64,
    limit: u64,
}

impl<R: BufRead> RecordLines<R> {
    /// Lines of `reader`, each bounded by `limit` bytes (see [`read_line`]).
    pub fn new(reader: R, limit: u64) -> Self {
        RecordLines { reader, line: 0, limit }
    }
}

impl<R: BufRead> Iterator for RecordLines<R> {
    type Item = Result<RawLine, (u64, std::io::Error)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.line += 1;
            match read_line(&mut self.reader, self.limit) {
                Ok(None) => return None,
                Ok(Some((mut bytes, too_long))) => {
                    // A feed saved with a UTF-8 byte order mark: the mark is not part of the
                    // first record.
                    if self.line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
                        bytes.drain(..3);
                    }
                    // Blank lines hold no record.
                    if too_long.is_none() && bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Ok((self.line, bytes, too_long)));
                }
                Err(e) => return Some(Err((self.line, e))),
            }
        }
    }
}

/// The next line without its `\n` / `\r\n`; `None` at the end of the file. A line longer than
/// `limit` is skipped to its end and returned empty with its length.
pub(super) fn read_line(r: &mut impl BufRead, limit: u64) -> std::io::Result<Option<(Vec<u8>, Option<u64>)>> {
    let mut buf = Vec::new();
    let n = r.by_ref().take(limit + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Some((buf, None)));
    }
    if (buf.len() as u64) <= limit {
        return Ok(Some((buf, None))); // the last line, without a line end
    }
    // Over the limit: skip the rest of the line without holding it.
    let mut len = buf.len() as u64;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                len += i as u64;
                r.consume(i + 1);
                break;
            }
            None => {
                let k = chunk.len();
                len += k as u64;
                r.consume(k);
            }
        }
    }
    Ok(Some((Vec::new(), Some(len))))
}
