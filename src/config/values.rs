//! Part of config: the validated values of `pipeline.toml` (ranges, shares, names, patterns).
//! Each checks itself while deserializing, so an error points at its key. A leaf: the stages'
//! settings use some of these, and the schema in `config` uses them all.

use serde::{Deserialize, Deserializer, de};

macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident($t:ty), $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name(pub $t);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = <$t>::deserialize(d)?;
                if !($min..=$max).contains(&v) {
                    return Err(de::Error::custom(format!(
                        "{v} is out of range: expected {} to {}",
                        $min, $max
                    )));
                }
                Ok($name(v))
            }
        }
    };
}

bounded!(
    /// Hamming distance between two 64-bit fingerprints, 0 to 6 (the index probes each of its
    /// four 16-bit blocks within distance / 4 bits; past 7 that radius would grow to 2).
    HammingDistance(u32), 0, 6
);
bounded!(
    /// How many of a sketch's smallest hashes are lookup keys, 0 to 8.
    SketchKeys(usize), 0, 8
);
bounded!(
    /// Words per shingle, 1 to 8.
    ShingleWords(usize), 1, 8
);
bounded!(
    /// A count of paragraphs or words, 0 to 1,000,000.
    Count(usize), 0, 1_000_000
);
bounded!(
    /// How many documents make a repeat site boilerplate, 2 to 1,000,000.
    MinDocs(usize), 2, 1_000_000
);
bounded!(
    /// A byte limit, 1 byte to 16 GiB.
    ByteLimit(u64), 1, 16u64 << 30
);

/// A share between 0.0 and 1.0 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Share(pub f32);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !(0.0..=1.0).contains(&v) {
            return Err(de::Error::custom(format!("{v} is out of range: expected 0.0 to 1.0")));
        }
        Ok(Share(v as f32))
    }
}

/// A file extension without the dot, lowercase ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension(pub String);

impl<'de> Deserialize<'de> for Extension {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let s = s.strip_prefix('.').unwrap_or(&s).to_ascii_lowercase();
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(de::Error::custom(format!(
                "`{s}` is not a file extension (letters and digits, like \"txt\")"
            )));
        }
        Ok(Extension(s))
    }
}

/// A rule id: lowercase ASCII letters, digits and `-`, not empty.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(pub String);

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(de::Error::custom(format!(
                "`{s}` is not a rule id: use lowercase letters, digits and `-`"
            )));
        }
        Ok(RuleId(s))
    }
}

/// A non-empty list of non-empty phrases, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrases(pub Vec<String>);

impl<'de> Deserialize<'de> for Phrases {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        if v.is_empty() {
            return Err(de::Error::custom("the phrase list is empty"));
        }
        let mut out = Vec::with_capacity(v.len());
        for p in v {
            let p = p.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            if p.is_empty() {
                return Err(de::Error::custom("a phrase is empty"));
            }
            out.push(p);
        }
        Ok(Phrases(out))
    }
}

/// A compiled regular expression; a pattern that does not compile is a config error.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        regex::Regex::new(&s).map(Pattern).map_err(|e| de::Error::custom(format!("invalid regex: {e}")))
    }
}

/// The name of a JSON field: not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldName(pub String);

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Err(de::Error::custom("a field name cannot be empty"));
        }
        Ok(FieldName(s))
    }
}
