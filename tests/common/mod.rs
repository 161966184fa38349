//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Every file under `dir` whose relative path `keep` accepts, by relative path, with its bytes.
pub fn tree_where(dir: &Path, keep: &dyn Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, keep: &dyn Fn(&str) -> bool, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, keep, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
                if keep(&rel) {
                    out.insert(rel, fs::read(&p).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, keep, &mut out);
    out
}
