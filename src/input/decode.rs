//! Stage 1, read (decoding): an article's raw bytes to text, and a [`RawMap`] from offsets in
//! that text back to bytes of the raw file, so spans keep pointing into the file whatever its
//! encoding was.
//!
//! The order of decisions, each for a reason:
//! 1. A byte-order mark wins: UTF-8, UTF-16LE or UTF-16BE.
//! 2. A file that looks binary is not text (PNG, gzip, ...): a known magic number, or NUL and
//!    control bytes in more than 1% of its first 8 KiB. Then a NUL byte in an ASCII-compatible
//!    encoding refuses it. A file that does not look binary keeps its text: its few stray NUL
//!    and control bytes (a scrape's debris) become spaces, so spans stay byte offsets, and the
//!    manifest row says how many there were and where the first one was.
//! 3. `input.encoding = "detect"` (the default): valid UTF-8 is UTF-8. A file that is not valid
//!    UTF-8 but has valid multi-byte UTF-8 in it is UTF-8 with a corrupt byte: refused with the
//!    offset, since re-reading it as Windows-1252 would garble every other accented letter. A file
//!    with no multi-byte UTF-8 at all is a legacy encoding, which chardetng guesses (the detector
//!    Firefox uses) and encoding_rs decodes.
//! 4. A fixed `input.encoding` decodes every file without a BOM in that encoding.
//!
//! A file decoded from a legacy encoding must then read as text: a control character (other
//! than tab, line ends and form feed) means the guess was made on binary data, and the file is
//! refused rather than turned into noise.

use crate::error::FileError;
use crate::model::{RawMap, Segment};
use encoding_rs::{DecoderResult, Encoding, UTF_8};
use serde::{Deserialize, Deserializer, de};

/// How much of a file the encoding detector reads.
const DETECT_BYTES: usize = 1 << 20;

/// A decoded article.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// The encoding it was decoded from (its WHATWG name, e.g. `windows-1252`, is provenance).
    pub encoding: &'static Encoding,
    /// From offsets in `text` to offsets in the raw bytes.
    pub map: RawMap,
    /// Stray control bytes made spaces: how many, and the raw offset of the first.
    pub scrubbed: Option<(usize, usize)>,
}

impl Decoded {
    /// What decoding changed, for the manifest row: the stray control bytes read as spaces.
    pub fn note(&self) -> Option<String> {
        self.scrubbed.map(|(n, first)| {
            let s = if n == 1 { "" } else { "s" };
            format!("{n} stray control byte{s} (NUL or C0) read as spaces, the first at offset {first}")
        })
    }
}

/// How much of a file's start decides whether it looks binary.
const BINARY_BLOCK: usize = 8 << 10;

/// Magic numbers of formats scrapers save beside their text.
const MAGIC: [&[u8]; 16] = [
    b"\x89PNG",
    b"GIF8",
    b"\xFF\xD8\xFF",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1F\x8B",
    b"BZh",
    b"7z\xBC\xAF",
    b"\x28\xB5\x2F\xFD",
    b"RIFF",
    b"\x7FELF",
    b"OggS",
    b"ID3",
    b"\0asm",
    b"SQLite format 3",
    b"wOFF",
];

/// A byte that no text holds: NUL and the C0 controls other than tab, line ends and form feed.
fn stray(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f
}

/// A known magic number, or stray bytes in more than 1% of the first block.
fn looks_binary(bytes: &[u8]) -> bool {
    let block = &bytes[..bytes.len().min(BINARY_BLOCK)];
    MAGIC.iter().any(|m| block.starts_with(m))
        || block.iter().filter(|&&b| stray(b)).count() * 100 > block.len()
}

/// Stray bytes of a text that does not look binary become spaces (same length, so offsets
/// stay); returns how many and the offset of the first.
fn scrub(bytes: &mut [u8]) -> Option<(usize, usize)> {
    let first = bytes.iter().position(|&b| stray(b))?;
    let mut n = 0;
    for b in &mut bytes[first..] {
        if stray(*b) {
            *b = b' ';
            n += 1;
        }
    }
    Some((n, first))
}

/// Decode `bytes` as `choice` says (see the module documentation).
pub fn decode(mut bytes: Vec<u8>, choice: InputEncoding) -> Result<Decoded, FileError> {
    if let Some((enc, bom)) = Encoding::for_bom(&bytes) {
        return if enc == UTF_8 { utf8(bytes, bom) } else { legacy(enc, &bytes, bom) };
    }
    let fixed = match choice {
        InputEncoding::Detect => None,
        InputEncoding::Fixed(enc) => Some(enc),
    };
    let mut scrubbed = None;
    if fixed.is_none_or(Encoding::is_ascii_compatible) {
        if !looks_binary(&bytes) {
            scrubbed = scrub(&mut bytes);
        } else if let Some(offset) = memchr::memchr(0, &bytes) {
            return Err(FileError::Binary { offset });
        }
    }
    let decoded = decode_text(bytes, fixed);
    decoded.map(|d| Decoded { scrubbed, ..d })
}

/// [`decode`] past the checks for binary data.
fn decode_text(bytes: Vec<u8>, fixed: Option<&'static Encoding>) -> Result<Decoded, FileError> {
    match fixed {
        Some(enc) if enc == UTF_8 => utf8(bytes, 0),
        Some(enc) => legacy(enc, &bytes, 0),
        // Validated once: most files are UTF-8, and the error gives the bytes back.
        None => match String::from_utf8(bytes) {
            Ok(text) => Ok(Decoded { text, encoding: UTF_8, map: RawMap::Shift(0), scrubbed: None }),
            Err(e) if e.as_bytes().utf8_chunks().any(|c| !c.valid().is_ascii()) => {
                Err(FileError::Encoding { offset: e.utf8_error().valid_up_to() })
            }
            Err(e) => {
                let bytes = e.into_bytes();
                let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                // The first MiB decides: enough text for a confident guess, and the detector
                // costs as much as the rest of the pipeline on a large file.
                let sample = &bytes[..bytes.len().min(DETECT_BYTES)];
                detector.feed(sample, sample.len() == bytes.len());
                let enc = detector.guess(None, chardetng::Utf8Detection::Deny);
                legacy(enc, &bytes, 0)
            }
        },
    }
}

/// UTF-8 after `bom` bytes of byte-order mark.
fn utf8(mut bytes: Vec<u8>, bom: usize) -> Result<Decoded, FileError> {
    bytes.drain(..bom);
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Decoded { text, encoding: UTF_8, map: RawMap::Shift(bom), scrubbed: None }),
        Err(e) => Err(FileError::Encoding { offset: e.utf8_error().valid_up_to() + bom }),
    }
}

/// Any other encoding, from `bytes[start..]`.
fn legacy(enc: &'static Encoding, bytes: &[u8], start: usize) -> Result<Decoded, FileError> {
    let body = &bytes[start..];
    let mut map = MapBuilder::new(start);
    let text = if enc.is_single_byte()
        && let Some(text) = enc.decode_without_bom_handling_and_without_replacement(body)
    {
        // One byte, one character: the map follows the characters.
        let text = text.into_owned();
        let mut at = 0;
        for c in text.chars() {
            map.piece(at, c.len_utf8(), 1);
            at += c.len_utf8();
        }
        text
    } else {
        // Byte by byte, so each character's raw bytes are known; only files in a multi-byte
        // legacy encoding (UTF-16, Shift_JIS, GBK, ...) or with a malformed byte take this path.
        // (Into a small buffer: `decode_to_string` initializes the string's whole spare
        // capacity on every call, which made this loop quadratic.)
        let mut decoder = enc.new_decoder_without_bom_handling();
        let mut text = String::with_capacity(body.len() + body.len() / 2);
        let mut buf = [0u8; 32];
        let mut pending = 0;
        for i in 0..=body.len() {
            let (input, last) = if i < body.len() { (&body[i..i + 1], false) } else { (&[][..], true) };
            let (result, _, written) = decoder.decode_to_utf8_without_replacement(input, &mut buf, last);
            if !matches!(result, DecoderResult::InputEmpty) {
                return Err(FileError::Malformed { encoding: enc.name(), offset: start + pending });
            }
            if written > 0 {
                let piece = std::str::from_utf8(&buf[..written]).expect("the decoder writes UTF-8");
                let read = (i + 1).min(body.len());
                map.piece(text.len(), written, read - pending);
                text.push_str(piece);
                pending = read;
            }
        }
        text
    };
    if let Some((at, c)) =
        text.char_indices().find(|&(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    {
        // A character was found, so the map has its segment.
        let offset = map.raw_of(at);
        return Err(FileError::NotText { encoding: enc.name(), offset, code: c as u32 });
    }
    Ok(Decoded { map: map.finish(text.len(), bytes.len()), text, encoding: enc, scrubbed: None })
}

/// Builds a [`RawMap::Segments`], merging pieces of equal shape into one segment.
struct MapBuilder {
    segments: Vec<Segment>,
    raw_at: usize,
}

impl MapBuilder {
    fn new(start: usize) -> Self {
        MapBuilder { segments: Vec::new(), raw_at: start }
    }

    /// The next piece of decoded output: `text` bytes starting at `at`, from `raw` raw bytes.
    fn piece(&mut self, at: usize, text: usize, raw: usize) {
        let (text, raw_len) = (text as u32, raw as u32);
        if !matches!(self.segments.last(), Some(s) if s.text == text && s.raw == raw_len) {
            self.segments.push(Segment { text_start: at, raw_start: self.raw_at, text, raw: raw_len });
        }
        self.raw_at += raw;
    }

    fn raw_of(&self, at: usize) -> usize {
        RawMap::segment_offset(&self.segments, at)
    }

    /// The map, with an end point so the end of the text maps to the end of the file.
    fn finish(mut self, text_len: usize, raw_len: usize) -> RawMap {
        self.segments.push(Segment { text_start: text_len, raw_start: raw_len, text: 1, raw: 0 });
        RawMap::Segments(self.segments)
    }
}

/// `input.encoding`: detect each file's encoding, or read every file in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEncoding {
    /// UTF-8 if the bytes are UTF-8, else the legacy encoding chardetng guesses.
    Detect,
    /// This encoding (a WHATWG label, resolved).
    Fixed(&'static encoding_rs::Encoding),
}

impl<'de> Deserialize<'de> for InputEncoding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.eq_ignore_ascii_case("detect") {
            return Ok(InputEncoding::Detect);
        }
        match encoding_rs::Encoding::for_label_no_replacement(s.as_bytes()) {
            Some(enc) => Ok(InputEncoding::Fixed(enc)),
            None => Err(de::Error::custom(format!(
                "`{s}` is not an encoding: use \"detect\" or a WHATWG label like \"utf-8\" or \"windows-1252\""
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

    fn detect(bytes: &[u8]) -> Result<Decoded, FileError> {
        decode(bytes.to_vec(), InputEncoding::Detect)
    }

    #[test]
    fn a_stray_nul_in_text_is_a_space_and_a_binary_file_is_refused() {
        let page =
            format!("{}\0tail\x01end", "A page of ordinary text, scraped with a stray byte. ".repeat(10));
        let d = detect(page.as_bytes()).unwrap();
        assert_eq!(d.scrubbed, Some((2, page.find('\0').unwrap())));
        assert!(d.text.ends_with(" tail end"), "{:?}", &d.text[d.text.len() - 20..]);
        assert_eq!(d.text.len(), page.len(), "same length: spans stay byte offsets");
        // A known magic number, or stray bytes in over 1% of the first block: binary.
        assert!(matches!(detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Err(FileError::Binary { offset: 8 })));
        let noisy: Vec<u8> = (0..400u32).map(|i| if i % 10 == 0 { 0 } else { b'a' }).collect();
        assert!(matches!(detect(&noisy), Err(FileError::Binary { offset: 0 })));
        assert_eq!(detect(b"clean text").unwrap().scrubbed, None);
    }

    /// Every character boundary of the text maps to the raw bytes that encode what precedes it.
    fn assert_map_exact(d: &Decoded, raw: &[u8], bom: usize) {
        for (at, _) in d.text.char_indices().chain([(d.text.len(), ' ')]) {
            let (prefix, _, _) = d.encoding.encode(&d.text[..at]);
            assert_eq!(d.map.raw(at), bom + prefix.len(), "at {at} of {:?}", d.text);
        }
        assert_eq!(d.map.raw(d.text.len()), raw.len());
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let d = detect(b"\xEF\xBB\xBFcaf\xC3\xA9").unwrap();
        assert_eq!((d.text.as_str(), d.encoding, d.map.raw(0), d.map.raw(5)), ("café", UTF_8, 3, 8));
        let d = detect("naïve".as_bytes()).unwrap();
        assert_eq!((d.encoding, d.map.raw(6)), (UTF_8, 6));
    }

    #[test]
    fn windows_1252_is_detected_and_spans_map_to_its_bytes() {
        let raw = b"The caf\xe9 on the corner \x96 where na\xefve tourists pay \x80 5 \x93a coffee\x94.\n";
        let d = detect(raw).unwrap();
        assert_eq!(d.encoding, WINDOWS_1252);
        assert_eq!(d.text, "The café on the corner – where naïve tourists pay € 5 “a coffee”.\n");
        assert_map_exact(&d, raw, 0);
        // "café" starts at raw byte 4 and ends at byte 8 (é is one byte there, two in UTF-8).
        let end = d.text.find(" on").unwrap();
        assert_eq!((d.map.raw(4), d.map.raw(end)), (4, 8));
    }

    #[test]
    fn latin1_text_is_read_as_windows_1252_its_superset() {
        // ISO-8859-1 bytes; the WHATWG Encoding Standard reads the label as windows-1252.
        let raw =
            b"Le ma\xeetre a r\xe9pondu \xe0 la d\xe9l\xe9gation fran\xe7aise apr\xe8s la r\xe9union.\n";
        let d = detect(raw).unwrap();
        assert_eq!(d.text, "Le maître a répondu à la délégation française après la réunion.\n");
        assert_eq!(d.encoding.name(), "windows-1252");
        assert_map_exact(&d, raw, 0);
    }

    #[test]
    fn utf16_with_a_bom_either_way_round() {
        let text = "Доклад 报告 café 🎉 end\n";
        for (enc, bom) in [(UTF_16LE, &b"\xFF\xFE"[..]), (UTF_16BE, &b"\xFE\xFF"[..])] {
            let units: Vec<u16> = text.encode_utf16().collect();
            let mut raw = bom.to_vec();
            for u in units {
                raw.extend(if enc == UTF_16LE { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            let d = detect(&raw).unwrap();
            assert_eq!((d.text.as_str(), d.encoding), (text, enc));
            // encoding_rs encodes UTF-16 output as UTF-8, so count the units by hand.
            for (at, _) in d.text.char_indices() {
                assert_eq!(d.map.raw(at), 2 + d.text[..at].encode_utf16().count() * 2, "{enc:?} at {at}");
            }
            assert_eq!(d.map.raw(d.text.len()), raw.len());
        }
    }

    #[test]
    fn an_odd_utf16_tail_or_lone_surrogate_is_malformed() {
        let e = detect(b"\xFF\xFEa\x00b\x00\x00\xD8c\x00").unwrap_err();
        assert_eq!(e.to_string(), "not valid UTF-16LE: malformed sequence at offset 6");
        let e = detect(b"\xFF\xFEa\x00b").unwrap_err();
        assert_eq!(e.to_string(), "not valid UTF-16LE: malformed sequence at offset 4");
    }

    #[test]
    fn utf8_with_one_bad_byte_is_refused_not_read_as_a_legacy_encoding() {
        let e = detect(
            "Ça va très bien, caf\u{e9}"
                .as_bytes()
                .iter()
                .chain(b" \xff")
                .copied()
                .collect::<Vec<_>>()
                .as_slice(),
        )
        .unwrap_err();
        assert_eq!(e, FileError::Encoding { offset: 25 });
    }

    #[test]
    fn binary_is_refused_before_and_after_detection() {
        assert_eq!(detect(b"ab\x00c").unwrap_err(), FileError::Binary { offset: 2 });
        // No NUL, no UTF-8: decodes, but to control characters.
        let e = detect(b"\x81\x02\x03\xfe\xfd\x04\x05 data").unwrap_err();
        assert!(e.to_string().starts_with("binary file: control character U+"), "{e}");
    }

    #[test]
    fn a_fixed_encoding_decodes_every_file_without_a_bom_in_it() {
        let koi8 = Encoding::for_label(b"koi8-r").unwrap();
        let d = decode(b"\xf0\xd2\xc9\xd7\xc5\xd4".to_vec(), InputEncoding::Fixed(koi8)).unwrap();
        assert_eq!((d.text.as_str(), d.encoding.name()), ("Привет", "KOI8-R"));
        let e = decode(b"caf\xe9".to_vec(), InputEncoding::Fixed(UTF_8)).unwrap_err();
        assert_eq!(e, FileError::Encoding { offset: 3 });
        // A BOM still wins.
        let d = decode(b"\xEF\xBB\xBFok".to_vec(), InputEncoding::Fixed(koi8)).unwrap();
        assert_eq!(d.encoding, UTF_8);
    }

    #[test]
    fn shift_jis_maps_each_character_to_its_bytes() {
        let sjis = Encoding::for_label(b"shift_jis").unwrap();
        let text = "東京の天気は晴れです。Tokyo is sunny.\n";
        let (raw, _, _) = sjis.encode(text);
        let d = decode(raw.to_vec(), InputEncoding::Fixed(sjis)).unwrap();
        assert_eq!(d.text, text);
        assert_map_exact(&d, &raw, 0);
    }
}
