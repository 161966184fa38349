//! Part of the model: the key two lines are compared by, shared by the boilerplate rules, the
//! metadata stage and site knowledge.

pub(crate) fn trim_key(text: &str) -> &str {
    text.trim_matches(|c: char| !c.is_alphanumeric())
}

pub(crate) fn lowercase_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
    } else if s.contains('Σ') {
        // `str::to_lowercase`, not per character: a final sigma lowercases to `ς`.
        out.push_str(&s.to_lowercase());
    } else {
        for c in s.chars() {
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
    }
}

/// The paragraph lowercased, with leading and trailing punctuation and spaces trimmed:
/// `"Share This:"` => `"share this"`.
pub fn match_key(text: &str) -> String {
    let mut key = String::new();
    lowercase_into(trim_key(text), &mut key);
    key
}
