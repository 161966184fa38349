//! Part of the model: the bottom-k sketch that lets dedup confirm a SimHash match on the text
//! without keeping the text.

/// Values kept in a [`Sketch`].
pub const SKETCH: usize = 16;

/// A bottom-k sketch of a text's shingle set: the [`SKETCH`] smallest distinct shingle hashes
/// (their high 32 bits), sorted. Two sketches estimate the Jaccard similarity of the two shingle
/// sets (Broder 1997), exactly when both sets have at most [`SKETCH`] shingles. It lets a
/// candidate pair found by SimHash be confirmed on the text without keeping the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Sketch {
    vals: [u32; SKETCH],
    len: u8,
}

impl Sketch {
    pub(crate) fn add(&mut self, h: u32) {
        let n = self.len as usize;
        if n == SKETCH && h >= self.vals[n - 1] {
            return;
        }
        let at = match self.vals[..n].binary_search(&h) {
            Ok(_) => return, // already in
            Err(at) => at,
        };
        let end = n.min(SKETCH - 1);
        self.vals.copy_within(at..end, at + 1);
        self.vals[at] = h;
        self.len = (n + 1).min(SKETCH) as u8;
    }

    /// The sketch holding `values` (sorted, distinct, at most [`SKETCH`]), as saved.
    pub(crate) fn from_values(values: &[u32]) -> Option<Sketch> {
        if values.len() > SKETCH || values.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        let mut s = Sketch { len: values.len() as u8, ..Sketch::default() };
        s.vals[..values.len()].copy_from_slice(values);
        Some(s)
    }

    /// The hashes held, smallest first.
    pub fn values(&self) -> &[u32] {
        &self.vals[..self.len as usize]
    }

    /// Estimated Jaccard similarity of the two shingle sets, 0 to 1: of the smallest hashes of
    /// the union, the share found in both.
    pub fn similarity(&self, other: &Sketch) -> f32 {
        let (a, b) = (self.values(), other.values());
        if a.is_empty() || b.is_empty() {
            return if a.len() == b.len() { 1.0 } else { 0.0 };
        }
        let (mut i, mut j, mut union, mut both) = (0, 0, 0, 0);
        while union < SKETCH && (i < a.len() || j < b.len()) {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => i += 1,
                (Some(_), None) => i += 1,
                _ => j += 1,
            }
            union += 1;
        }
        // Counting stops at `SKETCH`: by then a full sketch's values are all counted, so no
        // value past its largest (which that set might hold unseen) is ever judged.
        both as f32 / union as f32
    }
}
