//! Fingerprint throughput: newsprep's own shingled SimHash against the `simhash` crate doing
//! the same work (same tokens, the default 2-word shingles), on the bundled sample articles.
//!
//! Run: `cargo bench --bench fingerprint`. Criterion prints MB/s per variant; compare the
//! variants of one run with each other, not with figures from another machine.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newsprep::stages::dedup::simhash::{fingerprint, tokenize};
use std::hint::black_box;

/// The bundled sample articles, one paragraph per element.
fn paragraphs() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("raw");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("raw/ exists").map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().split("\n").map(str::to_string).collect::<Vec<_>>())
        .filter(|p| p.split_whitespace().count() >= 6)
        .collect()
}

/// The crate's `simhash_stream` fed our shingles: the same features, its hashing and counting.
fn crate_shingled(text: &str, k: usize) -> u64 {
    let mut buf = String::new();
    tokenize(text, &mut buf);
    // Tokens are joined by single spaces: each starts one past the last one's end.
    let mut bounds = Vec::new();
    let mut start = 0;
    for token in buf.split(' ').filter(|_| !buf.is_empty()) {
        bounds.push((start as u32, (start + token.len()) as u32));
        start += token.len() + 1;
    }
    let k = k.clamp(1, bounds.len().max(1));
    let shingles = (0..bounds.len().saturating_sub(k - 1))
        .map(|i| &buf[bounds[i].0 as usize..bounds[i + k - 1].1 as usize]);
    simhash::simhash_stream(shingles)
}

fn bench(c: &mut Criterion) {
    let paras = paragraphs();
    let bytes: usize = paras.iter().map(String::len).sum();
    let mut g = c.benchmark_group("fingerprint");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("newsprep (xxh3, 2-word shingles, with sketch)", |b| {
        b.iter(|| paras.iter().fold(0u64, |acc, p| acc ^ fingerprint(black_box(p), 2).simhash))
    });
    g.bench_function("simhash crate (same shingles)", |b| {
        b.iter(|| paras.iter().fold(0u64, |acc, p| acc ^ crate_shingled(black_box(p), 2)))
    });
    g.bench_function("simhash crate (its own whitespace words)", |b| {
        b.iter(|| paras.iter().fold(0u64, |acc, p| acc ^ simhash::simhash(black_box(p))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
