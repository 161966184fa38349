//! Fingerprints: normalized tokens, word shingles, and a 64-bit SimHash over them.
//!
//! Written here rather than taken from the `simhash` crate: that crate hashes through Rust's
//! `Hash`, whose output is not stable across compiler versions (stored fingerprints could
//! change), and `benches/fingerprint.rs` measures it against this code on the same text.
//! Tokens are lowercase runs of letters and digits; a shingle is `k` consecutive tokens joined by
//! one space, hashed with xxh3-64; each fingerprint bit is the majority vote of its shingles' bits.

use crate::model::{Fingerprint, Sketch};
use xxhash_rust::xxh3::xxh3_64;

/// Normalized tokens of `text`, written into `buf` separated by single spaces. Reusing `buf`
/// avoids an allocation per paragraph.
pub fn tokenize(text: &str, buf: &mut String) {
    buf.clear();
    // Lowercasing can lengthen a few non-ASCII letters, but tokens are almost always shorter
    // than the text: one allocation instead of a growing buffer.
    buf.reserve(text.len());
    let mut in_token = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    // Runs of ASCII letters and digits are copied and lowercased as slices (most of any text);
    // anything else non-ASCII is decoded to its char.
    while i < bytes.len() {
        let b = bytes[i];
        let alnum = if b.is_ascii_alphanumeric() {
            true
        } else if b.is_ascii() {
            i += 1;
            false
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            i += c.len_utf8();
            if c.is_alphanumeric() {
                if !in_token {
                    if !buf.is_empty() {
                        buf.push(' ');
                    }
                    in_token = true;
                }
                buf.extend(c.to_lowercase());
                continue;
            }
            false
        };
        if alnum {
            let run = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if !in_token {
                if !buf.is_empty() {
                    buf.push(' ');
                }
                in_token = true;
            }
            let at = buf.len();
            buf.push_str(&text[run..i]);
            buf[at..].make_ascii_lowercase();
        } else {
            in_token = false;
        }
    }
}

/// SimHash of the `k`-word shingles of a token stream (tokens joined by single spaces, as
/// [`tokenize`] writes them), the [`Sketch`] of the same shingles, and the number of tokens,
/// from one pass. Fewer than `k` tokens make one shingle of all of them; no tokens give 0.
/// Token boundaries are found as the pass goes (the last `k` starts in a ring), not listed
/// first: on one huge paragraph such a list took more memory than the text.
fn simhash_and_sketch(buf: &str, k: usize) -> (u64, Sketch, usize) {
    let mut sketch = Sketch::default();
    if buf.is_empty() {
        return (0, sketch, 0);
    }
    let bytes = buf.as_bytes();
    let k = k.clamp(1, MAX_SHINGLE);
    let mut starts = [0usize; MAX_SHINGLE];
    let mut newest = 0;
    let mut counts = BitCounts::default();
    let (mut tokens, mut shingles) = (0usize, 0u32);
    let mut start = 0;
    for end in memchr::memchr_iter(b' ', bytes).chain(std::iter::once(bytes.len())) {
        newest = if tokens == 0 || newest + 1 == k { 0 } else { newest + 1 };
        starts[newest] = start;
        tokens += 1;
        if tokens >= k {
            let oldest = if newest + 1 == k { 0 } else { newest + 1 };
            let h = xxh3_64(&bytes[starts[oldest]..end]);
            counts.add(h);
            sketch.add((h >> 32) as u32);
            shingles += 1;
        }
        start = end + 1;
    }
    if shingles == 0 {
        let h = xxh3_64(bytes);
        counts.add(h);
        sketch.add((h >> 32) as u32);
        shingles = 1;
    }
    (counts.majority(shingles), sketch, tokens)
}

/// The longest shingle, in words (`dedup.shingle-words` allows 1 to 8).
pub const MAX_SHINGLE: usize = 8;

/// Byte `j` of `SPREAD[b]` is bit `j` of `b`: one load spreads 8 bits of a hash over 8 byte
/// counters.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        while j < 8 {
            t[b] |= ((b as u64 >> j) & 1) << (8 * j);
            j += 1;
        }
        b += 1;
    }
    t
};

/// Per-bit counts of set bits over a stream of 64-bit hashes. Byte-wide counters packed eight
/// to a `u64` take a hash in 8 table loads and adds, where 64 separate counters took 64 adds;
/// they are emptied into `u32` totals before any can pass 255. (`cargo bench --bench
/// fingerprint`: part of the rise from 59 to over 100 MiB/s.)
struct BitCounts {
    /// Counter of bit `8 * g + j` is byte `j` of `lanes[g]`.
    lanes: [u64; 8],
    pending: u32,
    totals: [u32; 64],
}

impl Default for BitCounts {
    fn default() -> Self {
        BitCounts { lanes: [0; 8], pending: 0, totals: [0; 64] }
    }
}

impl BitCounts {
    #[inline]
    fn add(&mut self, h: u64) {
        for (g, lane) in self.lanes.iter_mut().enumerate() {
            *lane += SPREAD[((h >> (8 * g)) & 0xff) as usize];
        }
        self.pending += 1;
        if self.pending == 255 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (g, lane) in self.lanes.iter_mut().enumerate() {
            for j in 0..8 {
                self.totals[8 * g + j] += ((*lane >> (8 * j)) & 0xff) as u32;
            }
            *lane = 0;
        }
        self.pending = 0;
    }

    /// Bit b is set when more than half of the `n` hashes had it set.
    fn majority(mut self, n: u32) -> u64 {
        self.flush();
        let mut fp = 0u64;
        for (b, &c) in self.totals.iter().enumerate() {
            fp |= u64::from(c * 2 > n) << b;
        }
        fp
    }
}

/// Fingerprint of a text with `k`-word shingles.
pub fn fingerprint(text: &str, k: usize) -> Fingerprint {
    let mut buf = String::new();
    tokenize(text, &mut buf);
    of_tokens(&buf, k)
}

/// Fingerprint of text that is already a normalized token stream (tokens joined by single
/// spaces, as [`tokenize`] writes them); equal to [`fingerprint`] of the original text.
pub fn of_tokens(buf: &str, k: usize) -> Fingerprint {
    let (simhash, sketch, tokens) = simhash_and_sketch(buf, k);
    Fingerprint { exact: xxh3_64(buf.as_bytes()), simhash, sketch, tokens: tokens as u32 }
}

/// Bits that differ between two fingerprints.
#[inline]
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_bit_counts_equal_one_counter_per_bit() {
        // 1,000 hashes: the byte counters are emptied several times on the way.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let hashes: Vec<u64> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect();
        for n in [1, 254, 255, 256, 511, 1000] {
            let mut packed = BitCounts::default();
            let mut naive = [0u32; 64];
            for &h in &hashes[..n] {
                packed.add(h);
                for (b, c) in naive.iter_mut().enumerate() {
                    *c += ((h >> b) & 1) as u32;
                }
            }
            let want = (0..64).fold(0u64, |fp, b| fp | (u64::from(naive[b] * 2 > n as u32) << b));
            assert_eq!(packed.majority(n as u32), want, "{n} hashes");
        }
    }

    #[test]
    fn tokens_are_lowercase_words_and_digits() {
        let mut buf = String::new();
        tokenize("Wagner’s EXIT, in 2024 — «Tinzaouatène»!", &mut buf);
        assert_eq!(buf, "wagner s exit in 2024 tinzaouatène");
        assert_eq!(of_tokens(&buf, 2).tokens, 6);
    }

    #[test]
    fn fingerprints_with_the_default_shingles_are_pinned() {
        // The defaults (2-word shingles) on ASCII and on accented, mixed-case text: the SimHash,
        // the exact hash and the sketch are stored in corpora and compared across runs.
        let f = fingerprint("The quick brown fox jumps over the lazy dog.", 2);
        assert_eq!(format!("{:016x} {:016x}", f.simhash, f.exact), "12bf80024a210544 e4541a9cacf545aa");
        assert_eq!(
            f.sketch.values(),
            [272321066, 988250316, 1409207402, 1828714258, 2276138332, 2451021569, 3199512611, 3762250434]
        );
        let g = fingerprint("Zoë's café: naïve façade — ÉCOLE 2024!", 2);
        assert_eq!(format!("{:016x} {:016x}", g.simhash, g.exact), "11aa95ab2f288c94 730a4373548e2578");
        assert_eq!(
            g.sketch.values(),
            [1019346082, 1107295659, 1396421490, 1489672107, 2444757949, 3081426351]
        );
        assert_eq!(g.tokens, 7);
    }

    #[test]
    fn fingerprints_are_pinned() {
        // These values are stored in corpora; a change here is a breaking change of the format.
        let f = fingerprint("The quick brown fox jumps over the lazy dog.", 3);
        assert_eq!(format!("{:016x}", f.simhash), "5cc1c8efc0c9b905");
        assert_eq!(format!("{:016x}", f.exact), "e4541a9cacf545aa");
        assert_eq!(f.tokens, 9);
    }

    #[test]
    fn case_and_punctuation_do_not_matter() {
        let a = fingerprint("Algeria and Russia, long-time allies, are scrambling.", 3);
        let b = fingerprint("ALGERIA AND RUSSIA long time allies are scrambling", 3);
        assert_eq!(a, b);
    }

    #[test]
    fn near_texts_are_near_and_different_texts_are_far() {
        let base = "Algeria and Russia, long-time allies, are scrambling to patch up ties after months of tension over the Sahel, Libya, and military presence in North Africa, reported local media on Friday.";
        let edited = "Algeria and Russia, long-time allies, are scrambling to patch up ties after months of tension over the Sahel, Libya, and the military presence in North Africa, reported local media on Friday.";
        let other = "The Wagner group admitted it suffered heavy losses during fighting in Mali over a five-day period against a coalition of separatist rebels.";
        let (a, b, c) =
            (fingerprint(base, 3).simhash, fingerprint(edited, 3).simhash, fingerprint(other, 3).simhash);
        assert!(distance(a, b) <= 12, "one inserted word: {}", distance(a, b));
        assert!(distance(a, c) >= 20, "unrelated: {}", distance(a, c));
    }

    #[test]
    fn fingerprint_of_a_token_stream_equals_fingerprint_of_the_text() {
        for text in [
            "",
            "one",
            "Wagner’s EXIT, in 2024 — «Tinzaouatène»!",
            "The quick brown fox jumps over the lazy dog.",
        ] {
            let mut buf = String::new();
            tokenize(text, &mut buf);
            assert_eq!(of_tokens(&buf, 3), fingerprint(text, 3), "{text:?}");
        }
    }

    #[test]
    fn short_and_empty_texts() {
        assert_eq!(fingerprint("", 3).simhash, 0);
        assert_eq!(fingerprint("two words", 3).tokens, 2);
        assert_ne!(fingerprint("two words", 3).simhash, 0);
    }

    fn sketch(text: &str) -> Sketch {
        fingerprint(text, 1).sketch
    }

    #[test]
    fn small_sets_give_their_exact_jaccard() {
        // Word sets {a b c d} and {a b c e}: 3 shared of 5.
        let s = sketch("a b c d").similarity(&sketch("a b c e"));
        assert!((s - 0.6).abs() < 1e-6, "{s}");
        assert_eq!(sketch("a b c").similarity(&sketch("c b a")), 1.0);
        assert_eq!(sketch("a b").similarity(&sketch("x y")), 0.0);
    }

    #[test]
    fn large_sets_are_estimated_near_their_jaccard() {
        // 200 words, the second text with the last 50 replaced: Jaccard 150 / 250 = 0.6.
        let a: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
        let mut b = a.clone();
        (150..200).for_each(|i| b[i] = format!("x{i}"));
        let s = sketch(&a.join(" ")).similarity(&sketch(&b.join(" ")));
        assert!((0.3..=0.9).contains(&s), "{s}");
        let unrelated: Vec<String> = (0..200).map(|i| format!("z{i}")).collect();
        assert!(sketch(&a.join(" ")).similarity(&sketch(&unrelated.join(" "))) < 0.2);
    }
}
